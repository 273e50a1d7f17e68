/**
 * Durable memory of a node's vote: the highest epoch it has taken part in and
 * whom, if anyone, it voted for in that epoch. The Elector persists a record
 * before every ACCEPT, before standing (its self-vote) and before following a
 * newer epoch, so that a crash and restart can never make it vote twice in one
 * epoch or fall back to an older epoch.
 *
 * The interface is synchronous on purpose: the Elector is a pure state machine
 * that must know whether the record is durable before it returns the message
 * that depends on it.
 */
import { isValidNodeId } from '../protocol/fields.js';

export interface VoteRecord {
  /** Highest epoch this node has taken part in (0: never). */
  epoch: number;
  /** Whom this node voted for in `epoch`, or null. Always a well-formed node id (isValidNodeId). */
  votedFor: string | null;
}

export interface VoteStore {
  /** The stored record, or `{ epoch: 0, votedFor: null }` when nothing was ever stored. Throws VoteStoreError when the store cannot be read or is corrupt. */
  load(): VoteRecord;
  /** Make the record durable before returning. Throws VoteStoreError on failure. */
  save(record: VoteRecord): void;
}

export class VoteStoreError extends Error {
  override readonly name = 'VoteStoreError';
  constructor(
    message: string,
    /** The file or store the error is about, for the operator. */
    readonly location: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Checks a record's shape; used by every store on load and on save. A
 * `votedFor` that is not node-id syntax (`"a b"`, 65 bytes) cannot be a vote
 * this node cast (the CLI checks every member id with the same rule), so it
 * is corrupt. A well-formed id that is not a current member is not checked
 * here: the store does not know the membership; the sidecar warns about it at
 * start-up (src/sidecar/start.ts), since it may be legitimate after a
 * membership change.
 */
export function assertVoteRecord(value: unknown, location: string): VoteRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VoteStoreError(`${location}: vote record is not an object`, location);
  }
  const { epoch, votedFor } = value as Record<string, unknown>;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new VoteStoreError(`${location}: vote record epoch must be a non-negative integer, got ${JSON.stringify(epoch)}`, location);
  }
  if (votedFor !== null && !isValidNodeId(votedFor)) {
    throw new VoteStoreError(`${location}: vote record votedFor must be a node id (1-64 printable ASCII bytes, no spaces) or null, got ${JSON.stringify(votedFor)}`, location);
  }
  return { epoch, votedFor: votedFor as string | null };
}

/**
 * In-memory store for tests and the simulator. A simulated crash keeps the
 * store and drops the Elector, exactly as a real restart keeps the vote file.
 * `failNextSaves` makes the next saves throw, to test the "no vote without a
 * durable record" rule.
 */
export class MemoryVoteStore implements VoteStore {
  private record: VoteRecord;
  failNextSaves = 0;
  saves = 0;

  constructor(initial: VoteRecord = { epoch: 0, votedFor: null }) {
    this.record = assertVoteRecord(initial, 'memory');
  }

  load(): VoteRecord {
    return { ...this.record };
  }

  save(record: VoteRecord): void {
    if (this.failNextSaves > 0) {
      this.failNextSaves -= 1;
      throw new VoteStoreError('memory: injected save failure', 'memory');
    }
    this.record = assertVoteRecord({ ...record }, 'memory');
    this.saves += 1;
  }
}
