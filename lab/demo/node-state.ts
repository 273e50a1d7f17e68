/**
 * What the demo knows about one node, built from its sidecar's log lines and
 * from what the demo did to its processes: the sidecar's role and epoch,
 * whether its redis may take writes, and the role history the SVG draws.
 */
import type { Milestone } from './milestones.js';

/** What the demo did to the node's processes. */
export type ProcState = 'up' | 'down' | 'frozen' | 'redis-down' | 'sidecar-frozen';

/** What a lane of the timeline shows. */
export type LaneRole = 'primary' | 'primary-fenced' | 'replica' | 'candidate' | 'down' | 'frozen' | 'starting';

export class NodeState {
  /** The sidecar's role as it last logged it. */
  role: 'primary' | 'replica' | 'candidate' | 'starting' = 'starting';
  epoch = 0;
  fenced = false;
  writesAllowed = false;
  proc: ProcState = 'up';
  /** The member this node's redis follows, per its sidecar. */
  following: string | undefined;
  readonly history: { t: number; role: LaneRole }[] = [];

  constructor(readonly id: string) {}

  /** Primary with writes allowed, redis not fenced, and its processes running. */
  get writable(): boolean {
    return this.proc === 'up' && this.role === 'primary' && this.writesAllowed && !this.fenced;
  }

  get laneRole(): LaneRole {
    if (this.proc === 'down') return 'down';
    if (this.proc === 'frozen' || this.proc === 'sidecar-frozen') return 'frozen';
    if (this.proc === 'redis-down') return 'down';
    if (this.role === 'primary') return this.writable ? 'primary' : 'primary-fenced';
    return this.role;
  }

  /**
   * Apply one milestone of this node. Returns a derived `writable`
   * milestone when the node has just become a writable primary.
   */
  apply(m: Milestone): Milestone | undefined {
    const before = this.writable;
    if (m.epoch !== undefined && m.epoch > this.epoch) this.epoch = m.epoch;
    switch (m.kind) {
      case 'started':
        this.role = 'replica';
        this.fenced = false;
        this.writesAllowed = false;
        this.following = undefined;
        break;
      case 'role':
        if (m.to === 'primary' || m.to === 'replica' || m.to === 'candidate') this.role = m.to;
        if (m.to !== 'primary') this.writesAllowed = false;
        break;
      case 'writes-allowed':
        this.writesAllowed = true;
        break;
      case 'writes-stopped':
        this.writesAllowed = false;
        break;
      case 'fenced':
        this.fenced = true;
        break;
      case 'unfenced':
        this.fenced = false;
        break;
      case 'follow':
        this.following = m.other;
        break;
      case 'detect':
        // The Elector's word only: the runtime's `detached` lags it, and can land after the Elector
        // already follows the next primary (a deposed primary's redis detaches, then replicates).
        this.following = undefined;
        break;
      case 'stopped':
        this.role = 'starting';
        break;
    }
    this.note(m.t);
    if (!before && this.writable) {
      return { kind: 'writable', t: m.t, node: this.id, text: 'writable primary: lease held, redis unfenced', shown: true, epoch: this.epoch };
    }
    return undefined;
  }

  setProc(t: number, proc: ProcState): void {
    this.proc = proc;
    if (proc === 'down') {
      this.role = 'starting';
      this.writesAllowed = false;
    }
    this.note(t);
  }

  private note(t: number): void {
    const role = this.laneRole;
    const last = this.history.at(-1);
    if (last?.role === role) return;
    // Log lines of one millisecond can arrive in any order; keep the history sorted.
    if (last && t < last.t) t = last.t;
    this.history.push({ t, role });
  }
}
