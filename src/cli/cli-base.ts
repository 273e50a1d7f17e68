/**
 * The yargs program without the subcommands besides `run` (cli.ts adds them).
 * main.ts uses this alone for `resp-elect run`: a sidecar is a long-lived
 * process, and the modules of status, switchover and demo (the whole demo
 * with its screen, recorder and narrator) would only sit in its memory.
 */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { runCommand } from './run-command.js';

export function buildCliWith(argv: string[], extraCommands: readonly CommandModule[]): Argv {
  let cli = yargs(argv)
    .scriptName('resp-elect')
    .usage('$0 <command> [options]\n\nAn election sidecar for Redis and Valkey replica sets.')
    .command(runCommand)
    .demandCommand(1, 'Name a command: run, status, switchover or demo (see --help).')
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
  for (const c of extraCommands) cli = cli.command(c);
  return cli;
}
