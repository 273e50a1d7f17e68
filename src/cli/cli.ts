/**
 * The `resp-elect` command. Each subcommand lives in its own module; this file
 * only wires them into yargs (cli-base.ts holds the program and `run`).
 */
import type { Argv } from 'yargs';
import { buildCliWith } from './cli-base.js';
import { extraCommands } from './commands.js';

export function buildCli(argv: string[]): Argv {
  return buildCliWith(argv, extraCommands);
}
