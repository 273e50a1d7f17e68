// Unit tests for the small pieces of the transport: handshake crypto (pinned by
// the test vector published in protocol.md §4), first-frame sniffing, back-off
// and the bounded send queue.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/transport/backoff.js';
import { computeProof, newNonce, proofMessage, verifyProof } from '../../src/transport/handshake-crypto.js';
import { SendQueue } from '../../src/transport/send-queue.js';
import { MAX_SNIFF_BYTES, sniffFirstFrame } from '../../src/transport/sniff.js';
import { encodeMessage } from '../../src/protocol/index.js';

const VECTOR = {
  secret: Buffer.from('correct horse battery staple', 'ascii'),
  input: {
    dialerId: 'n2',
    listenerId: 'n1',
    dialerNonce: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
    listenerNonce: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100',
  },
  listenerProof: '52f0aa6d911b807456dc4c08f783a4ba98dd61d046d2084019094874e4ebd571',
  dialerProof: 'f0553660a63221aafa26580687740c316ff3089f4f4f5724881c0f48343a7f2f',
};

describe('handshake crypto', () => {
  it('matches the protocol.md test vector byte for byte', () => {
    const msg = proofMessage('listener', VECTOR.input);
    expect(msg.toString('hex')).toBe(
      Buffer.from('resp-elect/1 listener\0n2\0n1\0', 'latin1').toString('hex') +
        VECTOR.input.dialerNonce +
        VECTOR.input.listenerNonce,
    );
    expect(computeProof(VECTOR.secret, 'listener', VECTOR.input)).toBe(VECTOR.listenerProof);
    expect(computeProof(VECTOR.secret, 'dialer', VECTOR.input)).toBe(VECTOR.dialerProof);
  });

  it('verifies only the right proof, role, secret and nonces', () => {
    const { secret, input } = VECTOR;
    expect(verifyProof(secret, 'listener', input, VECTOR.listenerProof)).toBe(true);
    expect(verifyProof(secret, 'dialer', input, VECTOR.dialerProof)).toBe(true);
    // A listener proof is not a dialer proof (no reflection).
    expect(verifyProof(secret, 'dialer', input, VECTOR.listenerProof)).toBe(false);
    expect(verifyProof(Buffer.from('other'), 'listener', input, VECTOR.listenerProof)).toBe(false);
    expect(verifyProof(secret, 'listener', { ...input, listenerNonce: newNonce() }, VECTOR.listenerProof)).toBe(false);
    expect(verifyProof(secret, 'listener', { ...input, dialerId: 'n3' }, VECTOR.listenerProof)).toBe(false);
    // Malformed proofs are just wrong, never an exception.
    expect(verifyProof(secret, 'listener', input, VECTOR.listenerProof.toUpperCase())).toBe(false);
    expect(verifyProof(secret, 'listener', input, 'abc')).toBe(false);
    expect(verifyProof(secret, 'listener', input, '')).toBe(false);
  });

  it('draws fresh 32-byte nonces', () => {
    const a = newNonce();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newNonce()).not.toBe(a);
  });
});

describe('sniffFirstFrame', () => {
  const peerFrame = encodeMessage({ type: 'PEER', version: 1, nodeId: 'n2', nonce: newNonce() });

  it('recognises PEER at every split point, and needs at most MAX_SNIFF_BYTES', () => {
    for (let i = 0; i <= peerFrame.length; i++) {
      const r = sniffFirstFrame(peerFrame.subarray(0, i));
      expect(r).toBe(i >= 12 ? 'peer' : 'need-more');
    }
    expect(sniffFirstFrame(Buffer.from('*4\r\n$4\r\npeer\r\n'))).toBe('peer');
    expect(sniffFirstFrame(Buffer.from('*1234567890\r\n$4\r\nPEER'))).toBe('peer');
    expect(Buffer.from('*1234567890\r\n$4\r\nPEER').length).toBe(MAX_SNIFF_BYTES);
  });

  it('hands everything else to the client side as soon as it departs from PEER', () => {
    for (const s of [
      '*1\r\n$4\r\nPING\r\n',
      '*3\r\n$2000000000\r\n',
      '*2\r\n$5\r\nHELLO',
      'PING\r\n',
      '\x00\xffgarbage',
      '*x',
      '*\r\n',
      '*12345678901\r\n',
      '*1\n',
      '*4\r\n$04\r\nPEER',
    ]) {
      expect(sniffFirstFrame(Buffer.from(s, 'latin1')), JSON.stringify(s)).toBe('client');
    }
    expect(sniffFirstFrame(Buffer.alloc(0))).toBe('need-more');
    expect(sniffFirstFrame(Buffer.from('*1\r\n$4\r\nPE'))).toBe('need-more');
  });
});

describe('Backoff', () => {
  it('doubles from base to the cap with jitter in [step/2, step)', () => {
    const b = new Backoff({ baseMs: 50, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.next())).toEqual([25, 50, 100, 200, 400, 500, 500]);
    b.reset();
    expect(b.next()).toBe(25);
    const hi = new Backoff({ baseMs: 50, maxMs: 1000, random: () => 0.999999 });
    const seq = Array.from({ length: 8 }, () => hi.next());
    expect(seq.at(-1)).toBe(1000);
    expect(Math.max(...seq)).toBeLessThanOrEqual(1000);
    expect(new Backoff({ random: () => NaN }).next()).toBeGreaterThan(0);
  });
});

describe('SendQueue', () => {
  it('drops the oldest frames beyond its limit', () => {
    const q = new SendQueue(3);
    let dropped = 0;
    for (let i = 0; i < 10; i++) dropped += q.push(Buffer.from([i]));
    expect(q.length).toBe(3);
    expect(dropped).toBe(7);
    expect([q.shift()![0], q.shift()![0], q.shift()![0]]).toEqual([7, 8, 9]);
    expect(q.shift()).toBeUndefined();
    for (let i = 0; i < 1000; i++) q.push(Buffer.from([i & 0xff]));
    expect(q.clear()).toBe(3);
    expect(q.length).toBe(0);
  });
});
