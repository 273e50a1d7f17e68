import type { Argv, CommandModule } from 'yargs';
import { startSidecar } from '../sidecar/start.js';
import { resolveRunConfig } from './resolve-run-config.js';
import { RUN_OPTIONS } from './run-options.js';

/** Adds every RUN_OPTIONS entry to yargs, without yargs defaults, so an unset flag stays unset and the config file or environment can fill it. */
export function addRunOptions<T>(y: Argv<T>): Argv<T> {
  let out = y;
  for (const o of RUN_OPTIONS) {
    out = out.option(o.name, {
      type: o.type,
      describe: o.default === undefined ? o.describe : `${o.describe} [default: ${String(o.default)}]`,
      group: `${o.group}:`,
      requiresArg: o.type !== 'boolean',
      ...(o.type === 'array' ? { string: true } : {}),
    });
  }
  // Kebab-case keys only (resolveRunConfig reads kebab or camelCase). With camel-case expansion and
  // strip-dashed, a mistyped `--down-after` was reported as "Unknown argument: downAfter", a flag the
  // user never typed; now strict mode names it as given.
  return out.parserConfiguration({ 'camel-case-expansion': false });
}

export const runCommand: CommandModule = {
  command: 'run',
  describe: 'Run the sidecar beside one redis-server',
  builder: (y) =>
    addRunOptions(y).example(
      '$0 run --id n1 --listen 0.0.0.0:26379 --member n1=10.0.0.1:26379,redis=10.0.0.1:6379 --member n2=10.0.0.2:26379,redis=10.0.0.2:6379 --member n3=10.0.0.3:26379,redis=10.0.0.3:6379 --secret-file /etc/resp-elect/secret --data-dir /var/lib/resp-elect',
      'one node of a three-node cluster',
    ),
  handler: (argv) => runSidecar(argv as Record<string, unknown>),
};

/** Resolve the configuration from parsed flags, the config file and the environment, start, and run until stopped. */
export async function runSidecar(flags: Record<string, unknown>): Promise<void> {
  const config = resolveRunConfig({ flags, env: process.env });
  const sidecar = await startSidecar(config);
  await sidecar.done;
}
