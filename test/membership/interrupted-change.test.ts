/**
 * Real processes: a membership change interrupted by the primary's sidecar
 * freezing (SIGSTOP) or dying (SIGKILL) while it is asked. Whatever the
 * timing, the change either completes or is refused with a reason (never
 * half made: every sidecar ends up holding one and the same configuration),
 * and once a new primary leads it can be asked again: a retry of a change
 * that did not happen succeeds, a retry of one that did is refused cleanly.
 * A change asked of a replica while the primary's sidecar is dead waits for
 * the election and is made by the next primary; asked again with RETRY, a
 * change made already is answered once committed instead of refused.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfigReply } from '../../src/admin/member-reply.js';
import { waitFor } from '../../lab/util/wait.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, kinds, memberCli, memberList, memberSpec, mustMember, newJoiner, waitForMembers, waitForSameConfig } from './membership-support.js';

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

/** Wait until `n`'s sidecar logs that a client asked it for `what` (`member add n4`), after log offset `since`. */
async function waitForAsked(n: ClusterNode, what: string, since: number): Promise<void> {
  await waitFor(() => n.logs(since).split('\n').some((l) => l.includes(` ${what}`) && l.includes(' asked by client ')), { what: `${n.id} to receive ${what}`, timeoutMs: 10_000, intervalMs: 2 });
}

/** No sidecar reports a conflicting configuration, and all hold the same version. */
async function expectOneConfiguration(c: Cluster, via: ClusterNode): Promise<void> {
  await waitForSameConfig(c, via, 15_000);
  for (const n of c.nodes.filter((x) => x.sidecarRunning)) expect((await memberList(n)).conflict).toBeNull();
}

describe('membership: a change interrupted on the primary', { timeout: 120_000 }, () => {
  it('freezing the primary sidecar mid-request: the add completes or is refused, and a retry settles it', async () => {
    const { c, p, a } = await boot();
    const n4 = await newJoiner(c, 'n4', [a]);
    // Asked of a replica, forwarded to the primary, which is frozen the moment it receives it:
    // before or after its commit, before its answer. The forward times out, or a new primary's
    // answer comes back: either is a fine outcome, as long as the reply says which.
    const since = p.logOffset();
    const asked = memberCli(a, ['add', '--member', memberSpec(n4), '--wait', '3000']);
    await waitForAsked(p, 'member add n4', since);
    await p.killSidecar('SIGSTOP');
    const first = await asked;
    if (first.code !== 0) expect(first.stderr).toMatch(/^resp-elect: member add n4 failed: \S.*/);
    // An unanswered forward is not called a refusal: the change may have been made.
    if (/did not answer/.test(first.stderr)) expect(first.stderr).toMatch(/the change may or may not have been made: check with resp-elect member list, then retry/);
    else expect(first.stdout).toMatch(/^added n4 as a learner/);
    await p.killSidecar('SIGCONT');
    const leader = await c.waitForPrimary({ timeoutMs: 15_000 });
    await expectOneConfiguration(c, leader);

    const held = await memberList(leader);
    const retry = await memberCli(a, ['add', '--member', memberSpec(n4)]);
    if (held.members.some((m) => m.id === 'n4')) {
      expect(retry.code).not.toBe(0);
      expect(retry.stderr).toMatch(/member add n4 failed: .*n4/);
    } else {
      expect(retry.code, retry.stderr).toBe(0);
    }
    n4.startSidecar();
    await n4.waitSidecarStarted();
    await waitForMembers(leader, ['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter']);
    await expectOneConfiguration(c, leader);
  });

  it('killing the primary sidecar right after the request: the remove completes or is refused, and a retry settles it', async () => {
    const { c, p, a, b } = await boot();
    // 3 -> 2 voters: with the old primary dead, the remaining voter alone cannot commit, so the
    // outcome is often a refusal ("not committed within"); the change is held, and commits
    // once the old primary is back.
    const since = p.logOffset();
    const asked = memberCli(a, ['remove', '--id', b.id, '--wait', '3000']);
    await waitForAsked(p, `member remove ${b.id}`, since);
    await p.killSidecar('SIGKILL');
    const first = await asked;
    if (first.code !== 0) expect(first.stderr).toMatch(new RegExp(`^resp-elect: member remove ${b.id} failed: \\S`));
    // The old primary comes back and learns, or makes others learn, whatever was decided.
    await p.restartSidecar();
    const leader = await c.waitForPrimary({ timeoutMs: 15_000 });
    await expectOneConfiguration(c, leader);

    const held = await memberList(leader);
    const retry = await memberCli(a, ['remove', '--id', b.id]);
    if (held.members.some((m) => m.id === b.id)) {
      expect(retry.code, retry.stderr).toBe(0);
    } else {
      expect(retry.code).not.toBe(0);
      expect(retry.stderr).toMatch(new RegExp(`member remove ${b.id} failed: .*${b.id}`));
    }
    const final = await memberList(leader);
    expect(kinds(final)).toEqual(['n1', 'n2', 'n3'].filter((id) => id !== b.id).map((id) => `${id}:voter`));
    expect(final.committed).toBe(true);
    await b.kill('SIGKILL');
    await expectOneConfiguration(c, leader);
  });

  it('the primary sidecar dead when a change is asked of a replica: the replica waits for the election and the next primary makes it', async () => {
    const { c, p, a } = await boot();
    const n4 = await newJoiner(c, 'n4', [a]);
    const since = a.logOffset();
    await p.killSidecar('SIGKILL');
    // Asked at once, straight on the client port: `a` still follows p, so its forward finds no
    // sidecar there, then no primary, then the new one.
    const made = parseConfigReply(await ask(a, ['MEMBER', 'ADD', memberSpec(n4), 'TIMEOUT', '15000'], 20_000));
    expect(kinds(made)).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner']);
    expect(a.logs(since)).toMatch(new RegExp(`member add n4: the primary's sidecar at 127\\.0\\.0\\.1:${p.sidecarPort} was lost before it answered: .*; asking the next primary`));
    const leader = await c.waitForPrimary({ not: p, timeoutMs: 15_000 });
    n4.startSidecar();
    await n4.waitSidecarStarted();
    await waitForMembers(leader, ['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter']);
  });

  it('RETRY: a change made already is answered once committed, on the primary and forwarded by a replica; without RETRY it is refused', async () => {
    const { c, p, a } = await boot();
    const n4 = await newJoiner(c, 'n4', [a]);
    const spec = memberSpec(n4);
    expect(kinds(parseConfigReply(await ask(p, ['MEMBER', 'ADD', spec, 'TIMEOUT', '10000'], 15_000)))).toContain('n4:learner');
    await expect(ask(p, ['MEMBER', 'ADD', spec])).rejects.toThrow(/n4 is already a member/);
    const again = parseConfigReply(await ask(p, ['MEMBER', 'ADD', spec, 'RETRY']));
    expect(again.committed).toBe(true);
    expect(kinds(again)).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner']);
    // RETRY of a change not made yet makes it as usual; forwarded by a replica, RETRY goes along.
    const removed = parseConfigReply(await ask(a, ['MEMBER', 'REMOVE', 'n4', 'TIMEOUT', '10000', 'RETRY'], 15_000));
    expect(kinds(removed)).toEqual(['n1:voter', 'n2:voter', 'n3:voter']);
    await waitForSameConfig(c, p);
    await expect(ask(a, ['MEMBER', 'REMOVE', 'n4'])).rejects.toThrow(/n4 is not a member/);
    expect(kinds(parseConfigReply(await ask(a, ['MEMBER', 'REMOVE', 'n4', 'RETRY'])))).toEqual(['n1:voter', 'n2:voter', 'n3:voter']);
  });
});
