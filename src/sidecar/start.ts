import * as fs from 'node:fs';
import { probeDurableWrites } from '../elector/durable-file.js';
import type { SidecarConfig } from './config.js';
import { Sidecar, type SidecarDeps } from './sidecar.js';
import { joinCluster, newerConfigFromMembers } from './join.js';
import { createLogger } from './logger.js';

/**
 * Start a sidecar process: data directory, the Sidecar itself, and signal
 * handling (SIGTERM/SIGINT: a primary hands off before exiting). Fatal
 * start-up errors (a data directory that takes no durable write, a corrupt
 * vote file, port in use) reject with their cause.
 */
export async function startSidecar(config: SidecarConfig, deps: SidecarDeps = {}): Promise<Sidecar> {
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
  } catch (err) {
    throw new Error(`--data-dir ${config.dataDir}: cannot create it: ${(err as Error).message}`);
  }
  try {
    probeDurableWrites(config.dataDir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Node's fs messages already start with the errno code ("EROFS: read-only file system, open ...").
    const what = e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
    throw new Error(`--data-dir ${config.dataDir}: cannot write, fsync and rename a file in it (${what}); the vote file could not be saved, so this node could never vote`);
  }
  if (config.join) {
    const log = deps.logger ?? createLogger({ nodeId: config.id, level: config.logLevel, format: config.logFormat });
    await joinCluster(config, log);
    deps = { ...deps, logger: log };
  }
  const sidecar = new Sidecar(config, deps);
  warnIfVotedForNonMember(sidecar);
  // A node removed while it was down hears of it from any member before it starts taking part.
  const held = sidecar.elector.clusterConfig;
  const newer = await newerConfigFromMembers(sidecar.config, held).catch(() => undefined);
  if (newer) sidecar.adoptFetchedConfig(newer);
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

/**
 * A vote file naming a well-formed id that is not a member now: legitimate
 * after a membership change, suspicious otherwise (a vote file copied from
 * another cluster). Kept as it is, since forgetting a vote is the one thing
 * never safe, but the operator hears of it, with the file.
 */
function warnIfVotedForNonMember(sidecar: Sidecar): void {
  const { epoch, votedFor } = sidecar.snapshot();
  if (votedFor === null || sidecar.config.members.some((m) => m.id === votedFor)) return;
  sidecar.log.warn(`vote file ${sidecar.voteStore.file}: voted for ${votedFor} in epoch ${epoch}, which is not a member (members: ${sidecar.config.members.map((m) => m.id).join(',')}); keeping the vote`, {
    file: sidecar.voteStore.file,
    votedFor,
    epoch,
  });
}
