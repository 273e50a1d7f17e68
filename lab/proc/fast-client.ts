/**
 * The client the lab observes and probes redis-servers with (INFO, test
 * writes): it fails fast instead of queueing, so a probe of a killed or
 * frozen server ends within `commandTimeout`, and reconnects in the background.
 */
import { Redis } from 'ioredis';

export function fastClient(port: number, commandTimeout = 500, host = '127.0.0.1'): Redis {
  const c = new Redis({
    host,
    port,
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
