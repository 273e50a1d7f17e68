/**
 * A forward-only scanner that walks the `*N` and `$len` headers of the byte
 * stream before redis-parser sees it.
 *
 * Why it exists: redis-parser has no size limit. Given `$2000000000\r\n` it
 * keeps every following chunk until two gigabytes have arrived, and given
 * `*1000000\r\n` it allocates a million-slot array. It also trusts headers
 * blindly (`$1x\r\n` reads as some length) and accepts every RESP2 type. The
 * guard refuses all of that at the first offending byte, so redis-parser
 * only ever receives well-formed arrays of bulk strings whose total size is
 * at most maxFrameBytes, and a hostile peer can make us buffer at most one
 * frame of that size.
 *
 * It is deliberately small: it skips bulk payloads with arithmetic, keeps a
 * handful of integers between chunks, and never copies or buffers bytes.
 * A byte-by-byte state machine defines the rules; completeFrameEnd() is a
 * fast path for the common case of a whole, plain frame inside one chunk.
 * Everything about the content of a frame is left to decode.ts.
 */
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { MAX_FRAME_ELEMENTS } from './limits.js';

const STAR = 0x2a; // *
const DOLLAR = 0x24; // $
const MINUS = 0x2d; // -
const CR = 0x0d;
const LF = 0x0a;
const ZERO = 0x30;

// Scanner states. Plain numbers rather than an enum: compiled code stays a
// small integer switch.
const AT_FRAME = 0; // expecting '*' of the next frame
const IN_COUNT = 1; // digits of *N
const COUNT_LF = 2; // '\n' after *N\r
const AT_ELEMENT = 3; // expecting '$'
const IN_LENGTH = 4; // digits of $len
const LENGTH_LF = 5; // '\n' after $len\r
const IN_BODY = 6; // payload bytes still to skip
const BODY_CR = 7; // '\r' after the payload
const BODY_LF = 8; // '\n' after the payload

/** Smallest bytes after a '$' that can complete an element: `0\r\n\r\n`. */
const MIN_ELEMENT_TAIL = 5;

export interface GuardFailure {
  error: ProtocolError;
  /**
   * Offset in the scanned chunk where the offending frame starts, 0 if it
   * began in an earlier chunk. Bytes before it are complete, well-formed
   * frames (their content is checked later, by decode.ts).
   */
  frameStart: number;
}

export class FrameGuard {
  private state = AT_FRAME;
  /** Header number being read (count or length). */
  private value = 0;
  /** Digits read in the current header. */
  private digits = 0;
  /** Elements still expected in the current frame. */
  private elements = 0;
  /** Payload bytes still to skip. */
  private remaining = 0;
  /** Bytes of the current frame seen in earlier chunks. */
  private carried = 0;

  constructor(readonly maxFrameBytes: number) {}

  /** Scans one chunk; returns undefined if all of it may be parsed. */
  scan(buf: Uint8Array): GuardFailure | undefined {
    const len = buf.length;
    const max = this.maxFrameBytes;
    let state = this.state;
    let value = this.value;
    let digits = this.digits;
    let elements = this.elements;
    let remaining = this.remaining;
    // The current frame's size so far is carried + (i - frameStart):
    // carried counts its bytes from earlier chunks (0 once it starts here).
    // A failure reports frameStart only for a frame that began in this chunk.
    let carried = this.carried;
    let frameStart = 0;
    let i = 0;
    // Set on the first offending byte; the loop then stops.
    let problem: Problem | undefined;

    scan: while (i < len) {
      const c = buf[i]!;
      switch (state) {
        case AT_FRAME: {
          // Common case: the whole frame is in this chunk and well formed.
          const end = completeFrameEnd(buf, i, len, max);
          if (end > 0) {
            i = end;
            break;
          }
          frameStart = i;
          carried = 0;
          if (c !== STAR) {
            problem = frameTypeProblem(c);
            break scan;
          }
          i++;
          value = 0;
          digits = 0;
          state = IN_COUNT;
          break;
        }

        case IN_COUNT:
          i++;
          if (c >= ZERO && c <= ZERO + 9) {
            if (digits === 1 && value === 0) {
              problem = ['bad-frame', 'array count has a leading zero'];
              break scan;
            }
            value = value * 10 + (c - ZERO);
            digits++;
            if (value > MAX_FRAME_ELEMENTS) {
              problem = ['oversize', `array count over the limit of ${MAX_FRAME_ELEMENTS} elements`];
              break scan;
            }
          } else if (c === CR && digits > 0) {
            state = COUNT_LF;
          } else {
            problem =
              c === MINUS && digits === 0
                ? ['not-array', 'null array (*-1) is not a message']
                : ['bad-frame', `array count: unexpected byte ${showByte(c)}`];
            break scan;
          }
          break;

        case COUNT_LF:
          i++;
          if (c !== LF) {
            problem = ['bad-frame', `array header: expected LF after CR, got ${showByte(c)}`];
            break scan;
          }
          elements = value;
          state = elements === 0 ? AT_FRAME : AT_ELEMENT;
          break;

        case AT_ELEMENT:
          i++;
          if (c !== DOLLAR) {
            problem = ['non-bulk-element', `array element is ${elementTypeName(c)}, not a bulk string`];
            break scan;
          }
          if (carried + (i - frameStart) + MIN_ELEMENT_TAIL > max) {
            problem = tooBig(max);
            break scan;
          }
          value = 0;
          digits = 0;
          state = IN_LENGTH;
          break;

        case IN_LENGTH:
          i++;
          if (c >= ZERO && c <= ZERO + 9) {
            if (digits === 1 && value === 0) {
              problem = ['bad-frame', 'bulk length has a leading zero'];
              break scan;
            }
            value = value * 10 + (c - ZERO);
            digits++;
            // Lower bound of the finished frame: bytes so far, the CRLF that
            // ends this header, the payload and its CRLF. Checked per digit,
            // so `$2000000000` fails as soon as it is known to be too big,
            // and a header line can never grow past a few bytes.
            if (carried + (i - frameStart) + value + 4 > max) {
              problem = tooBig(max);
              break scan;
            }
          } else if (c === CR && digits > 0) {
            state = LENGTH_LF;
          } else {
            problem =
              c === MINUS && digits === 0
                ? ['nil-element', 'null bulk string ($-1) is not a field']
                : ['bad-frame', `bulk length: unexpected byte ${showByte(c)}`];
            break scan;
          }
          break;

        case LENGTH_LF:
          i++;
          if (c !== LF) {
            problem = ['bad-frame', `bulk header: expected LF after CR, got ${showByte(c)}`];
            break scan;
          }
          remaining = value;
          state = remaining === 0 ? BODY_CR : IN_BODY;
          break;

        case IN_BODY: {
          const available = len - i;
          if (available >= remaining) {
            i += remaining;
            remaining = 0;
            state = BODY_CR;
          } else {
            remaining -= available;
            i = len;
          }
          break;
        }

        case BODY_CR:
          i++;
          if (c !== CR) {
            problem = ['bad-frame', `bulk string not followed by CRLF, got ${showByte(c)}`];
            break scan;
          }
          state = BODY_LF;
          break;

        case BODY_LF:
          i++;
          if (c !== LF) {
            problem = ['bad-frame', `bulk string not followed by CRLF, got ${showByte(c)}`];
            break scan;
          }
          elements--;
          state = elements === 0 ? AT_FRAME : AT_ELEMENT;
          break;
      }
    }

    if (problem !== undefined) {
      return { error: new ProtocolError(problem[0], problem[1]), frameStart: carried === 0 ? frameStart : 0 };
    }
    this.state = state;
    this.value = value;
    this.digits = digits;
    this.elements = elements;
    this.remaining = remaining;
    this.carried = state === AT_FRAME ? 0 : carried + (len - frameStart);
    return undefined;
  }
}

/**
 * Fast path, purely an optimisation: returns the end offset of the frame at
 * `start` if it lies wholly inside buf and is plainly valid (1-9 elements,
 * canonical lengths, CRLFs in place, within max), else -1. On -1 the state
 * machine above takes the frame byte by byte; it alone defines the rules and
 * produces every error, so this function may only ever accept a subset of
 * what the state machine accepts. It exists because walking every header
 * byte through the state switch cost more than parsing itself.
 */
function completeFrameEnd(buf: Uint8Array, start: number, len: number, max: number): number {
  if (start + 4 > len || buf[start] !== STAR) return -1;
  const count = buf[start + 1]! - ZERO;
  if (count < 1 || count > 9 || buf[start + 2] !== CR || buf[start + 3] !== LF) return -1;
  let i = start + 4;
  for (let k = 0; k < count; k++) {
    if (i + 4 > len || buf[i] !== DOLLAR) return -1;
    // (x >>> 0) > 9 tests "not a digit" with one comparison.
    let length = buf[i + 1]! - ZERO;
    if (length >>> 0 > 9) return -1;
    let j = i + 2;
    for (;;) {
      if (j >= len) return -1;
      const d = buf[j]! - ZERO;
      if (d >>> 0 > 9) break;
      if (length === 0 || j - i > 9) return -1; // leading zero, or absurd: let the state machine judge
      length = length * 10 + d;
      j++;
    }
    if (buf[j] !== CR || j + 1 >= len || buf[j + 1] !== LF) return -1;
    i = j + 2 + length;
    if (i + 2 > len || buf[i] !== CR || buf[i + 1] !== LF) return -1;
    i += 2;
  }
  return i - start > max ? -1 : i;
}

type Problem = [ProtocolErrorCode, string];

function tooBig(max: number): Problem {
  return ['oversize', `frame larger than maxFrameBytes (${max} bytes)`];
}

const RESP3_TYPES: Readonly<Record<string, string>> = {
  '%': 'RESP3 map',
  '~': 'RESP3 set',
  '>': 'RESP3 push',
  _: 'RESP3 null',
  '#': 'RESP3 boolean',
  ',': 'RESP3 double',
  '(': 'RESP3 big number',
  '=': 'RESP3 verbatim string',
  '|': 'RESP3 attribute',
  '!': 'RESP3 blob error',
};

/** Why a byte cannot start a frame: another RESP2 type, RESP3, or an inline command. */
function frameTypeProblem(c: number): Problem {
  switch (c) {
    case DOLLAR:
      return ['not-array', 'frame is a bulk string ($), not an array'];
    case 0x2b:
      return ['not-array', 'frame is a simple string (+), not an array'];
    case MINUS:
      return ['not-array', 'frame is an error reply (-), not an array'];
    case 0x3a:
      return ['not-array', 'frame is an integer (:), not an array'];
  }
  const ch = String.fromCharCode(c);
  const resp3 = RESP3_TYPES[ch];
  if (resp3 !== undefined) return ['unsupported-type', `${resp3} (${showByte(c)}) is not supported; send RESP2 arrays`];
  if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) {
    return ['unsupported-type', `inline command (starts with ${showByte(c)}) is not supported; send RESP2 arrays`];
  }
  return ['unsupported-type', `frame starts with ${showByte(c)}, not "*"`];
}

function elementTypeName(c: number): string {
  switch (c) {
    case STAR:
      return 'a nested array (*)';
    case 0x2b:
      return 'a simple string (+)';
    case MINUS:
      return 'an error (-)';
    case 0x3a:
      return 'an integer (:)';
    default:
      return `type byte ${showByte(c)}`;
  }
}

/** A single byte as `"x" (0xNN)`, safe for logs. */
function showByte(c: number): string {
  const hex = '0x' + c.toString(16).padStart(2, '0');
  return c >= 0x21 && c <= 0x7e && c !== 0x22 && c !== 0x5c ? `"${String.fromCharCode(c)}" (${hex})` : hex;
}
