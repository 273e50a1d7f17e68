/**
 * Where the demo writes. On a terminal: lines scroll as usual and the node
 * table stays at the bottom, redrawn in place. Anywhere else (CI, a pipe, a
 * file): plain lines only, with the table printed at the moments the demo
 * chooses.
 */
export interface Screen {
  /** A line of narrative. */
  line(text: string): void;
  /** The current table: redrawn in place on a terminal, ignored otherwise. */
  live(lines: string[]): void;
  /** The table at a moment worth recording: printed when not on a terminal (on a terminal it is live anyway). */
  snapshot(lines: string[]): void;
  /** Stop redrawing; leave the last table on screen. */
  close(): void;
}

export class PlainScreen implements Screen {
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}
  line(text: string): void {
    this.write(`${text}\n`);
  }
  live(): void {}
  snapshot(lines: string[]): void {
    for (const l of lines) this.write(`${l}\n`);
  }
  close(): void {}
}

export class TtyScreen implements Screen {
  private table: string[] = [];
  private drawn = 0;
  private closed = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  private erase(): string {
    // Up to the first line of the table, then clear to the end of the screen.
    return this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
  }

  private draw(): string {
    const cols = this.out.columns || 120;
    const lines = this.table.map((l) => (l.length > cols - 1 ? l.slice(0, cols - 1) : l));
    this.drawn = lines.length;
    return lines.map((l) => `${l}\n`).join('');
  }

  line(text: string): void {
    if (this.closed) {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`${this.erase()}${text}\n${this.draw()}`);
  }

  live(lines: string[]): void {
    if (this.closed) return;
    this.table = lines;
    this.out.write(`${this.erase()}${this.draw()}`);
  }

  snapshot(): void {}

  close(): void {
    this.closed = true;
  }
}
