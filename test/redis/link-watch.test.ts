/** RedisLinkWatch against real redis-server processes: up while it answers, down the moment it dies or stalls. */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisLinkWatch } from '../../src/redis/link-watch.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';

const watches: RedisLinkWatch[] = [];
const servers: Server[] = [];
function watch(timeoutMs = 1000): RedisLinkWatch {
  const w = new RedisLinkWatch({ pingEveryMs: 100, timeoutMs, retryMs: 50 });
  watches.push(w);
  return w;
}
function fakeServer(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

afterEach(async () => {
  for (const w of watches.splice(0)) w.stop();
  for (const s of servers.splice(0)) s.close();
  await cleanupAll();
});
afterAll(cleanupAll);

describe('RedisLinkWatch', () => {
  it('is up while redis answers and down within milliseconds of a kill -9', async () => {
    const redis = await startRedis();
    const w = watch(5000);
    expect(w.up).toBeUndefined();
    w.target({ host: '127.0.0.1', port: redis.port });
    await waitFor(async () => w.up === true, { what: 'link up' });
    await redis.kill('SIGKILL');
    // Far below the 5 s silence timeout: the closed connection and the refused reconnect say it.
    await waitFor(async () => w.up === false, { what: 'link down after the kill', timeoutMs: 1000, intervalMs: 5 });
    await redis.restart();
    await waitFor(async () => w.up === true, { what: 'link up again after the restart' });
  });

  it('is down when nothing listens, and undefined when it watches nothing', async () => {
    const w = watch();
    w.target({ host: '127.0.0.1', port: await freePort() });
    await waitFor(async () => w.up === false, { what: 'refused link down' });
    w.target(undefined);
    expect(w.up).toBeUndefined();
  });

  it('a stopped (SIGSTOP) redis is down after the silence timeout', async () => {
    const redis = await startRedis();
    const w = watch(300);
    w.target({ host: '127.0.0.1', port: redis.port });
    await waitFor(async () => w.up === true, { what: 'link up' });
    await redis.kill('SIGSTOP');
    try {
      await waitFor(async () => w.up === false, { what: 'silent link down', timeoutMs: 3000, intervalMs: 20 });
    } finally {
      await redis.kill('SIGCONT');
    }
    await waitFor(async () => w.up === true, { what: 'link up after SIGCONT' });
  });

  it('a server that answers and hangs up (protected mode) stays up and is not dialled in a busy loop', async () => {
    let connections = 0;
    const port = await fakeServer((s) => {
      connections++;
      s.end('-DENIED Redis is running in protected mode\r\n');
    });
    const w = watch();
    w.target({ host: '127.0.0.1', port });
    await waitFor(async () => w.up === true, { what: 'link up' });
    const before = connections;
    await new Promise((r) => setTimeout(r, 500));
    expect(w.up).toBe(true);
    // retryMs is 50: about ten reconnects in 500 ms, not thousands.
    expect(connections - before).toBeLessThan(25);
  });

  it('a long-lived connection the server kicks (CLIENT KILL) goes down at once and comes back up', async () => {
    const redis = await startRedis();
    const w = watch(5000);
    w.target({ host: '127.0.0.1', port: redis.port });
    await waitFor(async () => w.up === true, { what: 'link up' });
    await new Promise((r) => setTimeout(r, 120)); // older than retryMs (50): not a server that always hangs up
    const admin = redis.client();
    // Record every write of the link state: down and up again can happen within one
    // millisecond on loopback (close, reconnect, connect), too fast for a sampling timer.
    const seen: (boolean | undefined)[] = [];
    let state = w.up;
    Object.defineProperty(w, 'state', {
      configurable: true,
      get: () => state,
      set: (v: boolean | undefined) => {
        state = v;
        seen.push(v);
      },
    });
    try {
      expect(Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'))).toBeGreaterThanOrEqual(1);
      await waitFor(async () => seen.includes(false) && w.up === true, { what: 'down, then up again', timeoutMs: 2000, intervalMs: 5 });
    } finally {
      admin.disconnect();
    }
  });

  it('retargeting moves the link to the new address', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()]);
    const w = watch();
    w.target({ host: '127.0.0.1', port: a.port });
    await waitFor(async () => w.up === true, { what: 'link to a up' });
    w.target({ host: '127.0.0.1', port: b.port });
    await a.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(w.up).toBe(true);
  });
});
