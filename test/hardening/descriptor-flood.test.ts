/**
 * Real processes, issue #17 defect 4: a descriptor flood must not block
 * elections. The two replicas' sidecars run with a soft `nofile` of 256
 * (as the probe did), and both are flooded with reconnecting clients that
 * send PING and then hold their connection. The primary is killed: the
 * replicas must still elect one of them (each has to persist its vote, so
 * each needs a free descriptor), the refusals must be logged, and counted
 * on /metrics.
 *
 * Before the limits, the held connections took every descriptor, every
 * vote failed with EMFILE while persisting, and no primary was elected for
 * as long as the flood lasted.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, sidecarPort, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { waitFor } from '../../lab/util/wait.js';
import { flood, stopFloods } from './flood.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  stopFloods();
  await cluster?.stop();
  cluster = undefined;
});

const NOFILE = 256;
const FLOOD_SECONDS = 10;
/** The election must finish while the flood still runs (it started about 2 s before the kill). */
const ELECTION_DEADLINE_MS = 5000;

/**
 * Restart `node`'s sidecar with a nofile limit of NOFILE (soft and hard, as
 * `LimitNOFILE=256` in a systemd unit: node raises a lower soft limit to the
 * hard one at start-up). The limit is set on the new process right after the
 * spawn, long before the sidecar reads it (after loading its modules); the
 * test checks the sidecar logged the lowered limit.
 */
async function restartWithNofile(node: ClusterNode): Promise<void> {
  const since = node.logOffset();
  await node.killSidecar('SIGKILL');
  node.startSidecar();
  execFileSync('prlimit', ['--pid', String(node.sidecarPid), `--nofile=${NOFILE}:${NOFILE}`]);
  await node.waitSidecarStarted(since);
}

describe('descriptor flood', () => {
  it(`with nofile ${NOFILE}, held client connections are refused and the replicas still elect`, async () => {
    const httpPort = await sidecarPort();
    cluster = await startCluster({ extraArgs: (id) => (id === 'n2' ? ['--http', `127.0.0.1:${httpPort}`] : []) });
    watchFailures(cluster);
    const [n1, n2, n3] = cluster.dataNodes as [ClusterNode, ClusterNode, ClusterNode];
    const since = n2.logOffset();
    for (const n of [n2, n3]) await restartWithNofile(n);
    await waitFor(() => n2.logs(since).match(/connection limits .*maxClients=(\d+)/), { what: 'n2 logs its connection limits', timeoutMs: 10_000 });
    // Sized from the lowered limit, not the default one: 256 − (64 + 4×3) reserved, a quarter each for pending and HTTP.
    expect(n2.logs(since)).toMatch(/connection limits .*maxClients=90 .*nofile=256/);
    await cluster.waitForReplicasLinked(n1);

    const floods = [flood('hold', n2.sidecarPort, 400, FLOOD_SECONDS), flood('hold', n3.sidecarPort, 400, FLOOD_SECONDS)];
    await waitFor(() => n2.logs(since).includes('max number of clients (90) reached'), { what: 'n2 refusing clients', timeoutMs: 10_000 });
    const killedAt = Date.now();
    await n1.kill('SIGKILL');
    const next = await cluster.waitForPrimary({ not: n1, timeoutMs: ELECTION_DEADLINE_MS });
    const electedAfterMs = Date.now() - killedAt;
    expect(['n2', 'n3']).toContain(next.id);

    const metrics = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
        return res.ok ? res.text() : undefined;
      },
      { what: "n2's /metrics during the flood", timeoutMs: 10_000 },
    );
    const refused = Number(/resp_elect_client_connections_refused_total\{reason="max-clients"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(refused).toBeGreaterThan(0);
    expect(metrics).toMatch(/resp_elect_client_connections_max 90/);
    const results = await Promise.all(floods);
    console.log(`descriptor flood: elected ${next.id} ${electedAfterMs} ms after the kill; n2 refused ${refused}; floods ${JSON.stringify(results)}`);
    expect(n2.logs(since)).not.toMatch(/EMFILE/);
  }, 90_000);
});
