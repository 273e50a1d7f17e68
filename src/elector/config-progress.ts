import { compareConfigIds, configQuorum, votersOf, type ClusterConfig, type ConfigId } from './cluster-config.js';

/** What one peer last said it holds (CONFVER). */
export interface PeerHolding {
  config: ConfigId;
  dataEpoch: number;
  /** Local time of the CONFVER. */
  at: number;
}

/**
 * Which configuration each peer holds, from their CONFVER messages, and what
 * follows from it (protocol.md §5.12): whether a configuration is held by a
 * majority of its own voters (committed, or for a configuration born from
 * flags, agreed), and whether anyone holds a different one under the same
 * id (a conflict: two member lists that were never one configuration).
 */
export class ConfigProgress {
  private readonly holding = new Map<string, PeerHolding>();

  report(peer: string, config: ConfigId, dataEpoch: number, nowMs: number): void {
    this.holding.set(peer, { config, dataEpoch, at: nowMs });
  }

  forget(peer: string): void {
    this.holding.delete(peer);
  }

  of(peer: string): PeerHolding | undefined {
    return this.holding.get(peer);
  }

  /** Voters of `c` (self counted, as it holds `c`) that reported exactly `c`. */
  holders(c: ClusterConfig, self: string, digest: string): string[] {
    const out: string[] = [];
    for (const m of votersOf(c)) {
      if (m.id === self) out.push(m.id);
      else {
        const h = this.holding.get(m.id);
        if (h && compareConfigIds(h.config, c) === 0 && h.config.digest === digest) out.push(m.id);
      }
    }
    return out;
  }

  /** Held by a majority of its own voters: a primary may build on it. */
  heldByMajority(c: ClusterConfig, self: string, digest: string): boolean {
    return this.holders(c, self, digest).length >= configQuorum(c);
  }

  /** A peer holding a configuration with the same (version, epoch) and other members, if any. */
  conflict(c: ClusterConfig, digest: string): { peer: string; digest: string } | undefined {
    for (const [peer, h] of this.holding) {
      if (compareConfigIds(h.config, c) === 0 && h.config.digest !== digest) return { peer, digest: h.config.digest };
    }
    return undefined;
  }

  /** Peers whose configuration is older than `c` (they should be sent it). */
  behind(c: ClusterConfig): string[] {
    const out: string[] = [];
    for (const [peer, h] of this.holding) if (compareConfigIds(h.config, c) < 0) out.push(peer);
    return out;
  }
}
