/**
 * The scenario library: named fault schedules, generated from the seed. Each
 * single-fault scenario exercises one case; `membership` grows the cluster to
 * seven members and shrinks it back while other faults strike; `mixed` draws
 * several faults of any kind (membership churn included) at random times. All faults end by some time T; the run then goes
 * on to check liveness.
 */
import type { Fault, Target } from './faults.js';
import type { SimParams } from './params.js';
import { Rng } from './rng.js';

export const SCENARIOS = [
  'none',
  'crash-primary',
  'crash-replica',
  'host-crash',
  'pause-primary',
  'pause-replica',
  'redis-death',
  'partition',
  'asymmetric',
  'cut-link',
  'isolate-primary',
  'isolate-replica',
  'ring',
  'lossy',
  'drift',
  'switchover',
  'misdirected-announce',
  'voter-restart',
  'membership',
  'learner-partition',
  'double-change',
  'restamp',
  'born-mismatch',
  'lagging-config',
  'mixed',
  'adopt',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

export function isScenario(s: string): s is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(s);
}

/** Scenarios that a sweep cycles through (everything but `mixed` and `adopt`, which draw from them). */
export const SINGLE_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => s !== 'mixed' && s !== 'adopt');

type Gen = (rng: Rng, at: number, n: number, p: SimParams) => Fault[];

/** Durations: a third shorter than downAfterMs, a third a few times it, a third long. */
function duration(rng: Rng, p: SimParams): number {
  const d = p.elector.downAfterMs;
  const u = rng.next();
  if (u < 0.3) return Math.round(rng.range(0.1, 0.9) * d);
  if (u < 0.7) return Math.round(rng.range(1, 3) * d);
  return Math.round(rng.range(3, 8) * d);
}

const primary: Target = { role: 'primary' };
const replica = (rng: Rng): Target => ({ role: 'replica', pick: rng.next() });
const anyNode = (rng: Rng): Target => ({ role: 'any', pick: rng.next() });
const primaryOr = (rng: Rng, pPrimary: number): Target => (rng.chance(pPrimary) ? primary : replica(rng));
const keys = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next());

/** The operator's request for one membership change, retried while the primary refuses it. */
function memberChange(rng: Rng, at: number, p: SimParams, kind: 'member-add' | 'member-remove'): Fault {
  const D = p.elector.downAfterMs;
  const tries = 10;
  const retryMs = Math.round(rng.range(0.2, 0.5) * D);
  if (kind === 'member-add') {
    const u = rng.next();
    const witness = rng.chance(0.15);
    const priority = witness ? undefined : u < 0.1 ? 0 : u < 0.2 ? 2 : 1;
    // spare: numbered by generateFaults, in time order.
    return { kind, at, dur: tries * retryMs, tries, retryMs, witness, priority };
  }
  const stopAfterMs = rng.chance(0.5) ? Math.round(rng.range(0.2, 3) * D) : undefined;
  return { kind, at, dur: tries * retryMs + (stopAfterMs ?? 0), tries, retryMs, target: replica(rng), stopAfterMs };
}

/** One change and, later, the one that undoes the size change: add then remove below 7 members, remove then add at 7. */
function churn(rng: Rng, at: number, n: number, p: SimParams): Fault[] {
  const later = at + rng.range(1, 4) * p.elector.downAfterMs;
  return n < 7 ? [memberChange(rng, at, p, 'member-add'), memberChange(rng, later, p, 'member-remove')] : [memberChange(rng, at, p, 'member-remove'), memberChange(rng, later, p, 'member-add')];
}

type MixedItem = Exclude<ScenarioName, 'mixed' | 'none' | 'membership' | 'adopt'>;

const GENERATORS: Record<MixedItem, Gen> = {
  // Rule learner-no-vote's case: a spare joins as a learner and its redis dies at once (so it stays
  // a learner); then a partition puts the primary, the learner and one voter short of a majority
  // on one side. Only the learner's LEASEACK could keep that side's lease while the other side,
  // a majority of the voters, elects. Not part of `mixed`.
  'learner-partition': (rng, at, n, p) => {
    const D = p.elector.downAfterMs;
    const add: Fault = { ...memberChange(rng, at, p, 'member-add'), witness: false, priority: 1 };
    const learner: Target = { role: 'node', idx: n };
    return [
      add,
      { kind: 'redis-death', at: at + rng.range(0.5, 3), dur: Math.round(rng.range(5, 9) * D), target: learner },
      { kind: 'partition', at: at + rng.range(5, 30), dur: Math.round(rng.range(2, 4) * D), group: { primary: true, replicas: Math.floor(n / 2) - 1, nodes: [n] } },
    ];
  },
  // Rule one-change's case (members: data nodes only, spares witnesses, which join as voters at
  // once): two witnesses are added back to back and, before the primary's next tick sends either
  // configuration, the primary and the two are cut off from the rest. With one change at a time the
  // second add waits for the first to be committed, which the cut prevents; without it the primary
  // counts a majority of five voters on its side while the rest, a majority of the three they
  // know, elects. Not part of `mixed`.
  'double-change': (rng, at, n, p) => {
    const D = p.elector.downAfterMs;
    const w = (f: Fault): Fault => ({ ...f, witness: true, priority: undefined });
    return [
      w(memberChange(rng, at, p, 'member-add')),
      w(memberChange(rng, at + 0.0005, p, 'member-add')),
      { kind: 'partition', at: at + 0.001, dur: Math.round(rng.range(2, 4) * D), group: { primary: true, replicas: 0, nodes: [n, n + 1] } },
    ];
  },
  // Rule config-own-epoch's case, the bug of Raft's single-server changes (members: data nodes and
  // one witness, the last; the spare a witness). The primary adds the spare and is cut off with it at
  // once (only they hold that configuration); the rest elect a new primary, which removes the
  // witness just as the witness is cut off from it and joined to the old primary's side. The old
  // primary's configuration (five voters) and the new one (the three others) share no majority:
  // the old side elects with the witness's vote. A restamp, committed while the witness could
  // still hear the new primary, makes the witness hold something newer than the old primary's
  // change, so it refuses. Not part of `mixed`.
  restamp: (rng, at, n, p) => {
    const D = p.elector.downAfterMs;
    const witness = n - 1;
    const t2 = at + rng.range(4, 6) * D;
    const add: Fault = { ...memberChange(rng, at, p, 'member-add'), witness: true, priority: undefined };
    const remove: Fault = { ...memberChange(rng, t2 + 0.5, p, 'member-remove'), target: { role: 'node', idx: witness }, stopAfterMs: undefined };
    remove.dur = remove.tries! * remove.retryMs!;
    return [
      add,
      { kind: 'partition', at: at + 0.001, dur: Math.round(t2 + 1 - at), group: { primary: true, replicas: 0, nodes: [n] } },
      { kind: 'partition', at: t2, dur: Math.round(rng.range(4, 6) * D), group: { primary: false, replicas: 0, nodes: [0, witness, n] } },
      remove,
    ];
  },
  // Rule config-order's case (members: n1 and n3 data nodes, n2 a witness; spares witnesses): n3's
  // sidecar is down while the cluster grows from three voters to five; it restarts with a
  // configuration store that fails every save (so it keeps the three-voter list it has) just as
  // {n2, n3} is cut off from {n1, n4, n5}. In n3's old list {n2, n3} is a majority, in the new one
  // {n1, n4, n5} is: only n2's refusal of a candidate with an older configuration keeps n3 from
  // winning beside n1. Not part of `mixed`.
  'lagging-config': (rng, at, _n, p) => {
    const D = p.elector.downAfterMs;
    const w = (f: Fault): Fault => ({ ...f, witness: true, priority: undefined });
    const t2 = at + 10 + rng.range(3, 4) * D;
    const n3: Target = { role: 'node', idx: 2 };
    return [
      { kind: 'crash', at, dur: Math.round(t2 - at), target: n3 },
      w(memberChange(rng, at + 10, p, 'member-add')),
      w(memberChange(rng, at + 10 + rng.range(1.2, 1.6) * D, p, 'member-add')),
      { kind: 'config-disk', at: t2 - 1, dur: Math.round(rng.range(5, 7) * D), target: n3 },
      { kind: 'partition', at: t2, dur: Math.round(rng.range(4, 6) * D), group: { primary: false, replicas: 0, nodes: [1, 2] } },
    ];
  },
  // Rule config-agreement's case (the world gives the nodes two member lists): n1 and n3 were born
  // with the list of the first three, n2 and two more nodes with the list of five. They hear each
  // other first, then {n1, n3} is cut off from the others: each side is a majority of its own list.
  // With the rule nobody ever votes or stands (liveness is not required of such a misconfigured
  // cluster); without it each side elects. Not part of `mixed`.
  'born-mismatch': (rng, at, _n, p) => [
    { kind: 'partition', at: rng.range(3, 12), dur: Math.round(rng.range(6, 10) * p.elector.downAfterMs), group: { primary: false, replicas: 0, nodes: [0, 2] } },
  ],
  'crash-primary': (rng, at, _n, p) => [{ kind: 'crash', at, dur: duration(rng, p), target: primary }],
  'crash-replica': (rng, at, _n, p) => [{ kind: 'crash', at, dur: duration(rng, p), target: replica(rng) }],
  'host-crash': (rng, at, _n, p) => [{ kind: 'host-crash', at, dur: duration(rng, p), target: primaryOr(rng, 0.6), empty: rng.chance(0.2) }],
  'pause-primary': (rng, at, _n, p) => [{ kind: 'pause', at, dur: duration(rng, p), target: primary }],
  'pause-replica': (rng, at, _n, p) => [{ kind: 'pause', at, dur: duration(rng, p), target: replica(rng) }],
  'redis-death': (rng, at, _n, p) => [{ kind: 'redis-death', at, dur: duration(rng, p), target: primaryOr(rng, 0.6), empty: rng.chance(0.3) }],
  partition: (rng, at, n, p) => [
    { kind: 'partition', at, dur: duration(rng, p), keys: keys(rng, n), minority: rng.range(0.1, 0.5), primarySide: rng.pick(['minority', 'majority', 'any'] as const) },
  ],
  asymmetric: (rng, at, n, p) => [
    { kind: 'asymmetric', at, dur: duration(rng, p), keys: keys(rng, n), minority: rng.range(0.1, 0.5), primarySide: rng.pick(['minority', 'majority', 'any'] as const) },
  ],
  'cut-link': (rng, at, _n, p) => [
    { kind: 'cut-link', at, dur: duration(rng, p), target: rng.chance(0.5) ? primary : anyNode(rng), target2: replica(rng), oneWay: rng.chance(0.3) },
  ],
  'isolate-primary': (rng, at, _n, p) => [{ kind: 'isolate', at, dur: duration(rng, p), target: primary }],
  'isolate-replica': (rng, at, _n, p) => [{ kind: 'isolate', at, dur: duration(rng, p), target: replica(rng) }],
  ring: (rng, at, n, p) => [{ kind: 'ring', at, dur: duration(rng, p), keys: keys(rng, n) }],
  lossy: (rng, at, _n, p) => {
    const dur = duration(rng, p) + p.elector.downAfterMs;
    const out: Fault[] = [{ kind: 'lossy', at, dur, loss: rng.range(0.02, 0.3), dup: rng.range(0, 0.1), tailMs: rng.range(10, 80) }];
    if (rng.chance(0.5)) out.push({ kind: 'crash', at: at + rng.range(0, dur / 2), dur: duration(rng, p), target: primary });
    return out;
  },
  drift: (rng, at, _n, p) => {
    const kind = rng.pick(['isolate', 'pause', 'crash'] as const);
    return [{ kind, at, dur: duration(rng, p), target: primary }];
  },
  switchover: (rng, at, _n, p) => {
    const out: Fault[] = [];
    let t = at;
    for (let k = rng.int(1, 3); k > 0; k--) {
      // The hand-off runs on after the request: it completes or aborts within handoffTimeoutMs.
      out.push({ kind: 'switchover', at: t, dur: p.elector.handoffTimeoutMs });
      t += rng.range(3, 6) * p.elector.downAfterMs;
    }
    return out;
  },
  'misdirected-announce': (rng, at, _n, p) => {
    const out: Fault[] = [];
    let t = at;
    for (let k = rng.int(1, 3); k > 0; k--) {
      out.push({ kind: 'misdirected-announce', at: t, dur: 0, target: anyNode(rng), target2: primaryOr(rng, 0.3) });
      t += rng.range(0.2, 2) * p.elector.downAfterMs;
    }
    return out;
  },
  // The case restart grace exists for: the primary cannot reach one node, which stands; a replica
  // that acknowledged the primary's LEASE restarts its sidecar quickly (within leaseMs), having
  // forgotten the primary.
  // Not part of `mixed` (so mixed schedules stay as they were found).
  'voter-restart': (rng, at, _n, p) => {
    const d = p.elector.downAfterMs;
    const cut = rng.range(3, 8) * d;
    const u = rng.next();
    // The crash picks the replica half the candidate list away from the cut one: another node.
    // It then stops hearing the primary (a one-way cut from the crash on), so only restart grace
    // keeps it from voting before the lease it acknowledged has run out.
    const crashAt = at + rng.range(1, cut / d - 1) * d;
    const voter: Target = { role: 'replica', pick: (u + 0.5) % 1 };
    return [
      { kind: 'cut-link', at, dur: cut, target: primary, target2: { role: 'replica', pick: u }, oneWay: false },
      { kind: 'crash', at: crashAt, dur: Math.round(rng.range(0.02, 0.5) * d), target: voter },
      { kind: 'cut-link', at: crashAt, dur: Math.round(rng.range(1, 3) * d), target: primary, target2: voter, oneWay: true },
    ];
  },
};

/** Weights for `mixed`: failures of the primary and partitions dominate. */
const MIXED: [MixedItem, number][] = [
  ['crash-primary', 3],
  ['crash-replica', 2],
  ['host-crash', 3],
  ['pause-primary', 3],
  ['pause-replica', 1],
  ['redis-death', 2],
  ['partition', 3],
  ['asymmetric', 2],
  ['cut-link', 2],
  ['isolate-primary', 3],
  ['isolate-replica', 1],
  ['ring', 1],
  ['lossy', 1],
  ['drift', 1],
  ['switchover', 1],
  ['misdirected-announce', 1],
];
const MIXED_TOTAL = MIXED.reduce((s, [, w]) => s + w, 0);

/** One item of `mixed`: which kind first, then when (the order of draws every mixed schedule was made with). */
function mixedItem(rng: Rng, n: number, p: SimParams, window: (rng: Rng) => number): Fault[] {
  let u = rng.next() * MIXED_TOTAL;
  let name = MIXED[0]![0];
  for (const [s, w] of MIXED) {
    if (u < w) {
      name = s;
      break;
    }
    u -= w;
  }
  return GENERATORS[name](rng, window(rng), n, p);
}

/** The share of `mixed` seeds that also get membership churn (one or two changes and their undoing). */
const MIXED_CHURN = 0.4;

/**
 * 3 → 7 → 3: spares join one at a time up to 7 members, then as many members (any but the
 * primary) are removed; from 7 members, two go and two join. Up to three faults of `mixed` fall
 * in between.
 */
function membership(rng: Rng, at: number, n: number, p: SimParams): Fault[] {
  const D = p.elector.downAfterMs;
  const steps = n < 7 ? 7 - n : 2;
  const order: ('member-add' | 'member-remove')[] = [];
  for (let k = 0; k < steps; k++) order.push(n < 7 ? 'member-add' : 'member-remove');
  for (let k = 0; k < steps; k++) order.push(n < 7 ? 'member-remove' : 'member-add');
  const out: Fault[] = [];
  let t = at;
  for (const kind of order) {
    out.push(memberChange(rng, t, p, kind));
    t += rng.range(0.8, 2.5) * D;
  }
  for (let k = rng.int(0, 3); k > 0; k--) out.push(...mixedItem(rng, n, p, (r) => at + r.range(0, t - at)));
  return out;
}

/** The full fault schedule of `scenario` for `seed`, sorted by start time (in `mixed`, membership churn after the rest). */
export function generateFaults(scenario: ScenarioName, seed: number, n: number, p: SimParams): Fault[] {
  const rng = new Rng(seed, `faults/${scenario}`);
  let faults: Fault[];
  if (scenario === 'none') {
    faults = [];
  } else if (scenario === 'mixed' || scenario === 'adopt') {
    // adopt: a fresh cluster over a pre-existing replica set (world.ts preexistingSet), and up to
    // three faults of any kind while it adopts it, from the first sidecar start on.
    const adopt = scenario === 'adopt';
    faults = [];
    for (let k = adopt ? rng.int(0, 3) : rng.int(1, 6); k > 0; k--) faults.push(...mixedItem(rng, n, p, (r) => (adopt ? r.range(0, p.elector.adoptWaitMs) : p.warmupMs + r.range(0, p.faultWindowMs))));
    // Membership churn comes from a stream of its own and goes after the other faults in the list,
    // so a seed's other faults, and their indices (pinned regression schedules), stay as they were.
    const mrng = new Rng(seed, 'faults/mixed/membership');
    if (!adopt && mrng.chance(MIXED_CHURN)) {
      const extra: Fault[] = [];
      for (let k = mrng.int(1, 2); k > 0; k--) extra.push(...churn(mrng, p.warmupMs + mrng.range(0, p.faultWindowMs), n, p));
      return numberSpares([...sortByTime(faults), ...sortByTime(extra)]);
    }
  } else if (scenario === 'membership') {
    faults = membership(rng, p.warmupMs + rng.range(0, p.faultWindowMs / 6), n, p);
  } else {
    faults = GENERATORS[scenario](rng, p.warmupMs + rng.range(0, p.faultWindowMs / 3), n, p);
  }
  return numberSpares(sortByTime(faults));
}

function sortByTime(faults: Fault[]): Fault[] {
  for (const f of faults) {
    f.at = Math.round(f.at * 1000) / 1000;
  }
  return faults.map((f, i) => ({ f, i })).sort((a, b) => a.f.at - b.f.at || a.i - b.i).map((x) => x.f);
}

/** Each add brings its own spare node slot, numbered in time order (so a shrunk schedule keeps the same slots). */
function numberSpares(faults: Fault[]): Fault[] {
  const adds = faults.filter((f) => f.kind === 'member-add').sort((a, b) => a.at - b.at);
  adds.forEach((f, k) => (f.spare = k));
  return faults;
}

/** How many spare node slots a schedule needs (one per add). */
export function sparesNeeded(faults: readonly Fault[]): number {
  let k = 0;
  for (const f of faults) if (f.kind === 'member-add') k = Math.max(k, f.spare! + 1);
  return k;
}
