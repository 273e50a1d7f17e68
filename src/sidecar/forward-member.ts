import { formatAddress, type HostPort } from '../protocol/index.js';
import type { SidecarConfig } from './config.js';
import { askSidecar } from './ask-sidecar.js';
import type { MemberChangeRequest } from './view.js';

/**
 * The primary's sidecar could not be reached, or its connection closed before
 * it answered (killed, restarted): the election that follows decides who makes
 * the change, so the asker waits for the next primary and asks again, with
 * RETRY, since the lost one may have made it already.
 */
export class ForwardLost extends Error {}

/**
 * A membership change asked of a replica's sidecar is the primary's to make:
 * send it `MEMBER ADD <spec>` / `MEMBER REMOVE <id>` on its client port, as an
 * operator would, and wait for its answer (it answers once committed).
 */
export async function forwardMemberCommand(primarySidecar: HostPort, config: SidecarConfig, change: MemberChangeRequest, timeoutMs: number): Promise<void> {
  const args = [...(change.kind === 'add' ? ['ADD', change.spec] : ['REMOVE', change.id]), 'TIMEOUT', String(timeoutMs), ...(change.again ? ['RETRY'] : [])];
  try {
    // The primary gets `timeoutMs` to commit (TIMEOUT); its answer needs a moment more to arrive.
    await askSidecar(primarySidecar, config, 'MEMBER', args, timeoutMs + 2000);
  } catch (err) {
    const msg = (err as Error).message;
    const timedOut = /timed out/i.test(msg);
    // An error reply is the primary's answer; anything else before a reply is a lost connection.
    if ((err as Error).name !== 'ReplyError' && !timedOut) {
      throw new ForwardLost(`the primary's sidecar at ${formatAddress(primarySidecar)} was lost before it answered: ${msg}`);
    }
    // No answer is not a refusal: the primary may have made the change and then frozen or lost its link.
    if (timedOut) {
      throw new Error(
        `the primary's sidecar at ${formatAddress(primarySidecar)} did not answer within ${timeoutMs + 2000} ms; the change may or may not have been made: check with resp-elect member list, then retry`,
      );
    }
    throw new Error(`the primary's sidecar at ${formatAddress(primarySidecar)} refused the change: ${msg.replace(/^ERR /, '')}`);
  }
}
