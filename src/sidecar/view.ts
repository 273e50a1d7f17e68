import type { EventEmitter } from 'node:events';
import type { ElectorEvent } from '../elector/events.js';
import type { ConfigSnapshot, ElectorSnapshot } from '../elector/elector.js';
import type { HostPort } from '../protocol/index.js';
import type { RedisStatus } from '../redis/status.js';
import type { SidecarConfig } from './config.js';

/** What the sidecar tells the outside world besides Elector events. */
export interface SidecarEvents {
  /** Every Elector event, as it happens. */
  elector: [event: ElectorEvent];
  /** The primary clients should use changed (also fired on the first primary). */
  'primary-changed': [change: { from: string | null; to: string; fromAddr?: HostPort; toAddr: HostPort; epoch: number }];
  /** A peer sidecar connection was rejected (bad secret, garbage, oversize frame). */
  'peer-rejected': [info: { remote: string; reason: string }];
  /** The local redis poll result changed health. */
  'redis-health': [status: RedisStatus];
}

/**
 * The read side of a running sidecar, plus the one operator action
 * (switchover). The Sentinel-compatible admin server, the metrics and health
 * endpoints and the on-role-change hook are written against this interface
 * only, so they can be tested with a fake and never reach into the wiring.
 */
export interface SidecarView {
  readonly config: SidecarConfig;
  /** Monotonic milliseconds, the clock the Elector runs on. */
  now(): number;
  /** Wall-clock milliseconds when the sidecar started. */
  readonly startedAt: number;
  snapshot(): ElectorSnapshot;
  /** The latest poll of the local redis; undefined for a witness or before the first poll. */
  redisStatus(): RedisStatus | undefined;
  /** Whether the local redis is currently fenced (writes paused) by this sidecar. */
  fenced(): boolean;
  /** Why the vote file cannot be saved (so this node cannot vote or stand), or undefined while saves work. */
  voteFileProblem(): string | undefined;
  /**
   * Whether this sidecar's own connection to the primary's redis answers
   * (RedisLinkWatch; its own redis when this node is the primary): false as
   * soon as it is refused or closed, undefined before the first attempt.
   */
  primaryLinkUp(): boolean | undefined;
  /** The redis address of a member as clients must use it: this node's --announce, the others' configured redis=. */
  redisAddrOf(id: string): HostPort | undefined;
  /** The primary clients should write to: the current one, or the last one known while an election runs. */
  primary(): { id: string; addr: HostPort; epoch: number } | undefined;
  /** Counters since start, for INFO and metrics. */
  counters(): SidecarCounters;
  /**
   * Planned switchover. On the primary: hand off to `target` (default: the
   * best replica) and resolve when the target leads. On a replica: ask the
   * primary to do so. Rejects with an Error whose message says why not.
   */
  switchover(target?: string): Promise<{ from: string; to: string; epoch: number; tookMs: number }>;
  /**
   * One membership change (protocol.md §5.12), asked of any sidecar: on the
   * primary it is made and the promise resolves once it is committed (a
   * majority of its voters hold it), with the new configuration; on a
   * replica it is forwarded to the primary's sidecar (`MEMBER …` on its client
   * port). Removing the primary hands off first, then asks the new primary.
   * An election under way (no primary known, or the primary's sidecar lost
   * before it answered a forward) is waited out within `timeoutMs`. Rejects
   * with an Error saying why: an id taken or unknown, no primary or not
   * committed within `timeoutMs`.
   */
  memberChange(change: MemberChangeRequest, timeoutMs?: number): Promise<ConfigSnapshot>;
  /**
   * Disaster recovery on this node (protocol.md §5.12): a configuration of
   * `keep` (this node included) without any quorum. Throws with the reason.
   */
  forceConfig(keep: string[]): ConfigSnapshot;
  readonly events: EventEmitter<SidecarEvents>;
}

/**
 * `add`: `spec` in the `--member` syntax, `ID=HOST:PORT,redis=HOST:PORT[,witness][,priority=N]`.
 * `remove`: a member id.
 * `again`: an earlier request for this same change went to a primary whose sidecar was lost before
 * it answered, so the change may be made already; a primary holding it then waits for its commit
 * instead of refusing it as "already a member" / "not a member" (`MEMBER … RETRY`).
 */
export type MemberChangeRequest = ({ kind: 'add'; spec: string } | { kind: 'remove'; id: string }) & { again?: boolean };

export interface SidecarCounters {
  electionsStarted: number;
  electionsWon: number;
  electionsLost: number;
  votesGranted: Record<string, number>;
  votesRefused: Record<string, number>;
  /** Seconds from losing a primary to a new one being followed, most recent last. */
  failoverSeconds: number[];
  peerRejections: number;
}
