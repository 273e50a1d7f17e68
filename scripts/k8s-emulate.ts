/**
 * deploy/kubernetes/ played through a StatefulSet's life without a cluster
 * (lab/k8s/): each pod a network namespace, its containers the manifest's
 * own commands, args, env, probes and preStop hooks, cluster DNS as hosts
 * files, a kube-proxy for the Sentinel Service, the eviction API with the
 * PodDisruptionBudget. A writer does SET + WAIT 1 through the Sentinel
 * Service the whole time; a sampler sends a probe write to every redis every
 * 100 ms. Phases:
 *
 *   1. reschedule: the primary's node is lost (every process killed), its
 *      pod comes back under the same name at a new IP with an empty volume;
 *   2. rolling update: highest ordinal first, preStop hooks, each pod ready
 *      before the next;
 *   3. drain: two nodes drained at once, the PDB making the second wait;
 *   4. the whole set deleted at once (one replica's kubelet 400 ms ahead of
 *      the other's, so that it misses the last acknowledged writes) and
 *      recreated.
 *
 * Prints a RESULT line (JSON) that test/deploy/kubernetes-emulation.test.ts
 * checks: nothing acknowledged lost, never two writable redis, no liveness
 * failure, addresses given to clients all DNS names.
 *
 *   node dist/scripts/k8s-emulate.js [--prefix k8e-] [--keep-logs]
 *   node dist/scripts/k8s-emulate.js --cleanup [--prefix k8e-]
 *
 * Root only (namespaces, veth pairs, /etc/netns/<ns>/ files). Like the chaos
 * suite, it creates the lab, re-executes itself in the driver namespace and
 * removes every namespace, process and /etc/netns entry it made on any exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, destroyLab, driverNs, labNamespaces, type LabSpec } from '../lab/bench/netns.js';
import { REPO_ROOT } from '../lab/bench/deploy.js';
import { parseArgs } from '../lab/bench/stats.js';
import { Kube, k8sLabUnsupported } from '../lab/k8s/cluster.js';
import { findObject, loadManifests } from '../lab/k8s/manifests.js';
import { readmeKubernetesCommands } from '../lab/k8s/readme-commands.js';
import { WritableSampler } from '../lab/k8s/writable-sampler.js';
import { oneCommand } from '../lab/proc/fast-client.js';
import { runScript } from '../lab/proc/children.js';
import { SERVER_ENV, serverBinaries } from '../lab/proc/server-binaries.js';
import { sleep } from '../lab/util/wait.js';
import { AckWriter, missingKeys } from '../lab/workload/writer.js';

const args = parseArgs(process.argv.slice(2));
const prefix = args.get('prefix') ?? 'k8e-';
const keepLogs = args.has('keep-logs');
const LAB_VAR = 'RESP_ELECT_K8S_LAB';
const NAMESPACE = 'prod';
const MANIFESTS = join(REPO_ROOT, 'deploy', 'kubernetes');
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);

function labSpec(): LabSpec {
  const replicas = findObject(loadManifests(MANIFESTS), 'StatefulSet').spec.replicas as number;
  return { prefix, nodes: replicas, dataNet: '10.244.0', mgmtNet: '10.245.0' };
}

/** In the root namespace: the lab, this script again inside its driver namespace, and removal of all of it. */
async function outer(): Promise<number> {
  const why = k8sLabUnsupported();
  if (why) throw new Error(`k8s-emulate: ${why}`);
  if (!/^[a-z][a-z0-9]{0,7}-$/.test(prefix)) throw new Error('--prefix must be 1-8 lowercase letters or digits and a dash, like k8e-');
  const spec = labSpec();
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    destroyLab(spec.prefix);
    Kube.removeDns(spec, spec.nodes);
  };
  createLab(spec);
  process.on('exit', destroy);
  // Before anything runs inside: ip netns exec mounts these over /etc/hosts and /etc/resolv.conf.
  Kube.prepareDns(spec, spec.nodes);
  const child = spawn('ip', ['netns', 'exec', driverNs(spec), process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [LAB_VAR]: JSON.stringify(spec) },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      child.kill('SIGTERM');
      setTimeout(() => {
        child.kill('SIGKILL');
        destroy();
        process.exit(143);
      }, 10_000).unref();
    });
  }
  const code = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(1));
    child.once('exit', (c, sig) => resolve(c ?? (sig ? 143 : 1)));
  });
  destroy();
  const left = labNamespaces(spec.prefix);
  if (left.length) console.error(`k8s-emulate: could not remove ${left.join(', ')}`);
  return left.length ? 1 : code;
}

interface Phase {
  name: string;
  tookMs: number;
  primaryBefore: string | undefined;
  primaryAfter: string | undefined;
  /** Longest time without an acknowledged write, from the phase's start to the first ack after it. */
  longestGapMs: number;
  ackedDuring: number;
}

/** Inside the driver namespace: the StatefulSet's life. */
async function inner(lab: LabSpec): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'resp-elect-k8s-'));
  log(`logs in ${dir}`);
  // The images: redis:* gives redis-server and redis-cli (the chosen server's), resp-elect:* gives node.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const server = serverBinaries();
  const which = (name: string): string => {
    if (name.includes('/')) return name;
    const found = spawnSync('sh', ['-c', `command -v "$0"`, name], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`${name} is not on PATH (${SERVER_ENV} chooses it; scripts/setup.sh installs it)`);
    return found;
  };
  symlinkSync(which(server.server), join(bin, 'redis-server'));
  symlinkSync(which(server.cli), join(bin, 'redis-cli'));
  symlinkSync(process.execPath, join(bin, 'node'));

  const manifests = loadManifests(MANIFESTS);
  const readme = readmeKubernetesCommands(join(REPO_ROOT, 'README.md'));
  const kube = new Kube({ lab, manifests, namespace: NAMESPACE, dir, binDir: bin, appDir: REPO_ROOT, secret: readme.secret, log });
  const sentinel = { host: kube.sentinelServiceHost, port: kube.sentinelServicePort };
  const writer = new AckWriter({ sentinels: [sentinel], masterName: 'mymaster', replicas: 1, keyPrefix: 'k8s:', waitTimeoutMs: 200 });
  const sampler = new WritableSampler(() => kube.pods.filter((p) => p.ip && p.running).map((p) => ({ name: p.name, host: p.ip, port: 6379 })));
  const addressesGiven = new Set<string>();
  const primary = async (): Promise<string | undefined> => {
    try {
      const r = (await oneCommand(sentinel, ['SENTINEL', 'get-master-addr-by-name', 'mymaster'], 500)) as string[] | null;
      if (!r) return undefined;
      addressesGiven.add(r[0]!);
      const replicas = (await oneCommand(sentinel, ['SENTINEL', 'replicas', 'mymaster'], 500)) as string[][];
      for (const fields of replicas) addressesGiven.add(fields[fields.indexOf('ip') + 1]!);
      return r[0]!.split('.')[0];
    } catch {
      return undefined;
    }
  };
  const phases: Phase[] = [];
  let failure: string | undefined;
  let status: { code: number | null; output: string } | undefined;
  const phase = async (name: string, body: () => Promise<void>) => {
    const before = await primary();
    const ackedAtStart = writer.acked.length;
    const t0 = Date.now();
    log(`--- ${name} (primary ${before ?? 'unknown'})`);
    await body();
    const tookMs = Date.now() - t0;
    // Writes must resume after every phase.
    const deadline = Date.now() + 30_000;
    while (writer.firstAckAfter(t0 + tookMs) === undefined) {
      if (Date.now() > deadline) throw new Error(`${name}: no acknowledged write within 30 s after it (writer: ${writer.describe()})`);
      await sleep(50);
    }
    const resumed = writer.firstAckAfter(t0 + tookMs)!;
    const p: Phase = { name, tookMs, primaryBefore: before, primaryAfter: await primary(), longestGapMs: writer.longestGap(t0, resumed), ackedDuring: writer.acked.length - ackedAtStart };
    phases.push(p);
    log(`${name}: ${tookMs} ms, primary ${p.primaryBefore} -> ${p.primaryAfter}, longest gap ${p.longestGapMs} ms, ${p.ackedDuring} acked`);
  };
  const ordinalOf = (id: string | undefined) => (id === undefined ? 0 : Number(id.slice(id.lastIndexOf('-') + 1)));
  const all = kube.pods.map((p) => p.ordinal);
  try {
    await kube.startProxy();
    await Promise.all(all.map((i) => kube.createPod(i)));
    await kube.waitReady(all, 60_000, 'the first start');
    // README's `kubectl exec ... status`, in that pod's container.
    const ex = readme.exec;
    const pod = kube.pods.find((p) => p.name === ex.pod);
    if (!pod) throw new Error(`README's kubectl exec names pod ${ex.pod}, which the StatefulSet does not have`);
    status = await pod.exec(ex.container, ex.argv);
    log(`kubectl exec ${ex.pod} -c ${ex.container} -- ${ex.argv.join(' ')}: exit ${status.code}\n${status.output}`);
    writer.start();
    sampler.start();
    while (writer.acked.length === 0) await sleep(50);
    await sleep(1000);

    await phase('reschedule the primary, empty, at a new IP', async () => {
      const p = ordinalOf(await primary());
      await kube.reschedule(p, 2000);
      await kube.waitReady(all, 60_000, 'reschedule');
    });
    await phase('rolling update', () => kube.rollingUpdate(60_000));
    await phase('drain two nodes at once', async () => {
      const p = ordinalOf(await primary());
      await kube.drain([p, (p + 1) % kube.replicas], 90_000);
    });
    await phase('restart the whole set at once', async () => {
      const p = await primary();
      await kube.restartAll(90_000, p === undefined ? undefined : ordinalOf(p));
    });
    await sleep(1000);
  } catch (err) {
    failure = (err as Error).message;
    log(`FAILED: ${failure}`);
  }
  await writer.stop();
  await sampler.stop();
  let lost: string[] | undefined;
  const final = await primary();
  try {
    const at = final === undefined ? undefined : kube.pods[ordinalOf(final)];
    if (at) lost = await missingKeys({ host: kube.podHost(at.ordinal), port: 6379 }, writer.acked);
  } catch (err) {
    failure ??= `reading the acknowledged keys back: ${(err as Error).message}`;
  }
  const result = {
    server: `${server.flavour} (${server.server})`,
    failure,
    acked: writer.acked.length,
    attempts: writer.attempts,
    lost: lost?.length,
    lostSample: lost?.slice(0, 10),
    finalPrimary: final,
    samplerRounds: sampler.rounds,
    maxWritableInRound: sampler.maxWritableInRound,
    violations: sampler.violations.slice(0, 10),
    evictionsRefused: kube.evictionsRefused,
    status,
    readyUnsynced: kube.readyUnsynced,
    unready: kube.unready,
    offsetsAfterRestart: kube.offsetsAfterRestart,
    stoppedAsMaster: kube.stoppedAsMaster,
    livenessKills: kube.pods.flatMap((p) => p.livenessKills),
    addressesGiven: [...addressesGiven].sort(),
    ipAddressesGiven: [...addressesGiven].filter((a) => isIP(a) !== 0),
    phases,
  };
  await kube.stop();
  if (!keepLogs && failure === undefined && !lost?.length && sampler.violations.length === 0) rmSync(dir, { recursive: true, force: true });
  else log(`logs kept in ${dir}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

const inLab = process.env[LAB_VAR];
if (args.has('cleanup')) {
  const spec = labSpec();
  destroyLab(spec.prefix);
  Kube.removeDns(spec, spec.nodes);
  process.exit(labNamespaces(spec.prefix).length ? 1 : 0);
} else if (inLab) {
  runScript(() => inner(JSON.parse(inLab) as LabSpec));
} else {
  outer()
    .then((code) => process.exit(code))
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
