/**
 * The limits of the client port (issue #17 defects 1, 4, 5): what a client
 * without the password can make the sidecar do. AUTH guessing is slowed and
 * then cut off, and counted; a silent unauthenticated client is closed; the
 * max-clients limit answers like redis; and a client pipelining thousands
 * of commands is answered in slices, with the event loop free in between.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TurnBudget } from '../../src/admin/turn-budget.js';
import { closeAll, raw, startAdmin } from './admin-harness.js';
import { FakeView } from './fake-view.js';

afterEach(closeAll);

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('AUTH throttling', () => {
  it('pauses after each failure, closes at maxAuthFailures, counts and logs (rate-limited)', async () => {
    const view = new FakeView({ clientPassword: 's3cret' });
    const admin = await startAdmin(view, { authFailureDelayMs: 100, maxAuthFailures: 3 });
    const conn = await raw(admin.port);
    const started = Date.now();
    conn.send('AUTH guess1\r\nAUTH guess2\r\nAUTH guess3\r\nAUTH s3cret\r\nPING\r\n');
    await conn.closed;
    const took = Date.now() - started;
    // Three failures answered, the third closes: the correct password pipelined behind them never runs.
    expect(count(conn.received(), '-WRONGPASS')).toBe(3);
    expect(conn.received()).not.toContain('+OK');
    expect(conn.received()).not.toContain('PONG');
    // Two pauses of 100 ms between the three attempts.
    expect(took).toBeGreaterThanOrEqual(190);
    const stats = admin.handler.stats();
    expect(stats.authFailures).toBe(3);
    expect(stats.authFailureDisconnects).toBe(1);

    // A second guesser within the log interval: counted, not logged again.
    const again = await raw(admin.port);
    again.send('AUTH x\r\nAUTH y\r\nAUTH z\r\n');
    await again.closed;
    expect(admin.handler.stats().authFailures).toBe(6);
    expect(admin.logs.filter((l) => l.includes('authentication failed'))).toHaveLength(1);
  });

  it('commands refused with NOAUTH count as failures too', async () => {
    const admin = await startAdmin(new FakeView({ clientPassword: 's3cret' }), { authFailureDelayMs: 0, maxAuthFailures: 2 });
    const conn = await raw(admin.port);
    conn.send('PING\r\nPING\r\nPING\r\n');
    await conn.closed;
    expect(count(conn.received(), '-NOAUTH')).toBe(2);
  });

  it('the right password after a wrong one still works, and resets nothing else', async () => {
    const admin = await startAdmin(new FakeView({ clientPassword: 's3cret' }), { authFailureDelayMs: 50, maxAuthFailures: 3 });
    const conn = await raw(admin.port);
    conn.send('AUTH wrong\r\nAUTH s3cret\r\nPING\r\n');
    await conn.waitFor('+PONG');
    expect(conn.received()).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+PONG\r\n');
  });
});

describe('authentication deadline', () => {
  it('closes a client that does not authenticate in time, not one that did', async () => {
    const admin = await startAdmin(new FakeView({ clientPassword: 's3cret' }), { authTimeoutMs: 150 });
    const silent = await raw(admin.port);
    silent.send('PING\r\n'); // a NOAUTH, and then nothing
    const authed = await raw(admin.port);
    authed.send('AUTH s3cret\r\n');
    await authed.waitFor('+OK');
    const started = Date.now();
    await silent.closed;
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 300));
    authed.send('PING\r\n');
    await authed.waitFor('+PONG');
    expect(admin.handler.stats().authTimeouts).toBe(1);
    expect(admin.logs.some((l) => l.includes('not authenticated within 150 ms'))).toBe(true);
  });

  it('does not apply without a password (every client is authenticated)', async () => {
    const admin = await startAdmin(new FakeView(), { authTimeoutMs: 50 });
    const conn = await raw(admin.port);
    conn.send('PING\r\n');
    await conn.waitFor('+PONG');
    await new Promise((r) => setTimeout(r, 200));
    conn.send('PING\r\n');
    await conn.waitFor('+PONG\r\n+PONG');
    expect(admin.handler.stats().authTimeouts).toBe(0);
  });
});

describe('idle timeout', () => {
  it('closes an idle client, but not a subscriber or one that keeps talking', async () => {
    const admin = await startAdmin(new FakeView(), { idleTimeoutMs: 200 });
    const idle = await raw(admin.port);
    idle.send('PING\r\n');
    await idle.waitFor('+PONG');
    const subscriber = await raw(admin.port);
    subscriber.send('SUBSCRIBE +switch-master\r\n');
    await subscriber.waitFor('+switch-master');
    const talker = await raw(admin.port);
    const chatter = setInterval(() => talker.send('PING\r\n'), 50);
    try {
      await idle.closed;
      await new Promise((r) => setTimeout(r, 400));
      expect(admin.handler.stats().idleTimeouts).toBe(1);
      subscriber.send('PING\r\n');
      await subscriber.waitFor('pong');
      expect(talker.received()).toContain('+PONG');
      expect(talker.socket.readyState).toBe('open');
      expect(subscriber.socket.readyState).toBe('open');
    } finally {
      clearInterval(chatter);
    }
  });
});

describe('max clients', () => {
  it('refuses connections beyond the limit like redis, and takes new ones once a slot is free', async () => {
    const admin = await startAdmin(new FakeView(), { maxClients: 2 });
    const a = await raw(admin.port);
    a.send('PING\r\n');
    await a.waitFor('+PONG');
    const b = await raw(admin.port);
    b.send('PING\r\n');
    await b.waitFor('+PONG');
    const c = await raw(admin.port);
    c.send('PING\r\n');
    await c.closed;
    expect(c.received()).toBe('-ERR max number of clients reached\r\n');
    expect(admin.handler.stats().refused).toEqual({ 'max-clients': 1 });
    expect(admin.logs.filter((l) => l.includes('max number of clients (2) reached'))).toHaveLength(1);
    a.socket.destroy();
    await a.closed;
    await new Promise((r) => setTimeout(r, 50));
    const d = await raw(admin.port);
    d.send('PING\r\n');
    await d.waitFor('+PONG');
  });
});

describe('unauthenticated clients', () => {
  it('hold at most a quarter of max-clients: a new one closes the oldest, authenticated ones are left alone', async () => {
    const admin = await startAdmin(new FakeView({ clientPassword: 's3cret' }), { maxClients: 8, authFailureDelayMs: 0 });
    const authed = await raw(admin.port);
    authed.send('AUTH s3cret\r\n');
    await authed.waitFor('+OK');
    const guests = [];
    for (let i = 0; i < 3; i++) {
      const g = await raw(admin.port);
      g.send('PING\r\n');
      await g.waitFor('-NOAUTH');
      guests.push(g);
    }
    // Two may wait (8 / 4); the third evicted the first.
    await guests[0]!.closed;
    expect(admin.handler.stats().refused['unauthenticated-evicted']).toBe(1);
    authed.send('PING\r\n');
    await authed.waitFor('+PONG');
    guests[1]!.send('AUTH s3cret\r\n');
    await guests[1]!.waitFor('+OK');
    // guests[1] is authenticated now: a new guest evicts guests[2], not it.
    const late = await raw(admin.port);
    late.send('PING\r\n');
    await late.waitFor('-NOAUTH');
    expect(admin.handler.stats().refused['unauthenticated-evicted']).toBe(1);
    const later = await raw(admin.port);
    later.send('PING\r\n');
    await later.waitFor('-NOAUTH');
    await guests[2]!.closed;
    expect(admin.handler.stats().refused['unauthenticated-evicted']).toBe(2);
    guests[1]!.send('PING\r\n');
    await guests[1]!.waitFor('+PONG');
  });
});

describe('pipelining', () => {
  it('answers a long pipeline in order, in slices, giving the event loop a turn between slices', async () => {
    const budget = new TurnBudget(64, 16);
    const admin = await startAdmin(new FakeView(), { budget });
    const conn = await raw(admin.port);
    const n = 4000;
    // Count event-loop turns while the pipeline is answered: a chain of setImmediate callbacks
    // advances once per turn, so it only moves if the client work yields.
    let turns = 0;
    let counting = true;
    const spin = () => {
      turns += 1;
      if (counting) setImmediate(spin);
    };
    setImmediate(spin);
    conn.send(Array.from({ length: n }, (_, i) => `PING ${i}\r\n`).join(''));
    const text = await conn.waitFor(`$${String(n - 1).length}\r\n${n - 1}\r\n`, 10_000);
    counting = false;
    const values = [...text.matchAll(/\$\d+\r\n(\d+)\r\n/g)].map((m) => Number(m[1]));
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
    // At most 16 commands per turn for one connection: at least n / 16 turns.
    expect(turns).toBeGreaterThanOrEqual(n / 16);
  });
});

describe('TurnBudget', () => {
  it('allows perTurn commands, then defers to the next turn in order', async () => {
    const budget = new TurnBudget(3, 2);
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
    const order: string[] = [];
    budget.defer(() => order.push('a'));
    budget.defer(() => order.push('b'));
    expect(order).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b']);
    expect(budget.remaining).toBe(3);
  });

  it('one resume that throws does not keep the others waiting', async () => {
    const budget = new TurnBudget(1, 1);
    const ran: string[] = [];
    budget.defer(() => {
      throw new Error('boom');
    });
    budget.defer(() => ran.push('second'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['second']);
  });

  it('rejects a budget that could never run anything', () => {
    expect(() => new TurnBudget(0, 1)).toThrow(/positive integers/);
  });
});
