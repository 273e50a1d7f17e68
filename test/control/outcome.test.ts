/**
 * How the control loop's memory moves: Elector events → desired state, polls
 * → run_id trust, step outcomes → what is owed. Pure.
 */
import { describe, expect, it } from 'vitest';
import type { ElectorEvent } from '../../src/elector/events.js';
import {
  desiredAfter,
  initialKnowledge,
  knowledgeAfterAction,
  knowledgeAfterEvent,
  knowledgeAfterPoll,
  leading,
  promotionEnded,
  promotionStarted,
  settled,
  type Desired,
  type Observed,
} from '../../src/control/index.js';

const role = (from: 'primary' | 'candidate' | 'replica', to: 'primary' | 'candidate' | 'replica', epoch = 3): ElectorEvent => ({ type: 'role', from, to, epoch, reason: 't' });
const follow = (primary: string | null, epoch = 3): ElectorEvent => ({ type: 'follow', primary, epoch, reason: 't' });

describe('desiredAfter', () => {
  const rows: Array<[string, Desired, ElectorEvent, Desired]> = [
    ['follow names a primary', { kind: 'unknown' }, follow('n2'), { kind: 'follow', id: 'n2', epoch: 3 }],
    ['follow(null) detaches', { kind: 'follow', id: 'n2', epoch: 3 }, follow(null), { kind: 'detached' }],
    ['follow(self) changes nothing', { kind: 'primary', epoch: 3 }, follow('n1'), { kind: 'primary', epoch: 3 }],
    ['primary-lost alone changes nothing: follow(null) that comes with it detaches', { kind: 'follow', id: 'n2', epoch: 3 }, { type: 'primary-lost', primary: 'n2', epoch: 3, reason: 't' }, { kind: 'follow', id: 'n2', epoch: 3 }],
    ['winning makes it primary', { kind: 'detached' }, role('candidate', 'primary', 4), { kind: 'primary', epoch: 4 }],
    ['a primary stepping down detaches', { kind: 'primary', epoch: 4 }, role('primary', 'replica', 4), { kind: 'detached' }],
    ['a candidate losing keeps what it had', { kind: 'detached' }, role('candidate', 'replica'), { kind: 'detached' }],
    ['writes events do not move it', { kind: 'primary', epoch: 4 }, { type: 'writes', allowed: false, epoch: 4, reason: 't' }, { kind: 'primary', epoch: 4 }],
  ];
  for (const [name, from, ev, want] of rows) it(name, () => expect(desiredAfter(from, ev, 'n1')).toEqual(want));

  it('a promote event is remembered as pending', () => {
    expect(knowledgeAfterEvent(initialKnowledge(), { type: 'promote', epoch: 5 }, 'n1').promote).toBe(5);
  });

  // The events that end the Elector's promotion forget it: the loop must not promote an epoch given up.
  const pending = knowledgeAfterEvent(initialKnowledge(), { type: 'promote', epoch: 5 }, 'n2');
  const ends: Array<[string, ElectorEvent, number | null]> = [
    ['a newer epoch (late REFUSE, granted OFFER) forgets it', { type: 'epoch', from: 5, to: 6, reason: 'refused' }, null],
    ['stepping down (promote timeout, promoted(false)) forgets it', role('candidate', 'replica', 5), null],
    ['a repeated epoch event of the same epoch keeps it', { type: 'epoch', from: 4, to: 5, reason: 't' }, 5],
    ['a follow event keeps it', { type: 'follow', primary: null, epoch: 5, reason: 't' }, 5],
    ['a writes event keeps it', { type: 'writes', allowed: false, epoch: 5, reason: 't' }, 5],
  ];
  for (const [name, ev, want] of ends) it(name, () => expect(knowledgeAfterEvent(pending, ev, 'n2').promote).toBe(want));
});

describe('knowledgeAfterPoll', () => {
  const up = (runId: string): Observed => ({ reachable: true, runId, role: 'slave', offset: 1, dataEpoch: 1 });

  it('a new run_id forgets what CONFIG SET gave the old process', () => {
    const k = { ...initialKnowledge(), lastRunId: 'a', trustedRunId: 'a', authFor: '3 n2 a', minReplicas: 1 };
    const next = knowledgeAfterPoll(k, up('b'), false);
    expect(next.authFor).toBeUndefined();
    expect(next.minReplicas).toBeUndefined();
    expect(next.trustedRunId).toBe('b');
    expect(next.restartedUnder).toBeUndefined();
  });

  it('a restart while leading is remembered until the node no longer leads', () => {
    const k = { ...initialKnowledge(), desired: { kind: 'primary', epoch: 3 } as Desired, lastRunId: 'a', trustedRunId: 'a' };
    const under = knowledgeAfterPoll(k, up('b'), true);
    expect(under.restartedUnder).toMatch(/restarted \(run_id a -> b\)/);
    expect(knowledgeAfterPoll(under, up('b'), true).restartedUnder).toBe(under.restartedUnder);
    expect(knowledgeAfterPoll(under, up('b'), false).restartedUnder).toBeUndefined();
  });

  it('an unreachable poll changes nothing', () => {
    const k = { ...initialKnowledge(), lastRunId: 'a', trustedRunId: 'a' };
    expect(knowledgeAfterPoll(k, { reachable: false, error: 'x' }, true)).toBe(k);
  });

  it('leading: standing, promoting or primary', () => {
    expect(leading(initialKnowledge(), 'replica')).toBe(false);
    expect(leading(initialKnowledge(), 'candidate')).toBe(true);
    expect(leading({ ...initialKnowledge(), promote: 2 }, 'replica')).toBe(true);
    expect(leading({ ...initialKnowledge(), desired: { kind: 'primary', epoch: 2 } }, 'replica')).toBe(true);
  });
});

describe('knowledgeAfterAction', () => {
  const k0 = initialKnowledge();

  it('a failed role step is owed until it succeeds', () => {
    const a = { kind: 'replicate', id: 'n2', epoch: 3, target: { host: 'h', port: 1 }, demoting: true } as const;
    const failed = knowledgeAfterAction(k0, a, 'NOPERM');
    expect(failed.failure).toEqual({ action: 'replicate', error: 'NOPERM' });
    // Another step succeeding does not pay it.
    expect(knowledgeAfterAction(failed, { kind: 'unfence' }).failure).toEqual(failed.failure);
    const ok = knowledgeAfterAction(failed, a);
    expect(ok.failure).toBeUndefined();
    expect(ok.killClients).toBe('demoted, following n2');
  });

  it('nothing left to do settles a failure that is no longer needed', () => {
    const failed = knowledgeAfterAction(k0, { kind: 'detach', demoting: false }, 'x');
    expect(settled(failed).failure).toBeUndefined();
  });

  it('a failed fence or kill-clients is not a role failure', () => {
    expect(knowledgeAfterAction(k0, { kind: 'fence' }, 'x').failure).toBeUndefined();
    expect(knowledgeAfterAction({ ...k0, killClients: 'demoted' }, { kind: 'kill-clients', why: 'demoted' }, 'x')).toEqual({ ...k0, killClients: undefined });
  });

  it('credentials and min-replicas are remembered', () => {
    expect(knowledgeAfterAction(k0, { kind: 'set-replication-auth', id: 'n2', epoch: 3, key: '3 n2 r' }).authFor).toBe('3 n2 r');
    expect(knowledgeAfterAction(k0, { kind: 'set-min-replicas', n: 2, maxLagSec: 1 }).minReplicas).toBe(2);
  });

  it('a promotion: pending → under way → ended (success trusts the promoted run_id and disconnects clients)', () => {
    const started = promotionStarted({ ...k0, promote: 4 });
    expect(started).toMatchObject({ promote: null, promoting: true });
    expect(promotionEnded(started, true, 'r9')).toMatchObject({ promoting: false, trustedRunId: 'r9', killClients: 'promoted to primary' });
    const failed = promotionEnded(started, false);
    expect(failed.promoting).toBe(false);
    expect(failed.killClients).toBeUndefined();
  });
});
