/**
 * Child processes of the bench and chaos scripts (sidecars, sentinels;
 * redis-servers come from lab/proc/redis-process.ts, which keeps its own
 * registry). Every child runs in its own process group and is SIGKILLed on
 * every exit path: normal end, an uncaught error, Ctrl-C, SIGTERM, SIGHUP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { cleanupAll as cleanupAllRedis } from '../proc/redis-process.js';

import { sleep } from '../util/wait.js';

export class Child {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  private done = false;

  constructor(readonly name: string, command: string, args: string[], logPath: string, cwd?: string) {
    const fd = openSync(logPath, 'a');
    try {
      this.child = spawn(command, args, { stdio: ['ignore', fd, fd], detached: true, cwd });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`could not start ${name}: ${command}`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.done = true;
        resolve();
      });
      this.child.once('error', () => {
        this.done = true;
        resolve();
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  get running(): boolean {
    return !this.done;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // gone
    }
  }

  /** SIGKILL (after SIGCONT) and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await Promise.race([this.exited, sleep(10_000)]);
  }

  killSync(): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.signal('SIGKILL');
    }
  }
}

const live = new Set<Child>();
let hooked = false;
const extraCleanups = new Set<() => void>();

/** A synchronous cleanup (e.g. deleting network namespaces) run on exit too. */
export function onExitSync(fn: () => void): () => void {
  extraCleanups.add(fn);
  return () => extraCleanups.delete(fn);
}

function killAllSync(): void {
  for (const c of live) c.killSync();
  for (const fn of extraCleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}

/** Install the exit hooks (idempotent). */
export function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAllSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    killAllSync();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error(err);
    killAllSync();
    process.exit(1);
  });
}

/** Kill every tracked child and every redis-server started through test/support. */
export async function killEverything(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill()));
  await cleanupAllRedis();
  killAllSync();
}
