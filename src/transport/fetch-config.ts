/**
 * The client side of the join exchange (protocol.md §4.10): a node that is
 * not a member yet asks a member's listener for the current configuration.
 * One connection: `PEER 2 <id> <nonce>`, check the CHALLENGE proof, `PROOF`
 * and `CONFGET <id>` in one write, read exactly one CONFIG, close.
 *
 * The listener's id is not known in advance (that is what the joiner is
 * asking about); its proof still shows it holds the secret, and the proof
 * covers the id it claims, so the CONFIG comes from a holder of the secret.
 */
import net, { type Socket } from 'node:net';
import type tls from 'node:tls';
import { tlsModule } from '../util/lazy-builtin.js';
import { MessageDecoder, ProtocolError, encodeMessage, isValidNodeId } from '../protocol/index.js';
import type { ConfigMessage, Message } from '../protocol/messages.js';
import { computeProof, isHex32, newNonce, verifyProof } from './handshake-crypto.js';
import { errorText } from './socket-util.js';
import type { TransportTlsOptions } from './types.js';

export interface FetchConfigOptions {
  /** The joining node's id (not a member of the listener's configuration). */
  nodeId: string;
  /** The replica set's shared secret. */
  secret: Buffer;
  tls?: TransportTlsOptions;
  /** Deadline for the whole exchange, connect included. */
  timeoutMs: number;
  /** Largest frame accepted; default 64 KiB (the largest CONFIG is about 40 KB). */
  maxFrameBytes?: number;
}

/** Asks the member listening at addr for its configuration. Rejects with an Error saying what went wrong. */
export function fetchConfig(addr: { host: string; port: number }, opts: FetchConfigOptions): Promise<ConfigMessage> {
  if (!isValidNodeId(opts.nodeId)) return Promise.reject(new TypeError(`fetchConfig: invalid nodeId ${JSON.stringify(opts.nodeId)}`));
  if (!Buffer.isBuffer(opts.secret) || opts.secret.length === 0) return Promise.reject(new TypeError('fetchConfig: secret must be a non-empty Buffer'));
  if (!(Number.isInteger(opts.timeoutMs) && opts.timeoutMs > 0)) return Promise.reject(new TypeError('fetchConfig: timeoutMs must be a positive integer'));
  const where = addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
  return new Promise<ConfigMessage>((resolve, reject) => {
    const nonce = newNonce();
    const decoder = new MessageDecoder({ maxFrameBytes: opts.maxFrameBytes ?? 64 * 1024 });
    let stage: 'connecting' | 'await-challenge' | 'await-config' | 'done' = 'connecting';
    let socketError: unknown;
    let socket: Socket;

    const settle = (err: Error | undefined, config?: ConfigMessage) => {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(config!);
    };
    const fail = (what: string) => settle(new Error(`fetchConfig from ${where}: ${what}`));

    const t = opts.tls;
    if (t !== undefined) {
      const o: tls.ConnectionOptions = { host: addr.host, port: addr.port, cert: t.cert, key: t.key, ca: t.ca, rejectUnauthorized: true };
      if (!net.isIP(addr.host)) o.servername = addr.host;
      if (t.verifyHostname === false) o.checkServerIdentity = () => undefined;
      socket = tlsModule().connect(o);
      socket.once('secureConnect', () => connected());
    } else {
      socket = net.connect({ host: addr.host, port: addr.port });
      socket.once('connect', () => connected());
    }
    const timer = setTimeout(() => fail(`timeout: no configuration within ${opts.timeoutMs} ms (stage: ${stage})`), opts.timeoutMs);
    socket.on('error', (err) => {
      socketError = err;
    });
    socket.on('close', () => {
      const why = socketError !== undefined ? errorText(socketError) : 'connection closed';
      if (stage === 'connecting') fail(`could not connect: ${why}`);
      else if (stage === 'await-challenge')
        fail(`refused: ${why} before CHALLENGE (the listener serves no configuration to non-members, does not speak handshake version 2, or knows ${opts.nodeId} as a member)`);
      else fail(`refused: ${why} before CONFIG (the listener has no configuration to give, or refused the request)`);
    });
    socket.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try {
        messages = decoder.push(chunk);
      } catch (err) {
        if (err instanceof ProtocolError) fail(`malformed answer: ${err.code}: ${err.message}`);
        else fail(`internal error: ${errorText(err)}`);
        return;
      }
      for (const msg of messages) {
        handle(msg);
        if (stage === 'done') return;
      }
    });

    function connected(): void {
      if (stage !== 'connecting') return;
      stage = 'await-challenge';
      socket.write(encodeMessage({ type: 'PEER', version: 2, nodeId: opts.nodeId, nonce }));
    }

    function handle(msg: Message): void {
      if (stage === 'await-challenge') {
        if (msg.type !== 'CHALLENGE') return fail(`malformed answer: expected CHALLENGE, got ${msg.type}`);
        if (!isHex32(msg.nonce)) return fail('malformed answer: CHALLENGE nonce is not 64 lowercase hex digits');
        const input = { dialerId: opts.nodeId, listenerId: msg.nodeId, dialerNonce: nonce, listenerNonce: msg.nonce };
        if (!verifyProof(opts.secret, 'listener', input, msg.proof)) {
          return fail(`bad proof: the listener (claiming ${msg.nodeId}) does not hold this secret`);
        }
        stage = 'await-config';
        socket.write(
          Buffer.concat([
            encodeMessage({ type: 'PROOF', proof: computeProof(opts.secret, 'dialer', input) }),
            encodeMessage({ type: 'CONFGET', nodeId: opts.nodeId }),
          ]),
        );
        return;
      }
      if (stage === 'await-config') {
        if (msg.type !== 'CONFIG') return fail(`malformed answer: expected CONFIG, got ${msg.type}`);
        settle(undefined, msg);
      }
    }
  });
}
