/**
 * What the membership tests do to a real cluster (test/support/cluster.ts),
 * the way an operator does it: `resp-elect member …` as a separate process
 * (the compiled CLI), and a new node started with `--join`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ConfigReply } from '../../src/admin/member-reply.js';
import { RespClient } from '../../src/admin/resp-client.js';
import { startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';
import { ClusterNode, runCli, sidecarPort, type Cluster } from '../support/cluster.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One command on `n`'s sidecar client port, straight from this process (no CLI start-up to wait for). */
export async function ask(n: ClusterNode, args: string[], timeoutMs = 3000): Promise<unknown> {
  const c = await RespClient.connect({ host: '127.0.0.1', port: n.sidecarPort }, { timeoutMs });
  try {
    return await c.command(args);
  } finally {
    c.close();
  }
}

/** `resp-elect member <args…>` against `via`'s client port. */
export async function memberCli(via: ClusterNode, args: string[], timeoutMs = 40_000): Promise<CliRun> {
  const [action, ...rest] = args;
  const r = await runCli(['member', action!, '--sidecar', `127.0.0.1:${via.sidecarPort}`, ...rest], { timeoutMs });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The same, expected to succeed; fails the test with what the CLI said otherwise. */
export async function mustMember(via: ClusterNode, args: string[], timeoutMs?: number): Promise<string> {
  const r = await memberCli(via, args, timeoutMs);
  if (r.code !== 0) throw new Error(`resp-elect member ${args.join(' ')} (via ${via.id}) exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `resp-elect member list --json` as `via` holds it. */
export async function memberList(via: ClusterNode): Promise<ConfigReply> {
  return JSON.parse(await mustMember(via, ['list', '--json'])) as ConfigReply;
}

/** `id:kind` of every member, sorted by id: what a test compares. */
export function kinds(c: ConfigReply): string[] {
  return c.members.map((m) => `${m.id}:${m.kind}`);
}

/** Wait until `via` holds a configuration whose members are exactly `expected` (`id:kind`). */
export async function waitForMembers(via: ClusterNode, expected: string[], timeoutMs = 20_000): Promise<ConfigReply> {
  let last: ConfigReply | undefined;
  return waitFor(
    async () => {
      last = await memberList(via).catch(() => undefined);
      return last && JSON.stringify(kinds(last)) === JSON.stringify(expected) ? last : undefined;
    },
    { what: `${via.id} to hold ${expected.join(', ')} (last: ${last ? `v${last.version} ${kinds(last).join(', ')}` : 'none'})`, timeoutMs, intervalMs: 200 },
  );
}

/** The `--member` value of a node, as `member add` takes it. */
export function memberSpec(n: ClusterNode): string {
  return n.witness ? `${n.id}=127.0.0.1:${n.sidecarPort},witness` : `${n.id}=127.0.0.1:${n.sidecarPort},redis=127.0.0.1:${n.redis!.port}`;
}

/**
 * A new data node: its own redis, and a sidecar that will start with
 * `--join` (not started here). Part of the cluster from now on, so it is
 * stopped and cleaned up with it.
 */
export async function newJoiner(c: Cluster, id: string, joinVia: ClusterNode[]): Promise<ClusterNode> {
  const n = new ClusterNode(id, false, await sidecarPort(), join(c.dir, id));
  mkdirSync(n.dataDir, { recursive: true });
  c.nodes.push(n);
  n.redis = await startRedis();
  n.args = [
    'run',
    '--id', id,
    '--listen', `127.0.0.1:${n.sidecarPort}`,
    '--redis', `127.0.0.1:${n.redis.port}`,
    '--join', joinVia.map((v) => `127.0.0.1:${v.sidecarPort}`).join(','),
    '--secret-file', c.secretFile,
    '--data-dir', n.dataDir,
    '--hb-interval-ms', String(c.hbIntervalMs),
    '--down-after-ms', String(c.downAfterMs),
    '--poll-interval-ms', String(c.pollIntervalMs),
    '--log-level', 'debug',
  ];
  return n;
}

/** Every live sidecar holds the same configuration version as `via`. */
export async function waitForSameConfig(c: Cluster, via: ClusterNode, timeoutMs = 10_000): Promise<number> {
  const want = (await memberList(via)).version;
  for (const n of c.nodes.filter((x) => x.sidecarRunning)) {
    await waitFor(async () => (await memberList(n).catch(() => undefined))?.version === want, { what: `${n.id} to hold configuration ${want}`, timeoutMs, intervalMs: 200 });
  }
  return want;
}

export function expectQuorum(cfg: ConfigReply, voters: number): void {
  expect(cfg.voters.length).toBe(voters);
  expect(cfg.quorum).toBe(Math.floor(voters / 2) + 1);
}
