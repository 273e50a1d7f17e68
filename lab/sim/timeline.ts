/**
 * The run's timeline: one line per message sent or dropped, Elector event,
 * fault and acknowledged write, recorded only when tracing (the sweep runs
 * without it and replays a failing seed with it). The full text is what the
 * determinism test hashes; the trimmed view is what a violation prints.
 */
import { hashString } from './rng.js';

/** 'hb': HB, LEASE, LEASEACK and peer up/down, left out of the trimmed view unless verbose. */
export type LineKind = 'fault' | 'msg' | 'hb' | 'event' | 'ack' | 'redis' | 'check';

export interface TraceLine {
  t: number;
  kind: LineKind;
  text: string;
}

export class Timeline {
  readonly lines: TraceLine[] = [];

  add(t: number, kind: LineKind, text: string): void {
    this.lines.push({ t, kind, text });
  }

  text(): string {
    let s = '';
    for (const l of this.lines) s += `${fmtT(l.t)} ${l.text}\n`;
    return s;
  }

  /** FNV-1a over the full text, hex. */
  hash(): string {
    let h = 0x811c9dc5;
    for (const l of this.lines) {
      h = hashString(fmtT(l.t), h);
      h = hashString(l.text, h);
    }
    return (h >>> 0).toString(16).padStart(8, '0');
  }

  /**
   * The part that matters: every fault, and everything else from `from` to
   * `to`; heartbeats and lease rounds only when verbose; runs of consecutive
   * acknowledged writes folded into one line.
   */
  trimmed(from: number, to: number, verbose = false): string {
    const out: string[] = [];
    let skipped = 0;
    let ackRun: { first: TraceLine; last: TraceLine; count: number } | null = null;
    const flushAcks = (): void => {
      if (!ackRun) return;
      if (ackRun.count === 1) out.push(`${fmtT(ackRun.first.t)} ${ackRun.first.text}`);
      else out.push(`${fmtT(ackRun.first.t)} ${ackRun.first.text}  …  ${fmtT(ackRun.last.t)} ${ackRun.last.text}  (${ackRun.count} writes acknowledged)`);
      ackRun = null;
    };
    for (const l of this.lines) {
      const inWindow = l.t >= from && l.t <= to;
      if (!inWindow && l.kind !== 'fault' && l.kind !== 'check') {
        if (l.t < from) skipped++;
        continue;
      }
      if (l.kind === 'hb' && !verbose) continue;
      if (l.kind === 'ack') {
        if (ackRun) {
          ackRun.last = l;
          ackRun.count++;
        } else ackRun = { first: l, last: l, count: 1 };
        continue;
      }
      flushAcks();
      out.push(`${fmtT(l.t)} ${l.text}`);
    }
    flushAcks();
    if (skipped > 0) out.unshift(`(${skipped} lines before t=${from.toFixed(0)} left out; faults are always shown)`);
    return out.join('\n');
  }
}

export function fmtT(t: number): string {
  return `t=${t.toFixed(3).padStart(9)}`;
}
