/**
 * Follows a growing log file (`tail -f`): a sidecar writes its stderr
 * straight to a file, so it never depends on the demo reading a pipe (and
 * keeps running, logging, after `--keep` lets the demo exit). Lines carry
 * their own timestamps, so polling every 20 ms costs no timing precision.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { LineSplitter } from './log-line.js';

export class LogFollower {
  private fd: number | undefined;
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly splitter = new LineSplitter();
  private readonly buf = Buffer.alloc(64 * 1024);

  constructor(
    readonly path: string,
    private readonly onLine: (line: string) => void,
  ) {}

  start(intervalMs = 20): void {
    this.timer ??= setInterval(() => this.poll(), intervalMs);
  }

  /** Read whatever was appended since the last call. */
  poll(): void {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return;
      }
    }
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      for (const line of this.splitter.push(this.buf.subarray(0, n).toString('utf8'))) this.onLine(line);
      if (n < this.buf.length) break;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
    for (const line of this.splitter.flush()) this.onLine(line);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
