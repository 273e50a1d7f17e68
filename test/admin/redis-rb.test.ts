/**
 * redis-rb (Debian's ruby-redis 4.8, installed by scripts/setup.sh --tests and
 * .ci/run) in Sentinel mode with its defaults,
 * `Redis.new(url: 'redis://mymaster', sentinels: [...], role: :master)`,
 * against a real 3-node cluster: through a host loss and a switchover it
 * follows the primary, and loses no write acknowledged with `WAIT 1`.
 * redis-rb asks the sentinels (`SENTINEL get-master-addr-by-name`, the
 * sentinel that answered first next time) on every reconnect and checks the
 * redis it reaches with `ROLE`; the script is test/admin/clients/redis-rb-writer.rb.
 * Also, against the admin port of a fake view over two real redis-servers:
 * `role: :master` and `role: :slave` (SENTINEL slaves, parsed field by field)
 * land on the redis the sidecar names.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { closeAll, startTwoRedisAdmin } from './admin-harness.js';
import { runJson } from './clients/run-script.js';
import { hostLossThenSwitchover, SCENARIO_TIMEOUT_MS } from './clients/failover-scenario.js';
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
  await closeAll();
});
afterAll(cleanupClusters);

describe('redis-rb Sentinel client against a real cluster', () => {
  it('writes through a host loss and a switchover, losing nothing acknowledged', async () => {
    const c = (cluster = await startCluster({ nodes: 3, downAfterMs: 500 }));
    watchFailures(c, 40);
    const w = (writer = new ScriptWriter('redis-rb', RUBY, [RUBY_WRITER, 'mymaster', sentinelList(c.nodes.map((n) => n.sidecarPort)), 'rb:', '200']));

    await hostLossThenSwitchover(c, w);
  }, SCENARIO_TIMEOUT_MS);
});

/** redis-rb's role: :slave (SENTINEL slaves, flags without s_down, then ROLE) and role: :master, as JSON: where each landed. */
const ROLES = `
require 'redis'; require 'json'
sentinels = [{ host: '127.0.0.1', port: Integer(ARGV[0]) }]
ports = %i[master slave].to_h do |role|
  r = Redis.new(url: 'redis://mymaster', sentinels: sentinels, role: role)
  r.ping
  port = r._client.port
  r.close
  [role, port]
end
puts JSON.generate(ports)
`;

describe('redis-rb Sentinel roles', () => {
  it('role :master and role :slave connect to the redis the sidecar names, and follow a change', async () => {
    const { view, port, a, b } = await startTwoRedisAdmin({ id: 'n3', witness: true });
    // redis-rb checks ROLE on the redis it reaches: make the redises what the view says.
    await b.client().call('REPLICAOF', '127.0.0.1', String(a.port));
    expect(await runJson(RUBY, ['-e', ROLES, String(port)])).toEqual({ master: a.port, slave: b.port });

    view.setPrimary('n2', 4);
    await b.client().call('REPLICAOF', 'NO', 'ONE');
    await a.client().call('REPLICAOF', '127.0.0.1', String(b.port));
    expect(await runJson(RUBY, ['-e', ROLES, String(port)])).toEqual({ master: b.port, slave: a.port });
  });
});
