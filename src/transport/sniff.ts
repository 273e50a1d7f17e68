/**
 * First-frame sniffing for the shared listening port. The port serves both
 * sidecar peers and Redis/Sentinel clients (redis-cli, ioredis), so the
 * listener looks at the first bytes of each accepted connection and decides
 * who is talking, before any decoder sees them.
 *
 * A peer always opens with a RESP array whose first bulk string is `PEER`:
 * `*<n>\r\n$4\r\nPEER` (the verb in any letter case, as the codec reads
 * verbs case-insensitively). The classifier matches that prefix byte by byte and
 * answers as soon as the bytes read so far either complete it ('peer') or
 * depart from it ('client'). So it never needs more than
 * MAX_SNIFF_BYTES bytes and it never parses anything a client sends beyond
 * the point where it stops looking like PEER: inline commands, other verbs,
 * malformed or huge headers are all the client handler's business.
 */

/** Longest prefix the classifier can ever need: `*` + 10 digits + `\r\n$4\r\nPEER`. */
export const MAX_SNIFF_BYTES = 1 + 10 + 2 + 4 + 4;

export type SniffResult = 'peer' | 'client' | 'need-more';

const CR = 0x0d;
const LF = 0x0a;
const HEADER = Buffer.from('$4\r\n', 'ascii');
const VERB_LOWER = Buffer.from('peer', 'ascii');

/** Classifies the bytes received so far on a freshly accepted connection. */
export function sniffFirstFrame(buf: Buffer): SniffResult {
  if (buf.length === 0) return 'need-more';
  if (buf[0] !== 0x2a /* '*' */) return 'client';
  let i = 1;
  // Element count: 1 to 10 decimal digits.
  while (i < buf.length && isDigit(buf[i]!)) {
    i++;
    if (i - 1 > 10) return 'client';
  }
  if (i === buf.length) return 'need-more';
  if (i === 1) return 'client'; // no digits
  // CR LF after the count.
  if (buf[i] !== CR) return 'client';
  i++;
  if (i === buf.length) return 'need-more';
  if (buf[i] !== LF) return 'client';
  i++;
  // `$4\r\n`, then `PEER` in any case (0x20 is the ASCII case bit), byte by byte.
  for (let j = 0; j < HEADER.length; j++, i++) {
    if (i === buf.length) return 'need-more';
    if (buf[i] !== HEADER[j]) return 'client';
  }
  for (let j = 0; j < VERB_LOWER.length; j++, i++) {
    if (i === buf.length) return 'need-more';
    if ((buf[i]! | 0x20) !== VERB_LOWER[j]) return 'client';
  }
  return 'peer';
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
