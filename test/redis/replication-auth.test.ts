/**
 * setReplicationAuth against real servers: the replica presents the
 * credentials to its primary. Checked by behaviour on both servers (the
 * primary lists the replica's connection as that user; a wrong password is
 * an ACL auth failure in the primary's ACL LOG), and on Valkey, where
 * masteruser/masterauth are aliases of primaryuser/primaryauth, that both
 * names read back the same setting.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../src/redis/local-redis.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { isValkey } from '../../lab/proc/server-binaries.js';
import { waitFor } from '../../lab/util/wait.js';

const adapters: LocalRedis[] = [];
const adapter = (port: number) => {
  const a = new LocalRedis({ port });
  adapters.push(a);
  return a;
};
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  await cleanupAll();
});
afterAll(cleanupAll);

describe('setReplicationAuth', () => {
  it('the replica authenticates to its primary as the replication user; a wrong password is refused by ACL', async () => {
    const primary = await startRedis();
    const replica = await startRedis();
    await adapter(primary.port).ensureReplicationUser('repl-e1', 'right-secret');
    const onReplica = adapter(replica.port);
    await onReplica.setReplicationAuth('repl-e1', 'right-secret');
    expect(await onReplica.replicateFrom('127.0.0.1', primary.port)).toBe(true);
    await waitFor(async () => (await replica.info('replication'))['master_link_status'] === 'up', { what: 'replica link up' });
    const clients = (await primary.client().call('CLIENT', 'LIST', 'TYPE', 'replica')) as string;
    expect(clients).toMatch(/\buser=repl-e1\b/);

    if (isValkey()) {
      const get = async (name: string) => ((await replica.client().call('CONFIG', 'GET', name)) as string[])[1];
      expect(await get('primaryuser')).toBe('repl-e1');
      expect(await get('primaryauth')).toBe('right-secret');
    }

    await onReplica.setReplicationAuth('repl-e1', 'wrong-secret');
    await replica.client().call('CLIENT', 'KILL', 'TYPE', 'master');
    await waitFor(
      async () => {
        const log = (await primary.client().call('ACL', 'LOG')) as unknown[][];
        return log.some((entry) => {
          const e = Object.fromEntries((entry as unknown[]).reduce<[unknown, unknown][]>((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v, a[i + 1]]] : acc), []));
          return e['reason'] === 'auth' && e['username'] === 'repl-e1';
        });
      },
      { what: "an ACL auth failure for repl-e1 in the primary's ACL LOG", timeoutMs: 10_000 },
    );
    expect((await replica.info('replication'))['master_link_status']).toBe('down');
  });
});
