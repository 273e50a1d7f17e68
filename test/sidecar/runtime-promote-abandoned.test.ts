/**
 * The executor's promote step against a real redis-server, with an Elector
 * that gives the promotion up while the step awaits redis (n2 won epoch 5,
 * then a late REFUSE made it adopt epoch 6, and n3 may be promoting now).
 * The step must notice before each irreversible command: no REPLICAOF NO ONE
 * once the Elector moved on, no epoch marker of the old epoch, no
 * promoted(true), no "promoted" line, and a redis already made a master is
 * fenced at once.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisRuntime } from '../../src/sidecar/redis-runtime.js';
import { LocalRedis } from '../../src/redis/local-redis.js';
import { cleanupAll, startRedis, type RedisProc } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';
import { keptLog, runtimeConfig, ScriptedElector } from '../support/scripted-elector.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await cleanupAll();
});
afterAll(cleanupAll);

/** Whether a write from another client completes within `ms` (a fence holds it). */
async function writable(r: RedisProc, ms = 150): Promise<boolean> {
  const c = r.client({ commandTimeout: ms, maxRetriesPerRequest: 0 });
  try {
    await c.set('__probe__', '1');
    return true;
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** A replica n2 whose Elector promotes epoch 5, and a gate in front of one LocalRedis step. */
async function setup(gated: 'ensureReplicationUser' | 'promote') {
  const old = await startRedis();
  const r = await startRedis({ replicaOf: { host: '127.0.0.1', port: old.port } });
  const el = new ScriptedElector();
  el.phase = 'promoting';
  el.epoch = 5;
  const { log, lines } = keptLog('n2');
  const rt = new RedisRuntime({ config: runtimeConfig('n2', r.port), elector: el.asElector(), log, now: () => Date.now(), deliver: () => undefined });
  closers.push(() => rt.stop());
  let open!: () => void;
  const gate = new Promise<void>((res) => (open = res));
  let entered = false;
  const real = rt.redis[gated].bind(rt.redis) as (...a: unknown[]) => Promise<void>;
  (rt.redis as unknown as Record<string, unknown>)[gated] = async (...a: unknown[]) => {
    entered = true;
    await gate;
    return real(...a);
  };
  return { r, el, rt, lines, open, entered: () => entered };
}

/** The Elector adopts epoch 6 while promoting 5 (the events it emits then, in order). */
function abandon(el: ScriptedElector, rt: RedisRuntime): void {
  el.phase = 'follower';
  el.epoch = 6;
  rt.onElectorEvent({ type: 'epoch', from: 5, to: 6, reason: 'refused: epoch 6 is under way' });
  rt.onElectorEvent({ type: 'role', from: 'candidate', to: 'replica', epoch: 6, reason: 'epoch 6 began before the promotion completed' });
}

async function dataEpoch(r: RedisProc): Promise<number | undefined> {
  const l = new LocalRedis({ port: r.port });
  try {
    return (await l.poll()).dataEpoch;
  } finally {
    await l.close();
  }
}

describe('RedisRuntime: a promotion the Elector abandons mid-step', { timeout: 30_000 }, () => {
  it('abandoned before REPLICAOF NO ONE: redis stays a replica, the Elector is told nothing', async () => {
    const { r, el, rt, lines, open, entered } = await setup('ensureReplicationUser');
    rt.start();
    rt.onElectorEvent({ type: 'promote', epoch: 5 });
    await waitFor(entered, { what: 'the promote step to reach the replication user' });
    abandon(el, rt);
    open();
    await waitFor(() => lines.some((l) => l.includes('action=promote-abandoned')), { what: 'the abandoned promotion to be logged' });
    expect((await r.info('replication'))['role']).toBe('slave');
    expect(el.promotedCalls).toEqual([]);
    expect(lines.filter((l) => / action=promote$/.test(l))).toEqual([]);
    expect(await dataEpoch(r)).not.toBe(5);
  });

  it('abandoned while REPLICAOF NO ONE runs: no marker, no promoted(true), and the new master is fenced', async () => {
    const { r, el, rt, lines, open, entered } = await setup('promote');
    rt.start();
    rt.onElectorEvent({ type: 'promote', epoch: 5 });
    await waitFor(entered, { what: 'the promote step to reach REPLICAOF NO ONE' });
    abandon(el, rt);
    open();
    await waitFor(() => lines.some((l) => l.includes('action=promote-abandoned')), { what: 'the abandoned promotion to be logged' });
    expect((await r.info('replication'))['role']).toBe('master');
    expect(rt.fenced).toBe(true);
    expect(await writable(r)).toBe(false);
    expect(el.promotedCalls).toEqual([]);
    expect(lines.filter((l) => / action=promote$/.test(l))).toEqual([]);
    expect(await dataEpoch(r)).not.toBe(5);
  });

  it('a promote event the Elector gave up before the loop reached it is never carried out', async () => {
    const { r, el, rt, lines, open } = await setup('ensureReplicationUser');
    open(); // no gate: only the plan can keep this promotion from running
    rt.onElectorEvent({ type: 'promote', epoch: 5 });
    abandon(el, rt);
    rt.start();
    // Several loop turns: each would have taken the pending promotion up.
    await new Promise((res) => setTimeout(res, 400));
    expect((await r.info('replication'))['role']).toBe('slave');
    expect(el.promotedCalls).toEqual([]);
    expect(lines.filter((l) => /action=promote/.test(l))).toEqual([]);
  });
});
