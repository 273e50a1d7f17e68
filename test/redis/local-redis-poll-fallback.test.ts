/**
 * LocalRedis.poll() against a fake server that speaks just enough RESP: a redis 6 refuses a
 * multi-section INFO with a syntax error, and poll() must fall back to one INFO per section
 * (pipelined) and keep using that; repeated identical answers give identical statuses.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../src/redis/local-redis.js';

const SECTIONS: Record<string, string> = {
  server: '# Server\r\nredis_version:6.2.14\r\nrun_id:abc123\r\nuptime_in_seconds:7\r\n',
  persistence: '# Persistence\r\nloading:0\r\nasync_loading:0\r\n',
  replication: '# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_replid:ffff\r\nmaster_repl_offset:42\r\nsecond_repl_offset:-1\r\n',
};

/** Parses RESP arrays of bulk strings; answers like redis 6 would. */
function fakeRedis6(seen: string[][]): Server {
  return createServer((socket: Socket) => {
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      for (;;) {
        const parsed = parseCommand(buf);
        if (!parsed) break;
        buf = buf.slice(parsed.used);
        const [name, ...args] = parsed.args;
        seen.push(parsed.args);
        const cmd = name!.toUpperCase();
        if (cmd === 'INFO') {
          if (args.length > 1) socket.write('-ERR syntax error\r\n');
          else {
            const text = SECTIONS[args[0]!.toLowerCase()] ?? '';
            socket.write(`$${Buffer.byteLength(text)}\r\n${text}\r\n`);
          }
        } else if (cmd === 'FCALL_RO') socket.write('-ERR unknown command `FCALL_RO`\r\n');
        else socket.write('+OK\r\n');
      }
    });
  });
}

function parseCommand(buf: string): { args: string[]; used: number } | undefined {
  if (!buf.startsWith('*')) return undefined;
  let at = buf.indexOf('\r\n');
  if (at < 0) return undefined;
  const n = Number(buf.slice(1, at));
  let pos = at + 2;
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    at = buf.indexOf('\r\n', pos);
    if (at < 0) return undefined;
    const len = Number(buf.slice(pos + 1, at));
    if (buf.length < at + 2 + len + 2) return undefined;
    args.push(buf.slice(at + 2, at + 2 + len));
    pos = at + 2 + len + 2;
  }
  return { args, used: pos };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('poll() on a redis without multi-section INFO', () => {
  it('falls back to one INFO per section, remembers it, and parses the same status every time', async () => {
    const seen: string[][] = [];
    const server = fakeRedis6(seen);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const local = new LocalRedis({ port, connectTimeout: 500, commandTimeout: 500 });
    cleanups.push(async () => {
      await local.close();
      await new Promise<void>((r) => server.close(() => r()));
    });

    const first = await local.poll();
    expect(first).toMatchObject({ reachable: true, healthy: true, role: 'master', offset: 42, runId: 'abc123' });
    // Not the epoch marker's "function not found": data epoch unknown, as before.
    expect(first.dataEpoch).toBeUndefined();
    const second = await local.poll();
    expect(second).toEqual(first);

    const infos = seen.filter((a) => a[0]!.toUpperCase() === 'INFO').map((a) => a.slice(1).join(' '));
    // One refused multi-section INFO, then the three sections on each of the two polls.
    expect(infos).toEqual(['server persistence replication', 'server', 'persistence', 'replication', 'server', 'persistence', 'replication']);
  });
});
