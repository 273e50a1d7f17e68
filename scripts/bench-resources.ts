/**
 * Sidecar resource use: RSS and CPU of every `resp-elect run` process, idle
 * and during a failover, for clusters of 3, 5 and 15 nodes on this machine
 * (N sidecars + N redis-servers on loopback), read from /proc/<pid>/stat and
 * /proc/<pid>/status.
 *
 *   npm run bench:resources -- [--sizes 3,5,15] [--idle-seconds 10]
 *       [--down-after 1000] [--out bench/results.md] [--smoke]
 */
import { join } from 'node:path';
import { RespElectDeployment, REPO_ROOT, type BenchNode } from '../lab/bench/deploy.js';
import { cpuOver, cpuTicks, memory, ticksPerSecond } from '../lab/bench/procstat.js';
import { runScript } from '../lab/proc/children.js';
import { sleep } from '../lab/util/wait.js';
import { fmt, machineInfo, parseArgs, summarize, table, writeSection } from '../lab/bench/stats.js';

const args = parseArgs(process.argv.slice(2));
const smoke = args.has('smoke');
const sizes = (args.get('sizes') ?? (smoke ? '3' : '3,5,15')).split(',').map(Number);
const idleMs = Number(args.get('idle-seconds') ?? (smoke ? 2 : 10)) * 1000;
const downAfterMs = Number(args.get('down-after') ?? 1000);
const out = args.get('out') ?? (smoke ? undefined : join(REPO_ROOT, 'bench', 'results.md'));
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);

interface Row {
  nodes: number;
  idleCpu: number[];
  rss: number[];
  failoverCpu: number[];
  failoverWindowMs: number;
  hwm: number[];
  redisRss: number[];
}

async function measure(nodes: number): Promise<Row> {
  // Default timings: hb = down-after / 10, poll interval 50 ms.
  const d = new RespElectDeployment({ nodes, downAfterMs, keepDir: args.has('keep-logs') });
  try {
    log(`${nodes} nodes: starting`);
    await d.start();
    await sleep(Math.min(3000, idleMs / 2));
    const pids = d.nodes.map((n) => n.ctl!.pid);
    const idleCpu = await cpuOver(pids, idleMs);
    const rss = pids.map((p) => memory(p)?.rssMb ?? NaN);
    const redisRss = d.nodes.map((n) => memory(n.redis.pid)?.rssMb ?? NaN);
    log(`${nodes} nodes: idle CPU per sidecar ${idleCpu.map((c) => c.toFixed(2)).join(' ')} %, RSS ${rss.map((r) => r.toFixed(0)).join(' ')} MB`);
    // Failover: kill -9 the primary (redis and sidecar), measure the survivors until settled again + 1 s.
    const primary = (await d.waitSettled(60_000))!;
    const survivors = d.nodes.filter((n) => n !== primary);
    const spids = survivors.map((n) => n.ctl!.pid);
    const before = spids.map(cpuTicks);
    const t0 = Date.now();
    await Promise.all([d.killCtl(primary), primary.redis.kill('SIGKILL')]);
    await waitNewPrimary(d, survivors, 60_000);
    await sleep(1000);
    const secs = (Date.now() - t0) / 1000;
    const after = spids.map(cpuTicks);
    const failoverCpu = spids.map((_, i) => (after[i]! - before[i]!) / ticksPerSecond() / secs * 100);
    const hwm = spids.map((p) => memory(p)?.hwmMb ?? NaN);
    log(`${nodes} nodes: failover window ${fmt(secs, 1)} s, CPU per surviving sidecar ${failoverCpu.map((c) => c.toFixed(1)).join(' ')} %`);
    return { nodes, idleCpu, rss, failoverCpu, failoverWindowMs: secs * 1000, hwm, redisRss };
  } finally {
    await d.stop();
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

async function main(): Promise<void> {
  const machine = machineInfo();
  const rows: Row[] = [];
  for (const n of sizes) rows.push(await measure(n));
  const cell = (v: number[], digits: number) => {
    const s = summarize(v.filter(Number.isFinite));
    return `${fmt(s.median, digits)} / ${fmt(s.max, digits)}`;
  };
  const md = [
    '## Sidecar resources',
    '',
    `Command: \`npm run bench:resources -- ${process.argv.slice(2).join(' ')}\` (finished ${new Date().toISOString()}).`,
    '',
    machine,
    '',
    `N redis-servers + N \`resp-elect run\` sidecars on loopback, default timings at down-after ${downAfterMs} ms (hb ${downAfterMs / 10} ms, poll interval 50 ms). ` +
      `Idle: utime+stime from /proc/<pid>/stat over ${idleMs / 1000} s, after a settle pause. RSS: VmRSS from /proc/<pid>/status. ` +
      'Failover: kill -9 of the primary (redis + sidecar), CPU of each surviving sidecar from the kill until a new primary has every survivor linked, plus 1 s; peak RSS = VmHWM. Values are median / max over the sidecars; CPU in % of one core.',
    '',
    table(
      ['nodes', 'idle CPU %', 'RSS MB', 'failover CPU % (window)', 'peak RSS MB (VmHWM)', 'redis-server RSS MB'],
      rows.map((r) => [r.nodes, cell(r.idleCpu, 2), cell(r.rss, 1), `${cell(r.failoverCpu, 1)} (${fmt(r.failoverWindowMs / 1000, 1)} s)`, cell(r.hwm, 1), cell(r.redisRss, 1)]),
    ),
    '',
    `Targets: idle < 1 % of a core, RSS < 80 MB. Max idle CPU ${fmt(Math.max(...rows.flatMap((r) => r.idleCpu)), 2)} %, max RSS ${fmt(Math.max(...rows.flatMap((r) => r.rss)), 1)} MB.`,
  ].join('\n');
  if (out) writeSection(out, 'resources', md);
  console.log(md);
  console.log(`RESULT ${JSON.stringify({ maxIdleCpu: Math.max(...rows.flatMap((r) => r.idleCpu)), maxRssMb: Math.max(...rows.flatMap((r) => r.rss)) })}`);
}

runScript(main);
