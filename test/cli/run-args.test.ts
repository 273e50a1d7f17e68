/**
 * `resp-elect run`'s flags without yargs (src/cli/run-args.ts): for any command
 * line, the fast parser either declines (the full yargs CLI then parses it
 * and prints its help or error) or gives exactly the flags yargs gives the run
 * handler. Checked against yargs itself, set up as the CLI sets up `run`
 * (addRunOptions + strict), over hand-picked lines and generated ones mixing
 * every option, both value forms, repeats, booleans, numbers, missing values,
 * unknown flags, stray words and help.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { addRunOptions } from '../../src/cli/run-command.js';
import { parseRunArgs } from '../../src/cli/run-args.js';
import { RUN_OPTIONS } from '../../src/cli/run-options.js';

/** What yargs hands the run handler for `run <rest…>` (without `_` and `$0`), or undefined when it rejects the line. */
function viaYargs(rest: string[]): Record<string, unknown> | undefined {
  let failed = false;
  const y = addRunOptions(yargs(rest))
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail(() => {
      failed = true;
    });
  let argv: Record<string, unknown>;
  try {
    argv = y.parseSync() as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (failed || argv['help'] === true) return undefined;
  const { _: positional, $0: _script, help: _help, ...flags } = argv as Record<string, unknown> & { _: unknown[] };
  void _script;
  void _help;
  if (positional.length > 0) return undefined;
  return flags;
}

const byType = (t: string) => RUN_OPTIONS.filter((o) => o.type === t).map((o) => o.name);

describe('parseRunArgs', () => {
  it('parses a typical run line exactly as yargs does', () => {
    const line = ['--id', 'n1', '--listen', '127.0.0.1:26379', '--member', 'n1=127.0.0.1:26379,redis=127.0.0.1:6379', '--member=n2=127.0.0.1:26380,redis=127.0.0.1:6380', '--down-after-ms', '2000', '--secret-file', '/etc/s', '--data-dir=/var/lib/x'];
    const fast = parseRunArgs(line);
    expect(fast).toEqual(viaYargs(line));
    expect(fast).toMatchObject({ id: 'n1', member: ['n1=127.0.0.1:26379,redis=127.0.0.1:6379', 'n2=127.0.0.1:26380,redis=127.0.0.1:6380'], 'down-after-ms': 2000, 'data-dir': '/var/lib/x' });
  });

  it('declines what only the full CLI answers: help, version, unknown or camelCase flags, a missing value, a stray word', () => {
    for (const line of [['--help'], ['-h'], ['--version'], ['--id', 'n1', '--downAfterMs', '5'], ['--down-after', '5'], ['--id'], ['--id', 'n1', 'extra'], ['-x'], ['--id', 'n1', '--', 'x']]) {
      expect(parseRunArgs(line), line.join(' ')).toBeUndefined();
    }
  });

  it('on generated command lines: declines, or agrees with yargs', () => {
    const value = fc.oneof(fc.constantFrom('n1', '127.0.0.1:1', '0', '-1', '2.5', 'true', 'false', '', 'a=b,c', '-', '--x'), fc.string({ maxLength: 6 }));
    const booleans = byType('boolean');
    const optionToken = fc.oneof(
      fc.constantFrom(...byType('string'), ...byType('number'), ...byType('array')).chain((n) => fc.oneof(value.map((v) => [`--${n}`, v]), value.map((v) => [`--${n}=${v}`]), fc.constant([`--${n}`]))),
      // No run option is a boolean today; if one is added, its forms are generated too.
      ...(booleans.length ? [fc.constantFrom(...booleans).chain((n) => fc.constantFrom([`--${n}`], [`--no-${n}`], [`--${n}=false`], [`--${n}`, 'true']))] : []),
      fc.constantFrom(['--nope', '1'], ['-q'], ['stray'], ['--help'], ['--listenn', 'x'], ['--dataDir', 'x'], ['--no-id']),
    );
    const line = fc.array(optionToken, { maxLength: 8 }).map((parts) => parts.flat());
    let agreed = 0;
    fc.assert(
      fc.property(line, (rest) => {
        const fast = parseRunArgs(rest);
        if (fast === undefined) return;
        agreed += 1;
        expect(fast).toEqual(viaYargs(rest));
      }),
      { numRuns: 400 },
    );
    // The fast path is taken for a good share of them, or this test would prove nothing.
    expect(agreed).toBeGreaterThan(40);
  });
});
