/**
 * Size limits of the wire protocol. They exist so that a confused or hostile
 * peer cannot make a sidecar allocate memory in proportion to a number it
 * wrote in a header: every frame resp-elect sends is a few hundred bytes.
 */

/** Default largest frame accepted, headers included: 64 KiB. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Smallest maxFrameBytes a decoder accepts: room for the largest legitimate frame. */
export const MIN_FRAME_BYTES_OPTION = 1024;

/** Largest maxFrameBytes a decoder accepts (Redis' own proto-max-bulk-len default). */
export const MAX_FRAME_BYTES_OPTION = 512 * 1024 * 1024;

/**
 * Largest element count in an array header. The longest verb has 5 elements;
 * 16 leaves headroom so a frame with a few extra fields is reported as
 * `wrong-arity` (useful when debugging a peer) while `*1000000` is refused as
 * `oversize` before any element array is allocated.
 */
export const MAX_FRAME_ELEMENTS = 16;
