/**
 * phpredis (Debian's php-redis 5.3 on php-cli, installed by scripts/setup.sh
 * --tests and .ci/run) against a real 3-node cluster, used the way phpredis
 * users use Sentinel: phpredis has no Sentinel-aware connection, so the
 * application asks `RedisSentinel::getMasterAddrByName` (each sentinel in
 * turn until one answers), connects a plain `Redis` to that address, and asks
 * again when a write fails. Through a host loss and a switchover it follows
 * the primary and loses no write acknowledged with `WAIT 1`. The script is
 * test/admin/clients/phpredis-writer.php.
 */
import { afterAll, afterEach, describe, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { hostLossThenSwitchover } from './clients/failover-scenario.js';
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
});
afterAll(cleanupClusters);

describe('phpredis RedisSentinel against a real cluster', () => {
  it('writes through a host loss and a switchover, re-asking the sentinels on failure, losing nothing acknowledged', async () => {
    const c = (cluster = await startCluster({ nodes: 3, downAfterMs: 500 }));
    watchFailures(c, 40);
    const w = (writer = new ScriptWriter('phpredis', PHP, [PHP_WRITER, 'mymaster', sentinelList(c.nodes.map((n) => n.sidecarPort)), 'php:', '200']));

    await hostLossThenSwitchover(c, w);
  });
});
