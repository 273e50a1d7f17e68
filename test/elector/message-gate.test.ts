/** message-gate.ts: the sender check, the epoch gate and the epoch bound as tables, ours at epoch 4. */
import { describe, expect, it } from 'vitest';
import { epochBoundGate, epochGate, highestEpochIn, senderGate } from '../../src/elector/message-gate.js';
import { MAX_HELD_EPOCH } from '../../src/protocol/limits.js';
import type { ElectionMessage } from '../../src/protocol/messages.js';

const hb = (epoch: number, nodeId = 'n2'): ElectionMessage => ({ type: 'HB', epoch, nodeId, role: 'primary', replOffset: 0 });
const lease = (epoch: number, primaryId = 'n2'): ElectionMessage => ({ type: 'LEASE', epoch, primaryId, seq: 1 });
const announce = (epoch: number, primaryId = 'n2'): ElectionMessage => ({ type: 'ANNOUNCE', epoch, primaryId, primaryAddr: 'a:1' });
const accept = (epoch: number, accepterId = 'n2'): ElectionMessage => ({ type: 'ACCEPT', epoch, accepterId });
const leaseAck = (epoch: number): ElectionMessage => ({ type: 'LEASEACK', epoch, voterId: 'n2', seq: 1 });
const handoff = (epoch: number): ElectionMessage => ({ type: 'HANDOFF', epoch, targetId: 'n3', primaryOffset: 0 });
const offer = (epoch: number, candidateId = 'n2'): ElectionMessage => ({ type: 'OFFER', epoch, candidateId, replOffset: 0 });
const prevote = (epoch: number, dataEpoch = 0): ElectionMessage => ({ type: 'PREVOTE', epoch, candidateId: 'n2', replOffset: 0, dataEpoch });
const refuse = (epoch: number, voterEpoch: number): ElectionMessage => ({ type: 'REFUSE', epoch, voterId: 'n2', voterEpoch, reason: 'stale-epoch' });
const preaccept = (epoch: number): ElectionMessage => ({ type: 'PREACCEPT', epoch, voterId: 'n2' });

describe('epochGate (ours: 4)', () => {
  const cases: [string, ElectionMessage, object][] = [
    ['older HB: keep its claim only', hb(3), { pass: false, keepClaim: true }],
    ['older LEASE: keep its claim only', lease(3), { pass: false, keepClaim: true }],
    ['HB of ours', hb(4), { pass: true }],
    ['newer LEASE', lease(5), { pass: true }],
    ['older ANNOUNCE: ignored with a reason', announce(3), { pass: false, ignored: 'epoch 3 is older than ours 4' }],
    ['newer ANNOUNCE', announce(9), { pass: true }],
    ['ACCEPT of ours', accept(4), { pass: true }],
    ['ACCEPT of another epoch: dropped', accept(5), { pass: false }],
    ['older LEASEACK: dropped', leaseAck(3), { pass: false }],
    ['HANDOFF of another epoch: ignored', handoff(5), { pass: false, ignored: 'not from our primary in our epoch' }],
    ['HANDOFF of ours', handoff(4), { pass: true }],
    ['older OFFER: answered (the candidate learns our epoch)', offer(2), { pass: true }],
    ['newer PREVOTE: judged, never adopted', prevote(8), { pass: true }],
    ['REFUSE of any epoch: its voter epoch is learned', refuse(1, 9), { pass: true }],
    ['PREACCEPT of epoch + 1: answers our pre-vote', preaccept(5), { pass: true }],
  ];
  for (const [what, msg, want] of cases) it(what, () => expect(epochGate(msg, 4)).toEqual(want));
});

describe('senderGate (from n2)', () => {
  const cases: [string, ElectionMessage, boolean, object][] = [
    ['HB naming its sender', hb(4), true, { pass: true }],
    ['HB naming another node: ignored', hb(4, 'n3'), true, { pass: false, ignored: 'HB names n3 but came from n2' }],
    ['OFFER for another candidate: ignored', offer(4, 'n3'), true, { pass: false, ignored: 'names candidate n3 but came from n2' }],
    ['ANNOUNCE of another node: ignored (announce-sender)', announce(4, 'n3'), true, { pass: false, ignored: 'announces n3 but came from n2' }],
    ['the same with announce-sender off', announce(4, 'n3'), false, { pass: true }],
    ['LEASE of another primary: dropped', lease(4, 'n3'), true, { pass: false }],
    ['ACCEPT by another voter: dropped', accept(4, 'n3'), true, { pass: false }],
    ['HANDOFF (no id of its sender)', handoff(4), true, { pass: true }],
  ];
  for (const [what, msg, checked, want] of cases) it(what, () => expect(senderGate('n2', msg, checked)).toEqual(want));
});

describe('epochBoundGate', () => {
  it('passes MAX_HELD_EPOCH and stops anything above it, in any epoch field', () => {
    expect(epochBoundGate(hb(MAX_HELD_EPOCH))).toEqual({ pass: true });
    expect(epochBoundGate(hb(MAX_HELD_EPOCH + 1))).toMatchObject({ pass: false, ignored: expect.stringContaining('above the highest epoch a node may hold') });
    expect(epochBoundGate(refuse(1, MAX_HELD_EPOCH + 1)).pass).toBe(false);
    expect(epochBoundGate(prevote(1, MAX_HELD_EPOCH + 1)).pass).toBe(false);
    expect(highestEpochIn({ type: 'PROOF', proof: '0'.repeat(64) })).toBe(0);
  });
});
