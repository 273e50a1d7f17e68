/**
 * The membership nemesis of the chaos suite (resp-elect only; Sentinel has no
 * equivalent): take a live data member out with `resp-elect member remove`
 * and bring it back as a NEW member the way the README says ("Adding,
 * removing and replacing a node"): stop its sidecar, wipe its data directory
 * (vote.json, config.json) and its redis (restart it empty), `member add` it,
 * start its sidecar with `--join`. `member add` / `remove` run as the CLI
 * process an operator runs, against any live sidecar (a replica's forwards to
 * the primary's).
 *
 * What the cluster holds is read from the primary's sidecar (`MEMBER LIST`:
 * only the primary knows whether its configuration is committed), never
 * assumed from a command's exit code: a change that timed out may or may not
 * have been made (README, "A change that fails").
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigReply, type ConfigReply } from '../../src/admin/member-reply.js';
import { spawnChild } from '../proc/children.js';
import { sleep } from '../util/wait.js';
import { type BenchNode, CLI, type RespElectDeployment } from './deploy.js';

export interface CliRun {
  code: number | null;
  /** stdout and stderr, for the log. */
  output: string;
}

/** `resp-elect member <args…> --sidecar <via> --wait <waitMs>` as its own process, to completion. */
export function memberCli(d: RespElectDeployment, via: BenchNode, args: string[], waitMs: number): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RESP_ELECT_')) env[k] = v;
  const argv = [d.opts.cli ?? CLI, 'member', ...args, '--sidecar', `${via.mgmtHost}:${via.ctlPort}`, '--wait', String(waitMs)];
  const child = spawnChild(`resp-elect member ${args[0]}`, process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env, group: false });
  let output = '';
  child.process.stdout!.setEncoding('utf8').on('data', (t: string) => (output += t));
  child.process.stderr!.setEncoding('utf8').on('data', (t: string) => (output += t));
  // The CLI gives the sidecar waitMs plus 5 s for forwarding; past that plus a start-up margin it is stuck.
  const timer = setTimeout(() => child.killSync(), waitMs + 15_000);
  return child.closed.then(({ code }) => {
    clearTimeout(timer);
    return { code, output: output.trim().replace(/\s+/g, ' ') };
  });
}

/** `MEMBER LIST` as the sidecar of `n` holds it, or undefined when it does not answer. */
export async function configAt(d: RespElectDeployment, n: BenchNode): Promise<ConfigReply | undefined> {
  if (!n.ctl?.running) return undefined;
  const r = await d.ctlCommand(n, ['MEMBER', 'LIST'], 1000);
  try {
    return r instanceof Error || r === undefined ? undefined : parseConfigReply(r);
  } catch {
    return undefined;
  }
}

/** The configuration of the primary's sidecar (the one that knows whether it is committed), or undefined when no primary answers. */
export async function primaryConfig(d: RespElectDeployment): Promise<ConfigReply | undefined> {
  for (const n of d.nodes) {
    const addr = await d.ctlPrimaryAddr(n);
    const p = addr === undefined ? undefined : d.nodeAt(addr);
    if (!p) continue;
    const cfg = await configAt(d, p);
    if (cfg && cfg.answeredBy === p.id) return cfg;
  }
  return undefined;
}

export type MemberKind = 'voter' | 'learner' | 'absent';

/** What `n` is in `cfg`. */
export function kindIn(cfg: ConfigReply, n: BenchNode): MemberKind {
  const m = cfg.members.find((x) => x.id === n.id);
  return m === undefined ? 'absent' : m.kind === 'voter' ? 'voter' : 'learner';
}

/** A sidecar to send a change to: any live one but `n`'s (a removed sidecar names no primary to forward to). */
export function via(d: RespElectDeployment, n: BenchNode, rand: () => number): BenchNode | undefined {
  const live = d.nodes.filter((m) => m !== n && m.ctl?.running);
  return live[Math.floor(rand() * live.length)];
}

/** The README's step before the re-add: stop the sidecar, delete its vote and configuration, restart its redis empty. */
export async function wipeNode(d: RespElectDeployment, n: BenchNode): Promise<void> {
  await n.ctl?.kill();
  const dir = d.dataDir(n);
  rmSync(join(dir, 'vote.json'), { force: true });
  rmSync(join(dir, 'config.json'), { force: true });
  await n.redis.kill('SIGKILL');
  await d.restoreRedis(n, undefined);
}

/** Sleep between two attempts of a change, never past `deadline`. */
export async function pause(ms: number, deadline: number): Promise<void> {
  await sleep(Math.max(0, Math.min(ms, deadline - Date.now())));
}

/** What the membership nemesis did in a run. */
export interface MemberChangeStats {
  /** Removals the primary committed. */
  removed: number;
  /** Removals refused or not made (the node stayed a voter): a legitimate outcome under other faults. */
  refused: number;
  /** Wiped nodes added back (`member add` committed, sidecar started with --join). */
  added: number;
  /** Of `added`, those only the heal phase got in (every attempt during the nemesis failed or came too late). */
  addedAtHeal: number;
  /** Wiped nodes that are voters again (promoted by the primary; during the run or at its heal). */
  readded: number;
  /** `member add` attempts that failed and were retried. */
  addRetries: number;
}

export function emptyMemberChangeStats(): MemberChangeStats {
  return { removed: 0, refused: 0, added: 0, addedAtHeal: 0, readded: 0, addRetries: 0 };
}

export interface MemberNemesisHooks {
  log?: (msg: string) => void;
  /** `changing` changed: the writers' WAIT follows it (protocol.md §5.12, "Which WAIT holds during a change"). */
  waitChanged(): void;
  /** The node's sidecar was down or not yet in charge of its redis in [from, to] (it cannot fence it). */
  unfenced(n: BenchNode, from: number, to: number): void;
}

/** The `member-change` fault, one at a time, and the heal that makes every node a voter again. */
export class MemberNemesis {
  /** Nodes that are not surely a full voter: from before their removal is asked until they are voters again. */
  readonly changing = new Set<BenchNode>();
  /** Nodes wiped for their re-add and not voters yet, with when. */
  private readonly wiped = new Map<BenchNode, number>();
  /** Wiped nodes whose `member add` went through. */
  private readonly added = new Set<BenchNode>();
  /** Set once the run's heal phase began (for {@link MemberChangeStats.addedAtHeal}). */
  healing = false;
  readonly stats = emptyMemberChangeStats();

  constructor(
    private readonly d: RespElectDeployment,
    private readonly rand: () => number,
    private readonly label: string,
    private readonly hooks: MemberNemesisHooks,
  ) {}

  private log(msg: string): void {
    this.hooks.log?.(`  ${this.label}: ${msg}`);
  }

  /**
   * The whole fault: remove `n`, leave it out `durationMs`, re-add it as a new member. Retries the
   * re-add until `deadline` (the run's heal phase); a node still out then stays in `changing` for
   * {@link ensureMember} at the heal.
   */
  async change(n: BenchNode, durationMs: number, deadline: number): Promise<void> {
    this.changing.add(n);
    this.hooks.waitChanged();
    const outcome = await this.remove(n);
    if (outcome === 'refused') {
      this.stats.refused += 1;
      this.changing.delete(n);
      this.hooks.waitChanged();
      return;
    }
    if (outcome === 'removed') this.stats.removed += 1;
    await sleep(durationMs);
    await this.ensureMember(n, deadline);
  }

  /** `member remove`, then what the primary holds: removed (committed), refused (still a voter), or unknown (no primary said). */
  private async remove(n: BenchNode): Promise<'removed' | 'refused' | 'unknown'> {
    // The sidecar asked can die under another fault before or while it answers; as an operator
    // would, ask another live one (at most three in all).
    for (let attempt = 1; ; attempt++) {
      const v = via(this.d, n, this.rand);
      if (!v) return 'refused';
      const r = await memberCli(this.d, v, ['remove', '--id', n.id], 10_000);
      if (r.code === 0) {
        this.log(`member remove ${n.id} via ${v.id}: committed`);
        return 'removed';
      }
      this.log(`member remove ${n.id} via ${v.id} failed (exit ${r.code}): ${r.output.slice(0, 300)}`);
      if (attempt >= 3 || !/could not connect|Connection is closed/.test(r.output)) break;
    }
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const cfg = await primaryConfig(this.d);
      const k = cfg && kindIn(cfg, n);
      if (k === 'voter') {
        this.log(`${n.id} is still a voter (configuration ${cfg!.version}, by ${cfg!.answeredBy}): the removal was not made`);
        return 'refused';
      }
      if (k === 'absent' && cfg!.committed) {
        this.log(`${n.id} is out all the same (configuration ${cfg!.version}, committed, by ${cfg!.answeredBy})`);
        return 'removed';
      }
      await sleep(200);
    }
    return 'unknown';
  }

  /**
   * Make `n` a voter again, whatever it is now (the primary's configuration says): absent from a
   * committed configuration → wipe it (once), `member add`, start its sidecar with --join; a learner
   * → wait for the primary to promote it; a voter → done (its sidecar running). Tries at least once,
   * then until `deadline`. Returns whether `n` is a voter with its sidecar running.
   */
  async ensureMember(n: BenchNode, deadline: number): Promise<'voter' | 'readded' | false> {
    for (let first = true; first || Date.now() < deadline; first = false) {
      const cfg = await primaryConfig(this.d);
      if (!cfg) {
        await pause(200, deadline);
        continue;
      }
      const k = kindIn(cfg, n);
      if (k === 'voter' && n.ctl?.running) {
        const wipedAt = this.wiped.get(n);
        this.wiped.delete(n);
        this.added.delete(n);
        this.changing.delete(n);
        this.hooks.waitChanged();
        if (wipedAt === undefined) return 'voter';
        this.hooks.unfenced(n, wipedAt, Date.now());
        this.stats.readded += 1;
        this.log(`${n.id} is a voter again (configuration ${cfg.version}), ${Date.now() - wipedAt} ms after its wipe`);
        return 'readded';
      }
      if (k === 'absent') {
        // Wipe only a node a committed configuration leaves out: a committed configuration is never
        // undone (§5.12), so the wiped vote and configuration can never be a voter's again.
        if (!cfg.committed) {
          await pause(200, deadline);
          continue;
        }
        if (!this.wiped.has(n)) {
          await wipeNode(this.d, n);
          this.wiped.set(n, Date.now());
          this.d.startJoining(n);
          this.log(`${n.id} wiped (sidecar stopped, vote.json and config.json deleted, redis restarted empty)`);
        }
        const v = via(this.d, n, this.rand);
        const r = v ? await memberCli(this.d, v, ['add', '--member', this.d.memberSpec(n)], 10_000) : { code: null, output: 'no live sidecar to ask' };
        if (r.code !== 0 && !/already a member/.test(r.output)) {
          this.stats.addRetries += 1;
          this.log(`member add ${n.id} via ${v?.id ?? '-'} failed (exit ${r.code}), retrying: ${r.output.slice(0, 300)}`);
          await pause(500, deadline);
          continue;
        }
        this.log(`member add ${n.id} via ${v!.id}: ${r.code === 0 ? 'committed' : 'already a member'}${this.healing ? ' (heal phase)' : ''}`);
        if (!this.added.has(n)) {
          this.added.add(n);
          this.stats.added += 1;
          if (this.healing) this.stats.addedAtHeal += 1;
        }
      }
      // A learner (or a voter whose sidecar is down): its sidecar must run, with --join once wiped.
      if (!n.ctl?.running) await this.d.restartCtl(n);
      await pause(200, deadline);
    }
    return false;
  }
}
