/** encodeMessage: wire form and refusal of anything a peer would reject. */
import { describe, expect, it } from 'vitest';
import { encodeMessage, MAX_EPOCH, ProtocolError, type Message, type ProtocolErrorCode } from '../../src/index.js';
import { NONCE, PROOF } from './examples.js';

function encodeError(msg: unknown): ProtocolError {
  try {
    encodeMessage(msg as Message);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected encodeMessage to throw');
}

const HB: Message = { type: 'HB', epoch: 7, nodeId: 'n1', role: 'replica', replOffset: 0 };

describe('encodeMessage', () => {
  it('writes the verb upper case and the role lower case', () => {
    const text = encodeMessage(HB).toString('latin1');
    expect(text.startsWith('*5\r\n$2\r\nHB\r\n')).toBe(true);
    expect(text).toContain('$7\r\nreplica\r\n');
  });

  it('returns a Buffer whose bulk lengths are byte counts', () => {
    const buf = encodeMessage({ type: 'LEASEACK', epoch: MAX_EPOCH, voterId: 'x'.repeat(64), seq: 9007199254740991 });
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect(buf.toString('latin1')).toBe(
      `*4\r\n$8\r\nLEASEACK\r\n$13\r\n1099511627776\r\n$64\r\n${'x'.repeat(64)}\r\n$16\r\n9007199254740991\r\n`,
    );
  });

  it('writes 0 as "0"', () => {
    expect(encodeMessage({ ...HB, epoch: 0 }).toString('latin1')).toContain('$1\r\n0\r\n');
  });

  const cases: [string, unknown, ProtocolErrorCode, string?][] = [
    ['unknown type', { type: 'NOPE' }, 'unknown-verb', 'encode: unknown message type: "NOPE"'],
    ['lower-case type', { ...HB, type: 'hb' }, 'unknown-verb'],
    ['null', null, 'unknown-verb'],
    ['array', ['HB', 1], 'unknown-verb'],
    ['prototype key as type', { type: 'toString' }, 'unknown-verb'],
    ['negative number', { ...HB, epoch: -1 }, 'bad-number', 'HB epoch: not a non-negative safe integer: "-1"'],
    ['fraction', { ...HB, replOffset: 1.5 }, 'bad-number', 'HB repl_offset: not a non-negative safe integer: "1.5"'],
    ['unsafe integer', { ...HB, epoch: 2 ** 53 }, 'bad-number'],
    ['epoch above MAX_EPOCH', { ...HB, epoch: MAX_EPOCH + 1 }, 'bad-epoch', 'HB epoch: above the largest epoch 1099511627776: "1099511627777"'],
    ['voter_epoch above MAX_EPOCH', { type: 'REFUSE', epoch: 1, voterId: 'n1', voterEpoch: 2 ** 53 - 1, reason: 'stale-epoch' }, 'bad-epoch'],
    ['NaN', { ...HB, epoch: NaN }, 'bad-number'],
    ['numeric string', { ...HB, epoch: '7' }, 'bad-number'],
    ['missing number', { type: 'LEASE', epoch: 1, primaryId: 'n1' }, 'bad-number', 'LEASE seq: not a non-negative safe integer: "undefined"'],
    ['empty id', { ...HB, nodeId: '' }, 'bad-id'],
    ['id with space', { ...HB, nodeId: 'a b' }, 'bad-id', 'HB node_id: not 1-64 bytes of printable ASCII without spaces: "a b"'],
    ['65-byte id', { ...HB, nodeId: 'x'.repeat(65) }, 'bad-id'],
    ['non-ASCII id', { ...HB, nodeId: 'nœud' }, 'bad-id'],
    ['id with CR', { ...HB, nodeId: 'n\r1' }, 'bad-id', 'HB node_id: not 1-64 bytes of printable ASCII without spaces: "n\\x0d1"'],
    ['upper-case role', { ...HB, role: 'PRIMARY' }, 'bad-role'],
    ['unknown role', { ...HB, role: 'leader' }, 'bad-role', 'HB role: not primary, replica or candidate: "leader"'],
    ['upper-case hex', { type: 'PROOF', proof: PROOF.toUpperCase() }, 'bad-hex'],
    ['short hex', { type: 'PEER', version: 1, nodeId: 'n1', nonce: NONCE.slice(1) }, 'bad-hex'],
    ['unknown reason', { type: 'REFUSE', epoch: 1, voterId: 'n', voterEpoch: 1, reason: 'busy' }, 'bad-reason'],
    ['address without port', { type: 'ANNOUNCE', epoch: 1, primaryId: 'n', primaryAddr: 'host' }, 'bad-address'],
    ['address port 0', { type: 'ANNOUNCE', epoch: 1, primaryId: 'n', primaryAddr: 'host:0' }, 'bad-address'],
    ['members not a string', { type: 'CONFIG', nodeId: 'n1', version: 1, configEpoch: 0, members: [] }, 'bad-members', 'CONFIG members: not a string: ""'],
    ['members unsorted', { type: 'CONFIG', nodeId: 'n1', version: 1, configEpoch: 0, members: 'n2,voter,1,-,-;n1,voter,1,-,-' }, 'bad-members'],
    ['members with a bad entry', { type: 'CONFIG', nodeId: 'n1', version: 1, configEpoch: 0, members: 'n1,voter,x,-,-' }, 'bad-members', 'CONFIG members: member n1: priority must be an integer 0-999999999: "n1,voter,x,-,-"'],
    ['CONFVER digest not hex', { type: 'CONFVER', nodeId: 'n1', version: 1, configEpoch: 0, digest: 'abc', dataEpoch: 0 }, 'bad-hex'],
    ['CONFVER data_epoch above MAX_EPOCH', { type: 'CONFVER', nodeId: 'n1', version: 1, configEpoch: 0, digest: NONCE, dataEpoch: MAX_EPOCH + 1 }, 'bad-epoch'],
    ['CONFGET without id', { type: 'CONFGET' }, 'bad-id'],
    ['unbracketed IPv6', { type: 'ANNOUNCE', epoch: 1, primaryId: 'n', primaryAddr: '::1:6379' }, 'bad-address'],
  ];

  it.each(cases)('refuses %s', (_name, msg, code, message) => {
    const err = encodeError(msg);
    expect(err.code).toBe(code);
    if (message !== undefined) expect(err.message).toBe(message);
    expect(err.decoded).toEqual([]);
  });

  it('truncates long values in error messages to 40 characters', () => {
    const err = encodeError({ ...HB, nodeId: 'y'.repeat(100) });
    expect(err.message).toBe(`HB node_id: not 1-64 bytes of printable ASCII without spaces: "${'y'.repeat(37)}..."`);
  });
});
