/**
 * How a replica stops following a primary that is believed lost, without
 * becoming writable and without losing data.
 *
 * Redis has no "replicate from nobody" state; `REPLICAOF NO ONE` makes it a
 * writable master, which is exactly what must not happen before an election
 * is won. So detach points the replica at an address where nothing listens:
 * 127.0.0.1 port 1 (tcpmux, never bound on a server). Verified on redis 7.0:
 *
 * - the dataset is kept and the node stays read-only (READONLY on writes,
 *   as long as `replica-read-only` is left at its default `yes`);
 * - the old master client is cached, so `slave_repl_offset`, `master_replid`
 *   and `master_repl_offset` stay those of the lost primary's stream;
 * - a later `REPLICAOF <new primary>` where the new primary is a former
 *   replica promoted with `REPLICAOF NO ONE` is a PARTIAL resync (the new
 *   primary's `sync_partial_ok` goes up, `sync_full` does not), because the
 *   promotion kept the old replid as `master_replid2`;
 * - on a master, the same command demotes it to a read-only replica of
 *   nobody, keeping its data (a safe step-down).
 *
 * The cost: redis retries the connection once a second and logs
 * "Error condition on socket for SYNC: Connection refused" each time.
 */
export const DETACH_HOST = '127.0.0.1';
export const DETACH_PORT = 1;

/** Whether a replica's configured master is the detach sink. */
export function isDetachTarget(host: string | undefined, port: number | undefined): boolean {
  return host === DETACH_HOST && port === DETACH_PORT;
}
