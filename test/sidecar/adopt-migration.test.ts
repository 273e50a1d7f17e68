/**
 * Migration from Sentinel to resp-elect with writes running, and back
 * (issue #14; protocol.md §5.13 rule adopt-existing; README "Migrating from
 * Sentinel"). Real redis-servers already form a replica set — n2's redis is
 * the master, n1's and n3's replicate from it — with a writer doing SET +
 * WAIT 1 against it; then the sidecars are started in several orders and
 * delays, with and without a (wrong) --bootstrap-primary, and with the user's
 * own requirepass/masterauth. Each run checks, on real processes:
 *
 * - n2's redis stays the master and becomes the primary of epoch 1;
 * - nothing acknowledged is lost;
 * - no replica full-resynced: `sync_full` (INFO stats) is the same on every
 *   redis as before the first sidecar started, and no sidecar logged a
 *   REPLICAOF change (`action=replicate` / `action=detach`);
 * - at no sample did two redis-servers take writes.
 *
 * The rollback runs the README's steps and hands the set to real
 * redis-sentinel processes: they find the master and both replicas, which
 * stay linked, and a Sentinel failover afterwards still links both replicas
 * to the new master (their replication credentials work without resp-elect).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startSentinel, type SentinelProc } from '../../lab/proc/sentinel-process.js';
import { sleep, waitFor } from '../../lab/util/wait.js';
import { AckWriter, missingKeys } from '../../lab/workload/writer.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';

const PASSWORD = 'the-users-own-redis-password';
const ADOPT_WAIT_MS = 12_000;
const dirs: string[] = [];
const sentinels: SentinelProc[] = [];

afterEach(async () => {
  await Promise.all(sentinels.splice(0).map((s) => s.stop().catch(() => undefined)));
  await cleanupClusters();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface LiveSet {
  c: Cluster;
  master: ClusterNode;
  writer: AckWriter;
  password: string | undefined;
  /** With `viaSentinel`: the Sentinels the application asks, on the ports the sidecars will take. */
  sentinels: SentinelProc[];
}

/** Three redis-sentinels, one per node, on the port that node's sidecar listens on once it runs (README: "Switching clients"). */
async function sentinelsOnSidecarPorts(c: Cluster, masterPort: number, password: string | undefined): Promise<SentinelProc[]> {
  const out: SentinelProc[] = [];
  for (const n of c.dataNodes) {
    const s = await startSentinel({ port: n.sidecarPort, masterPort, quorum: 2, downAfterMs: 1000, ...(password ? { authPass: password } : {}) });
    sentinels.push(s);
    out.push(s);
  }
  const q = out[0]!.client();
  await waitFor(
    async () => {
      const m = (await q.call('SENTINEL', 'MASTER', 'mymaster')) as string[];
      const f = Object.fromEntries(m.flatMap((v, i) => (i % 2 === 0 ? [[v, m[i + 1]]] : [])));
      return f['num-slaves'] === '2' && f['num-other-sentinels'] === '2' && f['flags'] === 'master';
    },
    { what: 'redis-sentinel seeing the master, both replicas and the other sentinels', timeoutMs: 20_000, intervalMs: 100 },
  );
  return out;
}

/** A writer that asks Sentinel (or the sidecars, on the same ports) for the master, as the application does. */
function sentinelWriter(c: Cluster, prefix: string, password: string | undefined): AckWriter {
  const w = new AckWriter({
    sentinels: c.dataNodes.map((n) => ({ host: '127.0.0.1', port: n.sidecarPort })),
    masterName: 'mymaster',
    replicas: 1,
    waitTimeoutMs: 200,
    intervalMs: 2,
    keyPrefix: prefix,
    redisOptions: { commandTimeout: 1500, ...(password ? { password } : {}) },
  });
  w.start();
  return w;
}

/** Three redis-servers, n2's the master of the other two, a writer on it; no sidecar yet. */
async function liveSet(opts: { auth: boolean; bootstrap?: string; adoptWaitMs?: number; viaSentinel?: boolean }): Promise<LiveSet> {
  const password = opts.auth ? PASSWORD : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'resp-elect-adopt-'));
  dirs.push(dir);
  const passwordFile = join(dir, 'redis-password');
  writeFileSync(passwordFile, PASSWORD, { mode: 0o600 });
  const c = await startCluster({
    nodes: 3,
    bootstrap: opts.bootstrap ?? null,
    startSidecars: false,
    waitReady: false,
    logLevel: 'info',
    redisArgs: password ? ['--requirepass', password, '--masterauth', password] : [],
    extraArgs: ['--adopt-wait-ms', String(opts.adoptWaitMs ?? ADOPT_WAIT_MS), ...(password ? ['--redis-password-file', passwordFile] : [])],
  });
  watchFailures(c);
  const master = c.node('n2');
  for (const id of ['n1', 'n3']) {
    const r = c.node(id).redis!.client();
    await r.call('REPLICAOF', '127.0.0.1', String(master.redis!.port));
    r.disconnect();
  }
  await c.waitForReplicasLinked(master, { timeoutMs: 15_000 });
  const onPorts = opts.viaSentinel ? await sentinelsOnSidecarPorts(c, master.redis!.port, password) : [];
  const writer = opts.viaSentinel ? sentinelWriter(c, 'adopt:', password) : new AckWriter({
    // Before resp-elect the application writes to the master it knows; afterwards to the primary.
    resolve: async () => ({ host: '127.0.0.1', port: ((await c.primary()) ?? master).redis!.port }),
    replicas: 1,
    waitTimeoutMs: 200,
    intervalMs: 2,
    keyPrefix: 'adopt:',
    redisOptions: { commandTimeout: 1500, ...(password ? { password } : {}) },
  });
  writer.start();
  await waitFor(() => writer.acked.length >= 100, { what: `100 acknowledged writes on n2 (${writer.describe()})`, timeoutMs: 15_000 });
  return { c, master, writer, password, sentinels: onPorts };
}

async function syncFull(c: Cluster): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const n of c.dataNodes) out[n.id] = Number((await n.mustInfo('stats'))['sync_full']);
  return out;
}

/** Samples how many redis-servers take writes, until stopped; returns the worst sample. */
function sampleWritable(c: Cluster): { stop: () => Promise<{ max: number; samples: number; worst: string[] }> } {
  let running = true;
  let max = 0;
  let samples = 0;
  let worst: string[] = [];
  const loop = (async () => {
    while (running) {
      const w = await c.writableMasters();
      samples += 1;
      if (w.length > max) {
        max = w.length;
        worst = w.map((n) => n.id);
      }
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { max, samples, worst };
    },
  };
}

async function waitAcks(writer: AckWriter, n: number, timeoutMs = 20_000): Promise<void> {
  const target = writer.acked.length + n;
  await waitFor(() => writer.acked.length >= target, { what: `${n} more acknowledged writes (${writer.describe()})`, timeoutMs });
}

/** Start the sidecars: each entry waits `afterMs`, then starts `id`'s sidecar. */
async function startSidecars(c: Cluster, order: { id: string; afterMs: number }[]): Promise<void> {
  for (const step of order) {
    await sleep(step.afterMs);
    c.node(step.id).startSidecar();
  }
  await Promise.all(order.map((s) => c.node(s.id).waitSidecarStarted()));
}

/** The migration itself, and every check of the file header. */
async function migrate(s: LiveSet, order: { id: string; afterMs: number }[]): Promise<void> {
  const { c, master, writer } = s;
  const before = await syncFull(c);
  const sampler = sampleWritable(c);
  // Stop the Sentinels first (README step 2): one left running could fail over behind the sidecars' back.
  for (const x of s.sentinels) {
    await x.stop();
    sentinels.splice(sentinels.indexOf(x), 1);
  }
  await startSidecars(c, order);
  const primary = await c.waitForPrimary({ timeoutMs: ADOPT_WAIT_MS + 10_000 });
  await waitAcks(writer, 200);
  const writable = await sampler.stop();
  expect(primary.id, 'the existing master is kept').toBe(master.id);
  expect(writable.max, `two redis-servers took writes at once: ${writable.worst.join(', ')}`).toBeLessThanOrEqual(1);
  expect(writable.samples).toBeGreaterThan(10);
  await c.verifyNoAckedLoss([writer], { timeoutMs: 15_000 });
  expect(await syncFull(c), 'no replica full-resynced').toEqual(before);
  for (const n of c.dataNodes) {
    expect(n.logs(), `${n.id} changed replication`).not.toMatch(/ action=(replicate|detach)\b/);
  }
  expect(master.logs()).toMatch(/event=adoption .*stance=keep-self|stance=keep-self .*event=adoption/);
  for (const id of ['n1', 'n3']) expect(c.node(id).logs()).toMatch(/stance=await/);
  if (s.password !== undefined) {
    // The user's own replication credentials are kept, not written over by the sidecar's.
    for (const id of ['n1', 'n3']) {
      const r = c.node(id).redis!.client();
      expect(await r.call('CONFIG', 'GET', 'masterauth'), `${id} keeps the user's masterauth`).toEqual(['masterauth', PASSWORD]);
      expect(await r.call('CONFIG', 'GET', 'masteruser')).toEqual(['masteruser', '']);
      r.disconnect();
    }
    // (No check of the 'local redis has its own masterauth' log line: it comes only when a role step
    // first needs the credentials, which a replica left linked may never take; the values above are
    // what matters, and a rollback test below replicates with them.)
  }
}

describe('adopting a live replica set (rule adopt-existing)', () => {
  for (const auth of [false, true]) {
    const withAuth = auth ? ' (requirepass/masterauth set)' : '';
    it(`the master's sidecar last, 3 s after the others${withAuth}: n2 kept, nothing lost, no full resync, never two writable masters`, { timeout: 90_000 }, async () => {
      const s = await liveSet({ auth });
      await migrate(s, [
        { id: 'n1', afterMs: 0 },
        { id: 'n3', afterMs: 0 },
        { id: 'n2', afterMs: 3000 },
      ]);
      await s.writer.stop();
    });

    it(`the master's sidecar first, the others 1 s apart${withAuth}`, { timeout: 90_000 }, async () => {
      const s = await liveSet({ auth });
      await migrate(s, [
        { id: 'n2', afterMs: 0 },
        { id: 'n3', afterMs: 1000 },
        { id: 'n1', afterMs: 1000 },
      ]);
      await s.writer.stop();
    });

    it(`with a wrong --bootstrap-primary n1, n1 first and n2 last${withAuth}: the data wins, and n1 says so`, { timeout: 90_000 }, async () => {
      const s = await liveSet({ auth, bootstrap: 'n1' });
      await migrate(s, [
        { id: 'n1', afterMs: 0 },
        { id: 'n3', afterMs: 1500 },
        { id: 'n2', afterMs: 2500 },
      ]);
      expect(s.c.node('n1').logs()).toMatch(/the data wins/);
      await s.writer.stop();
    });
  }

  it('with the user\'s requirepass/masterauth: replicas keep presenting them; rollback to redis-sentinel, which finds the master and both replicas and can fail over', { timeout: 120_000 }, async () => {
    const s = await liveSet({ auth: true });
    await migrate(s, [
      { id: 'n3', afterMs: 0 },
      { id: 'n2', afterMs: 2000 },
      { id: 'n1', afterMs: 500 },
    ]);
    await rollback(s);
  });

  it("the master's sidecar never comes: after the adoption wait the replicas detach, stop acknowledging its writes, and elect one of themselves with everything acknowledged", { timeout: 90_000 }, async () => {
    const s = await liveSet({ auth: false, adoptWaitMs: 2000 });
    const { c, master, writer } = s;
    await startSidecars(c, [
      { id: 'n1', afterMs: 0 },
      { id: 'n3', afterMs: 0 },
    ]);
    const primary = await c.waitForPrimary({ timeoutMs: 20_000 });
    expect(['n1', 'n3']).toContain(primary.id);
    for (const id of ['n1', 'n3']) expect(c.node(id).logs()).toMatch(/primary \(none\) lost .*adoption wait/);
    await waitAcks(writer, 100);
    await writer.stop();
    const other = c.node(primary.id === 'n1' ? 'n3' : 'n1');
    await c.waitForReplicasLinked(primary, { nodes: [primary, other] });
    // n2's redis, which no sidecar controls, stays a master but no replica acknowledges its writes any more.
    const r = master.redis!.client();
    await r.set('unacked', 'x');
    expect(Number(await r.call('WAIT', '1', '300'))).toBe(0);
    r.disconnect();
    for (const n of [primary, other]) {
      let missing: string[] = [];
      await waitFor(async () => (missing = await missingKeys({ host: '127.0.0.1', port: n.redis!.port }, writer.acked, { commandMs: 5000 })).length === 0, { what: `acknowledged keys on ${n.id}`, timeoutMs: 10_000 }).catch(() => undefined);
      expect(missing, `acknowledged keys missing on ${n.id} (of ${writer.acked.length})`).toEqual([]);
    }
    // When its sidecar comes at last, n2 follows the new primary (resyncing away what nobody acknowledged).
    master.startSidecar();
    await c.waitForReplicasLinked(primary, { timeoutMs: 20_000 });
    await c.verifyNoAckedLoss([writer]);
  });

  it('clients through Sentinel: the Sentinels stop, the sidecars take over their ports, the application keeps its addresses and loses nothing', { timeout: 120_000 }, async () => {
    const s = await liveSet({ auth: false, viaSentinel: true });
    await migrate(s, [
      { id: 'n3', afterMs: 0 },
      { id: 'n1', afterMs: 300 },
      { id: 'n2', afterMs: 300 },
    ]);
    await rollback(s);
  });

  it('rollback to redis-sentinel after the sidecar used its own replication user', { timeout: 120_000 }, async () => {
    const s = await liveSet({ auth: false });
    await migrate(s, [
      { id: 'n1', afterMs: 0 },
      { id: 'n2', afterMs: 0 },
      { id: 'n3', afterMs: 0 },
    ]);
    await rollback(s);
  });
});

/**
 * The README's rollback, step by step, then redis-sentinel: it must find the
 * master and both replicas; a Sentinel failover must leave both replicas
 * linked to the new master; nothing acknowledged (before or after) is lost.
 */
async function rollback(s: LiveSet): Promise<void> {
  const { c, master, writer, password } = s;
  await writer.stop();
  const primary = await c.waitForPrimary();
  // 1. Stop every sidecar (replicas' first; the primary's last, which fences its redis on the way out).
  for (const n of c.dataNodes.filter((x) => x !== primary)) await n.killSidecar('SIGTERM');
  await primary.killSidecar('SIGTERM');
  for (const n of c.dataNodes) {
    const r = n.redis!.client();
    // 2. On the master: lift the fence the last sidecar left.
    if (n === primary) await r.call('CLIENT', 'UNPAUSE');
    // 3. On each replica whose masteruser is the sidecar's: give it back the credentials it had (here: none).
    const [, user] = (await r.call('CONFIG', 'GET', 'masteruser')) as [string, string];
    if (user === 'resp-elect-repl') {
      await r.call('CONFIG', 'SET', 'masteruser', '');
      await r.call('CONFIG', 'SET', 'masterauth', '');
    }
    r.disconnect();
  }
  // 4. Start the Sentinels, on the sidecars' ports, monitoring the current master: it finds both replicas.
  const back = await sentinelsOnSidecarPorts(c, primary.redis!.port, password);
  const q = back[0]!.client();
  expect(await q.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual(['127.0.0.1', String(master.redis!.port)]);
  await c.waitForReplicasLinked(primary, { timeoutMs: 10_000 });
  // The application, through Sentinel on the same ports.
  const after = sentinelWriter(c, 'sentinel:', password);
  // Sentinel's own failover may lose what was acknowledged around it (it does not fence the old
  // master): the check covers what was acknowledged before it, under resp-elect and under Sentinel.
  let beforeFailover: string[] = [];
  try {
    await waitAcks(after, 50);
    beforeFailover = after.acked.slice();
    await q.call('SENTINEL', 'FAILOVER', 'mymaster');
    const next = await waitFor(
      async () => {
        const [, port] = (await q.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as [string, string];
        return Number(port) !== primary.redis!.port ? c.dataNodes.find((n) => n.redis!.port === Number(port)) : undefined;
      },
      { what: 'a Sentinel failover', timeoutMs: 30_000, intervalMs: 100 },
    );
    // Both other redis-servers replicate from the new master: their credentials work without resp-elect.
    await c.waitForReplicasLinked(next, { timeoutMs: 30_000 });
    await waitAcks(after, 50, 30_000);
  } finally {
    await after.stop();
  }
  const keys = [...writer.acked, ...beforeFailover];
  for (const n of c.dataNodes) {
    let missing: string[] = [];
    await waitFor(async () => (missing = await missingKeys({ host: '127.0.0.1', port: n.redis!.port }, keys, { password, commandMs: 5000 })).length === 0, {
      what: `every acknowledged key on ${n.id}`,
      timeoutMs: 10_000,
    }).catch(() => undefined);
    expect(missing, `acknowledged keys missing on ${n.id} (of ${keys.length})`).toEqual([]);
  }
}
