/**
 * deploy/kubernetes/: every object validated against Kubernetes' published
 * API schemas (the kubernetes-models package: each parsed object through its
 * model's validate()), and the pieces checked to agree with each other and
 * with resp-elect's own option parser: the sidecar's command line of every
 * pod resolves (yargs with RUN_OPTIONS, then resolveRunConfig) to members
 * named by stable DNS names only, the secret and vote file on the mounts the
 * flags name, probes on endpoints the sidecar serves, read-only root
 * filesystems. The emulation (kubernetes-emulation.test.ts) runs these files.
 */
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { containerRuns, findObject, loadManifests, probePort, type K8sObject } from '../../lab/k8s/manifests.js';
import { readmeKubernetesCommands } from '../../lab/k8s/readme-commands.js';
import { resolveRunConfig } from '../../src/cli/resolve-run-config.js';
import { addRunOptions } from '../../src/cli/run-command.js';

const DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const all = loadManifests(DIR);

function model(o: K8sObject): { validate(): void } {
  const key = `${o.apiVersion}/${o.kind}`;
  switch (key) {
    case 'apps/v1/StatefulSet':
      return new StatefulSet(o as never);
    case 'v1/Service':
      return new Service(o as never);
    case 'policy/v1/PodDisruptionBudget':
      return new PodDisruptionBudget(o as never);
    default:
      throw new Error(`${o.kind} ${o.metadata.name}: no model for ${key}; add it to this test`);
  }
}

const sts = findObject(all, 'StatefulSet', 'redis');
const runsOf = (ordinal: number, namespace = 'prod') => containerRuns(sts, { name: `redis-${ordinal}`, namespace, podIP: `10.1.0.${ordinal + 10}` });
const containerSpec = (name: string) => (sts.spec.template.spec.containers as { name: string }[]).find((c) => c.name === name) as any;

describe('deploy/kubernetes', () => {
  it('every object passes its Kubernetes API schema', () => {
    expect(all.map((m) => `${m.file}: ${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'pdb.yaml: PodDisruptionBudget/redis',
      'services.yaml: Service/redis',
      'services.yaml: Service/redis-sentinel',
      'statefulset.yaml: StatefulSet/redis',
    ]);
    for (const m of all) expect(() => model(m.object).validate(), `${m.file} ${m.object.kind}`).not.toThrow();
  });

  it('the schema check catches a wrong field (so the test above can fail)', () => {
    const broken = structuredClone(sts);
    broken.spec.podManagementPolicy = 'AllAtOnce';
    expect(() => model(broken).validate()).toThrow(/podManagementPolicy/);
    const noPort = structuredClone(findObject(all, 'Service', 'redis'));
    noPort.spec.ports[0].port = 'six';
    expect(() => model(noPort).validate()).toThrow(/port/);
  });

  it('the headless Service publishes not-ready pods and is the StatefulSet\'s; every selector matches the pods', () => {
    const headless = findObject(all, 'Service', sts.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    const labels = sts.spec.template.metadata.labels as Record<string, string>;
    expect(sts.spec.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(sts.spec.selector.matchLabels).map(([k]) => [k, labels[k]])));
    for (const svc of [headless, findObject(all, 'Service', 'redis-sentinel')]) {
      for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(labels[k], `${svc.metadata.name} selector ${k}`).toBe(v);
    }
    const pdb = findObject(all, 'PodDisruptionBudget');
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels as Record<string, string>)) expect(labels[k]).toBe(v);
    expect(pdb.spec.maxUnavailable).toBe(1);
    // Parallel: OrderedReady would wait forever for pod 0, which cannot be ready alone.
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    // Clients' Sentinel Service routes to the sidecars' port.
    const sentinelPort = findObject(all, 'Service', 'redis-sentinel').spec.ports[0];
    expect(probePort(containerSpec('resp-elect'), sentinelPort.targetPort)).toBe(26379);
  });

  it('every pod\'s sidecar command line resolves, with members named by stable DNS names only', () => {
    for (const ordinal of [0, 1, 2]) {
      const run = runsOf(ordinal).find((r) => r.name === 'resp-elect')!;
      expect(run.argv.slice(0, 2)).toEqual(['node', 'dist/src/cli/main.js']);
      const argv = yargs(run.argv.slice(3)).parserConfiguration({ 'camel-case-expansion': false }).strict();
      const flags = addRunOptions(argv).parseSync() as Record<string, unknown>;
      const config = resolveRunConfig({ flags, env: run.env, readFile: () => Buffer.from('a'.repeat(64)) });
      expect(config.id).toBe(`redis-${ordinal}`);
      expect(config.members).toHaveLength(sts.spec.replicas);
      for (const m of config.members) {
        expect(m.sidecar.host).toBe(`${m.id}.redis.prod.svc.cluster.local`);
        expect(m.redis?.host).toBe(m.sidecar.host);
        expect(isIP(m.sidecar.host)).toBe(0);
      }
      expect(config.announce).toEqual({ host: `redis-${ordinal}.redis.prod.svc.cluster.local`, port: 6379 });
      expect(config.bootstrapPrimary).toBe('redis-0');
      // The secret and the vote file are where the mounts are.
      const mounts = (containerSpec('resp-elect').volumeMounts as { name: string; mountPath: string }[]);
      const secretMount = mounts.find((v) => v.name === 'peer-secret')!;
      expect(flags['secret-file']).toMatch(new RegExp(`^${secretMount.mountPath}/`));
      const volume = (sts.spec.template.spec.volumes as { name: string; secret?: { secretName: string } }[]).find((v) => v.name === 'peer-secret')!;
      expect(volume.secret?.secretName).toBe('resp-elect-peer');
      const dataMount = mounts.find((v) => v.name === 'data')!;
      expect(config.dataDir.startsWith(`${dataMount.mountPath}/`)).toBe(true);
      expect(sts.spec.volumeClaimTemplates.map((t: K8sObject) => t.metadata.name)).toContain('data');
    }
  });

  it('README "Running on Kubernetes" creates the Secret the pods mount and applies this directory', () => {
    const readme = readmeKubernetesCommands(fileURLToPath(new URL('../../README.md', import.meta.url)));
    expect(readme.lines).toContain('kubectl apply -f deploy/kubernetes/');
    const volume = (sts.spec.template.spec.volumes as { name: string; secret?: { secretName: string } }[]).find((v) => v.secret)!;
    expect(readme.secret.name).toBe(volume.secret!.secretName);
    const run = runsOf(0).find((r) => r.name === 'resp-elect')!;
    const secretFile = run.argv[run.argv.indexOf('--secret-file') + 1]!;
    expect(secretFile.split('/').at(-1)).toBe(readme.secret.key);
    expect(readme.exec.container).toBe('resp-elect');
    expect(readme.exec.argv.slice(0, 2)).toEqual(run.argv.slice(0, 2));
    // The README shows the manifests' replica count and names.
    expect(`${sts.metadata.name}:${sts.spec.replicas}`).toBe(run.argv[run.argv.indexOf('--statefulset-members') + 1]);
  });

  it('probes ask the sidecar\'s /ready and /live; root filesystems are read-only; the grace period covers the hand-off', () => {
    const sidecar = containerSpec('resp-elect');
    expect(sidecar.readinessProbe.httpGet.path).toBe('/ready');
    expect(sidecar.livenessProbe.httpGet.path).toBe('/live');
    expect(probePort(sidecar, sidecar.readinessProbe.httpGet.port)).toBe(9121);
    const http = runsOf(0).find((r) => r.name === 'resp-elect')!.argv;
    expect(http[http.indexOf('--http') + 1]).toBe('0.0.0.0:9121');
    for (const c of sts.spec.template.spec.containers as { name: string; securityContext: { readOnlyRootFilesystem: boolean } }[]) {
      expect(c.securityContext.readOnlyRootFilesystem, c.name).toBe(true);
    }
    const redis = containerSpec('redis');
    expect(redis.lifecycle.preStop.exec.command.slice(0, 2)).toEqual(['sh', '-c']);
    // 20 s of preStop at most, then redis' own shutdown: the grace period must hold both.
    expect(redis.lifecycle.preStop.exec.command[2]).toMatch(/-le 200 \]/);
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    // redis persists on the volume the StatefulSet keeps per pod.
    const args = runsOf(1).find((r) => r.name === 'redis')!.argv;
    expect(args[args.indexOf('--dir') + 1]).toBe(redis.volumeMounts.find((m: { name: string }) => m.name === 'data').mountPath);
    // RDB, not AOF: only an RDB gives a restarted redis its replication offset back.
    expect(args[args.indexOf('--appendonly') + 1]).toBe('no');
    expect(args[args.indexOf('--save') + 1]).not.toBe('');
    expect(args.slice(args.indexOf('--replicaof') + 1, args.indexOf('--replicaof') + 3)).toEqual(['127.0.0.1', '1']);
  });
});
