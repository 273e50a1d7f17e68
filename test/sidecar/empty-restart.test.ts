/**
 * Real processes: the primary's redis crashes and restarts EMPTY (no
 * persistence) while its sidecar keeps running. The danger: replicas that
 * reconnect on their own would full-sync the empty dataset and wipe their
 * copy. They authenticate with a per-epoch ACL user the restarted redis lacks
 * (replication-credentials.ts), so they cannot; a replica with the data wins.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { cleanupClusters, watchFailures, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Samples DBSIZE of `nodes` every few ms and remembers the lowest value each ever showed. */
function watchDbsize(nodes: ClusterNode[]): { min: Map<string, number>; stop: () => Promise<void> } {
  const min = new Map<string, number>();
  let running = true;
  const clients = new Map<string, Redis>(nodes.map((n) => [n.id, n.redis!.client({ commandTimeout: 500, maxRetriesPerRequest: 0 })]));
  const loop = (async () => {
    while (running) {
      await Promise.all(
        nodes.map(async (n) => {
          try {
            const size = await clients.get(n.id)!.dbsize();
            min.set(n.id, Math.min(min.get(n.id) ?? Infinity, size));
          } catch {
            // loading or briefly unreachable: not a size
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    min,
    stop: async () => {
      running = false;
      await loop;
      for (const c of clients.values()) c.disconnect();
    },
  };
}

/** `role:` of INFO replication and DBSIZE, read atomically (one MULTI/EXEC). */
async function roleAndSize(n: ClusterNode): Promise<[string | undefined, number]> {
  const client = n.redis!.client();
  try {
    const res = await client.multi().info('replication').dbsize().exec();
    if (!res || res.some(([err]) => err)) throw new Error(`MULTI on ${n.id}'s redis failed: ${JSON.stringify(res)}`);
    const info = String(res[0]![1]);
    return [/^role:(\w+)/m.exec(info)?.[1], Number(res[1]![1])];
  } finally {
    client.disconnect();
  }
}

// Real processes on a possibly busy machine: generous per-test limits; the timing claims are asserted separately.
describe('resp-elect run: the primary redis restarts empty', { timeout: 120_000 }, () => {
  it('no replica loses its data, a replica with the data becomes primary, the restarted node ends up a replica with the data', async () => {
    const c = await startCluster({ nodes: 3 });
    cluster = c;
    watchFailures(c);
    const old = await c.waitForPrimary();
    const replicas = c.dataNodes.filter((n) => n !== old);
    const w = c.writer();
    await w.waitForAcks(300);
    await w.stop();
    // Every replica holds all acknowledged keys before the crash.
    await c.verifyNoAckedLoss([w]);
    const before = Number((await old.redis!.client().dbsize()) as number);
    expect(before).toBeGreaterThanOrEqual(300);

    const watch = watchDbsize(replicas);
    await waitFor(() => replicas.every((r) => watch.min.has(r.id)), { what: 'first DBSIZE samples' });
    const mark = old.logOffset();
    const runIdBefore = (await old.mustInfo('server'))['run_id'];
    const t0 = Date.now();
    await old.restartRedis({ empty: true }); // kill -9, start again at once on the same port, no data
    // It did restart, and it came back empty (unless, on a slow machine, it was already re-synced as a replica).
    const after = (await old.mustInfo('server'));
    expect(after['run_id']).not.toBe(runIdBefore);
    // Role and size in one MULTI: read apart, the sidecar can demote and re-sync it in between (a
    // master with all the keys, seen once on Valkey 8, whose sync is a few ms on loopback).
    const [role, size] = await roleAndSize(old);
    expect(role === 'slave' || size === 0, `restarted redis: role ${role}, ${size} keys`).toBe(true);

    const fresh = await c.waitForPrimary({ not: old });
    console.log(`[empty-restart] ${old.id}'s redis restarted empty: ${fresh.id} writable primary after ${Date.now() - t0} ms`);
    expect(replicas).toContain(fresh);
    // The old sidecar noticed and stepped down instead of leading an empty redis.
    expect(old.logs(mark)).toMatch(/role primary -> replica/);

    // The restarted node follows the new primary and gets the data back by a full sync.
    await c.waitForReplicasLinked(fresh);
    expect((await old.mustInfo('replication'))['role']).toBe('slave');
    const w2 = c.writer({ prefix: 'after' });
    await w2.waitForAcks(50);
    await w2.stop();
    await watch.stop();
    // No replica ever dropped below what it held: nobody full-synced the empty dataset.
    for (const r of replicas) expect(watch.min.get(r.id), `lowest DBSIZE seen on ${r.id}`).toBeGreaterThanOrEqual(before);
    await c.verifyNoAckedLoss([w, w2]); // on the new primary, the other replica and the restarted node
  });

  it('even when the replicas reconnect before any sidecar reacts (all sidecars frozen), the restarted empty redis cannot feed them', async () => {
    const c = await startCluster({ nodes: 3 });
    cluster = c;
    watchFailures(c);
    const old = await c.waitForPrimary();
    const replicas = c.dataNodes.filter((n) => n !== old);
    const w = c.writer();
    await w.waitForAcks(200);
    await w.stop();
    await c.verifyNoAckedLoss([w]);
    const before = Number(await old.redis!.client().dbsize());

    const watch = watchDbsize(replicas);
    await waitFor(() => replicas.every((r) => watch.min.has(r.id)), { what: 'first DBSIZE samples' });
    // Freeze every sidecar: nobody detaches, retargets or elects; redis replicas act on their own.
    for (const n of c.nodes) await n.killSidecar('SIGSTOP');
    await old.restartRedis({ empty: true });
    // A replica retries its master about once a second: wait until both tried the restarted one and were refused.
    await waitFor(
      async () => {
        for (const r of replicas) {
          const info = await r.info('replication');
          if (info?.['master_link_status'] !== 'down' || Number(info['master_port']) !== old.redis!.port) return false;
          // Only the replica's log says why the link is down: redis 7.0 "Unable to AUTH to MASTER: -WRONGPASS ...",
          // valkey 8 "Unable to AUTH to PRIMARY: -WRONGPASS ...".
          if (!/Unable to AUTH to (MASTER|PRIMARY): -WRONGPASS/.test(r.redis!.logTail(50))) return false;
        }
        return true;
      },
      { what: 'both replicas refused by the restarted redis', timeoutMs: 5000, intervalMs: 50 },
    );
    for (const r of replicas) expect(Number(await r.redis!.client().dbsize())).toBeGreaterThanOrEqual(before);

    for (const n of c.nodes) await n.killSidecar('SIGCONT');
    const fresh = await c.waitForPrimary({ not: old });
    expect(replicas).toContain(fresh);
    await c.waitForReplicasLinked(fresh);
    await watch.stop();
    for (const r of replicas) expect(watch.min.get(r.id), `lowest DBSIZE seen on ${r.id}`).toBeGreaterThanOrEqual(before);
    await c.verifyNoAckedLoss([w]);
  });
});
