/**
 * The simulator's event queue: a binary min-heap ordered by (time, sequence).
 * The sequence number makes the order total, so two events at the same
 * instant always run in the order they were scheduled: the run is
 * deterministic without relying on a stable sort.
 */

export interface Timed {
  t: number;
  seq: number;
}

export class EventHeap<T extends Timed> {
  private items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Stamps `ev.seq` and inserts it. */
  push(ev: T): void {
    ev.seq = this.nextSeq++;
    const items = this.items;
    let i = items.length;
    items.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (parent.t < ev.t || (parent.t === ev.t && parent.seq < ev.seq)) break;
      items[i] = parent;
      i = p;
    }
    items[i] = ev;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let child = items[l]!;
        if (r < n) {
          const rc = items[r]!;
          if (rc.t < child.t || (rc.t === child.t && rc.seq < child.seq)) {
            c = r;
            child = rc;
          }
        }
        if (last.t < child.t || (last.t === child.t && last.seq < child.seq)) break;
        items[i] = child;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
