/**
 * The `resp-elect` command: `run`, `status`, `switchover` and `member`, each in its own
 * module; this file only wires them into yargs. The demo, the benchmarks and
 * the chaos suite are not subcommands: they live in lab/, outside the shipped
 * package (`npm run demo`, `npm run bench:*`, `npm run chaos`).
 */
import yargs, { type Argv } from 'yargs';
import { memberCommand } from './member-command.js';
import { runCommand } from './run-command.js';
import { statusCommand } from './status-command.js';
import { switchoverCommand } from './switchover-command.js';

export function buildCli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('resp-elect')
    .usage('$0 <command> [options]\n\nAn election sidecar for Redis and Valkey replica sets.')
    .command(runCommand)
    .command(statusCommand)
    .command(switchoverCommand)
    .command(memberCommand)
    .demandCommand(1, 'Name a command: run, status, switchover or member (see --help).')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err, y) => {
      // yargs reports usage problems as `msg`, and parser errors (a flag missing its value:
      // "Not enough arguments following: down-after-ms") as a YError; rethrowing that one
      // escaped main.ts as an uncaught exception with a stack trace. Both are usage errors.
      // Anything else (OptionError from a handler, ...) is main.ts's to report.
      if (err && err.name !== 'YError') throw err;
      void y;
      process.stderr.write(`resp-elect: ${msg || err?.message}\nRun "resp-elect --help" for usage.\n`);
      process.exit(2);
    });
}
