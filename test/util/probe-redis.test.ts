import { createServer, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { probeRedis } from '../../lab/proc/scratch-redis.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

function listen(onConnection: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(onConnection!);
  return new Promise((r) => server!.listen(0, '127.0.0.1', () => r((server!.address() as { port: number }).port)));
}

const settles = <T>(p: Promise<T>, ms: number): Promise<T | 'still waiting'> => Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);

it('a server that hangs up without answering is down, not waited on forever', async () => {
  // What a sidecar's CLIENT KILL looks like to a probe of the redis it just retargeted.
  const port = await listen((s) => s.once('data', () => s.end()));
  expect(await settles(probeRedis('127.0.0.1', port, 300), 2000)).toEqual({ up: false });
});

it('an INFO reply with a process id is up, with that pid', async () => {
  const body = '# Server\r\nredis_version:7.0.15\r\nprocess_id:4242\r\n\r\n';
  const port = await listen((s) => s.once('data', () => s.write(`$${body.length}\r\n${body}\r\n`)));
  expect(await settles(probeRedis('127.0.0.1', port, 300), 2000)).toEqual({ up: true, pid: 4242 });
});
