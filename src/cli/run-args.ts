/**
 * `resp-elect run`'s flags parsed by yargs-parser — the parser yargs itself
 * runs, given the options yargs would give it — without loading yargs.
 *
 * Why: yargs (its usage, validation, locale and layout modules) stays in the
 * process once loaded, and for `run` that process lives for years beside every
 * redis-server: about 4.5 MB of its RSS, measured on an idle 3-node cluster on
 * node 20 (51.4 MB without it, 55.8 MB with it; issue #16 asks for 50). So
 * main.ts tries this first for a `run` whose flags are all well-formed and
 * known, and hands everything else — `--help`, `--version`, an unknown or
 * misspelt flag, a flag missing its value, a stray word — to the full yargs
 * CLI, which parses it again and prints its usual help or error. This path
 * never reports an error of its own, so users see one set of messages.
 *
 * The parser options mirror addRunOptions() (run-command.ts): every RUN_OPTIONS
 * entry typed as there, `requiresArg` (yargs's nargs NaN) on all but booleans,
 * arrays of strings, no camel-case expansion, and yargs's own
 * `parse-positional-numbers: false`. test/cli/run-args.test.ts checks, over
 * generated command lines, that this either declines or gives exactly what yargs gives.
 */
import parser from 'yargs-parser';
import { RUN_OPTIONS } from './run-options.js';

const names = (pred: (t: string) => boolean) => RUN_OPTIONS.filter((o) => pred(o.type)).map((o) => o.name);
const KNOWN = new Set(RUN_OPTIONS.map((o) => o.name));
const OPTIONS: parser.Options = {
  string: names((t) => t === 'string' || t === 'array'),
  number: names((t) => t === 'number'),
  boolean: names((t) => t === 'boolean'),
  array: names((t) => t === 'array'),
  narg: Object.fromEntries(names((t) => t !== 'boolean').map((n) => [n, NaN])),
  configuration: { 'camel-case-expansion': false, 'parse-positional-numbers': false },
};

/** Tokens only the full CLI answers: help, version, and the end-of-options marker. */
function needsFullCli(token: string): boolean {
  return /^--?(h|help|version)(=.*)?$/.test(token) || token === '--';
}

/**
 * The flags of `resp-elect run <rest…>` (kebab-case keys, as yargs gives them
 * to the run handler), or undefined when the full CLI must parse them.
 */
export function parseRunArgs(rest: readonly string[]): Record<string, unknown> | undefined {
  if (rest.some(needsFullCli)) return undefined;
  const parsed = parser.detailed([...rest], OPTIONS);
  if (parsed.error) return undefined;
  const { _: positional, ...flags } = parsed.argv;
  if (positional.length > 0) return undefined;
  for (const key of Object.keys(flags)) if (!KNOWN.has(key)) return undefined;
  return flags;
}
