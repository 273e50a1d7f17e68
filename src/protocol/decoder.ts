/**
 * Streaming decoder: bytes from one connection in, Messages out.
 *
 *   chunk -> FrameGuard (limits, strict RESP2 framing)
 *         -> redis-parser (reassembles arrays of bulk strings across chunks)
 *         -> decodeElements (verb, arity, field rules) -> Message
 *
 * redis-parser runs with returnBuffers so bulk lengths are byte-exact and
 * fields are checked as bytes, never as possibly-mangled UTF-8 strings.
 *
 * Memory: the guard bounds every frame by maxFrameBytes before redis-parser
 * stores any of it. redis-parser copies the bytes of a frame split across
 * chunks (at most one frame) and may keep a reference to the last chunk
 * until the next push().
 *
 * Errors are fatal. After the first ProtocolError the connection is out of
 * sync (and redis-parser keeps internal state we cannot rewind), so every
 * later push() throws ProtocolError('decoder-failed'); the transport closes
 * the connection.
 *
 * Messages before the error: push() throws, and the error's `decoded` holds
 * the messages of every complete, valid frame that preceded the bad one in
 * the same push() call, in order. The transport delivers them, then closes.
 * Frames after the bad one are dropped. Nothing is ever delivered twice:
 * `decoded` only holds messages that push() has not returned.
 */
import RedisParser from 'redis-parser';
import { decodeElements } from './decode.js';
import { ProtocolError } from './errors.js';
import { FrameGuard } from './frame-guard.js';
import { MAX_FRAME_BYTES, MAX_FRAME_BYTES_OPTION, MIN_FRAME_BYTES_OPTION } from './limits.js';
import type { Message } from './messages.js';

export interface MessageDecoderOptions {
  /** Largest frame accepted, headers included. Default MAX_FRAME_BYTES (64 KiB). */
  maxFrameBytes?: number;
}

export class MessageDecoder {
  readonly maxFrameBytes: number;
  private readonly guard: FrameGuard;
  private readonly parser: RedisParser;
  /** Collects the messages of the push() in progress. */
  private out: Message[] = [];
  private failed = false;

  constructor(options: MessageDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(max) || max < MIN_FRAME_BYTES_OPTION || max > MAX_FRAME_BYTES_OPTION) {
      throw new RangeError(
        `maxFrameBytes must be an integer from ${MIN_FRAME_BYTES_OPTION} to ${MAX_FRAME_BYTES_OPTION}, got ${max}`,
      );
    }
    this.maxFrameBytes = max;
    this.guard = new FrameGuard(max);
    this.parser = new RedisParser({
      returnBuffers: true,
      // The guard only lets arrays of non-null bulk strings through.
      returnReply: (reply: Buffer[]) => {
        this.out.push(decodeElements(reply));
      },
      // Unreachable: the guard refuses '-' frames and malformed type bytes
      // before redis-parser sees them. Kept as ProtocolErrors so a gap in the
      // guard still closes the connection cleanly instead of crashing.
      returnError: (err: Error) => {
        throw new ProtocolError('not-array', `frame is an error reply: ${err.message}`);
      },
      returnFatalError: (err: Error) => {
        throw new ProtocolError('unsupported-type', `redis-parser: ${err.message}`);
      },
    });
  }

  /**
   * Feeds the next bytes of the stream; returns the messages of every frame
   * completed by them, in order. Throws ProtocolError on the first invalid
   * frame (see `decoded` on the error) and on every call after that.
   */
  push(chunk: Uint8Array): Message[] {
    if (this.failed) {
      throw new ProtocolError('decoder-failed', 'decoder already failed on an earlier protocol error; close the connection');
    }
    // redis-parser slices its input and we read fields with Buffer methods,
    // so a plain Uint8Array is viewed (not copied) as a Buffer.
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Message[] = [];
    this.out = out;
    try {
      const failure = this.guard.scan(buf);
      if (failure === undefined) {
        if (buf.length > 0) this.parser.execute(buf);
        return out;
      }
      // Parse the complete frames before the bad one so their messages can
      // be handed over on the error.
      if (failure.frameStart > 0) this.parser.execute(buf.subarray(0, failure.frameStart));
      throw failure.error;
    } catch (err) {
      this.failed = true;
      if (err instanceof ProtocolError) err.decoded = out;
      throw err;
    }
  }
}
