// The on-role-change hook runner: environment, exit status, timeouts that kill
// the whole process tree, and no exceptions whatever the command does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRoleChangeHook } from '../../src/sidecar/hook.js';
import { waitFor } from '../../lab/util/wait.js';

const dirs: string[] = [];
const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'resp-elect-hook-'));
  dirs.push(d);
  return d;
}

/** Running (a killed process whose parent is gone stays a zombie until init reaps it: that counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const info = { role: 'primary', epoch: 7, primaryAddr: { host: '10.0.0.1', port: 6379 } };

describe('runRoleChangeHook', () => {
  it('passes the role, epoch and primary address in the environment', async () => {
    const lines: string[] = [];
    const r = await runRoleChangeHook('echo "$RESP_ELECT_ROLE $RESP_ELECT_EPOCH $RESP_ELECT_PRIMARY_ADDR $RESP_ELECT_NODE_ID"', { ...info, nodeId: 'n1' }, 5000, (l) =>
      lines.push(l),
    );
    expect(r).toMatchObject({ ok: true, code: 0, signal: null, timedOut: false });
    expect(r.output).toBe('primary 7 10.0.0.1:6379 n1\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^on-role-change hook "echo .*" \(role=primary epoch=7\) exited 0 in \d+ ms$/);
  });

  it('formats IPv6 and missing primaries', async () => {
    const v6 = await runRoleChangeHook('printf %s "$RESP_ELECT_PRIMARY_ADDR"', { role: 'replica', epoch: 1, primaryAddr: { host: '::1', port: 7000 } }, 5000, () => {});
    expect(v6.output).toBe('[::1]:7000');
    const none = await runRoleChangeHook('printf "[%s]" "$RESP_ELECT_PRIMARY_ADDR"', { role: 'candidate', epoch: 2, primaryAddr: null }, 5000, () => {});
    expect(none.output).toBe('[]');
  });

  it('reports a failing command with its last output line', async () => {
    const lines: string[] = [];
    const r = await runRoleChangeHook('echo starting; echo "dns update failed: NXDOMAIN" >&2; exit 3', info, 5000, (l) => lines.push(l));
    expect(r).toMatchObject({ ok: false, code: 3, timedOut: false });
    expect(lines[0]).toMatch(/exited 3 in \d+ ms: dns update failed: NXDOMAIN$/);
  });

  it('kills a command that runs past the timeout, children included', async () => {
    const dir = tmp();
    const pidFile = join(dir, 'pid');
    const started = Date.now();
    const r = await runRoleChangeHook(`sleep 30 & echo $! > ${pidFile}; wait`, info, 300, () => {}, { graceMs: 200 });
    expect(r).toMatchObject({ ok: false, timedOut: true, code: null, signal: 'SIGTERM' });
    expect(r.summary).toMatch(/timed out after 300 ms and was killed \(SIGTERM\)/);
    expect(Date.now() - started).toBeLessThan(2000);
    const child = Number(readFileSync(pidFile, 'utf8'));
    pids.push(child);
    await waitFor(() => !alive(child), { what: `background child ${child} to be killed`, timeoutMs: 2000 });
  });

  it('SIGKILLs a command that ignores SIGTERM after the grace period', async () => {
    const started = Date.now();
    const r = await runRoleChangeHook("trap '' TERM; sleep 30; sleep 30", info, 200, () => {}, { graceMs: 200 });
    expect(r).toMatchObject({ ok: false, timedOut: true, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('does not wait for a daemonized child that keeps its output open', async () => {
    const started = Date.now();
    const r = await runRoleChangeHook('sleep 30 & echo $!', info, 5000, () => {});
    pids.push(Number(r.output.trim()));
    expect(r).toMatchObject({ ok: true, code: 0 });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('never throws: a bad cwd or a throwing logger still resolve', async () => {
    const r = await runRoleChangeHook('true', info, 5000, () => {}, { cwd: '/nonexistent/dir' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ENOENT/);
    expect(r.summary).toMatch(/could not be started/);
    const t = await runRoleChangeHook('true', info, 5000, () => {
      throw new Error('logger down');
    });
    expect(t.ok).toBe(true);
  });
});
