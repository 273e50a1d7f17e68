import type { CommandModule } from 'yargs';
import { statusCommand } from './status-command.js';
import { switchoverCommand } from './switchover-command.js';

/** Subcommands besides `run`, each in its own module; added here as they are written. */
export const extraCommands: CommandModule[] = [statusCommand, switchoverCommand];
