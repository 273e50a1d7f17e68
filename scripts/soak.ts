/**
 * Soak test: a 3-node cluster (redis-server + `resp-elect run` per node, on
 * loopback) under steady load for a long time, to see what only time shows:
 * memory or file descriptors that grow, an event loop that slows down, a
 * write lost in one churn out of thousands.
 *
 *   npm run soak -- --minutes N [--interval-seconds S] [--churn-every-seconds C]
 *       [--down-after 1000] [--out bench/results.md] [--keep-logs]
 *
 * Load, all at once, for the whole run:
 * - a writer: unique `SET` then `WAIT 1`, through ioredis in Sentinel mode
 *   (src/bench/writer.ts), each acknowledged key remembered;
 * - peer churn: every C seconds SIGSTOP a replica's sidecar, then SIGCONT —
 *   usually for a third of down-after (no peer even notices), every fourth
 *   time for 3 × down-after (its peers mark it down; still no failover, since
 *   the primary keeps a majority);
 * - client churn: connect to a sidecar, `SENTINEL get-master-addr-by-name`,
 *   disconnect, 20 times a second;
 * - a scraper: GET /metrics of every sidecar once a second.
 *
 * Every S seconds it prints, per sidecar: RSS (VmRSS), open fds
 * (/proc/PID/fd) and the event-loop delay the sidecar exports on /metrics
 * (`resp_elect_event_loop_delay_seconds`, p99 when it has quantiles, else
 * prom-client's `nodejs_eventloop_lag_p99_seconds`; the highest scraped
 * since the last sample; n/a when neither is exported). At the end: writes acknowledged and lost
 * (acknowledged keys missing on the final primary), a markdown section
 * (written to --out when given) and one `RESULT {json}` line. Exits 1 when a
 * write was lost or the cluster did not settle. Every process it starts is
 * killed on every exit path, Ctrl-C included.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MASTER_NAME, oneShot, RespElectDeployment, type BenchNode } from '../lab/bench/deploy.js';
import { memory } from '../lab/bench/procstat.js';
import { cleanupAll, exitOnUncaughtErrors, track } from '../lab/proc/children.js';
import { BENCH_PORTS, stablePort } from '../lab/proc/ports.js';
import { sleep } from '../lab/util/wait.js';
import { fmt, machineInfo, parseArgs, table, writeSection } from '../lab/bench/stats.js';
import { AckWriter, missingKeys } from '../lab/workload/writer.js';

const args = parseArgs(process.argv.slice(2));

/** A positive number option, or a clear error and exit 2. */
function positive(name: string, fallback: number): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`soak: --${name} must be a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return v;
}

if (!args.has('minutes')) {
  console.error('soak: --minutes N is required (e.g. npm run soak -- --minutes 30)');
  process.exit(2);
}
const durationMs = positive('minutes', 1) * 60_000;
// Ten samples at least, one every 30 s at most; churn a few times even in a smoke run.
const intervalMs = positive('interval-seconds', Math.min(30, Math.max(1, durationMs / 10_000))) * 1000;
const churnEveryMs = positive('churn-every-seconds', Math.min(15, Math.max(1.5, durationMs / 8000))) * 1000;
const downAfterMs = positive('down-after', 1000);
const out = args.get('out');
exitOnUncaughtErrors();
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

/** The bench deployment, plus `--http` on its own port for every sidecar (a per-node config file, read relative to the node's directory). */
class SoakDeployment extends RespElectDeployment {
  readonly httpPorts = new Map<string, number>();

  constructor() {
    super({ nodes: 3, downAfterMs, keepDir: args.has('keep-logs'), extraArgs: ['--config', 'soak-http.json'] });
  }

  protected override async setup(): Promise<void> {
    await super.setup();
    for (const n of this.nodes) {
      const port = await stablePort(BENCH_PORTS);
      this.httpPorts.set(n.id, port);
      writeFileSync(join(this.dir, n.id, 'soak-http.json'), `${JSON.stringify({ http: `127.0.0.1:${port}` })}\n`);
    }
  }
}

interface NodeSample {
  id: string;
  pid: number;
  rssMb: number;
  fds: number;
  /** The highest p99 event-loop delay scraped from the sidecar's /metrics since the previous sample; null when none was. */
  eventLoopDelayMs: number | null;
}
interface Sample {
  t: number;
  primary: string | null;
  acked: number;
  nodes: NodeSample[];
  /** The soak process's own event-loop delay since the previous sample: p99 and max, ms. */
  driver: { p99Ms: number; maxMs: number };
}

/** Open file descriptors of `pid` (NaN when it is gone). */
function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** The metric harden's sidecars export, and prom-client's default one (also perf_hooks.monitorEventLoopDelay, p99 since the last scrape). */
const DELAY_METRICS = ['resp_elect_event_loop_delay_seconds', 'nodejs_eventloop_lag_p99_seconds'] as const;

/**
 * The event-loop delay in ms from a /metrics text, from the first of
 * DELAY_METRICS present: its p99 sample when it has quantiles, else its
 * first sample. Undefined when none is exported.
 */
function eventLoopDelay(metrics: string): { ms: number; metric: string } | undefined {
  for (const metric of DELAY_METRICS) {
    const re = new RegExp(`^${metric}(?:\\{([^}]*)\\})?\\s+(\\S+)`, 'gm');
    let first: number | undefined;
    for (let m = re.exec(metrics); m; m = re.exec(metrics)) {
      const v = Number(m[2]) * 1000;
      if (!Number.isFinite(v)) continue;
      if (m[1] && /quantile="0\.99"/.test(m[1])) return { ms: v, metric };
      first ??= v;
    }
    if (first !== undefined) return { ms: first, metric };
  }
  return undefined;
}

const d = new SoakDeployment();
const stopped = new Set<string>();
const counts = { churnShort: 0, churnLong: 0, clientsOk: 0, clientsFailed: 0, scrapesOk: 0, scrapesFailed: 0 };
/** Per sidecar: the highest event-loop delay scraped since the last sample (the p99 metric covers one scrape interval). */
const delaySinceSample = new Map<string, number>();
/**
 * Per sidecar, whether its event-loop delay is an artefact of peer churn: a
 * SIGSTOPped process sees the whole pause as one long delay. 'stopped' from
 * SIGSTOP to SIGCONT, then 'resumed' until a scrape started after SIGCONT
 * has been read (its histogram covered the pause); such scrapes and those
 * overlapping the pause are not counted.
 */
const churnTaint = new Map<string, 'stopped' | 'resumed'>();
/** The soak process's own event-loop delay: when it is high too, the machine is overloaded, not the sidecars. */
const driverDelay = monitorEventLoopDelay({ resolution: 10 });
/** Which metric the delays came from (printed with the results). */
let delayMetric: string | undefined;
let running = true;
let t0 = Date.now();
const churnEvents: { t: number; id: string; ms: number }[] = [];

/** Loop `fn` with `pauseMs` between runs until the load stops. */
async function every(pauseMs: number, fn: () => Promise<void>): Promise<void> {
  while (running) {
    await fn();
    await sleep(pauseMs);
  }
}

async function primaryNode(): Promise<BenchNode | undefined> {
  for (const n of d.nodes) {
    if (stopped.has(n.id)) continue;
    const addr = await d.ctlPrimaryAddr(n);
    if (addr !== undefined) return d.nodeAt(addr);
  }
  return undefined;
}

/** Sleep until `ms` passed or the load stops. */
async function sleepWhileRunning(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (running && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
}

async function peerChurn(): Promise<void> {
  let k = 0;
  await sleepWhileRunning(churnEveryMs);
  while (running) {
    const primary = await primaryNode();
    const replicas = d.nodes.filter((n) => n !== primary && n.ctl?.running);
    const victim = primary ? replicas[Math.floor(Math.random() * replicas.length)] : undefined;
    if (victim) {
      const long = ++k % 4 === 0;
      const ms = long ? 3 * downAfterMs : downAfterMs / 3;
      log(`churn: SIGSTOP ${victim.id}'s sidecar for ${fmt(ms)} ms`);
      churnEvents.push({ t: Date.now() - t0, id: victim.id, ms });
      stopped.add(victim.id);
      churnTaint.set(victim.id, 'stopped');
      victim.ctl!.signal('SIGSTOP');
      // Not sleepWhileRunning: the pause must end even when the run does.
      await sleep(ms);
      victim.ctl!.signal('SIGCONT');
      stopped.delete(victim.id);
      churnTaint.set(victim.id, 'resumed');
      if (long) counts.churnLong += 1;
      else counts.churnShort += 1;
    }
    await sleepWhileRunning(churnEveryMs);
  }
}

async function clientChurn(): Promise<void> {
  await every(50, async () => {
    const live = d.nodes.filter((n) => !stopped.has(n.id));
    const n = live[Math.floor(Math.random() * live.length)];
    if (!n) return;
    const r = await oneShot(n.ctlPort, ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME], 1000);
    if (Array.isArray(r) && r.length === 2) counts.clientsOk += 1;
    else counts.clientsFailed += 1;
  });
}

async function scraper(): Promise<void> {
  await every(1000, async () => {
    await Promise.all(
      d.nodes
        .filter((n) => !stopped.has(n.id))
        .map(async (n) => {
          const taintAtStart = churnTaint.get(n.id);
          try {
            const res = await fetch(`http://127.0.0.1:${d.httpPorts.get(n.id)}/metrics`, { signal: AbortSignal.timeout(2000) });
            const text = await res.text();
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            counts.scrapesOk += 1;
            const delay = eventLoopDelay(text);
            const taintNow = churnTaint.get(n.id);
            if (taintAtStart === 'resumed' && taintNow === 'resumed') churnTaint.delete(n.id);
            if (delay && taintAtStart === undefined && taintNow === undefined) {
              delayMetric = delay.metric;
              delaySinceSample.set(n.id, Math.max(delay.ms, delaySinceSample.get(n.id) ?? 0));
            }
          } catch {
            counts.scrapesFailed += 1;
          }
        }),
    );
  });
}

function sample(t: number, primary: BenchNode | undefined, acked: number): Sample {
  const driver = { p99Ms: driverDelay.percentile(99) / 1e6, maxMs: driverDelay.max / 1e6 };
  driverDelay.reset();
  return {
    t,
    driver,
    primary: primary?.id ?? null,
    acked,
    nodes: d.nodes.map((n) => {
      const pid = n.ctl!.pid;
      const delay = delaySinceSample.get(n.id) ?? null;
      delaySinceSample.delete(n.id);
      return { id: n.id, pid, rssMb: memory(pid)?.rssMb ?? NaN, fds: openFds(pid), eventLoopDelayMs: delay };
    }),
  };
}

/** The longest gap between consecutive acknowledgements, and when it ended (Date.now()). */
function longestGap(times: readonly number[]): { ms: number; at: number } {
  let best = { ms: 0, at: times[0] ?? Date.now() };
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > best.ms) best = { ms: times[i]! - times[i - 1]!, at: times[i]! };
  return best;
}

const ms = (v: number | null) => (v === null ? 'n/a' : `${fmt(v, 1)} ms`);

function printSample(s: Sample, w: AckWriter): void {
  const nodes = s.nodes.map((n) => `${n.id}${n.id === s.primary ? '*' : ''} rss ${fmt(n.rssMb, 1)} MB fds ${n.fds} eld ${ms(n.eventLoopDelayMs)}`).join(' | ');
  log(`t=${fmt(s.t / 1000)}s ${nodes} | acked ${w.acked.length} unacked ${w.unacked} errors ${w.errors} | churn ${counts.churnShort}+${counts.churnLong} | clients ${counts.clientsOk}/${counts.clientsFailed} failed | scrapes ${counts.scrapesOk}/${counts.scrapesFailed} failed | driver eld ${ms(s.driver.p99Ms)}`);
}

async function main(): Promise<number> {
  log(`starting a 3-node cluster (down-after ${downAfterMs} ms); soak for ${fmt(durationMs / 60_000, 2)} min, sample every ${fmt(intervalMs / 1000, 1)} s, churn every ${fmt(churnEveryMs / 1000, 1)} s`);
  const machine = machineInfo();
  // Ctrl-C exits from the exit hooks, past d.stop(): remove the directory there too (after its processes are killed).
  track({
    killSync: () => {
      if (!args.has('keep-logs') && d.dir) rmSync(d.dir, { recursive: true, force: true });
    },
    cleanup: async () => undefined,
  });
  await d.start();
  log(`cluster settled; logs in ${d.dir}`);
  const writer = new AckWriter({ sentinels: d.sentinels, masterName: MASTER_NAME, replicas: 1, waitTimeoutMs: 1000, intervalMs: 5, keyPrefix: 'soak:' });
  writer.start();
  t0 = Date.now();
  driverDelay.enable();
  const load = [peerChurn(), clientChurn(), scraper()];
  const samples: Sample[] = [];
  // The first sample after a scrape, so the event-loop delay is there from the start.
  await sleep(1500);
  for (;;) {
    const s = sample(Date.now() - t0, await primaryNode(), writer.acked.length);
    samples.push(s);
    printSample(s, writer);
    const left = durationMs - (Date.now() - t0);
    if (left <= 0) break;
    await sleep(Math.min(intervalMs, left));
  }
  running = false;
  await Promise.all(load);
  await writer.stop();
  log(`load stopped: ${writer.describe()}`);
  let settled = true;
  let lost: string[] = [];
  try {
    const primary = await d.waitSettled(60_000);
    lost = await missingKeys({ host: '127.0.0.1', port: primary.redis.port }, writer.acked);
  } catch (err) {
    settled = false;
    console.error(`soak: the cluster did not settle or could not be checked: ${(err as Error).message}`);
  }
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const perNode = d.nodes.map((n, i) => {
    const series = samples.map((s) => s.nodes[i]!);
    const delays = series.map((x) => x.eventLoopDelayMs).filter((v): v is number => v !== null);
    return {
      id: n.id,
      rssFirstMb: first.nodes[i]!.rssMb,
      rssLastMb: last.nodes[i]!.rssMb,
      rssMaxMb: Math.max(...series.map((x) => x.rssMb)),
      fdsFirst: first.nodes[i]!.fds,
      fdsLast: last.nodes[i]!.fds,
      fdsMax: Math.max(...series.map((x) => x.fds)),
      eventLoopDelayMaxMs: delays.length > 0 ? Math.max(...delays) : null,
    };
  });
  const gap = longestGap(writer.ackTimes);
  const driverMaxMs = Math.max(...samples.map((x) => x.driver.maxMs));
  const result = {
    minutes: durationMs / 60_000,
    settled,
    eventLoopDelayMetric: delayMetric ?? null,
    writes: { attempts: writer.attempts, acked: writer.acked.length, unacked: writer.unacked, errors: writer.errors, lost: lost.length, longestGapMs: gap.ms, longestGapAtMs: gap.at - t0 },
    churn: { short: counts.churnShort, long: counts.churnLong, events: churnEvents },
    driverEventLoopDelayMaxMs: driverMaxMs,
    clients: { ok: counts.clientsOk, failed: counts.clientsFailed },
    scrapes: { ok: counts.scrapesOk, failed: counts.scrapesFailed },
    nodes: perNode,
    samples,
  };
  const md = [
    '## Soak',
    '',
    `Command: \`npm run soak -- ${process.argv.slice(2).join(' ')}\` (finished ${new Date().toISOString()}).`,
    '',
    machine,
    '',
    `3 redis-servers + 3 \`resp-elect run\` sidecars on loopback, down-after ${downAfterMs} ms, for ${fmt(durationMs / 60_000, 2)} min. Load: one writer (SET + WAIT 1 through ioredis in Sentinel mode), ` +
      `a replica's sidecar SIGSTOPped every ${fmt(churnEveryMs / 1000, 1)} s (${fmt(downAfterMs / 3)} ms; every fourth time ${fmt(3 * downAfterMs)} ms), a client connecting to ask get-master-addr-by-name 20 times a second, /metrics of every sidecar scraped every second. ` +
      `RSS: VmRSS; fds: entries of /proc/PID/fd; event-loop delay: ${delayMetric ? `\`${delayMetric}\` from /metrics, highest p99 scraped, not counting the scrapes that covered a SIGSTOP of that sidecar` : 'n/a (no event-loop delay metric on /metrics)'}.`,
    '',
    table(
      ['sidecar', 'RSS MB first → last (max)', 'fds first → last (max)', 'event-loop delay max'],
      perNode.map((n) => [n.id, `${fmt(n.rssFirstMb, 1)} → ${fmt(n.rssLastMb, 1)} (${fmt(n.rssMaxMb, 1)})`, `${n.fdsFirst} → ${n.fdsLast} (${n.fdsMax})`, ms(n.eventLoopDelayMaxMs)]),
    ),
    '',
    `Writes: ${result.writes.acked} acknowledged, **${result.writes.lost} lost**, ${result.writes.unacked} unacknowledged, ${result.writes.errors} errors; longest gap between acknowledgements ${fmt(gap.ms)} ms (at t=${fmt((gap.at - t0) / 1000)} s). ` +
      `Peer churn: ${counts.churnShort} short and ${counts.churnLong} long stops. Clients: ${counts.clientsOk} answered, ${counts.clientsFailed} failed. Scrapes: ${counts.scrapesOk} ok, ${counts.scrapesFailed} failed. ` +
      `For comparison, the soak process's own event-loop delay peaked at ${fmt(driverMaxMs)} ms (load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}); when the sidecars' delays are of that order, the machine is the likely cause.`,
  ].join('\n');
  if (out) writeSection(out, 'soak', md);
  console.log(md);
  console.log(`RESULT ${JSON.stringify(result)}`);
  return settled && lost.length === 0 ? 0 : 1;
}

main()
  .then(async (code) => {
    await d.stop().catch(() => undefined);
    await cleanupAll();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(err);
    await cleanupAll();
    process.exit(1);
  });
