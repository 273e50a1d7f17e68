/**
 * Real processes: the README's procedure for adding and removing nodes
 * (protocol.md §5.12). Three redis + sidecars; a writer doing SET + WAIT n
 * the whole time, n always the one §5.12 "Which WAIT holds during a change"
 * gives for the change under way; `resp-elect member add` two nodes (their
 * sidecars started with --join), then `member remove` two, one of them dead.
 * Nothing acknowledged is lost, and `member list` is right at every step.
 * About 25 s alone; the 120 s limit is for a loaded machine (the full suite).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseElectionInfo } from '../../src/admin/election-info.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, expectQuorum, kinds, memberList, memberSpec, mustMember, newJoiner, waitForMembers, waitForSameConfig } from './membership-support.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** The node ids SENTINEL REPLICAS names (its `node-id` field), sorted. */
async function sentinelReplicas(n: ClusterNode): Promise<string[]> {
  const entries = (await ask(n, ['SENTINEL', 'REPLICAS', 'mymaster'])) as string[][];
  return entries.map((e) => e[e.indexOf('node-id') + 1]!).sort();
}

describe('membership: add two nodes, remove two (one dead), under acknowledged writes', { timeout: 120_000 }, () => {
  it('follows the README procedure with no acknowledged write lost', async () => {
    const c = await startCluster({ nodes: 3 });
    cluster = c;
    watchFailures(c);
    // p: the primary (whichever won); a and b: the two replicas, removed at the end (b dead).
    const p = await c.waitForPrimary();
    const [a, b] = c.dataNodes.filter((n) => n !== p) as [ClusterNode, ClusterNode];
    const inOrder = (...ids: string[]) => ['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => ids.includes(id));
    const start = await memberList(a);
    expect(kinds(start)).toEqual(['n1:voter', 'n2:voter', 'n3:voter']);
    expectQuorum(start, 3);

    // 3 voters: WAIT 1.
    const w = c.writer({ replicas: 1 });
    await w.waitForAcks(20);

    // --- add n4. While it is a learner: majority(3) - 1 + 1 learner = WAIT 2, and 2 with 4 voters after.
    const n4 = await newJoiner(c, 'n4', [p, a]);
    w.setReplicas(2);
    // Asked of a replica's sidecar: forwarded to the primary's; returns once committed.
    const added4 = await mustMember(a, ['add', '--member', memberSpec(n4)]);
    expect(added4).toMatch(/^added n4 as a learner/);
    expect(added4).toMatch(/\nn4 +learner +1 +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ +NO\n/);
    expect(kinds(await memberList(p))).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner']);
    n4.startSidecar();
    await n4.waitSidecarStarted();
    expect(n4.logs()).toMatch(/joined: configuration fetched and saved/);
    // The primary promotes it once its redis caught up.
    expectQuorum(await waitForMembers(p, ['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter']), 4);
    await w.waitForAcks(20);

    // --- add n5. 4 voters + a learner: majority(4) - 1 + 1 = WAIT 3; 5 voters after: WAIT 2.
    const n5 = await newJoiner(c, 'n5', [b]);
    w.setReplicas(3);
    await w.waitForAcks(10);
    expect(await mustMember(p, ['add', '--member', memberSpec(n5)])).toMatch(/^added n5 as a learner/);
    n5.startSidecar();
    await n5.waitSidecarStarted();
    expectQuorum(await waitForMembers(p, ['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter', 'n5:voter']), 5);
    w.setReplicas(2);
    await w.waitForAcks(20);
    await waitForSameConfig(c, p);
    expect(await sentinelReplicas(n5)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => id !== p.id));

    // --- remove b, dead: sidecar and redis killed first. 5 -> 4 voters: majority(5) - 1 = WAIT 2.
    await b.kill('SIGKILL');
    await w.waitForAcks(20);
    const removedB = await mustMember(a, ['remove', '--id', b.id]);
    expect(removedB).toMatch(new RegExp(`^removed ${b.id}`));
    const afterB = await memberList(p);
    expect(kinds(afterB)).toEqual(inOrder(p.id, a.id, 'n4', 'n5').map((id) => `${id}:voter`));
    expectQuorum(afterB, 4);
    expect(afterB.committed).toBe(true);
    await w.waitForAcks(20);

    // --- remove a, alive: 4 -> 3 voters, its redis attached until it hears: majority(4) - 1 + 1 = WAIT 3.
    w.setReplicas(3);
    await w.waitForAcks(10);
    await mustMember(n4, ['remove', '--id', a.id]);
    const final = await memberList(p);
    const finalKinds = inOrder(p.id, 'n4', 'n5').map((id) => `${id}:voter`);
    expect(kinds(final)).toEqual(finalKinds);
    expectQuorum(final, 3);
    // 3 voters: WAIT 1.
    w.setReplicas(1);
    // The removed node knows it is out, and says so.
    const seenByA = await waitForMembers(a, finalKinds);
    expect(seenByA.removed).toBe(true);
    await w.waitForAcks(20);
    await a.kill('SIGKILL');
    await w.waitForAcks(20);

    const stats = await w.stop();
    expect(stats.acked).toBeGreaterThan(100);
    const primary = await c.verifyNoAckedLoss([w]);
    expect(primary.id).toBe(p.id);

    // INFO election and SENTINEL follow the committed configuration.
    const info = parseElectionInfo(String(await ask(p, ['INFO', 'election'])));
    expect(info).toMatchObject({ configVersion: final.version, voters: 3, learners: 0, quorum: 2, reachableVoters: 3 });
    expect(info.members.map((m) => `${m.id}:${m.kind}`).sort()).toEqual(finalKinds);
    expect(await sentinelReplicas(n4)).toEqual(['n4', 'n5']);
  });
});
