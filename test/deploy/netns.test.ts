/**
 * scripts/netns-cluster.sh: a 3-node cluster where every node has its own
 * network namespace, so a partition is a real one (nftables drops the
 * packets). Partition the primary away: the majority elects a new primary,
 * the old one loses its lease and its redis stops taking writes; heal: one
 * primary again, the old one a replica. Needs root, `ip netns` and nft;
 * skipped, with the reason in the test name, otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lab/util/wait.js';
import { serverBinaries } from '../../lab/proc/server-binaries.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/netns-cluster.sh');
const PREFIX = `ret${process.pid}-`;
const ENV = { ...process.env, RESP_ELECT_NETNS_PREFIX: PREFIX, RESP_ELECT_NETNS_DIR: join(tmpdir(), `resp-elect-netns-test-${process.pid}`) };

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return '`ip netns` is unavailable';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nftables (nft) is not installed';
  if (spawnSync(serverBinaries().server, ['--version']).status !== 0) return `${serverBinaries().server} is not installed`;
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) return 'dist/src/cli/main.js missing (npm run build)';
  return undefined;
}
const reason = skipReason();

interface Result {
  code: number;
  out: string;
}

function run(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile('bash', [SCRIPT, ...args], { env: ENV, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, out: `${stdout}${stderr}` });
    });
  });
}

interface Row {
  id: string;
  addr: string;
  redis: string;
  detail: string;
  sidecar: string;
  epoch: number;
  lease: string;
  net: string;
}

async function status(): Promise<Row[]> {
  const r = await run('status');
  if (r.code !== 0) throw new Error(`status failed: ${r.out}`);
  return r.out
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(n\d+)\s+(\S+)\s+redis=(\S+)\s+(\S+)\s+sidecar=(\S+)\s+epoch=(\d+)\s+lease=(\S+)\s+net=(\S+)/.exec(l);
      if (!m) throw new Error(`unexpected status line: ${l}`);
      return { id: m[1]!, addr: m[2]!, redis: m[3]!, detail: m[4]!, sidecar: m[5]!, epoch: Number(m[6]), lease: m[7]!, net: m[8]! };
    });
}

/** The one writable primary (sidecar primary with a lease, redis master), if exactly one exists and the others replicate. */
function onePrimary(rows: Row[], among = rows): Row | undefined {
  const p = among.filter((r) => r.sidecar === 'primary' && r.lease === 'held' && r.redis === 'master');
  if (p.length !== 1) return undefined;
  return p[0];
}

function exec(node: string, ...cmd: string[]): Promise<Result> {
  return run('exec', node, ...cmd);
}

describe.skipIf(reason !== undefined)(`netns cluster: real partitions${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let first: Row;

  beforeAll(async () => {
    await run('down');
    const up = await run('up', '--nodes', '3', '--down-after-ms', '500');
    expect(up.code, up.out).toBe(0);
  }, 40_000);

  afterAll(async () => {
    const down = await run('down');
    expect(down.code, down.out).toBe(0);
    expect(spawnSync('ip', ['netns', 'list']).stdout.toString()).not.toContain(PREFIX);
  }, 40_000);

  it('elects one primary that the others replicate', async () => {
    const rows = await waitFor(
      async () => {
        const s = await status();
        const p = onePrimary(s);
        return p && s.filter((r) => r !== p).every((r) => r.redis === 'slave' && r.detail === 'link=up') ? s : undefined;
      },
      { what: 'one primary and two linked replicas', timeoutMs: 20_000, intervalMs: 200 },
    );
    first = onePrimary(rows)!;
    expect(rows).toHaveLength(3);
  }, 30_000);

  it('partitions the primary away: the majority elects a new one, the old one loses its lease and takes no writes', async () => {
    const iso = await run('partition', first.id);
    expect(iso.code, iso.out).toBe(0);
    const rows = await waitFor(
      async () => {
        const s = await status();
        const p = onePrimary(s, s.filter((r) => r.id !== first.id));
        const old = s.find((r) => r.id === first.id)!;
        return p && p.epoch > first.epoch && old.lease !== 'held' && old.net === 'isolated' ? s : undefined;
      },
      { what: `a new primary besides ${first.id}, and ${first.id} without its lease`, timeoutMs: 15_000, intervalMs: 200 },
    );
    const fresh = onePrimary(rows, rows.filter((r) => r.id !== first.id))!;

    // The isolated old primary's redis must not take writes: fenced (CLIENT PAUSE WRITE blocks until timeout) or read-only.
    const oldWrite = await exec(first.id, 'timeout', '2', serverBinaries().cli, '-h', first.addr, 'SET', 'netns-test', 'from-the-minority');
    expect(oldWrite.out.trim(), `the isolated ${first.id} accepted a write`).not.toBe('OK');
    expect(oldWrite.code === 124 || /READONLY|NOREPLICAS/.test(oldWrite.out), oldWrite.out).toBe(true);

    // The majority side takes writes, acknowledged by a replica.
    const ok = await exec(fresh.id, serverBinaries().cli, '-h', fresh.addr, 'SET', 'netns-test', 'from-the-majority');
    expect(ok.out.trim()).toBe('OK');
    const wait = await exec(fresh.id, serverBinaries().cli, '-h', fresh.addr, 'WAIT', '1', '2000');
    expect(Number(wait.out.trim())).toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('heals: one primary again, the old one a replica of it', async () => {
    const h = await run('heal');
    expect(h.code, h.out).toBe(0);
    const rows = await waitFor(
      async () => {
        const s = await status();
        const p = onePrimary(s);
        const old = s.find((r) => r.id === first.id)!;
        return p && p.id !== first.id && old.redis === 'slave' && old.detail === 'link=up' && old.sidecar === 'replica' && s.every((r) => r.net === 'connected') ? s : undefined;
      },
      { what: `one primary, ${first.id} back as a linked replica`, timeoutMs: 20_000, intervalMs: 250 },
    );
    const p = onePrimary(rows)!;
    const got = await exec(first.id, serverBinaries().cli, '-h', first.addr, 'GET', 'netns-test');
    expect(got.out.trim(), `${first.id} holds the majority's write after rejoining ${p.id}`).toBe('from-the-majority');
  }, 30_000);
});
