/**
 * Shared harness of the transport tests on real loopback sockets: transports
 * that close after each test, a raw hand-driven dialer, and waitFor.
 */
import net from 'node:net';
import { MessageDecoder, encodeMessage, type ElectionMessage, type Message } from '../../src/protocol/index.js';
import { computeProof, newNonce } from '../../src/transport/handshake-crypto.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import type { ConnectionFailureInfo, PeerTransportOptions } from '../../src/transport/types.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanups } from '../support/cleanups.js';

export const SECRET = Buffer.from('0123456789abcdef0123456789abcdef', 'ascii');
export const HOST = '127.0.0.1';
export const FAST = { handshakeTimeoutMs: 400, reconnect: { baseMs: 10, maxMs: 100 } };

// ---------------------------------------------------------------------------
// Harness: everything opened is closed after each test, pass or fail.
// ---------------------------------------------------------------------------

export interface Node {
  t: PeerTransport;
  id: string;
  port: number;
  messages: Array<{ from: string; msg: ElectionMessage }>;
  authFailed: ConnectionFailureInfo[];
  protocolErrors: ConnectionFailureInfo[];
  ups: string[];
  downs: Array<{ id: string; reason: string }>;
}

export function makeNode(id: string, ports: Record<string, number>, extra: Partial<PeerTransportOptions> = {}): Node {
  const peers = Object.entries(ports)
    .filter(([pid]) => pid !== id)
    .map(([pid, port]) => ({ id: pid, host: HOST, port }));
  const t = new PeerTransport({ nodeId: id, listen: { host: HOST, port: ports[id]! }, peers, secret: SECRET, ...FAST, ...extra });
  const node: Node = { t, id, port: ports[id]!, messages: [], authFailed: [], protocolErrors: [], ups: [], downs: [] };
  t.on('message', (from, msg) => node.messages.push({ from, msg }));
  t.on('auth-failed', (info) => node.authFailed.push(info));
  t.on('protocol-error', (info) => node.protocolErrors.push(info));
  t.on('peer-up', (pid) => node.ups.push(pid));
  t.on('peer-down', (pid, reason) => node.downs.push({ id: pid, reason }));
  cleanups.push(() => t.stop());
  return node;
}

/**
 * Starts one transport per id, all configured with each other. `ghosts` are
 * configured members that never run: hand-made raw dialers use their ids, so
 * a genuine peer's reconnect never displaces the raw connection.
 */
export async function mesh(ids: string[], extra: (id: string) => Partial<PeerTransportOptions> = () => ({}), ghosts: string[] = []) {
  const ports: Record<string, number> = {};
  for (const id of [...ids, ...ghosts]) ports[id] = await freePort();
  const nodes = ids.map((id) => makeNode(id, ports, extra(id)));
  await Promise.all(nodes.map((n) => n.t.start()));
  return { ports, nodes };
}

export async function fullyConnected(nodes: Node[]): Promise<void> {
  await waitFor(() => nodes.every((n) => nodes.every((m) => m === n || n.t.isConnected(m.id))), 'mesh connected');
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function hb(epoch: number, nodeId = 'n1'): ElectionMessage {
  return { type: 'HB', epoch, nodeId, role: 'replica', replOffset: 12345 };
}

/** A raw TCP client with a decoder, for speaking (or mangling) the protocol by hand. */
export class Raw {
  readonly socket: net.Socket;
  readonly sent: Buffer[] = [];
  readonly inbox: Message[] = [];
  readonly received: Buffer[] = [];
  closed = false;
  private readonly decoder = new MessageDecoder();

  constructor(port: number) {
    this.socket = net.connect(port, HOST);
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('data', (chunk) => {
      this.received.push(chunk);
      try {
        this.inbox.push(...this.decoder.push(chunk));
      } catch {
        // tests that care look at `received`
      }
    });
    cleanups.push(() => {
      this.socket.destroy();
    });
  }

  async connected(): Promise<this> {
    if (!this.socket.connecting) return this;
    await new Promise<void>((r) => this.socket.once('connect', () => r()));
    return this;
  }

  write(bytes: Buffer | string): void {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    this.sent.push(b);
    this.socket.write(b);
  }

  send(msg: Message): void {
    this.write(encodeMessage(msg));
  }

  async next(): Promise<Message> {
    await waitFor(() => this.inbox.length > 0 || this.closed, 'a frame from the transport', 3000);
    const m = this.inbox.shift();
    if (m === undefined) throw new Error('connection closed');
    return m;
  }

  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, 'the transport to close the raw connection', 3000);
  }
}

/** Runs the dialer side of the handshake by hand as `id` against the listener `listenerId`. */
export async function rawHandshake(port: number, id: string, listenerId: string, secret = SECRET, version = 1): Promise<Raw> {
  const raw = await new Raw(port).connected();
  const dialerNonce = newNonce();
  raw.send({ type: 'PEER', version, nodeId: id, nonce: dialerNonce });
  const ch = await raw.next();
  if (ch.type !== 'CHALLENGE') throw new Error(`expected CHALLENGE, got ${ch.type}`);
  const input = { dialerId: id, listenerId, dialerNonce, listenerNonce: ch.nonce };
  raw.send({ type: 'PROOF', proof: computeProof(secret, 'dialer', input) });
  return raw;
}

