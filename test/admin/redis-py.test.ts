// redis-py's Sentinel support (Debian's python3-redis, installed by
// scripts/setup.sh and .ci/run) against the admin API of a fake view that
// points at two real redis-servers. redis-py parses SENTINEL MASTERS and
// SLAVES field by field (typed values, flags split into is_master, is_sdown,
// ...), so a missing field or a wrong flag breaks discovery outright.
import { execFile } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupAll } from '../../lab/proc/redis-process.js';
import { closeAll, startTwoRedisAdmin } from './admin-harness.js';

afterEach(async () => {
  await closeAll();
  await cleanupAll();
});
afterAll(cleanupAll);

/** Debian's interpreter, where python3-redis lives (a python3 earlier on PATH may lack it). */
const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys
from redis.sentinel import Sentinel
port, action = int(sys.argv[1]), sys.argv[2]
sentinel = Sentinel([('127.0.0.1', port)], socket_timeout=2)
if action == 'discover':
    print(json.dumps({'master': list(sentinel.discover_master('mymaster')),
                      'slaves': [list(s) for s in sentinel.discover_slaves('mymaster')]}))
else:
    sentinel.master_for('mymaster', socket_timeout=2).set(sys.argv[3], sys.argv[4])
    print(json.dumps('ok'))
`;

function redisPy(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', SCRIPT, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-py ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

describe('redis-py Sentinel', () => {
  it('discovers the master and the replicas, writes to the master, and follows a change', async () => {
    const { view, port, a, b } = await startTwoRedisAdmin();
    const p = String(port);

    expect(await redisPy([p, 'discover'])).toEqual({ master: ['127.0.0.1', a.port], slaves: [['127.0.0.1', b.port]] });
    expect(await redisPy([p, 'write', 'k1', 'on-a'])).toBe('ok');
    expect(await a.client().get('k1')).toBe('on-a');

    view.setPrimary('n2', 4);
    expect(await redisPy([p, 'discover'])).toEqual({ master: ['127.0.0.1', b.port], slaves: [['127.0.0.1', a.port]] });
    expect(await redisPy([p, 'write', 'k2', 'on-b'])).toBe('ok');
    expect(await b.client().get('k2')).toBe('on-b');

    // A master its sentinel sees as down is no master to redis-py.
    view.peer('n2').up = false;
    await expect(redisPy([p, 'discover'])).rejects.toThrow(/MasterNotFoundError/);
  });
});
