/**
 * Real processes: the control loop keeps redis safe when a poll or a role step
 * fails (issue #17, items 1, 3 and 6).
 *
 * Every sidecar talks to its redis as the ACL user `sidecar` (the test drives
 * redis as `default`), so a test can take one permission away from the
 * sidecar alone, as an operator's `--redis-user` without `replicaof` or a
 * `rename-command` would.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const SIDECAR_USER = ['--user', 'sidecar', 'on', 'nopass', '~*', '&*', '+@all'];

async function acl(n: ClusterNode, ...rule: string[]): Promise<void> {
  const c = n.redis!.client();
  try {
    await c.call('ACL', 'SETUSER', 'sidecar', ...rule);
  } finally {
    c.disconnect();
  }
}

async function adminCall(n: ClusterNode, ...args: string[]): Promise<unknown> {
  const c = n.redis!.client();
  try {
    return await c.call(args[0]!, ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

function start(): Promise<Cluster> {
  return startCluster({ nodes: 3, downAfterMs: 600, redisArgs: SIDECAR_USER, extraArgs: ['--redis-user', 'sidecar'] });
}

// Real processes on a possibly busy machine: generous per-test limits.
describe('resp-elect run: the control loop when redis refuses', { timeout: 120_000 }, () => {
  it('a primary whose polls fail is still fenced once it may not take writes', async () => {
    const c = await start();
    cluster = c;
    watchFailures(c);
    const p = await c.waitForPrimary();
    expect(await p.writable(200)).toBe(true);
    const mark = p.logOffset();
    // Every poll now fails (NOPERM on INFO), but CLIENT PAUSE still works: the sidecar reports
    // its redis unhealthy, steps down, and must fence although it cannot see redis.
    await acl(p, '-info');
    await waitFor(() => /writes stopped/.test(p.logs(mark)), { what: `${p.id} to stop writes`, timeoutMs: 10_000 });
    await waitFor(async () => !(await p.writable(200)), { what: `${p.id}'s redis to be fenced`, timeoutMs: 5000 });
    expect(p.logs(mark)).toMatch(/local redis fenced: CLIENT PAUSE WRITE.*action=fence/);
    // Still fenced a few renewals later: the fence is renewed though every poll fails.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await p.writable(200)).toBe(false);
    await acl(p, '+info');
    const fresh = await c.waitForPrimary({ not: p, timeoutMs: 10_000 });
    await c.waitForReplicasLinked(fresh);
  });

  it('a master whose REPLICAOF is refused stays fenced and unhealthy until REPLICAOF works', async () => {
    const c = await start();
    cluster = c;
    watchFailures(c);
    const p = await c.waitForPrimary();
    const r = c.dataNodes.find((n) => n !== p)!;
    const mark = r.logOffset();
    // As a replica restarted empty under a user without `replicaof`: a master nobody elected.
    await acl(r, '-replicaof');
    await adminCall(r, 'REPLICAOF', 'NO', 'ONE');
    await waitFor(() => /redis action failed .*failed=replicate.*action=action-failed/.test(r.logs(mark)), { what: `${r.id} to fail its REPLICAOF`, timeoutMs: 5000 });
    await waitFor(async () => !(await r.writable(200)), { what: `${r.id}'s redis to be fenced`, timeoutMs: 5000 });
    // Logged right after the failure, in the same millisecond: wait for it rather than race the log file.
    await waitFor(() => /local redis unhealthy.*reason="redis replicate failed: .*NOPERM/.test(r.logs(mark)), { what: `${r.id} to report itself unhealthy`, timeoutMs: 5000 });
    // Fenced for as long as the step keeps failing, not just once.
    await new Promise((res) => setTimeout(res, 1000));
    expect(await r.writable(200)).toBe(false);
    expect(await c.writableMasters()).toEqual([p]);

    await acl(r, '+replicaof');
    await waitFor(async () => (await r.info())?.['master_port'] === String(p.redis!.port), { what: `${r.id} to replicate from ${p.id}`, timeoutMs: 5000 });
    await waitFor(() => /local redis healthy/.test(r.logs(mark)), { what: `${r.id} healthy again`, timeoutMs: 5000 });
    await c.waitForReplicasLinked(p);
  });

  it('a replica with replica-read-only no is reported unhealthy', async () => {
    const c = await start();
    cluster = c;
    watchFailures(c);
    const p = await c.waitForPrimary();
    const r = c.dataNodes.find((n) => n !== p)!;
    const mark = r.logOffset();
    await adminCall(r, 'CONFIG', 'SET', 'replica-read-only', 'no');
    await waitFor(() => /local redis unhealthy.*replica-read-only is no/.test(r.logs(mark)), { what: `${r.id} to report its writable replica`, timeoutMs: 5000 });
    await adminCall(r, 'CONFIG', 'SET', 'replica-read-only', 'yes');
    await waitFor(() => /local redis healthy/.test(r.logs(mark)), { what: `${r.id} healthy again`, timeoutMs: 5000 });
  });
});
