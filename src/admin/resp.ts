/**
 * RESP2 replies as values, and their encoding. Plain JS values map to the
 * common reply types (string/Buffer → bulk string, number → integer, null →
 * null bulk, array → array); the three that need a marker are classes.
 */

/** `+text` */
export class SimpleString {
  constructor(readonly text: string) {}
}

/** `-CODE message`: `text` starts with the error code (`ERR`, `NOAUTH`, ...). */
export class ErrorReply {
  constructor(readonly text: string) {}
}

/** `*-1`: the null array, as Sentinel answers get-master-addr-by-name for an unknown name. */
export class NullArray {
  static readonly instance = new NullArray();
  private constructor() {}
}

export type Reply = string | Buffer | number | null | SimpleString | ErrorReply | NullArray | readonly Reply[];

export const OK = new SimpleString('OK');

export function simple(text: string): SimpleString {
  return new SimpleString(text);
}

/** An error reply; `text` must start with the code, e.g. `ERR no such thing`. */
export function error(text: string): ErrorReply {
  return new ErrorReply(text);
}

/** Simple strings and errors are one line: CR and LF become spaces. */
function oneLine(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
}

function encodeInto(reply: Reply, out: Array<string | Buffer>): void {
  if (reply === null) {
    out.push('$-1\r\n');
  } else if (typeof reply === 'string') {
    out.push(`$${Buffer.byteLength(reply, 'utf8')}\r\n`, Buffer.from(reply, 'utf8'), '\r\n');
  } else if (typeof reply === 'number') {
    out.push(`:${Number.isFinite(reply) ? Math.trunc(reply) : 0}\r\n`);
  } else if (Buffer.isBuffer(reply)) {
    out.push(`$${reply.length}\r\n`, reply, '\r\n');
  } else if (reply instanceof SimpleString) {
    out.push(`+${oneLine(reply.text)}\r\n`);
  } else if (reply instanceof ErrorReply) {
    out.push(`-${oneLine(reply.text)}\r\n`);
  } else if (reply instanceof NullArray) {
    out.push('*-1\r\n');
  } else {
    const items = reply as readonly Reply[];
    out.push(`*${items.length}\r\n`);
    for (const item of items) encodeInto(item, out);
  }
}

/** The RESP2 bytes of one reply. */
export function encodeReply(reply: Reply): Buffer {
  const parts: Array<string | Buffer> = [];
  encodeInto(reply, parts);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/** A flat field/value array (Sentinel's RESP2 form of a map) from an object, values stringified. */
export function fieldArray(fields: Record<string, string | number>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) out.push(k, String(v));
  return out;
}
