/**
 * A real redis-sentinel (or valkey-sentinel, lab/proc/server-binaries.ts)
 * watching one master, for the migration and rollback tests: Sentinel must
 * find the master resp-elect leaves behind, and its replicas. Tracked in the
 * lab's one registry (children.ts), so a failed test leaves none behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnChild, track, untrack, type Child, type Resource } from './children.js';
import { freePort } from './ports.js';
import { serverBinaries } from './server-binaries.js';
import { waitFor } from '../util/wait.js';

export interface SentinelOptions {
  masterPort: number;
  /** Listen here (e.g. the port a sidecar had, or will have); default: a free port. */
  port?: number;
  masterName?: string;
  quorum?: number;
  /** The master's requirepass (`sentinel auth-pass`). */
  authPass?: string;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

export class SentinelProc implements Resource {
  private clients: Redis[] = [];
  constructor(
    readonly port: number,
    readonly dir: string,
    readonly child: Child,
  ) {}

  /** A client of this sentinel (closed by stop()). */
  client(): Redis {
    const c = new Redis({ host: '127.0.0.1', port: this.port, connectTimeout: 1000, commandTimeout: 2000, maxRetriesPerRequest: 1, disableClientInfo: true });
    c.on('error', () => {});
    this.clients.push(c);
    return c;
  }

  killSync(): void {
    this.child.killSync();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async cleanup(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.disconnect();
    this.clients = [];
    this.child.signal('SIGKILL');
    await this.child.exited;
    untrack(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Start a sentinel monitoring `127.0.0.1:<masterPort>`; resolves once it answers PING. */
export async function startSentinel(o: SentinelOptions): Promise<SentinelProc> {
  const name = o.masterName ?? 'mymaster';
  const port = o.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'resp-elect-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${o.masterPort} ${o.quorum ?? 2}`,
      `sentinel down-after-milliseconds ${name} ${o.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${o.failoverTimeoutMs ?? 10_000}`,
      ...(o.authPass !== undefined ? [`sentinel auth-pass ${name} ${o.authPass}`] : []),
      '',
    ].join('\n'),
  );
  const child = spawnChild(`sentinel ${port}`, serverBinaries().sentinel, [conf], { stdio: 'ignore', logPath: join(dir, 'sentinel.log'), group: false });
  const s = new SentinelProc(port, dir, child);
  track(s);
  const probe = s.client();
  await waitFor(async () => (await probe.ping()) === 'PONG', { what: `sentinel on ${port} to answer`, timeoutMs: 10_000 });
  return s;
}
