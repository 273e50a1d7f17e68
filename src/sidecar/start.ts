import * as fs from 'node:fs';
import type { SidecarConfig } from './config.js';
import { Sidecar, type SidecarDeps } from './sidecar.js';

/**
 * Start a sidecar process: data directory, the Sidecar itself, and signal
 * handling (SIGTERM/SIGINT: a primary hands off before exiting). Fatal
 * start-up errors (corrupt vote file, port in use) reject with their cause.
 */
export async function startSidecar(config: SidecarConfig, deps: SidecarDeps = {}): Promise<Sidecar> {
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
  } catch (err) {
    throw new Error(`--data-dir ${config.dataDir}: cannot create it: ${(err as Error).message}`);
  }
  const sidecar = new Sidecar(config, deps);
  try {
    await sidecar.start();
  } catch (err) {
    await sidecar.stop({ handoff: false }).catch(() => {});
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`--listen ${config.listen.host}:${config.listen.port}: address already in use`);
    throw err;
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      sidecar.log.warn(`second ${sig}: exiting at once`);
      process.exit(1);
    }
    sidecar.log.info(`${sig} received: stopping`);
    void sidecar.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  void sidecar.done.then(() => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  });
  return sidecar;
}

