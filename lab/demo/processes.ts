/**
 * Every process the demo starts, in one registry, so that nothing outlives
 * the demo on any exit path: normal end, an error, Ctrl-C, SIGTERM. Children
 * run in their own process group (a Ctrl-C in the terminal reaches the demo
 * only, which then stops them in order) and are killed by group.
 *
 * `--keep` calls release(): the children stay up, unreferenced, and the
 * registry forgets them.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Tracked {
  /** What it is, for messages: `redis n1`, `sidecar n2`. */
  name: string;
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited (at once if it already has). */
  exited: Promise<void>;
  /** Whether it is still running (a stopped process counts as running). */
  readonly running: boolean;
}

export class ProcessRegistry {
  private readonly live = new Set<Tracked>();
  /** Every pid ever started, for the final "nothing left running" line. */
  readonly started: { name: string; pid: number }[] = [];

  /** Spawn a tracked child in its own process group. Throws when it cannot be started. */
  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): Tracked {
    const child = spawn(command, args, { ...options, detached: true });
    if (child.pid === undefined) {
      // spawn reports ENOENT asynchronously; say it plainly here.
      child.on('error', () => {});
      throw new Error(`could not start ${name}: ${command} not found or not executable`);
    }
    let done = false;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        done = true;
        resolve();
      });
      child.once('error', () => {
        done = true;
        resolve();
      });
    });
    const tracked: Tracked = {
      name,
      child,
      pid: child.pid,
      exited,
      get running() {
        return !done;
      },
    };
    this.live.add(tracked);
    this.started.push({ name, pid: child.pid });
    void exited.then(() => this.live.delete(tracked));
    return tracked;
  }

  /** Send a signal to the child's process group (and the child itself, should it have left the group). */
  signal(t: Tracked, signal: NodeJS.Signals): void {
    if (!t.running) return;
    for (const target of [-t.pid, t.pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
    }
  }

  /** SIGKILL and wait for the exit. */
  async kill(t: Tracked): Promise<void> {
    this.signal(t, 'SIGKILL');
    await t.exited;
  }

  /** The children still running. */
  running(): Tracked[] {
    return [...this.live].filter((t) => t.running);
  }

  /** SIGKILL everything still running and wait for every exit (bounded). */
  async killAll(timeoutMs = 5000): Promise<void> {
    const all = this.running();
    for (const t of all) this.signal(t, 'SIGKILL');
    await Promise.race([Promise.all(all.map((t) => t.exited)), new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  /** Synchronous last resort, for process 'exit' hooks. */
  killAllSync(): void {
    for (const t of this.running()) this.signal(t, 'SIGKILL');
  }

  /** Leave every child running (`--keep`): stop tracking them and let this process exit without them. */
  release(): Tracked[] {
    const kept = this.running();
    for (const t of kept) {
      t.child.unref();
      this.live.delete(t);
    }
    return kept;
  }
}

/**
 * Make sure the registry's children die with this process: on 'exit' (any
 * normal or error exit) they are SIGKILLed; on SIGINT, SIGTERM or SIGHUP
 * `onSignal` runs (it should clean up and exit), and a second signal exits
 * at once after killing them. Returns a function that removes the hooks.
 */
export function installExitHooks(registry: ProcessRegistry, onSignal: (signal: NodeJS.Signals) => void): () => void {
  const onExit = () => registry.killAllSync();
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      registry.killAllSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = true;
    onSignal(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.on('exit', onExit);
  for (const s of signals) process.on(s, handler);
  return () => {
    process.off('exit', onExit);
    for (const s of signals) process.off(s, handler);
  };
}
