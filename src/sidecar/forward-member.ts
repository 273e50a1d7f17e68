import { Redis } from 'ioredis';
import { formatAddress, type HostPort } from '../protocol/index.js';
import type { SidecarConfig } from './config.js';
import type { MemberChangeRequest } from './view.js';

/**
 * A membership change asked of a replica's sidecar is the primary's to make:
 * send it `MEMBER ADD <spec>` / `MEMBER REMOVE <id>` on its client port, as an
 * operator would, and wait for its answer (it answers once committed).
 */
export async function forwardMemberCommand(primarySidecar: HostPort, config: SidecarConfig, change: MemberChangeRequest, timeoutMs: number): Promise<void> {
  const client = new Redis({
    host: primarySidecar.host,
    port: primarySidecar.port,
    password: config.clientPassword,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: timeoutMs,
    protocol: 2,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const args = change.kind === 'add' ? ['ADD', change.spec] : ['REMOVE', change.id];
    await client.call('MEMBER', ...args);
  } catch (err) {
    throw new Error(`the primary's sidecar at ${formatAddress(primarySidecar)} refused the change: ${(err as Error).message.replace(/^ERR /, '')}`);
  } finally {
    client.disconnect();
  }
}
