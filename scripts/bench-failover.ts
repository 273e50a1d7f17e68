/**
 * resp-elect vs Redis Sentinel: failover times on this machine.
 *
 *   npm run bench:failover -- [--rounds 10] [--down-after 200,1000,5000]
 *       [--scenarios host,redis,switchover] [--out bench/results.md] [--smoke]
 *       [--json file] [--keep-logs]
 *
 * For every detection timeout, a 3-node resp-elect cluster and a 3-node
 * Sentinel deployment run side by side; rounds alternate resp-elect,
 * Sentinel, resp-elect, ... per scenario. See lab/bench/failover.ts for what
 * is measured.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDeployment, MASTER_NAME, REPO_ROOT, type Deployment, type SystemKind } from '../lab/bench/deploy.js';
import { measureFailover, restore, type RoundResult, type Scenario } from '../lab/bench/failover.js';
import { runScript } from '../lab/proc/children.js';
import { fmt, machineInfo, parseArgs, ratio, summarize, table, writeSection } from '../lab/bench/stats.js';
import { serverBinaries } from '../lab/proc/server-binaries.js';
import { COLORS, stripChart } from '../lab/bench/svg.js';
import { AckWriter, missingKeys } from '../lab/workload/writer.js';

const args = parseArgs(process.argv.slice(2));
const smoke = args.has('smoke');
const rounds = Number(args.get('rounds') ?? (smoke ? 1 : 10));
const downAfters = (args.get('down-after') ?? (smoke ? '300' : '200,1000,5000')).split(',').map(Number);
const scenarios = (args.get('scenarios') ?? (smoke ? 'redis' : 'host,redis,switchover')).split(',') as Scenario[];
const systems = (args.get('systems') ?? 'resp-elect,sentinel').split(',') as SystemKind[];
const out = args.get('out') ?? (smoke ? undefined : join(REPO_ROOT, 'bench', 'results.md'));
const jsonOut = args.get('json');
const keepLogs = args.has('keep-logs');


function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

interface SystemState {
  d: Deployment;
  acked: string[];
  lost: Set<string>;
}

const results: RoundResult[] = [];
const lostBy: Record<string, Record<number, number>> = {};
const ackedBy: Record<string, Record<number, number>> = {};
const logDirs: string[] = [];

async function runRound(s: SystemState, scenario: Scenario, round: number, seq: number, last: boolean): Promise<void> {
  const d = s.d;
  const primary = await d.waitSettled(60_000 + 10 * d.opts.downAfterMs);
  const writer = new AckWriter({ sentinels: d.sentinels, masterName: MASTER_NAME, replicas: 1, waitTimeoutMs: 200, intervalMs: 1, keyPrefix: `${d.kind}:${d.opts.downAfterMs}:${seq}:` });
  writer.start();
  const warm = Date.now() + 20_000;
  while (writer.acked.length < 30 && Date.now() < warm) await new Promise((r) => setTimeout(r, 10));
  if (writer.acked.length < 30) throw new Error(`${d.kind}: writer got no acknowledged writes before the fault (${await d.describe()})`);
  let r: RoundResult;
  try {
    r = await measureFailover(d, writer, scenario, round, primary);
  } finally {
    await writer.stop();
  }
  s.acked.push(...writer.acked);
  const winner = d.nodes.find((n) => n.id === r.newPrimary);
  // The last round of a deployment checks the acknowledged writes on the new primary once its replicas are linked, without the restore.
  const settledPrimary = await restore(d, scenario, primary, winner, !last || !winner);
  const missing = await missingKeys({ host: settledPrimary.mgmtHost, port: settledPrimary.redis.port }, s.acked);
  const fresh = missing.filter((k) => !s.lost.has(k));
  for (const k of fresh) s.lost.add(k);
  (lostBy[d.kind] ??= {})[d.opts.downAfterMs] = ((lostBy[d.kind] ??= {})[d.opts.downAfterMs] ?? 0) + fresh.length;
  results.push(r);
  log(`${d.kind.padEnd(10)} down=${d.opts.downAfterMs} ${scenario.padEnd(10)} #${round}: ${r.oldPrimary}->${r.newPrimary || '?'} writable ${fmt(r.writableMs)} ms, linked ${fmt(r.linkedMs)} ms (full ${r.fullSyncs}, partial ${r.partialSyncs}), write gap ${fmt(r.gapMs)} ms, acked ${writer.acked.length}, newly lost ${fresh.length}${r.error ? `, ERROR ${r.error}` : ''}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineInfo();
  log(`bench-failover: rounds=${rounds} down-after=${downAfters.join(',')} scenarios=${scenarios.join(',')} systems=${systems.join(',')}`);
  for (const down of downAfters) {
    const states: SystemState[] = [];
    try {
      for (const kind of systems) {
        const d = makeDeployment(kind, { nodes: 3, downAfterMs: down, pollIntervalMs: 20, keepDir: keepLogs });
        states.push({ d, acked: [], lost: new Set() });
        await d.start();
        log(`${kind} (down-after ${down} ms) started in ${d.dir}`);
      }
      let seq = 0;
      for (const scenario of scenarios) {
        for (let round = 1; round <= rounds; round++) {
          const last = scenario === scenarios.at(-1) && round === rounds;
          for (const s of states) await runRound(s, scenario, round, seq++, last);
        }
      }
      for (const s of states) (ackedBy[s.d.kind] ??= {})[down] = s.acked.length;
    } finally {
      for (const s of states) {
        if (keepLogs) logDirs.push(s.d.dir);
        await s.d.stop().catch(() => undefined);
      }
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  const report = buildReport(machine, elapsed);
  if (jsonOut) {
    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileSync(jsonOut, JSON.stringify({ results, lostBy, ackedBy }, null, 1));
  }
  if (out) {
    writeSection(out, 'failover', report.markdown);
    for (const [name, svg] of report.svgs) writeFileSync(join(dirname(out), name), svg);
    log(`wrote ${out} and ${report.svgs.length} charts`);
  }
  console.log(report.markdown);
  if (keepLogs) log(`logs kept in ${logDirs.join(' ')}`);
  const errors = results.filter((r) => r.error).length;
  console.log(`RESULT ${JSON.stringify({ rounds: results.length, errors, lostBy, ackedBy })}`);
}

function cell(vals: number[]): string {
  const s = summarize(vals.filter(Number.isFinite));
  return s.n === 0 ? '–' : `${fmt(s.min)} / ${fmt(s.median)} / ${fmt(s.p95)}`;
}

function buildReport(machine: string, elapsed: number): { markdown: string; svgs: [string, string][] } {
  const md: string[] = [];
  const svgs: [string, string][] = [];
  const cmd = `npm run bench:failover -- ${process.argv.slice(2).join(' ')}`.trim();
  const bins = serverBinaries();
  md.push(`## Failover: resp-elect vs ${bins.flavour === 'valkey' ? 'Valkey' : 'Redis'} Sentinel`, '');
  md.push(`Command: \`${cmd}\` (${results.length} failovers, ${fmt(elapsed / 60, 1)} min, finished ${new Date().toISOString()}).`, '');
  md.push(machine, '');
  md.push(
    `Setup: 3 \`${bins.server}\` per system (same binary, no persistence, \`repl-diskless-sync yes\`, \`repl-diskless-sync-delay 0\`, 16 MB backlog). ` +
      'resp-elect: one `resp-elect run` per redis, `--down-after-ms D --poll-interval-ms 20`, other timings derived (hb D/5, lease 0.6·D). ' +
      `Sentinel: three \`${bins.sentinel}\` processes, quorum 2, \`down-after-milliseconds D\`, \`failover-timeout max(3000, 3·D)\`, \`parallel-syncs 3\`. ` +
      'Both run at the same time on loopback; rounds alternate resp-elect / Sentinel. Each round kills (or switches over from) the current primary, ' +
      'then restores the killed node empty as a replica and waits until every controller agrees and every replica is linked.',
    '',
    'Columns are **min / median / p95** in milliseconds from the fault; ratio = resp-elect median ÷ Sentinel median. ' +
      '*writable*: a surviving redis reports ROLE master and a test SET on it succeeds. *linked*: every surviving replica has `master_link_status:up` to it. ' +
      '*write gap*: longest gap between two writes acknowledged by `WAIT 1 200` of the same ioredis Sentinel-mode client (`new Redis({ sentinels, name: \'mymaster\' })`) around the fault. ' +
      '*resync*: `sync_partial_ok` / `sync_full` deltas on the new primary, summed over the rounds. *lost*: acknowledged writes missing on the final primary.',
    '',
  );
  for (const down of downAfters) {
    md.push(`### down-after = ${down} ms`, '');
    const rows: (string | number)[][] = [];
    const series = [];
    for (const sc of scenarios) {
      const by = (k: string) => results.filter((r) => r.downAfterMs === down && r.scenario === sc && r.system === k);
      const a = by('resp-elect');
      const b = by('sentinel');
      const med = (rs: RoundResult[], f: (r: RoundResult) => number) => summarize(rs.map(f).filter(Number.isFinite)).median;
      const metrics: [string, (r: RoundResult) => number][] = [
        ['writable primary', (r) => r.writableMs],
        ['all replicas linked', (r) => r.linkedMs],
        ['write gap (client)', (r) => r.gapMs],
      ];
      for (const [name, f] of metrics) {
        rows.push([sc, name, cell(a.map(f)), cell(b.map(f)), ratio(med(a, f), med(b, f))]);
      }
      const sync = (rs: RoundResult[]) => `${rs.reduce((x, r) => x + r.partialSyncs, 0)} partial / ${rs.reduce((x, r) => x + r.fullSyncs, 0)} full`;
      rows.push([sc, 'resync on new primary', sync(a), sync(b), '']);
      const errs = (rs: RoundResult[]) => `${rs.length - rs.filter((r) => r.error).length}/${rs.length}`;
      rows.push([sc, 'rounds completed', errs(a), errs(b), '']);
      series.push({ label: `${sc} · resp-elect · writable`, values: a.map((r) => r.writableMs), color: COLORS['resp-elect'] });
      series.push({ label: `${sc} · Sentinel · writable`, values: b.map((r) => r.writableMs), color: COLORS.sentinel });
      series.push({ label: `${sc} · resp-elect · linked`, values: a.map((r) => r.linkedMs), color: COLORS['resp-elect'] });
      series.push({ label: `${sc} · Sentinel · linked`, values: b.map((r) => r.linkedMs), color: COLORS.sentinel });
      series.push({ label: `${sc} · resp-elect · write gap`, values: a.map((r) => r.gapMs), color: COLORS['resp-elect'] });
      series.push({ label: `${sc} · Sentinel · write gap`, values: b.map((r) => r.gapMs), color: COLORS.sentinel });
    }
    rows.push(['all', 'acknowledged writes lost', `${lostBy['resp-elect']?.[down] ?? 0} of ${ackedBy['resp-elect']?.[down] ?? 0}`, `${lostBy['sentinel']?.[down] ?? 0} of ${ackedBy['sentinel']?.[down] ?? 0}`, '']);
    md.push(table(['scenario', 'metric', 'resp-elect', 'Sentinel', 'ratio'], rows), '');
    const name = `failover-${down}ms.svg`;
    svgs.push([name, stripChart(`Failover times, down-after ${down} ms (blue: resp-elect, red: Sentinel)`, series)]);
    md.push(`![failover times at down-after ${down} ms](${name})`, '');
    const errors = results.filter((r) => r.downAfterMs === down && r.error);
    if (errors.length) md.push('Rounds with errors:', '', ...errors.map((r) => `- ${r.system} ${r.scenario} #${r.round}: ${r.error}`), '');
  }
  return { markdown: md.join('\n'), svgs };
}

runScript(main);
