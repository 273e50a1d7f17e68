import type { ElectorConfig } from '../elector/config.js';
import type { HostPort } from '../protocol/index.js';

/** One member as every node is configured with it. */
export interface MemberConfig {
  id: string;
  /** Where this member's sidecar listens for peers. */
  sidecar: HostPort;
  /** Where this member's redis-server listens; absent for witnesses. */
  redis?: HostPort;
  witness: boolean;
  priority: number;
  /** Follows the primary, never votes or stands, while it joins (protocol.md §5.12). */
  learner?: boolean;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'human' | 'json';
export type ClientKillType = 'normal' | 'pubsub';

/** The fully validated configuration of one sidecar process. */
export interface SidecarConfig {
  id: string;
  listen: HostPort;
  /**
   * The members: at start-up the `--member` flags (empty with --join); while
   * running, the sidecar keeps this list equal to the configuration in use
   * (protocol.md §5.12), so everything that reads it sees the current members.
   */
  members: MemberConfig[];
  /** `--join`: sidecars to fetch the configuration from at first start. */
  join?: HostPort[];
  /** This node's redis as peers and clients must reach it (ANNOUNCE, Sentinel replies). Absent for witnesses. */
  announce?: HostPort;
  dataDir: string;
  bootstrapPrimary?: string;
  masterName: string;
  /** The local redis to manage; absent for witnesses. */
  redis?: { addr: HostPort; username?: string; password?: string };
  pollIntervalMs: number;
  killClients: ClientKillType[];
  minReplicas: number;
  secret: Buffer;
  tls?: { cert: Buffer; key: Buffer; ca: Buffer };
  clientPassword?: string;
  http?: HostPort;
  onRoleChange?: string;
  hookTimeoutMs: number;
  /** Client-port, listener and HTTP limits; unset ones take their defaults (README "Security and limits"). */
  limits?: SidecarLimits;
  timings: Partial<ElectorConfig>;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** The limits that keep client and HTTP load from starving the control loop. */
export interface SidecarLimits {
  /** Client connections at once; unset: derived from the nofile limit (at most 10,000). */
  maxClients?: number;
  /** Accepted connections being identified or authenticated at once; the oldest is closed beyond. */
  maxPendingConnections?: number;
  /** With a client password, a client not authenticated this long after connecting is closed (0: never). */
  clientAuthTimeoutMs?: number;
  /** A client idle this long is closed, unless it subscribes (0: never; redis' `timeout`). */
  clientIdleTimeoutMs?: number;
  /** A client runs nothing for this long after each failed authentication. */
  authFailureDelayMs?: number;
  /** A client is disconnected at this many failed authentications (0: never). */
  maxAuthFailures?: number;
  /** HTTP connections at once on --http. */
  httpMaxConnections?: number;
  /** /metrics is rendered at most this often (0: every request). */
  metricsCacheMs?: number;
}

/** A bad option: names the option and where its value came from. Fatal at start-up. */
export class OptionError extends Error {
  override readonly name = 'OptionError';
  constructor(
    readonly option: string,
    message: string,
    readonly source?: string,
  ) {
    super(`--${option}${source && source !== 'flag' ? ` (from ${source})` : ''}: ${message}`);
  }
}
