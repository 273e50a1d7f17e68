/**
 * The one renderer of Elector events: every event type gets a sentence, its
 * type as the `event` field and its data as flat fields; and no sentence
 * claims a redis action (the runtime reports those once redis confirmed them).
 */
import { describe, expect, it } from 'vitest';
import type { ElectorEvent } from '../../src/elector/events.js';
import { eventLine, formatFields, renderEvent } from '../../src/elector/render-event.js';

/** One example of each event type; a new type fails to compile until it has one. */
const EXAMPLES: { [T in ElectorEvent['type']]: Extract<ElectorEvent, { type: T }> } = {
  role: { type: 'role', from: 'replica', to: 'candidate', epoch: 2, reason: 'primary lost and a majority would vote for us' },
  epoch: { type: 'epoch', from: 1, to: 2, reason: 'stood for election' },
  follow: { type: 'follow', primary: 'n1', epoch: 1, reason: 'n1 is primary of epoch 1' },
  'primary-lost': { type: 'primary-lost', primary: 'n1', epoch: 1, reason: 'n1 not heard for 300 ms' },
  'prevote-start': { type: 'prevote-start', epoch: 2, offset: 120 },
  'prevote-failed': { type: 'prevote-failed', epoch: 2, reason: 'pre-vote timed out' },
  'election-start': { type: 'election-start', epoch: 2, offset: 120, handoff: false },
  'election-lost': { type: 'election-lost', epoch: 2, reason: 'election timed out' },
  promote: { type: 'promote', epoch: 2 },
  elected: { type: 'elected', epoch: 2, votes: ['n2', 'n3'] },
  vote: { type: 'vote', candidate: 'n2', epoch: 2, granted: false, prevote: true, reason: 'primary-alive', detail: 'heard primary n1 12 ms ago' },
  lease: { type: 'lease', held: false, epoch: 1 },
  writes: { type: 'writes', allowed: false, epoch: 1, reason: 'lease lapsed' },
  peer: { type: 'peer', id: 'n3', up: false },
  'handoff-start': { type: 'handoff-start', target: 'n3', epoch: 1, offset: 300 },
  'handoff-released': { type: 'handoff-released', from: 'n1', target: 'n3', epoch: 1, offset: 300 },
  'handoff-end': { type: 'handoff-end', target: 'n3', epoch: 1, ok: false, reason: 'timed out' },
  'data-lost': { type: 'data-lost', held: { dataEpoch: 1, offset: 100 }, now: { dataEpoch: 1, offset: 0 }, holdMs: 1500 },
  'data-forgotten': { type: 'data-forgotten', held: { dataEpoch: 1, offset: 100 }, now: { dataEpoch: 1, offset: 0 } },
  adoption: { type: 'adoption', stance: 'await', master: 'n2', reason: 'local redis replicates from n2: waiting for its sidecar' },
  ignored: { type: 'ignored', from: 'n2', what: 'ANNOUNCE', reason: 'announces n3 but came from n2' },
  error: { type: 'error', what: 'persisting vote', message: 'EIO' },
  config: { type: 'config', version: 3, epoch: 2, members: 'version 3 (epoch 2): n1 voter, n2 voter, n4 learner', self: 'voter', reason: 'add n4 as learner' },
  'config-committed': { type: 'config-committed', version: 3, epoch: 2, members: 'version 3 (epoch 2): n1 voter, n2 voter, n4 learner' },
  'config-conflict': { type: 'config-conflict', peer: 'n2', version: 1, epoch: 0, ours: 'a'.repeat(64), theirs: 'b'.repeat(64) },
};

describe('renderEvent', () => {
  for (const ev of Object.values(EXAMPLES) as ElectorEvent[]) {
    it(`${ev.type}: a sentence, event=${ev.type} last, and every scalar of the event as a field`, () => {
      const r = renderEvent(ev);
      expect(r.event).toBe(ev.type);
      expect(r.msg.length).toBeGreaterThan(0);
      expect(Object.keys(r.fields).at(-1)).toBe('event');
      expect(r.fields['event']).toBe(ev.type);
      for (const v of Object.values(r.fields)) expect(v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)).toBe(true);
      for (const [k, v] of Object.entries(ev)) {
        if (k === 'type' || (typeof v === 'object' && v !== null && !Array.isArray(v))) continue;
        expect(r.fields[k], k).toBe(Array.isArray(v) ? v.join(',') : v);
      }
      // The compact line is the sentence and the why-fields, without the data repeated.
      expect(eventLine(ev)).toBe(Object.keys(r.why).length > 0 ? `${r.msg}  ${formatFields(r.why)}` : r.msg);
    });
  }

  it('the writes and follow sentences say what the Elector decided, not that redis did it (#17)', () => {
    const said = [
      renderEvent({ type: 'writes', allowed: false, epoch: 1, reason: 'lease lapsed' }).msg,
      renderEvent({ type: 'writes', allowed: true, epoch: 1, reason: 'primary holds a lease' }).msg,
      renderEvent({ type: 'follow', primary: null, epoch: 1, reason: 'n1 not heard for 300 ms' }).msg,
    ];
    expect(said).toEqual(['writes stopped: fencing the local redis', 'writes allowed: unfencing the local redis', 'following no primary: detaching the local redis']);
    for (const s of said) expect(s).not.toMatch(/redis (un)?fenced|redis detached/);
  });

  it('data points read as text in the why-fields', () => {
    expect(eventLine(EXAMPLES['data-lost'])).toBe('local redis lost data: judging candidates by the data it held  held="epoch 1 offset 100" now="epoch 1 offset 0" forMs=1500');
  });
});
