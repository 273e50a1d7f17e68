/**
 * The sidecar's event log: every Elector event as one line carrying its
 * `event` type, in both formats; and a flood of identical refusals folded
 * into a bounded number of lines (#17: 5,000 refused OFFERs in 5 s wrote
 * 5,000 INFO lines).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore, type ElectorEvent } from '../../src/index.js';
import { ElectorEventLog, REFUSAL_WINDOW_MS } from '../../src/sidecar/event-log.js';
import { createLogger, parseHumanLine } from '../../src/sidecar/logger.js';
import type { LogFormat } from '../../src/sidecar/config.js';

const CLOCK = new Date('2026-12-03T12:00:00.000Z');

function capture(format: LogFormat = 'json', level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ nodeId: 'n1', level, format, write: (l) => lines.push(l), clock: () => CLOCK });
  return { lines, log, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const refusal = (candidate: string, reason: 'stale-epoch' | 'primary-alive' = 'stale-epoch', epoch = 3): ElectorEvent => ({
  type: 'vote',
  candidate,
  epoch,
  granted: false,
  prevote: false,
  reason,
  detail: `offer for epoch ${epoch}, ours is 7`,
});

describe('event fields', () => {
  it('a json line carries the event type and its data as fields', () => {
    const { log, json } = capture('json');
    new ElectorEventLog(log).write({ type: 'role', from: 'candidate', to: 'primary', epoch: 4, reason: 'won epoch 4' }, 0);
    expect(json()).toEqual([
      { time: CLOCK.toISOString(), level: 'info', node: 'n1', msg: 'role candidate -> primary', epoch: 4, reason: 'won epoch 4', from: 'candidate', to: 'primary', event: 'role' },
    ]);
  });

  it('a human line ends with event= (and action=), after the other fields', () => {
    const { log, lines } = capture('human');
    new ElectorEventLog(log).write({ type: 'writes', allowed: false, epoch: 2, reason: 'lease lost' }, 0);
    log.info('local redis fenced: CLIENT PAUSE WRITE', { action: 'fence', renewEveryMs: 50 });
    expect(lines).toEqual([
      `${CLOCK.toISOString()} INFO  [n1] writes stopped: fencing the local redis  epoch=2 reason="lease lost" allowed=false event=writes`,
      `${CLOCK.toISOString()} INFO  [n1] local redis fenced: CLIENT PAUSE WRITE  renewEveryMs=50 action=fence`,
    ]);
  });
});

describe('human lines parse back', () => {
  it('to the same message and fields, whatever the values', () => {
    const word = fc.stringMatching(/^[a-z0-9:.,()>-]{1,8}$/);
    const msg = fc.array(word, { minLength: 1, maxLength: 6 }).map((ws) => ws.join(' '));
    // Strings that look like other types, or hold quotes and `=`, are the ones quoting must keep apart.
    const tricky = fc.constantFrom('0', '-3.5', '1e5', 'true', 'null', '', 'a=b', '"q"', 'x y', '127.0.0.1:6379');
    const value = fc.oneof(fc.string({ maxLength: 12 }), tricky, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const fields = fc.dictionary(fc.stringMatching(/^[a-zA-Z][\w-]{0,8}$/), value, { maxKeys: 5 });
    fc.assert(
      fc.property(msg, fields, (m, f) => {
        const { log, lines } = capture('human');
        log.info(m, f);
        const parsed = parseHumanLine(lines[0]!);
        // -0 prints as 0: the one value that cannot come back as written.
        const expected = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v]));
        expect(parsed).toEqual({ time: CLOCK.toISOString(), level: 'info', node: 'n1', msg: m, fields: expected });
      }),
    );
  });

  it('a rendered event reads back with its event field', () => {
    const { log, lines } = capture('human');
    new ElectorEventLog(log).write({ type: 'role', from: 'primary', to: 'replica', epoch: 3, reason: 'local redis is unhealthy' }, 0);
    expect(parseHumanLine(lines[0]!)).toMatchObject({ msg: 'role primary -> replica', fields: { event: 'role', from: 'primary', to: 'replica', epoch: 3 } });
    expect(parseHumanLine('resp-elect: --listen 127.0.0.1:1: address already in use')).toBeUndefined();
  });
});

describe('refusal floods', () => {
  it('5,000 refused OFFERs in 5 s from a real Elector write three lines, and the count is exact', () => {
    const { log, json } = capture();
    const events = new ElectorEventLog(log);
    const e = new Elector({
      nodeId: 'n1',
      members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }],
      advertisedAddr: '127.0.0.1:6379',
      voteStore: new MemoryVoteStore({ epoch: 7, votedFor: null }),
      random: () => 0.5,
      onEvent: (ev) => events.write(ev, now),
    });
    let now = 0;
    let refuses = 0;
    for (let i = 0; i < 5000; i++) {
      now = i; // one a millisecond, with the sidecar's tick in between
      const out = e.onMessage('n2', { type: 'OFFER', epoch: 3, candidateId: 'n2', replOffset: 0 }, now);
      refuses += out.filter((o) => o.msg.type === 'REFUSE').length;
      events.flush(now);
    }
    events.flush(REFUSAL_WINDOW_MS);
    expect(refuses).toBe(5000); // the Elector still answers every one; only the log folds
    const votes = json().filter((l) => l['event'] === 'vote');
    expect(votes).toHaveLength(2);
    expect(votes[0]).toMatchObject({ msg: 'vote refused to n2 for epoch 3', reason: 'stale-epoch', candidate: 'n2' });
    expect(votes[0]).not.toHaveProperty('repeats');
    expect(votes[1]).toMatchObject({ msg: '… and 4,999 more vote refusals to n2 in the last 5 s', reason: 'stale-epoch', candidate: 'n2', repeats: 4999 });
    expect(json().map((l) => l['event'])).toEqual(['peer', 'vote', 'vote']);
  });

  it('a flood that goes on writes at most two lines per window, and the first of each window in full', () => {
    const { log, json } = capture();
    const events = new ElectorEventLog(log, 1000);
    for (let t = 0; t < 10_000; t += 2) {
      events.flush(t);
      events.write(refusal('n2'), t);
    }
    events.flush(Infinity);
    const lines = json();
    expect(lines).toHaveLength(20);
    expect(lines.filter((l) => l['repeats'] === undefined)).toHaveLength(10);
    expect(lines.reduce((n, l) => n + 1 + (typeof l['repeats'] === 'number' ? l['repeats'] : 0), 0) - 10).toBe(5000);
  });

  it('different candidates and reasons are told apart; a grant is never folded', () => {
    const { log, json } = capture();
    const events = new ElectorEventLog(log);
    events.write(refusal('n2'), 0);
    events.write(refusal('n3'), 1);
    events.write(refusal('n2', 'primary-alive'), 2);
    events.write({ type: 'vote', candidate: 'n2', epoch: 3, granted: true, prevote: true }, 3);
    events.write({ type: 'vote', candidate: 'n2', epoch: 3, granted: true, prevote: true }, 4);
    events.write(refusal('n2'), 5);
    events.flush(Infinity);
    expect(json().map((l) => [l['candidate'], l['reason'] ?? 'granted', l['repeats'] ?? 0])).toEqual([
      ['n2', 'stale-epoch', 0],
      ['n3', 'stale-epoch', 0],
      ['n2', 'primary-alive', 0],
      ['n2', 'granted', 0],
      ['n2', 'granted', 0],
      ['n2', 'stale-epoch', 1],
    ]);
  });

  it('ignored messages are folded the same way (debug level, same sender, kind and reason)', () => {
    const { log, json } = capture('json', 'debug');
    const events = new ElectorEventLog(log);
    const e = new Elector({
      nodeId: 'n1',
      members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }],
      advertisedAddr: '127.0.0.1:6379',
      voteStore: new MemoryVoteStore(),
      random: () => 0.5,
      onEvent: (ev) => events.write(ev, now),
    });
    let now = 0;
    // n2 asks for votes on n3's behalf: ignored, every time.
    for (; now < 1000; now++) e.onMessage('n2', { type: 'OFFER', epoch: 3, candidateId: 'n3', replOffset: 0 }, now);
    events.flush(Infinity);
    const ignored = json().filter((l) => l['event'] === 'ignored');
    expect(ignored.map((l) => [l['msg'], l['level'], l['repeats']])).toEqual([
      ['ignored OFFER from n2', 'debug', undefined],
      ['… and 999 more ignored OFFER from n2 in the last 1 s', 'debug', 999],
    ]);
  });

  it('the number of runs tracked at once is bounded: the rest share one overflow summary', () => {
    const { log, json } = capture();
    const events = new ElectorEventLog(log, 5000, 2);
    for (let i = 0; i < 100; i++) events.write(refusal(`m${i % 50}`), i);
    events.flush(Infinity);
    const lines = json();
    // m0 and m1 in full, m2 (the first of the overflow) in full, then one summary per run.
    expect(lines.map((l) => [l['candidate'] ?? '*', l['repeats'] ?? 0])).toEqual([
      ['m0', 0],
      ['m1', 0],
      ['m2', 0],
      ['m0', 1],
      ['m1', 1],
      ['*', 95],
    ]);
    expect(lines.at(-1)!['msg']).toBe('… and 95 more refusals of other candidates or reasons in the last 1 s');
  });
});
