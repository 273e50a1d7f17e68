/**
 * phpredis (Debian's php-redis 5.3 on php-cli, installed by scripts/setup.sh
 * --tests and .ci/run) against a real 3-node cluster, used the way phpredis
 * users use Sentinel: phpredis has no Sentinel-aware connection, so the
 * application asks `RedisSentinel::getMasterAddrByName` (each sentinel in
 * turn until one answers), connects a plain `Redis` to that address, and asks
 * again when a write fails. Through a host loss and a switchover it follows
 * the primary and loses no write acknowledged with `WAIT 1`. The script is
 * test/admin/clients/phpredis-writer.php. Also, against the admin port of a
 * fake view over two real redis-servers: every RedisSentinel method that reads
 * the topology (masters, master, slaves, sentinels, ckquorum, ping,
 * getMasterAddrByName) answers as from redis-sentinel and follows a change,
 * and flushconfig() succeeds.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { closeAll, startTwoRedisAdmin } from './admin-harness.js';
import { runJson } from './clients/run-script.js';
import { hostLossThenSwitchover, SCENARIO_TIMEOUT_MS } from './clients/failover-scenario.js';
import { PHP_WRITER, ScriptWriter, sentinelList } from './clients/script-writer.js';

/** Debian's php-cli, where php-redis is enabled (a php earlier on PATH may lack it). */
const PHP = '/usr/bin/php';

let cluster: Cluster | undefined;
let writer: ScriptWriter | undefined;
afterEach(async () => {
  await writer?.stop();
  writer = undefined;
  await cluster?.stop();
  cluster = undefined;
  await closeAll();
});
afterAll(cleanupClusters);

describe('phpredis RedisSentinel against a real cluster', () => {
  it('writes through a host loss and a switchover, re-asking the sentinels on failure, losing nothing acknowledged', async () => {
    const c = (cluster = await startCluster({ nodes: 3, downAfterMs: 500 }));
    watchFailures(c, 40);
    const w = (writer = new ScriptWriter('phpredis', PHP, [PHP_WRITER, 'mymaster', sentinelList(c.nodes.map((n) => n.sidecarPort)), 'php:', '200']));

    await hostLossThenSwitchover(c, w);
  }, SCENARIO_TIMEOUT_MS);
});

/**
 * Every RedisSentinel method a phpredis application reads the topology with, as JSON.
 * `unknown`: a name the sentinel does not know is a null array on the wire (as from
 * redis-sentinel), which phpredis 5.3 returns as an empty array, not false.
 */
const SENTINEL_METHODS = `
$s = new RedisSentinel('127.0.0.1', (int) $argv[1], 2);
echo json_encode(['ping' => $s->ping(), 'addr' => $s->getMasterAddrByName('mymaster'), 'unknown' => $s->getMasterAddrByName('other'),
  'masters' => $s->masters(), 'master' => $s->master('mymaster'), 'slaves' => $s->slaves('mymaster'),
  'sentinels' => $s->sentinels('mymaster'), 'ckquorum' => $s->ckquorum('mymaster'),
  'flushconfig' => $s->flushconfig()]);
`;

describe('phpredis RedisSentinel methods', () => {
  it('read the master, the replicas and the sentinels as from redis-sentinel, and follow a change', async () => {
    const { view, port, a, b } = await startTwoRedisAdmin({ id: 'n3', witness: true });
    const read = async () => (await runJson(PHP, ['-r', SENTINEL_METHODS, '--', String(port)])) as Record<string, unknown>;
    let r = await read();
    expect(r).toMatchObject({ ping: true, addr: ['127.0.0.1', String(a.port)], unknown: [], ckquorum: true, flushconfig: true });
    expect(r['master']).toMatchObject({ name: 'mymaster', ip: '127.0.0.1', port: String(a.port), flags: 'master' });
    expect(r['masters']).toEqual([r['master']]);
    expect(r['slaves']).toMatchObject([{ ip: '127.0.0.1', port: String(b.port), flags: 'slave' }]);
    expect((r['sentinels'] as { flags: string }[]).map((s) => s.flags)).toEqual(['sentinel', 'sentinel']);

    view.setPrimary('n2', 4);
    r = await read();
    expect(r).toMatchObject({ addr: ['127.0.0.1', String(b.port)], master: { port: String(b.port) }, slaves: [{ port: String(a.port) }] });
  });
});
