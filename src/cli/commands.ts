import type { CommandModule } from 'yargs';
import { demoCommand } from './demo-command.js';
import { statusCommand } from './status-command.js';
import { switchoverCommand } from './switchover-command.js';

/** Subcommands besides `run`, each in its own module. */
export const extraCommands: CommandModule[] = [statusCommand, switchoverCommand, demoCommand as CommandModule];
