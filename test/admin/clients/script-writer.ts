/**
 * A client library in another language, driven from vitest: a small script
 * (redis-rb-writer.rb, phpredis-writer.php beside this file) that finds the
 * primary through the sidecars' Sentinel port with that library and writes
 * unique keys with `SET` + `WAIT 1`, printing one line per attempt. This side
 * parses the lines: which keys were acknowledged, when, and on which redis.
 *
 * The script is a tracked child (lab/proc/children.ts), so a failed test
 * leaves no process behind; stop() closes its stdin, which ends its loop
 * after the write in flight, and kills it if it does not end in time.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from '../../../lab/proc/children.js';
import { waitFor } from '../../../lab/util/wait.js';

export const CLIENT_SCRIPTS = dirname(fileURLToPath(import.meta.url));

/** One acknowledged write: WAIT reported at least one replica. */
export interface Ack {
  key: string;
  /** The redis port the client wrote to. */
  port: number;
  /** Wall clock (ms) when the acknowledgement arrived, by the script's clock (same machine). */
  t: number;
}

export class ScriptWriter {
  readonly acks: Ack[] = [];
  unacked = 0;
  errors = 0;
  lastError = '';
  /** Failed attempts by the error's class as the script names it (`Redis::CannotConnectError`, `RedisException`). */
  readonly errorsByClass = new Map<string, number>();
  /** Lines the parser did not understand (a script bug or a library warning on stdout). */
  readonly strayLines: string[] = [];
  private readonly child: Child;
  private stdoutRest = '';
  private stderr = '';

  constructor(
    /** For messages: `redis-rb`, `phpredis`. */
    readonly name: string,
    command: string,
    args: readonly string[],
  ) {
    this.child = spawnChild(`${name} writer`, command, args, { stdio: ['pipe', 'pipe', 'pipe'], group: false });
    this.child.process.stdout!.setEncoding('utf8').on('data', (text: string) => this.parse(text));
    this.child.process.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-4000)));
  }

  /** Keys acknowledged so far, in order (for Cluster.verifyNoAckedLoss and missingKeys). */
  get acked(): string[] {
    return this.acks.map((a) => a.key);
  }

  private parse(text: string): void {
    const lines = (this.stdoutRest + text).split('\n');
    this.stdoutRest = lines.pop()!;
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'ack' && a && b && c) this.acks.push({ key: a, port: Number(b), t: Number(c) });
      else if (kind === 'unacked') this.unacked += 1;
      else if (kind === 'error') {
        this.errors += 1;
        this.lastError = line.slice(line.indexOf(' ', 6) + 1);
        const cls = this.lastError.slice(0, this.lastError.indexOf(': '));
        this.errorsByClass.set(cls, (this.errorsByClass.get(cls) ?? 0) + 1);
      } else if (line.trim() !== '') this.strayLines.push(line);
    }
  }

  /** One line for failure messages. */
  describe(): string {
    const exit = this.child.exit ? `, exited ${this.child.exit.signal ?? `code ${this.child.exit.code}`}` : '';
    return `${this.name}: ${this.acks.length} acknowledged, ${this.unacked} unacknowledged, ${this.errors} errors${exit}${this.lastError ? `, last error: ${this.lastError}` : ''}${this.stderr ? `, stderr: ${this.stderr.slice(-500)}` : ''}`;
  }

  /** The errors by class, for a report: `Redis::CannotConnectError 3, Redis::CommandError 1`. */
  errorSummary(): string {
    return [...this.errorsByClass].map(([cls, n]) => `${cls} ${n}`).join(', ') || 'none';
  }

  /** Wait for `count` acknowledgements on redis `port` that arrived after `since` (ms): the client writes there now. */
  async acksOn(port: number, since: number, count: number, what: string, timeoutMs = 20_000): Promise<Ack[]> {
    return waitFor(
      () => {
        if (!this.child.running) throw new Error(`${this.describe()}`);
        const after = this.acks.filter((a) => a.t > since && a.port === port);
        return after.length >= count ? after : undefined;
      },
      { what: `${what}: ${count} acknowledged writes on port ${port} (${this.describe()})`, timeoutMs, intervalMs: 10 },
    );
  }

  /**
   * The write gap of a failover that began at `t` and moved the primary to
   * redis `port`: from the acknowledgement before the first one on `port`
   * after `t`, to that one (ms); undefined when there is none on `port` yet.
   */
  gapTo(port: number, t: number): number | undefined {
    const i = this.acks.findIndex((a) => a.t > t && a.port === port);
    return i > 0 ? this.acks[i]!.t - this.acks[i - 1]!.t : undefined;
  }

  /** End the loop (stdin closes), wait for the script to exit; kill it after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.child.running) return;
    this.child.process.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([this.child.closed.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!ended) await this.child.kill('SIGKILL');
  }

  /** Exit code of the script once stopped (0: it ended its loop cleanly). */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.child.exit;
  }
}

/** The cluster's sidecar Sentinel ports as the scripts take them: host:port,host:port,... */
export function sentinelList(ports: readonly number[]): string {
  return ports.map((p) => `127.0.0.1:${p}`).join(',');
}

export const RUBY_WRITER = join(CLIENT_SCRIPTS, 'redis-rb-writer.rb');
export const PHP_WRITER = join(CLIENT_SCRIPTS, 'phpredis-writer.php');
