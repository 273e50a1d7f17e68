/**
 * Real processes: a primary sidecar that exits without a hand-off leaves its
 * redis fenced for a day (CLIENT PAUSE WRITE 24 h) so it takes no writes a
 * new primary would never see. The next sidecar on that redis must lift that
 * fence when it makes the redis a replica or a primary, even when it never
 * fenced it itself (its first look at redis came after it already knew whom
 * to follow). A paused replica does not apply its master's stream at all.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

// Real processes on a possibly busy machine: generous per-test limits; the timing claims are asserted separately.
describe('resp-elect run: the fence a stopped primary leaves behind', { timeout: 120_000 }, () => {
  it('a restarted sidecar lifts it, so the old primary replicates again', async () => {
    const c = await startCluster({ nodes: 3 });
    cluster = c;
    watchFailures(c);
    const old = await c.waitForPrimary();
    const others = c.dataNodes.filter((n) => n !== old);

    // The replicas' sidecars die: the primary loses its lease, and then is stopped with no one to hand off to.
    await Promise.all(others.map((n) => n.killSidecar('SIGKILL')));
    await waitFor(() => old.logs().includes('lease lost'), { what: `${old.id} to lose its lease`, timeoutMs: 5000 });
    const mark = old.logOffset();
    old.child!.kill('SIGTERM');
    expect(await old.waitSidecarExit()).toEqual({ code: 0, signal: null });
    expect(old.logs(mark)).toMatch(/left the local redis fenced/);
    expect(await old.writable(200)).toBe(false); // the 24 h fence is in place

    // The two others come back and elect one of themselves.
    await Promise.all(others.map((n) => n.restartSidecar()));
    const fresh = await c.waitForPrimary({ not: old, timeoutMs: 10_000 });

    // The old node's sidecar restarts while its redis is unresponsive, so by the time it first reaches
    // redis it already follows the new primary: it never fenced this redis itself.
    await old.redis!.kill('SIGSTOP');
    try {
      await old.restartSidecar();
      await waitFor(() => old.logs().includes(`following primary ${fresh.id}`), { what: `${old.id} to follow ${fresh.id}`, timeoutMs: 10_000 });
    } finally {
      await old.redis!.kill('SIGCONT');
    }
    await c.waitForReplicasLinked(fresh);
    // Streaming, not just linked: the old redis acknowledges new writes.
    await c.waitForStreaming(fresh, 5000);
    const w = c.writer();
    await w.waitForAcks(50);
    await w.stop();
    await c.verifyNoAckedLoss([w]);
  });
});
