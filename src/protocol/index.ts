/**
 * The RESP2 wire codec: encodeMessage for outgoing frames, MessageDecoder for
 * incoming bytes, ProtocolError for everything a peer can get wrong, and the
 * field helpers other modules need to validate config the same way.
 * See protocol.md sections 1-3.
 */
export * from './messages.js';
export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export { encodeMessage } from './encode.js';
export { MessageDecoder, type MessageDecoderOptions } from './decoder.js';
export { parseAddress, formatAddress, type HostPort } from './address.js';
export { isValidNodeId, MAX_NODE_ID_BYTES } from './fields.js';
export { MAX_FRAME_BYTES, MAX_FRAME_ELEMENTS, MAX_EPOCH, MAX_HELD_EPOCH, isHoldableEpoch } from './limits.js';
export { VERBS, type VerbSpec, type FieldSpec, type FieldKind } from './verbs.js';
export { membersText, parseMembersText, type ConfigMember, type MemberKind } from './members.js';
