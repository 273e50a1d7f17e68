/**
 * "Never more than one writable primary", checked from outside: every
 * `periodMs`, a probe write (`SET`) is sent to every running redis at once,
 * each on a fresh connection with a short timeout. A replica answers
 * READONLY, a fenced primary holds the write (CLIENT PAUSE WRITE) past the
 * timeout; only a writable master answers OK. Two redis whose OK intervals
 * (from sending to the reply) overlap were writable at the same time, as far
 * as anyone outside can tell: that is counted as a violation, with both.
 */
import { oneCommand } from '../proc/fast-client.js';
import { sleep } from '../util/wait.js';

export interface Target {
  name: string;
  host: string;
  port: number;
}

interface Ok {
  name: string;
  sent: number;
  replied: number;
}

export class WritableSampler {
  rounds = 0;
  /** Most redis that answered OK in one round. */
  maxWritableInRound = 0;
  readonly violations: string[] = [];
  private readonly recent: Ok[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly targets: () => Target[],
    private readonly periodMs = 100,
    private readonly timeoutMs = 250,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const oks = await Promise.all(
        this.targets().map(async (t) => {
          const sent = Date.now();
          try {
            const r = await oneCommand({ host: t.host, port: t.port }, ['SET', '__resp_elect_probe__', String(sent)], this.timeoutMs);
            return r === 'OK' ? { name: t.name, sent, replied: Date.now() } : undefined;
          } catch {
            return undefined;
          }
        }),
      );
      this.rounds += 1;
      const got = oks.filter((o): o is Ok => o !== undefined);
      this.maxWritableInRound = Math.max(this.maxWritableInRound, got.length);
      for (const ok of got) {
        // Against this round's earlier answers and the last rounds' (a held write can answer late).
        for (const other of this.recent) {
          if (other.name !== ok.name && other.sent <= ok.replied && ok.sent <= other.replied) {
            this.violations.push(`${other.name} and ${ok.name} both took a write: ${other.name} ${other.sent}..${other.replied}, ${ok.name} ${ok.sent}..${ok.replied}`);
          }
        }
        this.recent.push(ok);
      }
      const horizon = Date.now() - 10 * this.timeoutMs;
      while (this.recent.length && this.recent[0]!.replied < horizon) this.recent.shift();
      await sleep(Math.max(0, this.periodMs - (Date.now() - started)));
    }
  }
}
