/**
 * Runs flood-client.mjs as a child process (so the flood's CPU is not the
 * test's) and keeps track of it, so a failing test still kills it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'flood-client.mjs');
const live = new Set<ChildProcess>();
/** Floods ended by stopFloods() (a test ending early): they resolve empty instead of rejecting unobserved. */
const stopped = new WeakSet<ChildProcess>();

export interface FloodResult {
  mode: string;
  answered: number;
  opened: number;
  closedByServer: number;
  errors: Record<string, number>;
}

/** Starts a flood; resolves with its statistics when it ends (after `seconds`). */
export function flood(mode: 'http' | 'auth' | 'hold', port: number, connections: number, seconds: number, extra: string[] = []): Promise<FloodResult> {
  const child = spawn(process.execPath, [SCRIPT, mode, '127.0.0.1', String(port), String(connections), String(seconds), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as FloodResult);
      } catch {
        if (stopped.has(child)) {
          resolve({ mode, answered: 0, opened: 0, closedByServer: 0, errors: { stopped: 1 } });
          return;
        }
        reject(new Error(`flood-client ${mode} ended (${signal ?? `code ${code}`}) without a result: ${err.slice(-1000)}`));
      }
    });
  });
}

/** Kills every flood still running; for afterEach. */
export function stopFloods(): void {
  for (const c of live) {
    stopped.add(c);
    c.kill('SIGKILL');
  }
  live.clear();
}
