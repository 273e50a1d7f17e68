/**
 * The `--on-role-change` hook: an operator's shell command run after this
 * node's role changes (update a DNS record, a load balancer, a service
 * registry). It runs through `/bin/sh -c` with
 *
 *   RESP_ELECT_ROLE          primary | replica | candidate
 *   RESP_ELECT_EPOCH         the epoch of the change
 *   RESP_ELECT_PRIMARY_ADDR  host:port of the primary's redis ("" if none known)
 *   RESP_ELECT_NODE_ID / RESP_ELECT_PRIMARY_ID  when given
 *
 * in its own process group, so a timeout kills the whole tree: SIGTERM,
 * then SIGKILL after a grace period. It never throws: the outcome is the
 * resolved HookResult and one log line.
 */
import type { spawn } from 'node:child_process';
import { childProcessModule } from '../util/lazy-builtin.js';
import type { HostPort } from '../protocol/index.js';

export interface RoleChangeInfo {
  role: string;
  epoch: number;
  /** The primary's redis address; null or undefined when none is known. */
  primaryAddr: HostPort | string | null | undefined;
  nodeId?: string;
  primaryId?: string | null;
}

export interface HookResult {
  /** Exited with status 0 within the time limit. */
  ok: boolean;
  /** Exit status, or null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Why it could not be started. */
  error?: string;
  /** The last few KiB of its stdout and stderr, interleaved. */
  output: string;
  /** The one-line summary given to `log`. */
  summary: string;
}

export interface HookOptions {
  /** Between SIGTERM and SIGKILL after a timeout. Default 2000 ms (at most timeoutMs). */
  graceMs?: number;
  /** Base environment. Default process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const OUTPUT_LIMIT = 4096;
/** After exit, how long to wait for the last output before closing the pipes (a daemonized child may hold them). */
const DRAIN_MS = 100;

function formatAddr(addr: RoleChangeInfo['primaryAddr']): string {
  if (!addr) return '';
  if (typeof addr === 'string') return addr;
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

function shorten(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function lastLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? shorten(lines[lines.length - 1]!, 200) : '';
}

export function runRoleChangeHook(
  command: string,
  info: RoleChangeInfo,
  timeoutMs: number,
  log: (line: string) => void,
  opts: HookOptions = {},
): Promise<HookResult> {
  const started = Date.now();
  const what = `on-role-change hook "${shorten(command, 80)}" (role=${info.role} epoch=${info.epoch})`;
  const env: NodeJS.ProcessEnv = {
    ...(opts.env ?? process.env),
    RESP_ELECT_ROLE: info.role,
    RESP_ELECT_EPOCH: String(info.epoch),
    RESP_ELECT_PRIMARY_ADDR: formatAddr(info.primaryAddr),
  };
  if (info.nodeId !== undefined) env['RESP_ELECT_NODE_ID'] = info.nodeId;
  if (info.primaryId !== undefined) env['RESP_ELECT_PRIMARY_ID'] = info.primaryId ?? '';

  return new Promise<HookResult>((resolve) => {
    let output = '';
    let timedOut = false;
    let settled = false;
    let termTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const finish = (partial: Pick<HookResult, 'code' | 'signal'> & { error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(termTimer);
      clearTimeout(drainTimer);
      const durationMs = Date.now() - started;
      const ok = !timedOut && partial.error === undefined && partial.code === 0;
      let summary: string;
      if (partial.error !== undefined) summary = `${what} could not be started: ${partial.error}`;
      else if (timedOut) summary = `${what} timed out after ${timeoutMs} ms and was killed (${partial.signal ?? 'exit'})`;
      else if (partial.code !== null) summary = `${what} exited ${partial.code} in ${durationMs} ms`;
      else summary = `${what} was killed by ${partial.signal} after ${durationMs} ms`;
      const tail = ok ? '' : lastLine(output);
      if (tail) summary += `: ${tail}`;
      const result: HookResult = { ok, code: partial.code, signal: partial.signal, timedOut, durationMs, output, summary };
      if (partial.error !== undefined) result.error = partial.error;
      try {
        log(summary);
      } catch {
        // the caller's logger must not turn a finished hook into a crash
      }
      resolve(result);
    };

    let child: ReturnType<typeof spawn>;
    try {
      child = childProcessModule().spawn('/bin/sh', ['-c', command], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      finish({ code: null, signal: null, error: (err as Error).message });
      return;
    }

    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});

    const killGroup = (signal: NodeJS.Signals) => {
      const pid = child.pid;
      if (pid === undefined) return;
      try {
        process.kill(-pid, signal);
      } catch {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    };

    termTimer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      const grace = Math.max(0, Math.min(opts.graceMs ?? 2000, timeoutMs));
      // Not cancelled by the leader's exit: whatever of the group ignored SIGTERM goes too.
      const killTimer = setTimeout(() => killGroup('SIGKILL'), grace);
      killTimer.unref();
    }, timeoutMs);

    child.once('error', (err) => finish({ code: null, signal: null, error: err.message }));
    child.once('exit', (code, signal) => {
      clearTimeout(termTimer);
      const done = () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ code, signal });
      };
      // Let the last output arrive; 'close' comes once both pipes are drained.
      child.once('close', done);
      drainTimer = setTimeout(done, DRAIN_MS);
    });
  });
}
