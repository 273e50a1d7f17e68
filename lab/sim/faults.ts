/**
 * Faults: what can go wrong, as plain data (so a schedule can be printed,
 * shrunk and replayed), and how each one starts and ends. Targets such as
 * "the primary" are resolved when the fault starts, from the state of the
 * world at that instant, using numbers drawn when the schedule was made.
 */
import { isolateCut, oneWayCut, ringCut, symmetricCut, type Link, type Network } from './network.js';

export type FaultKind =
  | 'crash' // sidecar process dies; restarts after dur (memory lost, vote store kept; redis keeps running)
  | 'host-crash' // sidecar and redis die; both restart after dur (redis with its data, or EMPTY)
  | 'pause' // sidecar stops (SIGSTOP) for dur: no ticks, messages buffered; redis keeps running
  | 'redis-death' // local redis dies; restarts after dur (with its data, or EMPTY)
  | 'partition' // symmetric split into a minority and a majority side
  | 'asymmetric' // one side stops hearing the other; the other way still works
  | 'cut-link' // one link, both ways or one way
  | 'isolate' // one node loses every link
  | 'ring' // majorities ring: every node sees a majority, no two the same
  | 'lossy' // loss, duplication and a long delay tail on every link
  | 'switchover' // the operator asks the primary for a planned hand-off
  | 'misdirected-announce' // a node relays an ANNOUNCE naming another member for an epoch nobody won (Byzantine)
  | 'member-add' // the operator asks the primary to add a spare (retrying while refused); it joins with the fetched configuration and an EMPTY redis
  | 'member-remove' // the operator asks the primary to remove a member (retrying while refused); the removed node keeps running or is stopped
  | 'config-disk'; // the node's configuration store fails every save for dur (a full or read-only disk): it keeps the configuration it has

export const FAULT_KINDS: readonly FaultKind[] = [
  'crash',
  'host-crash',
  'pause',
  'redis-death',
  'partition',
  'asymmetric',
  'cut-link',
  'isolate',
  'ring',
  'lossy',
  'switchover',
  'misdirected-announce',
  'member-add',
  'member-remove',
  'config-disk',
];

/** Who a fault hits, resolved when it starts. `pick` in [0, 1) chooses among the candidates in index order. */
export type Target = { role: 'primary' } | { role: 'replica'; pick: number } | { role: 'any'; pick: number } | { role: 'node'; idx: number };

export interface Fault {
  kind: FaultKind;
  /** True time the fault starts, ms. */
  at: number;
  /** How long it lasts, ms (0 for instant faults). */
  dur: number;
  target?: Target;
  /** cut-link: the other end. */
  target2?: Target;
  oneWay?: boolean;
  /** host-crash, redis-death: redis comes back EMPTY. */
  empty?: boolean;
  /** partition, asymmetric, ring: one number per node, orders the nodes. */
  keys?: number[];
  /** partition, asymmetric: fraction of nodes on the minority side (0, 0.5]. */
  minority?: number;
  /** partition, asymmetric: where the primary goes. For asymmetric, the cut runs from the minority to the majority side. */
  primarySide?: 'minority' | 'majority' | 'any';
  /**
   * partition: instead of keys and minority, a named side: the primary (if `primary`), the first
   * `replicas` other present members (in index order) and the nodes `nodes`; everyone else on the other.
   */
  group?: Group;
  loss?: number;
  dup?: number;
  tailMs?: number;
  /** member-add: which spare joins (0 = the first node slot after the born members), a witness or not, its priority. */
  spare?: number;
  witness?: boolean;
  priority?: number;
  /** member-add, member-remove: the operator asks up to `tries` times, `retryMs` apart, while the primary refuses. */
  tries?: number;
  retryMs?: number;
  /** member-remove: the removed node is stopped for good this long after the change was accepted (unless a later configuration names it again); absent: it keeps running. */
  stopAfterMs?: number;
}

/** A partition's named side (see Fault.group). */
export interface Group {
  primary: boolean;
  replicas: number;
  nodes: number[];
}

/** What the world offers to faults. */
export interface FaultHost {
  readonly n: number;
  readonly net: Network;
  /** The current primary (lease holder first, then any node in role primary), or -1. */
  primaryIdx(): number;
  isDataNode(idx: number): boolean;
  crashSidecar(idx: number): void;
  restartSidecar(idx: number): void;
  killRedis(idx: number): void;
  restartRedis(idx: number, empty: boolean): void;
  /** SIGSTOP the sidecar; returns its incarnation, or -1 when it is not running. */
  pause(idx: number): number;
  /** SIGCONT, if that incarnation is still the one running. */
  resume(idx: number, incarnation: number): void;
  switchover(): string;
  forgeAnnounce(from: number, claimed: number): string;
  /** Node slot `idx` holds a running member (not a spare yet to join, not a removed node that was stopped). */
  isPresent(idx: number): boolean;
  /** member-add / member-remove: the operator's first request (the world retries while refused). */
  memberChange(f: Fault): string;
  /** The configuration store of node `idx` fails every save (true) or works again (false). */
  failConfigSaves(idx: number, failing: boolean): void;
}

/** What a started fault needs to end itself, and what it touched (for the stability rule). */
export interface ActiveFault {
  nodes: number[];
  links: Link[];
  lossy?: { loss: number; dup: number; tailP: number; tailMs: number };
  /** Nodes whose view of the primary this fault disturbs (the primary itself when it is hit). */
  affected: number[];
  /** pause: the sidecar incarnation that was stopped. */
  incarnation?: number;
  text: string;
}

export function resolveTarget(t: Target, host: FaultHost, exclude = -1): number {
  if (t.role === 'node') return t.idx;
  const p = host.primaryIdx();
  if (t.role === 'primary' && p >= 0 && p !== exclude) return p;
  const pick = t.role === 'primary' ? 0 : t.pick;
  const cands: number[] = [];
  for (let i = 0; i < host.n; i++) {
    if (i === exclude || !host.isPresent(i)) continue;
    if (t.role === 'replica' && i === p) continue;
    if (t.role === 'primary' && !host.isDataNode(i)) continue;
    cands.push(i);
  }
  if (cands.length === 0) {
    for (let i = 0; i < host.n; i++) if (i !== exclude && host.isPresent(i)) return i;
    return exclude === 0 ? 1 : 0;
  }
  return cands[Math.floor(pick * cands.length)]!;
}

/** Sides of a split: the nodes ordered by key, the first `size` form the minority; the primary moved as asked. */
function sides(f: Fault, host: FaultHost): { small: number[]; big: number[] } {
  if (f.group) return groupSides(f.group, host);
  const order = presentByKey(f, host);
  const n = order.length;
  const size = Math.max(1, Math.min(Math.floor((n - 1) / 2), Math.floor(n * (f.minority ?? 0.5))));
  const small = order.slice(0, size);
  const big = order.slice(size);
  const p = host.primaryIdx();
  if (p >= 0 && f.primarySide === 'minority' && big.includes(p)) {
    big[big.indexOf(p)] = small[0]!;
    small[0] = p;
  } else if (p >= 0 && f.primarySide === 'majority' && small.includes(p)) {
    small[small.indexOf(p)] = big[0]!;
    big[0] = p;
  }
  small.sort((a, b) => a - b);
  big.sort((a, b) => a - b);
  return { small, big };
}

/** A partition's named side: the primary, `replicas` other members and `nodes`; the rest of the present nodes on the other side. */
function groupSides(g: Group, host: FaultHost): { small: number[]; big: number[] } {
  const p = host.primaryIdx();
  const small = g.primary && p >= 0 ? [p] : [];
  for (let i = 0, k = 0; i < host.n && k < g.replicas; i++) {
    if (i !== p && !g.nodes.includes(i) && host.isPresent(i)) {
      small.push(i);
      k++;
    }
  }
  for (const x of g.nodes) if (!small.includes(x)) small.push(x);
  const big: number[] = [];
  for (let i = 0; i < host.n; i++) if (host.isPresent(i) && !small.includes(i)) big.push(i);
  small.sort((a, b) => a - b);
  return { small, big };
}

/**
 * The present nodes ordered by the fault's keys. A node slot beyond the keys drawn (a spare that
 * joined) gets a fixed key of its own, so the order stays a function of the schedule.
 */
function presentByKey(f: Fault, host: FaultHost): number[] {
  const key = (i: number): number => f.keys![i] ?? ((i * 0.6180339887) % 1);
  const order: number[] = [];
  for (let i = 0; i < host.n; i++) if (host.isPresent(i)) order.push(i);
  return order.sort((a, b) => key(a) - key(b) || a - b);
}

const names = (xs: readonly number[]): string => xs.map((i) => `n${i + 1}`).join(',');

/** Start fault `f`; returns what is needed to end it. */
export function startFault(f: Fault, host: FaultHost): ActiveFault {
  const p = host.primaryIdx();
  switch (f.kind) {
    case 'crash': {
      const i = resolveTarget(f.target!, host);
      host.crashSidecar(i);
      return { nodes: [i], links: [], affected: [i], text: `crash sidecar of n${i + 1} for ${f.dur.toFixed(0)} ms` };
    }
    case 'host-crash': {
      const i = resolveTarget(f.target!, host);
      host.crashSidecar(i);
      host.killRedis(i);
      return { nodes: [i], links: [], affected: [i], text: `host crash of n${i + 1} for ${f.dur.toFixed(0)} ms${f.empty ? ', redis restarts EMPTY' : ''}` };
    }
    case 'pause': {
      const i = resolveTarget(f.target!, host);
      const inc = host.pause(i);
      return { nodes: [i], links: [], affected: [i], incarnation: inc, text: `pause sidecar of n${i + 1} for ${f.dur.toFixed(0)} ms${inc >= 0 ? '' : ' (not running: no effect)'}` };
    }
    case 'redis-death': {
      const i = resolveTarget(f.target!, host);
      host.killRedis(i);
      return { nodes: [i], links: [], affected: [i], text: `redis of n${i + 1} dies for ${f.dur.toFixed(0)} ms${f.empty ? ', restarts EMPTY' : ''}` };
    }
    case 'partition': {
      const { small, big } = sides(f, host);
      const links = symmetricCut(small, big);
      host.net.cut(links, 1);
      const affected = p >= 0 && small.includes(p) ? [...small, ...big] : small;
      return { nodes: [], links, affected, text: `partition {${names(small)}} | {${names(big)}} for ${f.dur.toFixed(0)} ms` };
    }
    case 'asymmetric': {
      const { small, big } = sides(f, host);
      const links = oneWayCut(small, big);
      host.net.cut(links, 1);
      // Those who stop hearing the primary are affected; if the primary stops hearing the rest, everyone is.
      const affected = p >= 0 && small.includes(p) ? big : [...small, ...big];
      return { nodes: [], links, affected, text: `asymmetric partition: {${names(big)}} stop hearing {${names(small)}} for ${f.dur.toFixed(0)} ms` };
    }
    case 'cut-link': {
      const a = resolveTarget(f.target!, host);
      const b = resolveTarget(f.target2!, host, a);
      const links: Link[] = f.oneWay ? [[a, b]] : [[a, b], [b, a]];
      host.net.cut(links, 1);
      const affected = p === a ? [b] : p === b ? (f.oneWay ? [a] : [a, b]) : [a, b];
      return { nodes: [], links, affected, text: `cut link n${a + 1}${f.oneWay ? '→' : '↔'}n${b + 1} for ${f.dur.toFixed(0)} ms` };
    }
    case 'isolate': {
      const i = resolveTarget(f.target!, host);
      const links = isolateCut(i, host.n);
      host.net.cut(links, 1);
      return { nodes: [i], links, affected: [i], text: `isolate n${i + 1} for ${f.dur.toFixed(0)} ms` };
    }
    case 'ring': {
      const order = presentByKey(f, host);
      const links = ringCut(order);
      host.net.cut(links, 1);
      return { nodes: [], links, affected: [...Array(host.n).keys()], text: `majorities ring ${names(order)} for ${f.dur.toFixed(0)} ms` };
    }
    case 'lossy': {
      const q = { loss: f.loss ?? 0.1, dup: f.dup ?? 0.05, tailP: 0.2, tailMs: f.tailMs ?? 40 };
      host.net.addLossy(q);
      return {
        nodes: [],
        links: [],
        lossy: q,
        affected: [...Array(host.n).keys()],
        text: `lossy network for ${f.dur.toFixed(0)} ms: loss ${(q.loss * 100).toFixed(0)}%, duplication ${(q.dup * 100).toFixed(0)}%, tail up to ${q.tailMs.toFixed(0)} ms`,
      };
    }
    case 'switchover': {
      const text = host.switchover();
      return { nodes: [], links: [], affected: [...Array(host.n).keys()], text };
    }
    case 'misdirected-announce': {
      const from = resolveTarget(f.target!, host);
      const claimed = resolveTarget(f.target2!, host, from);
      const text = host.forgeAnnounce(from, claimed);
      return { nodes: [], links: [], affected: [from], text };
    }
    case 'member-add':
    case 'member-remove': {
      const text = host.memberChange(f);
      return { nodes: [], links: [], affected: [...Array(host.n).keys()], text };
    }
    case 'config-disk': {
      const i = resolveTarget(f.target!, host);
      host.failConfigSaves(i, true);
      return { nodes: [i], links: [], affected: [i], text: `configuration store of n${i + 1} fails every save for ${f.dur.toFixed(0)} ms` };
    }
  }
}

/** End fault `f` (heal, restart, resume). */
export function endFault(f: Fault, a: ActiveFault, host: FaultHost): void {
  switch (f.kind) {
    case 'crash':
      host.restartSidecar(a.nodes[0]!);
      return;
    case 'host-crash':
      host.restartRedis(a.nodes[0]!, f.empty === true);
      host.restartSidecar(a.nodes[0]!);
      return;
    case 'pause':
      if (a.incarnation !== undefined && a.incarnation >= 0) host.resume(a.nodes[0]!, a.incarnation);
      return;
    case 'redis-death':
      host.restartRedis(a.nodes[0]!, f.empty === true);
      return;
    case 'partition':
    case 'asymmetric':
    case 'cut-link':
    case 'isolate':
    case 'ring':
      host.net.cut(a.links, -1);
      return;
    case 'lossy':
      host.net.removeLossy(a.lossy!);
      return;
    case 'switchover':
    case 'misdirected-announce':
    case 'member-add':
    case 'member-remove':
      return; // the world's retries and the stop of a removed node are events of their own
    case 'config-disk':
      host.failConfigSaves(a.nodes[0]!, false);
      return;
  }
}
