/**
 * deploy/kubernetes/ through a StatefulSet's life, without a cluster:
 * scripts/k8s-emulate.ts runs every pod as a network namespace with its own
 * address and the manifest's own containers (commands, args, env, probes,
 * preStop hooks and grace period read from the YAML), cluster DNS as
 * /etc/netns/<pod>/hosts, and plays a reschedule of the primary (new IP,
 * empty volume), a rolling update, a drain of two nodes at once against the
 * PodDisruptionBudget and a restart of the whole set, under a writer doing
 * SET + WAIT 1 through the Sentinel Service. Asserted: nothing acknowledged
 * lost, never two redis taking writes at once (a probe write to every redis
 * every 100 ms), no liveness probe failing, no running pod turning not
 * ready (the replicas stay ready while the primary is lost), no pod turning ready before its
 * redis synced, every pod stopped by the rollout or the drain handing off
 * before its redis got SIGTERM (redis container stopped first in the
 * rollout, the sidecar's first in the drain), the PDB holding back the second
 * eviction, clients given DNS names only. Timings are printed, not asserted.
 * Needs root and `ip netns`; skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { labNamespaces } from '../../lab/bench/netns.js';
import { k8sLabUnsupported } from '../../lab/k8s/cluster.js';
import { serverBinaries } from '../../lab/proc/server-binaries.js';
import { runBenchScript } from '../bench/run-script.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Its own prefix, so a manual run of the script (prefix k8e-) never collides with the test.
const PREFIX = 'k8t-';

function skipReason(): string | undefined {
  const lab = k8sLabUnsupported();
  if (lab) return lab;
  if (spawnSync(serverBinaries().server, ['--version']).status !== 0) return `${serverBinaries().server} is not installed`;
  if (!existsSync(`${ROOT}dist/scripts/k8s-emulate.js`)) return 'dist/scripts/k8s-emulate.js missing (npm run build)';
  return undefined;
}
const reason = skipReason();

interface Phase {
  name: string;
  tookMs: number;
  primaryBefore?: string;
  primaryAfter?: string;
  longestGapMs: number;
  ackedDuring: number;
}

it.skipIf(reason !== undefined)(`the StatefulSet survives a reschedule, a rolling update, a drain and a whole-set restart${reason ? ` (skipped: ${reason})` : ''}`, async () => {
  expect(labNamespaces(PREFIX), `namespaces ${PREFIX}* left by an earlier run: node dist/scripts/k8s-emulate.js --cleanup --prefix ${PREFIX}`).toEqual([]);
  try {
    const { code, output, result } = await runBenchScript('k8s-emulate', ['--prefix', PREFIX], 170_000);
    const tail = output.slice(-4000);
    expect(code, tail).toBe(0);
    expect(result, tail).toBeDefined();
    const r = result as {
      failure?: string;
      acked: number;
      lost?: number;
      lostSample?: string[];
      maxWritableInRound: number;
      violations: string[];
      samplerRounds: number;
      evictionsRefused: number;
      readyUnsynced: string[];
      unready: string[];
      offsetsAfterRestart: Record<string, number | string>;
      status?: { code: number | null; output: string };
      stoppedAsMaster: string[];
      livenessKills: string[];
      addressesGiven: string[];
      ipAddressesGiven: string[];
      phases: Phase[];
    };
    for (const p of r.phases) console.log(`${p.name}: ${p.tookMs} ms, primary ${p.primaryBefore} -> ${p.primaryAfter}, longest gap without an acknowledged write ${p.longestGapMs} ms, ${p.ackedDuring} acknowledged`);
    expect(r.failure, tail).toBeUndefined();
    // README's `kubectl exec redis-0 -c resp-elect -- ... status` ran in that container and saw the set.
    expect(r.status?.code, r.status?.output).toBe(0);
    for (const id of ['redis-0', 'redis-1', 'redis-2']) expect(r.status?.output).toContain(id);
    expect(r.status?.output).toMatch(/primary/);
    expect(r.phases.map((p) => p.name)).toEqual(['reschedule the primary, empty, at a new IP', 'rolling update', 'drain two nodes at once', 'restart the whole set at once']);
    // Writes went on in every phase (the script also waited for one after each).
    for (const p of r.phases) expect(p.ackedDuring, p.name).toBeGreaterThan(0);
    expect(r.acked).toBeGreaterThan(0);
    expect(r.lost, `acknowledged writes missing on the final primary: ${r.lostSample?.join(', ')}`).toBe(0);
    expect(r.samplerRounds).toBeGreaterThan(50);
    expect(r.violations, 'two redis took writes at the same time').toEqual([]);
    expect(r.maxWritableInRound).toBe(1);
    expect(r.livenessKills, 'a liveness probe failed: the kubelet would have restarted that container').toEqual([]);
    // Ready meant synced data whenever a pod turned ready: what the rollout and the PDB count on.
    expect(r.readyUnsynced, 'a pod turned ready before its redis had synced').toEqual([]);
    // No pod that was not being deleted ever turned not ready: not the replicas while the primary's node was lost.
    expect(r.unready, 'a running pod turned not ready').toEqual([]);
    // After the whole set restarted, every redis came back with its replication offset (RDB, started
    // detached), so the election compares real data; from an AOF every offset reads 1.
    expect(Object.keys(r.offsetsAfterRestart).sort()).toEqual(['redis-0', 'redis-1', 'redis-2']);
    for (const [pod, offset] of Object.entries(r.offsetsAfterRestart)) expect(offset, `${pod}'s offset after the restart`).toBeGreaterThan(1);
    // Every pod a rollout or a drain stopped had handed off first: its redis was a replica at SIGTERM,
    // whether its redis container (rollout) or its sidecar container (drain) was stopped first.
    expect(r.stoppedAsMaster, 'a primary\'s redis got SIGTERM before the hand-off').toEqual([]);
    // The two drains ran at once: the PDB made one of them wait at least once.
    expect(r.evictionsRefused).toBeGreaterThan(0);
    expect(r.ipAddressesGiven, 'addresses given to clients must be stable DNS names').toEqual([]);
    expect(r.addressesGiven.length).toBeGreaterThan(0);
    for (const a of r.addressesGiven) expect(a).toMatch(/^redis-\d\.redis\.prod\.svc\.cluster\.local$/);
  } finally {
    expect(labNamespaces(PREFIX), 'the emulation left network namespaces behind').toEqual([]);
    expect(existsSync(`/etc/netns/${PREFIX}ctl`), 'the emulation left /etc/netns entries behind').toBe(false);
  }
}, 180_000);
