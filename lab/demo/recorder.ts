/**
 * Everything that happened during a demo run, in one place: the sidecars'
 * milestones, what the demo did (faults, restarts), and every write the
 * writer attempted. The live display, the phase analysis, the summary and
 * the SVG all read from here.
 */
import { EventEmitter } from 'node:events';
import type { SidecarLine } from './log-line.js';
import { milestoneOf, type Milestone } from './milestones.js';
import { NodeState, type ProcState } from './node-state.js';
import type { WriteRecord } from '../workload/writer.js';

/** Something the demo itself did or saw. */
export interface DemoEvent {
  t: number;
  node?: string;
  kind: 'fault' | 'heal' | 'restart' | 'in-sync' | 'switchover' | 'note';
  text: string;
}

export interface RecorderEvents {
  milestone: [m: Milestone];
  event: [e: DemoEvent];
}

export class Recorder extends EventEmitter<RecorderEvents> {
  readonly nodes = new Map<string, NodeState>();
  readonly milestones: Milestone[] = [];
  readonly events: DemoEvent[] = [];
  readonly writes: WriteRecord[] = [];

  constructor(nodeIds: readonly string[]) {
    super();
    for (const id of nodeIds) this.nodes.set(id, new NodeState(id));
  }

  node(id: string): NodeState {
    let n = this.nodes.get(id);
    if (!n) {
      n = new NodeState(id);
      this.nodes.set(id, n);
    }
    return n;
  }

  addLine(line: SidecarLine): void {
    const m = milestoneOf(line, this.nodes.get(line.node)?.following);
    if (!m) return;
    this.addMilestone(m);
    const derived = this.node(m.node).apply(m);
    if (derived) this.addMilestone(derived);
  }

  private addMilestone(m: Milestone): void {
    this.milestones.push(m);
    this.emit('milestone', m);
  }

  addEvent(e: DemoEvent): void {
    this.events.push(e);
    this.emit('event', e);
  }

  setProc(node: string, proc: ProcState, t = Date.now()): void {
    this.node(node).setProc(t, proc);
  }

  addWrite(w: WriteRecord): void {
    this.writes.push(w);
  }

  /** Milestones from `from` (inclusive) to `to` (exclusive), in time order. */
  milestonesBetween(from: number, to = Infinity): Milestone[] {
    return this.milestones.filter((m) => m.t >= from && m.t < to).sort((a, b) => a.t - b.t);
  }
}
