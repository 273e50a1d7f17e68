/**
 * Size limits of the wire protocol. They exist so that a confused or hostile
 * peer cannot make a sidecar allocate memory in proportion to a number it
 * wrote in a header: every frame resp-elect sends is a few hundred bytes,
 * but CONFIG, which is tens of bytes per member (members-field.ts bounds it).
 */

/** Default largest frame accepted, headers included: 64 KiB. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Smallest maxFrameBytes a decoder accepts: room for the largest legitimate frame. */
export const MIN_FRAME_BYTES_OPTION = 1024;

/** Largest maxFrameBytes a decoder accepts (Redis' own proto-max-bulk-len default). */
export const MAX_FRAME_BYTES_OPTION = 512 * 1024 * 1024;

/**
 * Largest element count in an array header. The longest verb (CONFVER) has 6 elements;
 * 16 leaves headroom so a frame with a few extra fields is reported as
 * `wrong-arity` (useful when debugging a peer) while `*1000000` is refused as
 * `oversize` before any element array is allocated.
 */
export const MAX_FRAME_ELEMENTS = 16;

/**
 * Largest epoch any frame may carry (2^40 = 1,099,511,627,776). An epoch only
 * grows by one per election round, so even a cluster failing over ten times
 * a second for its whole life reaches about 3.2 × 10^8 a year: the bound lasts
 * over three thousand years, while leaving the wire's 2^53 - 1 limit far
 * away. A frame above it is malformed (`bad-epoch`), never adopted: one bogus
 * frame near 2^53 used to be adopted and persisted by every node, after which
 * nobody could stand (epoch + 1 no longer encodes) even across restarts.
 * protocol.md §1.2 and §5.2 have the rule and the way out.
 */
export const MAX_EPOCH = 2 ** 40;

/**
 * Highest epoch a node may adopt or persist: one below MAX_EPOCH, so the
 * epoch it would stand in next is still a valid frame.
 */
export const MAX_HELD_EPOCH = MAX_EPOCH - 1;

/** True when a node may hold `epoch`: a non-negative integer at most MAX_HELD_EPOCH. */
export function isHoldableEpoch(epoch: number): boolean {
  return Number.isInteger(epoch) && epoch >= 0 && epoch <= MAX_HELD_EPOCH;
}
