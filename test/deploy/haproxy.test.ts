/**
 * HAProxy in front of a real set (README "Behind HAProxy"): Debian's haproxy
 * runs deploy/haproxy/haproxy.cfg unchanged — the very file the README shows
 * (checked below) — with its addresses set through the environment to this
 * test's loopback ports. Writes go where the sidecars' /primary answers 200,
 * reads where /replica does.
 *
 * A writer that only knows HAProxy's write address (SET, then WAIT 1;
 * reconnecting through HAProxy after errors) goes through a kill -9 of the
 * primary's host (redis and sidecar) and then a planned switchover: writes
 * resume on each new primary, nothing it saw acknowledged is lost, and the
 * write gap of each event is printed. Reads through the read frontend reach
 * a replica of the current primary, before and after.
 *
 * The sidecars run the product's default timings (down-after-ms 1000,
 * heartbeat 100 ms, poll 50 ms), so the printed gaps are what a user gets.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { cleanupClusters, REPO_ROOT, sidecarPort, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { spawnChild, type Child } from '../../lab/proc/children.js';
import { freePort } from '../../lab/proc/ports.js';
import { waitFor } from '../../lab/util/wait.js';
import { AckWriter, missingKeys, type HostPort } from '../../lab/workload/writer.js';

const CONFIG = `${REPO_ROOT}/deploy/haproxy/haproxy.cfg`;
const HOST = '127.0.0.1';

let haproxy: Child | undefined;
let cluster: Cluster | undefined;
afterEach(async () => {
  await haproxy?.kill('SIGKILL');
  haproxy = undefined;
  await cluster?.stop();
  cluster = undefined;
});
afterAll(cleanupClusters);

describe('README "Behind HAProxy"', () => {
  it('shows deploy/haproxy/haproxy.cfg verbatim, the file the test below runs', () => {
    const readme = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
    const section = readme.split('\n### Behind HAProxy\n')[1]?.split('\n## ')[0];
    expect(section, 'README has a "### Behind HAProxy" section').toBeDefined();
    const blocks = [...section!.matchAll(/^```haproxy\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    expect(blocks).toEqual([readFileSync(CONFIG, 'utf8')]);
  });
});

/** The HAProxy addresses the test binds, and the set's addresses, as the config's environment variables. */
function haproxyEnv(c: Cluster, http: Map<string, number>, write: number, read: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RESP_ELECT_WRITE_BIND: `${HOST}:${write}`, RESP_ELECT_READ_BIND: `${HOST}:${read}` };
  for (const n of c.dataNodes) {
    const v = n.id.toUpperCase();
    env[`RESP_ELECT_${v}_REDIS`] = `${HOST}:${n.redis!.port}`;
    env[`RESP_ELECT_${v}_HTTP`] = String(http.get(n.id));
  }
  return env;
}

function startHaproxy(env: NodeJS.ProcessEnv): { child: Child; output: () => string } {
  const check = spawnSync('haproxy', ['-c', '-f', CONFIG], { env, encoding: 'utf8' });
  if (check.error) throw new Error(`haproxy not found (${check.error.message}): run scripts/setup.sh --tests, or apt-get install haproxy`);
  if (check.status !== 0) throw new Error(`haproxy -c rejects ${CONFIG}:\n${check.stdout}${check.stderr}`);
  // -db: stay in the foreground, log to stdout (the config's `log stdout`), so its server state changes show on failure.
  const child = spawnChild('haproxy', 'haproxy', ['-db', '-f', CONFIG], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  child.process.stdout!.setEncoding('utf8').on('data', (t: string) => (text += t));
  child.process.stderr!.setEncoding('utf8').on('data', (t: string) => (text += t));
  return { child, output: () => text };
}

/** One fresh connection to `port` (a new HAProxy session, so a fresh routing decision): ROLE and the answering redis' port. */
async function whoAnswers(port: number): Promise<{ role: string; masterPort?: number; redisPort: number }> {
  const c = new Redis({ host: HOST, port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, commandTimeout: 1000, disableClientInfo: true });
  c.on('error', () => {});
  try {
    await c.connect();
    const role = (await c.call('ROLE')) as unknown[];
    const server = await c.info('server');
    const redisPort = Number(/^tcp_port:(\d+)/m.exec(server)?.[1]);
    return { role: String(role[0]), ...(role[0] === 'slave' ? { masterPort: Number(role[2]) } : {}), redisPort };
  } finally {
    c.disconnect();
  }
}

/** Every fresh write connection lands on `primary`'s redis (HAProxy has marked it, and only it, up). */
async function writesRouteTo(write: number, primary: ClusterNode): Promise<void> {
  await waitFor(
    async () => {
      for (let i = 0; i < 4; i++) {
        const a = await whoAnswers(write);
        if (a.role !== 'master' || a.redisPort !== primary.redis!.port) throw new Error(`connection ${i} reached ${JSON.stringify(a)}`);
      }
      return true;
    },
    { what: `the write frontend routing every connection to ${primary.id} (redis port ${primary.redis!.port})`, timeoutMs: 10_000, intervalMs: 50 },
  );
}

/**
 * Read connections land only on replicas of `primary`, and on each of `replicas` (round robin):
 * six in a row, every replica seen among them. Right after a switchover HAProxy may still send a
 * read to the node just promoted (its /replica check fails only at the next checks, `fall 2`), so
 * a streak is asked for rather than "nothing else once every replica was seen"; a read served by
 * the new primary is still a correct read.
 */
async function readsRouteToReplicasOf(read: number, primary: ClusterNode, replicas: ClusterNode[]): Promise<void> {
  const want = new Set(replicas.map((r) => r.redis!.port));
  const seen = new Set<number>();
  let streak = 0;
  await waitFor(
    async () => {
      const a = await whoAnswers(read);
      if (a.role !== 'slave' || a.masterPort !== primary.redis!.port || !want.has(a.redisPort)) {
        seen.clear();
        streak = 0;
        throw new Error(`a read connection reached ${JSON.stringify(a)}`);
      }
      seen.add(a.redisPort);
      streak += 1;
      return seen.size === want.size && streak >= 6;
    },
    { what: `six reads in a row reaching only replicas of ${primary.id} (redis ports ${[...want].join(', ')}), each of them`, timeoutMs: 10_000, intervalMs: 20 },
  );
}

/**
 * The write gap of an event at `at`: the longest time between two consecutive
 * acknowledgements from the last one before `at` until `resumed` (by then
 * writes are known to land on the new primary). Not "first ack after `at`":
 * a write the old primary acknowledges just after the event is still an
 * acknowledged write, and the outage comes after it.
 */
function gapOf(w: AckWriter, at: number, resumed: number): number {
  return w.longestGap(at, resumed);
}

/** The last acknowledged key is on `node`'s redis: the writer, through HAProxy, writes there. */
async function lastAckOn(w: AckWriter, node: ClusterNode, what: string): Promise<void> {
  expect(await missingKeys({ host: HOST, port: node.redis!.port }, [w.acked.at(-1)!]), `${what}: the last acknowledged write is on ${node.id}`).toEqual([]);
}

async function switchover(from: ClusterNode): Promise<void> {
  const sidecar = new Redis({ port: from.sidecarPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  sidecar.on('error', () => {});
  try {
    await sidecar.connect();
    expect(await sidecar.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
  } finally {
    sidecar.disconnect();
  }
}

describe('HAProxy routing by /primary and /replica', { timeout: 120_000 }, () => {
  it('a writer through HAProxy loses nothing acknowledged (WAIT 1) through a kill -9 failover and a switchover; reads reach replicas', async () => {
    const http = new Map<string, number>();
    for (const id of ['n1', 'n2', 'n3']) http.set(id, await sidecarPort());
    const c = (cluster = await startCluster({
      nodes: 3,
      downAfterMs: 1000,
      hbIntervalMs: 100,
      pollIntervalMs: 50,
      extraArgs: (id) => ['--http', `${HOST}:${http.get(id)}`],
    }));
    watchFailures(c);
    const [write, read] = [await freePort(), await freePort()];
    const hap = startHaproxy(haproxyEnv(c, http, write, read));
    haproxy = hap.child;
    onTestFailed(() => console.error(`haproxy output:\n${hap.output().slice(-4000)}`));

    const first = await c.waitForPrimary();
    await writesRouteTo(write, first);
    await readsRouteToReplicasOf(read, first, c.dataNodes.filter((n) => n !== first));

    const writeAddr: HostPort = { host: HOST, port: write };
    const writer = new AckWriter({ resolve: async () => writeAddr, replicas: 1, waitTimeoutMs: 200, intervalMs: 2, keyPrefix: 'haproxy:' });
    writer.start();
    try {
      const acks = (n: number, what: string) => waitFor(() => writer.acked.length >= n, { what: `${what} (${writer.describe()})`, timeoutMs: 20_000, intervalMs: 10 });
      await acks(50, 'writes through HAProxy to the first primary');
      await lastAckOn(writer, first, 'before the kill');

      const killedAt = Date.now();
      await first.kill('SIGKILL', 'both');
      const second = await c.waitForPrimary({ not: first, timeoutMs: 20_000 });
      // Counted from here, when the new primary is known: no acknowledgement after this can come from the old one.
      await acks(writer.acked.length + 50, `writes through HAProxy after the kill -9 of ${first.id}`);
      await lastAckOn(writer, second, 'after the kill');
      const failover = gapOf(writer, killedAt, Date.now());
      const survivor = c.dataNodes.find((n) => n !== first && n !== second)!;
      await writesRouteTo(write, second);
      await readsRouteToReplicasOf(read, second, [survivor]);

      const switchedAt = Date.now();
      await switchover(second);
      // SENTINEL FAILOVER answers before the handoff ends, and the old primary acknowledges writes until it is fenced.
      const third = await c.waitForPrimary({ not: second, timeoutMs: 20_000 });
      await acks(writer.acked.length + 50, `writes through HAProxy after the switchover from ${second.id}`);
      await lastAckOn(writer, third, 'after the switchover');
      const planned = gapOf(writer, switchedAt, Date.now());
      await writesRouteTo(write, third);
      await readsRouteToReplicasOf(read, third, [second]);

      await writer.stop();
      console.log(
        `HAProxy write gap (down-after-ms 1000, check timings of deploy/haproxy/haproxy.cfg):\n` +
          `  kill -9 of the primary host ${first.id} -> ${second.id}: ${failover} ms without an acknowledged write\n` +
          `  switchover ${second.id} -> ${third.id}: ${planned} ms without an acknowledged write\n` +
          `  writer: ${writer.describe()}`,
      );
      expect(await missingKeys({ host: HOST, port: third.redis!.port }, writer.acked), `acknowledged writes missing on the final primary ${third.id}`).toEqual([]);
      expect(await c.verifyNoAckedLoss([writer])).toBe(third);
    } finally {
      await writer.stop();
    }
  });
});
