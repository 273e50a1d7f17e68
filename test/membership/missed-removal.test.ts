/**
 * Real processes: a member that never hears of its own removal still learns
 * it. Nothing from the others reaches its sidecar port (an nftables rule on
 * loopback drops every packet to it), so the CONFIG that removes it, sent to
 * it as a departing member, is lost, and afterwards every member refuses it as
 * a non-member. It can still dial out: with no primary heard, it asks the
 * members for a newer configuration every 10 × down-after (the join exchange,
 * protocol.md §4.10) and finds it is out. Before, such a node stood for
 * election forever (CI stop 21: its primary was killed right after committing
 * the removal, the departing list went with it).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../lab/util/wait.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { kinds, memberList, mustMember } from './membership-support.js';

const TABLE = `resp_elect_test_${process.pid}`;

function nft(args: string[]): void {
  execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function nftUnavailable(): string | undefined {
  try {
    execFileSync('nft', ['list', 'tables'], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `nft not usable here: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Drop every packet sent to 127.0.0.1:`port` (loopback only, our own table). */
function blockPort(port: number): void {
  nft(['add', 'table', 'inet', TABLE]);
  nft(['add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; }']);
  nft(['add', 'rule', 'inet', TABLE, 'out', 'ip', 'daddr', '127.0.0.1', 'tcp', 'dport', String(port), 'drop']);
}

function unblock(): void {
  try {
    nft(['delete', 'table', 'inet', TABLE]);
  } catch {
    // not created
  }
}

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  unblock();
  await cluster?.stop();
  cluster = undefined;
});

const unsupported = nftUnavailable();

describe('membership: a member cut off from its own removal', { timeout: 90_000 }, () => {
  it.skipIf(unsupported !== undefined)(`learns it from the members it can still dial${unsupported ? ` (skipped: ${unsupported})` : ''}`, async () => {
    const c = await startCluster({ nodes: 3 });
    cluster = c;
    watchFailures(c);
    const p = await c.waitForPrimary();
    const v = c.dataNodes.find((n) => n !== p) as ClusterNode;
    const mark = v.logOffset();
    blockPort(v.sidecarPort);
    expect(await mustMember(p, ['remove', '--id', v.id])).toMatch(new RegExp(`^removed ${v.id}`));
    // Its log says so, with its port unreachable all along: it found out by asking.
    await waitFor(() => /this node is not in configuration \d+: it no longer votes/.test(v.logs(mark)), { what: `${v.id} to learn that it was removed`, timeoutMs: 30_000, intervalMs: 100 });
    expect(v.logs(mark)).toMatch(/a member holds a newer configuration than ours/);
    unblock();
    const held = await memberList(v);
    expect(held.removed).toBe(true);
    expect(kinds(held)).toEqual(kinds(await memberList(p)));
  });
});
