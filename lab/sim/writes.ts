/**
 * Client writes and WAIT. The redis that is a master, alive and not fenced
 * takes one write per data tick (a globally unique id). A write is
 * acknowledged when `WAIT n` would return n within the timeout: as redis
 * counts, n replicas attached to the writing redis (with a valid credential,
 * ack link up) hold it, whichever they are (learners and members being
 * removed count too), and the writing redis still holds it. The world says
 * what n is for each writing node (protocol.md §5.12 "Which WAIT holds during
 * a change": a majority of the voters, witnesses included, minus the primary,
 * plus the attached replicas that are not voters).
 */
import type { Network } from './network.js';
import type { RedisModel } from './redis.js';

export type AckListener = (id: number, idx: number, master: number, tookMs: number, need: number) => void;

export class Writes {
  private nextId = 1;
  /** Per writing node: pending write ids, their indices, and when they were written (parallel queues). */
  private readonly ids: number[][] = [];
  private readonly idxs: number[][] = [];
  private readonly times: number[][] = [];
  private readonly heads: number[] = [];
  taken = 0;
  acked = 0;

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      this.ids.push([]);
      this.idxs.push([]);
      this.times.push([]);
      this.heads.push(0);
    }
  }

  /** A fresh entry id not written by a client (an epoch marker): ids stay globally unique. */
  allocId(): number {
    return this.nextId++;
  }

  /** One client write on `r` (the caller checked master, alive, unfenced). Returns the id. */
  write(node: number, r: RedisModel, now: number): number {
    const id = this.nextId++;
    this.ids[node]!.push(id);
    this.idxs[node]!.push(r.log.length);
    this.times[node]!.push(now);
    r.log.push(id);
    this.taken += 1;
    return id;
  }

  /** Settle WAITs: acknowledge what `needOf(master)` replicas hold, drop what timed out or vanished. */
  settle(redis: readonly (RedisModel | null)[], net: Network, now: number, timeoutMs: number, needOf: (master: number) => number, onAck: AckListener): void {
    const n = redis.length;
    for (let m = 0; m < n; m++) {
      const ids = this.ids[m]!;
      let head = this.heads[m]!;
      if (head >= ids.length) continue;
      const need = needOf(m);
      const idxs = this.idxs[m]!;
      const times = this.times[m]!;
      const rm = redis[m]!;
      while (head < ids.length) {
        const id = ids[head]!;
        const idx = idxs[head]!;
        if (!rm.alive || rm.log[idx] !== id || now - times[head]! > timeoutMs) {
          head += 1; // the client gets an error or too small a count: not acknowledged
          continue;
        }
        let count = 0;
        for (let j = 0; j < n && count < need; j++) {
          const r = redis[j];
          if (r === null || r === undefined || j === m || !r.alive || r.masterIdx !== m || r.attachRunId !== rm.runId) continue;
          if (r.log[idx] === id && net.isUp(j, m)) count += 1;
        }
        if (count < need) break; // later writes are held by no more replicas than this one
        onAck(id, idx, m, now - times[head]!, need);
        this.acked += 1;
        head += 1;
      }
      if (head >= ids.length) {
        ids.length = 0;
        idxs.length = 0;
        times.length = 0;
        head = 0;
      } else if (head > 1024) {
        ids.splice(0, head);
        idxs.splice(0, head);
        times.splice(0, head);
        head = 0;
      }
      this.heads[m] = head;
    }
  }
}
