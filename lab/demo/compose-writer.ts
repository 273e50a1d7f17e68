#!/usr/bin/env node
/**
 * The writer container of docker-compose.yml: the demo's acknowledged-write
 * loop against the sidecars' Sentinel API, logging JSON lines for
 * scripts/compose-failover.sh (which replays them with dist/lab/demo/replay.js).
 *
 *   node dist/lab/demo/compose-writer.js --sentinel redis1:26379 --sentinel redis2:26379 --replicas 1
 *
 * It logs every write that was not acknowledged, the acknowledged write just
 * before and just after each of those (so the longest gap is exact), and
 * otherwise at most one acknowledged write per second. On SIGTERM it stops,
 * reads every acknowledged key back from the primary and logs a summary line.
 */
import { parseArgs } from 'node:util';
import { masterAddrByName } from './sentinel-api.js';
import { AckWriter, missingKeys, type WriteRecord } from '../workload/writer.js';

const { values } = parseArgs({
  options: {
    sentinel: { type: 'string', multiple: true },
    name: { type: 'string', default: 'mymaster' },
    replicas: { type: 'string', default: '1' },
    'interval-ms': { type: 'string', default: '5' },
  },
});

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--sentinel ${s}: expected host:port`);
  return { host: s.slice(0, i), port };
}

const sentinels = (values.sentinel ?? []).map(hostPort);
if (sentinels.length === 0) {
  process.stderr.write('compose-writer: give at least one --sentinel host:port\n');
  process.exit(2);
}
const name = values.name!;
const replicas = Number(values.replicas);

const log = (obj: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), writer: true, ...obj })}\n`);
const show = (w: WriteRecord) => log({ time: new Date(w.t).toISOString(), result: w.result, latencyMs: w.latencyMs, ...(w.error ? { error: w.error } : {}) });

let lastAcked: WriteRecord | undefined;
let lastShown = 0;
let failing = false;
const writer = new AckWriter({
  sentinels,
  masterName: name,
  replicas,
  intervalMs: Number(values['interval-ms']),
  keyPrefix: `compose:${Date.now()}:`,
  onRecord: (w) => {
    if (w.result === 'acked') {
      if (failing || w.t - lastShown >= 1000) {
        show(w);
        lastShown = w.t;
      }
      failing = false;
      lastAcked = w;
      return;
    }
    if (!failing && lastAcked && lastShown !== lastAcked.t) show(lastAcked);
    failing = true;
    show(w);
    lastShown = w.t;
  },
});
log({ msg: 'writer started', sentinels: sentinels.map((s) => `${s.host}:${s.port}`).join(','), replicas });
writer.start();

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await writer.stop();
  let lost: number | undefined;
  let primary: string | undefined;
  for (const s of sentinels) {
    const p = await masterAddrByName(s.host, s.port, name);
    if (!p) continue;
    primary = `${p.host}:${p.port}`;
    try {
      lost = (await missingKeys(p, writer.acked)).length;
    } catch (err) {
      log({ msg: 'could not check the acknowledged keys', error: (err as Error).message });
    }
    break;
  }
  log({ summary: { acked: writer.acked.length, unacked: writer.unacked, errors: writer.errors, lost: lost ?? null, primary: primary ?? null } });
  process.exit(lost === 0 ? 0 : 1);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
