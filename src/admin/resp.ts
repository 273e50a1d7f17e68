/**
 * Replies as values, and their encoding in RESP2 or RESP3 (the protocol a
 * connection chose with HELLO). Plain JS values map to the common reply
 * types (string/Buffer → bulk string, number → integer, null → null, array →
 * array); the types that need a marker are classes.
 *
 * RESP3 changes only a few shapes, and redis-sentinel 7 uses exactly these:
 * maps (`%`) for HELLO and every instance entry of SENTINEL MASTER(S) /
 * REPLICAS / SENTINELS, pushes (`>`) for pub/sub, `_` for every null, and a
 * verbatim string for CLIENT INFO. In RESP2 a map is the flat field/value
 * array Sentinel has always sent, and a push is an array.
 */

/** The protocol version a connection speaks: 2 until HELLO 3. */
export type Protocol = 2 | 3;

/** `+text` */
export class SimpleString {
  constructor(readonly text: string) {}
}

/** `-CODE message`: `text` starts with the error code (`ERR`, `NOAUTH`, ...). */
export class ErrorReply {
  constructor(readonly text: string) {}
}

/** `*-1` in RESP2 (as Sentinel answers get-master-addr-by-name for an unknown name), `_` in RESP3. */
export class NullArray {
  static readonly instance = new NullArray();
  private constructor() {}
}

/** `%N` field/value pairs in RESP3; the flat array `[k1, v1, k2, v2, ...]` in RESP2. */
export class MapReply {
  constructor(readonly entries: ReadonlyArray<readonly [Reply, Reply]>) {}
}

/** Out-of-band data (pub/sub messages and confirmations): `>N` in RESP3, an array in RESP2. */
export class PushReply {
  constructor(readonly items: readonly Reply[]) {}
}

/** Text meant to be shown as is (CLIENT INFO): `=N` with the `txt:` format in RESP3, a bulk string in RESP2. */
export class VerbatimText {
  constructor(readonly text: string) {}
}

export type Reply =
  | string
  | Buffer
  | number
  | null
  | SimpleString
  | ErrorReply
  | NullArray
  | MapReply
  | PushReply
  | VerbatimText
  | readonly Reply[];

export const OK = new SimpleString('OK');

export function simple(text: string): SimpleString {
  return new SimpleString(text);
}

/** An error reply; `text` must start with the code, e.g. `ERR no such thing`. */
export function error(text: string): ErrorReply {
  return new ErrorReply(text);
}

/** A map with string keys and values stringified, as Sentinel sends every field (numbers too) as a bulk string. */
export function fieldMap(fields: Record<string, string | number>): MapReply {
  return new MapReply(Object.entries(fields).map(([k, v]) => [k, String(v)] as const));
}

/** Simple strings and errors are one line: CR and LF become spaces. */
function oneLine(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
}

function bulk(data: Buffer, out: Array<string | Buffer>): void {
  out.push(`$${data.length}\r\n`, data, '\r\n');
}

function encodeInto(reply: Reply, proto: Protocol, out: Array<string | Buffer>): void {
  if (reply === null || reply instanceof NullArray) {
    if (proto === 3) out.push('_\r\n');
    else out.push(reply === null ? '$-1\r\n' : '*-1\r\n');
  } else if (typeof reply === 'string') {
    bulk(Buffer.from(reply, 'utf8'), out);
  } else if (typeof reply === 'number') {
    out.push(`:${Number.isFinite(reply) ? Math.trunc(reply) : 0}\r\n`);
  } else if (Buffer.isBuffer(reply)) {
    bulk(reply, out);
  } else if (reply instanceof SimpleString) {
    out.push(`+${oneLine(reply.text)}\r\n`);
  } else if (reply instanceof ErrorReply) {
    out.push(`-${oneLine(reply.text)}\r\n`);
  } else if (reply instanceof MapReply) {
    out.push(proto === 3 ? `%${reply.entries.length}\r\n` : `*${reply.entries.length * 2}\r\n`);
    for (const [k, v] of reply.entries) {
      encodeInto(k, proto, out);
      encodeInto(v, proto, out);
    }
  } else if (reply instanceof PushReply) {
    out.push(`${proto === 3 ? '>' : '*'}${reply.items.length}\r\n`);
    for (const item of reply.items) encodeInto(item, proto, out);
  } else if (reply instanceof VerbatimText) {
    const data = Buffer.from(reply.text, 'utf8');
    if (proto === 3) out.push(`=${data.length + 4}\r\ntxt:`, data, '\r\n');
    else bulk(data, out);
  } else {
    const items = reply as readonly Reply[];
    out.push(`*${items.length}\r\n`);
    for (const item of items) encodeInto(item, proto, out);
  }
}

/** The bytes of one reply in `proto` (default RESP2). */
export function encodeReply(reply: Reply, proto: Protocol = 2): Buffer {
  const parts: Array<string | Buffer> = [];
  encodeInto(reply, proto, parts);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}
