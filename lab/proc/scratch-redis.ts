/**
 * What every throw-away redis-server we start ourselves shares — the demo's,
 * the tests', the benchmarks' (loopback and network namespaces): its
 * arguments and the probe that tells it is up and that it is ours.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * redis-server arguments: no persistence (a restart comes back EMPTY, like a
 * crashed cache node, and must full-sync), diskless replication without
 * delay (a full sync takes milliseconds), logs and sync files in `dir`.
 * `bind` lists the addresses in order: replication connects from the first.
 */
export function scratchRedisArgs(o: { port: number; bind: string[]; dir: string; logfile: string }): string[] {
  return [
    '--port', String(o.port),
    '--bind', ...o.bind,
    '--protected-mode', 'no',
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'no',
    // Replicas write the full-sync RDB into their dir; without this a restart would load it and not come back empty.
    '--rdb-del-sync-files', 'yes',
    '--repl-diskless-sync', 'yes',
    '--repl-diskless-sync-delay', '0',
    // 7.0 waits up to 10 s for lagging replicas on SIGTERM; we stop masters all the time.
    '--shutdown-timeout', '0',
    '--dir', o.dir,
    '--logfile', o.logfile,
  ];
}

/**
 * One `INFO server` over a raw socket: `{ up: true, pid }` once the server
 * answers (pid undefined when it wants a password), `{ up: false }` when
 * refused, silent or still -LOADING. The pid tells our server from one that
 * another process started on the same port.
 */
export function probeRedis(host: string, port: number, timeoutMs = 300): Promise<{ up: boolean; pid?: number }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (result: { up: boolean; pid?: number }) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ up: false }));
    socket.once('error', () => done({ up: false }));
    // Closed without an error: a server that hangs up on clients (a sidecar's CLIENT KILL after it
    // retargets a freshly started redis). Without this the probe, and whoever waits on it, waits forever.
    socket.once('close', () => done({ up: false }));
    socket.once('connect', () => socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.startsWith('-')) {
        if (reply.includes('\r\n')) done({ up: !reply.startsWith('-LOADING') });
        return;
      }
      const pid = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (pid) done({ up: true, pid: Number(pid[1]) });
      else if (/\r\n\r\n$/.test(reply)) done({ up: true });
    });
  });
}

/** The last `lines` lines of a redis-server's log file, for error messages; says why when it cannot be read. */
export function logTail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}
