/**
 * `--statefulset-members NAME:COUNT` with `--statefulset-domain DOMAIN`: the
 * member list of a Kubernetes StatefulSet, derived from its stable pod names
 * instead of written out. Pod i of StatefulSet NAME is `NAME-i`, reachable at
 * `NAME-i.DOMAIN` through the headless Service (DOMAIN is
 * `<service>.<namespace>.svc.cluster.local`), so member i is
 *
 *   NAME-i=NAME-i.DOMAIN:<--listen port>,redis=NAME-i.DOMAIN:<--redis port, default 6379>
 *
 * Every pod runs the same container arguments and gets the same list; its
 * own id comes from the pod name (RESP_ELECT_ID from the downward API).
 * Members are DNS names, never pod IPs: a rescheduled pod keeps its name and
 * its peers re-resolve it.
 */
import { OptionError } from '../sidecar/config.js';

/** Most members one StatefulSet may declare; far above any sensible replica set, low enough to catch a typo. */
export const MAX_STATEFULSET_MEMBERS = 99;

// RFC 1123 labels, as Kubernetes requires of pod names and of each part of a Service's DNS name.
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface StatefulSetSpec {
  name: string;
  count: number;
  domain: string;
  sidecarPort: number;
  redisPort: number;
}

/** Parses `NAME:COUNT`; throws OptionError naming --statefulset-members. */
export function parseStatefulSetMembers(text: string, source?: string): { name: string; count: number } {
  const fail = (msg: string) => new OptionError('statefulset-members', `${JSON.stringify(text)}: ${msg}`, source);
  const m = /^([^:]*):(\d+)$/.exec(text);
  if (!m) throw fail('expected NAME:COUNT, the StatefulSet name and its replicas, like redis:3');
  const name = m[1]!;
  const count = Number(m[2]);
  // The longest pod name is NAME-<COUNT-1>; Kubernetes keeps pod names (and so hostnames) to one 63-byte label.
  if (!LABEL.test(name)) throw fail(`${JSON.stringify(name)} is not a StatefulSet name (lowercase letters, digits and '-', starting and ending with a letter or digit)`);
  if (count < 1 || count > MAX_STATEFULSET_MEMBERS) throw fail(`COUNT must be from 1 to ${MAX_STATEFULSET_MEMBERS}, got ${count}`);
  if (`${name}-${count - 1}`.length > 63) throw fail(`pod names ${name}-N would be longer than 63 characters`);
  return { name, count };
}

/** Checks `DOMAIN`, the headless Service's DNS name; throws OptionError naming --statefulset-domain. */
export function checkStatefulSetDomain(domain: string, source?: string): string {
  const d = domain.replace(/\.$/, '');
  const labels = d.split('.');
  if (d.length === 0 || d.length > 253 - 64 || !labels.every((l) => LABEL.test(l))) {
    throw new OptionError('statefulset-domain', `${JSON.stringify(domain)} is not a DNS name like redis.default.svc.cluster.local (the headless Service's name, namespace, svc and the cluster domain)`, source);
  }
  return d;
}

/** The `--member` texts of every pod, ordinal order. */
export function statefulSetMemberTexts(spec: StatefulSetSpec): string[] {
  return Array.from({ length: spec.count }, (_, i) => {
    const host = `${spec.name}-${i}.${spec.domain}`;
    return `${spec.name}-${i}=${host}:${spec.sidecarPort},redis=${host}:${spec.redisPort}`;
  });
}
