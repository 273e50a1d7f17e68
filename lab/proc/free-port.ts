/**
 * Free loopback TCP ports for test servers. The kernel picks an unused port
 * (listen on 0); the port is then released for the caller to bind, so another
 * process can still grab it in between — startRedis() retries on
 * "Address already in use" for that reason. Within this process a port is
 * never handed out twice, so two servers of one test never collide.
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => (port ? resolve(port) : reject(new Error('freePort: listen gave no port'))));
    });
  });
}

/** A loopback port nothing listens on right now and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept returning ports already handed out');
}
