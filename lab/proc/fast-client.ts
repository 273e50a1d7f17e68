/**
 * The client the lab observes and probes redis-servers with (INFO, test
 * writes): it fails fast instead of queueing, so a probe of a killed or
 * frozen server ends within `commandTimeout`, and reconnects in the background.
 */
import { Redis } from 'ioredis';

export function fastClient(port: number, commandTimeout = 500, host = '127.0.0.1', password?: string): Redis {
  const c = new Redis({
    host,
    port,
    password,
    connectTimeout: 500,
    commandTimeout,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
    disableClientInfo: true,
  });
  c.on('error', () => {
    // Callers see failures as rejected commands; this only stops "Unhandled error event" noise.
  });
  return c;
}

/** One command on a connection of its own, closed after the reply; rejects on any failure (refused, timeout, error reply). */
export async function oneCommand(at: { host: string; port: number }, args: readonly string[], timeoutMs = 500): Promise<unknown> {
  const c = new Redis({ host: at.host, port: at.port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs, enableReadyCheck: false, disableClientInfo: true });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.call(args[0]!, ...args.slice(1));
  } finally {
    c.disconnect();
  }
}
