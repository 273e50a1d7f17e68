import { formatAddress, type HostPort } from '../protocol/index.js';
import type { SidecarConfig } from './config.js';

/**
 * A switchover asked of a replica's sidecar is the primary's to run: send it
 * `SENTINEL FAILOVER <name> [TO <id>]` on its client port, as an operator would.
 */
export async function forwardSwitchover(primarySidecar: HostPort, config: SidecarConfig, target?: string): Promise<void> {
  // Loaded here, not with the sidecar: `run` needs ioredis only for this rare request, and it is
  // the largest module there is (about 15 MB of memory for the life of the process).
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: primarySidecar.host,
    port: primarySidecar.port,
    password: config.clientPassword,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    protocol: 2,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const args = ['FAILOVER', config.masterName, ...(target ? ['TO', target] : [])];
    await client.call('SENTINEL', ...args);
  } catch (err) {
    throw new Error(`could not ask the primary's sidecar at ${formatAddress(primarySidecar)} to switch over: ${(err as Error).message}`);
  } finally {
    client.disconnect();
  }
}
