/**
 * Descriptor budget. Every connection is a file descriptor, and so is the
 * vote file the Elector must write before it votes: a process whose
 * descriptor table is full of idle client connections cannot persist a vote
 * and blocks every election (issue #17 defect 4: with `nofile 256` a PING
 * flood kept the cluster without a primary for 33 s). So the connection
 * limits are sized from the soft `nofile` limit, with descriptors held back
 * for what the control loop needs.
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept out of every connection limit, plus RESERVE_PER_MEMBER per member. */
export const RESERVED_FDS = 64;
/** Per member: the dialed and the accepted peer connection, and headroom. */
export const RESERVE_PER_MEMBER = 4;
export const MAX_CLIENTS_CEILING = 10_000;

/** The soft `Max open files` of this process (from /proc/self/limits), or undefined where that cannot be read. */
export function readSoftNofile(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  if (m[1] === 'unlimited') return Number.MAX_SAFE_INTEGER;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface ConnectionLimits {
  /** Client connections (handed off to the client handler). */
  maxClients: number;
  /** Accepted connections still being identified or authenticated. */
  maxPendingConnections: number;
  /** HTTP connections on --http. */
  httpMaxConnections: number;
  /** The listener's hard limit: clients + pending + the peers' inbound connections. */
  listenerMaxConnections: number;
  /** The soft nofile limit the defaults were sized from (undefined: unknown, the ceilings apply). */
  nofile: number | undefined;
  /** Descriptors left for the vote file, redis links, peers, logs. */
  reserved: number;
  /** An explicit maxClients that, with the other limits, can use descriptors the reserve keeps back. */
  overcommitted: boolean;
}

export interface LimitRequest {
  members: number;
  /** Explicit values (flags); undefined: derive from nofile. */
  maxClients?: number;
  maxPendingConnections: number;
  httpMaxConnections: number;
  /** Whether --http is served (else it takes no descriptors). */
  http: boolean;
}

/**
 * The connection limits for a descriptor table of `nofile` entries: what is
 * left after the reserve goes a quarter to pending connections, a quarter to
 * HTTP (each at most its configured value) and the rest to clients (at most
 * MAX_CLIENTS_CEILING). An explicit maxClients is kept as given.
 */
export function deriveConnectionLimits(nofile: number | undefined, req: LimitRequest): ConnectionLimits {
  const reserved = RESERVED_FDS + RESERVE_PER_MEMBER * req.members;
  const available = nofile === undefined ? Number.MAX_SAFE_INTEGER : Math.max(3, nofile - reserved);
  const quarter = Math.max(1, Math.floor(available / 4));
  const maxPendingConnections = Math.min(req.maxPendingConnections, quarter);
  const httpMaxConnections = req.http ? Math.min(req.httpMaxConnections, quarter) : 0;
  const maxClients = req.maxClients ?? Math.max(1, Math.min(MAX_CLIENTS_CEILING, available - maxPendingConnections - httpMaxConnections));
  return {
    maxClients,
    maxPendingConnections,
    httpMaxConnections: req.http ? httpMaxConnections : req.httpMaxConnections,
    listenerMaxConnections: maxClients + maxPendingConnections + 2 * req.members,
    nofile,
    reserved,
    overcommitted: nofile !== undefined && maxClients + maxPendingConnections + httpMaxConnections > available,
  };
}
