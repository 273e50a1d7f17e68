/**
 * The bounded per-peer outbound queue. Election traffic is state, not a log:
 * a newer HB or LEASE supersedes an older one, so when the queue is full the
 * OLDEST frame is dropped, never the newest, and a push never blocks or
 * grows memory past `limit` frames.
 *
 * Frames are stored already encoded so a broadcast encodes once, and so an
 * invalid message fails at send() time in the caller rather than later in a
 * 'drain' handler.
 */
export class SendQueue {
  private items: Buffer[] = [];
  private head = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`queue limit must be a positive integer, got ${limit}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends a frame; returns how many old frames were dropped to make room (0 or 1). */
  push(frame: Buffer): number {
    let dropped = 0;
    if (this.length >= this.limit) {
      this.head++;
      dropped = 1;
    }
    this.items.push(frame);
    this.compact();
    return dropped;
  }

  /** Removes and returns the oldest frame. */
  shift(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const frame = this.items[this.head];
    this.items[this.head] = EMPTY;
    this.head++;
    this.compact();
    return frame;
  }

  /** Drops everything; returns how many frames were dropped. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }

  /** Keeps the backing array proportional to the live length (amortised O(1)). */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
