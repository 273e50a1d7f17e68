/**
 * `resp-elect status`: asks one sidecar (`INFO sentinel` and `INFO election`
 * on its client port) and prints the cluster as it sees it, as a table or,
 * with --json, as one JSON object.
 */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { parseElectionInfo, type ElectionInfo } from '../admin/election-info.js';
import { RespClient } from '../admin/resp-client.js';
import { parseAddress, type HostPort } from '../protocol/index.js';

export const DEFAULT_SIDECAR = '127.0.0.1:26379';

/** Options every client subcommand shares. */
export interface SidecarClientOptions {
  /** host:port of the sidecar's client port. */
  sidecar?: string;
  /** File holding the sidecar's client password (--client-password-file of `run`). */
  passwordFile?: string;
  /** Connect and per-command deadline. Default 5000 ms. */
  timeoutMs?: number;
}

export function addSidecarClientOptions<T>(y: Argv<T>) {
  return y
    .option('sidecar', { type: 'string', default: DEFAULT_SIDECAR, describe: 'Client port of the sidecar to ask (host:port)', requiresArg: true })
    .option('password-file', { type: 'string', describe: "File holding the sidecar's client password", requiresArg: true })
    .option('timeout', { type: 'number', default: 5000, describe: 'Connect and command timeout in milliseconds', requiresArg: true });
}

export function sidecarAddress(text: string | undefined): HostPort {
  const value = text ?? DEFAULT_SIDECAR;
  try {
    return parseAddress(value);
  } catch (err) {
    throw new Error(`--sidecar: ${(err as Error).message.replace(/^address: /, '')} (expected host:port, IPv6 as [::1]:port)`);
  }
}

export function readPasswordFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new Error(`--password-file: cannot read ${path}: ${(err as Error).message}`);
  }
  // `echo pw > file` leaves a newline the sidecar's own file reading strips too.
  return data.subarray(0, data.length - (data.at(-1) === 0x0a ? (data.at(-2) === 0x0d ? 2 : 1) : 0)).toString('utf8');
}

export async function connectToSidecar(opts: SidecarClientOptions): Promise<{ client: RespClient; addr: HostPort }> {
  const addr = sidecarAddress(opts.sidecar);
  const password = readPasswordFile(opts.passwordFile);
  const client = await RespClient.connect(addr, { timeoutMs: opts.timeoutMs ?? 5000, ...(password !== undefined ? { password } : {}) });
  return { client, addr };
}

/** The master name from `INFO sentinel` (`master0:name=...,`). */
export function masterNameFromInfo(text: string): string | undefined {
  return /^master0:name=([^,\r\n]*),/m.exec(text)?.[1];
}

export interface StatusReport {
  masterName: string | null;
  sidecar: string;
  node: Omit<ElectionInfo, 'members'>;
  primary: { id: string; addr: string; epoch: number } | null;
  members: Array<{
    id: string;
    self: boolean;
    role: string;
    state: 'up' | 'down';
    epoch: number;
    redis: string | null;
    sidecar: string;
    offset: number | null;
    /** Bytes behind the primary's reported offset; null for witnesses or without a primary. */
    lag: number | null;
    lastSeenMs: number | null;
    witness: boolean;
    priority: number;
    /** Only known for the sidecar answering: held / none; null otherwise. */
    lease: { held: boolean; remainingMs: number } | null;
  }>;
}

export function buildReport(info: ElectionInfo, masterName: string | undefined, sidecar: string): StatusReport {
  const { members, ...node } = info;
  const primaryMember = members.find((m) => m.id === info.primary);
  const primaryOffset = primaryMember?.offset;
  return {
    masterName: masterName ?? null,
    sidecar,
    node,
    primary: info.primary ? { id: info.primary, addr: info.primaryAddr, epoch: info.primaryEpoch } : null,
    members: members.map((m) => ({
      id: m.id,
      self: m.self,
      role: m.witness ? 'witness' : m.kind === 'learner' ? `${m.role} (learner)` : m.role,
      state: m.state,
      epoch: m.epoch,
      redis: m.redis || null,
      sidecar: m.sidecar,
      offset: m.witness ? null : m.offset,
      lag: m.witness || primaryOffset === undefined ? null : Math.max(0, primaryOffset - m.offset),
      lastSeenMs: m.lastSeenMs,
      witness: m.witness,
      priority: m.priority,
      lease: m.self && !m.witness ? { held: info.lease, remainingMs: info.leaseRemainingMs } : null,
    })),
  };
}

function ago(ms: number | null): string {
  if (ms === null) return 'never';
  return ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function formatReport(report: StatusReport): string {
  const n = report.node;
  const lines: string[] = [];
  const name = report.masterName ?? '?';
  lines.push(
    report.primary
      ? `${name}: primary ${report.primary.id} at ${report.primary.addr} (epoch ${report.primary.epoch})`
      : `${name}: no primary known (epoch ${n.epoch})`,
  );
  const learners = n.learners > 0 ? `, ${n.learners} learner${n.learners === 1 ? '' : 's'} (not voting)` : '';
  lines.push(`asked ${n.id} at ${report.sidecar}: ${n.reachableVoters}/${n.voters} voters reachable, ${n.quorum} needed for a majority${learners}; configuration version ${n.configVersion}`);
  if (n.handoff) lines.push(`hand-off under way to ${n.handoff}`);
  if (n.fenced) lines.push(`${n.id}'s redis is fenced (writes paused)`);
  if (n.redisHealthy === false) lines.push(`${n.id}'s redis is unhealthy: ${n.redisUnhealthyReason || 'unknown reason'}`);
  lines.push('');
  const rows = [['ID', 'ROLE', 'EPOCH', 'REDIS', 'OFFSET', 'LAG', 'LAST SEEN', 'LEASE']];
  for (const m of report.members) {
    rows.push([
      m.self ? `${m.id} *` : m.id,
      m.role,
      String(m.epoch),
      m.redis ?? '-',
      m.offset === null ? '-' : String(m.offset),
      m.lag === null ? '-' : String(m.lag),
      m.self ? 'this sidecar' : m.state === 'down' ? `DOWN (${ago(m.lastSeenMs)})` : ago(m.lastSeenMs),
      m.lease === null ? '-' : m.lease.held ? `held, ${m.lease.remainingMs} ms left` : m.role === 'primary' ? 'NONE' : 'none',
    ]);
  }
  lines.push(formatTable(rows));
  lines.push('', '* the sidecar that answered; lag is in bytes behind the primary as reported in heartbeats');
  return `${lines.join('\n')}\n`;
}

export async function fetchStatus(opts: SidecarClientOptions): Promise<StatusReport> {
  const { client, addr } = await connectToSidecar(opts);
  try {
    const sentinel = String(await client.command(['INFO', 'sentinel']));
    const election = String(await client.command(['INFO', 'election']));
    const info = parseElectionInfo(election);
    return buildReport(info, masterNameFromInfo(sentinel), `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`);
  } finally {
    client.close();
  }
}

export interface StatusOptions extends SidecarClientOptions {
  json?: boolean;
}

export async function runStatus(opts: StatusOptions, write: (text: string) => void = (t) => void process.stdout.write(t)): Promise<StatusReport> {
  const report = await fetchStatus(opts);
  write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report;
}

export const statusCommand: CommandModule = {
  command: 'status',
  describe: 'Show the replica set as one sidecar sees it',
  builder: (y) =>
    addSidecarClientOptions(y)
      .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON' })
      .example('$0 status --sidecar 10.0.0.1:26379', 'ask the sidecar of 10.0.0.1'),
  handler: async (argv) => {
    const a = argv as Record<string, unknown>;
    await runStatus({
      sidecar: a['sidecar'] as string | undefined,
      passwordFile: a['password-file'] as string | undefined,
      timeoutMs: a['timeout'] as number | undefined,
      json: a['json'] === true,
    });
  },
};
