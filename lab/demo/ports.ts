/**
 * Free loopback ports for the demo's servers. The kernel picks a port nobody
 * listens on (listen on 0), and the port is released for the caller to bind.
 * Another process may grab it in between, so callers that bind it check that
 * the server answering on it is theirs. Within this process a port is never
 * handed out twice.
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

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

/** A port on `host` (default 127.0.0.1) that nothing listens on right now and that this process has not handed out before. */
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
