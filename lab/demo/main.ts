#!/usr/bin/env node
/**
 * `npm run demo [-- options]`: the local failover demo (run-demo.ts). Not a
 * subcommand of the shipped `resp-elect` binary: the demo is harness, and
 * lives in lab/, outside the package.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { addDemoOptions, demoOptionsFrom, DemoOptionError } from './options.js';
import { runDemo } from './run-demo.js';

const argv = await addDemoOptions(yargs(hideBin(process.argv)), 'npm run demo --')
  .scriptName('npm run demo --')
  .usage('$0 [options]\n\nA local failover demo: redis-servers and resp-elect sidecars on loopback ports, a fault, and what happens.')
  .strict()
  .help()
  .alias('h', 'help')
  .wrap(Math.min(110, process.stdout.columns || 110))
  .parseAsync();

try {
  const opts = demoOptionsFrom(argv as Record<string, unknown>, Boolean(process.stdout.isTTY));
  process.exitCode = await runDemo(opts);
} catch (err) {
  process.stderr.write(`resp-elect demo: ${(err as Error).message}\n`);
  process.exitCode = err instanceof DemoOptionError ? 2 : 1;
}
