/**
 * Real processes, issue #17 defect 1: hostile load on the primary's sidecar
 * must not leave two writable masters. A 3-node loopback cluster at default
 * timings, a writer doing SET + WAIT 1 200, a monitor writing directly to
 * every redis every 100 ms; meanwhile the primary's sidecar takes a flood of
 * keep-alive `GET /metrics` on --http, then a flood of pipelined
 * `AUTH guess` on its client port (both from a separate process).
 *
 * Asserted: no acknowledged write is lost, and no moment with two redis
 * taking writes lasts longer than the fencing bound (maxDriftMs, README
 * "Security and limits") plus one monitor interval, the monitor's own
 * resolution. Before the client and HTTP limits, the starved primary kept
 * its redis writable for seconds after the others had elected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupClusters, sidecarPort, startCluster, watchFailures, type Cluster } from '../support/cluster.js';
import { flood, stopFloods } from './flood.js';
import { SplitBrainMonitor } from './split-brain-monitor.js';

const scratch = mkdtempSync(join(tmpdir(), 'resp-elect-flood-'));
const PASSWORD_FILE = join(scratch, 'client-password');
writeFileSync(PASSWORD_FILE, 'correct horse battery staple\n', { mode: 0o600 });

afterAll(async () => {
  await cleanupClusters();
  rmSync(scratch, { recursive: true, force: true });
});

let cluster: Cluster | undefined;
let monitor: SplitBrainMonitor | undefined;
afterEach(async () => {
  stopFloods();
  await monitor?.stop();
  monitor = undefined;
  await cluster?.stop();
  cluster = undefined;
});

const DOWN_AFTER_MS = 1000;
const MAX_DRIFT_MS = DOWN_AFTER_MS / 10;
const MONITOR_INTERVAL_MS = 100;
/** Scaled for a 2-core CI machine; the probe used 500 HTTP and 400 AUTH connections for 15 s. */
const HTTP_CONNECTIONS = Number(process.env['RESP_ELECT_FLOOD_HTTP_CONNECTIONS'] ?? 500);
const AUTH_CONNECTIONS = Number(process.env['RESP_ELECT_FLOOD_AUTH_CONNECTIONS'] ?? 400);
const FLOOD_SECONDS = Number(process.env['RESP_ELECT_FLOOD_SECONDS'] ?? 6);

describe('floods on the primary sidecar', () => {
  it('never leave two writable masters beyond the fencing bound, and lose no acknowledged write', async () => {
    const httpPorts = new Map<string, number>();
    for (const id of ['n1', 'n2', 'n3']) httpPorts.set(id, await sidecarPort());
    cluster = await startCluster({
      downAfterMs: DOWN_AFTER_MS,
      hbIntervalMs: DOWN_AFTER_MS / 10,
      pollIntervalMs: 50,
      logLevel: 'info',
      extraArgs: (id) => ['--http', `127.0.0.1:${httpPorts.get(id)}`, '--client-password-file', PASSWORD_FILE],
    });
    watchFailures(cluster);
    const primary = await cluster.waitForPrimary();
    const writer = cluster.writer({ waitTimeoutMs: 200 });
    monitor = new SplitBrainMonitor(cluster, MONITOR_INTERVAL_MS);
    await writer.waitForAcks(20);

    const httpFlood = await flood('http', httpPorts.get(primary.id)!, HTTP_CONNECTIONS, FLOOD_SECONDS);
    const authFlood = await flood('auth', primary.sidecarPort, AUTH_CONNECTIONS, FLOOD_SECONDS);
    // Let any election the floods caused finish, and the writer go on.
    await new Promise((r) => setTimeout(r, 2000));
    await writer.waitForAcks(20, 20_000);

    await monitor.stop();
    const stats = await writer.stop();
    const loopWarnings = primary.logs().match(/event loop delayed \d+ ms/g) ?? [];
    const summary = { httpFlood, authFlood, episodes: monitor.episodes, samples: monitor.samples, emptySamples: monitor.emptySamples, writer: stats, primaryLoopWarnings: loopWarnings };
    console.log(`flood test: ${JSON.stringify(summary)}`);
    // The floods reached the sidecar (a refused connection still counts as load).
    expect(httpFlood.opened + authFlood.opened).toBeGreaterThan(0);
    expect(monitor.longestMs(), JSON.stringify(monitor.episodes)).toBeLessThanOrEqual(MAX_DRIFT_MS + MONITOR_INTERVAL_MS);
    await cluster.verifyNoAckedLoss([writer]);
  }, 90_000);
});
