/**
 * A demo redis-server: loopback only, no persistence (a restart comes back
 * empty, like a crashed cache node, and must full-sync), diskless
 * replication without delay (a full sync takes milliseconds), log in its own
 * directory.
 */
import { join } from 'node:path';
import { type Child, spawnChild } from '../proc/children.js';
import { logTail, probeRedis, scratchRedisArgs } from '../proc/scratch-redis.js';
import { sleep } from '../util/wait.js';

export function redisArgs(port: number, dir: string): string[] {
  return scratchRedisArgs({ port, bind: ['127.0.0.1'], dir, logfile: join(dir, 'redis.log') });
}

export class PortTakenError extends Error {}

/**
 * Start redis-server on `port` and wait until it answers as itself. Throws
 * PortTakenError when another server holds the port, Error for anything else.
 */
export async function startRedisServer(name: string, port: number, dir: string, timeoutMs = 10_000): Promise<Child> {
  const proc = spawnChild(name, 'redis-server', redisArgs(port, dir));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) {
      const log = logTail(join(dir, 'redis.log'), 5);
      if (/Address already in use/.test(log)) throw new PortTakenError(`port ${port} is taken`);
      throw new Error(`${name}: redis-server exited at start-up; ${join(dir, 'redis.log')}:\n${log}`);
    }
    const { up, pid } = await probeRedis('127.0.0.1', port);
    if (up && pid === proc.pid) return proc;
    if (up && pid !== undefined && pid !== proc.pid) {
      await proc.kill();
      throw new PortTakenError(`port ${port} is taken by pid ${pid}`);
    }
    if (Date.now() > deadline) {
      await proc.kill();
      throw new Error(`${name}: redis-server on port ${port} did not answer within ${timeoutMs} ms; log:\n${logTail(join(dir, 'redis.log'), 10)}`);
    }
    await sleep(20);
  }
}
