/**
 * The executor's offset report against a real redis-server, in the race a
 * hand-off opens: writes stop (the `writes` event sends CLIENT PAUSE on the
 * fence connection) while a poll is in flight on the other connection. Redis
 * runs the poll's INFO, then an acknowledged write, then the PAUSE; the PAUSE
 * reply reaches the sidecar before the poll's. An offset from that poll
 * misses the write, and a hand-off releasing with it could lose it: the
 * first offset reported after writes stopped must include every write made
 * before the fence.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisRuntime } from '../../src/sidecar/redis-runtime.js';
import type { RedisStatus } from '../../src/redis/status.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';
import { keptLog, runtimeConfig, ScriptedElector } from '../support/scripted-elector.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await cleanupAll();
});
afterAll(cleanupAll);

describe('RedisRuntime: offsets and the fence', { timeout: 30_000 }, () => {
  it('a fence confirmed while a poll was in flight: that poll reports no offset, the next one does', async () => {
    const p = await startRedis();
    // A replica, so the primary keeps a backlog and master_repl_offset counts writes.
    const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: p.port } });
    await waitFor(async () => (await replica.info('replication'))['master_link_status'] === 'up', { what: 'the replica to link' });
    const app = p.client();

    const el = new ScriptedElector();
    el.phase = 'primary';
    el.epoch = 3;
    el.writes = true;
    const { log } = keptLog('n1');
    const rt = new RedisRuntime({ config: runtimeConfig('n1', p.port), elector: el.asElector(), log, now: () => Date.now(), deliver: () => undefined });
    closers.push(() => rt.stop());
    rt.onElectorEvent({ type: 'role', from: 'candidate', to: 'primary', epoch: 3, reason: 'won epoch 3' });

    // The next poll, once armed: its INFO has run when the trap fires, its answer is held until the trap ends.
    let trap: (() => Promise<void>) | undefined;
    const realPoll = rt.redis.poll.bind(rt.redis);
    rt.redis.poll = async (): Promise<RedisStatus> => {
      const s = await realPoll();
      const t = trap;
      trap = undefined;
      if (t !== undefined) await t();
      return s;
    };

    rt.start();
    await waitFor(() => el.offsets.length > 0 && !rt.fenced, { what: 'the primary to report an offset, unfenced' });

    let acked = -1;
    let mark = -1;
    let sprung = false;
    trap = async () => {
      await app.set('acknowledged-before-the-fence', '1');
      acked = Number((await p.info('replication'))['master_repl_offset']);
      // A hand-off starts: writes stop, and the runtime fences at once on its own connection.
      mark = el.offsets.length;
      el.writes = false;
      rt.onElectorEvent({ type: 'handoff-start', target: 'n2', epoch: 3, offset: 0 });
      rt.onElectorEvent({ type: 'writes', allowed: false, epoch: 3, reason: 'hand-off to n2' });
      await waitFor(() => rt.fenced, { what: 'the fence to be confirmed' });
      sprung = true;
    };
    await waitFor(() => sprung && el.offsets.length > mark, { what: 'an offset reported after writes stopped' });
    expect(acked).toBeGreaterThan(0);
    expect(el.offsets[mark]!.offset).toBeGreaterThanOrEqual(acked);
  });
});
