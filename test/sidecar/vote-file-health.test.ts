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
import { cleanupClusters, sidecarPort, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { canMakeImmutable, setImmutable } from '../support/immutable-dir.js';
import { waitFor } from '../support/wait.js';

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
    const n2 = cluster.node('n2');
    const port2 = http.get('n2')!;
    expect(await health(port2)).toMatchObject({ status: 200 });

    dirs.push(n2.dataDir);
    setImmutable(n2.dataDir, true);
    const since = n2.logOffset();
    await cluster.node('n1').kill('SIGKILL');
    // n3 needs n2's vote and n2 cannot make one durable: it refuses, and says why on /health.
    const failing = await waitFor(async () => {
      const h = await health(port2);
      // Before its first refused vote, n2 is unhealthy only for its redis' lost link to n1.
      return h.status === 503 && h.reason?.includes('vote file') ? h : undefined;
    }, { what: 'n2 unhealthy for its vote file', timeoutMs: 20_000 });
    expect(failing.reason).toMatch(new RegExp(`^cannot save vote file ${n2.dataDir}/vote\\.json: EPERM`));
    expect(n2.logs(since)).toMatch(/vote file cannot be saved: this node cannot vote or stand; \/health reports unhealthy/);
    // Let the election go on a while: n2 fails to save again and again (learning n3's epoch, voting, standing),
    // there is still no primary, and the change was logged once as an error, the repeats only at debug level.
    await waitFor(() => count(n2.logs(since), 'DEBUG [n2] error persisting vote') >= 3, { what: 'n2 failing to save three more times', timeoutMs: 20_000 });
    expect(await cluster.primary()).toBeUndefined();
    expect(count(n2.logs(since), 'vote file cannot be saved')).toBe(1);
    expect(count(n2.logs(since), 'ERROR [n2] error persisting vote')).toBe(0);

    // With n3 gone too, nothing makes n2 save a vote: only its periodic re-check can see the disk is back.
    await cluster.node('n3').killSidecar('SIGKILL');
    setImmutable(n2.dataDir, false);
    // Its redis still has no master, so healthy means: no longer unhealthy for the vote file.
    await waitFor(async () => !(await health(port2)).reason?.includes('vote file'), { what: 'n2 no longer unhealthy for its vote file', timeoutMs: 15_000 });
    expect(count(n2.logs(since), 'vote file saved again')).toBe(1);

    await cluster.node('n3').restartSidecar();
    const primary = await cluster.waitForPrimary({ timeoutMs: 20_000 });
    expect(['n2', 'n3']).toContain(primary.id);
    await cluster.waitForReplicasLinked(primary, { timeoutMs: 20_000 });
    await waitFor(async () => (await health(port2)).status === 200, { what: 'n2 healthy', timeoutMs: 15_000 });
  });
});
