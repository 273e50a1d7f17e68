/**
 * lab/proc/children.ts, the one registry of everything the lab starts: what
 * it tracks dies on cleanupAll(), on process exit and on SIGTERM; a released
 * child survives; a frozen child still ends on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, pidAlive, spawnChild, track, untrack, type Resource } from '../../lab/proc/children.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupAll);

const CHILDREN_JS = fileURLToPath(new URL('../../dist/lab/proc/children.js', import.meta.url));

/** Run a node script that imports the built registry; it prints the pid of the child it started, then `ready`. */
function script(body: string): Promise<{ pid: number; proc: ReturnType<typeof spawn>; ended: Promise<NodeJS.Signals | null> }> {
  if (!existsSync(CHILDREN_JS)) throw new Error(`${CHILDREN_JS} is missing: npm run build first`);
  const proc = spawn(process.execPath, ['--input-type=module', '-e', `const { spawnChild } = await import(${JSON.stringify(CHILDREN_JS)});\n${body}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Listened for from the start: the script may end before its `ready` line is read.
  const ended = new Promise<NodeJS.Signals | null>((r) => proc.once('exit', (_code, signal) => r(signal)));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /pid (\d+)\nready\n/.exec(out);
      if (m) resolve({ pid: Number(m[1]), proc, ended });
    });
    void ended.then(() => reject(new Error(`script ended before it was ready: ${out}`)));
  });
}

describe('the process registry', () => {
  it('cleanupAll() kills every tracked child, in a group of its own or not, and cleans every tracked resource', async () => {
    const grouped = spawnChild('sleep grouped', 'sleep', ['30']);
    const plain = spawnChild('sleep plain', 'sleep', ['30'], { group: false });
    let cleaned = 0;
    const resource: Resource = { killSync: () => {}, cleanup: async () => void (cleaned += 1) };
    const forgotten: Resource = { killSync: () => {}, cleanup: async () => void (cleaned += 100) };
    track(resource);
    track(forgotten);
    untrack(forgotten);
    expect(grouped.running && plain.running).toBe(true);
    await cleanupAll();
    expect(grouped.running || plain.running).toBe(false);
    expect(pidAlive(grouped.pid) || pidAlive(plain.pid)).toBe(false);
    expect(cleaned).toBe(1);
  });

  it('a released child outlives cleanupAll()', async () => {
    const kept = spawnChild('sleep kept', 'sleep', ['30']);
    kept.release();
    await cleanupAll();
    expect(pidAlive(kept.pid)).toBe(true);
    process.kill(kept.pid, 'SIGKILL');
    await kept.exited;
  });

  it('a released child, even one with stdio pipes, does not keep this process alive', async () => {
    const { pid, proc, ended } = await script("const c = spawnChild('sleep', 'sleep', ['60'], { stdio: ['ignore', 'ignore', 'pipe'] }); console.log(`pid ${c.pid}\\nready`); c.release();");
    const exited = await Promise.race([ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
    const kept = pidAlive(pid);
    process.kill(pid, 'SIGKILL');
    if (!exited) proc.kill('SIGKILL');
    expect(exited, 'the script exited by itself').toBe(true);
    expect(kept, 'its released child still ran').toBe(true);
  });

  it('kill(SIGTERM) ends a frozen child too (it sends SIGCONT)', async () => {
    // group: false. A child in a process group of its own ended on SIGTERM while stopped even without
    // kill()'s SIGCONT (checked), so only this one shows that the SIGCONT is needed.
    const c = spawnChild('sleep frozen', 'sleep', ['30'], { group: false });
    expect(await c.kill('SIGSTOP')).toBe(false);
    expect(await c.kill('SIGTERM', 5000)).toBe(true);
    expect(c.exit).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('a process that exits takes its tracked children with it', async () => {
    const { pid, ended } = await script("const c = spawnChild('sleep', 'sleep', ['60']); console.log(`pid ${c.pid}\\nready`); setTimeout(() => process.exit(0), 100);");
    await ended;
    await waitFor(() => !pidAlive(pid), { what: `child ${pid} killed by the exit hook`, timeoutMs: 2000 });
  });

  it('SIGTERM kills the tracked children and still ends the process', async () => {
    const { pid, proc, ended } = await script("const c = spawnChild('sleep', 'sleep', ['60']); console.log(`pid ${c.pid}\\nready`); setInterval(() => {}, 1000);");
    proc.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    await waitFor(() => !pidAlive(pid), { what: `child ${pid} killed on SIGTERM`, timeoutMs: 2000 });
  });
});
