/**
 * The invariants, checked while the run goes (the world calls in at every
 * Elector call, lease gain, acknowledged write and data loss), so a violation
 * is reported at the instant it happens, not only at the end.
 *
 *  1 one-winner    At most one node wins any epoch (`elected` events).
 *  2 single-lease  At no instant do two nodes hold a primary lease: each
 *                  node's hasLease() is asked at its own local time for the
 *                  same true instant (see params.ts for the drift bound).
 *  3 acked-writes  Whenever a node gains a lease, and at the end, its redis
 *                  holds every acknowledged write; at the end every live
 *                  replica following it holds them too.
 *  4 liveness      After the last fault, one lease holder followed by every
 *                  live member within livenessBoundMs (checked by the world).
 *  5 stability     Every epoch any node adopts was stood for in an election;
 *                  with no faults, or only faults that leave the primary and a
 *                  majority untouched, there is no election after the first.
 *  6 config-monotonic  No node's configuration (version, epoch) ever goes
 *                  back, across its sidecar restarts too (checked by the world
 *                  on every configuration a node installs or starts with).
 *  7 elector-invariant The Elector's own assertions (invariants.ts, after
 *                  every entry point) hold: among them, a learner is never
 *                  counted in a round and a configuration never goes back
 *                  within a process. A throw is caught by the world.
 */
import { copiesNeeded } from '../../src/elector/membership.js';

export type Invariant = 'one-winner' | 'single-lease' | 'acked-writes' | 'liveness' | 'stability' | 'config-monotonic' | 'elector-invariant';
export const INVARIANTS: readonly Invariant[] = ['one-winner', 'single-lease', 'acked-writes', 'liveness', 'stability', 'config-monotonic', 'elector-invariant'];

export interface Violation {
  invariant: Invariant;
  /** True time, ms. */
  t: number;
  message: string;
}

export interface CheckerHost {
  readonly memberCount: number;
  name(idx: number): string;
  /** Does node `idx` hold a lease at true time `t` (asked at its local time)? False when its sidecar is down. */
  holdsLease(idx: number, t: number): boolean;
}

export class Checker {
  violation: Violation | null = null;
  private readonly host: CheckerHost;
  private readonly winners = new Map<number, number>();
  /** Nodes that held a lease when last asked; a superset of the current holders. */
  private holders: number[] = [];
  /** Acknowledged writes still protected: id, index, ack time (parallel arrays). */
  ackIds: number[] = [];
  ackIdxs: number[] = [];
  ackTimes: number[] = [];
  /** Acknowledged writes no longer protected: a data-losing fault left fewer copies than any majority must meet. */
  excused = 0;
  readonly startedEpochs = new Set<number>();
  private readonly unverifiedEpochs: { epoch: number; node: number; t: number }[] = [];

  constructor(host: CheckerHost) {
    this.host = host;
  }

  fail(invariant: Invariant, t: number, message: string): void {
    if (this.violation === null) this.violation = { invariant, t, message };
  }

  // --- 1 ----------------------------------------------------------------------

  onElected(node: number, epoch: number, t: number): void {
    const prev = this.winners.get(epoch);
    if (prev === undefined) this.winners.set(epoch, node);
    else if (prev !== node) this.fail('one-winner', t, `${this.host.name(node)} won epoch ${epoch}, which ${this.host.name(prev)} had already won`);
  }

  // --- 2 ----------------------------------------------------------------------

  /**
   * After every Elector call on `node`: if it holds a lease now, nobody else
   * may. A node only starts holding a lease inside one of its own Elector
   * calls, so checking at those moments checks every instant.
   */
  afterCall(node: number, holds: boolean, t: number): void {
    if (this.unverifiedEpochs.length > 0) this.verifyEpochs();
    if (!holds) return;
    const hs = this.holders;
    let present = false;
    for (let k = 0; k < hs.length; ) {
      const j = hs[k]!;
      if (j === node) {
        present = true;
        k++;
        continue;
      }
      if (this.host.holdsLease(j, t)) {
        this.fail('single-lease', t, `${this.host.name(node)} holds a lease while ${this.host.name(j)} still holds one`);
        k++;
      } else {
        hs[k] = hs[hs.length - 1]!;
        hs.pop();
      }
    }
    if (!present) hs.push(node);
  }

  /** The node whose sidecar died holds no lease any more. */
  forget(node: number): void {
    const i = this.holders.indexOf(node);
    if (i >= 0) this.holders.splice(i, 1);
  }

  /** Any lease holder at true time t (prunes the holder list). */
  anyHolder(t: number): boolean {
    const hs = this.holders;
    for (let k = 0; k < hs.length; ) {
      if (this.host.holdsLease(hs[k]!, t)) return true;
      hs[k] = hs[hs.length - 1]!;
      hs.pop();
    }
    return false;
  }

  // --- 3 ----------------------------------------------------------------------

  onAck(id: number, idx: number, t: number): void {
    this.ackIds.push(id);
    this.ackIdxs.push(idx);
    this.ackTimes.push(t);
  }

  /** Index (into the ack arrays) of the first protected acknowledged write `log` lacks, acked at or before `until`; -1 if none. */
  firstMissing(log: readonly number[], until = Infinity): number {
    const ids = this.ackIds;
    const idxs = this.ackIdxs;
    const times = this.ackTimes;
    for (let k = 0; k < ids.length; k++) {
      if (times[k]! > until) break;
      if (log[idxs[k]!] !== ids[k]) return k;
    }
    return -1;
  }

  describeMissing(k: number): string {
    return `write w${this.ackIds[k]} at offset ${this.ackIdxs[k]! + 1}, acknowledged at t=${this.ackTimes[k]!.toFixed(3)}`;
  }

  onLeaseGained(node: number, log: readonly number[], t: number): void {
    const k = this.firstMissing(log);
    if (k >= 0) {
      this.fail('acked-writes', t, `${this.host.name(node)} gained a lease but its redis (offset ${log.length}) lacks ${this.describeMissing(k)}`);
    }
  }

  /**
   * A redis is about to lose its data (restarted EMPTY). Acknowledged writes
   * it held that then remain on fewer nodes than every majority must include
   * (n - majority + 1) are beyond the fault model: excuse them.
   */
  onWipe(node: number, logs: readonly (readonly number[] | null)[]): void {
    const needed = copiesNeeded(this.host.memberCount);
    const mine = logs[node];
    if (!mine) return;
    const keepIds: number[] = [];
    const keepIdxs: number[] = [];
    const keepTimes: number[] = [];
    for (let k = 0; k < this.ackIds.length; k++) {
      const id = this.ackIds[k]!;
      const idx = this.ackIdxs[k]!;
      let keep = true;
      if (mine[idx] === id) {
        let copies = 0;
        for (let j = 0; j < logs.length; j++) if (j !== node && logs[j]?.[idx] === id) copies++;
        keep = copies >= needed;
      }
      if (keep) {
        keepIds.push(id);
        keepIdxs.push(idx);
        keepTimes.push(this.ackTimes[k]!);
      } else {
        this.excused += 1;
      }
    }
    this.ackIds = keepIds;
    this.ackIdxs = keepIdxs;
    this.ackTimes = keepTimes;
  }

  // --- 5 ----------------------------------------------------------------------

  onElectionStart(epoch: number): void {
    this.startedEpochs.add(epoch);
  }

  /** Verified after the Elector call returns (a candidate's epoch event precedes its election-start). */
  onEpochAdopted(node: number, epoch: number, t: number): void {
    if (!this.startedEpochs.has(epoch)) this.unverifiedEpochs.push({ epoch, node, t });
  }

  verifyEpochs(): void {
    for (const u of this.unverifiedEpochs) {
      if (!this.startedEpochs.has(u.epoch)) {
        this.fail('stability', u.t, `${this.host.name(u.node)} adopted epoch ${u.epoch}, which nobody stood for in an election`);
      }
    }
    this.unverifiedEpochs.length = 0;
  }
}
