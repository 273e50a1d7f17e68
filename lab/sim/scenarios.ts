/**
 * The scenario library: named fault schedules, generated from the seed. Each
 * single-fault scenario exercises one case; `mixed` draws several faults of
 * any kind at random times. All faults end by some time T; the run then goes
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

const GENERATORS: Record<Exclude<ScenarioName, 'mixed' | 'none' | 'adopt'>, Gen> = {
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
const MIXED: [Exclude<ScenarioName, 'mixed' | 'none' | 'adopt'>, number][] = [
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

/** The full fault schedule of `scenario` for `seed`, sorted by start time. */
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
    for (let k = adopt ? rng.int(0, 3) : rng.int(1, 6); k > 0; k--) {
      let u = rng.next() * MIXED_TOTAL;
      let name = MIXED[0]![0];
      for (const [s, w] of MIXED) {
        if (u < w) {
          name = s;
          break;
        }
        u -= w;
      }
      faults.push(...GENERATORS[name](rng, adopt ? rng.range(0, p.elector.adoptWaitMs) : p.warmupMs + rng.range(0, p.faultWindowMs), n, p));
    }
  } else {
    faults = GENERATORS[scenario](rng, p.warmupMs + rng.range(0, p.faultWindowMs / 3), n, p);
  }
  for (const f of faults) {
    f.at = Math.round(f.at * 1000) / 1000;
  }
  return faults.map((f, i) => ({ f, i })).sort((a, b) => a.f.at - b.f.at || a.i - b.i).map((x) => x.f);
}
