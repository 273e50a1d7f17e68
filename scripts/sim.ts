/**
 * The deterministic cluster simulator's command line.
 *
 *   npm run sim -- --seeds 100000 --scenario mixed --nodes 5      # long run, progress + summary
 *   npm run sim -- --seed 42 --scenario crash-primary --nodes 5   # replay one seed with its timeline
 *   npm run sim -- --seed 42 --scenario mixed --nodes 5 --faults 0,3   # replay a shrunk schedule
 *   npm run sim -- --seeds 2000 --scenario all --nodes 3,5,7 --disable-rule data-rule
 *   npm run sim -- --seeds 2000 --scenario membership --nodes 3 --born unagreed   # 3 -> 7 -> 3 members, born lists to agree first
 *   npm run sim -- --report                                       # figures for docs/simulation.md
 *
 * Exit status 1 when any invariant was violated.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SAFETY_RULES, type SafetyRule } from '../src/elector/safety-rules.js';
import { DATA_EPOCH_FEEDS, type DataEpochFeed } from '../lab/sim/data-epoch.js';
import { defaultParams } from '../lab/sim/params.js';
import { reportTable, runReport } from '../lab/sim/report.js';
import { replayCommand, summaryTable, sweep, type SweepSummary } from '../lab/sim/runner.js';
import { SCENARIOS, type ScenarioName } from '../lab/sim/scenarios.js';
import { shrink } from '../lab/sim/shrink.js';
import { runSeed, type RunResult, type RunSpec } from '../lab/sim/world.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('sim')
  .usage('$0 [options]: run the deterministic cluster simulator')
  .option('seeds', { type: 'number', default: 1000, describe: 'how many seeds to sweep' })
  .option('start', { type: 'number', default: 1, describe: 'first seed of the sweep' })
  .option('seed', { type: 'number', describe: 'replay this one seed and print its timeline' })
  .option('scenario', { type: 'string', default: 'mixed', choices: [...SCENARIOS, 'all'], describe: "fault scenario ('all' cycles through every one)" })
  .option('nodes', { type: 'string', default: '5', describe: 'cluster size, or a comma list cycled over seeds' })
  .option('hb-interval-ms', { type: 'number', describe: 'heartbeat interval of the simulated Elector (default 20, with downAfterMs 300; 60 is the production ratio, down-after / 5)' })
  .option('disable-rule', { type: 'string', array: true, choices: SAFETY_RULES as string[], describe: 'switch an Elector safety rule off (to see the simulator catch it)' })
  .option('faults', { type: 'string', describe: "with --seed: keep only these fault indices (comma list, or 'none')" })
  .option('max-violations', { type: 'number', default: 1, describe: 'stop the sweep after this many violations (0: never stop)' })
  .option('shrink', { type: 'boolean', default: true, describe: 'shrink a failing schedule to the fewest faults that still break it' })
  .option('window', { type: 'number', describe: 'timeline: ms shown before the violation (default 3 × downAfterMs)' })
  .option('full', { type: 'boolean', default: false, describe: 'print the whole timeline' })
  .option('verbose', { type: 'boolean', default: false, describe: 'timeline: include HB, LEASE, LEASEACK and peer up/down' })
  .option('progress', { type: 'number', default: 10, describe: 'seconds between progress lines' })
  .option('report', { type: 'boolean', default: false, describe: 'print the figures table (cluster sizes × fault kinds)' })
  .option('report-scale', { type: 'number', default: 1, describe: 'multiply the report seeds per cell' })
  .option('data-epoch', { type: 'string', default: 'marker', choices: DATA_EPOCH_FEEDS as string[], describe: 'the data epoch fed to the Elector: the epoch marker read from redis (as the sidecar does), or the exact one (cross-check)' })
  .option('born', { type: 'string', default: 'seed', choices: ['seed', 'agreed', 'unagreed'], describe: "born member lists: agreed already, not yet agreed (rule config-agreement), or as the seed draws (a quarter of the seeds with membership changes unagreed)" })
  .strict()
  .parseSync();

const params = defaultParams(argv['hb-interval-ms'] === undefined ? {} : { hbIntervalMs: argv['hb-interval-ms'] }, argv['data-epoch'] as DataEpochFeed);
const D = params.elector.downAfterMs;
const disabled = (argv['disable-rule'] ?? []) as SafetyRule[];
const unagreed = argv.born === 'seed' ? undefined : argv.born === 'unagreed';
const sizes = argv.nodes.split(',').map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 3 || n > 101)) {
  console.error(`--nodes: sizes must be integers from 3 to 101, got ${argv.nodes}`);
  process.exit(2);
}

function printTimeline(r: RunResult): void {
  const tl = r.timeline!;
  const to = r.violation ? r.violation.t : r.stats.simMs;
  const from = argv.full ? 0 : to - (argv.window ?? 3 * D);
  console.log(`timeline (true time, ms; ${argv.full ? 'complete' : `from t=${Math.max(0, from).toFixed(0)}`}${argv.verbose ? '' : '; HB/LEASE/LEASEACK left out, --verbose shows them'}):`);
  console.log(argv.full ? tl.trimmed(0, Infinity, argv.verbose) : tl.trimmed(from, to, argv.verbose));
  console.log(`state at t=${to.toFixed(3)}:`);
  console.log(r.finalState);
}

function describeFaults(r: RunResult): string {
  if (r.faults.length === 0) return '  (none)';
  return r.faults
    .map((f, k) => `  #${k} ${f.kind} at ${f.at.toFixed(1)} ms for ${f.dur.toFixed(0)} ms${r.applied.includes(k) ? '' : '  (left out)'}`)
    .join('\n');
}

/** Print a violation: seed, replay command, shrunk schedule, trimmed timeline. */
function reportViolation(r: RunResult): void {
  const v = r.violation!;
  console.log('');
  console.log(`VIOLATION ${v.invariant} at t=${v.t.toFixed(3)}: ${v.message}`);
  console.log(`seed ${r.spec.seed}, scenario ${r.spec.scenario}, ${r.spec.nodes} members (${r.members.map((m) => m.id + (m.witness ? '/w' : m.priority !== undefined ? `/p${m.priority}` : '')).join(' ')})${disabled.length ? `, disabled rules: ${disabled.join(', ')}` : ''}`);
  let shown = r;
  let faults: number[] | undefined;
  if (argv.shrink && r.applied.length > 1) {
    const s = shrink(r.spec, v.invariant);
    shown = s.result;
    faults = s.faults;
    console.log(`shrunk in ${s.runs} runs: ${s.faults.length} of ${r.applied.length} faults still break ${v.invariant}`);
    if (shown.violation) console.log(`shrunk violation at t=${shown.violation.t.toFixed(3)}: ${shown.violation.message}`);
  } else {
    shown = runSeed({ ...r.spec, trace: true });
  }
  console.log(`replay: ${replayCommand(r.spec, faults)}`);
  console.log('faults:');
  console.log(describeFaults(shown));
  printTimeline(shown);
}

function parseFaults(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  if (s === 'none' || s === '') return [];
  return s.split(',').map((x) => Number(x.trim()));
}

function progressLine(s: SweepSummary): string {
  const v = Object.entries(s.violations)
    .filter(([, c]) => c > 0)
    .map(([i, c]) => `${i} ${c}`)
    .join(', ');
  return `[${(s.wallMs / 1000).toFixed(0)} s] ${s.runs} seeds, ${(s.runs / (s.wallMs / 1000)).toFixed(1)} seeds/s, violations: ${v || 'none'}`;
}

if (argv.report) {
  console.log(`# figures: members × fault kind (downAfterMs D = ${D} ms)`);
  const rows = runReport({
    scale: argv['report-scale'],
    params,
    onRow: (row) => console.error(`  ${row.size} members, ${row.scenario}: ${row.summary.runs} seeds in ${(row.summary.wallMs / 1000).toFixed(1)} s`),
  });
  console.log(reportTable(rows));
  const bad = rows.some((r) => r.summary.failures.length > 0);
  for (const r of rows) for (const f of r.summary.failures.slice(0, 1)) console.log(`violation: ${replayCommand(f.spec)}: ${f.violation!.message}`);
  process.exit(bad ? 1 : 0);
} else if (argv.seed !== undefined) {
  const spec: RunSpec = {
    seed: argv.seed,
    nodes: sizes[0]!,
    scenario: argv.scenario === 'all' ? 'mixed' : (argv.scenario as ScenarioName),
    disabledRules: disabled,
    faults: parseFaults(argv.faults),
    trace: true,
    params,
    unagreed,
  };
  const r = runSeed(spec);
  console.log(`seed ${spec.seed}, scenario ${spec.scenario}, ${spec.nodes} members: ${r.members.map((m) => m.id + (m.witness ? '/w' : m.priority !== undefined ? `/p${m.priority}` : '')).join(' ')}`);
  console.log('faults:');
  console.log(describeFaults(r));
  if (r.violation) {
    console.log(`VIOLATION ${r.violation.invariant} at t=${r.violation.t.toFixed(3)}: ${r.violation.message}`);
  } else {
    console.log(`no violation; ${r.stats.elections} elections, settled ${r.stats.livenessMs === null ? 'never' : `${r.stats.livenessMs.toFixed(1)} ms`} after the last fault, ${r.stats.acked} writes acknowledged`);
  }
  console.log(`trace hash ${r.timeline!.hash()} (${r.timeline!.lines.length} lines)`);
  printTimeline(r);
  process.exit(r.violation ? 1 : 0);
} else {
  const scenario = argv.scenario as ScenarioName | 'all';
  console.error(`sweeping seeds ${argv.start}..${argv.start + argv.seeds - 1}, scenario ${scenario}, ${sizes.join('/')} members${disabled.length ? `, disabled rules: ${disabled.join(', ')}` : ''}`);
  const s = sweep({
    start: argv.start,
    seeds: argv.seeds,
    scenario,
    nodes: sizes,
    disabledRules: disabled,
    params,
    unagreed,
    maxViolations: argv['max-violations'] > 0 ? argv['max-violations'] : undefined,
    progressEveryMs: argv.progress * 1000,
    onProgress: (p) => console.error(progressLine(p)),
    onViolation: (r) => {
      console.error(`violation at seed ${r.spec.seed}: ${r.violation!.invariant}: ${r.violation!.message}`);
    },
  });
  console.error(progressLine(s));
  console.log(`command: npm run sim -- ${hideBin(process.argv).join(' ')}`);
  console.log(summaryTable(s, D));
  for (const r of s.failures.slice(0, 3)) reportViolation(r);
  process.exit(s.failures.length > 0 ? 1 : 0);
}
