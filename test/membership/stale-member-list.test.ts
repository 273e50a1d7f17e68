/**
 * Real processes: a sidecar started with a stale `--member` list (a fresh
 * data directory, the cluster's first list) after membership changes. The
 * flags are only a configuration a node is born with (protocol.md §5.12):
 * they must never override the cluster's. A node the cluster still counts
 * adopts the cluster's configuration; a node the cluster removed is refused,
 * its log says why and what to run instead, and its redis never replicates
 * from the primary (it would count toward WAIT without being a voter).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../lab/util/wait.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { kinds, memberList, memberSpec, mustMember, newJoiner, waitForMembers } from './membership-support.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function boot(): Promise<{ c: Cluster; p: ClusterNode; a: ClusterNode; b: ClusterNode }> {
  const c = await startCluster({ nodes: 3 });
  cluster = c;
  watchFailures(c);
  const p = await c.waitForPrimary();
  const [a, b] = c.dataNodes.filter((n) => n !== p) as [ClusterNode, ClusterNode];
  return { c, p, a, b };
}

/** Stop the sidecar, forget everything it stored (a replaced disk), start it again with its first arguments. */
async function restartWiped(n: ClusterNode): Promise<number> {
  await n.killSidecar('SIGKILL');
  for (const f of ['config.json', 'vote.json']) rmSync(join(n.dataDir, f), { force: true });
  const since = n.logOffset();
  n.startSidecar();
  await n.waitSidecarStarted(since);
  return since;
}

/** The log lines since `since` that are not debug. */
const lines = (n: ClusterNode, since: number) => n.logs(since).split('\n').filter((l) => !l.includes(' DEBUG '));

describe('membership: a sidecar started with a stale --member list', { timeout: 60_000 }, () => {
  it('a member the cluster still counts adopts the cluster configuration, not its flags', async () => {
    const { c, p, a } = await boot();
    const n4 = await newJoiner(c, 'n4', [p]);
    await mustMember(p, ['add', '--member', memberSpec(n4)]);
    n4.startSidecar();
    await n4.waitSidecarStarted();
    const current = await waitForMembers(p, ['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter']);

    // a's disk is replaced; its flags still list only n1, n2, n3.
    const since = await restartWiped(a);
    const held = await waitForMembers(a, kinds(current));
    expect(held.version).toBe(current.version);
    expect(lines(a, since).some((l) => l.includes('event=config') && l.includes(`configuration ${current.version} in use`) && l.includes('reason="CONFIG from'))).toBe(true);
    // And it takes part again: its redis follows the primary.
    await c.waitForReplicasLinked(p);
  });

  it('a member the cluster removed is refused, says why and what to run, and its redis stays out', async () => {
    const { c, p, a, b } = await boot();
    await mustMember(a, ['remove', '--id', b.id]);
    const current = await memberList(p);
    expect(kinds(current)).not.toContain(`${b.id}:voter`);

    const since = await restartWiped(b);
    await sleep(3000);
    const log = lines(b, since);
    // Why, and what to run instead.
    expect(log.some((l) => l.includes(`not in configuration`) && l.includes('resp-elect member add'))).toBe(true);
    // Never replicating from the primary: a removed node's redis must not acknowledge WAIT.
    expect(log.filter((l) => l.includes('action=replicate'))).toEqual([]);
    const info = await p.mustInfo('replication');
    expect(Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes(`port=${b.redis!.port},`))).toEqual([]);
  });
});
