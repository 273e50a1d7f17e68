/**
 * One example per verb with its byte-exact frame. protocol.md sections 2-3
 * show these same frames; frames.test.ts checks the codec against them and
 * checks that protocol.md still contains each one verbatim.
 */
import type { Message } from '../../src/index.js';

export const NONCE = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
export const PROOF = '8f2b7c41d0e6a95f3b18c2d47e90a6b5c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8';

/** Three members (two voters and a witness) in canonical form; DIGEST is its sha256. */
export const MEMBERS = 'n1,voter,1,10.0.0.1:7000,10.0.0.1:6379;n2,voter,1,10.0.0.2:7000,10.0.0.2:6379;n3,witness,0,10.0.0.3:7000,-';
export const DIGEST = '528f20689af990d8a7a804e2a391f46bfbe2a7081572795362ae09df78572396';

export interface Example {
  message: Message;
  /** The frame as bytes (a latin1 string with real CR and LF). */
  frame: string;
}

export const EXAMPLES: readonly Example[] = [
  {
    message: { type: 'HB', epoch: 7, nodeId: 'n1', role: 'primary', replOffset: 1234 },
    frame: '*5\r\n$2\r\nHB\r\n$1\r\n7\r\n$2\r\nn1\r\n$7\r\nprimary\r\n$4\r\n1234\r\n',
  },
  {
    message: { type: 'OFFER', epoch: 8, candidateId: 'n2', replOffset: 1234 },
    frame: '*4\r\n$5\r\nOFFER\r\n$1\r\n8\r\n$2\r\nn2\r\n$4\r\n1234\r\n',
  },
  {
    message: { type: 'ACCEPT', epoch: 8, accepterId: 'n3' },
    frame: '*3\r\n$6\r\nACCEPT\r\n$1\r\n8\r\n$2\r\nn3\r\n',
  },
  {
    message: { type: 'ANNOUNCE', epoch: 8, primaryId: 'n2', primaryAddr: '10.0.0.2:6379' },
    frame: '*4\r\n$8\r\nANNOUNCE\r\n$1\r\n8\r\n$2\r\nn2\r\n$13\r\n10.0.0.2:6379\r\n',
  },
  {
    message: { type: 'ANNOUNCE', epoch: 8, primaryId: 'n2', primaryAddr: '[::1]:6380' },
    frame: '*4\r\n$8\r\nANNOUNCE\r\n$1\r\n8\r\n$2\r\nn2\r\n$10\r\n[::1]:6380\r\n',
  },
  {
    message: { type: 'PREVOTE', epoch: 8, candidateId: 'n2', replOffset: 1234, dataEpoch: 7 },
    frame: '*5\r\n$7\r\nPREVOTE\r\n$1\r\n8\r\n$2\r\nn2\r\n$4\r\n1234\r\n$1\r\n7\r\n',
  },
  {
    message: { type: 'PREACCEPT', epoch: 8, voterId: 'n3' },
    frame: '*3\r\n$9\r\nPREACCEPT\r\n$1\r\n8\r\n$2\r\nn3\r\n',
  },
  {
    message: { type: 'REFUSE', epoch: 8, voterId: 'n3', voterEpoch: 7, reason: 'primary-alive' },
    frame: '*5\r\n$6\r\nREFUSE\r\n$1\r\n8\r\n$2\r\nn3\r\n$1\r\n7\r\n$13\r\nprimary-alive\r\n',
  },
  {
    message: { type: 'LEASE', epoch: 7, primaryId: 'n1', seq: 42 },
    frame: '*4\r\n$5\r\nLEASE\r\n$1\r\n7\r\n$2\r\nn1\r\n$2\r\n42\r\n',
  },
  {
    message: { type: 'LEASEACK', epoch: 7, voterId: 'n2', seq: 42 },
    frame: '*4\r\n$8\r\nLEASEACK\r\n$1\r\n7\r\n$2\r\nn2\r\n$2\r\n42\r\n',
  },
  {
    message: { type: 'HANDOFF', epoch: 7, targetId: 'n2', primaryOffset: 5000 },
    frame: '*4\r\n$7\r\nHANDOFF\r\n$1\r\n7\r\n$2\r\nn2\r\n$4\r\n5000\r\n',
  },
  {
    message: { type: 'REFUSE', epoch: 8, voterId: 'n3', voterEpoch: 7, reason: 'stale-config' },
    frame: '*5\r\n$6\r\nREFUSE\r\n$1\r\n8\r\n$2\r\nn3\r\n$1\r\n7\r\n$12\r\nstale-config\r\n',
  },
  {
    message: { type: 'CONFVER', nodeId: 'n2', version: 3, configEpoch: 7, digest: DIGEST, dataEpoch: 7 },
    frame: `*6\r\n$7\r\nCONFVER\r\n$2\r\nn2\r\n$1\r\n3\r\n$1\r\n7\r\n$64\r\n${DIGEST}\r\n$1\r\n7\r\n`,
  },
  {
    message: { type: 'CONFIG', nodeId: 'n1', version: 3, configEpoch: 7, members: MEMBERS },
    frame: `*5\r\n$6\r\nCONFIG\r\n$2\r\nn1\r\n$1\r\n3\r\n$1\r\n7\r\n$106\r\n${MEMBERS}\r\n`,
  },
  {
    message: { type: 'CONFGET', nodeId: 'n4' },
    frame: '*2\r\n$7\r\nCONFGET\r\n$2\r\nn4\r\n',
  },
  {
    message: { type: 'PEER', version: 2, nodeId: 'n4', nonce: NONCE },
    frame: `*4\r\n$4\r\nPEER\r\n$1\r\n2\r\n$2\r\nn4\r\n$64\r\n${NONCE}\r\n`,
  },
  {
    message: { type: 'PEER', version: 1, nodeId: 'n1', nonce: NONCE },
    frame: `*4\r\n$4\r\nPEER\r\n$1\r\n1\r\n$2\r\nn1\r\n$64\r\n${NONCE}\r\n`,
  },
  {
    message: { type: 'CHALLENGE', nodeId: 'n2', nonce: NONCE, proof: PROOF },
    frame: `*4\r\n$9\r\nCHALLENGE\r\n$2\r\nn2\r\n$64\r\n${NONCE}\r\n$64\r\n${PROOF}\r\n`,
  },
  {
    message: { type: 'PROOF', proof: PROOF },
    frame: `*2\r\n$5\r\nPROOF\r\n$64\r\n${PROOF}\r\n`,
  },
];

/** All example frames back to back, as one buffer. */
export function allExampleBytes(): Buffer {
  return Buffer.from(EXAMPLES.map((e) => e.frame).join(''), 'latin1');
}

/** Builds a RESP2 array of bulk strings from parts, without any validation. */
export function rawFrame(...parts: (string | Buffer)[]): Buffer {
  const pieces: Buffer[] = [Buffer.from(`*${parts.length}\r\n`, 'latin1')];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    pieces.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(pieces);
}

/** Writes CR and LF as the two-character escapes used in protocol.md. */
export function escapeFrame(frame: string): string {
  return frame.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}
