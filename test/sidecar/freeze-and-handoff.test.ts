/**
 * Real processes: a frozen primary sidecar (SIGSTOP past down-after-ms, then
 * SIGCONT) and a planned stop of the primary sidecar (SIGTERM → hand-off).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, watchFailures, startCluster, type Cluster, type ClusterOptions } from '../support/cluster.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function boot(opts: ClusterOptions = {}): Promise<Cluster> {
  const c = await startCluster({ nodes: 3, ...opts });
  cluster = c;
  watchFailures(c);
  return c;
}

// Real processes on a possibly busy machine: generous per-test limits; the timing claims are asserted separately.
describe('resp-elect run: frozen and stopping primaries', { timeout: 120_000 }, () => {
  it('SIGSTOP of the primary sidecar past down-after-ms, then SIGCONT: one primary afterwards, the old redis demoted, nothing acknowledged lost', async () => {
    const c = await boot();
    const old = await c.waitForPrimary();
    const w = c.writer();
    await w.waitForAcks(100);
    const mark = old.logOffset();

    const t0 = Date.now();
    await old.killSidecar('SIGSTOP');
    const fresh = await c.waitForPrimary({ not: old });
    console.log(`[freeze] ${old.id}'s sidecar stopped: ${fresh.id} writable primary after ${Date.now() - t0} ms`);
    await w.waitForAcks(100); // the writer moved to the new primary
    // Keep it frozen well past down-after-ms (the new primary has run several lease rounds by now).
    const frozenFor = Math.max(0, 2 * c.downAfterMs - (Date.now() - t0));
    await new Promise((r) => setTimeout(r, frozenFor));

    await old.killSidecar('SIGCONT');
    const t1 = Date.now();
    // The thawed sidecar learns the newer epoch, steps down and demotes its redis.
    await waitFor(
      async () => {
        const masters = await c.writableMasters();
        const info = await old.info('replication');
        return masters.length === 1 && masters[0] === fresh && info?.['role'] === 'slave';
      },
      { what: `${fresh.id} the only writable master and ${old.id} demoted`, timeoutMs: 5000 },
    );
    console.log(`[freeze] ${old.id}'s sidecar resumed: its redis demoted after ${Date.now() - t1} ms`);
    expect(old.logs(mark)).toMatch(/role primary -> replica/);
    expect(old.logs(mark)).toMatch(new RegExp(`following primary ${fresh.id}`));

    // And it stays that way: one writable master, the new one, sampled for a while.
    for (let i = 0; i < 10; i++) {
      expect((await c.writableMasters()).map((n) => n.id)).toEqual([fresh.id]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.waitForReplicasLinked(fresh);
    await w.waitForAcks(100);
    const stats = await w.stop();
    console.log(`[freeze] writer: ${JSON.stringify(stats)}`);
    await c.verifyNoAckedLoss([w]);
  });

  it('SIGTERM on the primary sidecar: a planned hand-off, a new primary without waiting down-after-ms, nothing acknowledged lost', async () => {
    // down-after-ms 2000 (hand-off timeout 4000): "without waiting down-after-ms" as a time bound that a
    // loaded machine does not break, while a failover by silence (≥ 2000 ms) would.
    const c = await boot({ downAfterMs: 2000 });
    const old = await c.waitForPrimary();
    const w = c.writer();
    await w.waitForAcks(200);
    const marks = new Map(c.nodes.map((n) => [n.id, n.logOffset()]));

    const t0 = Date.now();
    old.child!.kill('SIGTERM');
    const fresh = await c.waitForPrimary({ not: old });
    const ms = Date.now() - t0;
    console.log(`[handoff] SIGTERM to ${old.id}'s sidecar: ${fresh.id} writable primary after ${ms} ms (down-after-ms ${c.downAfterMs})`);

    const exit = await old.waitSidecarExit();
    expect(exit).toEqual({ code: 0, signal: null });
    const log = old.logs(marks.get(old.id));
    expect(log).toMatch(/SIGTERM received: stopping/);
    expect(log).toMatch(new RegExp(`hand-off to ${fresh.id} started`));
    expect(log).toMatch(new RegExp(`handed off to ${fresh.id} before exiting`));
    expect(log).not.toMatch(/exiting without a hand-off|left the local redis fenced/);
    // The new primary stood because of the hand-off, not because the old one went silent.
    expect(fresh.logs(marks.get(fresh.id))).toMatch(/standing for election in epoch \d+  offset=\d+ handoff=true/);
    for (const n of c.dataNodes.filter((x) => x !== old)) expect(n.logs(marks.get(n.id))).not.toMatch(/not heard for/);
    expect(ms).toBeLessThan(c.downAfterMs);

    // The old redis was left a replica of the new primary, with everything.
    await c.waitForReplicasLinked(fresh);
    expect((await old.mustInfo('replication'))['role']).toBe('slave');
    await w.waitForAcks(100);
    const stats = await w.stop();
    console.log(`[handoff] writer: longest gap between acknowledged writes ${w.longestAckGap()} ms, ${JSON.stringify(stats)}`);
    await c.verifyNoAckedLoss([w]);
  });
});
