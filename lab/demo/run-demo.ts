/**
 * `npm run demo`: a whole failover on this machine, told step by step.
 *
 * 1. N redis-servers and N sidecars on free loopback ports, in a temporary
 *    directory; wait for a primary and for every replica to be in sync.
 * 2. A writer of acknowledged writes (SET + WAIT quorum−1) that finds the
 *    primary through the sidecars' Sentinel API, like an application.
 * 3. The fault on the primary; every step of the failover with its time
 *    relative to the fault, from the sidecars' own log lines.
 * 4. The old node back (restart or thaw), rejoining as a replica.
 * 5. A planned switchover (SENTINEL FAILOVER).
 * 6. Every acknowledged key read back from the final primary; a summary.
 *
 * Nothing is left running on any exit path unless --keep is given.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DemoCluster, HOST, MAIN_JS } from './cluster.js';
import { FAULTS } from './faults.js';
import { keepInstructions, writeStopScript } from './keep.js';
import { Narrator } from './narrator.js';
import type { DemoOptions } from './options.js';
import { analyzePhase, describePhase, longestAckGap, type PhaseResult } from './phase.js';
import { Recorder } from './recorder.js';
import { PlainScreen, TtyScreen, type Screen } from './screen.js';
import { masterAddrByName, sentinelFailover } from './sentinel-api.js';
import { exitCodeOf, formatSummary, type DemoSummary } from './summary.js';
import { renderSvg } from './svg.js';
import { binaryVersion, SERVER_ENV, serverBinaries } from '../proc/server-binaries.js';
import { buildRow, renderTable } from './table.js';
import { onSignal } from '../proc/children.js';
import { oneCommand } from '../proc/fast-client.js';
import { sleep, waitFor } from '../util/wait.js';
import { AckWriter, missingKeys } from '../workload/writer.js';

const MASTER_NAME = 'mymaster';

export interface DemoIo {
  stdout: NodeJS.WriteStream;
}

/** Runs the demo; resolves with the process exit code. */
export async function runDemo(opts: DemoOptions, io: DemoIo = { stdout: process.stdout }): Promise<number> {
  const screen: Screen = opts.tty ? new TtyScreen(io.stdout) : new PlainScreen((s) => io.stdout.write(s));
  const checked = preflight();
  if ('problem' in checked) {
    screen.line(`resp-elect demo: ${checked.problem}`);
    return 1;
  }
  // Which server this run exercises, so a reader of the output knows what was shown to work.
  screen.line(`resp-elect demo: server ${checked.server} (${checked.version})`);
  const demo = new Demo(opts, screen);
  return demo.run();
}

/** The server binary and its version, or why the demo cannot run. */
function preflight(): { server: string; version: string } | { problem: string } {
  let server: string;
  try {
    server = serverBinaries().server;
  } catch (err) {
    return { problem: (err as Error).message };
  }
  const v = binaryVersion(server);
  if (!v.ok) {
    const install = server.endsWith('valkey-server') ? 'valkey-server valkey-sentinel valkey-tools (bookworm-backports)' : 'redis-server';
    return { problem: `${v.error}. \`npm run demo\` installs it when run as root (scripts/setup.sh reads ${SERVER_ENV}); otherwise: sudo apt-get install -y ${install}` };
  }
  if (!existsSync(MAIN_JS)) return { problem: `${MAIN_JS} is missing: build first with npm run build (npm run demo does).` };
  return { server, version: v.version };
}

class Demo {
  private readonly dir = mkdtempSync(join(tmpdir(), 'resp-elect-demo-'));
  private readonly recorder: Recorder;
  private readonly cluster: DemoCluster;
  private readonly narrator: Narrator;
  private writer: AckWriter | undefined;
  private tableTimer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();
  private readonly marks: { t: number; label: string }[] = [];

  constructor(
    private readonly opts: DemoOptions,
    private readonly screen: Screen,
  ) {
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    this.recorder = new Recorder(ids);
    this.cluster = new DemoCluster({ size: opts.nodes, downAfterMs: opts.downAfterMs, dir: this.dir, recorder: this.recorder });
    this.narrator = new Narrator((l) => this.screen.line(l), (port) => this.cluster.nodeByRedisPort(port)?.id);
    this.recorder.on('milestone', (m) => this.narrator.milestone(m));
  }

  private say(text = ''): void {
    this.screen.line(text);
  }

  async run(): Promise<number> {
    const removeHooks = onSignal((signal) => {
      void this.interrupted(signal);
    });
    let code = 1;
    let keepIt = false;
    try {
      const summary = await this.steps();
      code = exitCodeOf(summary);
      keepIt = this.opts.keep;
    } catch (err) {
      this.narrator.end();
      this.say(`demo failed: ${(err as Error).message}`);
      code = 1;
    } finally {
      await this.finish(keepIt, code);
      removeHooks();
    }
    return code;
  }

  private async interrupted(signal: NodeJS.Signals): Promise<void> {
    this.stopTable();
    this.narrator.end();
    this.screen.close();
    const n = this.cluster.running().length;
    process.stdout.write(`\nresp-elect demo: ${signal}: stopping ${n} processes\n`);
    await this.cluster.killAll();
    rmSync(this.dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }

  private async finish(keep: boolean, code: number): Promise<void> {
    this.stopTable();
    this.narrator.end();
    await this.writer?.stop().catch(() => {});
    this.screen.close();
    if (keep) {
      const kept = this.cluster.release();
      const stop = writeStopScript(this.dir, kept);
      this.say('');
      for (const l of keepInstructions(this.cluster, this.currentPrimary(), stop, MASTER_NAME)) this.say(l);
      this.cluster.stopFollowing();
      return;
    }
    const n = this.cluster.running().length;
    await this.cluster.killAll();
    this.cluster.stopFollowing();
    const left = this.cluster.running().length;
    const started = this.cluster.started;
    this.say('');
    this.say(`Stopped ${n} processes; ${left === 0 ? 'nothing left running' : `${left} STILL RUNNING`} (started: ${started.map((s) => `${s.name.replace(' ', ':')}=${s.pid}`).join(' ')})`);
    if (code === 0) rmSync(this.dir, { recursive: true, force: true });
    else this.say(`Logs kept for a look: ${this.dir}/n*/sidecar.log and redis.log`);
  }

  // ---------------------------------------------------------------------------

  private async steps(): Promise<DemoSummary> {
    const o = this.opts;
    const fault = FAULTS[o.fault];
    const quorum = this.cluster.quorum;
    this.say(`resp-elect demo: ${o.nodes} nodes, fault: ${o.fault}, --down-after-ms ${o.downAfterMs}, quorum ${quorum}`);
    this.say(`  working directory ${this.dir}`);
    if (fault.note) this.say(`  NOTE: ${fault.note}`);
    this.say('');

    // 1. The cluster.
    this.say(`1. Starting ${o.nodes} redis-servers and ${o.nodes} sidecars (resp-elect run --bootstrap-primary n1 --log-format json)`);
    await this.cluster.start();
    for (const n of this.cluster.nodes) {
      this.say(`   ${n.id}: redis-server 127.0.0.1:${n.redisPort} (pid ${n.redis!.pid}), sidecar 127.0.0.1:${n.sidecarPort} (pid ${n.sidecar!.pid})`);
    }
    this.startTable();
    const all = this.cluster.nodes.map((n) => n.id);
    const setupTimeout = 20_000 + o.downAfterMs * 10;
    await waitFor(() => this.writablePrimary(), { what: 'a writable primary', timeoutMs: setupTimeout });
    const first = await this.settled(all, true, 'every replica in sync with a writable primary', setupTimeout);
    this.say(`   primary ${first} (epoch ${this.recorder.node(first).epoch}), ${all.length - 1} replicas in sync, ${Date.now() - this.t0} ms after start`);
    await this.snapshot();

    // 2. The writer.
    const replicas = quorum - 1;
    this.say('');
    this.say(`2. Writer: ioredis in Sentinel mode (sentinels: ${this.cluster.nodes.map((n) => n.sidecarPort).join(', ')}; name: ${MASTER_NAME}), SET then WAIT ${replicas} 200; a write counts only when acknowledged`);
    this.writer = new AckWriter({
      sentinels: this.cluster.nodes.map((n) => ({ host: HOST, port: n.sidecarPort })),
      masterName: MASTER_NAME,
      replicas,
      waitTimeoutMs: 200,
      intervalMs: 5,
      keyPrefix: `demo:${process.pid}:${this.t0}:`,
      onRecord: (w) => {
        this.recorder.addWrite(w);
        this.narrator.write(w);
      },
    });
    this.writer.start();
    await waitFor(() => this.writer!.acked.length > 0, { what: 'a first acknowledged write', timeoutMs: 10_000 });
    await sleep(o.warmupMs);
    this.say(`   ${this.writer.acked.length} writes acknowledged so far`);

    // 3. The fault.
    const victim = this.cluster.node(this.writablePrimary() ?? first);
    this.say('');
    this.say(`3. Fault on the primary ${victim.id}: ${fault.describe(victim)}`);
    const faultAt = Date.now();
    this.marks.push({ t: faultAt, label: `${o.fault} ${victim.id}` });
    this.narrator.begin(faultAt);
    this.narrator.say(faultAt, victim.id, fault.describe(victim));
    await fault.inject(this.cluster, victim, this.recorder);
    const survivors = all.filter((id) => id !== victim.id);
    const failoverTimeout = o.downAfterMs * 10 + 10_000;
    let failoverOk = false;
    try {
      await waitFor(() => this.writablePrimary(victim.id, faultAt), { what: 'a new writable primary', timeoutMs: failoverTimeout });
      await this.settled(survivors, false, 'the other replicas following the new primary', failoverTimeout, victim.id);
      await this.writerBack(faultAt, victim.id, failoverTimeout);
      failoverOk = true;
    } catch (err) {
      this.narrator.end();
      this.say(`   FAILOVER DID NOT COMPLETE: ${(err as Error).message}`);
    }
    await this.endPhase();
    const failover = this.analyze(faultAt, victim.id, survivors);
    if (failoverOk) this.describePhase('failover', failover, faultAt);
    await this.snapshot();

    // 4. The old node comes back.
    let rejoin = { ok: false, text: 'not attempted (the failover did not complete)' };
    if (failoverOk && failover.newPrimary) {
      this.say('');
      const rejoinAt = Date.now();
      this.say(`4. ${fault.recoverTitle(victim)}`);
      this.marks.push({ t: rejoinAt, label: `${fault.recoverWord} ${victim.id}` });
      this.narrator.begin(rejoinAt);
      try {
        await fault.recover(this.cluster, victim, this.recorder, (text) => this.narrator.say(Date.now(), victim.id, text));
        const p = await waitFor(
          async () => (this.recorder.node(victim.id).role === 'replica' ? this.settled(all, false, '', 0).catch(() => undefined) : undefined),
          { what: `${victim.id} in sync as a replica`, timeoutMs: 20_000 + o.downAfterMs * 5 },
        );
        const took = Date.now() - rejoinAt;
        this.narrator.say(Date.now(), victim.id, `in sync: a replica of ${p}`);
        await this.endPhase();
        rejoin = { ok: true, text: `${victim.id} back as a replica of ${p}, in sync ${took} ms after the ${fault.recoverWord}` };
        this.say(`   ${rejoin.text}`);
      } catch (err) {
        this.narrator.end();
        rejoin = { ok: false, text: `FAILED: ${(err as Error).message}` };
        this.say(`   rejoin ${rejoin.text}`);
      }
      await this.snapshot();
    }

    // 5. Planned switchover.
    let switchover: DemoSummary['switchover'] = { status: 'skipped', text: 'skipped' };
    if (!o.switchover) {
      switchover = { status: 'skipped', text: 'skipped (--no-switchover)' };
    } else if (!failoverOk || !rejoin.ok) {
      switchover = { status: 'skipped', text: 'skipped (an earlier step failed)' };
    } else {
      switchover = await this.switchover(all);
    }

    // 6. Check every acknowledged write.
    await sleep(300);
    await this.writer.stop();
    this.stopTable();
    if (this.opts.tty) {
      // The last table stays on screen above the verification and the summary.
      this.screen.live(await this.tableLines());
      this.screen.close();
    }
    this.say('');
    const finalPrimary = this.writablePrimary();
    this.say(`6. Writer stopped. Reading every acknowledged key back from the final primary ${finalPrimary ?? '(none!)'}`);
    let lost: number | undefined;
    if (finalPrimary) {
      const asked = this.cluster.nodes.find((n) => n.id !== finalPrimary && this.recorder.node(n.id).proc === 'up') ?? this.cluster.node(finalPrimary);
      const said = await masterAddrByName(HOST, asked.sidecarPort, MASTER_NAME);
      const id = this.cluster.nodeByRedisPort(said?.port)?.id;
      this.say(`   SENTINEL get-master-addr-by-name ${MASTER_NAME} on ${asked.id}'s sidecar: ${said ? `${said.host}:${said.port} (${id ?? '?'})` : 'no answer'}${id === finalPrimary ? ', agreed' : ', DISAGREES'}`);
    }
    if (finalPrimary) {
      const port = this.cluster.node(finalPrimary).redisPort;
      const acked = this.writer.acked;
      if (this.opts.loseWrite && acked.length > 0) {
        const victimKey = acked[Math.floor(acked.length / 2)]!;
        await oneCommand({ host: HOST, port }, ['DEL', victimKey], 2000);
        this.say(`   SELF-TEST (--self-test-lose-write): deleted the acknowledged key ${victimKey} before the check`);
      }
      try {
        const missing = await missingKeys({ host: HOST, port }, acked);
        lost = missing.length;
        this.say(`   ${acked.length} acknowledged keys checked on ${finalPrimary}: ${missing.length === 0 ? 'all present' : `${missing.length} MISSING (first: ${missing.slice(0, 3).join(', ')})`}`);
      } catch (err) {
        this.say(`   could not check: ${(err as Error).message}`);
      }
    }

    const w = this.writer;
    const overall = longestAckGap(this.recorder.writes);
    const summary: DemoSummary = {
      fault: o.fault,
      faultText: fault.describe(victim).replace(/ \(pid \d+\)/g, ''),
      oldPrimary: victim.id,
      newPrimary: failover.newPrimary,
      failoverCompleted: failoverOk,
      failoverMs: failover.writableAt !== undefined ? failover.writableAt - faultAt : undefined,
      writeUnavailableMs: overall?.ms,
      acked: w.acked.length,
      unacked: w.unacked,
      errors: w.errors,
      lost,
      finalPrimary,
      rejoin,
      switchover,
      replicasWaited: replicas,
    };
    this.say('');
    for (const l of formatSummary(summary)) this.say(l);
    if (o.svg) this.writeSvg(o.svg, faultAt);
    return summary;
  }

  private async switchover(all: string[]): Promise<DemoSummary['switchover']> {
    const from = this.writablePrimary();
    if (!from) return { status: 'failed', text: 'FAILED: no writable primary to switch over from' };
    const node = this.cluster.node(from);
    this.say('');
    this.say(`5. Planned switchover: redis-cli -p ${node.sidecarPort} SENTINEL FAILOVER ${MASTER_NAME}  (asked of ${from}'s sidecar)`);
    const at = Date.now();
    this.marks.push({ t: at, label: 'switchover' });
    this.narrator.begin(at);
    this.narrator.say(at, 'demo', `SENTINEL FAILOVER ${MASTER_NAME}`);
    try {
      const reply = await sentinelFailover(HOST, node.sidecarPort, MASTER_NAME);
      this.narrator.say(Date.now(), from, `replied ${reply}`);
      await waitFor(() => this.writablePrimary(from, at), { what: 'the switchover target to become a writable primary', timeoutMs: this.opts.downAfterMs * 5 + 10_000 });
      const to = await this.settled(all, false, 'every replica following the new primary', 20_000, from);
      await this.writerBack(at, from, 10_000);
      await this.endPhase();
      const r = this.analyze(at, from, all.filter((id) => id !== to));
      this.describePhase('switchover', r, at);
      const gap = r.gap ? `, longest write gap ${r.gap.ms} ms` : '';
      return { status: 'done', text: `${from} -> ${to}, writable after ${r.writableAt !== undefined ? r.writableAt - at : '?'} ms${gap}` };
    } catch (err) {
      this.narrator.end();
      const text = `FAILED: ${(err as Error).message}`;
      this.say(`   switchover ${text}`);
      return { status: 'failed', text };
    }
  }

  /**
   * Until some node is a writable primary (not `not`) and every other node of
   * `members` replicates from it, caught up (`exact`: same offset). The
   * primary is looked up again on every poll: a busy machine can cost an
   * extra election, and waiting for a primary that is gone would hang.
   * Returns the primary's id. With timeoutMs 0, one check (throws if not yet).
   */
  private async settled(members: readonly string[], exact: boolean, what: string, timeoutMs: number, not?: string): Promise<string> {
    const check = async () => {
      const p = this.writablePrimary(not);
      return p !== undefined && (await this.cluster.inSync(p, members, exact)) ? p : undefined;
    };
    if (timeoutMs === 0) {
      const p = await check();
      if (p === undefined) throw new Error(`not yet: ${what}`);
      return p;
    }
    return waitFor(check, { what, timeoutMs });
  }

  /** Until an acknowledged write, after `since`, reached the current writable primary (not `not`). */
  private async writerBack(since: number, not: string, timeoutMs: number): Promise<void> {
    await waitFor(
      () => {
        const p = this.writablePrimary(not);
        const port = p === undefined ? undefined : this.cluster.node(p).redisPort;
        return port !== undefined && this.recorder.writes.some((w) => w.t > since && w.result === 'acked' && w.port === port);
      },
      { what: 'the writer back on the new primary', timeoutMs },
    );
  }

  /** Let the last log lines of a phase arrive, then print them. */
  private async endPhase(): Promise<void> {
    await sleep(150);
    this.cluster.pollLogs();
    this.narrator.end();
  }

  private analyze(start: number, oldPrimary: string, replicasOf: string[]): PhaseResult {
    return analyzePhase({
      start,
      oldPrimary,
      milestones: this.recorder.milestones,
      writes: this.recorder.writes,
      replicas: (p) => replicasOf.filter((id) => id !== p),
      redisPort: (id) => this.cluster.node(id).redisPort,
    });
  }

  private describePhase(what: string, r: PhaseResult, ref: number): void {
    this.say(`   ${describePhase(what, r, ref)}`);
  }

  /** The node that is a writable primary now (other than `not`, having become so after `since`). */
  private writablePrimary(not?: string, since?: number): string | undefined {
    this.cluster.pollLogs();
    for (const [id, s] of this.recorder.nodes) {
      if (id === not || !s.writable) continue;
      if (since !== undefined && !this.recorder.milestones.some((m) => m.kind === 'writable' && m.node === id && m.t >= since)) continue;
      return id;
    }
    return undefined;
  }

  private currentPrimary(): string | undefined {
    return this.writablePrimary();
  }

  // ---------------------------------------------------------------------------
  // Table

  private async tableLines(): Promise<string[]> {
    const views = await this.cluster.readAll();
    const rows = this.cluster.nodes.map((n) =>
      buildRow({
        id: n.id,
        redisPort: n.redisPort,
        state: this.recorder.node(n.id),
        view: this.recorder.node(n.id).proc === 'down' ? undefined : views.get(n.id),
        idOfPort: (port) => this.cluster.nodeByRedisPort(port)?.id,
        members: this.cluster.nodes.length,
      }),
    );
    const w = this.writer;
    const writerLine = w ? `  writer: ${w.acked.length} acknowledged, ${w.unacked} unacknowledged, ${w.errors} failed` : '  writer: not started';
    return ['', ...renderTable(rows), writerLine];
  }

  private startTable(): void {
    if (!this.opts.tty) return;
    let busy = false;
    const draw = async () => {
      if (busy) return;
      busy = true;
      try {
        this.screen.live(await this.tableLines());
      } finally {
        busy = false;
      }
    };
    void draw();
    this.tableTimer = setInterval(() => void draw(), 200);
  }

  private stopTable(): void {
    if (this.tableTimer) clearInterval(this.tableTimer);
    this.tableTimer = undefined;
  }

  private async snapshot(): Promise<void> {
    if (this.opts.tty) return;
    this.screen.snapshot(await this.tableLines());
  }

  private writeSvg(file: string, faultAt: number): void {
    const writes = this.recorder.writes;
    const from = Math.min(writes[0]?.t ?? faultAt, faultAt) - 200;
    const to = Math.max(writes.at(-1)?.t ?? faultAt, ...this.recorder.milestones.map((m) => m.t)) + 200;
    const svg = renderSvg({
      title: `resp-elect demo: ${this.opts.nodes} nodes, fault ${this.opts.fault}, down-after-ms ${this.opts.downAfterMs}`,
      ref: faultAt,
      from,
      to,
      lanes: this.cluster.nodes.map((n) => ({ id: n.id, history: this.recorder.node(n.id).history })),
      writes,
      marks: this.marks,
    });
    const path = resolve(file);
    writeFileSync(path, svg);
    this.say(`Timeline written to ${path}`);
  }
}
