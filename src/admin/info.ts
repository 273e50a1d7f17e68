/**
 * The INFO command of the Sentinel-compatible port: `server`, `clients` and
 * `sentinel` in Sentinel's own field names (clients parse `redis_mode` and
 * `master0:`), plus resp-elect's `election` section.
 */
import type { SidecarView } from '../sidecar/view.js';
import { collectElectionInfo, formatElectionInfo } from './election-info.js';
import { describeTopology, hostPort, masterStatus } from './topology.js';

export const REDIS_VERSION = '7.0.0-resp-elect';

export interface InfoContext {
  view: SidecarView;
  primaryLost: boolean;
  /** The port this connection reached (what Sentinel shows as tcp_port). */
  tcpPort: number;
  runId: string;
  connectedClients: number;
  pubsubClients: number;
  version: string;
}

export const INFO_SECTIONS = ['server', 'clients', 'sentinel', 'election'] as const;
export type InfoSection = (typeof INFO_SECTIONS)[number];

function server(ctx: InfoContext): string[] {
  const uptimeSec = Math.max(0, Math.floor((Date.now() - ctx.view.startedAt) / 1000));
  return [
    '# Server',
    `redis_version:${REDIS_VERSION}`,
    `resp_elect_version:${ctx.version}`,
    'redis_mode:sentinel',
    `os:${process.platform} ${process.arch}`,
    `arch_bits:${process.arch.endsWith('64') ? 64 : 32}`,
    `node_version:${process.versions.node}`,
    `process_id:${process.pid}`,
    `run_id:${ctx.runId}`,
    `tcp_port:${ctx.tcpPort}`,
    `server_time_usec:${Date.now() * 1000}`,
    `uptime_in_seconds:${uptimeSec}`,
    `uptime_in_days:${Math.floor(uptimeSec / 86400)}`,
  ];
}

function clients(ctx: InfoContext): string[] {
  return ['# Clients', `connected_clients:${ctx.connectedClients}`, `pubsub_clients:${ctx.pubsubClients}`];
}

function sentinel(ctx: InfoContext): string[] {
  const topo = describeTopology(ctx.view, ctx.primaryLost);
  const m = topo.master;
  return [
    '# Sentinel',
    'sentinel_masters:1',
    'sentinel_tilt:0',
    'sentinel_tilt_since_seconds:-1',
    'sentinel_running_scripts:0',
    'sentinel_scripts_queue_length:0',
    'sentinel_simulate_failure_flags:0',
    `master0:name=${topo.masterName},status=${masterStatus(m)},address=${m ? hostPort(m.addr) : ''},slaves=${topo.replicas.length},sentinels=${topo.memberCount}`,
  ];
}

/**
 * The INFO text for the requested sections (case-insensitive). No section,
 * `default`, `all` or `everything` give them all; unknown names add nothing,
 * as in redis.
 */
export function renderInfo(ctx: InfoContext, requested: readonly string[]): string {
  const wanted = new Set<InfoSection>();
  const names = requested.map((s) => s.toLowerCase());
  if (names.length === 0 || names.some((n) => n === 'default' || n === 'all' || n === 'everything')) {
    for (const s of INFO_SECTIONS) wanted.add(s);
  } else {
    for (const n of names) if ((INFO_SECTIONS as readonly string[]).includes(n)) wanted.add(n as InfoSection);
  }
  const blocks: string[] = [];
  for (const section of INFO_SECTIONS) {
    if (!wanted.has(section)) continue;
    if (section === 'server') blocks.push(server(ctx).join('\r\n'));
    else if (section === 'clients') blocks.push(clients(ctx).join('\r\n'));
    else if (section === 'sentinel') blocks.push(sentinel(ctx).join('\r\n'));
    else blocks.push(formatElectionInfo(collectElectionInfo(ctx.view)));
  }
  return blocks.length === 0 ? '' : `${blocks.join('\r\n\r\n')}\r\n`;
}
