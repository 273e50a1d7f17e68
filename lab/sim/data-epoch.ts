/**
 * The data epoch fed to the Elector with every offset (setReplOffset's third
 * argument), chosen by SimParams.dataEpochFeed:
 *
 * - 'marker' (default): what the real sidecar does since the epoch marker
 *   (src/redis/epoch-marker.ts, protocol.md §5.6). The new primary of epoch E
 *   appends a marker entry to its log right after REPLICAOF NO ONE, before any
 *   client write of E; a node's data epoch is the epoch of the last marker in
 *   its log, 0 when there is none (RedisModel.dataEpoch). Replication,
 *   truncation, full resync and EMPTY restarts carry it with the data, and a
 *   restarted sidecar simply reads it again.
 *
 * - 'exact': the oracle. A log's data epoch is the largest E such that the
 *   log is a prefix of the E primary's stream and holds at least what that
 *   primary held right after it was promoted (its marker included). Computed
 *   from the log and the history of promotions alone (DataHistory).
 *
 * The two agree by construction: the entries after marker E in any log come
 * from E's stream, and a log holding E's promotion-time prefix holds marker E.
 * Every poll compares them (RunStats.markerMismatches, which must stay 0), so
 * the sweeps check that construction as they go.
 */

export type DataEpochFeed = 'marker' | 'exact';
export const DATA_EPOCH_FEEDS: readonly DataEpochFeed[] = ['marker', 'exact'];

/**
 * What the exact feed needs to know about every epoch's stream: where each
 * primary's log stood when it was promoted (its base) and in which epoch
 * every write was taken.
 */
export class DataHistory {
  /** Bases by length: [epoch, last entry (or -1 when empty)] pairs. */
  private readonly bases = new Map<number, number[]>();
  private readonly seen = new Set<number>();
  /** Epoch each write id was taken in (ids are dense, from 1). */
  private readonly writeEpoch: number[] = [0];

  /** The redis `log` became primary of `epoch`, its marker appended (called once per epoch; repeats ignored). */
  promoted(epoch: number, log: readonly number[]): void {
    if (this.seen.has(epoch)) return;
    this.seen.add(epoch);
    const len = log.length;
    const list = this.bases.get(len);
    const entry = [epoch, len > 0 ? log[len - 1]! : -1];
    if (list) list.push(...entry);
    else this.bases.set(len, entry);
  }

  wrote(id: number, epoch: number): void {
    this.writeEpoch[id] = epoch;
  }

  /**
   * The largest E such that `log` is a prefix of the E primary's stream and at
   * least as long as that primary's log when it was promoted. If the last entry
   * was written in W the log holds W's base and is a prefix of W's stream; a
   * later E can only qualify by a base exactly as long as the log.
   */
  epochOf(log: readonly number[]): number {
    const len = log.length;
    let e = len > 0 ? (this.writeEpoch[log[len - 1]!] ?? 0) : 0;
    const list = this.bases.get(len);
    if (list) {
      const last = len > 0 ? log[len - 1]! : -1;
      for (let k = 0; k < list.length; k += 2) if (list[k + 1] === last && list[k]! > e) e = list[k]!;
    }
    return e;
  }
}
