/**
 * The README's first command, end to end: the demo (dist/lab/demo/main.js,
 * what `npm run demo` runs after building) as a child process in plain-line
 * mode with short timings. It must fail over, acknowledge writes, lose none,
 * exit 0, and leave no process or directory behind. A second run deletes one
 * acknowledged key behind the demo's back (a hidden self-test option) and
 * must be reported as a lost write with exit code 1: the check is not
 * vacuous.
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../../lab/proc/children.js';
import { serverBinaries } from '../../lab/proc/server-binaries.js';

const MAIN = fileURLToPath(new URL('../../dist/lab/demo/main.js', import.meta.url));

interface Run {
  code: number;
  out: string;
}

function runDemo(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it (npm run build)`);
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, '--no-tty', ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      done({ code, out: `${stdout}${stderr ? `\n[stderr]\n${stderr}` : ''}` });
    });
  });
}

function field(out: string, label: string): string {
  const m = new RegExp(`^\\s+${label}:\\s+(.*)$`, 'm').exec(out);
  if (!m) throw new Error(`no "${label}:" line in the demo output:\n${out}`);
  return m[1]!;
}

function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Every process the demo started, from its last line, and every port it used. */
async function expectNothingLeft(out: string): Promise<void> {
  const started = /\(started: ([^)]*)\)/.exec(out);
  expect(started, `no "(started: ...)" list in:\n${out}`).not.toBeNull();
  const pids = started![1]!.split(' ').map((kv) => Number(kv.split('=')[1]));
  expect(pids.length).toBeGreaterThanOrEqual(6);
  expect(pids.filter(pidAlive), `processes left running:\n${out}`).toEqual([]);
  const ports = [...out.matchAll(/127\.0\.0\.1:(\d+) \(pid/g)].map((m) => Number(m[1]));
  expect(ports.length).toBeGreaterThanOrEqual(6);
  const open = [];
  for (const p of ports) if (await listening(p)) open.push(p);
  expect(open, 'ports still listening').toEqual([]);
  expect(out).toMatch(/nothing left running/);
}

describe('the demo', () => {
  it('fails over, keeps every acknowledged write, and leaves nothing running', async () => {
    const { code, out } = await runDemo(['--down-after-ms', '300', '--warmup-ms', '300']);
    expect(field(out, 'failover completed'), out).toMatch(/^yes/);
    // It says which server it ran (RESP_ELECT_REDIS_SERVER), with that binary's own version line.
    const { server, flavour } = serverBinaries();
    expect(out).toContain(`resp-elect demo: server ${server} (${flavour === 'valkey' ? 'Valkey' : 'Redis'} server v=`);
    const acked = Number(/^(\d+)/.exec(field(out, 'writes acknowledged'))![1]);
    expect(acked, out).toBeGreaterThan(0);
    expect(field(out, 'writes lost'), out).toMatch(/^0 /);
    const failover = Number(/^(\d+) ms/.exec(field(out, 'failover time'))?.[1]);
    // Detection takes down-after-ms; the rest should be quick. Generous bound for slow CI.
    expect(failover, out).toBeGreaterThanOrEqual(150);
    expect(failover, out).toBeLessThan(10_000);
    expect(field(out, 'rejoin'), out).toMatch(/back as a replica/);
    expect(field(out, 'result'), out).toBe('PASS');
    expect(code, out).toBe(0);
    const dir = /working directory (\S+)/.exec(out)![1]!;
    expect(existsSync(dir), `${dir} left behind`).toBe(false);
    await expectNothingLeft(out);
  }, 150_000);

  it('reports an acknowledged write that is missing and exits non-zero', async () => {
    const { code, out } = await runDemo(['--down-after-ms', '300', '--warmup-ms', '300', '--no-switchover', '--self-test-lose-write']);
    expect(out).toMatch(/SELF-TEST .* deleted the acknowledged key/);
    expect(field(out, 'writes lost'), out).toMatch(/^1 /);
    expect(field(out, 'result'), out).toBe('FAIL');
    expect(code, out).toBe(1);
    await expectNothingLeft(out);
    // A failed demo keeps its logs for a look; this one is ours to remove.
    const dir = /working directory (\S+)/.exec(out)![1]!;
    rmSync(dir, { recursive: true, force: true });
  }, 150_000);

  it('an unknown RESP_ELECT_REDIS_SERVER is a clear error naming the variable, before anything starts', async () => {
    const { code, out } = await runDemo([], { ...process.env, RESP_ELECT_REDIS_SERVER: 'keydb-server' });
    expect(code, out).toBe(1);
    expect(out).toMatch(/RESP_ELECT_REDIS_SERVER="keydb-server": expected redis-server or valkey-server/);
    const missing = await runDemo([], { ...process.env, RESP_ELECT_REDIS_SERVER: '/nonexistent/valkey-server' });
    expect(missing.code, missing.out).toBe(1);
    expect(missing.out).toMatch(/\/nonexistent\/valkey-server cannot be run .*RESP_ELECT_REDIS_SERVER/);
  });
});
