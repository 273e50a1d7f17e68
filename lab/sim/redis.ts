/**
 * The modelled redis of one data node: alive or dead, a run id that changes
 * on every restart, master or replica, whom it replicates from and with which
 * credential, the write log (offset = log length) and the write fence.
 *
 * Log entries are globally unique write ids and a write sits at the same
 * index in every log that holds it (replication copies a prefix and appends
 * in order; truncation only drops a suffix). So "a is a prefix of b" is an
 * O(1) test on a's last entry, and the common prefix a binary search.
 *
 * The epoch marker (src/redis/epoch-marker.ts, protocol.md §5.6): right after
 * REPLICAOF NO ONE the new primary of epoch E appends one entry of its own,
 * the marker, before any client write of E. It replicates, truncates and
 * resyncs like any entry. A redis's data epoch is the epoch of the last
 * marker in its log, 0 when it holds none: what the sidecar reads with
 * FCALL_RO on every poll. Markers are kept alongside the log as (index, epoch)
 * pairs in index order, so reading the data epoch is O(1).
 */
import type { Rng } from './rng.js';

export class RedisModel {
  alive = true;
  /** Changes on every restart; a replica's credential is bound to one run id. */
  runId: number;
  role: 'master' | 'replica' = 'replica';
  /** Node index this redis replicates from, or -1 when detached. */
  masterIdx = -1;
  /** The run id of the master's redis when the sidecar attached us; syncing needs it to match. */
  attachRunId = -1;
  log: number[] = [];
  /** Indices of the epoch markers in `log`, ascending, and their epochs (parallel). */
  markerIdx: number[] = [];
  markerEpoch: number[] = [];
  /** A fenced master refuses writes (the sidecar's write fence). Replicas are read-only anyway. */
  fenced = true;
  /** True time at which a full resync in progress completes, or -1. */
  syncUntil = -1;
  /**
   * `master_replid`: the replication history. New on promotion and on an
   * EMPTY restart; a replica takes its master's on every sync. (Restarted with
   * its data, redis keeps it: the RDB carries it.)
   */
  replId: number;
  /** `master_link_status` up: synced with the current attachment (the master must also be alive with the same run id). */
  linked = false;
  /** While master: the epoch it was promoted in (writes it takes belong to that epoch's stream); 0 otherwise. */
  primaryEpoch = 0;
  /**
   * Whether redis keeps a replication backlog. A master that never had a replica has none and
   * reports `master_repl_offset:0` whatever it holds (as redis does); it gets one when a replica
   * first syncs from it, or when it syncs from a master itself. Only the `adopt` scenario's stray
   * master starts without.
   */
  backlog = true;

  /** The offset INFO reports: the log length, or 0 without a backlog. */
  get reportedOffset(): number {
    return this.backlog ? this.log.length : 0;
  }

  constructor(runId: number, replId: number) {
    this.runId = runId;
    this.replId = replId;
  }

  /** The epoch of the last marker in the log (0: none), as FCALL_RO resp_elect_epoch reads it. */
  get dataEpoch(): number {
    const k = this.markerEpoch.length;
    return k > 0 ? this.markerEpoch[k - 1]! : 0;
  }

  /** The new primary of `epoch` writes its marker (entry `id`) into its stream. */
  appendMarker(id: number, epoch: number): void {
    this.markerIdx.push(this.log.length);
    this.markerEpoch.push(epoch);
    this.log.push(id);
  }

  /** Drop the log beyond `len` entries, markers included. */
  truncate(len: number): void {
    if (len >= this.log.length) return;
    this.log.length = len;
    while (this.markerIdx.length > 0 && this.markerIdx[this.markerIdx.length - 1]! >= len) {
      this.markerIdx.pop();
      this.markerEpoch.pop();
    }
  }

  get syncing(): boolean {
    return this.syncUntil >= 0;
  }

  /** Whether this log contains write `id` at index `idx`. */
  holds(id: number, idx: number): boolean {
    return this.log[idx] === id;
  }

  detach(): void {
    this.role = 'replica';
    this.masterIdx = -1;
    this.attachRunId = -1;
    this.syncUntil = -1;
    this.linked = false;
    this.primaryEpoch = 0;
  }

  /** REPLICAOF master, with a credential valid only for the master's current redis run. */
  attach(masterIdx: number, master: RedisModel | null): void {
    this.role = 'replica';
    this.masterIdx = masterIdx;
    this.attachRunId = master !== null && master.alive ? master.runId : -1;
    this.syncUntil = -1;
    this.linked = false;
    this.primaryEpoch = 0;
  }

  /**
   * REPLICAOF NO ONE, for the primary of `epoch`. A new replication id, except
   * on a redis that is a master already (then redis does nothing).
   */
  promote(epoch: number, replId: number): void {
    this.primaryEpoch = epoch;
    if (this.role === 'master') return;
    this.role = 'master';
    this.masterIdx = -1;
    this.attachRunId = -1;
    this.syncUntil = -1;
    this.linked = false;
    this.replId = replId;
  }

  /** Redis died; its data stays on disk. */
  kill(): void {
    this.alive = false;
    this.syncUntil = -1;
    this.linked = false;
  }

  /** Redis comes back (new run id) detached and read-only, with its data or EMPTY. */
  restart(runId: number, empty: boolean, replId: number): void {
    this.alive = true;
    this.runId = runId;
    this.role = 'replica';
    this.masterIdx = -1;
    this.attachRunId = -1;
    this.fenced = true;
    this.syncUntil = -1;
    this.linked = false;
    this.primaryEpoch = 0;
    if (empty) {
      this.log = [];
      this.markerIdx = [];
      this.markerEpoch = [];
      this.replId = replId;
    }
  }

  /**
   * One round of replication from `m` (the caller checked the link, liveness
   * and credential). A replica whose log is not a prefix of the master's, or
   * that lags beyond the backlog, does a full resync: it truncates to the
   * common prefix and stays unhealthy until the snapshot lands; otherwise it
   * applies 0..applyMax entries.
   * Returns 'full-sync' when a full resync started this round, 'synced' when one completed.
   */
  pull(m: RedisModel, now: number, rng: Rng, applyMax: number, backlog: number, fullSyncMs: readonly [number, number]): 'full-sync' | 'synced' | 'applied' {
    const mine = this.log;
    const theirs = m.log;
    m.backlog = true;
    if (this.syncUntil >= 0) {
      if (now < this.syncUntil) return 'applied';
      this.log = theirs.slice();
      this.markerIdx = m.markerIdx.slice();
      this.markerEpoch = m.markerEpoch.slice();
      this.syncUntil = -1;
      this.linked = true;
      this.replId = m.replId;
      this.backlog = true;
      return 'synced';
    }
    const len = mine.length;
    const prefix = len === 0 || (len <= theirs.length && theirs[len - 1] === mine[len - 1]);
    if (!prefix || theirs.length - len > backlog) {
      if (!prefix) this.truncate(commonPrefix(mine, theirs));
      this.syncUntil = now + fullSyncMs[0] + rng.next() * (fullSyncMs[1] - fullSyncMs[0]);
      this.linked = false;
      return 'full-sync';
    }
    // A partial resync (or streaming): the link is up and the replica is on the master's history.
    this.linked = true;
    this.backlog = true;
    this.replId = m.replId;
    const k = Math.min(Math.floor(rng.next() * (applyMax + 1)), theirs.length - len);
    for (let i = 0; i < k; i++) mine.push(theirs[len + i]!);
    if (k > 0) {
      // Markers among the entries just copied: the master's, in [len, len + k).
      const mi = m.markerIdx;
      let j = mi.length;
      while (j > 0 && mi[j - 1]! >= len) j--;
      for (; j < mi.length && mi[j]! < len + k; j++) {
        this.markerIdx.push(mi[j]!);
        this.markerEpoch.push(m.markerEpoch[j]!);
      }
    }
    return 'applied';
  }
}

/** Length of the longest common prefix of two logs (entries unique, fixed index: binary search). */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid - 1] === b[mid - 1]) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
