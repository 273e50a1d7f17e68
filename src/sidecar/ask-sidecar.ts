import type { HostPort } from '../protocol/index.js';
import type { SidecarConfig } from './config.js';

/**
 * Run one command on another sidecar's client port, as an operator would
 * (the forwarded switchover and membership change). Rejects with the client's
 * error; callers say what was asked.
 */
export async function askSidecar(sidecar: HostPort, config: SidecarConfig, command: string, args: string[], commandTimeoutMs?: number): Promise<unknown> {
  // Loaded here, not with the sidecar: `run` needs ioredis only for these rare requests, and it is
  // the largest module there is (about 15 MB of memory for the life of the process).
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: sidecar.host,
    port: sidecar.port,
    password: config.clientPassword,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: commandTimeoutMs,
    protocol: 2,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}
