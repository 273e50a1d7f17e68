/**
 * Jepsen-style chaos suite on real processes (see lab/bench/chaos.ts).
 *
 *   npm run chaos -- [--runs 10] [--time 8] [--nodes 5] [--seed 1]
 *       [--systems resp-elect,sentinel] [--sentinel-runs N] [--down-after 500]
 *       [--runs-per-cluster 10] [--out bench/results.md] [--smoke]
 *       [--netns [--netns-prefix rc-]] [--faults process,partition,membership,kill-ctl,...]
 *       [--section chaos] [--keep-logs] [--verbose]
 *   npm run chaos -- --netns-cleanup [--netns-prefix rc-]
 *
 * --netns (root only): every node (redis-server + sidecar or sentinel) in its
 * own network namespace, with a DATA network (replication, peers, clients;
 * partitioned by the nemesis) and a MANAGEMENT network (the driver's probes;
 * never partitioned): see lab/bench/netns.ts. The script creates the
 * namespaces, re-executes itself inside the driver namespace `<prefix>ctl`,
 * and removes every namespace (and every process in them) on exit, Ctrl-C
 * or SIGTERM. It refuses to start when namespaces with the prefix exist;
 * --netns-cleanup removes them. Nothing in the root namespace is touched.
 *
 * --faults membership (= member-change; resp-elect only, never in the default
 * pool): a live replica is removed with `resp-elect member remove` and added
 * back wiped, the README way (lab/bench/member-change.ts). Such a report is a
 * subsection: give it its own markers with `--section chaos-membership`.
 *
 * Run k uses seed `seed + k`: `--seed S --runs 1` replays run k of a larger
 * batch started with seed S - k. A cluster is reused for `--runs-per-cluster`
 * consecutive runs (each run ends healed and verified); every run checks all
 * writes acknowledged on that cluster so far.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { makeDeployment, REPO_ROOT, type Deployment, type SystemKind } from '../lab/bench/deploy.js';
import { chaosRun, emptyRunResult, FAULTS, isMemberFault, isPartition, PARTITION_FAULTS, parseFaults, progress, supports, type Fault, type RunResult } from '../lab/bench/chaos.js';
import { createLab, DEFAULT_LAB, destroyLab, driverNs, LAB_ENV, labNamespaces, labUnsupported, type LabSpec } from '../lab/bench/netns.js';
import { runScript } from '../lab/proc/children.js';
import { fmt, machineInfo, parseArgs, summarize, table, writeSection } from '../lab/bench/stats.js';
import { copiesNeeded } from '../src/elector/membership.js';

const args = parseArgs(process.argv.slice(2));
const smoke = args.has('smoke');
const runs = Number(args.get('runs') ?? (smoke ? 1 : 10));
const timeMs = Number(args.get('time') ?? (smoke ? 5 : 8)) * 1000;
const nodes = Number(args.get('nodes') ?? 5);
const seed = Number(args.get('seed') ?? Date.now() % 100000);
const systems = (args.get('systems') ?? (smoke ? 'resp-elect' : 'resp-elect,sentinel')).split(',') as SystemKind[];
const sentinelRuns = Number(args.get('sentinel-runs') ?? runs);
const downAfterMs = Number(args.get('down-after') ?? 500);
const pollIntervalMs = 20;
const perCluster = Number(args.get('runs-per-cluster') ?? 10);
const out = args.get('out') ?? (smoke ? undefined : join(REPO_ROOT, 'bench', 'results.md'));
const verbose = args.has('verbose');
const faultFilter: Fault[] | undefined = args.get('faults') ? parseFaults(args.get('faults')!) : undefined;
const netns = args.has('netns');
const netnsPrefix = args.get('netns-prefix') ?? DEFAULT_LAB.prefix;
/** Set in the driver re-executed inside the lab: the lab it runs in. */
const lab: LabSpec | undefined = process.env[LAB_ENV] ? (JSON.parse(process.env[LAB_ENV]) as LabSpec) : undefined;

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);

// resp-elect timings derived from down-after (protocol.md §5.1).
const leaseMs = Math.round(downAfterMs * 0.6);
const maxDriftMs = Math.round(downAfterMs / 10);
const boundMs = leaseMs + pollIntervalMs + maxDriftMs;
const livenessBoundMs = 3 * downAfterMs + 2000;
const samplePeriodMs = 25;

/**
 * --netns, in the root namespace: create the lab, run this very script inside
 * the driver namespace, and remove the lab whatever happens.
 */
async function outer(): Promise<number> {
  const why = labUnsupported();
  if (why) throw new Error(`--netns: ${why}`);
  if (!/^[a-z][a-z0-9]{0,7}-$/.test(netnsPrefix)) throw new Error(`--netns-prefix must be 1-8 lowercase letters or digits and a dash, like rc-`);
  if (faultFilter?.some(isPartition) === false && faultFilter.length) log('--faults names no partition fault: only process faults will be injected');
  const spec: LabSpec = { ...DEFAULT_LAB, prefix: netnsPrefix, nodes };
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    destroyLab(spec.prefix);
  };
  // createLab refuses when namespaces with the prefix exist (another run's: never remove those) and removes
  // what it made when it fails half-way; it is synchronous, so no signal can come between it and the hook.
  createLab(spec);
  process.on('exit', destroy);
  log(`netns lab: namespaces ${spec.prefix}br, ${driverNs(spec)}, ${spec.prefix}n1..n${nodes}; data ${spec.dataNet}.0/24, management ${spec.mgmtNet}.0/24`);
  const child = spawn('ip', ['netns', 'exec', driverNs(spec), process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [LAB_ENV]: JSON.stringify(spec) },
  });
  let signalled: NodeJS.Signals | undefined;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) return;
      signalled = sig;
      // Let the driver stop its processes and write its report; the lab goes in any case after 10 s.
      child.kill('SIGTERM');
      setTimeout(() => {
        child.kill('SIGKILL');
        destroy();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }, 10_000).unref();
    });
  }
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      console.error(err);
      resolve(1);
    });
    child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 + 15 : 1)));
  });
  destroy();
  const left = labNamespaces(spec.prefix);
  if (left.length) console.error(`netns lab: could not remove ${left.join(', ')}`);
  return signalled ? (signalled === 'SIGINT' ? 130 : 143) : code;
}

async function main(): Promise<void> {
  const started = Date.now();
  setInterval(() => {
    if (Date.now() - progress.since > 30_000) log(`watchdog: phase "${progress.phase}" for ${Math.round((Date.now() - progress.since) / 1000)} s`);
  }, 10_000).unref();
  const machine = machineInfo();
  const pool = (faultFilter ?? (lab ? [...FAULTS, ...PARTITION_FAULTS.filter((f) => f !== 'ring' || nodes >= 5)] : [...FAULTS])).filter((f) => lab || !isPartition(f));
  if (!pool.length) throw new Error(`--faults ${args.get('faults')}: partition faults need --netns`);
  for (const kind of systems) {
    if (!pool.some((f) => supports({ kind, partitions: lab }, f))) throw new Error(`--faults ${args.get('faults')}: nothing ${kind} can take (member-change is resp-elect only: Sentinel has no membership change to inject)`);
  }
  const partitionsUsed = pool.filter(isPartition);
  const netnsNote = lab
    ? `Deployment: network namespaces (--netns), one per node, each with a DATA interface (replication, sidecar/sentinel peer traffic, the client workload) and a MANAGEMENT interface (the checker's probes; never partitioned, so an isolated redis is still observed); the driver has its own namespace on both networks. ` +
      (partitionsUsed.length
        ? `Partitions injected with nftables on the DATA network only: ${partitionsUsed.join(', ')} (isolate-primary: every packet on the primary's data interface dropped; majority-minority: ⌊n/2⌋ nodes, holding the primary with probability ≥ 0.6, cut from the rest; cut-link: one pair; one-way: packets from A to B dropped, B to A delivered (TCP across that link stalls both ways); ring: in a random cyclic order each node keeps only its links to its nearest neighbours, so every node sees a majority, no two the same), one partition at a time, then healed. The driver's clients are never cut from a node except by isolate-primary. Partitions excuse nothing.`
        : 'Partitions NOT injected in this run (--faults has no partition fault).')
    : 'Deployment: loopback (every process on 127.0.0.1 of one namespace): partitions NOT injected; process-level nemeses only (kill -9, SIGSTOP/SIGCONT, empty restart). Run with --netns (root) for network partitions.';
  log(`chaos: runs=${runs} time=${timeMs / 1000}s nodes=${nodes} seed=${seed} systems=${systems.join(',')} down-after=${downAfterMs} ms, fencing bound ${boundMs} ms, liveness bound ${livenessBoundMs} ms, faults ${pool.join(',')}`);
  log(netnsNote);
  const results: RunResult[] = [];
  for (const kind of systems) {
    const n = kind === 'sentinel' ? Math.min(sentinelRuns, runs) : runs;
    let d: Deployment | undefined;
    try {
      for (let run = 0; run < n; run++) {
        if (!d || run % perCluster === 0) {
          await d?.stop();
          d = undefined;
          // A busy machine sometimes fails a start (a port taken between picking and binding): retry with fresh ports.
          for (let attempt = 1; !d; attempt++) {
            const fresh = makeDeployment(kind, { nodes, downAfterMs, pollIntervalMs, keepDir: args.has('keep-logs'), lab });
            try {
              await fresh.start();
              d = fresh;
            } catch (err) {
              await fresh.stop().catch(() => undefined);
              if (attempt >= 3) throw err;
              log(`cluster start failed (attempt ${attempt}), retrying: ${(err as Error).message.slice(0, 200)}`);
            }
          }
          if (args.has('keep-logs')) log(`logs: ${d.dir}`);
        }
        let r: RunResult;
        try {
          r = await chaosRun(d, { timeMs, seed: seed + run, run, samplePeriodMs, boundMs, livenessBoundMs, settleTimeoutMs: smoke ? 20_000 : 60_000, faults: pool, log: verbose ? log : undefined });
        } catch (err) {
          // The harness itself failed (a restart that never finished): nothing verified; counted as not settled.
          r = { ...emptyRunResult(kind, run, seed + run), error: `harness: ${(err as Error).message}` };
        }
        results.push(r);
        // Keep the report current, so a long batch stopped early still leaves its table.
        if (out) writeSection(out, args.get('section') ?? 'chaos', report(results, machine, netnsNote, pool, (Date.now() - started) / 1000));
        const faults = r.log.map((e) => `${e.fault}@${e.node}${e.wasPrimary ? '*' : ''}+${e.t}/${e.durationMs}`).join(' ');
        const mc = r.memberChanges;
        const mcText = r.log.some((e) => isMemberFault(e.fault)) ? `, member changes: ${mc.removed} removed, ${mc.refused} refused, ${mc.added} added back (${mc.addedAtHeal} by the heal, ${mc.addRetries} add retries), ${mc.readded} voters again` : '';
        log(`${kind} run ${run} seed ${seed + run}: ${r.faults} faults (${r.partitionFaults} partitions)${mcText}, acked ${r.acked}, lost ${r.lost} (replicas ${r.lostOnReplicas})${r.beyondModel + r.beyondModelOnReplicas > 0 ? `, beyond the fault model ${r.beyondModel} (replicas ${r.beyondModelOnReplicas})` : ''}, overlap ${r.maxOverlapMs} ms (unfenced ${r.unfencedOverlapMs} ms), liveness ${fmt(r.livenessMs)} ms${r.worstOverlap ? ` [worst overlap ${r.worstOverlap}]` : ''}${r.error ? ` ERROR ${r.error}` : ''} | ${faults}`);
        if (r.error) {
          // A cluster that did not settle is replaced.
          await d.stop();
          d = undefined;
        }
      }
    } finally {
      await d?.stop();
    }
  }
  const md = report(results, machine, netnsNote, pool, (Date.now() - started) / 1000);
  if (out) writeSection(out, args.get('section') ?? 'chaos', md);
  console.log(md);
  const agg = (k: string) => results.filter((r) => r.system === k);
  const summary = Object.fromEntries(systems.map((k) => [k, { runs: agg(k).length, faults: agg(k).reduce((x, r) => x + r.faults, 0), partitionFaults: agg(k).reduce((x, r) => x + r.partitionFaults, 0), faultCounts: faultCounts(agg(k)), maxOverlapMs: Math.max(0, ...agg(k).map((r) => r.maxOverlapMs)), memberChanges: memberTotals(agg(k)), acked: agg(k).reduce((x, r) => x + r.acked, 0), lost: agg(k).reduce((x, r) => x + r.lost + r.lostOnReplicas, 0), beyondModel: agg(k).reduce((x, r) => x + r.beyondModel + r.beyondModelOnReplicas, 0), overlapsBeyondBound: agg(k).reduce((x, r) => x + r.overlapsBeyondBound, 0), livenessFailures: agg(k).filter((r) => !r.livenessOk).length, errors: agg(k).filter((r) => r.error).length }]));
  console.log(`RESULT ${JSON.stringify({ ...summary, mode: lab ? 'netns' : 'loopback' })}`);
}

/** The membership nemesis's counts over runs. */
function memberTotals(rs: RunResult[]): RunResult['memberChanges'] {
  const sum = (f: (m: RunResult['memberChanges']) => number) => rs.reduce((x, r) => x + f(r.memberChanges), 0);
  return { removed: sum((m) => m.removed), refused: sum((m) => m.refused), added: sum((m) => m.added), addedAtHeal: sum((m) => m.addedAtHeal), readded: sum((m) => m.readded), addRetries: sum((m) => m.addRetries) };
}

function faultCounts(rs: RunResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) for (const e of r.log) out[e.fault] = (out[e.fault] ?? 0) + 1;
  return out;
}

/** What the member-change nemesis does, and the WAIT it makes the writers use (resp-elect only). */
function memberChangeText(): string {
  const v = nodes;
  return (
    `**member-change** (resp-elect only; **Sentinel has no equivalent nemesis**: its membership is auto-discovery plus \`SENTINEL RESET\`, nothing a client can ask to commit, so Sentinel runs never draw it): ` +
    `\`resp-elect member remove\` of a live non-primary data member, as the CLI process, against a random live sidecar (a replica's forwards to the primary's; asked again through another live one, at most three in all, when the one asked dies before it answers); after the fault's duration the node comes back as a NEW member the README way: its sidecar stopped, its data directory wiped (vote.json, config.json), its redis restarted empty, \`member add\`, its sidecar started with \`--join\`; the fault ends when the primary has promoted it to voter. ` +
    `A refused or timed-out change is logged and is a legitimate outcome: what the cluster holds is read from the primary's \`MEMBER LIST\`; an add is retried until the heal phase, which re-adds any node still out, so every run ends with all ${v} nodes voters. One change at a time. ` +
    `WAIT follows README "Which WAIT n holds while a change is in flight": ⌊V/2⌋ + 1 = WAIT ${Math.floor(v / 2) + 1} from before \`member remove\` until the re-added node is a voter again (the out period, where ${v - 1} voters need only WAIT ${Math.floor((v - 1) / 2)}, included: a larger n is never less safe), WAIT ${Math.floor(v / 2)} otherwise. ` +
    `The wipe census counts copies on voters only (a removed node's or a learner's copy is on no majority; a node mid-change is counted both ways and only what both views excuse is excused); the wipe at the re-add takes no census, as it comes after the removal committed and no configuration that can still elect names the node. The wiped redis is a writable master until its --join sidecar takes it over, so overlaps with it count as unfenced until it is a voter.`
  );
}

function report(results: RunResult[], machine: string, netnsNote: string, pool: readonly Fault[], elapsed: number): string {
  // With membership changes it is a subsection of the chaos section (its own markers: --section), which compares both systems under the same faults.
  const heading = pool.some(isMemberFault) ? `### Chaos with membership changes (resp-elect only; ${lab ? 'network namespaces' : 'loopback'}${pool.some(isPartition) ? ', with partitions' : ''})` : `## Chaos: acknowledged writes under process faults${pool.some(isPartition) ? ' and network partitions' : ''}`;
  const md: string[] = [heading, ''];
  md.push(`Command: \`npm run chaos -- ${process.argv.slice(2).join(' ')}\` (${fmt(elapsed / 60, 1)} min, finished ${new Date().toISOString()}).`, '');
  md.push(machine, '');
  md.push(
    `Workload: two ioredis Sentinel-mode clients writing unique keys, each acknowledged only when \`WAIT ${Math.floor(nodes / 2)} 300\` reports ${Math.floor(nodes / 2)} replicas (majority − 1), against ${nodes} redis-servers with ${nodes} resp-elect sidecars (down-after ${downAfterMs} ms, poll ${pollIntervalMs} ms) or ${nodes} Sentinels (quorum ${Math.floor(nodes / 2) + 1}, same down-after). ` +
      `Nemesis (seeded, run k uses seed + k): every 0.3–1.3 × down-after, one of ${pool.join(', ')} on the primary (60 %) or a random node, lasting 0.3–2.5 × down-after, at most ${Math.floor(nodes / 2) >= 2 ? 2 : 1} faults at once${pool.some(isPartition) ? ' (a partition counts as one)' : ''}; "ctl" is the sidecar or the sentinel. Killed redis-servers come back empty (no persistence). ${netnsNote}`,
    '',
    ...(pool.some(isMemberFault) ? [memberChangeText(), ''] : []),
    `Checks after healing every process${lab ? ' and every partition' : ''}: every acknowledged write on the final primary and on every replica — except writes that wipes put **beyond the fault model**, counted in their own column: a killed redis-server loses its data, and an acknowledged write that a wipe leaves on fewer than n − majority + 1 = ${copiesNeeded(nodes)} other nodes can be outvoted by a majority holding no copy, under any majority-based protocol (the simulator's model, docs/simulation.md; lab/bench/wipe-census.ts takes a census of every node at each wipe, and a node that cannot answer counts as holding everything); **fencing**: a probe write every ${samplePeriodMs} ms on its own connection to each redis — two redis-servers accepting writes at the same time for longer than B = leaseMs + pollIntervalMs + maxDriftMs = ${leaseMs} + ${pollIntervalMs} + ${maxDriftMs} = ${boundMs} ms counts as a violation (overlaps where one side's sidecar was killed or frozen are listed apart: such a sidecar cannot fence, README "Fencing"; that redis is cut off from the replicas, so nothing it takes can be acknowledged); **liveness**: one writable primary named by every controller within L = 3 × down-after + 2 s = ${livenessBoundMs} ms of the last heal.`,
    '',
  );
  const rows = [...new Set(results.map((r) => r.system))].map((k) => {
    const rs = results.filter((r) => r.system === k);
    const live = summarize(rs.map((r) => r.livenessMs).filter(Number.isFinite));
    return [
      k,
      rs.length,
      rs.reduce((x, r) => x + r.faults, 0),
      rs.reduce((x, r) => x + r.partitionFaults, 0),
      rs.reduce((x, r) => x + r.acked, 0),
      rs.reduce((x, r) => x + r.lost, 0),
      rs.reduce((x, r) => x + r.lostOnReplicas, 0),
      rs.filter((r) => r.lost + r.lostOnReplicas > 0).length,
      `${rs.reduce((x, r) => x + r.beyondModel, 0)} / ${rs.reduce((x, r) => x + r.beyondModelOnReplicas, 0)} in ${rs.filter((r) => r.beyondModel + r.beyondModelOnReplicas > 0).length} runs`,
      `${Math.max(0, ...rs.map((r) => r.maxOverlapMs))} ms / ${rs.reduce((x, r) => x + r.overlapsBeyondBound, 0)}`,
      `${Math.max(0, ...rs.map((r) => r.unfencedOverlapMs))} ms`,
      `${fmt(live.median)} / ${fmt(live.max)} ms, ${rs.filter((r) => !r.livenessOk).length} over L`,
      rs.filter((r) => r.error).length,
    ];
  });
  md.push(table(['system', 'runs', 'faults', 'of which partitions', 'acked writes', 'lost on primary', 'missing on replicas', 'runs with loss', 'beyond the fault model: lost / missing on replicas', 'max dual-writable overlap / beyond B', 'max overlap with unfenceable (dead/frozen) ctl', 'liveness median / max', 'runs not settled'], rows), '');
  const kinds = [...new Set(results.map((r) => r.system))];
  const used = pool.filter((f) => results.some((r) => r.log.some((e) => e.fault === f)));
  if (used.length) {
    md.push('Faults injected, by kind:', '');
    md.push(table(['fault', ...kinds], used.map((f) => [f, ...kinds.map((k) => faultCounts(results.filter((r) => r.system === k))[f] ?? 0)])), '');
  }
  if (results.some((r) => r.log.some((e) => isMemberFault(e.fault)))) {
    md.push('Membership changes (member-change faults):', '');
    md.push(table(['system', 'member-change faults', 'removals committed', 'refused / not made', 'added back (member add + --join)', 'of which by the heal phase', 'voters again', 'member add retries'], kinds.map((k) => {
      const rs = results.filter((r) => r.system === k);
      const m = memberTotals(rs);
      return [k, faultCounts(rs)['member-change'] ?? 0, m.removed, m.refused, m.added, m.addedAtHeal, m.readded, m.addRetries];
    })), '');
  }
  const bad = results.filter((r) => r.lost + r.lostOnReplicas + r.beyondModel + r.beyondModelOnReplicas > 0 || r.overlapsBeyondBound > 0 || !r.livenessOk || r.error);
  if (bad.length) {
    md.push(`Runs with findings (replay with \`--seed <seed> --runs 1 --systems <system>${lab ? ' --netns' : ''}${faultFilter ? ` --faults ${args.get('faults')}` : ''}\`):`, '');
    for (const r of bad.slice(0, 30)) md.push(`- ${r.system} seed ${r.seed}: lost ${r.lost}+${r.lostOnReplicas}${r.beyondModel + r.beyondModelOnReplicas > 0 ? ` (beyond the fault model ${r.beyondModel}+${r.beyondModelOnReplicas})` : ''}, overlap ${r.maxOverlapMs} ms (${r.overlapsBeyondBound} beyond B${r.worstOverlap ? `: ${r.worstOverlap}` : ''}), liveness ${fmt(r.livenessMs)} ms${r.error ? `, error: ${r.error.slice(0, 800)}` : ''}; faults: ${r.log.map((e) => `${e.fault}@${e.node}${e.wasPrimary ? '*' : ''}`).join(' ')}`);
    if (bad.length > 30) md.push(`- … ${bad.length - 30} more`);
    md.push('');
  }
  return md.join('\n');
}

if (args.has('netns-cleanup')) {
  destroyLab(netnsPrefix);
  const left = labNamespaces(netnsPrefix);
  console.log(left.length ? `could not remove ${left.join(', ')}` : `no namespace with prefix ${netnsPrefix} left`);
  process.exit(left.length ? 1 : 0);
} else if (netns && !lab) {
  outer()
    .then((code) => process.exit(code))
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
} else {
  runScript(main);
}
