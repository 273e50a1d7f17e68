/**
 * The messages sidecars exchange, as plain data. Every message travels as a
 * RESP2 array of bulk strings whose first element is the verb; see
 * protocol.md for the byte-exact frames. This file is the single TypeScript
 * description of them: the codec encodes and decodes exactly these shapes and
 * the Elector consumes and produces exactly these shapes.
 *
 * The four base verbs are kevy-compatible (same verb, same fields, same
 * order). Everything else is a resp-elect extension that a base-only peer
 * never needs to send.
 */

/** A node's self-perceived role, as written in HB. */
export type Role = 'primary' | 'replica' | 'candidate';
export const ROLES: readonly Role[] = ['primary', 'replica', 'candidate'];

/**
 * Why a voter refused a PREVOTE or an OFFER. Carried on the wire in REFUSE so
 * the candidate (and its logs) learn the cause, not just the outcome.
 */
export type RefuseReason =
  /** The voter heard the current primary within downAfterMs (vote stickiness). */
  | 'primary-alive'
  /** The proposed epoch is not above the voter's epoch. */
  | 'stale-epoch'
  /** The voter already voted for someone else in that epoch. */
  | 'already-voted'
  /** The candidate's replication offset is below the voter's own. */
  | 'stale-offset'
  /** The voter itself is a better candidate (equal offset, higher priority or lower id). */
  | 'better-candidate'
  /** The voter has no offset sample taken after it lost the primary, so it cannot apply the data rule yet. */
  | 'offset-unknown'
  /** The voter restarted less than downAfterMs ago and may still owe a lease to an old primary. */
  | 'starting'
  /** The candidate is not an electable member in the voter's configuration (unknown, witness, priority 0). */
  | 'not-electable'
  /** The voter could not persist its vote. */
  | 'persist-failed'
  /**
   * The candidate's member configuration is older than the voter's, differs at
   * the same version, is unknown, or the voter's own is not agreed on yet
   * (rules config-order, config-agreement).
   */
  | 'stale-config';

export const REFUSE_REASONS: readonly RefuseReason[] = [
  'primary-alive',
  'stale-epoch',
  'already-voted',
  'stale-offset',
  'better-candidate',
  'offset-unknown',
  'starting',
  'not-electable',
  'persist-failed',
  'stale-config',
];

// ---------------------------------------------------------------------------
// Base verbs (kevy-compatible)
// ---------------------------------------------------------------------------

/** `HB <epoch> <node_id> <role> <repl_offset>`: sent to every peer each hbIntervalMs. No reply. */
export interface HbMessage {
  type: 'HB';
  /** The epoch the sender believes is current. */
  epoch: number;
  /** The sender's node id. */
  nodeId: string;
  /** The sender's role. A primary that steps down says `replica` here at once. */
  role: Role;
  /** The sender's replication offset (applied offset on a replica, master offset on a primary). */
  replOffset: number;
}

/** `OFFER <new_epoch> <candidate_id> <repl_offset>`: a candidate asks for votes in new_epoch. */
export interface OfferMessage {
  type: 'OFFER';
  epoch: number;
  candidateId: string;
  replOffset: number;
}

/** `ACCEPT <epoch> <accepter_id>`: a vote for the OFFER of that epoch. At most one per voter per epoch. */
export interface AcceptMessage {
  type: 'ACCEPT';
  epoch: number;
  accepterId: string;
}

/** `ANNOUNCE <epoch> <new_primary_id> <new_primary_addr>`: the winner of epoch tells everyone. */
export interface AnnounceMessage {
  type: 'ANNOUNCE';
  epoch: number;
  primaryId: string;
  /** The winner's redis address as host:port. Receivers retarget to the configured address, not this one. */
  primaryAddr: string;
}

// ---------------------------------------------------------------------------
// Extensions
// ---------------------------------------------------------------------------

/** `PREVOTE <epoch> <candidate_id> <repl_offset> <data_epoch>`: would you vote for me in epoch? Changes no state anywhere. */
export interface PrevoteMessage {
  type: 'PREVOTE';
  /** The epoch the candidate would stand in (its epoch + 1). Nobody adopts it. */
  epoch: number;
  candidateId: string;
  replOffset: number;
  /**
   * The epoch of the primary whose stream the candidate's data last caught up
   * with. Offsets compare only within one epoch's stream, as Raft compares
   * (last log term, last index): a longer log from an older epoch loses.
   * Voters remember it for the OFFER that follows (OFFER is a base verb and
   * has no room for it).
   */
  dataEpoch: number;
}

/** `PREACCEPT <epoch> <voter_id>`: yes, I would vote for you in epoch (not a vote). */
export interface PreacceptMessage {
  type: 'PREACCEPT';
  epoch: number;
  voterId: string;
}

/** `REFUSE <epoch> <voter_id> <voter_epoch> <reason>`: no to the PREVOTE or OFFER for epoch, with my own epoch. */
export interface RefuseMessage {
  type: 'REFUSE';
  /** The epoch of the PREVOTE or OFFER being refused. */
  epoch: number;
  voterId: string;
  /** The voter's current epoch, so the candidate can catch up at once. */
  voterEpoch: number;
  reason: RefuseReason;
}

/** `LEASE <epoch> <primary_id> <seq>`: the primary asks each peer to confirm it still follows it. */
export interface LeaseMessage {
  type: 'LEASE';
  epoch: number;
  primaryId: string;
  /** Increases with every round; the primary remembers when it sent each one. */
  seq: number;
}

/** `LEASEACK <epoch> <voter_id> <seq>`: I follow you in epoch and will refuse other candidates for downAfterMs. */
export interface LeaseAckMessage {
  type: 'LEASEACK';
  epoch: number;
  voterId: string;
  seq: number;
}

/** `HANDOFF <epoch> <target_id> <primary_offset>`: the primary of epoch releases leadership to target once it reaches primary_offset. */
export interface HandoffMessage {
  type: 'HANDOFF';
  epoch: number;
  targetId: string;
  primaryOffset: number;
}

/**
 * `CONFVER <node_id> <version> <config_epoch> <digest> <data_epoch>`: what the
 * sender holds: the member configuration it uses (protocol.md §5.12) and the
 * epoch its data last caught up with. Sent with every fifth HB, at once when
 * either changes, and before every PREVOTE and OFFER, so a voter always knows
 * the configuration a candidate counts its votes in.
 */
export interface ConfverMessage {
  type: 'CONFVER';
  nodeId: string;
  version: number;
  configEpoch: number;
  /** sha256 of the canonical members text, lowercase hex. */
  digest: string;
  dataEpoch: number;
}

/**
 * `CONFIG <node_id> <version> <config_epoch> <members>`: a whole member
 * configuration. The primary sends it to every member whose CONFVER shows an
 * older one; a listener sends it once to a joining node that asked with CONFGET.
 */
export interface ConfigMessage {
  type: 'CONFIG';
  nodeId: string;
  version: number;
  configEpoch: number;
  /** The members field: `id,kind,priority,peer,redis` entries sorted by id, `;`-separated (src/protocol/members.ts). */
  members: string;
}

/** `CONFGET <node_id>`: a joining node, not a member yet, asks for the configuration (protocol.md §4.10). */
export interface ConfgetMessage {
  type: 'CONFGET';
  nodeId: string;
}

/** `PEER <version> <node_id> <nonce>`: first frame of an outbound peer connection. */
export interface PeerMessage {
  type: 'PEER';
  version: number;
  nodeId: string;
  /** 32 random bytes, lowercase hex. */
  nonce: string;
}

/** `CHALLENGE <node_id> <nonce> <proof>`: the listener's answer, proving it knows the secret. */
export interface ChallengeMessage {
  type: 'CHALLENGE';
  nodeId: string;
  /** 32 random bytes, lowercase hex. */
  nonce: string;
  /** HMAC-SHA256, lowercase hex. */
  proof: string;
}

/** `PROOF <proof>`: the dialer's proof that it knows the secret. */
export interface ProofMessage {
  type: 'PROOF';
  /** HMAC-SHA256, lowercase hex. */
  proof: string;
}

export type ElectionMessage =
  | HbMessage
  | OfferMessage
  | AcceptMessage
  | AnnounceMessage
  | PrevoteMessage
  | PreacceptMessage
  | RefuseMessage
  | LeaseMessage
  | LeaseAckMessage
  | HandoffMessage
  | ConfverMessage
  | ConfigMessage;

export type HandshakeMessage = PeerMessage | ChallengeMessage | ProofMessage | ConfgetMessage;

export type Message = ElectionMessage | HandshakeMessage;

export type MessageType = Message['type'];
