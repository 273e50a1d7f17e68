/**
 * A Sentinel-aware client users already run, unchanged, against a real
 * resp-elect cluster: ioredis resolves the primary through the sidecar ports,
 * writes through a kill -9 failover and a planned switchover, ends up on the
 * new primary, and loses no write acknowledged with WAIT 1. (node-redis is
 * tested against the Sentinel API in sentinel-clients.test.ts; through a real
 * host loss it did not yet recover, see the issue notes.)
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

let cluster: Cluster | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c().catch(() => {});
  await cluster?.stop();
  cluster = undefined;
});
afterAll(cleanupClusters);

/** Writes unique keys through `write` (which must WAIT 1), remembering the acknowledged ones. */
function loop(write: (key: string) => Promise<boolean>) {
  const acked: string[] = [];
  let n = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const key = `k${n++}`;
      try {
        if (await write(key)) acked.push(key);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  })();
  return {
    acked,
    count: () => acked.length,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function redisOf(node: ClusterNode): Promise<Redis> {
  const r = new Redis({ port: node.redis!.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  closers.push(() => r.quit());
  await r.connect();
  return r;
}

async function failoverAndSwitchover(c: Cluster, writes: ReturnType<typeof loop>, prefix: string): Promise<void> {
  const first = await c.waitForPrimary();
  await waitFor(async () => (writes.count() >= 20 ? true : undefined), { what: `${prefix}: 20 acknowledged writes`, timeoutMs: 15_000 });
  await first.kill('SIGKILL', 'both');
  const second = await c.waitForPrimary({ not: first, timeoutMs: 15_000 });
  const onSecond = writes.count();
  await waitFor(async () => (writes.count() >= onSecond + 20 ? true : undefined), { what: `${prefix}: writes after the failover`, timeoutMs: 20_000 });
  expect(await (await redisOf(second)).exists(`${prefix}:${writes.acked.at(-1)!}`)).toBe(1);

  // Planned switchover, asked the way an operator asks Sentinel.
  const sidecar = new Redis({ port: second.sidecarPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  sidecar.on('error', () => {});
  closers.push(() => sidecar.quit());
  await sidecar.connect();
  await sidecar.call('SENTINEL', 'FAILOVER', 'mymaster');
  const third = await c.waitForPrimary({ not: second, timeoutMs: 15_000 });
  const onThird = writes.count();
  await waitFor(async () => (writes.count() >= onThird + 20 ? true : undefined), { what: `${prefix}: writes after the switchover`, timeoutMs: 20_000 });
  await writes.stop();
  const final = await redisOf(third);
  const missing: string[] = [];
  for (const k of writes.acked) if ((await final.exists(`${prefix}:${k}`)) !== 1) missing.push(k);
  expect(missing, 'acknowledged writes missing on the final primary').toEqual([]);
}

describe('Sentinel-aware clients against a real cluster', () => {
  it('ioredis in sentinel mode (failoverDetector) writes through a failover and a switchover, losing nothing acknowledged', async () => {
    const c = (cluster = await startCluster({ nodes: 3 }));
    const client = new Redis({
      sentinels: c.nodes.map((n) => ({ host: '127.0.0.1', port: n.sidecarPort })),
      name: 'mymaster',
      failoverDetector: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      sentinelRetryStrategy: () => 50,
      retryStrategy: () => 50,
    });
    client.on('error', () => {});
    closers.push(async () => client.disconnect());
    const writes = loop(async (key) => {
      await client.set(`io:${key}`, '1');
      return ((await client.call('WAIT', '1', '200')) as number) >= 1;
    });
    await failoverAndSwitchover(c, writes, 'io');
  });
});
