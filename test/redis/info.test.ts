import { describe, expect, it } from 'vitest';
import { InfoParseError, flattenInfo, parseInfo, parseReplicaLine, parseReplicationState } from '../../src/redis/info.js';
import { deriveStatus, electionOffset, unreachableStatus } from '../../src/redis/status.js';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

// Shapes captured from redis-server 7.0.15.
const SERVER = crlf([
  '# Server',
  'redis_version:7.0.15',
  'redis_mode:standalone',
  'os:Linux 6.1.0 x86_64',
  'process_id:4147',
  'run_id:3f1f1a8f0e0c2b6f0c0d9f4c5d1b2a7e8f9a0b1c',
  'tcp_port:7102',
  'executable:/usr/bin/redis-server',
  'config_file:',
]);

const PERSISTENCE_IDLE = crlf(['# Persistence', 'loading:0', 'async_loading:0', 'rdb_changes_since_last_save:3']);
const PERSISTENCE_LOADING = crlf([
  '# Persistence',
  'loading:1',
  'async_loading:0',
  'loading_loaded_perc:71.99',
  'loading_eta_seconds:0',
]);

const MASTER = crlf([
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=127.0.0.1,port=7102,state=online,offset=3107,lag=0',
  'slave1:ip=::1,port=7103,state=wait_bgsave,offset=0,lag=1',
  'master_failover_state:no-failover',
  'master_replid:a185f79622a8e0b211af3502537f66553c076a42',
  'master_replid2:0000000000000000000000000000000000000000',
  'master_repl_offset:3107',
  'second_repl_offset:-1',
  'repl_backlog_active:1',
]);

const REPLICA_UP = crlf([
  '# Replication',
  'role:slave',
  'master_host:127.0.0.1',
  'master_port:7101',
  'master_link_status:up',
  'master_last_io_seconds_ago:1',
  'master_sync_in_progress:0',
  'slave_read_repl_offset:3120',
  'slave_repl_offset:3107',
  'slave_priority:100',
  'slave_read_only:1',
  'replica_announced:1',
  'connected_slaves:0',
  'master_failover_state:no-failover',
  'master_replid:a185f79622a8e0b211af3502537f66553c076a42',
  'master_replid2:0000000000000000000000000000000000000000',
  'master_repl_offset:3107',
  'second_repl_offset:-1',
]);

const REPLICA_LOADING = crlf([
  '# Replication',
  'role:slave',
  'master_host:127.0.0.1',
  'master_port:7402',
  'master_link_status:down',
  'master_last_io_seconds_ago:-1',
  'master_sync_in_progress:1',
  'slave_read_repl_offset:1',
  'slave_repl_offset:1',
  'master_sync_total_bytes:-1',
  'master_link_down_since_seconds:2',
  'master_replid:cbcce2e7e562615a9bf5427aa4b332bd85ebc165',
  'master_repl_offset:1505',
]);

describe('parseInfo', () => {
  it('splits sections, lower-cases their names and keeps colons inside values', () => {
    const sections = parseInfo(SERVER + '\r\n' + MASTER);
    expect(Object.keys(sections)).toEqual(['server', 'replication']);
    expect(sections['server']?.['executable']).toBe('/usr/bin/redis-server');
    expect(sections['server']?.['config_file']).toBe('');
    expect(sections['replication']?.['slave1']).toBe('ip=::1,port=7103,state=wait_bgsave,offset=0,lag=1');
  });

  it('accepts LF-only text, fields before any header, and concatenated replies', () => {
    const sections = parseInfo('loose:1\n# Keyspace\ndb0:keys=2,expires=0,avg_ttl=0\n\n# Keyspace\ndb1:keys=1,expires=0,avg_ttl=0\n');
    expect(sections['']).toEqual({ loose: '1' });
    expect(sections['keyspace']).toEqual({ db0: 'keys=2,expires=0,avg_ttl=0', db1: 'keys=1,expires=0,avg_ttl=0' });
    expect(flattenInfo(sections)['db1']).toBe('keys=1,expires=0,avg_ttl=0');
  });

  it('ignores garbage lines', () => {
    expect(parseInfo('no colon here\r\n:leading colon\r\n# S\r\nk:v')).toEqual({ s: { k: 'v' } });
  });
});

describe('parseReplicaLine', () => {
  it('reads ip (IPv6 too), port, state, offset and lag', () => {
    expect(parseReplicaLine('ip=::1,port=7103,state=online,offset=42,lag=2')).toEqual({
      ip: '::1',
      port: 7103,
      state: 'online',
      offset: 42,
      lag: 2,
    });
    expect(parseReplicaLine('state=online')).toBeUndefined();
  });
});

describe('parseReplicationState', () => {
  it('describes a master with its replicas in slave-index order', () => {
    const state = parseReplicationState(parseInfo(SERVER + PERSISTENCE_IDLE + MASTER));
    expect(state).toEqual({
      role: 'master',
      runId: '3f1f1a8f0e0c2b6f0c0d9f4c5d1b2a7e8f9a0b1c',
      replId: 'a185f79622a8e0b211af3502537f66553c076a42',
      replId2: '0000000000000000000000000000000000000000',
      secondReplOffset: -1,
      masterReplOffset: 3107,
      syncInProgress: false,
      loading: false,
      connectedReplicas: [
        { ip: '127.0.0.1', port: 7102, state: 'online', offset: 3107, lag: 0 },
        { ip: '::1', port: 7103, state: 'wait_bgsave', offset: 0, lag: 1 },
      ],
    });
  });

  it('describes a streaming replica', () => {
    const state = parseReplicationState(parseInfo(SERVER + PERSISTENCE_IDLE + REPLICA_UP));
    expect(state).toMatchObject({
      role: 'slave',
      masterHost: '127.0.0.1',
      masterPort: 7101,
      linkStatus: 'up',
      replicaOffset: 3107,
      replicaReadOffset: 3120,
      masterReplOffset: 3107,
      syncInProgress: false,
      loading: false,
      connectedReplicas: [],
    });
    expect(state.linkDownSinceSec).toBeUndefined();
  });

  it('describes a replica loading a full sync', () => {
    const state = parseReplicationState(parseInfo(PERSISTENCE_LOADING + REPLICA_LOADING));
    expect(state).toMatchObject({
      role: 'slave',
      linkStatus: 'down',
      linkDownSinceSec: 2,
      syncInProgress: true,
      loading: true,
      replicaOffset: 1,
      masterReplOffset: 1505,
    });
    expect(state.runId).toBeUndefined();
  });

  it('treats async_loading as loading', () => {
    const state = parseReplicationState(parseInfo('# Persistence\r\nloading:0\r\nasync_loading:1\r\n' + MASTER));
    expect(state.loading).toBe(true);
  });

  it('rejects text without a role or an offset', () => {
    expect(() => parseReplicationState(parseInfo(SERVER))).toThrow(InfoParseError);
    expect(() => parseReplicationState(parseInfo('role:sentinel'))).toThrow(/role.*"sentinel"/);
    expect(() => parseReplicationState(parseInfo('role:master'))).toThrow(/master_repl_offset/);
  });
});

describe('deriveStatus', () => {
  it('a master is healthy and offers master_repl_offset', () => {
    const status = deriveStatus(parseReplicationState(parseInfo(SERVER + PERSISTENCE_IDLE + MASTER)));
    expect(status).toMatchObject({ reachable: true, healthy: true, role: 'master', offset: 3107 });
    expect(status.runId).toBe('3f1f1a8f0e0c2b6f0c0d9f4c5d1b2a7e8f9a0b1c');
    expect(status.unhealthyReason).toBeUndefined();
  });

  it('a streaming replica is healthy and offers slave_repl_offset, not the read offset', () => {
    const status = deriveStatus(parseReplicationState(parseInfo(PERSISTENCE_IDLE + REPLICA_UP)));
    expect(status).toMatchObject({ healthy: true, role: 'slave', offset: 3107 });
  });

  it('a replica with its link down is unhealthy', () => {
    const text = REPLICA_UP.replace('master_link_status:up', 'master_link_status:down');
    const status = deriveStatus(parseReplicationState(parseInfo(PERSISTENCE_IDLE + text)));
    expect(status).toMatchObject({ healthy: false, unhealthyReason: 'master-link-down', offset: 3107 });
  });

  it('a replica in sync or loading is unhealthy, loading reported first', () => {
    const syncing = REPLICA_UP.replace('master_sync_in_progress:0', 'master_sync_in_progress:1');
    expect(deriveStatus(parseReplicationState(parseInfo(PERSISTENCE_IDLE + syncing)))).toMatchObject({
      healthy: false,
      unhealthyReason: 'sync-in-progress',
    });
    const loading = deriveStatus(parseReplicationState(parseInfo(PERSISTENCE_LOADING + REPLICA_LOADING)));
    expect(loading).toMatchObject({ healthy: false, unhealthyReason: 'loading', offset: 1 });
  });

  it('a loading master is unhealthy', () => {
    const status = deriveStatus(parseReplicationState(parseInfo(PERSISTENCE_LOADING + MASTER)));
    expect(status).toMatchObject({ healthy: false, unhealthyReason: 'loading', role: 'master' });
  });

  it('electionOffset falls back to master_repl_offset when a replica lacks slave_repl_offset', () => {
    const state = parseReplicationState(parseInfo('role:slave\r\nmaster_repl_offset:77'));
    expect(electionOffset(state)).toBe(77);
  });

  it('unreachableStatus carries the reason', () => {
    expect(unreachableStatus('connect ECONNREFUSED')).toEqual({
      reachable: false,
      healthy: false,
      unhealthyReason: 'unreachable',
      error: 'connect ECONNREFUSED',
    });
  });
});

// Shapes captured from valkey-server 8.0.1 with dual-channel-replication-enabled yes.
describe('Valkey dual-channel replication in INFO', () => {
  const master = (lines: string[]) =>
    crlf(['# Replication', 'role:master', `connected_slaves:${lines.length}`, ...lines.map((l, i) => `slave${i}:${l}`), 'master_replid:26a438d7b361ec43bda1292b2efd35eae1ec21be', 'master_repl_offset:500', 'second_repl_offset:-1']);

  it('one replica listed twice during a sync (rdb-channel + main-channel) counts once, as its main channel', () => {
    const state = parseReplicationState(
      parseInfo(
        master([
          'ip=127.0.0.1,port=27102,state=wait_bgsave,offset=0,lag=0,type=rdb-channel',
          'ip=127.0.0.1,port=27102,state=wait_bgsave,offset=0,lag=0,type=main-channel',
          'ip=127.0.0.1,port=27103,state=online,offset=500,lag=0,type=replica',
        ]),
      ),
    );
    expect(state.connectedReplicas).toEqual([
      { ip: '127.0.0.1', port: 27102, state: 'wait_bgsave', offset: 0, lag: 0, type: 'main-channel' },
      { ip: '127.0.0.1', port: 27103, state: 'online', offset: 500, lag: 0, type: 'replica' },
    ]);
  });

  it('an rdb-channel alone (the sync just began) stays listed, not online', () => {
    const state = parseReplicationState(parseInfo(master(['ip=127.0.0.1,port=27102,state=wait_bgsave,offset=0,lag=0,type=rdb-channel'])));
    expect(state.connectedReplicas).toEqual([{ ip: '127.0.0.1', port: 27102, state: 'wait_bgsave', offset: 0, lag: 0, type: 'rdb-channel' }]);
  });

  it('a replica whose dual-channel sync has not finished (link down, buffering) is not healthy, so never promotable', () => {
    // What valkey 8.0.1 reports on the replica while the rdb-channel loads: the link is down, no sync flag.
    const replica = crlf(['# Replication', 'role:slave', 'master_host:127.0.0.1', 'master_port:27101', 'master_link_status:down', 'master_sync_in_progress:0', 'slave_read_repl_offset:0', 'slave_repl_offset:0', 'replicas_repl_buffer_size:81920', 'master_repl_offset:0']);
    expect(deriveStatus(parseReplicationState(parseInfo(PERSISTENCE_IDLE + replica)))).toMatchObject({ healthy: false, unhealthyReason: 'master-link-down' });
  });
});
