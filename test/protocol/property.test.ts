/**
 * Property tests: valid messages always round-trip however the bytes are
 * cut, and no input at all makes the decoder throw anything but
 * ProtocolError or depend on how the input is chunked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  formatAddress,
  MAX_EPOCH,
  MessageDecoder,
  ProtocolError,
  REFUSE_REASONS,
  ROLES,
  type Message,
} from '../../src/index.js';
import { MEMBER_KINDS, membersText } from '../../src/protocol/members.js';
import { allExampleBytes } from './examples.js';

const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const nodeId = fc.oneof(
  fc.string({ unit: printable, minLength: 1, maxLength: 64 }),
  fc.constantFrom('n1', 'n2', 'redis-a-0', 'redis-a-1'),
);
const num = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
/** Epoch fields stop at MAX_EPOCH (protocol.md 1.2). */
const epoch = fc.oneof(fc.nat(), fc.integer({ min: 0, max: MAX_EPOCH }), fc.constantFrom(0, MAX_EPOCH));
const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
const address = fc
  .record({
    host: fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6(), fc.constantFrom('localhost', 'redis-a-0')),
    port: fc.integer({ min: 1, max: 65535 }),
  })
  .filter(({ host }) => host.length <= 250)
  .map(formatAddress);

/** Valid member lists in canonical form: unique ids, at least one voter that can lead, witnesses without redis. */
const membersField = fc
  .uniqueArray(
    fc.record({
      id: fc.string({ unit: printable.filter((c) => c !== ',' && c !== ';'), minLength: 1, maxLength: 64 }),
      kind: fc.constantFrom(...MEMBER_KINDS),
      priority: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999_999_999 })),
      peer: fc.option(address.filter((a) => !/[,;]/.test(a)), { nil: undefined }),
      redis: fc.option(address.filter((a) => !/[,;]/.test(a)), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 6, selector: (m) => m.id },
  )
  .map((ms) => ms.map((m) => (m.kind === 'witness' ? { ...m, redis: undefined } : m)))
  .map((ms) => [{ id: '\x21lead', kind: 'voter' as const, priority: 1 }, ...ms.filter((m) => m.id !== '\x21lead')])
  .map(membersText);

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('HB' as const), epoch, nodeId, role: fc.constantFrom(...ROLES), replOffset: num }),
  fc.record({ type: fc.constant('OFFER' as const), epoch, candidateId: nodeId, replOffset: num }),
  fc.record({ type: fc.constant('ACCEPT' as const), epoch, accepterId: nodeId }),
  fc.record({ type: fc.constant('ANNOUNCE' as const), epoch, primaryId: nodeId, primaryAddr: address }),
  fc.record({ type: fc.constant('PREVOTE' as const), epoch, candidateId: nodeId, replOffset: num, dataEpoch: epoch }),
  fc.record({ type: fc.constant('PREACCEPT' as const), epoch, voterId: nodeId }),
  fc.record({
    type: fc.constant('REFUSE' as const),
    epoch,
    voterId: nodeId,
    voterEpoch: epoch,
    reason: fc.constantFrom(...REFUSE_REASONS),
  }),
  fc.record({ type: fc.constant('LEASE' as const), epoch, primaryId: nodeId, seq: num }),
  fc.record({ type: fc.constant('LEASEACK' as const), epoch, voterId: nodeId, seq: num }),
  fc.record({ type: fc.constant('HANDOFF' as const), epoch, targetId: nodeId, primaryOffset: num }),
  fc.record({ type: fc.constant('CONFVER' as const), nodeId, version: num, configEpoch: epoch, digest: hex64, dataEpoch: epoch }),
  fc.record({ type: fc.constant('CONFIG' as const), nodeId, version: num, configEpoch: epoch, members: membersField }),
  fc.record({ type: fc.constant('CONFGET' as const), nodeId }),
  fc.record({ type: fc.constant('PEER' as const), version: num, nodeId, nonce: hex64 }),
  fc.record({ type: fc.constant('CHALLENGE' as const), nodeId, nonce: hex64, proof: hex64 }),
  fc.record({ type: fc.constant('PROOF' as const), proof: hex64 }),
);

/** Cuts bytes at the given positions (taken modulo the length, sorted). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (bytes.length === 0 ? 0 : p % (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  chunks.push(bytes.subarray(prev));
  return chunks;
}

interface Outcome {
  /** Every message delivered: returned by push() or carried on the error. */
  messages: Message[];
  /** Code of the first ProtocolError, if any. */
  code: string | undefined;
}

/**
 * Feeds chunks into one decoder, stopping at the first error. Any exception
 * other than ProtocolError propagates and fails the property.
 */
function run(chunks: Buffer[], maxFrameBytes?: number): Outcome {
  const decoder = new MessageDecoder(maxFrameBytes === undefined ? {} : { maxFrameBytes });
  const messages: Message[] = [];
  for (const chunk of chunks) {
    try {
      messages.push(...decoder.push(chunk));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      messages.push(...err.decoded);
      expect(() => decoder.push(Buffer.alloc(0))).toThrow(ProtocolError);
      return { messages, code: err.code };
    }
  }
  return { messages, code: undefined };
}

/** A valid stream with some bytes replaced, inserted or removed. */
const mutatedStream = fc
  .record({
    msgs: fc.array(message, { minLength: 1, maxLength: 8 }),
    edits: fc.array(
      fc.record({ kind: fc.constantFrom('replace', 'insert', 'delete'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ msgs, edits }) => {
    const bytes = [...Buffer.concat(msgs.map(encodeMessage))];
    for (const e of edits) {
      const at = e.at % (bytes.length + 1);
      if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
      else if (at < bytes.length) {
        if (e.kind === 'replace') bytes[at] = e.byte;
        else bytes.splice(at, 1);
      }
    }
    return Buffer.from(bytes);
  });

/** Bytes biased towards RESP syntax so the fuzzing gets past the first byte. */
const respishBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom('*', '$', '\r\n', '\r', '\n', '-1', '0', '1', '2', '5', '64', 'HB', 'hb', 'PROOF', 'CONFIG', 'CONFGET', 'n1', ':', '+', '%', ',', ';', 'voter', '-'),
      fc.string({ unit: 'binary-ascii', maxLength: 4 }),
    ),
    { maxLength: 80 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

const points = fc.array(fc.nat(), { maxLength: 6 });

describe('properties', () => {
  it('valid messages round-trip through one frame each', () => {
    fc.assert(
      fc.property(message, (msg) => {
        expect(new MessageDecoder().push(encodeMessage(msg))).toEqual([msg]);
      }),
      { numRuns: 500 },
    );
  });

  it('a stream of valid messages round-trips however it is split', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), points, (msgs, at) => {
        const bytes = Buffer.concat(msgs.map(encodeMessage));
        expect(run(cut(bytes, at))).toEqual({ messages: msgs, code: undefined });
      }),
      { numRuns: 300 },
    );
  });

  it('re-encoding a decoded message gives the same bytes', () => {
    fc.assert(
      fc.property(message, (msg) => {
        const bytes = encodeMessage(msg);
        const [decoded] = new MessageDecoder().push(bytes);
        expect(encodeMessage(decoded!).equals(bytes)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes: only messages or ProtocolError, and the same outcome for any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), points, (raw, at) => {
        const bytes = Buffer.from(raw);
        const whole = run([bytes]);
        expect(run(cut(bytes, at))).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('RESP-like garbage: same, with a small frame limit too', () => {
    fc.assert(
      fc.property(respishBytes, points, fc.constantFrom(undefined, 1024), (bytes, at, max) => {
        const whole = run([bytes], max);
        expect(run(cut(bytes, at), max)).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid streams: only messages or ProtocolError, and the same outcome for any split', () => {
    fc.assert(
      fc.property(mutatedStream, points, (bytes, at) => {
        const whole = run([bytes]);
        expect(run(cut(bytes, at))).toEqual(whole);
        // Whatever was decoded is itself valid: it re-encodes without error.
        for (const m of whole.messages) encodeMessage(m);
      }),
      { numRuns: 1000 },
    );
  });

  it('one byte at a time gives the same outcome as one chunk', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedStream, respishBytes), (bytes) => {
        const bytewise = [...bytes].map((b) => Buffer.from([b]));
        expect(run(bytewise)).toEqual(run([bytes]));
      }),
      { numRuns: 300 },
    );
  });

  it('the example stream survives any split (sanity for the generators above)', () => {
    fc.assert(
      fc.property(points, (at) => {
        expect(run(cut(allExampleBytes(), at)).code).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });
});
