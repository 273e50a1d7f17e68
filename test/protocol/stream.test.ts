/** MessageDecoder as a stream: arbitrary chunking, many frames per chunk, and the memory bound. */
import { describe, expect, it } from 'vitest';
import { encodeMessage, MAX_FRAME_BYTES, MessageDecoder, ProtocolError, type Message } from '../../src/index.js';
import { allExampleBytes, EXAMPLES, rawFrame } from './examples.js';

const messages = EXAMPLES.map((e) => e.message);

function pushAll(decoder: MessageDecoder, chunks: Buffer[]): Message[] {
  const out: Message[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  return out;
}

function expectProtocolError(fn: () => unknown, code: string): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return err as ProtocolError;
  }
  throw new Error(`expected ProtocolError ${code}`);
}

describe('chunking', () => {
  const all = allExampleBytes();

  it('every split into two chunks at every byte boundary', () => {
    for (let i = 0; i <= all.length; i++) {
      expect(pushAll(new MessageDecoder(), [all.subarray(0, i), all.subarray(i)])).toEqual(messages);
    }
  });

  it('every split of each frame into three chunks', () => {
    for (const { frame, message } of EXAMPLES) {
      const bytes = Buffer.from(frame, 'latin1');
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j++) {
          const chunks = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
          expect(pushAll(new MessageDecoder(), chunks)).toEqual([message]);
        }
      }
    }
  });

  it('accepts plain Uint8Array chunks', () => {
    const d = new MessageDecoder();
    const out = [...d.push(new Uint8Array(all.subarray(0, 30))), ...d.push(new Uint8Array(all.subarray(30)))];
    expect(out).toEqual(messages);
  });

  it('one byte at a time', () => {
    const chunks = Array.from(all, (byte) => Buffer.from([byte]));
    expect(pushAll(new MessageDecoder(), chunks)).toEqual(messages);
  });

  it('hundreds of frames in one chunk, in order', () => {
    const many: Message[] = [];
    for (let i = 0; i < 500; i++) {
      many.push({ type: 'HB', epoch: i, nodeId: `node-${i % 7}`, role: 'replica', replOffset: i * 1000 });
      many.push(messages[i % messages.length]!);
    }
    const bytes = Buffer.concat(many.map(encodeMessage));
    expect(new MessageDecoder().push(bytes)).toEqual(many);
  });

  it('frames larger than a chunk, and chunks that end on every field boundary', () => {
    const id = 'i'.repeat(64);
    const msg: Message = { type: 'ANNOUNCE', epoch: 3, primaryId: id, primaryAddr: 'a'.repeat(250) + ':6379' };
    const bytes = Buffer.concat([encodeMessage(msg), encodeMessage(msg)]);
    for (const size of [1, 2, 3, 7, 64, 100, 333]) {
      const chunks: Buffer[] = [];
      for (let off = 0; off < bytes.length; off += size) chunks.push(bytes.subarray(off, off + size));
      expect(pushAll(new MessageDecoder(), chunks)).toEqual([msg, msg]);
    }
  });

  it('a framing error is found whichever way the bytes are split', () => {
    const bad = Buffer.concat([allExampleBytes(), Buffer.from('*2\r\n$2\r\nHB\r\n$-1\r\n')]);
    for (let i = 0; i <= bad.length; i++) {
      const d = new MessageDecoder();
      const got: Message[] = [];
      const err = expectProtocolError(() => {
        got.push(...d.push(bad.subarray(0, i)));
        got.push(...d.push(bad.subarray(i)));
      }, 'nil-element');
      // Everything before the bad frame is delivered exactly once: returned or on the error.
      expect([...got, ...err.decoded]).toEqual(messages);
    }
  });
});

describe('memory bound', () => {
  it('the default limit is 64 KiB', () => {
    expect(MAX_FRAME_BYTES).toBe(65536);
  });

  it('rejects $2000000000 from its header, without the payload', () => {
    expectProtocolError(() => new MessageDecoder().push(Buffer.from('*3\r\n$2000000000\r\n')), 'oversize');
  });

  it('rejects an oversize length before its header line is even finished', () => {
    const d = new MessageDecoder();
    expect(d.push(Buffer.from('*3\r\n$6553'))).toEqual([]); // could still be 6553 bytes
    expectProtocolError(() => d.push(Buffer.from('0')), 'oversize'); // 65530 cannot fit in 65536 with the headers
  });

  it('rejects an absurd element count before allocating', () => {
    expectProtocolError(() => new MessageDecoder().push(Buffer.from('*1000000\r\n')), 'oversize');
    expectProtocolError(() => new MessageDecoder().push(Buffer.from('*100')), 'oversize');
  });

  it('rejects a header line that goes on', () => {
    const e = new MessageDecoder();
    e.push(Buffer.from('*2\r\n$'));
    let digits = 0;
    expectProtocolError(() => {
      for (; digits < 100; digits++) e.push(Buffer.from('1'));
    }, 'oversize');
    expect(digits).toBe(5); // the sixth digit is refused: 111111 bytes cannot fit in 64 KiB
    expectProtocolError(() => new MessageDecoder().push(Buffer.from('*' + '1'.repeat(50))), 'oversize');
    expectProtocolError(() => new MessageDecoder().push(Buffer.from('*2\r\n$' + '0'.repeat(50))), 'bad-frame');
    expectProtocolError(() => new MessageDecoder().push(Buffer.from('*2' + ' '.repeat(50))), 'bad-frame');
  });

  it('accepts a frame of exactly maxFrameBytes and rejects one byte more', () => {
    const max = 2048;
    // Find the padding for which the frame is exactly max bytes.
    const frameOf = (n: number) => rawFrame('ANNOUNCE', '1', 'n1', 'h'.repeat(n) + ':1');
    let pad = 1;
    while (frameOf(pad).length < max) pad++;
    const exact = frameOf(pad);
    expect(exact.length).toBe(max);
    // The frame is exactly max: framing passes; the address is too long for the field rule.
    expectProtocolError(() => new MessageDecoder({ maxFrameBytes: max }).push(exact), 'bad-address');
    expectProtocolError(() => new MessageDecoder({ maxFrameBytes: max }).push(frameOf(pad + 1)), 'oversize');
    // Same with a split that forces the byte-by-byte path.
    const d = new MessageDecoder({ maxFrameBytes: max });
    d.push(exact.subarray(0, 20));
    expectProtocolError(() => d.push(exact.subarray(20)), 'bad-address');
    const e = new MessageDecoder({ maxFrameBytes: max });
    const over = frameOf(pad + 1);
    e.push(over.subarray(0, 20));
    expectProtocolError(() => e.push(over.subarray(20)), 'oversize');
  });

  it('the limit counts the whole frame, not one element', () => {
    const max = 1024;
    const elems = Array.from({ length: 16 }, () => 'x'.repeat(60)); // 16 x 67 bytes > 1024
    expectProtocolError(() => new MessageDecoder({ maxFrameBytes: max }).push(rawFrame(...elems)), 'oversize');
    const chunks = [...rawFrame(...elems)].map((b) => Buffer.from([b]));
    const d = new MessageDecoder({ maxFrameBytes: max });
    let consumed = 0;
    expectProtocolError(() => {
      for (const c of chunks) {
        d.push(c);
        consumed++;
      }
    }, 'oversize');
    // Refused before the bytes fed reached the limit plus one header line.
    expect(consumed).toBeLessThanOrEqual(max + 12);
  });

  it('a large valid frame split in many chunks is delivered', () => {
    const msg: Message = { type: 'ANNOUNCE', epoch: 1, primaryId: 'n', primaryAddr: 'h'.repeat(260) + ':6379' };
    const bytes = encodeMessage(msg);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(pushAll(new MessageDecoder({ maxFrameBytes: 1024 }), chunks)).toEqual([msg]);
  });
});
