/**
 * What the Elector decides about a message before any handler sees it, as
 * pure functions of the message and the node's epoch: does its id field name
 * its sender, and does its epoch let its handler run (the epoch gate, as
 * raft's Step compares terms before anything else; protocol.md 5.7).
 */
import { MAX_HELD_EPOCH } from '../protocol/limits.js';
import type { ElectionMessage, Message } from '../protocol/messages.js';

/** Whether a message passes, and if not, what to report and what to keep of it. */
export type GateVerdict =
  | { pass: true }
  | {
      pass: false;
      /** Emit an `ignored` event with this reason; undefined: drop silently. */
      ignored?: string;
      /** Keep the sender's own claim (its HB's epoch, role, offset; a LEASE's role primary) in our view of it. */
      keepClaim?: boolean;
    };

const PASS: GateVerdict = { pass: true };
const DROP: GateVerdict = { pass: false };

/** The highest epoch a message carries in any field (0 for handshake messages, which carry none). */
export function highestEpochIn(msg: Message): number {
  switch (msg.type) {
    case 'REFUSE':
      return Math.max(msg.epoch, msg.voterEpoch);
    case 'PREVOTE':
      return Math.max(msg.epoch, msg.dataEpoch);
    case 'CONFVER':
      return Math.max(msg.configEpoch, msg.dataEpoch);
    case 'CONFIG':
      return msg.configEpoch;
    case 'PEER':
    case 'CHALLENGE':
    case 'PROOF':
    case 'CONFGET':
      return 0;
    default:
      return msg.epoch;
  }
}

/** No message may take a node past MAX_HELD_EPOCH (protocol.md 5.2, "Epoch bound"). */
export function epochBoundGate(msg: Message): GateVerdict {
  const highest = highestEpochIn(msg);
  if (highest <= MAX_HELD_EPOCH) return PASS;
  return { pass: false, ignored: `epoch ${highest} is above the highest epoch a node may hold (${MAX_HELD_EPOCH})` };
}

/**
 * A frame's own id field must name its sender (`from`, proven by the
 * handshake; protocol.md 5): a mismatch is dropped, with an event where a
 * peer's operator would want to know. ANNOUNCE's check is rule
 * announce-sender (`announceChecked` false only with it switched off).
 */
export function senderGate(from: string, msg: ElectionMessage, announceChecked: boolean): GateVerdict {
  switch (msg.type) {
    case 'HB':
      return msg.nodeId === from ? PASS : { pass: false, ignored: `HB names ${msg.nodeId} but came from ${from}` };
    case 'PREVOTE':
    case 'OFFER':
      return msg.candidateId === from ? PASS : { pass: false, ignored: `names candidate ${msg.candidateId} but came from ${from}` };
    case 'ANNOUNCE':
      return msg.primaryId === from || !announceChecked ? PASS : { pass: false, ignored: `announces ${msg.primaryId} but came from ${from}` };
    case 'LEASE':
      return msg.primaryId === from ? PASS : DROP;
    case 'PREACCEPT':
    case 'REFUSE':
    case 'LEASEACK':
      return msg.voterId === from ? PASS : DROP;
    case 'ACCEPT':
      return msg.accepterId === from ? PASS : DROP;
    case 'HANDOFF':
      return PASS;
    case 'CONFVER':
    case 'CONFIG':
      return msg.nodeId === from ? PASS : DROP;
  }
}

/**
 * The epoch gate: what a message's epoch is to ours decides whether its
 * handler runs.
 *
 * - Older than ours: HB and LEASE only update what we know of the sender
 *   (its own claim, unless it already made a newer one; our next HB tells it
 *   it is stale); ANNOUNCE and HANDOFF
 *   are ignored with an event; ACCEPT and LEASEACK are dropped.
 * - Ours: every handler runs. ACCEPT and LEASEACK run only in our epoch (they
 *   answer our OFFER or LEASE of it), HANDOFF only then.
 * - Newer: HB, LEASE and ANNOUNCE of a primary make the handler persist and
 *   adopt the epoch, then follow (rule newer-epoch-only); an HB of a
 *   non-primary makes only a primary step down.
 *
 * Exceptions, judged by their handlers: PREVOTE and OFFER are answered
 * whatever their epoch (a stale one is refused with our epoch, so the
 * candidate catches up; a PREVOTE is never adopted, an OFFER only when
 * granted), REFUSE carries the voter's epoch, which is learned, and PREACCEPT
 * answers our pre-vote for the epoch after ours.
 */
export function epochGate(msg: ElectionMessage, epoch: number): GateVerdict {
  switch (msg.type) {
    case 'PREVOTE':
    case 'OFFER':
    case 'REFUSE':
    case 'PREACCEPT':
      return PASS;
    case 'ACCEPT':
    case 'LEASEACK':
      return msg.epoch === epoch ? PASS : DROP;
    case 'HANDOFF':
      return msg.epoch === epoch ? PASS : { pass: false, ignored: 'not from our primary in our epoch' };
    case 'ANNOUNCE':
      return msg.epoch >= epoch ? PASS : { pass: false, ignored: `epoch ${msg.epoch} is older than ours ${epoch}` };
    case 'HB':
    case 'LEASE':
      return msg.epoch >= epoch ? PASS : { pass: false, keepClaim: true };
    case 'CONFVER':
    case 'CONFIG':
      return PASS; // configurations have their own order (protocol.md §5.12), not the election's
  }
}
