#!/usr/bin/env node
/** Entry point of the `resp-elect` binary: a fatal error becomes one clear line and a non-zero exit. */
import { hideBin } from 'yargs/helpers';
import { buildCli } from './cli.js';

// Inside a promise chain: yargs can throw synchronously from parseAsync(), and that too must be one line.
Promise.resolve()
  .then(() => buildCli(hideBin(process.argv)).parseAsync())
  .catch((err: unknown) => {
    process.stderr.write(`resp-elect: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
