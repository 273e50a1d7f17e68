/** The demo's options: `npm run demo -- ...` (dist/lab/demo/main.js). */
import type { Argv } from 'yargs';
import { FAULT_KINDS, type FaultKind } from './faults.js';

export interface DemoOptions {
  nodes: number;
  fault: FaultKind;
  downAfterMs: number;
  keep: boolean;
  svg?: string;
  /** Live table redrawn in place (default: when stdout is a terminal). */
  tty: boolean;
  switchover: boolean;
  /** Self-test of the verification: delete one acknowledged key before checking, so the demo must report it lost. */
  loseWrite: boolean;
  /** How long the writer runs before the fault. */
  warmupMs: number;
}

/** `invocation`: how the examples start (`npm run demo --`). */
export function addDemoOptions<T>(y: Argv<T>, invocation: string): Argv<T> {
  return y
    .option('nodes', { type: 'number', default: 3, describe: 'Number of nodes (redis-server + sidecar), 3 to 9' })
    .option('fault', { type: 'string', choices: [...FAULT_KINDS], default: 'kill', describe: 'What happens to the primary: kill (-9 of redis and sidecar), redis-crash (-9 of redis only), pause (SIGSTOP of both), partition (emulated: SIGSTOP of its sidecar)' })
    .option('down-after-ms', { type: 'number', default: 1000, describe: 'Detection timeout given to every sidecar (--down-after-ms)' })
    .option('keep', { type: 'boolean', default: false, describe: 'Leave the cluster running at the end and print how to reach and stop it' })
    .option('svg', { type: 'string', requiresArg: true, describe: 'Write an SVG of the timeline to this file' })
    .option('tty', { type: 'boolean', describe: 'Live table redrawn in place (default: when stdout is a terminal); --no-tty for plain lines' })
    .option('switchover', { type: 'boolean', default: true, describe: 'End with a planned switchover (SENTINEL FAILOVER); --no-switchover to skip it' })
    .option('warmup-ms', { type: 'number', default: 1000, hidden: true, describe: 'How long the writer runs before the fault' })
    .option('self-test-lose-write', { type: 'boolean', default: false, hidden: true, describe: 'Delete one acknowledged key before the check (tests that a loss is reported and fails the demo)' })
    .example(invocation, 'three nodes, kill -9 of the primary')
    .example(`${invocation} --nodes 5 --fault pause --svg timeline.svg`, 'five nodes, a frozen primary, and a picture of it')
    .parserConfiguration({ 'camel-case-expansion': true });
}

export class DemoOptionError extends Error {}

/** Validated options from parsed yargs arguments. */
export function demoOptionsFrom(argv: Record<string, unknown>, isTty: boolean): DemoOptions {
  const nodes = Number(argv['nodes'] ?? 3);
  if (!Number.isInteger(nodes) || nodes < 3 || nodes > 9) throw new DemoOptionError(`--nodes must be an integer from 3 to 9, got ${String(argv['nodes'])}`);
  const fault = String(argv['fault'] ?? 'kill') as FaultKind;
  if (!FAULT_KINDS.includes(fault)) throw new DemoOptionError(`--fault must be one of ${FAULT_KINDS.join(', ')}, got ${fault}`);
  const downAfterMs = Number(argv['downAfterMs'] ?? argv['down-after-ms'] ?? 1000);
  if (!Number.isInteger(downAfterMs) || downAfterMs < 100 || downAfterMs > 60_000) throw new DemoOptionError(`--down-after-ms must be an integer from 100 to 60000, got ${String(argv['downAfterMs'])}`);
  const warmupMs = Number(argv['warmupMs'] ?? 1000);
  if (!Number.isFinite(warmupMs) || warmupMs < 0) throw new DemoOptionError('--warmup-ms must be a non-negative number');
  const svg = argv['svg'];
  if (svg !== undefined && (typeof svg !== 'string' || svg.length === 0)) throw new DemoOptionError('--svg needs a file name');
  const tty = argv['tty'] === undefined ? isTty : Boolean(argv['tty']);
  return {
    nodes,
    fault,
    downAfterMs,
    keep: Boolean(argv['keep']),
    svg: svg as string | undefined,
    tty,
    switchover: argv['switchover'] !== false,
    loseWrite: Boolean(argv['selfTestLoseWrite']),
    warmupMs,
  };
}
