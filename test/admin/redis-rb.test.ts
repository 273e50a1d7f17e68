/**
 * redis-rb (Debian's ruby-redis 4.8, installed by scripts/setup.sh --tests and
 * .ci/run) in Sentinel mode with its defaults,
 * `Redis.new(url: 'redis://mymaster', sentinels: [...], role: :master)`,
 * against a real 3-node cluster: through a host loss and a switchover it
 * follows the primary, and loses no write acknowledged with `WAIT 1`.
 * redis-rb asks the sentinels (`SENTINEL get-master-addr-by-name`, the
 * sentinel that answered first next time) on every reconnect and checks the
 * redis it reaches with `ROLE`; the script is test/admin/clients/redis-rb-writer.rb.
 */
import { afterAll, afterEach, describe, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { hostLossThenSwitchover } from './clients/failover-scenario.js';
import { RUBY_WRITER, ScriptWriter, sentinelList } from './clients/script-writer.js';

/** Debian's interpreter, where ruby-redis lives (a ruby earlier on PATH may lack it). */
const RUBY = '/usr/bin/ruby';

let cluster: Cluster | undefined;
let writer: ScriptWriter | undefined;
afterEach(async () => {
  await writer?.stop();
  writer = undefined;
  await cluster?.stop();
  cluster = undefined;
});
afterAll(cleanupClusters);

describe('redis-rb Sentinel client against a real cluster', () => {
  it('writes through a host loss and a switchover, losing nothing acknowledged', async () => {
    const c = (cluster = await startCluster({ nodes: 3, downAfterMs: 500 }));
    watchFailures(c, 40);
    const w = (writer = new ScriptWriter('redis-rb', RUBY, [RUBY_WRITER, 'mymaster', sentinelList(c.nodes.map((n) => n.sidecarPort)), 'rb:', '200']));

    await hostLossThenSwitchover(c, w);
  });
});
