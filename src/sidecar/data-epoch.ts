import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileDurably } from '../elector/durable-file.js';
import type { RedisStatus } from '../redis/status.js';

/**
 * Tracks the local redis's data epoch: the epoch of the primary whose stream
 * its data last caught up with (protocol.md §5.6). The Elector compares data
 * as (data epoch, offset), so a deposed primary's longer but older log never
 * beats a replica that holds the newer epoch's acknowledged writes.
 *
 * - Promoted in epoch E: E.
 * - Following the primary of E: E once the link is up and the offset reached
 *   what that primary reported when we started following it (so the data
 *   holds everything the primary had when it was elected).
 * - Persisted with the redis replication id, so a sidecar restart keeps it;
 *   a redis that restarted with another replication id starts from 0.
 */
export class DataEpochTracker {
  private value = 0;
  private replId: string | undefined;
  private catchUp: { primary: string; host: string; port: number; epoch: number; minOffset: number } | undefined;
  private readonly file: string;
  private stored: { dataEpoch: number; replId: string } | undefined;

  constructor(
    dataDir: string,
    private readonly onError: (message: string) => void,
  ) {
    this.file = path.join(dataDir, 'data-epoch.json');
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { dataEpoch?: unknown; replId?: unknown };
      if (Number.isSafeInteger(parsed.dataEpoch) && typeof parsed.replId === 'string') this.stored = { dataEpoch: parsed.dataEpoch as number, replId: parsed.replId };
    } catch {
      // Missing or unreadable: the data epoch is re-learned from the next sync (0 until then).
    }
  }

  get dataEpoch(): number {
    return this.value;
  }

  /** This node's redis became primary of `epoch`. */
  promoted(epoch: number, status: RedisStatus): void {
    this.catchUp = undefined;
    this.set(epoch, status.replication?.replId);
  }

  /** We started following `primary` (its redis at host:port) in `epoch`; it reported `minOffset`. */
  following(primary: string, host: string, port: number, epoch: number, minOffset: number): void {
    this.catchUp = { primary, host, port, epoch, minOffset };
  }

  /** Feed every poll; returns the data epoch to report. */
  observe(status: RedisStatus): number {
    const rep = status.replication;
    if (!status.reachable || !rep) return this.value;
    if (rep.replId !== undefined && this.replId === undefined && this.stored) {
      // First poll after a sidecar restart: trust the stored value only for the same history.
      if (this.stored.replId === rep.replId) this.value = this.stored.dataEpoch;
      this.replId = rep.replId;
    }
    const c = this.catchUp;
    if (
      c &&
      rep.role === 'slave' &&
      rep.masterHost?.toLowerCase() === c.host.toLowerCase() &&
      rep.masterPort === c.port &&
      rep.linkStatus === 'up' &&
      (status.offset ?? 0) >= c.minOffset
    ) {
      this.catchUp = undefined;
      this.set(c.epoch, rep.replId);
    }
    return this.value;
  }

  private set(epoch: number, replId: string | undefined): void {
    this.value = epoch;
    this.replId = replId;
    if (replId === undefined) return;
    try {
      writeFileDurably(this.file, `${JSON.stringify({ dataEpoch: epoch, replId })}\n`);
      this.stored = { dataEpoch: epoch, replId };
    } catch (err) {
      this.onError(`cannot save ${this.file}: ${(err as Error).message}`);
    }
  }
}
