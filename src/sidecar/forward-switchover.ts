import { formatAddress, type HostPort } from '../protocol/index.js';
import type { SidecarConfig } from './config.js';
import { askSidecar } from './ask-sidecar.js';

/**
 * A switchover asked of a replica's sidecar is the primary's to run: send it
 * `SENTINEL FAILOVER <name> [TO <id>]` on its client port, as an operator would.
 */
export async function forwardSwitchover(primarySidecar: HostPort, config: SidecarConfig, target?: string): Promise<void> {
  try {
    await askSidecar(primarySidecar, config, 'SENTINEL', ['FAILOVER', config.masterName, ...(target ? ['TO', target] : [])]);
  } catch (err) {
    throw new Error(`could not ask the primary's sidecar at ${formatAddress(primarySidecar)} to switch over: ${(err as Error).message}`);
  }
}
