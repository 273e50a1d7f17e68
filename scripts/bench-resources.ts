/**
 * Sidecar resource use beside Redis Sentinel's, in the same run: for each
 * cluster size, N redis-servers with N `resp-elect run` sidecars AND N
 * redis-servers with N `redis-sentinel`s run at the same time on loopback
 * (optionally a third set: an older resp-elect build, `--baseline-cli`), and
 * the CPU of every controller is read from /proc/<pid>/stat over the same
 * idle window, so machine load hits all of them alike. Then RSS, and one
 * failover of the resp-elect set (kill -9 of its primary).
 *
 *   npm run bench:resources -- [--sizes 3,5,15] [--idle-seconds 20]
 *       [--down-after 1000] [--out bench/results.md] [--smoke]
 *       [--baseline-cli /path/to/older/dist/src/cli/main.js]
 *       [--settle-seconds 30] (pause between start-up and the idle window: JIT warm-up)
 *       [--cpu-prof DIR]   (profile the sidecars of the first size; summary printed)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RespElectDeployment, SentinelDeployment, REPO_ROOT, type BenchNode, type Deployment } from '../lab/bench/deploy.js';
import { cpuOver, cpuTicks, memory, ticksPerSecond } from '../lab/bench/procstat.js';
import { summarizeProfiles, type ProfileSummary } from '../lab/bench/cpu-profile.js';
import { runScript } from '../lab/proc/children.js';
import { sleep } from '../lab/util/wait.js';
import { resolveConfig } from '../src/elector/config.js';
import { fmt, machineInfo, parseArgs, summarize, table, writeSection } from '../lab/bench/stats.js';

const args = parseArgs(process.argv.slice(2));
const smoke = args.has('smoke');
const sizes = (args.get('sizes') ?? (smoke ? '3' : '3,5,15')).split(',').map(Number);
const idleMs = Number(args.get('idle-seconds') ?? (smoke ? 3 : 20)) * 1000;
const downAfterMs = Number(args.get('down-after') ?? 1000);
// Node's JIT takes tens of seconds to optimise code that runs 20 times a second: measured too early, an
// idle sidecar shows its warm-up (twice the steady cost), which Sentinel, compiled C, does not have.
const settleMs = Number(args.get('settle-seconds') ?? (smoke ? 1 : 30)) * 1000;
const baselineCli = args.get('baseline-cli');
const profDir = args.get('cpu-prof');
const out = args.get('out') ?? (smoke ? undefined : join(REPO_ROOT, 'bench', 'results.md'));
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);

// The controllers run with the environment of a default install, not this shell's: a CA bundle in
// NODE_EXTRA_CA_CERTS is parsed into every node process at start-up and held for its life (about
// 1.6 MB of RSS for Debian's 220 KB bundle, measured on node 20), and NODE_OPTIONS would change
// the runtime under test. Machines behind a TLS-intercepting proxy set the first for everything.
const STRIPPED_ENV = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'].filter((k) => process.env[k] !== undefined);
for (const k of STRIPPED_ENV) delete process.env[k];

interface SetUse {
  idleCpu: number[];
  rss: number[];
  /** The part of rss that is pages of mapped files (RssFile): the node binary and shared libraries. */
  rssFile: number[];
}

interface Row {
  nodes: number;
  respElect: SetUse;
  sentinel: SetUse;
  baseline: SetUse | undefined;
  failoverCpu: number[];
  failoverWindowMs: number;
  hwm: number[];
  redisRss: number[];
}

/** The last idle window, µs of CLOCK_MONOTONIC: the part of a CPU profile to summarise. */
let idleWindow: { fromUs: number; toUs: number } | undefined;
const median = (v: number[]) => summarize(v.filter(Number.isFinite)).median;

async function measure(nodes: number, profile: string | undefined): Promise<Row> {
  const keepDir = args.has('keep-logs');
  // Default timings: hb = down-after / 10, poll interval 50 ms.
  const re = new RespElectDeployment({ nodes, downAfterMs, keepDir, nodeArgs: profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : undefined });
  const sentinel = new SentinelDeployment({ nodes, downAfterMs, keepDir });
  const base = baselineCli ? new RespElectDeployment({ nodes, downAfterMs, keepDir, cli: baselineCli }) : undefined;
  const sets: Deployment[] = [re, sentinel, ...(base ? [base] : [])];
  try {
    log(`${nodes} nodes: starting ${sets.map((s) => (s === base ? 'baseline resp-elect' : s.kind)).join(', ')}`);
    for (const s of sets) await s.start();
    await sleep(settleMs);
    // One window for every controller of every set: the machine's load falls on all of them alike.
    const ctlPids = sets.map((s) => s.nodes.map((n) => n.ctl!.pid));
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const cpu = await cpuOver(ctlPids.flat(), idleMs);
    idleWindow = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    const use = (i: number): SetUse => {
      const from = ctlPids.slice(0, i).flat().length;
      const pids = ctlPids[i]!;
      const mem = pids.map(memory);
      return { idleCpu: cpu.slice(from, from + pids.length), rss: mem.map((m) => m?.rssMb ?? NaN), rssFile: mem.map((m) => m?.fileMb ?? NaN) };
    };
    const [respElect, sentinelUse, baseline] = [use(0), use(1), base ? use(2) : undefined];
    const redisRss = re.nodes.map((n) => memory(n.redis.pid)?.rssMb ?? NaN);
    const say = (what: string, u: SetUse) => log(`${nodes} nodes: ${what} idle CPU ${u.idleCpu.map((c) => c.toFixed(2)).join(' ')} %, RSS ${u.rss.map((r) => r.toFixed(0)).join(' ')} MB`);
    say('resp-elect', respElect);
    say('sentinel  ', sentinelUse);
    if (baseline) say('baseline  ', baseline);
    if (profile) {
      // --cpu-prof writes its file at a normal exit: SIGTERM (the sidecar's clean stop), then wait.
      await Promise.all(re.nodes.map(async (n) => (n.ctl!.signal('SIGTERM'), await n.ctl!.exited)));
      return { nodes, respElect, sentinel: sentinelUse, baseline, failoverCpu: [], failoverWindowMs: NaN, hwm: [], redisRss };
    }
    for (const s of sets.slice(1)) await s.stop();
    // Failover: kill -9 the primary (redis and sidecar), measure the survivors until settled again + 1 s.
    const primary = (await re.waitSettled(60_000))!;
    const survivors = re.nodes.filter((n) => n !== primary);
    const spids = survivors.map((n) => n.ctl!.pid);
    const before = spids.map(cpuTicks);
    const t0 = Date.now();
    await Promise.all([re.killCtl(primary), primary.redis.kill('SIGKILL')]);
    await waitNewPrimary(re, survivors, 60_000);
    await sleep(1000);
    const secs = (Date.now() - t0) / 1000;
    const after = spids.map(cpuTicks);
    const failoverCpu = spids.map((_, i) => ((after[i]! - before[i]!) / ticksPerSecond() / secs) * 100);
    const hwm = spids.map((p) => memory(p)?.hwmMb ?? NaN);
    log(`${nodes} nodes: failover window ${fmt(secs, 1)} s, CPU per surviving sidecar ${failoverCpu.map((c) => c.toFixed(1)).join(' ')} %`);
    return { nodes, respElect, sentinel: sentinelUse, baseline, failoverCpu, failoverWindowMs: secs * 1000, hwm, redisRss };
  } finally {
    for (const s of sets) await s.stop();
  }
}

/** A new primary among `nodes`, every other one of them linked to it. */
async function waitNewPrimary(d: RespElectDeployment, nodes: BenchNode[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const infos = await Promise.all(nodes.map((n) => d.info(n)));
    const masters = nodes.filter((_, i) => infos[i]?.['role'] === 'master');
    if (masters.length === 1 && (await d.writable(masters[0]!))) {
      const port = masters[0]!.redis.port;
      if (infos.every((i) => i?.['role'] === 'master' || (Number(i?.['master_port']) === port && i?.['master_link_status'] === 'up'))) return;
    }
    await sleep(20);
  }
  throw new Error('no new primary with linked replicas');
}

function profileTable(p: ProfileSummary): string {
  const busy = p.buckets.filter((b) => b.bucket !== '(idle)');
  const total = busy.reduce((s, b) => s + b.ms, 0);
  const pct = (ms: number) => fmt((ms / p.wallMs) * 100, 2);
  return [
    `Sampled busy time ${fmt(total, 0)} ms over ${fmt(p.wallMs / 1000, 0)} s of profiles (${p.files} sidecars) = ${pct(total)} % of a core per sidecar on average.`,
    '',
    table(['where (self time)', '% of a core', 'share'], busy.slice(0, 12).map((b) => [b.bucket, pct(b.ms), `${fmt((b.ms / total) * 100, 0)} %`])),
    '',
    table(['function (self time)', '% of a core'], p.topFunctions.filter((f) => !f.name.startsWith('(')).slice(0, 10).map((f) => [`\`${f.name}\``, pct(f.ms)])),
  ].join('\n');
}

async function main(): Promise<void> {
  const machine = machineInfo();
  if (profDir) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
    const row = await measure(sizes[0]!, profDir);
    const md = `Idle profile (\`--cpu-prof\`), ${row.nodes} nodes, ${idleMs / 1000} s; resp-elect idle CPU ${row.respElect.idleCpu.map((c) => c.toFixed(2)).join(' ')} % (profiling adds a little), Sentinel ${row.sentinel.idleCpu.map((c) => c.toFixed(2)).join(' ')} %.\n\n${profileTable(summarizeProfiles(profDir, idleWindow))}`;
    console.log(md);
    return;
  }
  const rows: Row[] = [];
  for (const n of sizes) rows.push(await measure(n, undefined));
  const cell = (v: number[], digits: number) => {
    const s = summarize(v.filter(Number.isFinite));
    return `${fmt(s.median, digits)} / ${fmt(s.max, digits)}`;
  };
  const ratioOf = (r: Row) => median(r.respElect.idleCpu) / median(r.sentinel.idleCpu);
  const maxRss = Math.max(...rows.flatMap((r) => r.respElect.rss));
  const worstRatio = Math.max(...rows.map(ratioOf));
  const md = [
    '## Sidecar resources, beside Redis Sentinel',
    '',
    `Command: \`npm run bench:resources -- ${process.argv.slice(2).join(' ')}\` (finished ${new Date().toISOString()}).`,
    '',
    machine,
    '',
    `Per size, N redis-servers with N \`resp-elect run\` sidecars and N redis-servers with N \`redis-sentinel\`s (quorum = majority) run at the same time on loopback${baselineCli ? ', plus a third set of N redis-servers with N sidecars of the older build given by `--baseline-cli`' : ''}; default timings at down-after ${downAfterMs} ms for both (resp-elect: hb ${resolveConfig({ downAfterMs }).hbIntervalMs} ms, poll interval 50 ms). ` +
      `Idle: utime+stime from /proc/<pid>/stat of every controller over the same ${idleMs / 1000} s window, starting ${settleMs / 1000} s after every set had settled (Node's JIT needs that long to optimise code run 20 times a second; Sentinel has no warm-up). RSS: VmRSS from /proc/<pid>/status at the end of that window; "of it, file" is its RssFile part, pages of the node binary and shared libraries (clean, shared with every process mapping them), the rest (RssAnon) being the process's own. ` +
      `${STRIPPED_ENV.length ? `The controllers ran without this shell's ${STRIPPED_ENV.join(' and ')} (a default install has neither; a CA bundle there costs every node process about 1.6 MB). ` : ''}` +
      'Failover (resp-elect only, the other sets stopped first): kill -9 of the primary (redis + sidecar), CPU of each surviving sidecar from the kill until a new primary has every survivor linked, plus 1 s; peak RSS = VmHWM. Values are median / max over the controllers; CPU in % of one core; ratio = median sidecar CPU ÷ median Sentinel CPU.',
    '',
    table(
      ['nodes', 'resp-elect idle CPU %', 'Sentinel idle CPU %', 'ratio', ...(baselineCli ? ['baseline idle CPU %'] : []), 'resp-elect RSS MB', 'of it, file MB', 'Sentinel RSS MB', ...(baselineCli ? ['baseline RSS MB'] : []), 'failover CPU % (window)', 'peak RSS MB (VmHWM)', 'redis-server RSS MB'],
      rows.map((r) => [
        r.nodes,
        cell(r.respElect.idleCpu, 2),
        cell(r.sentinel.idleCpu, 2),
        fmt(ratioOf(r), 1),
        ...(r.baseline ? [cell(r.baseline.idleCpu, 2)] : []),
        cell(r.respElect.rss, 1),
        fmt(median(r.respElect.rssFile), 1),
        cell(r.sentinel.rss, 1),
        ...(r.baseline ? [cell(r.baseline.rss, 1)] : []),
        `${cell(r.failoverCpu, 1)} (${fmt(r.failoverWindowMs / 1000, 1)} s)`,
        cell(r.hwm, 1),
        cell(r.redisRss, 1),
      ]),
    ),
    '',
    `Targets: idle CPU per sidecar ≤ 3 × Sentinel's in the same run, RSS ≤ 50 MB. Worst ratio ${fmt(worstRatio, 1)}, max RSS ${fmt(maxRss, 1)} MB.`,
  ].join('\n');
  if (out) writeSection(out, 'resources', md);
  console.log(md);
  console.log(
    `RESULT ${JSON.stringify({
      maxIdleCpu: Math.max(...rows.flatMap((r) => r.respElect.idleCpu)),
      maxRssMb: maxRss,
      sentinelIdleCpu: Math.max(...rows.map((r) => median(r.sentinel.idleCpu))),
      worstRatio,
    })}`,
  );
}

runScript(main);
