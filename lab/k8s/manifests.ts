/**
 * deploy/kubernetes/ read as Kubernetes reads it: every YAML document of
 * every file, and for one pod of the StatefulSet, each container's command
 * line and environment as the kubelet would start it (downward-API fields
 * filled in, `$(VAR)` references expanded by Kubernetes' rules). The manifest
 * test validates these objects; the emulation runs these command lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed: only the fields the lab reads are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // shapes validated by kubernetes-models in the manifest test
  [key: string]: unknown;
}

export interface LoadedManifest {
  file: string;
  object: K8sObject;
}

/** Every document of every *.yaml in `dir`, file by file in name order. Throws on YAML errors, naming the file. */
export function loadManifests(dir: string): LoadedManifest[] {
  const out: LoadedManifest[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
    if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
    for (const doc of docs) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as K8sObject | null;
      if (object !== null) out.push({ file, object });
    }
  }
  return out;
}

export function findObject(all: LoadedManifest[], kind: string, name?: string): K8sObject {
  const found = all.filter((m) => m.object.kind === kind && (name === undefined || m.object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}${name ? ` ${name}` : ''} in deploy/kubernetes, found ${found.length}`);
  return found[0]!.object;
}

/**
 * Kubernetes' expansion of `$(VAR)` in env values, command and args: a
 * defined variable is replaced, `$$` is a literal `$`, anything else (an
 * undefined variable included) is left as written.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      const name = close < 0 ? undefined : text.slice(i + 2, close);
      if (name !== undefined && vars.has(name)) {
        out += vars.get(name)!;
        i = close;
      } else out += c;
    } else out += c;
  }
  return out;
}

/** What the downward API tells one pod. */
export interface PodFacts {
  name: string;
  namespace: string;
  podIP: string;
}

export interface ContainerRun {
  name: string;
  image: string;
  /** command + args, expanded. */
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  /** The container spec as written, for its probes, hooks and mounts. */
  spec: any;
}

function fieldRef(path: string, pod: PodFacts): string {
  switch (path) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'status.podIP':
      return pod.podIP;
    default:
      throw new Error(`fieldRef ${path}: not emulated`);
  }
}

/** Each container of the StatefulSet's pod template, as started in pod `pod`. */
export function containerRuns(statefulSet: K8sObject, pod: PodFacts): ContainerRun[] {
  const containers = statefulSet.spec.template.spec.containers as any[];
  return containers.map((c) => {
    const vars = new Map<string, string>();
    for (const e of (c.env ?? []) as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]) {
      if (e.valueFrom?.fieldRef) vars.set(e.name, fieldRef(e.valueFrom.fieldRef.fieldPath, pod));
      else if (e.valueFrom) throw new Error(`container ${c.name}: env ${e.name}: only fieldRef is emulated`);
      else vars.set(e.name, expandVars(String(e.value ?? ''), vars));
    }
    const argv = [...((c.command ?? []) as string[]), ...((c.args ?? []) as string[])].map((a) => expandVars(String(a), vars));
    if (argv.length === 0) throw new Error(`container ${c.name}: no command (the image's entrypoint is not emulated)`);
    return { name: c.name as string, image: c.image as string, argv, env: Object.fromEntries(vars), workingDir: c.workingDir as string | undefined, spec: c };
  });
}

/** The port number a probe's `port` (a number or a container port's name) refers to. */
export function probePort(container: any, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = ((container.ports ?? []) as { name?: string; containerPort: number }[]).find((x) => x.name === port);
  if (!p) throw new Error(`container ${container.name}: no port named ${port}`);
  return p.containerPort;
}
