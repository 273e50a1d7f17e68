/**
 * The commands of the data-driven Elector scenarios (test/elector/scenarios/*.txt).
 * Each returns the text the golden file holds below it. Durations are `300ms`
 * or `2s`; nodes are member ids.
 *
 *   cluster n1 n2 n3 [bootstrap=n1] [witness=w] [priority=n2:0] [data-memory-ms=0] [disable=rule,…]
 *   settle                      run until one lease holder is followed by everyone; prints who, when
 *   run 300ms [fold|quiet] [verbose]  advance time; prints what was sent (HB/LEASE/LEASEACK/CONFVER only if verbose) and every event
 *   run-until leader[=n2] [max=5s] [fold]      …until a single lease holder (that one) is followed by everyone
 *   run-until lease[=n2] [max=5s] [fold]       …until a single node (that one) holds a lease
 *   run-until n3:prevote-start [max=5s] [fold] …until that node emits that event type
 *   cut n1-n2 | cut n2>n3 | isolate n1 | partition n1 | n2 n3 | slow n3>n1 100ms | heal
 *   set-offset n1=100 n2=100    the modelled redis offset, fed to each Elector every step
 *   unhealthy n1 | healthy n1   the modelled redis health
 *   crash n1 | restart n1       a restart loses memory and keeps the vote store and the data
 *   fail-save n1                the next vote-store save of n1 fails
 *   handoff n1 n3               a planned switchover from n1 to n3
 *   send n3->n1 ANNOUNCE e5 primary=n2    hand a made-up message to n1 now
 *   state                       one line per node: role, epoch, vote, primary, lease, writes, offset
 *   safety                      one winner per epoch and never two leases at once, or what broke
 *
 * `fold` prints each distinct line once, in order of first appearance, with
 * a count and without times (the numbers in `N ms` masked), so a 30 s run of
 * refused rounds reads as the rule at work rather than 300 lines.
 */
import { SAFETY_RULES, type ElectionMessage, type MemberSpec, type SafetyRule } from '../../src/index.js';
import { FAST } from './harness.js';
import { ScenarioCluster, type TranscriptLine } from './scenario-cluster.js';

export class ScenarioError extends Error {}

interface Args {
  name: string;
  positional: string[];
  named: Map<string, string>;
}

function parse(command: string): Args {
  const [name, ...rest] = command.split(/\s+/);
  const args: Args = { name: name!, positional: [], named: new Map() };
  for (const w of rest) {
    const eq = w.indexOf('=');
    if (eq > 0) args.named.set(w.slice(0, eq), w.slice(eq + 1));
    else args.positional.push(w);
  }
  return args;
}

function duration(s: string | undefined, what: string): number {
  const m = s === undefined ? null : /^(\d+)(ms|s)$/.exec(s);
  if (!m) throw new ScenarioError(`${what}: expected a duration like 300ms or 2s, got ${s ?? 'nothing'}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

function link(s: string | undefined): { from: string; to: string; both: boolean } {
  const m = s === undefined ? null : /^(\w+)([->])(\w+)$/.exec(s);
  if (!m) throw new ScenarioError(`expected a link like n1-n2 (both ways) or n1>n2 (one way), got ${s ?? 'nothing'}`);
  return { from: m[1]!, to: m[3]!, both: m[2] === '-' };
}

export class ScenarioRunner {
  private cluster: ScenarioCluster | undefined;

  /** Runs one command and returns its output (never empty, never with a blank line). */
  run(command: string): string {
    const a = parse(command);
    if (a.name === 'cluster') return this.create(a);
    const c = this.cluster;
    if (!c) throw new ScenarioError(`'${a.name}' before 'cluster'`);
    switch (a.name) {
      case 'settle':
        return this.settle(c);
      case 'run': {
        const mark = c.transcript.length;
        const end = c.now + duration(a.positional[0], 'run');
        while (c.now < end) c.step();
        return this.show(c.transcript.slice(mark), a);
      }
      case 'run-until':
        return this.runUntil(c, a);
      case 'cut':
        for (const p of a.positional) {
          const l = link(p);
          c.cut(l.from, l.to);
          if (l.both) c.cut(l.to, l.from);
        }
        return 'ok';
      case 'isolate':
        for (const id of a.positional) for (const other of c.nodes.keys()) if (other !== id) (c.cut(id, other), c.cut(other, id));
        return 'ok';
      case 'partition': {
        // Every link between the groups, both ways; members left out of every group keep their links.
        const groups = command.replace(/^partition\s+/, '').split('|').map((g) => g.trim().split(/\s+/).filter(Boolean));
        if (groups.length < 2 || groups.some((g) => g.length === 0)) throw new ScenarioError('partition: expected groups like  n1 | n2 n3');
        for (const [i, g] of groups.entries())
          for (const h of groups.slice(i + 1)) for (const x of g) for (const y of h) (c.cut(x, y), c.cut(y, x));
        return 'ok';
      }
      case 'slow': {
        const l = link(a.positional[0]);
        c.slowLink(l.from, l.to, duration(a.positional[1], 'slow'));
        return 'ok';
      }
      case 'heal':
        c.heal();
        return 'ok';
      case 'set-offset':
        for (const [id, v] of a.named) c.node(id).offset = Number(v);
        return 'ok';
      case 'healthy':
      case 'unhealthy':
        for (const id of a.positional) c.node(id).healthy = a.name === 'healthy';
        return 'ok';
      case 'crash':
        for (const id of a.positional) c.crash(id);
        return 'ok';
      case 'restart': {
        const mark = c.transcript.length;
        for (const id of a.positional) c.restart(id);
        return this.show(c.transcript.slice(mark), a);
      }
      case 'fail-save':
        for (const id of a.positional) c.node(id).store.failNextSaves = 1;
        return 'ok';
      case 'handoff': {
        const [from, to] = a.positional;
        const mark = c.transcript.length;
        try {
          c.node(from!).e.handOff(to!, c.now);
        } catch (err) {
          return `error: ${(err as Error).message}`;
        }
        return this.show(c.transcript.slice(mark), a);
      }
      case 'send': {
        const l = link(a.positional[0]?.replace('->', '>'));
        const mark = c.transcript.length;
        c.inject(l.from, l.to, message(l.from, a));
        return this.show(c.transcript.slice(mark), a);
      }
      case 'state':
        return [...c.nodes.values()]
          .map((n) => {
            if (!n.alive) return `${n.id} down`;
            const s = n.e.snapshot(c.now);
            return `${n.id} ${s.role} epoch=${s.epoch} voted=${s.votedFor ?? '-'} primary=${s.currentPrimary ?? '-'} lease=${s.hasLease} writes=${s.writesAllowed} offset=${n.offset}`;
          })
          .join('\n');
      case 'safety': {
        const problems: string[] = [];
        for (const [epoch, set] of c.winners) if (set.size > 1) problems.push(`epoch ${epoch} has ${set.size} winners: ${[...set].join(',')}`);
        if (c.overlaps.length > 0) problems.push(`two leases at once ${c.overlaps.length} times, first at t=${c.overlaps[0]!.t}: ${c.overlaps[0]!.holders.join(',')}`);
        return problems.length > 0 ? problems.join('\n') : 'safe: one winner per epoch, never two leases at once';
      }
      default:
        throw new ScenarioError(`unknown command '${a.name}'`);
    }
  }

  private create(a: Args): string {
    const members: MemberSpec[] = a.positional.map((id) => ({ id }));
    if (members.length === 0) throw new ScenarioError('cluster: name the members');
    for (const w of (a.named.get('witness') ?? '').split(',').filter(Boolean)) members.push({ id: w, witness: true });
    for (const p of (a.named.get('priority') ?? '').split(',').filter(Boolean)) {
      const [id, prio] = p.split(':');
      const m = members.find((x) => x.id === id);
      if (!m) throw new ScenarioError(`cluster: priority for unknown member ${id}`);
      m.priority = Number(prio);
    }
    const disabled = (a.named.get('disable') ?? '').split(',').filter(Boolean) as SafetyRule[];
    for (const r of disabled) if (!SAFETY_RULES.includes(r)) throw new ScenarioError(`cluster: unknown safety rule ${r}`);
    const config = { ...FAST };
    if (a.named.has('data-memory-ms')) config.dataMemoryMs = Number(a.named.get('data-memory-ms'));
    this.cluster = new ScenarioCluster({ members, bootstrap: a.named.get('bootstrap'), config, disabledRules: disabled });
    return 'ok';
  }

  private settle(c: ScenarioCluster): string {
    const start = c.now;
    while (c.settledLeader() === undefined) {
      if (c.now - start > 5000) throw new ScenarioError('settle: no leader followed by everyone within 5 s');
      c.step();
    }
    const leader = c.settledLeader()!;
    return `t=${c.now} ${leader} leads epoch ${c.node(leader).e.epoch}, followed by everyone`;
  }

  private runUntil(c: ScenarioCluster, a: Args): string {
    const cond = a.positional.find((w) => !['fold', 'verbose', 'quiet'].includes(w)) ?? '';
    const max = a.named.has('max') ? duration(a.named.get('max'), 'max') : 10_000;
    let done: () => boolean;
    const want = a.named.get('leader');
    if (cond === 'leader' || (cond === '' && a.named.has('leader'))) {
      done = () => {
        const l = c.settledLeader();
        return l !== undefined && (want === undefined || l === want);
      };
    } else if (cond === 'lease' || (cond === '' && a.named.has('lease'))) {
      const holder = a.named.get('lease');
      done = () => {
        const h = c.leaseHolders();
        return h.length === 1 && (holder === undefined || h[0] === holder);
      };
    } else if (/^\w+:[\w-]+$/.test(cond)) {
      const [id, type] = cond.split(':') as [string, string];
      const seen = c.node(id).events.length;
      done = () => c.node(id).events.slice(seen).some((e) => e.type === type);
    } else throw new ScenarioError(`run-until: expected 'leader', 'leader=<id>', 'lease', 'lease=<id>' or '<node>:<event type>', got '${cond}'`);
    const mark = c.transcript.length;
    const start = c.now;
    let timedOut = false;
    while (!done()) {
      if (c.now - start >= max) {
        timedOut = true;
        break;
      }
      c.step();
    }
    const out = this.show(c.transcript.slice(mark), a);
    return timedOut ? `${out === 'ok' ? '' : `${out}\n`}timed out after ${max} ms` : out;
  }

  private show(lines: TranscriptLine[], a: Args): string {
    if (a.positional.includes('quiet')) return 'ok';
    const shown = lines.filter((l) => a.positional.includes('verbose') || !l.chatter);
    if (shown.length === 0) return 'ok';
    if (!a.positional.includes('fold')) return shown.map((l) => `t=${l.t} ${l.text}`).join('\n');
    const counts = new Map<string, number>();
    for (const l of shown) {
      const key = l.text.replace(/\d+ ms\b/g, 'N ms');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([text, n]) => (n > 1 ? `${text}  (×${n})` : text)).join('\n');
  }
}

/** A message from the compact form: `PREVOTE e2 off=10 data-epoch=1`, `ANNOUNCE e5 primary=n2`… */
function message(from: string, a: Args): ElectionMessage {
  const [type, e] = a.positional.slice(1);
  const epoch = e && /^e\d+$/.test(e) ? Number(e.slice(1)) : NaN;
  if (!Number.isSafeInteger(epoch)) throw new ScenarioError(`send: expected an epoch like e3 after the verb, got ${e ?? 'nothing'}`);
  const n = (k: string, dflt = 0) => (a.named.has(k) ? Number(a.named.get(k)) : dflt);
  switch (type) {
    case 'PREVOTE':
      return { type, epoch, candidateId: from, replOffset: n('off'), dataEpoch: n('data-epoch') };
    case 'OFFER':
      return { type, epoch, candidateId: from, replOffset: n('off') };
    case 'ANNOUNCE':
      return { type, epoch, primaryId: a.named.get('primary') ?? from, primaryAddr: '10.9.9.9:1' };
    case 'LEASE':
      return { type, epoch, primaryId: from, seq: n('seq', 1) };
    default:
      throw new ScenarioError(`send: ${type ?? 'nothing'} is not supported (PREVOTE, OFFER, ANNOUNCE, LEASE)`);
  }
}
