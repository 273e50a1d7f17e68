/**
 * The member configuration as a reply of `MEMBER LIST / ADD / REMOVE /
 * FORCE`, and back. A map, like SENTINEL's entries (a RESP3 map, the flat
 * field/value array in RESP2, so redis-cli shows `1) "version" 2) "4" …`),
 * scalar values as strings as Sentinel sends them, `voters` and `learners` as
 * arrays of ids, `members` as an array of one map per member. The CLI, and a
 * sidecar forwarding a change to the primary, read it back with
 * parseConfigReply.
 */
import type { ConfigSnapshot } from '../elector/elector.js';
import { fieldMap, MapReply, type Reply } from './resp.js';

/** A member as `MEMBER LIST` shows it: the configuration entry plus whether the answering sidecar hears it. */
export type ConfigReplyMember = ConfigSnapshot['members'][number] & { up: boolean };

export interface ConfigReply extends Omit<ConfigSnapshot, 'members'> {
  members: ConfigReplyMember[];
  /** The sidecar that answered. */
  answeredBy: string;
}

const KINDS = new Set(['voter', 'learner', 'witness']);
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** `committed` as text: yes / no on the primary, unknown elsewhere. */
function committedText(c: boolean | null): string {
  return c === null ? 'unknown' : yesNo(c);
}

export function configReply(snap: ConfigSnapshot, answeredBy: string, up: (id: string) => boolean): Reply {
  const members = [...snap.members]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) =>
      fieldMap({
        id: m.id,
        kind: m.kind,
        priority: m.priority,
        peer: m.peer ?? '',
        redis: m.redis ?? '',
        up: m.id === answeredBy ? 1 : up(m.id) ? 1 : 0,
      }),
    );
  return new MapReply([
    ['version', String(snap.version)],
    ['epoch', String(snap.epoch)],
    ['digest', snap.digest],
    ['quorum', String(snap.quorum)],
    ['voters', [...snap.voters]],
    ['learners', [...snap.learners]],
    ['committed', committedText(snap.committed)],
    ['agreed', yesNo(snap.agreed)],
    ['removed', yesNo(snap.removed)],
    ['conflict', snap.conflict ? `${snap.conflict.peer} ${snap.conflict.digest}` : ''],
    ['answered-by', answeredBy],
    ['members', members],
  ]);
}

/** A RESP2 flat array (or a RESP3 map decoded as an object) into field -> value. */
function asFields(value: unknown, what: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(value)) {
    if (value.length % 2 !== 0) throw new Error(`${what}: odd number of field/value items`);
    for (let i = 0; i < value.length; i += 2) out.set(String(value[i]), value[i + 1]);
    return out;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) out.set(String(k), v);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.set(k, v);
    return out;
  }
  throw new Error(`${what}: expected a field/value array, got ${JSON.stringify(value)?.slice(0, 80)}`);
}

function str(f: Map<string, unknown>, key: string, what: string): string {
  const v = f.get(key);
  if (v === undefined || v === null) throw new Error(`${what}: no ${key}`);
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function int(f: Map<string, unknown>, key: string, what: string): number {
  const text = str(f, key, what);
  if (!/^-?\d{1,15}$/.test(text)) throw new Error(`${what}: ${key} is not an integer: ${JSON.stringify(text)}`);
  return Number(text);
}

function ids(f: Map<string, unknown>, key: string, what: string): string[] {
  const v = f.get(key);
  if (!Array.isArray(v)) throw new Error(`${what}: ${key} is not an array`);
  return v.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

/** Reads a configuration reply back; throws naming what is wrong when it is not one. */
export function parseConfigReply(reply: unknown): ConfigReply {
  const what = 'member configuration reply';
  const f = asFields(reply, what);
  const rawMembers = f.get('members');
  if (!Array.isArray(rawMembers)) throw new Error(`${what}: members is not an array`);
  const members = rawMembers.map((raw, i) => {
    const m = asFields(raw, `${what}: member ${i}`);
    const w = `${what}: member ${i}`;
    const kind = str(m, 'kind', w);
    if (!KINDS.has(kind)) throw new Error(`${w}: kind ${JSON.stringify(kind)} is not voter, learner or witness`);
    const peer = str(m, 'peer', w);
    const redis = str(m, 'redis', w);
    return {
      id: str(m, 'id', w),
      kind: kind as ConfigReplyMember['kind'],
      priority: int(m, 'priority', w),
      ...(peer ? { peer } : {}),
      ...(redis ? { redis } : {}),
      up: str(m, 'up', w) === '1',
    };
  });
  const committed = str(f, 'committed', what);
  const conflict = str(f, 'conflict', what);
  const [conflictPeer, conflictDigest] = conflict.split(' ');
  return {
    version: int(f, 'version', what),
    epoch: int(f, 'epoch', what),
    digest: str(f, 'digest', what),
    quorum: int(f, 'quorum', what),
    voters: ids(f, 'voters', what),
    learners: ids(f, 'learners', what),
    committed: committed === 'unknown' ? null : committed === 'yes',
    agreed: str(f, 'agreed', what) === 'yes',
    removed: str(f, 'removed', what) === 'yes',
    conflict: conflict ? { peer: conflictPeer!, digest: conflictDigest ?? '' } : null,
    answeredBy: str(f, 'answered-by', what),
    members,
  };
}
