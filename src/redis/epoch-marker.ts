/**
 * The epoch marker: how a redis's data says which primary's stream it holds.
 *
 * A new primary of epoch E, right after REPLICAOF NO ONE, loads a tiny redis
 * function library whose one read-only function returns E. FUNCTION LOAD
 * travels down the replication stream like any write, and lands after every
 * write the primary held when it was promoted. So any redis that returns E
 * holds everything the primary of E had when it was elected: its data epoch
 * (protocol.md §5.6) is read from the data itself, the way Raft's leader
 * opens a term with an entry of its own. An empty redis has no marker (0); a
 * deposed primary keeps its old one; a restarted sidecar reads it back.
 *
 * Functions rather than a key: FLUSHALL and key eviction leave them alone,
 * they are kept in RDB and AOF with the data, and they stay out of the
 * keyspace applications see. Needs Redis 7 (or Valkey).
 */
export const EPOCH_LIBRARY = 'resp_elect';
export const EPOCH_FUNCTION = 'resp_elect_epoch';

/** The library source for epoch `epoch`. */
export function epochLibrary(epoch: number): string {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative safe integer, got ${epoch}`);
  return [
    `#!lua name=${EPOCH_LIBRARY}`,
    `-- written by resp-elect when this redis became primary of epoch ${epoch}; do not remove`,
    `redis.register_function{function_name='${EPOCH_FUNCTION}', callback=function() return ${epoch} end, flags={'no-writes'}}`,
  ].join('\n');
}

/** Turns the FCALL_RO reply (or its error) into a data epoch: no marker reads as 0, an empty dataset. */
export function parseEpochMarker(reply: unknown): number {
  if (typeof reply === 'number' && Number.isSafeInteger(reply) && reply >= 0) return reply;
  if (typeof reply === 'string' && /^\d+$/.test(reply)) return Number(reply);
  return 0;
}
