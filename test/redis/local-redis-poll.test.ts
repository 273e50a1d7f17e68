/** LocalRedis.poll() against real redis-server processes: roles, offsets, health, failures. */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { RedisCommandError } from '../../src/redis/errors.js';
import { LocalRedis, type LocalRedisOptions } from '../../src/redis/local-redis.js';
import type { RedisStatus } from '../../src/redis/status.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanupAll, startRedis, type RedisProc } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';

const adapters: LocalRedis[] = [];
function adapter(port: number, options: Partial<LocalRedisOptions> = {}): LocalRedis {
  const a = new LocalRedis({ port, ...options });
  adapters.push(a);
  return a;
}

afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  await cleanupAll();
});
afterAll(cleanupAll);

const replicaOf = (p: RedisProc) => ({ host: '127.0.0.1', port: p.port });

describe('poll() on a master', () => {
  it('reports a healthy master with master_repl_offset and run_id', async () => {
    const primary = await startRedis();
    const local = adapter(primary.port);
    const status = await local.poll();
    const info = await primary.info();
    expect(status).toMatchObject({ reachable: true, healthy: true, role: 'master', runId: info['run_id'] });
    expect(status.offset).toBe(Number(info['master_repl_offset']));
    expect(status.error).toBeUndefined();
    expect(status.replication?.connectedReplicas).toEqual([]);
  });
});

describe('poll() on a replica', () => {
  it('reports link up, the master, and an offset that tracks the master', async () => {
    const primary = await startRedis();
    const replica = await startRedis({ replicaOf: replicaOf(primary) });
    const onPrimary = adapter(primary.port);
    const onReplica = adapter(replica.port);

    const first = await waitFor(async () => ((await onReplica.poll()).healthy ? onReplica.poll() : undefined), {
      what: 'replica to be healthy',
    });
    expect(first).toMatchObject({ role: 'slave', healthy: true });
    expect(first.replication).toMatchObject({ linkStatus: 'up', masterHost: '127.0.0.1', masterPort: primary.port });

    const writer = primary.client();
    for (let i = 0; i < 20; i++) await writer.set(`k${i}`, 'x'.repeat(100));
    const primaryStatus = await onPrimary.poll();
    const caughtUp = await waitFor(
      async () => {
        const s = await onReplica.poll();
        return s.offset === primaryStatus.offset ? s : undefined;
      },
      { what: `replica offset to reach ${primaryStatus.offset}` },
    );
    expect(caughtUp.offset).toBeGreaterThan(first.offset ?? 0);
    // On 7.0 a streaming replica's own stream offset equals the applied one.
    expect(caughtUp.replication?.masterReplOffset).toBe(caughtUp.offset);
    expect(caughtUp.replication?.replId).toBe(primaryStatus.replication?.replId);

    const listed = await waitFor(
      async () => (await onPrimary.poll()).replication?.connectedReplicas.find((r) => r.port === replica.port),
      { what: 'primary to list the replica' },
    );
    expect(listed).toMatchObject({ ip: '127.0.0.1', state: 'online' });
  });

  it('a replica whose master is unreachable has its link down and is unhealthy', async () => {
    const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: await freePort() } });
    const status = await adapter(replica.port).poll();
    expect(status).toMatchObject({ reachable: true, role: 'slave', healthy: false, unhealthyReason: 'master-link-down' });
    expect(status.replication?.linkStatus).toBe('down');
    // No master and no cached master: redis reports the synthetic offset 1.
    expect(status.offset).toBe(1);
  });

  it('a replica receiving and then loading a full sync is unhealthy until it is done', async () => {
    const primary = await startRedis();
    const replica = await startRedis();
    const writer = primary.client();
    const pipeline = writer.pipeline();
    for (let i = 0; i < 30; i++) pipeline.set(`big:${i}`, randomBytes(3000).toString('base64'));
    await pipeline.exec();
    // Slow the RDB down on both ends so each phase lasts a few hundred ms: 20 ms per key to save, 20 ms to load.
    await writer.config('SET', 'rdb-key-save-delay', '20000');
    const replicaAdmin = replica.client();
    await replicaAdmin.config('SET', 'key-load-delay', '20000');
    await replicaAdmin.config('SET', 'loading-process-events-interval-bytes', '1024');

    const local = adapter(replica.port);
    expect(await local.replicateFrom('127.0.0.1', primary.port)).toBe(true);
    const seen: RedisStatus[] = [];
    const done = await waitFor(
      async () => {
        const s = await local.poll();
        seen.push(s);
        return s.healthy ? s : undefined;
      },
      { what: 'replica to finish the full sync', intervalMs: 10, timeoutMs: 10_000 },
    );
    // Before the transfer starts, the replica is still handshaking: link down, no sync yet.
    const reasons = [...new Set(seen.map((s) => s.unhealthyReason ?? 'healthy'))].filter((r) => r !== 'master-link-down');
    expect(reasons).toEqual(['sync-in-progress', 'loading', 'healthy']);
    expect(seen.every((s) => s.reachable)).toBe(true);
    // While loading, the cached master is gone and slave_repl_offset is redis's synthetic 1.
    expect(seen.filter((s) => s.unhealthyReason === 'loading').every((s) => s.offset === 1)).toBe(true);
    expect(done.offset).toBe((await adapter(primary.port).poll()).offset);
    expect(await replicaAdmin.dbsize()).toBe(30);
  });
});

describe('poll() across restarts and failures', () => {
  it('sees a new run_id after a restart and reconnects by itself', async () => {
    const primary = await startRedis();
    const local = adapter(primary.port);
    const before = await local.poll();
    await primary.kill('SIGKILL');
    const down = await local.poll();
    expect(down).toMatchObject({ reachable: false, healthy: false, unhealthyReason: 'unreachable' });
    // The dead connection is replaced and INFO retried at once, so the reason is the refusal itself.
    expect(down.error).toMatch(/ECONNREFUSED/);
    await primary.restart();
    const after = await local.poll();
    expect(after).toMatchObject({ reachable: true, healthy: true, role: 'master' });
    expect(after.runId).toBeDefined();
    expect(after.runId).not.toBe(before.runId);

    // Restarted between two polls: the first poll afterwards already sees the new process.
    await primary.restart();
    const again = await local.poll();
    expect(again).toMatchObject({ reachable: true, healthy: true });
    expect(again.runId).not.toBe(after.runId);
  });

  it('an unreachable redis yields reachable:false quickly, and every command a clear error', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const port = await freePort();
      const local = adapter(port);
      const started = Date.now();
      const status = await local.poll();
      expect(Date.now() - started).toBeLessThan(500);
      expect(status).toMatchObject({ reachable: false, healthy: false, unhealthyReason: 'unreachable' });
      expect(status.error).toMatch(/ECONNREFUSED/);

      const attempts: [string, () => Promise<unknown>][] = [
        ['REPLICAOF NO ONE', () => local.promote()],
        ['REPLICAOF 127.0.0.1 6379', () => local.replicateFrom('127.0.0.1', 6379)],
        ['REPLICAOF 127.0.0.1 1', () => local.detach()],
        ['CLIENT PAUSE 100 WRITE', () => local.fence(100)],
        ['CLIENT UNPAUSE', () => local.unfence()],
        ['CLIENT LIST TYPE normal', () => local.killClients(['normal'])],
        ['CONFIG SET min-replicas-max-lag', () => local.setMinReplicas(1, 10)],
      ];
      for (const [command, call] of attempts) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RedisCommandError);
        expect((err as Error).message).toContain(`redis 127.0.0.1:${port}: `);
        expect((err as Error).message).toContain(command);
        expect((err as Error).message).toMatch(/ECONNREFUSED/);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
      consoleError.mockRestore();
    }
  });

  it('a frozen redis is reported unreachable within the command timeout, and recovers', async () => {
    const primary = await startRedis();
    const local = adapter(primary.port, { commandTimeout: 200, connectTimeout: 200 });
    expect((await local.poll()).reachable).toBe(true);
    await primary.kill('SIGSTOP');
    try {
      const started = Date.now();
      const frozen = await local.poll();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(frozen).toMatchObject({ reachable: false, healthy: false });
      expect(frozen.error).toMatch(/no reply within 200 ms/);
      // The next poll must not wait on the dead connection either (fresh connect, bounded handshake).
      const again = await local.poll();
      expect(again.reachable).toBe(false);
    } finally {
      await primary.kill('SIGCONT');
    }
    const back = await waitFor(async () => ((await local.poll()).reachable ? true : undefined), { what: 'redis to answer again' });
    expect(back).toBe(true);
  });

  it('reports authentication failures as unreachable with the reason, and works with the right password', async () => {
    const primary = await startRedis({ args: ['--requirepass', 's3cret'] });
    const wrong = await adapter(primary.port, { password: 'nope' }).poll();
    expect(wrong.reachable).toBe(false);
    expect(wrong.error).toMatch(/WRONGPASS|invalid password|invalid username-password/i);
    expect(wrong.error).not.toContain('nope');
    const right = await adapter(primary.port, { password: 's3cret' }).poll();
    expect(right).toMatchObject({ reachable: true, healthy: true });
    const acl = await adapter(primary.port, { username: 'default', password: 's3cret' }).poll();
    expect(acl.reachable).toBe(true);
  });

  it('after close() poll() reports the adapter closed', async () => {
    const primary = await startRedis();
    const local = adapter(primary.port);
    expect((await local.poll()).reachable).toBe(true);
    await local.close();
    expect(await local.poll()).toMatchObject({ reachable: false, error: 'the adapter is closed' });
  });
});

describe('poll() reads replica-read-only', () => {
  it('yes by default, no once an operator turns it off, unknown when CONFIG is refused', async () => {
    const r = await startRedis({ args: ['--user', 'noconfig', 'on', 'nopass', '~*', '&*', '+@all', '-config'] });
    const local = adapter(r.port);
    expect((await local.poll()).replicaReadOnly).toBe(true);
    const admin = r.client();
    await admin.call('CONFIG', 'SET', 'replica-read-only', 'no');
    expect((await local.poll()).replicaReadOnly).toBe(false);
    const restricted = await adapter(r.port, { username: 'noconfig' }).poll();
    expect(restricted.reachable).toBe(true);
    expect(restricted.replicaReadOnly).toBeUndefined();
  });
});
