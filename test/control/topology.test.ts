/**
 * The pure pieces the runtime feeds adoption with (protocol.md §5.13, §6.2):
 * which member's redis a replica follows (control/topology.ts), and whether a
 * redis's replication credentials are the user's own (control/replication-auth.ts).
 */
import { describe, expect, it } from 'vitest';
import { localTopology } from '../../src/control/topology.js';
import { replicationAuthMode } from '../../src/control/replication-auth.js';
import { DETACH_HOST, DETACH_PORT } from '../../src/redis/detach.js';

const members = [
  { id: 'n1', redis: { host: '10.0.0.1', port: 6379 } },
  { id: 'n2', redis: { host: 'Redis-B.example', port: 6380 } },
  { id: 'w1' },
];

describe('localTopology', () => {
  it('a master, with its connected replicas', () => {
    expect(localTopology({ reachable: true, role: 'master', replicas: 2 }, members)).toEqual({ kind: 'master', replicas: 2 });
    expect(localTopology({ reachable: true, role: 'master' }, members)).toEqual({ kind: 'master', replicas: 0 });
  });

  it("a replica of a member's redis, by its configured address (host without case)", () => {
    expect(localTopology({ reachable: true, role: 'slave', masterHost: 'redis-b.example', masterPort: 6380, linkUp: true }, members)).toEqual({
      kind: 'replica',
      master: 'n2',
      masterAddr: 'redis-b.example:6380',
      linkUp: true,
    });
  });

  it('a replica of an address that is no member’s redis (same host, other port; or a stranger)', () => {
    expect(localTopology({ reachable: true, role: 'slave', masterHost: '10.0.0.1', masterPort: 6380, linkUp: false }, members)).toMatchObject({ kind: 'replica', master: null, linkUp: false });
    expect(localTopology({ reachable: true, role: 'slave', masterHost: '10.9.9.9', masterPort: 6379 }, members)).toMatchObject({ kind: 'replica', master: null, linkUp: false });
  });

  it('the detach sink is detached, not a replica of a stranger', () => {
    expect(localTopology({ reachable: true, role: 'slave', masterHost: DETACH_HOST, masterPort: DETACH_PORT }, members)).toEqual({ kind: 'detached' });
  });

  it('nothing from a poll that says nothing', () => {
    expect(localTopology({ reachable: false }, members)).toBeUndefined();
    expect(localTopology({ reachable: true, role: 'slave' }, members)).toBeUndefined();
  });
});

describe('replicationAuthMode', () => {
  it("the user's own masterauth is kept, with or without a masteruser", () => {
    expect(replicationAuthMode({ masteruser: '', masterauth: 'pw' }, 'resp-elect-repl')).toBe('user');
    expect(replicationAuthMode({ masteruser: 'repl', masterauth: 'pw' }, 'resp-elect-repl')).toBe('user');
  });

  it('no masterauth, or the one an earlier sidecar set: the sidecar’s own user', () => {
    expect(replicationAuthMode({ masteruser: '', masterauth: '' }, 'resp-elect-repl')).toBe('sidecar');
    expect(replicationAuthMode({ masteruser: 'resp-elect-repl', masterauth: 'abc' }, 'resp-elect-repl')).toBe('sidecar');
  });
});
