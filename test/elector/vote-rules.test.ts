/**
 * judgeVote (src/elector/vote-rules.ts): the vote rules as a side-effect-free
 * function of a voter snapshot, one row per rule and exception, in the order
 * protocol.md 5.6 lists them.
 */
import { describe, expect, it } from 'vitest';
import { RuleSet, type SafetyRule } from '../../src/elector/safety-rules.js';
import { judgeVote, type VoteRequest, type VoterSnapshot } from '../../src/elector/vote-rules.js';

const n1 = { id: 'n1', witness: false, priority: 1, learner: false };
const n2 = { id: 'n2', witness: false, priority: 1, learner: false };
const w = { id: 'w', witness: true, priority: 1, learner: false };
const cfg = { version: 3, epoch: 2, digest: 'a'.repeat(64) };

/** A data voter n1 at epoch 4 whose primary is lost, with a fresh offset: it would grant an equal candidate. */
function voter(over: Partial<VoterSnapshot> = {}, disabled: SafetyRule[] = []): VoterSnapshot {
  return {
    nowMs: 1000,
    self: n1,
    epoch: 4,
    votedFor: null,
    restartedAgoMs: null,
    healthyPrimary: false,
    alivePrimary: null,
    releasedToCandidate: false,
    releasedByUs: false,
    healthy: true,
    primaryLost: true,
    freshBoot: false,
    adoption: { kind: 'none' },
    offsetAt: 990,
    primaryLostAt: 900,
    candidateDataEpoch: 4,
    held: { dataEpoch: 4, offset: 100 },
    heldBeforeLoss: false,
    current: { dataEpoch: 4, offset: 100 },
    mayStand: false,
    rules: new RuleSet(disabled),
    config: cfg,
    configAgreed: true,
    candidateConfig: cfg,
    ...over,
  };
}

function offer(over: Partial<VoteRequest> = {}): VoteRequest {
  return { candidate: 'n2', member: n2, epoch: 5, offset: 100, prevote: false, ...over };
}

type Want = 'grant' | 'declare-primary-lost' | [string, string]; // [reason, rule]

const cases: { what: string; v: VoterSnapshot; r: VoteRequest; want: Want }[] = [
  { what: 'an equal candidate of the next epoch is granted', v: voter(), r: offer(), want: 'grant' },
  { what: 'a witness candidate', v: voter(), r: offer({ candidate: 'w', member: w }), want: ['not-electable', 'electable-only'] },
  { what: 'a non-member', v: voter(), r: offer({ candidate: 'zz', member: undefined }), want: ['not-electable', 'electable-only'] },
  { what: 'a learner candidate', v: voter(), r: offer({ member: { ...n2, learner: true } }), want: ['not-electable', 'electable-only'] },
  { what: 'a voter whose born member list is not agreed', v: voter({ configAgreed: false }), r: offer(), want: ['stale-config', 'config-agreement'] },
  { what: 'the same without config-agreement', v: voter({ configAgreed: false }, ['config-agreement']), r: offer(), want: 'grant' },
  { what: 'a candidate whose configuration is unknown', v: voter({ candidateConfig: undefined }), r: offer(), want: ['stale-config', 'config-order'] },
  { what: 'a candidate of an older configuration version', v: voter({ candidateConfig: { ...cfg, version: 2, epoch: 9 } }), r: offer(), want: ['stale-config', 'config-order'] },
  { what: 'a candidate of the same version made in an older epoch', v: voter({ candidateConfig: { ...cfg, epoch: 1 } }), r: offer(), want: ['stale-config', 'config-order'] },
  { what: 'a candidate of the same id with other members', v: voter({ candidateConfig: { ...cfg, digest: 'b'.repeat(64) } }), r: offer(), want: ['stale-config', 'config-order'] },
  { what: 'a candidate of a newer configuration', v: voter({ candidateConfig: { ...cfg, version: 4 } }), r: offer(), want: 'grant' },
  { what: 'an older configuration without config-order', v: voter({ candidateConfig: { ...cfg, version: 1 } }, ['config-order']), r: offer(), want: 'grant' },
  { what: 'a priority-0 candidate', v: voter(), r: offer({ member: { ...n2, priority: 0 } }), want: ['not-electable', 'electable-only'] },
  { what: 'a PREVOTE for our own epoch', v: voter(), r: offer({ prevote: true, epoch: 4 }), want: ['stale-epoch', 'newer-epoch-only'] },
  { what: 'an OFFER for an older epoch', v: voter(), r: offer({ epoch: 3 }), want: ['stale-epoch', 'newer-epoch-only'] },
  { what: 'an OFFER in the epoch we voted in, for someone else', v: voter({ votedFor: 'n3' }), r: offer({ epoch: 4 }), want: ['already-voted', 'durable-vote'] },
  { what: 'a repeated OFFER from the one we voted for gets the same yes', v: voter({ votedFor: 'n2', alivePrimary: { id: 'n2', heardAgoMs: 1 } }), r: offer({ epoch: 4 }), want: 'grant' },
  { what: 'a second vote in one epoch without durable-vote', v: voter({ votedFor: 'n3' }, ['durable-vote']), r: offer({ epoch: 4 }), want: 'grant' },
  { what: 'a voter restarted less than downAfterMs ago', v: voter({ restartedAgoMs: 120 }), r: offer(), want: ['starting', 'restart-grace'] },
  { what: 'the same without restart-grace', v: voter({ restartedAgoMs: 120 }, ['restart-grace']), r: offer(), want: 'grant' },
  { what: 'a healthy primary', v: voter({ healthyPrimary: true }), r: offer(), want: ['primary-alive', 'vote-stickiness'] },
  { what: 'a follower whose primary is alive', v: voter({ alivePrimary: { id: 'n3', heardAgoMs: 50 } }), r: offer(), want: ['primary-alive', 'vote-stickiness'] },
  { what: 'the same without vote-stickiness', v: voter({ alivePrimary: { id: 'n3', heardAgoMs: 50 }, primaryLost: false }, ['vote-stickiness']), r: offer(), want: 'grant' },
  { what: 'a primary alive that released leadership to the candidate', v: voter({ alivePrimary: { id: 'n3', heardAgoMs: 50 }, primaryLost: false, releasedToCandidate: true, offsetAt: 0 }), r: offer(), want: 'grant' },
  { what: 'an unhealthy data voter', v: voter({ healthy: false }), r: offer(), want: ['offset-unknown', 'data-rule'] },
  { what: 'a primary gone quiet but not yet declared lost', v: voter({ primaryLost: false }), r: offer(), want: 'declare-primary-lost' },
  { what: 'a fresh boot needs no declaration', v: voter({ primaryLost: false, freshBoot: true }), r: offer(), want: 'grant' },
  { what: 'our redis is the existing master (adoption)', v: voter({ adoption: { kind: 'keep-self' } }), r: offer(), want: ['primary-alive', 'adopt-existing'] },
  { what: 'our redis replicates from another member (adoption)', v: voter({ adoption: { kind: 'await', master: 'n3' } }), r: offer(), want: ['primary-alive', 'adopt-existing'] },
  { what: 'the member our redis replicates from needs no declaration (adoption)', v: voter({ adoption: { kind: 'await', master: 'n2' }, primaryLost: false }), r: offer(), want: 'grant' },
  { what: 'the member our redis replicates from, with less data (adoption)', v: voter({ adoption: { kind: 'await', master: 'n2' }, primaryLost: false }), r: offer({ offset: 99 }), want: ['stale-offset', 'data-rule'] },
  { what: 'a voter waiting for the member its redis replicates from does not rank itself before it (adoption)', v: voter({ self: n1, adoption: { kind: 'await', master: 'n2' }, primaryLost: false, mayStand: true }), r: offer({ prevote: true }), want: 'grant' },
  { what: 'the same without adopt-existing', v: voter({ adoption: { kind: 'keep-self' } }, ['adopt-existing']), r: offer(), want: 'grant' },
  { what: 'no offset read since the primary was lost', v: voter({ offsetAt: 800 }), r: offer(), want: ['offset-unknown', 'data-rule'] },
  { what: "the candidate's data epoch unknown (no PREVOTE seen)", v: voter({ candidateDataEpoch: undefined }), r: offer(), want: ['offset-unknown', 'data-rule'] },
  { what: 'a candidate with a lower offset', v: voter(), r: offer({ offset: 99 }), want: ['stale-offset', 'data-rule'] },
  { what: 'a candidate of an older data epoch with a longer offset', v: voter({ candidateDataEpoch: 3 }), r: offer({ offset: 900 }), want: ['stale-offset', 'data-rule'] },
  { what: 'the same, offsets alone (data-epoch-order off)', v: voter({ candidateDataEpoch: 3 }, ['data-epoch-order']), r: offer({ offset: 900 }), want: 'grant' },
  { what: 'a lower offset without the data rule', v: voter({}, ['data-rule']), r: offer({ offset: 0 }), want: 'grant' },
  { what: 'a witness voter skips the data checks', v: voter({ self: w, healthy: false }), r: offer({ offset: 0 }), want: 'grant' },
  {
    what: 'a voter whose redis lost data judges by what it held (data-memory)',
    v: voter({ held: { dataEpoch: 4, offset: 100 }, heldBeforeLoss: true, current: { dataEpoch: 4, offset: 0 } }),
    r: offer({ offset: 50 }),
    want: ['stale-offset', 'data-rule'],
  },
  { what: 'a PREVOTE of equal data when we rank first and may stand', v: voter({ mayStand: true }), r: offer({ prevote: true }), want: ['better-candidate', 'ranked-standing'] },
  { what: 'the same OFFER is no ranking matter', v: voter({ mayStand: true }), r: offer(), want: 'grant' },
  { what: 'a PREVOTE of equal data when we rank first but back off', v: voter({ mayStand: false }), r: offer({ prevote: true }), want: 'grant' },
  { what: 'a PREVOTE of equal data from a better-ranked candidate', v: voter({ mayStand: true, self: { id: 'n3', witness: false, priority: 1, learner: false } }), r: offer({ prevote: true }), want: 'grant' },
];

describe('judgeVote', () => {
  for (const c of cases) {
    it(c.what, () => {
      const got = judgeVote(c.v, c.r);
      if (c.want === 'grant' || c.want === 'declare-primary-lost') expect(got.kind).toBe(c.want);
      else expect(got).toMatchObject({ kind: 'refuse', reason: c.want[0], rule: c.want[1] });
    });
  }

  it('the stale-offset detail says when our data is remembered from before a loss', () => {
    const got = judgeVote(voter({ heldBeforeLoss: true, current: { dataEpoch: 4, offset: 0 } }), offer({ offset: 50 }));
    expect(got).toMatchObject({ detail: 'candidate data (epoch 4, offset 50) is behind ours (epoch 4, offset 100) (held before our redis lost data; it holds epoch 4, offset 0 now)', dataCompared: true });
  });

  it('changes nothing in the snapshot it is given', () => {
    const v = voter({ primaryLost: false });
    const copy = JSON.stringify({ ...v, rules: undefined });
    judgeVote(v, offer());
    expect(JSON.stringify({ ...v, rules: undefined })).toBe(copy);
  });
});
