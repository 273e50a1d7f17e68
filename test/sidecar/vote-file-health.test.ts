/**
 * A data directory that stops taking writes after start-up (here: made
 * immutable, which stops root too) on real processes: the node refuses to
 * vote or learn a newer epoch, so no primary can be elected without it; /health
 * reports it with the reason, the sidecar logs the change once; once the
 * directory is writable again, /health recovers by itself (a re-save of the
 * durable record every few seconds, with no election needed), and the
 * cluster elects a primary.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, sidecarPort, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { canMakeImmutable, setImmutable } from '../support/immutable-dir.js';
import { waitFor } from '../../lab/util/wait.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) setImmutable(d, false);
  dirs = [];
});
afterAll(cleanupClusters);

async function health(port: number): Promise<{ status: number; reason?: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { reason?: string };
  return { status: res.status, reason: body.reason };
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe.skipIf(!canMakeImmutable())('an unwritable data directory after start-up', { timeout: 120_000 }, () => {
  it('makes /health unhealthy and blocks votes until it is writable again, then recovers by itself', async () => {
    const http = new Map<string, number>();
    for (const id of ['n1', 'n2', 'n3']) http.set(id, await sidecarPort());
    const cluster: Cluster = await startCluster({ extraArgs: (id) => ['--http', `127.0.0.1:${http.get(id)}`] });
    watchFailures(cluster);
    // Roles from the cluster itself: on a loaded machine the bootstrap primary's sidecar may start last and lose.
    const primary0 = await cluster.waitForPrimary();
    // `stuck` gets the unwritable directory, `other` is the replica that needs its vote.
    const [stuck, other] = cluster.dataNodes.filter((n) => n !== primary0) as [ClusterNode, ClusterNode];
    const port = http.get(stuck.id)!;
    await waitFor(async () => (await health(port)).status === 200, { what: `${stuck.id} healthy`, timeoutMs: 10_000 });

    dirs.push(stuck.dataDir);
    setImmutable(stuck.dataDir, true);
    const since = stuck.logOffset();
    await primary0.kill('SIGKILL');
    // `other` needs `stuck`'s vote and `stuck` cannot make one durable: it refuses, and says why on /health.
    const failing = await waitFor(async () => {
      const h = await health(port);
      // Before its first failed save, it is unhealthy only for its redis' lost link to the dead primary.
      return h.status === 503 && h.reason?.includes('vote file') ? h : undefined;
    }, { what: `${stuck.id} unhealthy for its vote file`, timeoutMs: 20_000 });
    expect(failing.reason).toMatch(new RegExp(`^cannot save vote file ${stuck.dataDir}/vote\\.json: EPERM`));
    expect(stuck.logs(since)).toMatch(/vote file cannot be saved: this node cannot vote or stand; \/health reports unhealthy/);
    // Let the election go on a while: `stuck` fails to save again and again (learning the other's epoch, voting,
    // standing), there is still no primary, and the change was logged once as an error, the repeats at debug level.
    await waitFor(() => count(stuck.logs(since), `DEBUG [${stuck.id}] error persisting vote`) >= 3, { what: `${stuck.id} failing to save three more times`, timeoutMs: 20_000 });
    expect(await cluster.primary()).toBeUndefined();
    expect(count(stuck.logs(since), 'vote file cannot be saved')).toBe(1);
    expect(count(stuck.logs(since), `ERROR [${stuck.id}] error persisting vote`)).toBe(0);

    // With `other` gone too, nothing makes `stuck` save a vote: only its periodic re-check can see the disk is back.
    await other.killSidecar('SIGKILL');
    setImmutable(stuck.dataDir, false);
    // Its redis still has no master, so healthy means: no longer unhealthy for the vote file.
    await waitFor(async () => !(await health(port)).reason?.includes('vote file'), { what: `${stuck.id} no longer unhealthy for its vote file`, timeoutMs: 15_000 });
    expect(count(stuck.logs(since), 'vote file saved again')).toBe(1);

    await other.restartSidecar();
    const primary = await cluster.waitForPrimary({ not: primary0, timeoutMs: 20_000 });
    await cluster.waitForReplicasLinked(primary, { timeoutMs: 20_000 });
    await waitFor(async () => (await health(port)).status === 200, { what: `${stuck.id} healthy`, timeoutMs: 15_000 });
  });
});
