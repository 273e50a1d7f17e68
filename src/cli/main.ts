#!/usr/bin/env node
/** Entry point of the `resp-elect` binary: a fatal error becomes one clear line and a non-zero exit. */
import { setFlagsFromString } from 'node:v8';

// A young generation that stays small, set before anything else is loaded. V8 doubles each
// semi-space (up to 16 MB on node 20, 64-bit) whenever objects survive scavenges, and the sidecar's
// start-up plus its steady trickle of short-lived objects (polls, heartbeats) get it there: about
// 15-30 MB of RSS holding only garbage. Growth factor 1 keeps the initial 1 MB semi-spaces; a
// scavenge stays as cheap (little survives one), just more frequent. `--max-semi-space-size` would
// say the same but has no effect once the heap exists; this flag is read at every resize.
// Measured on an idle 3-node cluster: RSS about 70 MB instead of about 88 MB (with prom-client no
// longer loaded without --http), idle CPU unchanged within the noise.
setFlagsFromString('--semi-space-growth-factor=1');

// Lite mode: V8 runs everything in its interpreter, with no optimising tiers and lazier feedback
// allocation. A sidecar's code runs a few dozen times a second at most and rarely got optimised
// anyway (the profile of #16 found it mostly in the baseline tier), so this trades nothing it
// used: on an idle 3-node cluster RSS went from about 64 to 56 MB (fewer pages of the node binary's
// compilers touched, no optimised code or feedback kept) and idle CPU went down too (about
// 2.0 % to 1.6 % of a core in one side-by-side run on a loaded machine; bench/results.md has the
// measured figures). Set here rather than on a shebang so `node dist/src/cli/main.js` (Docker,
// Kubernetes) gets it too. The one thing lite mode switches off that Node uses is WebAssembly
// (undici's HTTP parser, for fetch), which the sidecar never loads.
setFlagsFromString('--lite-mode');

// The modules are loaded dynamically so the flag above applies to everything they allocate.
// One program holds run, status and switchover: the two small ones add about 40 KB of heap to
// `run` (measured after gc on node 20), their imports being mostly src/admin and the protocol,
// which the sidecar loads anyway. The demo, the big one, is not a subcommand (lab/demo).
const args = process.argv.slice(2);
// Inside a promise chain: yargs can throw synchronously from parseAsync(), and that too must be one line.
Promise.resolve()
  .then(async () => {
    // A well-formed `run` starts without loading yargs (run-args.ts says why); anything else,
    // including every usage error, goes through the full yargs CLI.
    if (args[0] === 'run') {
      const { parseRunArgs } = await import('./run-args.js');
      const flags = parseRunArgs(args.slice(1));
      if (flags !== undefined) {
        const { runSidecar } = await import('./run-command.js');
        return runSidecar(flags);
      }
    }
    const { buildCli } = await import('./cli.js');
    return buildCli(args).parseAsync();
  })
  .catch((err: unknown) => {
    process.stderr.write(`resp-elect: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
