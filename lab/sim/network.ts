/**
 * The simulated network between members: per-link delay with a tail, loss,
 * duplication and reordering (independent delays), and partitions as counted
 * cuts on directed links so that overlapping faults heal correctly. Election
 * messages and redis replication use the same links.
 */
import type { Rng } from './rng.js';

/** A directed link, as [from, to] node indices. */
export type Link = readonly [number, number];

export class Network {
  readonly n: number;
  /** Active cuts per directed link (from * n + to). */
  private readonly cuts: Uint16Array;
  /** Per-link base one-way delay, ms. */
  private readonly base: Float64Array;
  /** Extra loss, duplication and tail while a "lossy" fault is active (the worst active one wins). */
  private lossy: { loss: number; dup: number; tailP: number; tailMs: number }[] = [];
  loss = 0;
  dup = 0;
  tailP = 0.01;
  tailMs = 15;

  constructor(n: number, rng: Rng) {
    this.n = n;
    this.cuts = new Uint16Array(n * n);
    this.base = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        // 0.5–3 ms base, some links slower (another rack).
        this.base[i * n + j] = rng.chance(0.2) ? rng.range(2, 5) : rng.range(0.5, 2);
      }
    }
  }

  isUp(from: number, to: number): boolean {
    return this.cuts[from * this.n + to] === 0;
  }

  cut(links: readonly Link[], delta: 1 | -1): void {
    for (const [a, b] of links) {
      const k = a * this.n + b;
      const v = this.cuts[k]! + delta;
      if (v < 0) throw new Error(`network: healing link ${a}>${b} that was not cut`);
      this.cuts[k] = v;
    }
  }

  /** Number of directed links currently cut. */
  cutCount(): number {
    let c = 0;
    for (let k = 0; k < this.cuts.length; k++) if (this.cuts[k]! > 0) c++;
    return c;
  }

  addLossy(q: { loss: number; dup: number; tailP: number; tailMs: number }): void {
    this.lossy.push(q);
    this.refreshLossy();
  }

  removeLossy(q: { loss: number; dup: number; tailP: number; tailMs: number }): void {
    const i = this.lossy.indexOf(q);
    if (i >= 0) this.lossy.splice(i, 1);
    this.refreshLossy();
  }

  private refreshLossy(): void {
    this.loss = 0;
    this.dup = 0;
    this.tailP = 0.01;
    this.tailMs = 15;
    for (const q of this.lossy) {
      this.loss = Math.max(this.loss, q.loss);
      this.dup = Math.max(this.dup, q.dup);
      this.tailP = Math.max(this.tailP, q.tailP);
      this.tailMs = Math.max(this.tailMs, q.tailMs);
    }
  }

  /** One-way delay of a message sent now on from>to. */
  delay(from: number, to: number, rng: Rng): number {
    let d = this.base[from * this.n + to]! * (0.8 + 0.6 * rng.next());
    if (rng.next() < this.tailP) d += rng.next() * this.tailMs;
    return d;
  }

  /** Whether a message (or a replication round) on a link that is up gets through. */
  delivers(rng: Rng): boolean {
    return this.loss === 0 || rng.next() >= this.loss;
  }
}

// ---------------------------------------------------------------------------
// Partition shapes, as lists of directed links to cut
// ---------------------------------------------------------------------------

/** Both directions between every node of `a` and every node of `b`. */
export function symmetricCut(a: readonly number[], b: readonly number[]): Link[] {
  const out: Link[] = [];
  for (const x of a) for (const y of b) out.push([x, y], [y, x]);
  return out;
}

/** Only from `a` to `b`: b stops hearing a, a still hears b. */
export function oneWayCut(a: readonly number[], b: readonly number[]): Link[] {
  const out: Link[] = [];
  for (const x of a) for (const y of b) out.push([x, y]);
  return out;
}

/** Every link of `node`, both ways. */
export function isolateCut(node: number, n: number): Link[] {
  const others: number[] = [];
  for (let j = 0; j < n; j++) if (j !== node) others.push(j);
  return symmetricCut([node], others);
}

/**
 * Majorities ring: nodes in `order` on a circle; each one keeps its links to
 * the k nearest on either side, k the smallest with 2k + 1 >= majority, and
 * loses the rest. Every node sees a majority (itself included), and for n >= 5
 * no two nodes see the same set.
 */
export function ringCut(order: readonly number[]): Link[] {
  const n = order.length;
  const majority = Math.floor(n / 2) + 1;
  const k = Math.ceil((majority - 1) / 2);
  const out: Link[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const d = Math.min(Math.abs(i - j), n - Math.abs(i - j));
      if (d > k) out.push([order[i]!, order[j]!]);
    }
  }
  return out;
}
