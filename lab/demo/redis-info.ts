/**
 * What the demo reads from each redis-server for its table and its waits:
 * one `INFO replication` over a fresh raw socket, bounded by a timeout, so a
 * killed or frozen server simply reads as unreachable.
 */
import { connect } from 'node:net';
import { parseInfo, parseReplicationState, type ReplicationState } from '../../src/redis/info.js';

export interface RedisView {
  reachable: boolean;
  role?: 'master' | 'slave';
  /** master_repl_offset on a master, slave_repl_offset on a replica. */
  offset?: number;
  state?: ReplicationState;
  error?: string;
}

/** Send one command (RESP array of bulk strings) and return the bulk string reply. */
export function redisBulkCommand(host: string, port: number, args: string[], timeoutMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | undefined, value?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no reply within ${timeoutMs} ms`)));
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error('connection closed')));
    socket.once('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const head = buf.subarray(0, nl).toString('latin1');
      if (head.startsWith('-')) return finish(new Error(head.slice(1)));
      if (head.startsWith('+') || head.startsWith(':')) return finish(undefined, head.slice(1));
      if (!head.startsWith('$')) return finish(new Error(`unexpected reply ${JSON.stringify(head.slice(0, 40))}`));
      const len = Number(head.slice(1));
      if (len < 0) return finish(undefined, '');
      if (buf.length >= nl + 2 + len) finish(undefined, buf.subarray(nl + 2, nl + 2 + len).toString('utf8'));
    });
  });
}

export async function readRedis(port: number, host = '127.0.0.1', timeoutMs = 300): Promise<RedisView> {
  try {
    const text = await redisBulkCommand(host, port, ['INFO', 'replication'], timeoutMs);
    const state = parseReplicationState(parseInfo(text));
    return { reachable: true, role: state.role, offset: state.role === 'master' ? state.masterReplOffset : (state.replicaOffset ?? state.masterReplOffset), state };
  } catch (err) {
    return { reachable: false, error: (err as Error).message };
  }
}
