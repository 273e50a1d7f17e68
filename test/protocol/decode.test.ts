/** MessageDecoder: content rules, every error code, and what happens around an error. */
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  MAX_EPOCH,
  MessageDecoder,
  ProtocolError,
  type Message,
  type ProtocolErrorCode,
} from '../../src/index.js';
import { DIGEST, EXAMPLES, MEMBERS, NONCE, PROOF, rawFrame } from './examples.js';

/** Pushes the bytes into a fresh decoder and returns the ProtocolError it throws. */
function decodeError(bytes: Buffer | string, decoder = new MessageDecoder()): ProtocolError {
  try {
    decoder.push(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected push() to throw');
}

function decode(bytes: Buffer | string): Message[] {
  return new MessageDecoder().push(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
}

const HB_FIELDS = ['7', 'n1', 'primary', '1234'];

describe('decoding valid input', () => {
  it('round-trips every example', () => {
    for (const { message } of EXAMPLES) expect(decode(encodeMessage(message))).toEqual([message]);
  });

  it('reads the verb case-insensitively', () => {
    for (const verb of ['hb', 'Hb', 'hB', 'HB']) {
      expect(decode(rawFrame(verb, ...HB_FIELDS))).toEqual([
        { type: 'HB', epoch: 7, nodeId: 'n1', role: 'primary', replOffset: 1234 },
      ]);
    }
    expect(decode(rawFrame('leaseAck', '1', 'n2', '3'))).toEqual([{ type: 'LEASEACK', epoch: 1, voterId: 'n2', seq: 3 }]);
    expect(decode(rawFrame('challenge', 'n2', NONCE, PROOF))[0]!.type).toBe('CHALLENGE');
  });

  it('reads the role case-insensitively and returns it lower case', () => {
    const roles: [string, string][] = [
      ['PRIMARY', 'primary'],
      ['Replica', 'replica'],
      ['cAnDiDaTe', 'candidate'],
    ];
    for (const [wire, role] of roles) {
      expect(decode(rawFrame('HB', '7', 'n1', wire, '0'))).toEqual([
        { type: 'HB', epoch: 7, nodeId: 'n1', role, replOffset: 0 },
      ]);
    }
  });

  it('accepts the number limits: 0 and 2^53-1', () => {
    expect(decode(rawFrame('LEASE', '0', 'n1', '9007199254740991'))).toEqual([
      { type: 'LEASE', epoch: 0, primaryId: 'n1', seq: 9007199254740991 },
    ]);
  });

  it('accepts node ids of 1 and 64 bytes using every printable character', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    for (const id of ['x', printable.slice(0, 64), printable.slice(30, 94)]) {
      expect(decode(rawFrame('ACCEPT', '1', id))).toEqual([{ type: 'ACCEPT', epoch: 1, accepterId: id }]);
    }
  });

  it('returns the same strings for repeated and different ids (no interning mix-ups)', () => {
    const ids = ['redis-a-0', 'redis-a-1', 'redis-b-0', 'redis-a-0', 'n', 'redis-b-1', 'redis-a-1'];
    const bytes = Buffer.concat(ids.map((id) => rawFrame('ACCEPT', '1', id)));
    expect(decode(bytes).map((m) => (m as { accepterId: string }).accepterId)).toEqual(ids);
  });

  it('an id right after a valid id of the same length is still validated', () => {
    expect(decode(rawFrame('ACCEPT', '1', 'n1'))).toHaveLength(1);
    expect(decodeError(rawFrame('ACCEPT', '1', 'n ')).code).toBe('bad-id');
    expect(decode(rawFrame('ACCEPT', '1', 'N1'))).toEqual([{ type: 'ACCEPT', epoch: 1, accepterId: 'N1' }]);
  });

  it('accepts every refuse reason', () => {
    for (const reason of ['primary-alive', 'stale-epoch', 'already-voted', 'stale-offset', 'better-candidate', 'offset-unknown', 'starting', 'not-electable', 'persist-failed', 'stale-config']) {
      expect(decode(rawFrame('REFUSE', '2', 'n3', '1', reason))).toEqual([
        { type: 'REFUSE', epoch: 2, voterId: 'n3', voterEpoch: 1, reason },
      ]);
    }
  });

  it('accepts a members field of one voter, and the largest one (64 members, longest fields)', () => {
    expect(decode(rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,1,-,-'))).toEqual([
      { type: 'CONFIG', nodeId: 'n1', version: 1, configEpoch: 0, members: 'n1,voter,1,-,-' },
    ]);
    const host = 'h'.repeat(264);
    const big = Array.from({ length: 64 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(62)},learner,999999999,${host}:65535,${host}:65535`);
    big[0] = big[0]!.replace('learner', 'voter');
    const text = big.join(';');
    expect(decode(rawFrame('CONFIG', 'n1', '1', '0', text))[0]).toMatchObject({ members: text });
  });

  it('returns nothing for an empty chunk or a partial frame', () => {
    const d = new MessageDecoder();
    expect(d.push(Buffer.alloc(0))).toEqual([]);
    expect(d.push(Buffer.from('*5\r\n$2\r\nHB'))).toEqual([]);
    expect(d.push(Buffer.alloc(0))).toEqual([]);
    expect(d.push(Buffer.from('\r\n$1\r\n7\r\n$2\r\nn1\r\n$7\r\nprimary\r\n$4\r\n1234\r\n'))).toHaveLength(1);
  });
});

describe('error codes', () => {
  const big = 'x'.repeat(100);
  const cases: [ProtocolErrorCode, string, Buffer | string][] = [
    ['unknown-verb', 'PING', rawFrame('PING')],
    ['unknown-verb', 'verb with trailing space', rawFrame('HB ', ...HB_FIELDS)],
    ['unknown-verb', 'empty verb', rawFrame('', ...HB_FIELDS)],
    ['unknown-verb', 'non-letter lookalike of HB', rawFrame('\x08\x02', ...HB_FIELDS)],
    ['wrong-arity', 'HB with 3 fields', rawFrame('HB', '7', 'n1', 'primary')],
    ['wrong-arity', 'HB with 5 fields', rawFrame('HB', ...HB_FIELDS, 'extra')],
    ['wrong-arity', 'PROOF alone', rawFrame('PROOF')],
    ['wrong-arity', 'empty array', '*0\r\n'],
    ['bad-number', 'negative', rawFrame('HB', '-1', 'n1', 'primary', '0')],
    ['bad-number', 'leading plus', rawFrame('HB', '+1', 'n1', 'primary', '0')],
    ['bad-number', 'leading zero', rawFrame('HB', '07', 'n1', 'primary', '0')],
    ['bad-number', 'empty', rawFrame('HB', '', 'n1', 'primary', '0')],
    ['bad-number', 'space', rawFrame('HB', ' 7', 'n1', 'primary', '0')],
    ['bad-number', 'exponent', rawFrame('HB', '1e3', 'n1', 'primary', '0')],
    ['bad-number', 'fraction', rawFrame('HB', '1.0', 'n1', 'primary', '0')],
    ['bad-number', '2^53', rawFrame('HB', '9007199254740992', 'n1', 'primary', '0')],
    ['bad-number', '17 digits', rawFrame('HB', '10000000000000000', 'n1', 'primary', '0')],
    ['bad-number', 'hex', rawFrame('HB', '0x10', 'n1', 'primary', '0')],
    ['bad-epoch', 'HB epoch 2^53-1 (the frame that used to wedge a cluster)', rawFrame('HB', '9007199254740991', 'n1', 'primary', '0')],
    ['bad-epoch', 'HB epoch MAX_EPOCH + 1', rawFrame('HB', String(MAX_EPOCH + 1), 'n1', 'primary', '0')],
    ['bad-epoch', 'OFFER new_epoch', rawFrame('OFFER', String(MAX_EPOCH + 1), 'n1', '0')],
    ['bad-epoch', 'REFUSE voter_epoch', rawFrame('REFUSE', '1', 'n1', String(MAX_EPOCH + 1), 'stale-epoch')],
    ['bad-epoch', 'PREVOTE data_epoch', rawFrame('PREVOTE', '1', 'n1', '0', String(MAX_EPOCH + 1))],
    ['bad-role', 'leader', rawFrame('HB', '7', 'n1', 'leader', '0')],
    ['bad-role', 'prefix', rawFrame('HB', '7', 'n1', 'prim', '0')],
    ['bad-role', 'non-letter lookalike', rawFrame('HB', '7', 'n1', 'p\x12imary', '0')],
    ['bad-id', 'empty', rawFrame('ACCEPT', '1', '')],
    ['bad-id', 'space', rawFrame('ACCEPT', '1', 'a b')],
    ['bad-id', '65 bytes', rawFrame('ACCEPT', '1', 'x'.repeat(65))],
    ['bad-id', 'DEL byte', rawFrame('ACCEPT', '1', 'n\x7f')],
    ['bad-id', 'UTF-8', rawFrame('ACCEPT', '1', Buffer.from('nœud', 'utf8'))],
    ['bad-address', 'no port', rawFrame('ANNOUNCE', '1', 'n1', 'host')],
    ['bad-address', 'port 0', rawFrame('ANNOUNCE', '1', 'n1', 'host:0')],
    ['bad-address', 'port 65536', rawFrame('ANNOUNCE', '1', 'n1', 'host:65536')],
    ['bad-address', 'empty host', rawFrame('ANNOUNCE', '1', 'n1', ':6379')],
    ['bad-address', 'space', rawFrame('ANNOUNCE', '1', 'n1', 'my host:6379')],
    ['bad-address', 'bare IPv6', rawFrame('ANNOUNCE', '1', 'n1', '::1:6379')],
    ['bad-address', 'huge', rawFrame('ANNOUNCE', '1', 'n1', 'h'.repeat(5000) + ':1')],
    ['bad-hex', 'upper case', rawFrame('PROOF', PROOF.toUpperCase())],
    ['bad-hex', '63 chars', rawFrame('PROOF', PROOF.slice(1))],
    ['bad-hex', '65 chars', rawFrame('PROOF', PROOF + '0')],
    ['bad-hex', 'non-hex', rawFrame('PEER', '1', 'n1', 'g'.repeat(64))],
    ['bad-reason', 'unknown', rawFrame('REFUSE', '1', 'n1', '1', 'busy')],
    ['bad-reason', 'upper case', rawFrame('REFUSE', '1', 'n1', '1', 'STALE-EPOCH')],
    ['bad-reason', 'huge', rawFrame('REFUSE', '1', 'n1', '1', big)],
    ['bad-hex', 'CONFVER digest upper case', rawFrame('CONFVER', 'n1', '1', '0', DIGEST.toUpperCase(), '0')],
    ['bad-epoch', 'CONFVER config_epoch', rawFrame('CONFVER', 'n1', '1', String(MAX_EPOCH + 1), DIGEST, '0')],
    ['bad-epoch', 'CONFIG config_epoch', rawFrame('CONFIG', 'n1', '1', String(MAX_EPOCH + 1), MEMBERS)],
    ['bad-number', 'CONFIG version', rawFrame('CONFIG', 'n1', '01', '0', MEMBERS)],
    ['bad-id', 'CONFGET node_id', rawFrame('CONFGET', 'a b')],
    ['wrong-arity', 'CONFGET with 2 fields', rawFrame('CONFGET', 'n4', 'n5')],
    ['bad-members', 'empty', rawFrame('CONFIG', 'n1', '1', '0', '')],
    ['bad-members', 'four parts', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,1,-')],
    ['bad-members', 'unknown kind', rawFrame('CONFIG', 'n1', '1', '0', 'n1,boss,1,-,-')],
    ['bad-members', 'priority with leading zero', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,01,-,-')],
    ['bad-members', 'bad peer address', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,1,host,-')],
    ['bad-members', 'witness with redis', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,1,-,-;n2,witness,0,-,h:1')],
    ['bad-members', 'duplicate id', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,1,-,-;n1,voter,1,-,-')],
    ['bad-members', 'no voter that can lead', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,0,-,-;n2,learner,1,-,-')],
    ['bad-members', 'not sorted by id', rawFrame('CONFIG', 'n1', '1', '0', 'n2,voter,1,-,-;n1,voter,1,-,-')],
    ['bad-members', 'trailing separator', rawFrame('CONFIG', 'n1', '1', '0', 'n1,voter,1,-,-;')],
    ['bad-members', '65 members', rawFrame('CONFIG', 'n1', '1', '0', Array.from({ length: 65 }, (_, i) => `m${String(i).padStart(2, '0')},voter,1,-,-`).join(';'))],
    ['bad-members', 'huge', rawFrame('CONFIG', 'n1', '1', '0', 'x'.repeat(50_000))],
    ['bad-members', 'non-ASCII', rawFrame('CONFIG', 'n1', '1', '0', Buffer.from('nœud,voter,1,-,-', 'utf8'))],
    ['not-array', 'simple string', '+OK\r\n'],
    ['not-array', 'error', '-ERR nope\r\n'],
    ['not-array', 'integer', ':1\r\n'],
    ['not-array', 'bulk string', '$2\r\nHB\r\n'],
    ['not-array', 'null array', '*-1\r\n'],
    ['non-bulk-element', 'integer element', '*2\r\n$2\r\nHB\r\n:7\r\n'],
    ['non-bulk-element', 'simple string element', '*2\r\n+HB\r\n'],
    ['non-bulk-element', 'nested array', '*1\r\n*1\r\n$2\r\nHB\r\n'],
    ['non-bulk-element', 'RESP3 element', '*1\r\n%0\r\n'],
    ['nil-element', 'null bulk string', '*2\r\n$5\r\nPROOF\r\n$-1\r\n'],
    ['oversize', 'huge bulk length', '*3\r\n$2000000000\r\n'],
    ['oversize', 'huge array count', '*1000000\r\n'],
    ['oversize', 'array count 17', '*17\r\n'],
    ['oversize', 'endless length digits', '*1\r\n$' + '9'.repeat(100)],
    ['unsupported-type', 'RESP3 map', '%1\r\n$1\r\na\r\n$1\r\nb\r\n'],
    ['unsupported-type', 'RESP3 set', '~0\r\n'],
    ['unsupported-type', 'RESP3 push', '>1\r\n$2\r\nHB\r\n'],
    ['unsupported-type', 'RESP3 null', '_\r\n'],
    ['unsupported-type', 'RESP3 boolean', '#t\r\n'],
    ['unsupported-type', 'RESP3 double', ',1.5\r\n'],
    ['unsupported-type', 'RESP3 big number', '(123\r\n'],
    ['unsupported-type', 'RESP3 verbatim', '=7\r\ntxt:abc\r\n'],
    ['unsupported-type', 'RESP3 attribute', '|0\r\n'],
    ['unsupported-type', 'inline command', 'HB 7 n1 primary 1234\r\n'],
    ['unsupported-type', 'bare CRLF', '\r\n'],
    ['unsupported-type', 'NUL byte', '\x00'],
    ['bad-frame', 'letter in count', '*x\r\n'],
    ['bad-frame', 'leading zero count', '*05\r\n'],
    ['bad-frame', 'empty count', '*\r\n'],
    ['bad-frame', 'LF-only header', '*1\n$2\nHB\n'],
    ['bad-frame', 'leading zero length', '*1\r\n$02\r\nHB\r\n'],
    ['bad-frame', 'letter in length', '*1\r\n$2x\r\nHB\r\n'],
    ['bad-frame', 'negative length other than -1', '*1\r\n$1-\r\n'],
    ['bad-frame', 'missing CRLF after payload', '*1\r\n$2\r\nHBX\r\n'],
    ['bad-frame', 'CR without LF after payload', '*1\r\n$2\r\nHB\rX'],
    ['bad-frame', 'space after length', '*1\r\n$2 \r\nHB\r\n'],
  ];

  it.each(cases)('%s: %s', (code, _name, bytes) => {
    expect(decodeError(bytes).code).toBe(code);
  });

  it('decoder-failed after any error, for every later push', () => {
    const d = new MessageDecoder();
    expect(decodeError('+OK\r\n', d).code).toBe('not-array');
    const valid = encodeMessage(EXAMPLES[0]!.message);
    expect(decodeError(valid, d).code).toBe('decoder-failed');
    expect(decodeError(Buffer.alloc(0), d).code).toBe('decoder-failed');
    expect(decodeError(valid, d).decoded).toEqual([]);
  });

  it('every code above is covered', () => {
    const all: ProtocolErrorCode[] = [
      'unknown-verb', 'wrong-arity', 'bad-number', 'bad-epoch', 'bad-role', 'bad-id', 'bad-address', 'bad-hex', 'bad-reason', 'bad-members',
      'not-array', 'non-bulk-element', 'oversize', 'unsupported-type', 'nil-element', 'bad-frame',
    ];
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(all));
  });
});

describe('error messages', () => {
  it('name the verb, the field and the value', () => {
    expect(decodeError(rawFrame('HB', '-1', 'n1', 'primary', '0')).message).toBe(
      'HB epoch: not a non-negative decimal integer: "-1"',
    );
    expect(decodeError(rawFrame('OFFER', '1', 'n1', '01')).message).toBe(
      'OFFER repl_offset: not a non-negative decimal integer: "01"',
    );
    expect(decodeError(rawFrame('REFUSE', '1', 'n1', '1', 'busy')).message).toBe(
      'REFUSE reason: not a known refuse reason: "busy"',
    );
    expect(decodeError(rawFrame('HB', '7', 'n1', 'primary')).message).toBe('HB: expected 4 fields, got 3');
    expect(decodeError(rawFrame('PING')).message).toBe('unknown verb: "PING"');
  });

  it('escape non-printable bytes and truncate to 40 characters', () => {
    expect(decodeError(rawFrame('ACCEPT', '1', Buffer.from([0x6e, 0x00, 0x0d, 0x0a, 0xff, 0x22]))).message).toBe(
      'ACCEPT accepter_id: not 1-64 bytes of printable ASCII without spaces: "n\\x00\\x0d\\x0a\\xff\\""',
    );
    const msg = decodeError(rawFrame('PROOF', 'Z'.repeat(5000))).message;
    expect(msg).toBe(`PROOF proof: not 64 lowercase hex characters: "${'Z'.repeat(37)}..."`);
    const escaped = decodeError(rawFrame('ACCEPT', '1', Buffer.alloc(30, 1))).message;
    // 9 escapes of 4 characters fit in 37, the tenth would not.
    expect(escaped).toBe(`ACCEPT accepter_id: not 1-64 bytes of printable ASCII without spaces: "${'\\x01'.repeat(9)}..."`);
  });
});

describe('messages decoded before an error', () => {
  const a = encodeMessage(EXAMPLES[0]!.message);
  const b = encodeMessage(EXAMPLES[1]!.message);

  it('a content error: earlier frames of the same push are on error.decoded, later ones are dropped', () => {
    const err = decodeError(Buffer.concat([a, b, rawFrame('PING'), a]));
    expect(err.code).toBe('unknown-verb');
    expect(err.decoded).toEqual([EXAMPLES[0]!.message, EXAMPLES[1]!.message]);
  });

  it('a framing error: same rule', () => {
    const err = decodeError(Buffer.concat([a, b, Buffer.from('+OK\r\n'), a]));
    expect(err.code).toBe('not-array');
    expect(err.decoded).toEqual([EXAMPLES[0]!.message, EXAMPLES[1]!.message]);
  });

  it('a framing error mid-frame after complete frames', () => {
    const err = decodeError(Buffer.concat([a, Buffer.from('*2\r\n$2\r\nHB\r\n:1\r\n')]));
    expect(err.code).toBe('non-bulk-element');
    expect(err.decoded).toEqual([EXAMPLES[0]!.message]);
  });

  it('a frame completed by this push counts, messages returned earlier are not repeated', () => {
    const d = new MessageDecoder();
    expect(d.push(Buffer.concat([a, b.subarray(0, 10)]))).toEqual([EXAMPLES[0]!.message]);
    const err = decodeError(Buffer.concat([b.subarray(10), Buffer.from('~0\r\n')]), d);
    expect(err.code).toBe('unsupported-type');
    expect(err.decoded).toEqual([EXAMPLES[1]!.message]);
  });

  it('an error in the first frame leaves decoded empty', () => {
    expect(decodeError(Buffer.concat([rawFrame('PING'), a])).decoded).toEqual([]);
  });

  it('errors are reported in stream order: an earlier bad frame wins over a later framing error', () => {
    const err = decodeError(Buffer.concat([a, rawFrame('PING'), Buffer.from('+OK\r\n')]));
    expect(err.code).toBe('unknown-verb');
    expect(err.decoded).toEqual([EXAMPLES[0]!.message]);
  });
});

describe('options', () => {
  it('rejects unusable maxFrameBytes', () => {
    for (const bad of [0, 100, 1023, 1.5, NaN, 2 ** 40]) {
      expect(() => new MessageDecoder({ maxFrameBytes: bad })).toThrow(RangeError);
    }
    expect(new MessageDecoder().maxFrameBytes).toBe(64 * 1024);
    expect(new MessageDecoder({ maxFrameBytes: 1024 }).maxFrameBytes).toBe(1024);
  });
});
