/**
 * The executor's promote step on a redis that already holds a
 * `min-replicas-to-write` (set by the user in redis.conf, or left by a sidecar
 * that crashed with --min-replicas). Right after REPLICAOF NO ONE no replica is
 * attached, so the epoch-marker write would be refused with NOREPLICAS and every
 * promotion of this node would fail. The marker is written with the check off,
 * and the user's setting is back afterwards.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisRuntime } from '../../src/sidecar/redis-runtime.js';
import { LocalRedis } from '../../src/redis/local-redis.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';
import { keptLog, runtimeConfig, ScriptedElector } from '../support/scripted-elector.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await cleanupAll();
});
afterAll(cleanupAll);

describe('RedisRuntime: promoting a redis that holds min-replicas-to-write', { timeout: 30_000 }, () => {
  it('writes the epoch marker, tells the Elector, and leaves the setting as it found it', async () => {
    const old = await startRedis();
    const r = await startRedis({ replicaOf: { host: '127.0.0.1', port: old.port } });
    const admin = new LocalRedis({ port: r.port });
    closers.push(() => admin.close());
    await admin.setMinReplicas(1, 7);
    const el = new ScriptedElector();
    el.phase = 'promoting';
    el.epoch = 5;
    const { log, lines } = keptLog('n2');
    const rt = new RedisRuntime({ config: runtimeConfig('n2', r.port), elector: el.asElector(), log, now: () => Date.now(), deliver: () => undefined });
    closers.push(() => rt.stop());
    rt.start();
    rt.onElectorEvent({ type: 'promote', epoch: 5 });
    await waitFor(() => el.promotedCalls.length > 0, { what: 'the promote step to tell the Elector', timeoutMs: 10_000 });
    expect(el.promotedCalls[0], lines.join('\n')).toEqual({ ok: true, detail: '' });
    expect((await admin.poll()).dataEpoch).toBe(5);
    expect(await admin.minReplicas()).toEqual({ n: 1, maxLagSec: 7 });
  });
});
