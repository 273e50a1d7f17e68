/** The shared test support itself: ports, waitFor, and the redis-server process helper. */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lab/proc/ports.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupAll);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('freePort', () => {
  it('never hands out the same port twice', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? `done after ${n}` : undefined), { what: 'n to reach 3', intervalMs: 1 })).resolves.toBe(
      'done after 3',
    );
  });

  it('names what it waited for and the last value on timeout', async () => {
    await expect(waitFor(() => false, { what: 'role master', timeoutMs: 50 })).rejects.toThrow(
      /timed out after 50 ms waiting for role master; last value: false/,
    );
    await expect(
      waitFor(
        () => {
          throw new Error('ECONNREFUSED');
        },
        { what: 'redis up', timeoutMs: 50 },
      ),
    ).rejects.toThrow(/waiting for redis up; last error: ECONNREFUSED/);
  });
});

describe('startRedis', () => {
  it('starts a configured redis-server that answers and logs to its dir', async () => {
    const redis = await startRedis();
    expect(redis.addr).toBe(`127.0.0.1:${redis.port}`);
    expect(alive(redis.pid)).toBe(true);
    const client = redis.client();
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'repl-diskless-sync')).toEqual(['repl-diskless-sync', 'yes']);
    expect(await client.config('GET', 'dir')).toEqual(['dir', redis.dir]);
    const server = await redis.info('server');
    expect(server['tcp_port']).toBe(String(redis.port));
    expect(server['process_id']).toBe(String(redis.pid));
    expect(redis.logTail()).toMatch(/Ready to accept connections/);
    await redis.stop();
    expect(alive(redis.pid)).toBe(false);
    expect(existsSync(redis.dir)).toBe(false);
    await redis.stop(); // idempotent
  });

  it('restart() keeps the port, changes the pid and comes back empty, even for a replica that did a full sync', async () => {
    const primary = await startRedis();
    const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: primary.port } });
    const writer = primary.client();
    const reader = replica.client();
    await writer.set('k', 'v');
    await waitFor(async () => (await reader.get('k')) === 'v', { what: 'replica to receive k' });

    // Without the replica, the restarted node must not find the sync RDB on disk.
    await primary.kill('SIGKILL');
    const pid = replica.pid;
    await replica.restart();
    expect(replica.pid).not.toBe(pid);
    expect(await reader.dbsize()).toBe(0); // the old client reconnected by itself
    expect(await reader.config('GET', 'port')).toEqual(['port', String(replica.port)]);

    await primary.restart();
    expect(await writer.dbsize()).toBe(0);
  });

  it('kill() with a non-ending signal returns at once; a stopped process is still cleaned up', async () => {
    const redis = await startRedis();
    await redis.kill('SIGSTOP');
    expect(redis.running).toBe(true);
    await redis.stop(); // SIGTERM + SIGCONT: the stopped process still exits
    expect(redis.running).toBe(false);
  });

  it('refuses a port another server already holds (and does not mistake that server for its own)', async () => {
    const holder = await startRedis();
    await expect(startRedis({ port: holder.port })).rejects.toThrow(/exited[\s\S]*Address already in use/);
    expect(holder.running).toBe(true);
  });

  it('reports a server that cannot start, with its log', async () => {
    await expect(startRedis({ args: ['--no-such-option', 'x'] })).rejects.toThrow(/exited[\s\S]*no-such-option/);
  });

  it('cleanupAll() kills every server still running', async () => {
    const a = await startRedis();
    const b = await startRedis();
    await b.kill('SIGSTOP');
    await cleanupAll();
    expect(alive(a.pid)).toBe(false);
    expect(alive(b.pid)).toBe(false);
  });
});
