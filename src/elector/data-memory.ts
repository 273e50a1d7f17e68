import type { DataPoint } from './events.js';

/**
 * Orders data: a later data epoch first, then a higher offset (protocol.md
 * 5.6). Negative when `a` holds less than `b`. With `byEpoch` false (rule
 * data-epoch-order switched off, tests only) offsets alone compare.
 */
export function compareData(a: DataPoint, b: DataPoint, byEpoch = true): number {
  if (byEpoch && a.dataEpoch !== b.dataEpoch) return a.dataEpoch - b.dataEpoch;
  return a.offset - b.offset;
}

/**
 * Rule data-memory (protocol.md 5.6): the most data this node's redis held in
 * this process's life. Data only falls below it when the redis lost data
 * (restarted empty, or from an older snapshot; a resync from a newer primary
 * raises the data epoch instead). Such a voter cannot see which acknowledged
 * writes it held, so for `memoryMs` it judges candidates against what it held:
 * a candidate that lacks them is refused, a holder elsewhere can still win.
 * After `memoryMs` it judges by what it holds now: if every holder of a write
 * is gone, remembering it longer would only stop every election.
 *
 * Pure: the Elector feeds it samples and times and emits the events.
 */
export class DataMemory {
  private most: DataPoint = { dataEpoch: 0, offset: 0 };
  /** When the data was first seen below `most`; null while it has not fallen. */
  private fellAt: number | null = null;

  constructor(
    /** How long a fall is remembered; 0 (or the rule switched off) remembers nothing. */
    readonly memoryMs: number,
    private readonly byEpoch: boolean,
  ) {}

  /** The data to judge candidates against: the most held while a fall is remembered, else the data held now. */
  get held(): DataPoint {
    return this.most;
  }

  /** When the data was first seen below the most held (null: it has not fallen): the fall is forgotten memoryMs later. */
  get fellAtMs(): number | null {
    return this.fellAt;
  }

  /** Whether the redis lost data and the fall is still remembered. */
  get lost(): boolean {
    return this.fellAt !== null;
  }

  /** The data to judge a candidate against at `nowMs`, and whether it is remembered from before a loss: what `expire` would leave, without changing anything. */
  judgeBy(now: DataPoint, nowMs: number): { held: DataPoint; lost: boolean } {
    if (this.fellAt !== null && nowMs - this.fellAt >= this.memoryMs) return { held: now, lost: false };
    return { held: this.most, lost: this.fellAt !== null };
  }

  /** A new sample of the local data. Returns the point held before, when this is the first sample below it. */
  observe(now: DataPoint, nowMs: number): DataPoint | null {
    if (compareData(now, this.most, this.byEpoch) >= 0 || this.memoryMs <= 0) {
      this.most = { ...now };
      this.fellAt = null;
      return null;
    }
    if (this.fellAt !== null) return null;
    this.fellAt = nowMs;
    return { ...this.most };
  }

  /** Forgets a fall older than memoryMs; returns the point forgotten, or null when nothing was. */
  expire(now: DataPoint, nowMs: number): DataPoint | null {
    if (this.fellAt === null || nowMs - this.fellAt < this.memoryMs) return null;
    const forgotten = this.most;
    this.most = { ...now };
    this.fellAt = null;
    return forgotten;
  }
}
