/**
 * --statefulset-members NAME:COUNT with --statefulset-domain: the member list
 * of a Kubernetes StatefulSet from its stable pod names, and the id from the
 * pod name as Kubernetes passes it (RESP_ELECT_ID from the downward API), as
 * deploy/kubernetes/statefulset.yaml uses them. Same style as
 * run-config.test.ts: resolveRunConfig with files from an in-memory map.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src/cli/resolve-run-config.js';
import { OptionError } from '../../src/sidecar/config.js';

const SECRET = 'a-shared-secret-of-32-bytes-long';
const readFile = (p: string): Buffer => {
  if (p === '/etc/resp-elect/secret/secret') return Buffer.from(`${SECRET}\n`);
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
};

/** The pod's environment as the manifest sets it: the id from metadata.name, the rest as RESP_ELECT_* variables. */
function podEnv(over: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    RESP_ELECT_ID: 'redis-1',
    RESP_ELECT_LISTEN: '0.0.0.0:26379',
    RESP_ELECT_REDIS: '127.0.0.1:6379',
    RESP_ELECT_STATEFULSET_MEMBERS: 'redis:3',
    RESP_ELECT_STATEFULSET_DOMAIN: 'redis.prod.svc.cluster.local',
    RESP_ELECT_SECRET_FILE: '/etc/resp-elect/secret/secret',
    ...over,
  };
}

function errorOf(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error('expected an OptionError, nothing was thrown');
}

const resolve = (env: Record<string, string | undefined>, flags: Record<string, unknown> = {}) => resolveRunConfig({ flags, env, readFile });

describe('--statefulset-members', () => {
  it('derives every pod as a member named by its stable DNS name, and this pod from its name', () => {
    const c = resolve(podEnv());
    expect(c.id).toBe('redis-1');
    expect(c.members).toEqual(
      [0, 1, 2].map((i) => ({
        id: `redis-${i}`,
        sidecar: { host: `redis-${i}.redis.prod.svc.cluster.local`, port: 26379 },
        redis: { host: `redis-${i}.redis.prod.svc.cluster.local`, port: 6379 },
        witness: false,
        priority: 1,
      })),
    );
    // The local redis over the pod's loopback; clients and peers are given the stable name, never an IP.
    expect(c.redis?.addr).toEqual({ host: '127.0.0.1', port: 6379 });
    expect(c.announce).toEqual({ host: 'redis-1.redis.prod.svc.cluster.local', port: 6379 });
  });

  it('takes the ports from --listen and --redis, accepts a trailing dot, and works from flags and the config file too', () => {
    const c = resolve({}, { id: 'db-0', listen: '0.0.0.0:5000', redis: '127.0.0.1:7000', 'statefulset-members': 'db:1', 'statefulset-domain': 'db.x.svc.cluster.local.', 'secret-file': '/etc/resp-elect/secret/secret' });
    expect(c.members.map((m) => `${m.id} ${m.sidecar.host}:${m.sidecar.port} ${m.redis?.host}:${m.redis?.port}`)).toEqual(['db-0 db-0.db.x.svc.cluster.local:5000 db-0.db.x.svc.cluster.local:7000']);
    const withoutRedis = resolve(podEnv({ RESP_ELECT_REDIS: undefined }));
    expect(withoutRedis.members[0]!.redis?.port).toBe(6379);
    expect(withoutRedis.redis?.addr).toEqual({ host: 'redis-1.redis.prod.svc.cluster.local', port: 6379 });
    const fromFile = resolveRunConfig({
      flags: { config: '/c.json' },
      env: { RESP_ELECT_ID: 'redis-2' },
      readFile: (p) => (p === '/c.json' ? Buffer.from(JSON.stringify({ listen: '0.0.0.0:26379', statefulsetMembers: 'redis:3', statefulsetDomain: 'redis.a.svc', secretFile: '/etc/resp-elect/secret/secret' })) : readFile(p)),
    });
    expect(fromFile.members.map((m) => m.id)).toEqual(['redis-0', 'redis-1', 'redis-2']);
    expect(fromFile.announce?.host).toBe('redis-2.redis.a.svc');
  });

  it('an id outside the StatefulSet names --id, the pods and where the id should come from', () => {
    const e = errorOf(() => resolve(podEnv({ RESP_ELECT_ID: 'redis-3' })));
    expect(e.message).toMatch(/--id.*redis-3 is not one of the pods of --statefulset-members redis:3 \(redis-0, redis-1, redis-2\).*RESP_ELECT_ID from the pod name/);
  });

  it('refuses bad values, naming the option and the value', () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ RESP_ELECT_STATEFULSET_MEMBERS: 'redis' }, /--statefulset-members.*"redis": expected NAME:COUNT/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: 'redis:x' }, /expected NAME:COUNT/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: 'Redis:3' }, /"Redis" is not a StatefulSet name/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: 'redis-:3' }, /is not a StatefulSet name/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: 'redis:0' }, /COUNT must be from 1 to 99, got 0/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: 'redis:100' }, /COUNT must be from 1 to 99, got 100/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: `${'r'.repeat(62)}:3` }, /longer than 63 characters/],
      [{ RESP_ELECT_STATEFULSET_DOMAIN: undefined }, /--statefulset-domain: is required with --statefulset-members/],
      [{ RESP_ELECT_STATEFULSET_DOMAIN: 'redis..svc' }, /--statefulset-domain.*"redis\.\.svc" is not a DNS name/],
      [{ RESP_ELECT_STATEFULSET_DOMAIN: 'Redis.svc' }, /is not a DNS name/],
      [{ RESP_ELECT_STATEFULSET_DOMAIN: 'redis.$(POD_NAMESPACE).svc' }, /is not a DNS name/],
      [{ RESP_ELECT_MEMBER: 'n1=10.0.0.1:26379,redis=10.0.0.1:6379' }, /--statefulset-members.*replaces --member/],
      [{ RESP_ELECT_STATEFULSET_MEMBERS: undefined, RESP_ELECT_MEMBER: 'redis-1=10.0.0.1:26379,redis=10.0.0.1:6379' }, /--statefulset-domain.*only used with --statefulset-members/],
    ];
    for (const [over, want] of cases) {
      const e = errorOf(() => resolve(podEnv(over)));
      expect(e.message, JSON.stringify(over)).toMatch(want);
    }
    // The source is named when it is not a flag.
    expect(errorOf(() => resolve(podEnv({ RESP_ELECT_STATEFULSET_MEMBERS: 'redis' }))).message).toMatch(/environment/);
  });

  it('--bootstrap-primary must name one of the pods', () => {
    expect(resolve(podEnv({ RESP_ELECT_BOOTSTRAP_PRIMARY: 'redis-0' })).bootstrapPrimary).toBe('redis-0');
    expect(errorOf(() => resolve(podEnv({ RESP_ELECT_BOOTSTRAP_PRIMARY: 'redis-7' }))).message).toMatch(/redis-7 is not a member/);
  });
});
