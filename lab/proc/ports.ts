/**
 * Loopback ports for the servers the lab starts (tests, demo, benchmarks).
 * Within this process a port is never handed out twice, so two servers of
 * one run never collide. Two kinds:
 *
 * - freePort(): the kernel picks an unused port (listen on 0), released for
 *   the caller to bind. Another process can grab it in between, so callers
 *   check that what answers is theirs and retry (startRedis() does).
 * - stablePort(range): a port from a range below the kernel's ephemeral range
 *   (32768-60999 on Linux), for servers restarted on the same port (sidecars,
 *   sentinels): no outgoing connection (replication links, pollers, peer
 *   dials, all on ephemeral local ports) can take it between picking it and
 *   the server binding it, nor while the server is down.
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** The ranges of stablePort(): the test suite's sidecars, and the benchmarks' controllers (so a bench running beside the tests does not compete for ports). */
export const TEST_PORTS = { from: 20000, to: 29999 } as const;
export const BENCH_PORTS = { from: 30000, to: 31999 } as const;

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => (port ? resolve(port) : reject(new Error('freePort: listen gave no port'))));
    });
  });
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port on `host` that nothing listens on right now and that this process has not handed out before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelPort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept returning ports already handed out');
}

/** A port of `range` (inclusive) on `host` that nothing listens on right now and that this process has not handed out before. */
export async function stablePort(range: { from: number; to: number }, host = '127.0.0.1'): Promise<number> {
  const size = range.to - range.from + 1;
  for (let i = 0; i < 300; i++) {
    const port = range.from + Math.floor(Math.random() * size);
    if (handedOut.has(port)) continue;
    if (await canBind(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`stablePort: no free port in ${range.from}-${range.to}`);
}
