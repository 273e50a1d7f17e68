// Real Sentinel-aware clients (ioredis 6 and node-redis 6, which open with
// HELLO 3 and speak RESP3; node-redis 5, which speaks RESP2) against the admin
// API of a fake view that points at two real redis-servers: they find the
// primary, write through it, and follow a primary change announced over
// pub/sub alone (the old primary stays a writable master, so nothing else
// could tell them).
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { createSentinel as createSentinel5 } from 'redis5';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../lab/proc/ports.js';
import { cleanupAll, startRedis, type RedisProc } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';
import { client, closeAll, onCleanup, startAdmin, startTwoRedisAdmin } from './admin-harness.js';
import { FakeView } from './fake-view.js';

afterEach(async () => {
  await closeAll();
  await cleanupAll();
});
afterAll(cleanupAll);

/** What the node-redis tests need of either major's createSentinel. */
interface NodeRedisSentinel {
  on(event: 'error', fn: () => void): unknown;
  connect(): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  destroy(): Promise<unknown>;
}

/** Connects a node-redis sentinel client (destroyed after the test) and waits until it has subscribed to the events. */
async function connected(sentinel: NodeRedisSentinel, port: number): Promise<NodeRedisSentinel> {
  sentinel.on('error', () => {});
  onCleanup(async () => {
    await sentinel.destroy().catch(() => {});
  });
  await sentinel.connect();
  await sentinel.set('k', 'on-a');
  await waitFor(async () => (await pubsubClients(port)) >= 1, { what: 'node-redis subscribed to Sentinel events' });
  return sentinel;
}

/** Keeps writing through `client` until a write lands on `redis`. */
async function writesReach(client: { set(key: string, value: string): Promise<unknown> }, redis: RedisProc, what: string): Promise<void> {
  await waitFor(
    async () => {
      await client.set('k2', 'after');
      return (await redis.client().get('k2')) === 'after';
    },
    { what, timeoutMs: 10_000, intervalMs: 50 },
  );
}

async function pubsubClients(port: number): Promise<number> {
  const c = await client(port);
  const info = String(await c.command(['INFO', 'clients']));
  c.close();
  return Number(/pubsub_clients:(\d+)/.exec(info)?.[1] ?? 0);
}

describe('Sentinel-aware clients', () => {
  it('ioredis: resolves the master, writes, and follows +switch-master', async () => {
    const { view, port, a, b } = await startTwoRedisAdmin();
    const redis = new Redis({
      sentinels: [{ host: '127.0.0.1', port }],
      name: 'mymaster',
      failoverDetector: true,
      sentinelRetryStrategy: () => 50,
      retryStrategy: () => 50,
      maxRetriesPerRequest: 3,
      lazyConnect: true,
    });
    redis.on('error', () => {});
    onCleanup(() => redis.disconnect());
    const subscribed = new Promise<void>((resolve) => redis.once('failoverSubscribed', () => resolve()));
    await redis.connect();
    await redis.set('k', 'on-a');
    expect(await a.client().get('k')).toBe('on-a');
    await subscribed;

    view.setPrimary('n2', 4);
    await waitFor(
      async () => {
        await redis.set('k2', 'after');
        return (await b.client().get('k2')) === 'after';
      },
      { what: 'ioredis writing to the new primary', timeoutMs: 10_000, intervalMs: 50 },
    );
  });

  it('ioredis with sentinelPassword: authenticates with HELLO 3 AUTH, a wrong password is refused', async () => {
    const a = await startRedis();
    const view = new FakeView({ members: [{ id: 'n1', redis: { host: '127.0.0.1', port: a.port } }], clientPassword: 'pw' });
    const { port } = await startAdmin(view);
    const connectWith = async (sentinelPassword: string) => {
      const redis = new Redis({
        sentinels: [{ host: '127.0.0.1', port }],
        name: 'mymaster',
        sentinelPassword,
        sentinelRetryStrategy: () => null,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      redis.on('error', () => {});
      onCleanup(() => redis.disconnect());
      await redis.connect();
      return redis;
    };
    const ok = await connectWith('pw');
    expect(await ok.set('k', 'v')).toBe('OK');
    await expect(connectWith('wrong')).rejects.toThrow(/WRONGPASS|sentinels are unreachable/);
  });

  const nodeRedis: Array<[string, (port: number) => NodeRedisSentinel]> = [
    // 6 opens every connection with HELLO 3 and reads maps and pushes.
    ['node-redis 6 (RESP3)', (port) => createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port }] })],
    ['node-redis 5 (RESP2)', (port) => createSentinel5({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port }] })],
  ];
  it.each(nodeRedis)('%s createSentinel: resolves the master, writes, and follows the change', async (_label, create) => {
    const { view, port, a, b } = await startTwoRedisAdmin();
    const sentinel = await connected(create(port), port);
    expect(await a.client().get('k')).toBe('on-a');

    view.setPrimary('n2', 4);
    await writesReach(sentinel, b, 'node-redis writing to the new primary');
  });

  it('node-redis 6 told of a master that has just died, before anyone could flag it, asks again and follows the next answer', async () => {
    // The race behind node-redis 5's permanent hang (redis/node-redis#3061, fixed in 6.2 by #3331): a
    // sentinel answers "master" a moment before that redis dies, and the client's connection to it
    // never completes. Sentinel has the same window; a client must survive it, and 6 does.
    const dead = { host: '127.0.0.1', port: await freePort() };
    const { view, port, b } = await startTwoRedisAdmin({ id: 'n3', redis: dead });
    const sentinel = await connected(createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port }] }), port);

    view.setPrimary('n3', 4); // nothing listens there, and no flag says so
    await new Promise((r) => setTimeout(r, 200));
    view.setPrimary('n2', 5);
    await writesReach(sentinel, b, 'node-redis writing to n2 after being sent to a dead address');
  });
});
