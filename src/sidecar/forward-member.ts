import { formatAddress, type HostPort } from '../protocol/index.js';
import type { SidecarConfig } from './config.js';
import { askSidecar } from './ask-sidecar.js';
import type { MemberChangeRequest } from './view.js';

/**
 * A membership change asked of a replica's sidecar is the primary's to make:
 * send it `MEMBER ADD <spec>` / `MEMBER REMOVE <id>` on its client port, as an
 * operator would, and wait for its answer (it answers once committed).
 */
export async function forwardMemberCommand(primarySidecar: HostPort, config: SidecarConfig, change: MemberChangeRequest, timeoutMs: number): Promise<void> {
  const args = change.kind === 'add' ? ['ADD', change.spec] : ['REMOVE', change.id];
  try {
    // The primary gets `timeoutMs` to commit (TIMEOUT); its answer needs a moment more to arrive.
    await askSidecar(primarySidecar, config, 'MEMBER', [...args, 'TIMEOUT', String(timeoutMs)], timeoutMs + 2000);
  } catch (err) {
    const msg = (err as Error).message;
    // No answer is not a refusal: the primary may have made the change and then frozen or lost its link.
    if (/timed out/i.test(msg)) {
      throw new Error(
        `the primary's sidecar at ${formatAddress(primarySidecar)} did not answer within ${timeoutMs + 2000} ms; the change may or may not have been made: check with resp-elect member list, then retry`,
      );
    }
    throw new Error(`the primary's sidecar at ${formatAddress(primarySidecar)} refused the change: ${msg.replace(/^ERR /, '')}`);
  }
}
