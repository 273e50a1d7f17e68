/**
 * Tells a phase (a fault, a restart, a switchover) as it happens: each
 * milestone and writer transition as one line with its time relative to the
 * start of the phase. Log lines from different sidecars arrive a few
 * milliseconds apart and out of order, so lines wait a moment in a buffer
 * and leave it sorted by their own timestamps.
 */
import type { Milestone } from './milestones.js';
import type { WriteRecord } from '../workload/writer.js';

interface Item {
  t: number;
  node: string;
  text: string;
  key?: string;
}

export function formatStep(t: number, ref: number, node: string, text: string): string {
  const rel = Math.round(t - ref);
  const stamp = `${rel >= 0 ? '+' : '-'}${Math.abs(rel)} ms`.padStart(9);
  return `  ${stamp}  ${node.padEnd(6)}  ${text}`;
}

export class Narrator {
  private ref = 0;
  private active = false;
  private buffer: Item[] = [];
  private seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private writerFailing = false;
  private writerBack = false;

  constructor(
    private readonly print: (line: string) => void,
    private readonly nodeOfPort: (port: number | undefined) => string | undefined,
    private readonly delayMs = 120,
  ) {}

  /** Start telling a phase whose moments are shown relative to `ref`. */
  begin(ref: number): void {
    this.flush(Infinity);
    this.ref = ref;
    this.active = true;
    this.seen = new Set();
    this.writerFailing = false;
    this.writerBack = false;
    this.timer ??= setInterval(() => this.flush(Date.now() - this.delayMs), 40);
  }

  /** Flush everything and stop telling. */
  end(): void {
    this.flush(Infinity);
    this.active = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A line of the demo's own (the fault, a restart) at time t. */
  say(t: number, node: string, text: string): void {
    if (!this.active) return;
    this.buffer.push({ t, node, text });
  }

  milestone(m: Milestone): void {
    if (!this.active || !m.shown || m.t < this.ref) return;
    // Retargeting is re-logged while a sync is set up; one line per node and target is enough.
    const key = m.kind === 'retarget' || m.kind === 'detect' || m.kind === 'detached' ? `${m.kind}/${m.node}/${m.other ?? ''}/${m.epoch ?? ''}` : undefined;
    if (key !== undefined) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    if (m.kind === 'writable') {
      // Writable, fenced for a poll, writable again: one line, at the later moment.
      const key = `writable/${m.node}/${m.epoch ?? ''}`;
      const prev = this.buffer.findIndex((i) => i.key === key);
      if (prev >= 0) {
        if (this.buffer[prev]!.t >= m.t) return;
        this.buffer.splice(prev, 1);
      } else if (this.seen.has(key)) return;
      this.seen.add(key);
      this.buffer.push({ t: m.t, node: m.node, text: m.text, key });
      return;
    }
    this.buffer.push({ t: m.t, node: m.node, text: m.text });
  }

  write(w: WriteRecord): void {
    if (!this.active || w.t < this.ref) return;
    if (w.result !== 'acked' && !this.writerFailing && !this.writerBack) {
      this.writerFailing = true;
      this.buffer.push({ t: w.t, node: 'writer', text: `write failed: ${w.error ?? w.result}` });
    } else if (w.result === 'acked' && this.writerFailing && !this.writerBack) {
      this.writerBack = true;
      const node = this.nodeOfPort(w.port);
      this.buffer.push({ t: w.t, node: 'writer', text: `back: acknowledged write on ${node ?? 'the new primary'}${w.port ? ` (127.0.0.1:${w.port})` : ''}` });
    }
  }

  private flush(upTo: number): void {
    if (this.buffer.length === 0) return;
    const ready = this.buffer.filter((i) => i.t <= upTo).sort((a, b) => a.t - b.t);
    if (ready.length === 0) return;
    this.buffer = this.buffer.filter((i) => i.t > upTo);
    for (const i of ready) this.print(formatStep(i.t, this.ref, i.node, i.text));
  }
}
