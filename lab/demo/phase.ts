/**
 * The moments of one failover (or planned switchover), read from the
 * recorded milestones and writes. Pure, so the demo, the compose replay and
 * the tests compute them the same way.
 */
import type { Milestone } from './milestones.js';
import type { WriteRecord } from '../workload/writer.js';

export interface PhaseInput {
  /** When the fault was injected (or the switchover asked for). */
  start: number;
  /** Look no further than this. */
  end?: number;
  /** The primary before the phase. */
  oldPrimary: string;
  milestones: readonly Milestone[];
  writes: readonly WriteRecord[];
  /** The nodes expected to end up replicating from the new primary. */
  replicas: (newPrimary: string) => string[];
  /** Redis port of a node, to tell which primary a write reached. */
  redisPort?: (id: string) => number | undefined;
}

export interface PhaseResult {
  start: number;
  oldPrimary: string;
  newPrimary?: string;
  /** First "primary lost" by another node. */
  detectedAt?: number;
  detectedBy?: string;
  prevoteAt?: number;
  standAt?: number;
  wonAt?: number;
  promotedAt?: number;
  leaseAt?: number;
  /** The new primary is writable: primary, writes allowed, redis unfenced. */
  writableAt?: number;
  /** Every expected replica has been pointed at the new primary. */
  retargetedAt?: number;
  firstFailedWriteAt?: number;
  /** First acknowledged write on the new primary. */
  writerBackAt?: number;
  /** Longest time without an acknowledged write around the phase. */
  gap?: { from: number; to: number; ms: number };
}

const firstAt = (ms: readonly Milestone[], pred: (m: Milestone) => boolean) => ms.find(pred)?.t;

export function analyzePhase(input: PhaseInput): PhaseResult {
  const end = input.end ?? Infinity;
  const ms = input.milestones.filter((m) => m.t >= input.start && m.t < end).sort((a, b) => a.t - b.t);
  const r: PhaseResult = { start: input.start, oldPrimary: input.oldPrimary };
  const detect = ms.find((m) => m.kind === 'detect' && m.node !== input.oldPrimary);
  if (detect) {
    r.detectedAt = detect.t;
    r.detectedBy = detect.node;
  }
  const writable = ms.find((m) => m.kind === 'writable' && m.node !== input.oldPrimary);
  const newPrimary = writable?.node;
  r.newPrimary = newPrimary;
  r.prevoteAt = firstAt(ms, (m) => m.kind === 'prevote' && (newPrimary === undefined || m.node === newPrimary));
  r.standAt = firstAt(ms, (m) => m.kind === 'stand' && (newPrimary === undefined || m.node === newPrimary));
  if (newPrimary !== undefined) {
    r.wonAt = firstAt(ms, (m) => m.kind === 'won' && m.node === newPrimary);
    r.promotedAt = firstAt(ms, (m) => m.kind === 'promoted' && m.node === newPrimary);
    r.leaseAt = firstAt(ms, (m) => m.kind === 'lease' && m.node === newPrimary);
    r.writableAt = writable!.t;
    let last: number | undefined = r.writableAt;
    for (const id of input.replicas(newPrimary)) {
      const t = firstAt(ms, (m) => m.kind === 'retarget' && m.node === id && m.other === newPrimary);
      if (t === undefined) {
        last = undefined;
        break;
      }
      last = Math.max(last ?? t, t);
    }
    r.retargetedAt = last;
  }
  const writes = input.writes.filter((w) => w.t < end);
  r.firstFailedWriteAt = writes.find((w) => w.t >= input.start && w.result !== 'acked')?.t;
  // Which primary a write reached is known by its port (the demo); without ports (compose logs),
  // count from the moment the new primary was writable: the old one may still acknowledge writes
  // after the fault until its replicas leave it (a partition).
  const newPort = newPrimary !== undefined ? input.redisPort?.(newPrimary) : undefined;
  r.writerBackAt =
    newPort !== undefined
      ? writes.find((w) => w.t >= input.start && w.result === 'acked' && w.port === newPort)?.t
      : writes.find((w) => w.t >= (r.writableAt ?? input.start) && w.result === 'acked')?.t;
  // A new primary can be fenced again for a poll or two right after it first became writable
  // (the runtime applies the fence before it sees the lease): the moment that counts is the
  // last time it became writable before the writer got through.
  if (newPrimary !== undefined && r.writerBackAt !== undefined) {
    const last = ms.filter((m) => m.kind === 'writable' && m.node === newPrimary && m.t <= r.writerBackAt!).at(-1);
    if (last) r.writableAt = last.t;
  }
  r.gap = longestAckGap(writes, input.start, r.writerBackAt ?? end);
  return r;
}

/**
 * The longest time between two consecutive acknowledged writes, among the
 * gaps that overlap [from, to]. Undefined when no such gap exists.
 */
export function longestAckGap(writes: readonly WriteRecord[], from = -Infinity, to = Infinity): { from: number; to: number; ms: number } | undefined {
  const acked = writes.filter((w) => w.result === 'acked').map((w) => w.t).sort((a, b) => a - b);
  let best: { from: number; to: number; ms: number } | undefined;
  for (let i = 1; i < acked.length; i++) {
    const a = acked[i - 1]!;
    const b = acked[i]!;
    if (b < from || a > to) continue;
    if (!best || b - a > best.ms) best = { from: a, to: b, ms: b - a };
  }
  return best;
}

/** One line that sums a phase up, times relative to `ref`. */
export function describePhase(what: string, r: PhaseResult, ref: number): string {
  const rel = (t: number | undefined) => (t === undefined ? '?' : `${t - ref} ms`);
  const gap = r.gap ? `; no acknowledged write for ${r.gap.ms} ms` : '';
  return `${what}: ${r.oldPrimary} -> ${r.newPrimary ?? '?'}; detected ${rel(r.detectedAt)}, won ${rel(r.wonAt)}, writable ${rel(r.writableAt)}, replicas retargeted ${rel(r.retargetedAt)}, writer back ${rel(r.writerBackAt)}${gap}`;
}
