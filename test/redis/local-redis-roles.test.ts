/** Role changes through LocalRedis against real redis-server processes: promote, replicateFrom, detach, failover. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisCommandError } from '../../src/redis/errors.js';
import { LocalRedis } from '../../src/redis/local-redis.js';
import type { RedisStatus } from '../../src/redis/status.js';
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

const replicaOf = (p: RedisProc) => ({ host: '127.0.0.1', port: p.port });

async function syncStats(proc: RedisProc): Promise<{ full: number; partialOk: number; partialErr: number }> {
  const stats = await proc.info('stats');
  return {
    full: Number(stats['sync_full']),
    partialOk: Number(stats['sync_partial_ok']),
    partialErr: Number(stats['sync_partial_err']),
  };
}

/** Poll `local` until it is a healthy replica at exactly `offset`. */
function caughtUp(local: LocalRedis, offset: number | undefined, what: string): Promise<RedisStatus> {
  return waitFor(
    async () => {
      const s = await local.poll();
      return s.healthy && s.role === 'slave' && s.offset === offset ? s : undefined;
    },
    { what },
  );
}

async function writeKeys(proc: RedisProc, prefix: string, n: number): Promise<void> {
  const pipeline = proc.client().pipeline();
  for (let i = 0; i < n; i++) pipeline.set(`${prefix}:${i}`, `value-${i}`);
  await pipeline.exec();
}

describe('promote()', () => {
  it('turns a replica into a writable master that keeps its data, idempotently', async () => {
    const primary = await startRedis();
    const replica = await startRedis({ replicaOf: replicaOf(primary) });
    const onPrimary = adapter(primary);
    const onReplica = adapter(replica);
    await writeKeys(primary, 'k', 10);
    await caughtUp(onReplica, (await onPrimary.poll()).offset, 'replica to catch up');

    await onReplica.promote();
    const status = await onReplica.poll();
    expect(status).toMatchObject({ role: 'master', healthy: true });
    const client = replica.client();
    expect(await client.dbsize()).toBe(10);
    expect(await client.set('after', '1')).toBe('OK');
    await onReplica.promote(); // already master: still fine
    expect((await onReplica.poll()).role).toBe('master');
  });
});

describe('replicateFrom()', () => {
  it('sends REPLICAOF only when the target differs', async () => {
    const primary = await startRedis();
    const other = await startRedis();
    const onOther = adapter(other);

    expect(await onOther.replicateFrom('127.0.0.1', primary.port)).toBe(true);
    await caughtUp(onOther, (await adapter(primary).poll()).offset, 'replica to sync');
    const before = await syncStats(primary);
    const connectionsBefore = (await primary.info('stats'))['total_connections_received'];

    expect(await onOther.replicateFrom('127.0.0.1', primary.port)).toBe(false);
    expect(await onOther.replicateFrom('127.0.0.1', primary.port)).toBe(false);
    expect(await syncStats(primary)).toEqual(before);
    expect((await onOther.poll()).replication?.linkStatus).toBe('up');
    // The replica never reconnected to the primary (the helper reuses its one INFO connection).
    expect((await primary.info('stats'))['total_connections_received']).toBe(connectionsBefore);
  });

  it('rejects an invalid target without sending anything', async () => {
    const redis = await startRedis();
    const local = adapter(redis);
    await expect(local.replicateFrom('127.0.0.1', 0)).rejects.toThrow(RedisCommandError);
    await expect(local.replicateFrom('', 6379)).rejects.toThrow(/invalid host/);
    expect((await local.poll()).role).toBe('master');
  });
});

describe('detach()', () => {
  it('stops following the primary but keeps the data, the history and read-only mode', async () => {
    const primary = await startRedis();
    const replica = await startRedis({ replicaOf: replicaOf(primary) });
    const onReplica = adapter(replica);
    await writeKeys(primary, 'k', 50);
    const synced = await caughtUp(onReplica, (await adapter(primary).poll()).offset, 'replica to catch up');

    await primary.kill('SIGKILL');
    expect(await onReplica.detach()).toBe(true);
    const detached = await onReplica.poll();
    expect(detached).toMatchObject({ role: 'slave', healthy: false, unhealthyReason: 'master-link-down', offset: synced.offset });
    expect(detached.replication).toMatchObject({ masterHost: '127.0.0.1', masterPort: 1, linkStatus: 'down' });
    expect(detached.replication?.replId).toBe(synced.replication?.replId);

    const client = replica.client();
    expect(await client.dbsize()).toBe(50);
    await expect(client.set('x', '1')).rejects.toThrow(/READONLY/);
    expect(await onReplica.detach()).toBe(false);
  });

  it('cuts a primary that is still alive off: its later writes do not arrive', async () => {
    const primary = await startRedis();
    const replica = await startRedis({ replicaOf: replicaOf(primary) });
    const onReplica = adapter(replica);
    await writeKeys(primary, 'a', 5);
    const synced = await caughtUp(onReplica, (await adapter(primary).poll()).offset, 'replica to catch up');
    await onReplica.detach();
    await writeKeys(primary, 'b', 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await replica.client().dbsize()).toBe(5);
    expect((await onReplica.poll()).offset).toBe(synced.offset);
  });
});

describe('failover', () => {
  it('replicas retarget to a promoted replica with a partial resync, detached or not', async () => {
    const primary = await startRedis();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => startRedis({ replicaOf: replicaOf(primary) })));
    if (!a || !b || !c) throw new Error('unreachable');
    const onA = adapter(a);
    const onB = adapter(b);
    const onC = adapter(c);
    await writeKeys(primary, 'before', 100);
    const offset = (await adapter(primary).poll()).offset;
    for (const [name, local] of [['a', onA], ['b', onB], ['c', onC]] as const) await caughtUp(local, offset, `${name} to catch up`);

    await primary.kill('SIGKILL');
    expect(await onB.detach()).toBe(true); // b is detached first; c keeps pointing at the dead primary
    await onA.promote();
    await writeKeys(a, 'after', 10);
    const before = await syncStats(a);
    expect(before).toEqual({ full: 0, partialOk: 0, partialErr: 0 });

    expect(await onB.replicateFrom('127.0.0.1', a.port)).toBe(true);
    expect(await onC.replicateFrom('127.0.0.1', a.port)).toBe(true);
    const newOffset = (await onA.poll()).offset;
    await caughtUp(onB, newOffset, 'b to catch up with the new primary');
    await caughtUp(onC, newOffset, 'c to catch up with the new primary');

    const after = await syncStats(a);
    expect(after).toEqual({ full: 0, partialOk: 2, partialErr: 0 });
    expect(await b.client().dbsize()).toBe(110);
    expect(await c.client().dbsize()).toBe(110);
    // The counters above say two partial syncs happened; only b's log says b's was one of them
    // (redis 7: "... with master.", valkey 8: "... with primary.").
    expect(b.logTail(50)).toMatch(/Successful partial resynchronization with (master|primary)/);
  });

  it('a fenced and detached old primary rejoins the promoted replica with a partial resync (handoff)', async () => {
    const oldPrimary = await startRedis();
    const replica = await startRedis({ replicaOf: replicaOf(oldPrimary) });
    const onOld = adapter(oldPrimary);
    const onReplica = adapter(replica);
    await writeKeys(oldPrimary, 'k', 20);

    await onOld.fence(5000);
    await caughtUp(onReplica, (await onOld.poll()).offset, 'replica to catch up with the fenced primary');
    expect(await onOld.detach()).toBe(true);
    await onOld.unfence();
    await onReplica.promote();
    expect(await onOld.replicateFrom('127.0.0.1', replica.port)).toBe(true);
    await caughtUp(onOld, (await onReplica.poll()).offset, 'old primary to follow the new one');
    expect(await syncStats(replica)).toMatchObject({ full: 0, partialOk: 1 });
    expect(await oldPrimary.client().dbsize()).toBe(20);
  });
});
