import type { CommandModule } from 'yargs';

/** Subcommands besides `run`, each in its own module; added here as they are written. */
export const extraCommands: CommandModule[] = [];
