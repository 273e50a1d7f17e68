/**
 * Real processes: a membership change asked while the data voters of the new
 * configuration are behind (rule config-data, protocol.md §5.12) waits for
 * them instead of failing. Both replicas' redis-servers are frozen (SIGSTOP)
 * under writes, so the primary's offset runs ahead of what they report; a
 * `member add` asked then must still be pending while they are frozen, and
 * succeed once they are resumed and caught up — not return "refused" at once,
 * which is what an operator saw under load before (CI, stop 20). It also
 * found a replica left fenced for good after its redis froze (its fence
 * failed, a renewal landed it, and the keeper still believed it lifted: a
 * paused replica applies no stream, so the change was never committed;
 * test/sidecar/fence-keeper.test.ts has that case alone).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { kinds, memberCli, memberList, memberSpec, newJoiner } from './membership-support.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('membership: a change waits for lagging data voters', { timeout: 90_000 }, () => {
  it('member add is pending while both replicas are frozen behind, and completes once they catch up', async () => {
    const c = await startCluster({ nodes: 3 });
    cluster = c;
    watchFailures(c);
    const p = await c.waitForPrimary();
    const replicas = c.dataNodes.filter((n) => n !== p) as [ClusterNode, ClusterNode];
    // WAIT 0: writes keep flowing into the primary while its replicas cannot take them.
    const w = c.writer({ replicas: 0 });
    await w.waitForAcks(20);
    const n4 = await newJoiner(c, 'n4', [p]);
    for (const r of replicas) await r.kill('SIGSTOP', 'redis');
    await w.waitForAcks(50);
    let settled = false;
    const asked = memberCli(p, ['add', '--member', memberSpec(n4), '--wait', '30000']).finally(() => (settled = true));
    // Two seconds frozen: far more than the three heartbeats rule config-data allows a voter to be behind.
    await new Promise((r) => setTimeout(r, 2000));
    const early = settled ? await asked : undefined;
    expect(early?.stderr ?? 'still waiting').toBe('still waiting');
    for (const r of replicas) await r.kill('SIGCONT', 'redis');
    const done = await asked;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^added n4 as a learner/);
    expect(kinds(await memberList(p))).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner']);
    await w.stop();
  });
});
