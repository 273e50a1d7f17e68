/**
 * Every process the lab starts — redis-servers, sidecars, sentinels; in the
 * tests, the demo, the benchmarks and the chaos suite — and everything else
 * that must not outlive the run (temporary directories, whole test clusters),
 * in ONE registry per process, so that nothing is left behind on any exit
 * path: a normal end (cleanupAll()), an error, process exit, Ctrl-C, SIGTERM,
 * SIGHUP.
 *
 * The registry is kept on globalThis: vitest re-evaluates modules for every
 * test file run in the same worker process, and there must be one set and
 * one set of hooks per process, not one per file.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** Something to clean up: at leisure (cleanup), or synchronously in a process 'exit' hook (killSync). */
export interface Resource {
  killSync(): void;
  cleanup(): Promise<void>;
}

interface Registry {
  live: Set<Resource>;
  hooked: boolean;
  /** Replaces the default signal behaviour (see onSignal()). */
  signalHandler: ((signal: NodeJS.Signals) => void) | undefined;
}

const scope = globalThis as typeof globalThis & { __respElectLabRegistry?: Registry };
const registry: Registry = (scope.__respElectLabRegistry ??= { live: new Set(), hooked: false, signalHandler: undefined });

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Kill everything still tracked, synchronously (the last resort of an 'exit' hook). */
export function killAllSync(): void {
  for (const r of registry.live) {
    try {
      r.killSync();
    } catch {
      // best effort: the process is exiting
    }
  }
}

function onProcessSignal(signal: NodeJS.Signals): void {
  if (registry.signalHandler) {
    registry.signalHandler(signal);
    return;
  }
  killAllSync();
  // Keep the signal's usual effect (the process ends) unless someone else (vitest) handles it.
  if (process.listenerCount(signal) === 1) {
    process.off(signal, onProcessSignal);
    process.kill(process.pid, signal);
  }
}

function installHooks(): void {
  if (registry.hooked) return;
  registry.hooked = true;
  process.on('exit', killAllSync);
  for (const s of SIGNALS) process.on(s, onProcessSignal);
}

/** Track `r` until untrack(r): killed on exit and by cleanupAll(). */
export function track(r: Resource): void {
  installHooks();
  registry.live.add(r);
}

export function untrack(r: Resource): void {
  registry.live.delete(r);
}

/** Clean up everything tracked (every process this process started and has not stopped): for afterAll, or the end of a script. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...registry.live].map((r) => r.cleanup().catch(() => undefined)));
}

/**
 * Run `handler` on SIGINT, SIGTERM or SIGHUP instead of killing everything at
 * once (the demo stops its cluster in order and says so). A second signal
 * kills everything and exits at once. Returns a function that restores the
 * default.
 */
export function onSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  installHooks();
  let signalled = false;
  const wrapped = (signal: NodeJS.Signals) => {
    if (signalled) {
      killAllSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = true;
    handler(signal);
  };
  registry.signalHandler = wrapped;
  return () => {
    if (registry.signalHandler === wrapped) registry.signalHandler = undefined;
  };
}

/** For scripts: an uncaught exception or unhandled rejection is printed, kills everything and exits 1. */
export function exitOnUncaughtErrors(): void {
  installHooks();
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      console.error(err);
      killAllSync();
      process.exit(1);
    });
  }
}

// ---------------------------------------------------------------------------
// Child processes

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** Default: all ignored, or stdout and stderr appended to `logPath`. */
  stdio?: StdioOptions;
  /** Append stdout and stderr to this file. */
  logPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Run in a process group of its own (default true): a Ctrl-C in the
   * terminal reaches only this process, which stops its children in order,
   * and a child can be left running (release()).
   */
  group?: boolean;
}

const ENDING_SIGNALS = new Set<NodeJS.Signals>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGABRT']);

/** A tracked child process. */
export class Child implements Resource {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited (at once if it already has). */
  readonly exited: Promise<ChildExit>;
  /** Resolves once it has exited and its stdout and stderr are drained too ('close'). */
  readonly closed: Promise<ChildExit>;
  private lastExit: ChildExit | undefined;
  private readonly group: boolean;

  constructor(
    /** What it is, for messages: `redis n1`, `sidecar n2`. */
    readonly name: string,
    command: string,
    args: readonly string[],
    options: ChildOptions = {},
  ) {
    this.group = options.group ?? true;
    const fd = options.logPath === undefined ? undefined : openSync(options.logPath, 'a');
    try {
      const stdio: StdioOptions = options.stdio ?? (fd === undefined ? 'ignore' : ['ignore', fd, fd]);
      this.process = spawn(command, args, { stdio, cwd: options.cwd, env: options.env, detached: this.group });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const child = this.process;
    if (child.pid === undefined) {
      // spawn reports ENOENT asynchronously; say it plainly here.
      child.on('error', () => {});
      throw new Error(`could not start ${name}: ${command} not found or not executable`);
    }
    this.pid = child.pid;
    let failed: ChildExit | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.lastExit = { code, signal })));
      child.once('error', () => resolve((this.lastExit = failed = { code: -1, signal: null })));
    });
    this.closed = new Promise((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
      void this.exited.then(() => failed && resolve(failed));
    });
    track(this);
    void this.exited.then(() => untrack(this));
  }

  get running(): boolean {
    return this.lastExit === undefined;
  }

  /** How it ended (undefined while it runs). */
  get exit(): ChildExit | undefined {
    return this.lastExit;
  }

  /** Send a signal to the child (and its process group, should it have one). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    for (const target of this.group ? [-this.pid, this.pid] : [this.pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Send `signal` (default SIGKILL; a stopped process gets a SIGCONT too, so
   * it can act on a SIGTERM). For signals that end a process, waits for the
   * exit, at most `timeoutMs`; returns whether it has exited.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<boolean> {
    if (!this.running) return true;
    this.signal(signal);
    if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') this.signal('SIGCONT');
    if (!ENDING_SIGNALS.has(signal)) return false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const done = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return done;
  }

  killSync(): void {
    this.signal('SIGKILL');
  }

  async cleanup(): Promise<void> {
    await this.kill('SIGKILL');
  }

  /**
   * Leave it running when this process exits (the demo's --keep): no longer
   * tracked, and neither the child nor its stdio pipes keep this process's
   * event loop alive (an open stderr pipe alone kept the demo from exiting).
   */
  release(): void {
    this.process.unref();
    for (const pipe of [this.process.stdin, this.process.stdout, this.process.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
    untrack(this);
  }
}

/** Spawn a tracked child. Throws when it cannot be started. */
export function spawnChild(name: string, command: string, args: readonly string[], options: ChildOptions = {}): Child {
  return new Child(name, command, args, options);
}

/**
 * A script's main: everything it starts is cleaned up on every path. Uncaught
 * errors kill everything and exit 1 (exitOnUncaughtErrors); when `main`
 * settles, cleanupAll() and exit 0, or 1 after printing its error.
 */
export function runScript(main: () => Promise<unknown>): void {
  exitOnUncaughtErrors();
  void main()
    .then(
      () => 0,
      (err: unknown) => {
        console.error(err);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanupAll();
      process.exit(code);
    });
}

/** Whether a process with this pid exists (ours or another user's; a zombie counts), for checks that nothing was left running. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
