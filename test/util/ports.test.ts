/** lab/proc/ports.ts: ports from a fixed range skip what is taken and are never handed out twice. */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { stablePort, TEST_PORTS } from '../../lab/proc/ports.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).filter((s) => s.listening).map((s) => new Promise((r) => s.close(r))));
});

describe('stablePort', () => {
  it('hands out distinct ports of its range', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await stablePort(TEST_PORTS));
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) expect(p >= TEST_PORTS.from && p <= TEST_PORTS.to, `${p} in range`).toBe(true);
  });

  it('refuses a port something listens on, and hands it out once it is free', async () => {
    // A range of one port, bound by a server here (the kernel picked it: free, never handed out).
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (server.address() as { port: number }).port;
    await expect(stablePort({ from: port, to: port })).rejects.toThrow(`no free port in ${port}-${port}`);
    await new Promise((r) => server.close(r));
    expect(await stablePort({ from: port, to: port })).toBe(port);
    // Handed out now: never again.
    await expect(stablePort({ from: port, to: port })).rejects.toThrow(`no free port in ${port}-${port}`);
  });
});
