/** RESP_ELECT_REDIS_SERVER: which server the lab starts, and the -cli/-sentinel found beside it. */
import { describe, expect, it } from 'vitest';
import { binaryVersion, serverBinaries } from '../../lab/proc/server-binaries.js';

describe('serverBinaries', () => {
  it('defaults to redis-server when unset or blank', () => {
    expect(serverBinaries({})).toEqual({ server: 'redis-server', cli: 'redis-cli', sentinel: 'redis-sentinel', flavour: 'redis' });
    expect(serverBinaries({ RESP_ELECT_REDIS_SERVER: '  ' }).server).toBe('redis-server');
  });

  it('valkey-server brings valkey-cli and valkey-sentinel', () => {
    expect(serverBinaries({ RESP_ELECT_REDIS_SERVER: 'valkey-server' })).toEqual({ server: 'valkey-server', cli: 'valkey-cli', sentinel: 'valkey-sentinel', flavour: 'valkey' });
  });

  it('a path finds its siblings in the same directory', () => {
    expect(serverBinaries({ RESP_ELECT_REDIS_SERVER: '/x/y/valkey-server' })).toEqual({ server: '/x/y/valkey-server', cli: '/x/y/valkey-cli', sentinel: '/x/y/valkey-sentinel', flavour: 'valkey' });
  });

  it('an unknown binary is an error naming the variable', () => {
    expect(() => serverBinaries({ RESP_ELECT_REDIS_SERVER: 'keydb-server' })).toThrow(/RESP_ELECT_REDIS_SERVER="keydb-server"/);
    expect(() => serverBinaries({ RESP_ELECT_REDIS_SERVER: '/usr/bin/redis-cli' })).toThrow(/RESP_ELECT_REDIS_SERVER/);
  });

  it('binaryVersion reads the chosen server, and names the variable when it cannot run', () => {
    const v = binaryVersion(serverBinaries().server);
    expect(v.ok && v.version).toMatch(/^(Redis|Valkey) server v=\d/);
    const missing = binaryVersion('/nonexistent/valkey-server');
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.error).toMatch(/\/nonexistent\/valkey-server cannot be run .*RESP_ELECT_REDIS_SERVER/);
  });
});
