import type { CommandModule } from 'yargs';
import { addDemoOptions, demoOptionsFrom } from '../demo/options.js';
import { runDemo } from '../demo/run-demo.js';

/** `resp-elect demo`: the local failover demo (see src/demo/run-demo.ts). */
export const demoCommand: CommandModule = {
  command: 'demo',
  describe: 'Run a local failover demo: redis-servers and sidecars on loopback ports, a fault, every step timed',
  builder: (y) => addDemoOptions(y),
  handler: async (argv) => {
    const opts = demoOptionsFrom(argv as Record<string, unknown>, Boolean(process.stdout.isTTY));
    process.exitCode = await runDemo(opts);
  },
};
