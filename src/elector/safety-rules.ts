/**
 * The one registry of the Elector's election rules. Each rule has one id, and
 * that id is what protocol.md's rule table (§5.11), the code (a
 * `rules.enforced('<id>')` switch or a `rule <id>` comment at each check), the
 * tests (a `describe('<id>: …')` block) and the simulator's broken-rule table
 * (test/sim/broken-rules.test.ts) all use, so `grep <id>` finds every one of
 * them. test/elector/rule-registry.test.ts checks that they stay in step.
 *
 * Refusal reasons are wire values (protocol.md 1.2) and stay as they are;
 * `RULE_OF_REFUSAL` maps each to the rule that produces it.
 *
 * Rules marked `switchable` can be turned off through `disabledRules`, so the
 * tests and the simulator prove that they notice. Only tests and the simulator
 * pass `disabledRules`: the sidecar never sets it and has no option for it.
 */
import type { RefuseReason } from '../protocol/messages.js';

/** What the simulator's broken-rule sweep sees when a switchable rule is off. */
export type SimulatorCheck =
  /** The invariant (lab/sim/checker.ts) that breaks, found by test/sim/broken-rules.test.ts. */
  | { invariant: 'single-lease' | 'one-winner' | 'acked-writes' | 'stability' }
  /** Not swept yet, and why. */
  | { missing: string };

export interface RuleInfo {
  /** Short name, as protocol.md's table shows it. */
  readonly name: string;
  /** The protocol.md section that states the rule. */
  readonly section: string;
  /** Whether `disabledRules` can turn it off (tests and simulator only). */
  readonly switchable: boolean;
  /** The refusal reasons this rule sends, if it is a voting rule. */
  readonly refusals: readonly RefuseReason[];
  /** Switchable rules only: what the simulator's broken-rule sweep catches. */
  readonly simulator?: SimulatorCheck;
}

/** Every rule, in the order protocol.md's table lists them. */
export const RULES = {
  'vote-stickiness': {
    name: 'Vote stickiness: no vote while the primary is alive',
    section: '5.6',
    switchable: true,
    refusals: ['primary-alive'],
    simulator: { invariant: 'single-lease' },
  },
  'prevote-probe': {
    name: 'Pre-vote before a new epoch',
    section: '5.5',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'stability' },
  },
  'newer-epoch-only': {
    name: 'Votes only for a newer epoch; refusals carry the voter epoch',
    section: '5.6',
    switchable: false,
    refusals: ['stale-epoch'],
  },
  'data-rule': {
    name: 'Data rule: never vote for less data, and only on a fresh offset',
    section: '5.6',
    switchable: true,
    refusals: ['stale-offset', 'offset-unknown'],
    simulator: { invariant: 'acked-writes' },
  },
  'data-epoch-order': {
    name: 'Data compares as (data epoch, offset); the epoch is never below the data epoch',
    section: '5.6',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'acked-writes' },
  },
  'data-memory': {
    name: 'A voter whose redis lost data judges by the data it held',
    section: '5.6',
    switchable: true,
    refusals: [],
    simulator: { missing: "the sweep's checker excuses every write a wipe leaves on too few nodes, so it cannot see this rule go; that needs the wipe model of lab/sim (control branch)" },
  },
  'adopt-existing': {
    name: 'A fresh cluster keeps the replica set its redis-servers already form; no vote on an offset read while following an uncontrolled master',
    section: '5.13',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'acked-writes' },
  },
  'durable-vote': {
    name: 'Durable vote: one vote per epoch, persisted before it is sent',
    section: '5.2',
    switchable: true,
    refusals: ['already-voted', 'persist-failed'],
    simulator: { invariant: 'one-winner' },
  },
  'restart-grace': {
    name: 'A restarted voter refuses for downAfterMs',
    section: '5.7',
    switchable: true,
    refusals: ['starting'],
    simulator: { invariant: 'single-lease' },
  },
  'lease-quorum': {
    name: 'Lease only from a quorum of fresh LEASEACKs',
    section: '5.7',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'single-lease' },
  },
  'announce-sender': {
    name: 'ANNOUNCE only from the node it names',
    section: '5.7',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'stability' },
  },
  'electable-only': {
    name: 'Witnesses and priority-0 members never stand and get no vote',
    section: '5.6',
    switchable: false,
    refusals: ['not-electable'],
  },
  'ranked-standing': {
    name: 'The best-ranked candidate stands first',
    section: '5.5',
    switchable: false,
    refusals: ['better-candidate'],
  },
  'random-backoff': {
    name: 'A fresh random back-off after every failed round',
    section: '5.5',
    switchable: false,
    refusals: [],
  },
  'fast-step-down': {
    name: 'An unhealthy primary steps down and says so at once',
    section: '5.7',
    switchable: false,
    refusals: [],
  },
  'planned-handoff': {
    name: 'Planned hand-off: writes stop, the caught-up target wins the next epoch',
    section: '5.8',
    switchable: false,
    refusals: [],
  },
  'config-order': {
    name: 'No vote for a candidate whose configuration is older than ours, unknown, or different at the same version',
    section: '5.12',
    switchable: true,
    refusals: ['stale-config'],
    simulator: { missing: 'its targeted scenario (lagging-config) no longer reaches the state since rule config-data refuses to grow the cluster while a data voter is down; test/elector/membership.test.ts shows two primaries with it off' },
  },
  'config-agreement': {
    name: 'A member list born from flags is used to vote or stand only once a majority holds the same one and nobody holds another',
    section: '5.12',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'acked-writes' },
  },
  'config-own-epoch': {
    name: 'A new primary restamps the configuration in its epoch, committed, before any change',
    section: '5.12',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'single-lease' },
  },
  'one-change': {
    name: 'One change at a time: the next only once the last is held by a majority of its voters',
    section: '5.12',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'single-lease' },
  },
  'learner-no-vote': {
    name: 'Learners never vote, and never count toward a quorum or a lease',
    section: '5.12',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'single-lease' },
  },
  'config-data': {
    name: 'A change is committed only once enough of its data voters hold what the primary held when it made it',
    section: '5.12',
    switchable: true,
    refusals: [],
    simulator: { invariant: 'acked-writes' },
  },
  'learner-catch-up': {
    name: 'A learner becomes a voter only once its data holds the primary epoch and keeps up',
    section: '5.12',
    switchable: false,
    refusals: [],
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

/** The rules `disabledRules` can switch off. */
export type SafetyRule = { [K in RuleId]: (typeof RULES)[K]['switchable'] extends true ? K : never }[RuleId];

export const RULE_IDS = Object.keys(RULES) as RuleId[];

export const SAFETY_RULES: readonly SafetyRule[] = RULE_IDS.filter((id): id is SafetyRule => RULES[id].switchable);

/** The rule behind each refusal reason on the wire. */
export const RULE_OF_REFUSAL: { readonly [R in RefuseReason]: RuleId } = (() => {
  const map: Partial<Record<RefuseReason, RuleId>> = {};
  for (const id of RULE_IDS) for (const r of RULES[id].refusals) map[r] = id;
  return map as Record<RefuseReason, RuleId>;
})();

/** True for the ids of switchable rules, e.g. from a command line. */
export function isSafetyRule(s: unknown): s is SafetyRule {
  return typeof s === 'string' && (SAFETY_RULES as readonly string[]).includes(s);
}

/**
 * Which rules one Elector enforces. Every check of a switchable rule goes
 * through `enforced(id)`, so the id tags the check in the code.
 */
export class RuleSet {
  private readonly off: ReadonlySet<SafetyRule>;

  constructor(disabled: readonly SafetyRule[] = []) {
    for (const r of disabled) if (!isSafetyRule(r)) throw new RangeError(`unknown safety rule ${JSON.stringify(r)} (known: ${SAFETY_RULES.join(', ')})`);
    this.off = new Set(disabled);
  }

  enforced(rule: SafetyRule): boolean {
    return !this.off.has(rule);
  }
}
