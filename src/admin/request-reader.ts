/**
 * Splits the bytes a client sends into requests: RESP2 arrays of bulk
 * strings (what every client library and redis-cli send) and inline commands
 * (a line of space-separated words, as typed into telnet or nc).
 *
 * Arrays are framed here first, header by header, so every limit is enforced
 * before any data is buffered (a `$2147483648` header is refused at once, it
 * is never waited for), and only a complete, well-formed frame is handed to
 * redis-parser to decode. Anything malformed throws RequestError: the
 * connection replies with the error and closes, as redis does.
 */
import RedisParser from 'redis-parser';

export class RequestError extends Error {
  override readonly name = 'RequestError';
}

export interface RequestReaderLimits {
  /** Largest request, header bytes included. Default 64 KiB. */
  maxRequestBytes?: number;
  /** Most arguments in one request. Default 1024. */
  maxArgs?: number;
  /** Most unprocessed bytes held at once. Default 1 MiB. */
  maxBufferedBytes?: number;
}

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;
export const DEFAULT_MAX_ARGS = 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

const CR = 0x0d;
const LF = 0x0a;
/** `*` or `$`, up to 10 digits (with a sign), CR LF. */
const MAX_HEADER_BYTES = 16;

export class RequestReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxRequestBytes: number;
  private readonly maxArgs: number;
  private readonly maxBufferedBytes: number;
  private decoded: Buffer[] | undefined;
  private decodeError: Error | undefined;
  private readonly parser: RedisParser;

  constructor(limits: RequestReaderLimits = {}) {
    this.maxRequestBytes = limits.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.maxArgs = limits.maxArgs ?? DEFAULT_MAX_ARGS;
    this.maxBufferedBytes = limits.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply: unknown) => {
        this.decoded = reply as Buffer[];
      },
      returnError: (err: Error) => {
        this.decodeError = err;
      },
      returnFatalError: (err: Error) => {
        this.decodeError = err;
      },
    });
  }

  /** Bytes received and not yet returned as requests. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Add received bytes. Throws RequestError when too much is left unprocessed. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > this.maxBufferedBytes) {
      throw new RequestError(`Protocol error: more than ${this.maxBufferedBytes} bytes of requests buffered`);
    }
  }

  /**
   * The next complete request as its arguments (an empty array for an empty
   * line or `*0`, which callers skip), or undefined when more bytes are needed.
   * Throws RequestError on malformed or oversized input.
   */
  next(): Buffer[] | undefined {
    if (this.buf.length === 0) return undefined;
    return this.buf[0] === 0x2a /* '*' */ ? this.nextArray() : this.nextInline();
  }

  private nextArray(): Buffer[] | undefined {
    const buf = this.buf;
    const head = readHeader(buf, 0, 'multibulk');
    if (head === undefined) return undefined;
    const { value: count, end: afterCount } = head;
    if (count <= 0) {
      // `*0` and `*-1` are no request at all; redis skips them too.
      this.buf = buf.subarray(afterCount);
      return [];
    }
    if (count > this.maxArgs) throw new RequestError(`Protocol error: invalid multibulk length (more than ${this.maxArgs} arguments)`);
    let at = afterCount;
    for (let i = 0; i < count; i++) {
      if (at >= buf.length) return this.checkPartial(at);
      if (buf[at] !== 0x24 /* '$' */) throw new RequestError(`Protocol error: expected '$', got '${printable(buf[at]!)}'`);
      const bulk = readHeader(buf, at, 'bulk');
      if (bulk === undefined) return this.checkPartial(at);
      if (bulk.value < 0 || bulk.value > this.maxRequestBytes) throw new RequestError('Protocol error: invalid bulk length');
      const dataEnd = bulk.end + bulk.value;
      if (dataEnd + 2 > this.maxRequestBytes) throw new RequestError(`Protocol error: request larger than ${this.maxRequestBytes} bytes`);
      if (dataEnd + 2 > buf.length) return this.checkPartial(dataEnd + 2);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) throw new RequestError('Protocol error: bulk string not followed by CRLF');
      at = dataEnd + 2;
    }
    const frame = buf.subarray(0, at);
    this.buf = buf.subarray(at);
    return this.decode(frame);
  }

  /** Incomplete frame: fine unless it could only complete beyond the request limit. */
  private checkPartial(neededAtLeast: number): undefined {
    if (neededAtLeast > this.maxRequestBytes) throw new RequestError(`Protocol error: request larger than ${this.maxRequestBytes} bytes`);
    return undefined;
  }

  private decode(frame: Buffer): Buffer[] {
    this.decoded = undefined;
    this.decodeError = undefined;
    this.parser.execute(frame);
    // Set by the parser callbacks during execute(), which TypeScript's narrowing cannot see.
    const decoded = this.decoded as Buffer[] | undefined;
    const decodeError = this.decodeError as Error | undefined;
    this.decoded = undefined;
    this.decodeError = undefined;
    if (decodeError !== undefined || !Array.isArray(decoded)) {
      this.parser.reset();
      throw new RequestError(`Protocol error: ${decodeError?.message ?? 'could not decode the request'}`);
    }
    return decoded.map((arg) => (Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))));
  }

  private nextInline(): Buffer[] | undefined {
    const buf = this.buf;
    const lf = buf.indexOf(LF);
    if (lf < 0) {
      if (buf.length > this.maxRequestBytes) throw new RequestError('Protocol error: too big inline request');
      return undefined;
    }
    if (lf + 1 > this.maxRequestBytes) throw new RequestError('Protocol error: too big inline request');
    const end = lf > 0 && buf[lf - 1] === CR ? lf - 1 : lf;
    const line = buf.subarray(0, end);
    this.buf = buf.subarray(lf + 1);
    const args = splitInlineArgs(line);
    if (args === undefined) throw new RequestError('Protocol error: unbalanced quotes in request');
    if (args.length > this.maxArgs) throw new RequestError(`Protocol error: more than ${this.maxArgs} arguments`);
    return args;
  }
}

/**
 * Reads `*<n>\r\n` or `$<n>\r\n` at `at`: the number and where the next
 * element starts, undefined when the line is not complete yet. Throws on a
 * malformed number, or when the line is too long to be a header.
 */
function readHeader(buf: Buffer, at: number, what: 'multibulk' | 'bulk'): { value: number; end: number } | undefined {
  const limit = Math.min(buf.length, at + MAX_HEADER_BYTES);
  let cr = -1;
  for (let i = at + 1; i < limit; i++) {
    if (buf[i] === CR) {
      cr = i;
      break;
    }
  }
  if (cr < 0) {
    if (buf.length >= at + MAX_HEADER_BYTES) throw new RequestError(`Protocol error: invalid ${what} length`);
    return undefined;
  }
  if (cr + 1 >= buf.length) return undefined;
  if (buf[cr + 1] !== LF) throw new RequestError(`Protocol error: invalid ${what} length`);
  const text = buf.toString('latin1', at + 1, cr);
  if (!/^-?\d{1,12}$/.test(text)) throw new RequestError(`Protocol error: invalid ${what} length`);
  return { value: Number(text), end: cr + 2 };
}

function printable(byte: number): string {
  return byte >= 0x21 && byte <= 0x7e && byte !== 0x27 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/**
 * Splits an inline command line the way redis does (sdssplitargs): words
 * separated by whitespace; "double quotes" with \n \r \t \b \a \\ \" and
 * \xHH escapes; 'single quotes' with \' only. A closing quote must be
 * followed by whitespace or the end. Undefined on unbalanced quotes.
 */
export function splitInlineArgs(line: Buffer): Buffer[] | undefined {
  const args: Buffer[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return args;
    const cur: number[] = [];
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      if (inDq) {
        if (i >= n) return undefined;
        const c = line[i]!;
        if (c === 0x5c /* \ */ && i + 3 < n && line[i + 1] === 0x78 /* x */ && hexVal(line[i + 2]!) >= 0 && hexVal(line[i + 3]!) >= 0) {
          cur.push(hexVal(line[i + 2]!) * 16 + hexVal(line[i + 3]!));
          i += 3;
        } else if (c === 0x5c && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e);
        } else if (c === 0x22 /* " */) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return undefined;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (inSq) {
        if (i >= n) return undefined;
        const c = line[i]!;
        if (c === 0x5c && i + 1 < n && line[i + 1] === 0x27) {
          i++;
          cur.push(0x27);
        } else if (c === 0x27 /* ' */) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return undefined;
          done = true;
        } else {
          cur.push(c);
        }
      } else {
        if (i >= n) break;
        const c = line[i]!;
        if (isSpace(c)) {
          done = true;
        } else if (c === 0x22) {
          inDq = true;
        } else if (c === 0x27) {
          inSq = true;
        } else {
          cur.push(c);
        }
      }
      if (i < n) i++;
    }
    args.push(Buffer.from(cur));
  }
}
