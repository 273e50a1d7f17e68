/**
 * The local redis's replication role in the terms of the Elector's adoption
 * rule (src/elector/adoption.ts, protocol.md §5.13): which member's redis a
 * replica follows, by its configured address. Pure, so the sidecar and the
 * simulator describe their redis the same way.
 */
import type { LocalTopology } from '../elector/adoption.js';
import { formatAddress, type HostPort } from '../protocol/index.js';
import { isDetachTarget } from '../redis/detach.js';
import type { Observed } from './observed.js';

/**
 * From one poll; undefined when the poll says nothing about replication.
 * A replica's `master_host:master_port` names a member when it equals that
 * member's configured redis address (host compared without case): the
 * address Sentinel configured must be the one the sidecars are given.
 */
export function localTopology(o: Observed, members: readonly { id: string; redis?: HostPort }[]): LocalTopology | undefined {
  if (!o.reachable || o.role === undefined) return undefined;
  if (o.role === 'master') return { kind: 'master', replicas: o.replicas ?? 0 };
  if (o.masterHost === undefined || o.masterPort === undefined) return undefined;
  if (isDetachTarget(o.masterHost, o.masterPort)) return { kind: 'detached' };
  const host = o.masterHost.toLowerCase();
  const m = members.find((x) => x.redis !== undefined && x.redis.host.toLowerCase() === host && x.redis.port === o.masterPort);
  return { kind: 'replica', master: m?.id ?? null, masterAddr: formatAddress({ host: o.masterHost, port: o.masterPort }), linkUp: o.linkUp === true };
}
