/**
 * Valkey 8's dual-channel replication (`dual-channel-replication-enabled yes`)
 * against real valkey-servers: during a full sync the primary lists the one
 * replica twice (`type=rdb-channel` and `type=main-channel`, same ip:port)
 * while the replica loads the snapshot and buffers the stream. The sidecar
 * must count that replica once, and must never see it as a healthy (so
 * promotable) replica before the sync is done.
 *
 * Skipped on redis, which has no dual-channel replication: run with
 * RESP_ELECT_REDIS_SERVER=valkey-server (CI's second run does).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseInfo, parseReplicationState } from '../../src/redis/info.js';
import { LocalRedis } from '../../src/redis/local-redis.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { isValkey } from '../../lab/proc/server-binaries.js';
import { waitFor } from '../../lab/util/wait.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster } from '../support/cluster.js';

const DUAL = ['--dual-channel-replication-enabled', 'yes'];
const adapters: LocalRedis[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  await cleanupAll();
});
afterAll(async () => {
  await cleanupClusters();
  await cleanupAll();
});
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe.skipIf(!isValkey())('Valkey dual-channel replication (skipped on redis-server: it has no dual-channel replication)', () => {
  it('a syncing replica listed twice counts once, is never healthy before its sync is done, and ends with every key', async () => {
    // 1 ms per key saved makes the snapshot take ~3 s, long enough to watch both channels.
    const primary = await startRedis({ args: [...DUAL, '--rdb-key-save-delay', '1000'] });
    await primary.client().call('DEBUG', 'POPULATE', '3000', 'seed');
    const replica = await startRedis({ args: DUAL, replicaOf: { host: '127.0.0.1', port: primary.port } });
    const onReplica = new LocalRedis({ port: replica.port });
    adapters.push(onReplica);

    const rawLines = async () => {
      const text = (await primary.client().call('INFO', 'replication')) as string;
      return { text, lines: text.split('\r\n').filter((l) => /^slave\d+:/.test(l) && l.includes(`port=${replica.port},`)) };
    };
    let sawBothChannels = false;
    let unhealthyWhileSyncing = 0;
    // Collected, not thrown: waitFor retries a callback that throws, which would hide a violation.
    const doubleCounted: string[] = [];
    const healthyWhileSyncing: string[] = [];
    let written = 0;
    await waitFor(
      async () => {
        // Writes during the sync: the main channel buffers them on the replica.
        await primary.client().set(`during:${written++}`, 'x');
        const before = await rawLines();
        const status = await onReplica.poll();
        const after = await rawLines();
        const channels = before.lines.map((l) => /type=([a-z-]+)/.exec(l)?.[1]);
        if (channels.includes('rdb-channel') && channels.includes('main-channel')) sawBothChannels = true;
        const parsed = parseReplicationState(parseInfo(before.text)).connectedReplicas;
        if (parsed.filter((r) => r.port === replica.port).length > 1) doubleCounted.push(JSON.stringify(before.lines));
        const syncing = (l: { lines: string[] }) => l.lines.some((x) => x.includes('type=rdb-channel'));
        if (syncing(before) && syncing(after)) {
          if (status.healthy) healthyWhileSyncing.push(JSON.stringify(status));
          else unhealthyWhileSyncing++;
        }
        return status.healthy;
      },
      { what: 'the replica to finish its dual-channel sync', timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(sawBothChannels, 'the primary listed the replica as rdb-channel and main-channel at once').toBe(true);
    expect(doubleCounted, 'INFO samples where the parsed list had the replica twice').toEqual([]);
    expect(healthyWhileSyncing, 'replica statuses reported healthy while its rdb-channel was open').toEqual([]);
    expect(unhealthyWhileSyncing).toBeGreaterThan(0);

    const done = parseReplicationState(parseInfo((await primary.client().call('INFO', 'replication')) as string)).connectedReplicas;
    expect(done).toEqual([expect.objectContaining({ port: replica.port, state: 'online', type: 'replica' })]);
    await waitFor(async () => (await replica.client().dbsize()) === (await primary.client().dbsize()), { what: 'replica to hold every key' });
    expect(await replica.client().dbsize()).toBe(3000 + written);
    expect(Number((await primary.info('stats'))['sync_full'])).toBe(1);
  });

  it('a whole cluster with dual-channel replication: the old primary comes back empty, syncs over both channels, nothing acknowledged is lost', { timeout: 120_000 }, async () => {
    const c = await startCluster({ nodes: 3, redisArgs: DUAL });
    cluster = c;
    watchFailures(c);
    const old = await c.waitForPrimary();
    const w = c.writer();
    await w.waitForAcks(100);
    await old.kill('SIGKILL', 'both');
    const fresh = await c.waitForPrimary({ not: old });
    await w.waitForAcks(100);
    // A slower snapshot on the new primary, so the returning node's sync is seen with both channels open.
    await fresh.redis!.client().call('CONFIG', 'SET', 'rdb-key-save-delay', '2000');
    const fullBefore = Number((await fresh.mustInfo('stats'))['sync_full']);

    await old.restartRedis({ empty: true });
    await old.restartSidecar();
    const port = old.redis!.port;
    await waitFor(
      async () => {
        const text = (await fresh.redis!.client().call('INFO', 'replication')) as string;
        return text.split('\r\n').some((l) => l.includes(`port=${port},`) && l.includes('type=rdb-channel'));
      },
      { what: `${fresh.id} to list ${old.id}'s rdb-channel`, timeoutMs: 15_000, intervalMs: 10 },
    );
    await fresh.redis!.client().call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    await c.waitForReplicasLinked(fresh, { timeoutMs: 30_000 });
    expect(Number((await fresh.mustInfo('stats'))['sync_full'])).toBeGreaterThan(fullBefore);
    const listed = parseReplicationState(parseInfo((await fresh.redis!.client().call('INFO', 'replication')) as string)).connectedReplicas;
    expect(listed.map((r) => [r.port, r.state, r.type]).sort()).toEqual(c.dataNodes.filter((n) => n !== fresh).map((n) => [n.redis!.port, 'online', 'replica']).sort());
    expect((await c.writableMasters()).map((n) => n.id)).toEqual([fresh.id]);

    await w.waitForAcks(100);
    await w.stop();
    await c.verifyNoAckedLoss([w]);
  });
});
