/** Fencing, client eviction and min-replicas through LocalRedis against real redis-server processes. */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisCommandError } from '../../src/redis/errors.js';
import { LocalRedis } from '../../src/redis/local-redis.js';
import { cleanupAll, startRedis, type RedisProc } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';

const adapters: LocalRedis[] = [];
function adapter(proc: RedisProc): LocalRedis {
  const a = new LocalRedis({ port: proc.port });
  adapters.push(a);
  return a;
}

afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  await cleanupAll();
});
afterAll(cleanupAll);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start a write and track whether it has settled, without letting a rejection go unhandled. */
function pendingWrite(client: Redis, key: string) {
  const state: { settled: boolean; value?: unknown; error?: Error; at?: number } = { settled: false };
  const promise = client.set(key, '1').then(
    (value) => Object.assign(state, { settled: true, value, at: Date.now() }),
    (error: Error) => Object.assign(state, { settled: true, error, at: Date.now() }),
  );
  return { state, promise };
}

describe('fence()', () => {
  it('holds writes from other clients while reads, INFO and polls go on; unfence() releases them', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    const app = redis.client();
    await app.set('r', 'v');

    await local.fence(10_000);
    const write = pendingWrite(app, 'w');
    const reader = redis.client();
    expect(await reader.get('r')).toBe('v');
    expect((await local.poll()).healthy).toBe(true);
    await sleep(200);
    expect(write.state.settled).toBe(false);

    await local.unfence();
    await write.promise;
    expect(write.state).toMatchObject({ settled: true, value: 'OK' });
    expect(await reader.get('w')).toBe('1');
  });

  it('lapses by itself, and a renewal extends it', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    const app = redis.client();

    const fencedAt = Date.now();
    await local.fence(200);
    const lapsing = pendingWrite(app, 'a');
    await waitFor(() => lapsing.state.settled, { what: 'the 200 ms fence to lapse', timeoutMs: 3000 });
    expect(lapsing.state.value).toBe('OK');
    expect((lapsing.state.at ?? 0) - fencedAt).toBeGreaterThanOrEqual(150);

    await local.fence(300);
    const renewed = pendingWrite(app, 'b');
    await sleep(100);
    await local.fence(2000); // renew before the first one lapses
    await local.fence(50); // a shorter renewal never shortens the fence
    await sleep(500);
    expect(renewed.state.settled).toBe(false);
    await local.unfence();
    await renewed.promise;
    expect(renewed.state.value).toBe('OK');
  });

  it('writes held across a demotion fail with READONLY instead of landing on the old primary', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    const app = redis.client();
    await local.fence(10_000);
    const held = pendingWrite(app, 'late');
    await sleep(100);
    expect(await local.detach()).toBe(true);
    await local.unfence();
    await held.promise;
    expect(held.state.error?.message).toMatch(/READONLY/);
    expect(await app.exists('late')).toBe(0);
  });

  it('rejects a non-positive duration', async () => {
    const redis = await startRedis();
    await expect(adapter(redis).fence(0)).rejects.toThrow(RedisCommandError);
    await expect(adapter(redis).fence(1.5)).rejects.toThrow(/CLIENT PAUSE 1.5 WRITE failed: ms must be a positive integer/);
  });
});

describe('killClients()', () => {
  it('disconnects normal and pubsub clients by type, never the adapter itself', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    expect((await local.poll()).reachable).toBe(true);
    const app = redis.client({ connectionName: 'app', retryStrategy: () => null });
    const sub = redis.client({ connectionName: 'sub', retryStrategy: () => null });
    await app.ping();
    const messages: string[] = [];
    sub.on('message', (_channel: string, message: string) => messages.push(message));
    await sub.subscribe('news');

    const clientList = async (observer: Redis) =>
      String(await observer.client('LIST'))
        .trim()
        .split('\n')
        .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string])));

    const observer0 = redis.client({ connectionName: 'observer0' });
    const adapterBefore = (await clientList(observer0)).find((c) => c['name'] === 'resp-elect');
    expect(adapterBefore).toBeDefined();
    observer0.disconnect();
    await waitFor(async () => !(await clientList(app)).some((c) => c['name'] === 'observer0'), { what: 'observer0 to be gone' });

    expect(await local.killClients(['normal'])).toBe(1);
    await waitFor(() => app.status === 'end', { what: 'the normal client to be disconnected' });
    expect(sub.status).toBe('ready');
    const observer = redis.client({ connectionName: 'observer' });
    await observer.publish('news', 'still here');
    await waitFor(() => messages.includes('still here'), { what: 'the subscriber to get a message' });
    const adapterAfter = (await clientList(observer)).find((c) => c['name'] === 'resp-elect');
    expect(adapterAfter?.['id']).toBe(adapterBefore?.['id']);
    expect((await local.poll()).reachable).toBe(true);

    expect(await local.killClients(['pubsub', 'pubsub'])).toBe(1);
    await waitFor(() => sub.status === 'end', { what: 'the subscriber to be disconnected' });
    expect(observer.status).toBe('ready');
    expect(await local.killClients(['normal', 'pubsub'])).toBe(1); // only the observer is left
  });
});

describe('killClients() and the sidecar\'s other connections', () => {
  it('spares every connection named resp-elect* (the fence connection keeps fencing), kills the application\'s', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    const fenceConn = new LocalRedis({ port: redis.port, connectionName: 'resp-elect-fence' });
    adapters.push(fenceConn);
    await fenceConn.fence(60_000);
    await fenceConn.unfence();
    // An application client named like a sidecar's, but only by prefix, is still killed.
    const app = redis.client({ connectionName: 'app', retryStrategy: () => null });
    const lookalike = redis.client({ connectionName: 'resp_elect', retryStrategy: () => null });
    await Promise.all([app.ping(), lookalike.ping()]);
    const observer = redis.client({ connectionName: 'resp-elect-observer' });
    const idOf = async (name: string) =>
      String(await observer.client('LIST'))
        .split('\n')
        .find((l) => l.includes(` name=${name} `))
        ?.match(/^id=(\d+)/)?.[1];
    const fenceId = await idOf('resp-elect-fence');
    expect(fenceId).toBeDefined();

    expect(await local.killClients(['normal'])).toBe(2);
    await waitFor(() => app.status === 'end' && lookalike.status === 'end', { what: 'the application clients to be disconnected' });
    // The same fence connection, not a reconnected one: it fences and unfences with no error.
    expect(await idOf('resp-elect-fence')).toBe(fenceId);
    await fenceConn.fence(60_000);
    const writer = redis.client({ commandTimeout: 150, maxRetriesPerRequest: 0 });
    await expect(writer.set('k', 'v')).rejects.toThrow();
    await fenceConn.unfence();
    expect(await idOf('resp-elect-fence')).toBe(fenceId);
    expect(await writer.set('k', 'v')).toBe('OK');
    expect(observer.status).toBe('ready');
  });
});

describe('setMinReplicas()', () => {
  it('makes a master without enough replicas refuse writes, and n = 0 lifts it', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    const app = redis.client();
    await local.setMinReplicas(1, 5);
    expect(await app.config('GET', 'min-replicas-*')).toEqual(
      expect.arrayContaining(['min-replicas-to-write', '1', 'min-replicas-max-lag', '5']),
    );
    await expect(app.set('k', 'v')).rejects.toThrow(/NOREPLICAS/);
    await local.setMinReplicas(0, 10);
    expect(await app.set('k', 'v')).toBe('OK');
    await expect(local.setMinReplicas(-1, 10)).rejects.toThrow(/min-replicas-to-write -1 failed/);
  });

  it('names the address and command when redis refuses', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    await redis.client().call('ACL', 'SETUSER', 'default', '-config');
    const err = await local.setMinReplicas(1, 5).then(
      () => undefined,
      (e: unknown) => e as RedisCommandError,
    );
    expect(err).toBeInstanceOf(RedisCommandError);
    expect(err?.message).toMatch(new RegExp(`^redis 127\\.0\\.0\\.1:${redis.port}: CONFIG SET min-replicas-max-lag 5 failed: NOPERM`));
  });
});
