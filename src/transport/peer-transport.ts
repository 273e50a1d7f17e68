/**
 * PeerTransport: authenticated, message-level links between the sidecars of
 * one replica set, over raw TCP (or TLS) with RESP2 frames.
 *
 * Directions (protocol.md §4): every node dials every peer and SENDS only on
 * the connection it dialed; it RECEIVES only on connections it accepted. A
 * pair of nodes thus holds two connections, one per direction, and a
 * received message is attributed to the id the dialer proved in the
 * handshake, never to an id written inside the frame.
 *
 * The listening port is shared with Redis/Sentinel clients: a connection
 * whose first frame is not `PEER` is handed to onClientConnection.
 *
 * Nothing here blocks the event loop or lets an exception escape a socket,
 * timer or listener callback; a misbehaving connection costs that connection
 * only.
 *
 * Membership is dynamic (protocol.md §5.12): setPeers() replaces the set of
 * peers dialed, setAcceptIds() the set of dialer ids accepted as members.
 */
import { EventEmitter } from 'node:events';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import type tls from 'node:tls';
import { tlsModule } from '../util/lazy-builtin.js';
import { encodeMessage, isValidNodeId } from '../protocol/index.js';
import type { ElectionMessage } from '../protocol/messages.js';
import { HANDSHAKE_VERSION, type HandshakeVersion } from './handshake-crypto.js';
import { InboundConnection, type InboundHost } from './inbound-connection.js';
import { OutboundLink, type OutboundHost } from './outbound-link.js';
import { describeRemote, errorText } from './socket-util.js';
import type {
  ConnectionFailureInfo,
  ConnectionRefusedInfo,
  PeerAddress,
  RefusalReason,
  PeerStats,
  PeerTransportEvents,
  PeerTransportOptions,
} from './types.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 2000;
export const DEFAULT_QUEUE_LIMIT = 256;
/** Election frames are well under 200 bytes; anything near this limit is hostile or broken. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024;
export const DEFAULT_WRITE_BUFFER_HIGH_WATER = 64 * 1024;
export const DEFAULT_MAX_PENDING_CONNECTIONS = 128;
/** The decoder's own lower bound (room for the largest legitimate frame) and upper bound. */
const MIN_FRAME_BYTES = 1024;
const MAX_FRAME_BYTES_LIMIT = 512 * 1024 * 1024;

const HANDSHAKE_TYPES: ReadonlySet<string> = new Set(['PEER', 'CHALLENGE', 'PROOF', 'CONFGET']);

/** Frames a version-1 peer does not understand (it would close the connection on them). */
function needsConfigVersion(msg: ElectionMessage): boolean {
  return msg.type === 'CONFVER' || msg.type === 'CONFIG' || (msg.type === 'REFUSE' && msg.reason === 'stale-config');
}

export class PeerTransport extends EventEmitter<PeerTransportEvents> {
  private readonly opts: PeerTransportOptions;
  private readonly links = new Map<string, OutboundLink>();
  /** Authenticated inbound connection per peer: at most one, the newest wins. */
  private readonly inbound = new Map<string, InboundConnection>();
  /** Every inbound connection not yet closed or handed off, to close them on stop(). */
  private readonly live = new Set<InboundConnection>();
  private readonly received = new Map<string, number>();
  private readonly refusals: Record<RefusalReason, number> = { 'pending-evicted': 0, 'max-connections': 0, 'accept-error': 0 };
  private server: Server | undefined;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  /** Dialer ids accepted as members; undefined means "the peers' ids". */
  private acceptIds: ReadonlySet<string> | undefined;
  private readonly linkHost: OutboundHost;

  constructor(opts: PeerTransportOptions) {
    super();
    validate(opts);
    this.opts = opts;
    this.linkHost = this.outboundHost();
    for (const p of opts.peers) {
      this.links.set(p.id, new OutboundLink(this.linkHost, p));
      this.received.set(p.id, 0);
    }
  }

  /**
   * Replaces the peers this node dials: dials new ids, stops the dialers of
   * ids no longer listed (emitting peer-down if they were up), and redials
   * an id whose address changed. Inbound connections of ids no longer
   * accepted (see setAcceptIds) are closed. Throws TypeError for a bad list,
   * changing nothing. The promise resolves once removed dialers' sockets have
   * closed; nothing needs to wait for it.
   */
  setPeers(peers: PeerAddress[]): Promise<void> {
    validatePeers(this.opts.nodeId, peers);
    const closing: Promise<void>[] = [];
    const wanted = new Map(peers.map((p) => [p.id, p]));
    for (const [id, link] of [...this.links]) {
      const p = wanted.get(id);
      if (p !== undefined && p.host === link.peer.host && p.port === link.peer.port) continue;
      this.links.delete(id);
      closing.push(link.stop(p === undefined ? 'removed from the members' : `address changed to ${p.host}:${p.port}`));
      if (p === undefined) this.received.delete(id);
    }
    for (const p of peers) {
      if (this.links.has(p.id)) continue;
      const link = new OutboundLink(this.linkHost, { id: p.id, host: p.host, port: p.port });
      this.links.set(p.id, link);
      if (!this.received.has(p.id)) this.received.set(p.id, 0);
      if (this.state === 'running') link.start();
    }
    this.closeUnaccepted();
    return Promise.all(closing).then(() => undefined);
  }

  /**
   * Sets which dialer ids the listener accepts as members; default (or
   * undefined): exactly the peers' ids. It may be wider than the peers: a
   * node removed from the configuration keeps accepting the members of the
   * last configuration that named it, so it still hears the primary that
   * removed it. Open inbound connections of ids no longer accepted close.
   */
  setAcceptIds(ids: Iterable<string> | undefined): void {
    if (ids === undefined) {
      this.acceptIds = undefined;
    } else {
      const set = new Set<string>();
      for (const id of ids) {
        if (!isValidNodeId(id)) throw new TypeError(`PeerTransport.setAcceptIds: invalid node id ${JSON.stringify(id)}`);
        if (id !== this.opts.nodeId) set.add(id);
      }
      this.acceptIds = set;
    }
    this.closeUnaccepted();
  }

  /** Our link to id runs at an older version than id's own connection to us: redial it at the newest (§4.11). */
  private upgradeLinkIfNewer(id: string): void {
    const conn = this.inbound.get(id);
    const link = this.links.get(id);
    if (conn?.isOpen && conn.version !== undefined && link?.isOpen && link.handshakeVersion < conn.version) {
      link.redialAtNewest(`${id} speaks handshake version ${conn.version} on its own connection: redialing at it`);
    }
  }

  private isAccepted(id: string): boolean {
    if (id === this.opts.nodeId) return false;
    return this.acceptIds !== undefined ? this.acceptIds.has(id) : this.links.has(id);
  }

  /** Closes inbound connections (authenticated or under way) of ids that are no longer accepted members. */
  private closeUnaccepted(): void {
    for (const conn of [...this.live]) {
      const id = conn.peerId ?? (conn.isGuestConnection ? undefined : conn.claimed);
      if (id !== undefined && !this.isAccepted(id)) conn.close('no longer a member');
    }
  }

  /** Binds the listener, then starts dialing every peer. Rejects if the port cannot be bound. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`PeerTransport.start(): already ${this.state}; create a new transport to start again`);
    this.state = 'starting';
    const server = this.createServer();
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(this.opts.listen.port, this.opts.listen.host);
    }).catch((err) => {
      this.state = 'stopped';
      this.server = undefined;
      throw err;
    });
    // Accept errors after bind (EMFILE...) are transient: the server keeps listening, but they
    // mean the process is out of descriptors, which must be said, not swallowed.
    server.on('error', (err) => this.refused('accept-error', `accept failed: ${errorText(err)}`));
    server.on('drop', (data) => {
      const remote = data?.remoteAddress !== undefined ? `${data.remoteAddress}:${data.remotePort ?? 0}` : undefined;
      this.refused('max-connections', `connection closed at accept: ${server.maxConnections} connections open (the limit)`, remote);
    });
    if (this.opts.maxConnections !== undefined) server.maxConnections = this.opts.maxConnections;
    if ((this.state as string) === 'stopped') {
      // stop() ran while we were binding: its close() came too early to take effect.
      server.close(() => {});
      return;
    }
    this.state = 'running';
    for (const link of this.links.values()) link.start();
  }

  /** The bound address; tells the port when listen.port was 0. */
  address(): { host: string; port: number } {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (a == null || typeof a === 'string') throw new Error('PeerTransport.address(): not listening');
    return { host: a.address, port: a.port };
  }

  /**
   * Sends msg to one peer. Never blocks; never throws for a down or unknown
   * peer: returns false when the message was dropped. Throws (a ProtocolError
   * from the codec) only for a message that cannot be encoded, which is a
   * bug in the caller, and a TypeError for a handshake verb.
   */
  send(peerId: string, msg: ElectionMessage): boolean {
    const frame = this.encode(msg);
    // A link that is not open (before start, during an outage, after stop) drops and counts the frame.
    return this.links.get(peerId)?.send(frame, needsConfigVersion(msg)) ?? false;
  }

  /** Sends msg to every peer; returns how many peers it was written or queued for. */
  broadcast(msg: ElectionMessage): number {
    const frame = this.encode(msg);
    const needs = needsConfigVersion(msg);
    let n = 0;
    for (const link of this.links.values()) if (link.send(frame, needs)) n++;
    return n;
  }

  /**
   * Run `fn` (its send() and broadcast() calls) with every peer socket corked, so what it sends to
   * one peer leaves in one write: the primary's HB and LEASE of a tick were two syscalls per peer,
   * and woke each peer twice when they arrived apart.
   */
  batch(fn: () => void): void {
    const release = this.hold();
    try {
      fn();
    } finally {
      release();
    }
  }

  /**
   * Cork every peer socket open now until the returned function is called: batch() for sends
   * spread over one turn of the event loop (an input's reply and the tick after it). A socket that
   * replaces one of them meanwhile was never corked and writes at once.
   */
  hold(): () => void {
    const sockets = [...this.links.values()].map((link) => link.cork());
    return () => {
      for (const s of sockets) s?.uncork();
    };
  }

  /** True while the connection we send to id on is authenticated and open. */
  isConnected(id: string): boolean {
    return this.links.get(id)?.isOpen ?? false;
  }

  /** Connections refused or closed to protect the process, by reason, since start. */
  refusalCounts(): Record<RefusalReason, number> {
    return { ...this.refusals };
  }

  /** Accepted connections not identified or authenticated yet. */
  get pendingConnections(): number {
    let n = 0;
    for (const c of this.live) if (c.isPending) n++;
    return n;
  }

  /** Per-peer counters and state, keyed by peer id. */
  stats(): Record<string, PeerStats> {
    const out: Record<string, PeerStats> = {};
    for (const [id, link] of this.links) {
      const conn = this.inbound.get(id);
      out[id] = {
        ...link.stats(),
        inboundConnected: conn?.isOpen ?? false,
        received: this.received.get(id) ?? 0,
      };
      if (conn?.isOpen && conn.version !== undefined) out[id].inboundVersion = conn.version;
    }
    return out;
  }

  /**
   * Closes the listener and every peer connection, and stops redialing.
   * Emits peer-down for peers that were up. Sockets already handed to
   * onClientConnection belong to the client handler and are left alone.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const server = this.server;
    // Closing the listening handle frees the port at once; the close callback
    // would also wait for handed-off client sockets, so it is not awaited.
    server?.close(() => {});
    const closing: Promise<void>[] = [];
    for (const link of this.links.values()) closing.push(link.stop());
    for (const conn of [...this.live]) conn.close('transport stopped');
    await Promise.all(closing);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  // -------------------------------------------------------------------------

  private encode(msg: ElectionMessage): Buffer {
    const type = (msg as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && HANDSHAKE_TYPES.has(type)) {
      throw new TypeError(`PeerTransport: ${type} is a handshake verb; the transport sends it itself`);
    }
    return encodeMessage(msg);
  }

  private createServer(): Server {
    const t = this.opts.tls;
    const onSocket = (socket: Socket) => this.accept(socket);
    if (t === undefined) {
      return net.createServer(onSocket);
    }
    const server = tlsModule().createServer(
      {
        cert: t.cert,
        key: t.key,
        ca: t.ca,
        requestCert: true,
        rejectUnauthorized: true,
        handshakeTimeout: this.handshakeTimeoutMs,
      },
      onSocket,
    );
    server.on('tlsClientError', (err, socket) => {
      socket.on('error', () => {});
      // After a reset the TLS socket has lost its address; the wrapped TCP socket (_parent, a
      // long-standing Node internal) still knows it. Best effort: only used in the report.
      const parent = (socket as { _parent?: unknown })._parent;
      const remote =
        socket.remoteAddress === undefined && parent instanceof net.Socket ? describeRemote(parent) : describeRemote(socket);
      this.fire('auth-failed', {
        direction: 'inbound',
        remote,
        code: 'tls',
        reason: `auth-failed: TLS handshake failed: ${errorText(err)} from ${remote}`,
      });
    });
    return server;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {});
    if (this.state === 'stopped') {
      socket.destroy();
      return;
    }
    this.makeRoomForPending();
    try {
      this.live.add(new InboundConnection(this.inboundHost(), socket));
    } catch (err) {
      socket.destroy();
      this.fire('protocol-error', {
        direction: 'inbound',
        remote: describeRemote(socket),
        code: 'internal',
        reason: `protocol-error: internal error accepting a connection: ${errorText(err)}`,
      });
    }
  }

  /** At maxPendingConnections, close the oldest pending connection (Set order is accept order). */
  private makeRoomForPending(): void {
    const max = this.opts.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS;
    let pending = 0;
    let oldest: InboundConnection | undefined;
    for (const c of this.live) {
      if (!c.isPending) continue;
      oldest ??= c;
      pending++;
    }
    if (pending < max || oldest === undefined) return;
    oldest.close('evicted: too many connections being identified');
    this.refused('pending-evicted', `closed the oldest unidentified connection: ${max} connections were being identified (the limit)`, oldest.remote);
  }

  private refused(reason: RefusalReason, detail: string, remote?: string): void {
    this.refusals[reason] += 1;
    const info: ConnectionRefusedInfo = { reason, detail };
    if (remote !== undefined) info.remote = remote;
    this.fire('connection-refused', info);
  }

  private get maxVersion(): HandshakeVersion {
    return this.opts.maxHandshakeVersion ?? (HANDSHAKE_VERSION as HandshakeVersion);
  }

  private get handshakeTimeoutMs(): number {
    return this.opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  }

  private inboundHost(): InboundHost {
    const self = this;
    return {
      nodeId: this.opts.nodeId,
      secret: this.opts.secret,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      maxFrameBytes: this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxVersion: this.maxVersion,
      isPeer: (id) => self.isAccepted(id),
      servesConfig: this.opts.configProvider !== undefined,
      currentConfig: () => self.opts.configProvider?.(),
      configServed: (nodeId, remote, config) => self.fire('config-served', nodeId, remote, config),
      handOffClient: (socket, bytes, remote) => self.handOffClient(socket, bytes, remote),
      authenticated: (conn) => {
        const id = conn.peerId!;
        const old = self.inbound.get(id);
        self.inbound.set(id, conn);
        // Only a connection that proved the same id can displace one: a bare PEER claim cannot.
        if (old !== undefined && old !== conn) old.close('replaced by a newer authenticated connection');
        self.upgradeLinkIfNewer(id);
      },
      message: (conn, msg) => {
        const id = conn.peerId!;
        self.received.set(id, (self.received.get(id) ?? 0) + 1);
        self.fire('message', id, msg);
      },
      closed: (conn) => {
        if (conn.peerId !== undefined && self.inbound.get(conn.peerId) === conn) self.inbound.delete(conn.peerId);
      },
      released: (conn) => {
        self.live.delete(conn);
      },
      authFailed: (info) => self.fire('auth-failed', info),
      protocolError: (info) => self.fire('protocol-error', info),
    };
  }

  private outboundHost(): OutboundHost {
    const self = this;
    const o = this.opts;
    const reconnect: OutboundHost['reconnect'] = { ...o.reconnect };
    if (o.random !== undefined) reconnect.random = o.random;
    return {
      nodeId: o.nodeId,
      secret: o.secret,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      queueLimit: o.queueLimit ?? DEFAULT_QUEUE_LIMIT,
      writeBufferHighWater: o.writeBufferHighWater ?? DEFAULT_WRITE_BUFFER_HIGH_WATER,
      maxVersion: this.maxVersion,
      tls: o.tls,
      reconnect,
      peerUp: (id) => {
        self.fire('peer-up', id);
        self.upgradeLinkIfNewer(id);
      },
      peerDown: (id, reason) => self.fire('peer-down', id, reason),
      authFailed: (info) => self.fire('auth-failed', info),
      protocolError: (info) => self.fire('protocol-error', info),
    };
  }

  private handOffClient(socket: Socket, bytes: Buffer, remote: string): void {
    const handler = this.opts.onClientConnection;
    if (handler === undefined || this.state === 'stopped') {
      socket.destroy();
      this.fire('protocol-error', notPeer(remote, bytes));
      return;
    }
    try {
      handler(socket, bytes);
    } catch (err) {
      socket.destroy();
      this.fire('protocol-error', {
        direction: 'inbound',
        remote,
        code: 'client-handler-failed',
        reason: `protocol-error: onClientConnection threw: ${errorText(err)} (connection from ${remote})`,
      });
    }
  }

  /** Emits without letting a listener's exception escape into socket or timer code. */
  private fire<K extends keyof PeerTransportEvents>(event: K, ...args: PeerTransportEvents[K]): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      if (event === 'listener-error') return;
      try {
        if (this.listenerCount('listener-error') > 0) this.emit('listener-error', err, event);
        else process.emitWarning(`resp-elect transport: a '${event}' listener threw: ${errorText(err)}`);
      } catch {
        // nothing more can be done safely
      }
    }
  }
}

function notPeer(remote: string, bytes: Buffer): ConnectionFailureInfo {
  const head = bytes.subarray(0, 16).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return {
    direction: 'inbound',
    remote,
    code: 'not-a-peer',
    reason: `protocol-error: first frame is not PEER and no client handler is configured (starts "${head}") from ${remote}`,
  };
}

function validate(o: PeerTransportOptions): void {
  if (!isValidNodeId(o.nodeId)) throw new TypeError(`PeerTransport: invalid nodeId ${JSON.stringify(o.nodeId)}`);
  if (!Buffer.isBuffer(o.secret) || o.secret.length === 0) throw new TypeError('PeerTransport: secret must be a non-empty Buffer');
  if (!o.listen || typeof o.listen.host !== 'string' || !isPort(o.listen.port, true)) {
    throw new TypeError('PeerTransport: listen must be { host, port } with port 0-65535');
  }
  validatePeers(o.nodeId, o.peers);
  if (o.maxHandshakeVersion !== undefined && o.maxHandshakeVersion !== 1 && o.maxHandshakeVersion !== 2) {
    throw new TypeError('PeerTransport: maxHandshakeVersion must be 1 or 2');
  }
  if (o.configProvider !== undefined && typeof o.configProvider !== 'function') {
    throw new TypeError('PeerTransport: configProvider must be a function');
  }
  positive('handshakeTimeoutMs', o.handshakeTimeoutMs);
  positive('queueLimit', o.queueLimit);
  positive('writeBufferHighWater', o.writeBufferHighWater);
  positive('maxPendingConnections', o.maxPendingConnections);
  positive('maxConnections', o.maxConnections);
  positive('reconnect.baseMs', o.reconnect?.baseMs);
  positive('reconnect.maxMs', o.reconnect?.maxMs);
  const mfb = o.maxFrameBytes;
  if (mfb !== undefined && !(Number.isInteger(mfb) && mfb >= MIN_FRAME_BYTES && mfb <= MAX_FRAME_BYTES_LIMIT)) {
    throw new TypeError(`PeerTransport: maxFrameBytes must be an integer from ${MIN_FRAME_BYTES} to ${MAX_FRAME_BYTES_LIMIT}`);
  }
}

function validatePeers(nodeId: string, peers: PeerAddress[]): void {
  if (!Array.isArray(peers)) throw new TypeError('PeerTransport: peers must be a list');
  const seen = new Set<string>();
  for (const p of peers) {
    if (!isValidNodeId(p?.id)) throw new TypeError(`PeerTransport: invalid peer id ${JSON.stringify(p?.id)}`);
    if (p.id === nodeId) throw new TypeError(`PeerTransport: peers must not include this node (${p.id})`);
    if (seen.has(p.id)) throw new TypeError(`PeerTransport: duplicate peer id ${p.id}`);
    if (typeof p.host !== 'string' || p.host === '' || !isPort(p.port, false)) {
      throw new TypeError(`PeerTransport: peer ${p.id} needs a host and a port 1-65535`);
    }
    seen.add(p.id);
  }
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new TypeError(`PeerTransport: ${name} must be a positive integer`);
}

function isPort(p: unknown, allowZero: boolean): boolean {
  return typeof p === 'number' && Number.isInteger(p) && p >= (allowZero ? 0 : 1) && p <= 65535;
}
