// Integration tests of PeerTransport on real loopback sockets: message flow and
// identity, the handshake's failure modes, hostile and idle connections, peer
// restarts, client hand-off on the shared port and the bounded queue.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MessageDecoder, encodeMessage, type ElectionMessage, type Message } from '../../src/protocol/index.js';
import { computeProof, newNonce } from '../../src/transport/handshake-crypto.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanups } from '../support/cleanups.js';
import { FAST, HOST, Raw, SECRET, fullyConnected, hb, makeNode, mesh, rawHandshake, sleep, waitFor, type Node } from './harness.js';

// ---------------------------------------------------------------------------

describe('PeerTransport: message flow', () => {
  it('three transports connect and exchange messages both ways; broadcast reaches all', async () => {
    const { nodes } = await mesh(['n1', 'n2', 'n3']);
    await fullyConnected(nodes);
    const [n1, n2, n3] = nodes as [Node, Node, Node];
    expect(n1.ups.sort()).toEqual(['n2', 'n3']);

    let epoch = 1;
    for (const from of nodes) {
      for (const to of nodes) if (from !== to) expect(from.t.send(to.id, hb(epoch++, from.id))).toBe(true);
    }
    await waitFor(() => nodes.every((n) => n.messages.length === 2), 'pairwise messages');
    for (const n of nodes) {
      expect(n.messages.map((m) => m.from).sort()).toEqual(nodes.filter((m) => m !== n).map((m) => m.id).sort());
      for (const m of n.messages) expect((m.msg as { nodeId: string }).nodeId).toBe(m.from);
    }

    expect(n3.t.broadcast({ type: 'ANNOUNCE', epoch: 7, primaryId: 'n3', primaryAddr: '127.0.0.1:6379' })).toBe(2);
    await waitFor(() => n1.messages.length === 3 && n2.messages.length === 3, 'broadcast');
    expect(n1.messages[2]).toEqual({ from: 'n3', msg: { type: 'ANNOUNCE', epoch: 7, primaryId: 'n3', primaryAddr: '127.0.0.1:6379' } });
    expect(n2.messages[2]!.from).toBe('n3');

    const s = n1.t.stats();
    expect(s.n2).toMatchObject({ connected: true, inboundConnected: true, sent: 1, received: 1, dropped: 0, queued: 0 });
    expect(s.n3).toMatchObject({ connected: true, inboundConnected: true, sent: 1, received: 2 });
    expect(n1.authFailed).toEqual([]);
    expect(n1.protocolErrors).toEqual([]);
  });

  it('attributes a message to the handshake id, not the id inside the frame', async () => {
    const { nodes } = await mesh(['n1', 'n2', 'n3'], undefined, ['g1']);
    await fullyConnected(nodes);
    const [n1, n2] = nodes as [Node, Node, Node];
    n1.t.send('n2', hb(5, 'n3'));
    await waitFor(() => n2.messages.length === 1, 'message');
    expect(n2.messages[0]!.from).toBe('n1');

    // Same through a hand-made dialer that proved it is g1 and writes frames claiming n1.
    const raw = await rawHandshake(n2.port, 'g1', 'n2');
    raw.send({ type: 'ACCEPT', epoch: 9, accepterId: 'n1' });
    await waitFor(() => n2.messages.length === 2, 'raw message');
    expect(n2.messages[1]).toEqual({ from: 'g1', msg: { type: 'ACCEPT', epoch: 9, accepterId: 'n1' } });
  });

  it('a throwing event listener does not break the transport', async () => {
    const { nodes } = await mesh(['n1', 'n2']);
    await fullyConnected(nodes);
    const [n1, n2] = nodes as [Node, Node];
    const errors: unknown[] = [];
    n2.t.prependListener('message', () => {
      throw new Error('listener bug');
    });
    n2.t.on('listener-error', (err, event) => errors.push([(err as Error).message, event]));
    n1.t.send('n2', hb(1));
    n1.t.send('n2', hb(2));
    await waitFor(() => errors.length === 2, 'listener errors');
    expect(errors[0]).toEqual(['listener bug', 'message']);
    expect(n1.t.isConnected('n2') && n2.t.stats().n1!.inboundConnected).toBe(true);
    expect(n2.t.stats().n1!.received).toBe(2);
  });

  it('refuses handshake verbs from the caller and never throws for unknown or down peers', async () => {
    const port = await freePort();
    const n1 = makeNode('n1', { n1: 0, n2: port });
    expect(n1.t.send('n2', hb(1))).toBe(false); // not started
    await n1.t.start();
    expect(n1.t.send('nX', hb(1))).toBe(false);
    expect(() => n1.t.send('n2', { type: 'PROOF', proof: '0'.repeat(64) } as unknown as ElectionMessage)).toThrow(TypeError);
    expect(n1.t.isConnected('n2')).toBe(false);
  });
});

describe('PeerTransport: handshake failures', () => {
  it('wrong secret: auth-failed on both sides, nothing delivered', async () => {
    const { nodes } = await mesh(['n1', 'n2'], (id) => (id === 'n2' ? { secret: Buffer.from('not the same secret at all!!!!!!') } : {}));
    const [n1, n2] = nodes as [Node, Node];
    await waitFor(
      () => n1.authFailed.some((i) => i.code === 'bad-proof') && n2.authFailed.some((i) => i.code === 'bad-proof'),
      'auth failures on both sides',
    );
    const f = n1.authFailed.find((i) => i.code === 'bad-proof')!;
    expect(f.direction).toBe('outbound');
    expect(f.claimedId).toBe('n2');
    expect(f.reason).toMatch(/^auth-failed: bad proof from 127\.0\.0\.1:\d+ claiming n2/);
    expect(n1.t.send('n2', hb(1))).toBe(false);
    expect(n2.t.broadcast(hb(1, 'n2'))).toBe(0);
    await sleep(50);
    expect(n1.messages).toEqual([]);
    expect(n2.messages).toEqual([]);
    expect(n1.t.isConnected('n2') || n2.t.isConnected('n1')).toBe(false);
    expect(n1.t.stats().n2!.dropped).toBe(1);
  });

  it('a dialer with the wrong secret is refused by the listener with a clear reason', async () => {
    const { nodes } = await mesh(['n1'], undefined, ['n2']);
    const [n1] = nodes as [Node];
    const raw = await rawHandshake(n1.port, 'n2', 'n1', Buffer.from('wrong'));
    raw.send(hb(1, 'n2'));
    await raw.waitClosed();
    await waitFor(() => n1.authFailed.length > 0, 'auth-failed');
    expect(n1.authFailed[0]).toMatchObject({ direction: 'inbound', claimedId: 'n2', code: 'bad-proof' });
    expect(n1.authFailed[0]!.reason).toMatch(/^auth-failed: bad proof from 127\.0\.0\.1:\d+ claiming n2$/);
    expect(n1.messages).toEqual([]);
  });

  it('a replayed captured handshake fails', async () => {
    const { nodes } = await mesh(['n1'], undefined, ['n2']);
    const [n1] = nodes as [Node];
    // Session 1: a genuine dialer "n2"; capture every byte it sends.
    const genuine = await rawHandshake(n1.port, 'n2', 'n1');
    genuine.send(hb(1, 'n2'));
    await waitFor(() => n1.messages.length === 1, 'genuine message');
    const captured = Buffer.concat(genuine.sent);
    genuine.socket.destroy();

    // Session 2: replay the captured bytes verbatim on a new socket.
    const replay = await new Raw(n1.port).connected();
    replay.write(captured);
    await replay.waitClosed();
    await waitFor(() => n1.authFailed.length > 0, 'auth-failed');
    expect(n1.authFailed[0]).toMatchObject({ code: 'bad-proof', claimedId: 'n2' });
    expect(n1.messages).toHaveLength(1);

    // Same with the replay paced like a real dialer: PEER, wait for the fresh CHALLENGE, old PROOF.
    const frames = new MessageDecoder().push(captured);
    const paced = await new Raw(n1.port).connected();
    paced.send(frames[0]!);
    expect((await paced.next()).type).toBe('CHALLENGE');
    paced.send(frames[1]!);
    paced.send(frames[2]!);
    await paced.waitClosed();
    await waitFor(() => n1.authFailed.length > 1, 'second auth-failed');
    expect(n1.authFailed[1]!.code).toBe('bad-proof');
    expect(n1.messages).toHaveLength(1);
  });

  it('unknown node id, own id and wrong version fail', async () => {
    const { nodes } = await mesh(['n1', 'n2']);
    const [n1] = nodes as [Node, Node];
    const cases: Array<[Message, string]> = [
      [{ type: 'PEER', version: 1, nodeId: 'n9', nonce: newNonce() }, 'unknown-id'],
      [{ type: 'PEER', version: 1, nodeId: 'n1', nonce: newNonce() }, 'unknown-id'],
      [{ type: 'PEER', version: 3, nodeId: 'n2', nonce: newNonce() }, 'bad-version'],
      [{ type: 'PEER', version: 0, nodeId: 'n2', nonce: newNonce() }, 'bad-version'],
    ];
    for (const [i, [peer, code]] of cases.entries()) {
      const raw = await new Raw(n1.port).connected();
      raw.send(peer);
      await raw.waitClosed();
      expect(raw.received).toEqual([]); // no CHALLENGE, no proof oracle for strangers
      await waitFor(() => n1.authFailed.length > i, 'auth-failed');
      expect(n1.authFailed[i]!.code).toBe(code);
    }
    expect(n1.authFailed[0]!.reason).toMatch(/^auth-failed: unknown node id from 127\.0\.0\.1:\d+ claiming n9$/);
  });

  it('a dialer reaching the wrong node reports wrong-id', async () => {
    const p1 = await freePort();
    const p3 = await freePort();
    // n1 believes n2 lives at n3's address; n3 knows n1, so it answers with a valid CHALLENGE as n3.
    const n1 = makeNode('n1', { n1: p1, n2: p3 });
    const n3 = makeNode('n3', { n3: p3, n1: p1 });
    await Promise.all([n1.t.start(), n3.t.start()]);
    await waitFor(() => n1.authFailed.some((i) => i.code === 'wrong-id'), 'wrong-id');
    const f = n1.authFailed.find((i) => i.code === 'wrong-id')!;
    expect(f).toMatchObject({ direction: 'outbound', peerId: 'n2', claimedId: 'n3' });
    expect(f.reason).toMatch(/^auth-failed: listener is not n2 from 127\.0\.0\.1:\d+ claiming n3 \(dialing n2\)$/);
    expect(n1.t.isConnected('n2')).toBe(false);
  });

  it('a newer authenticated connection from the same member replaces the older one', async () => {
    const { nodes } = await mesh(['n1'], undefined, ['g1']);
    const [n1] = nodes as [Node];
    const first = await rawHandshake(n1.port, 'g1', 'n1');
    first.send(hb(1, 'g1'));
    await waitFor(() => n1.messages.length === 1, 'first message');
    // A bare PEER claiming g1 does not displace it...
    const claim = await new Raw(n1.port).connected();
    claim.send({ type: 'PEER', version: 1, nodeId: 'g1', nonce: newNonce() });
    await claim.waitClosed(); // handshake deadline
    expect(first.closed).toBe(false);
    // ...a completed handshake does.
    const second = await rawHandshake(n1.port, 'g1', 'n1');
    await first.waitClosed();
    second.send(hb(2, 'g1'));
    await waitFor(() => n1.messages.length === 2, 'second message');
    expect(n1.t.stats().g1).toMatchObject({ inboundConnected: true, received: 2 });
  });

  it('an election frame before the handshake completes fails', async () => {
    const { nodes } = await mesh(['n1', 'n2']);
    const [n1] = nodes as [Node, Node];
    // PEER, then HB instead of PROOF.
    const a = await new Raw(n1.port).connected();
    a.send({ type: 'PEER', version: 1, nodeId: 'n2', nonce: newNonce() });
    a.send(hb(1, 'n2'));
    await a.waitClosed();
    await waitFor(() => n1.authFailed.length === 1, 'auth-failed');
    expect(n1.authFailed[0]).toMatchObject({ code: 'unexpected-message', claimedId: 'n2' });
    expect(n1.authFailed[0]!.reason).toContain('expected PROOF, got HB');
    // HB as the very first frame: not a peer; with no client handler it is closed and reported.
    const b = await new Raw(n1.port).connected();
    b.send(hb(1, 'n2'));
    await b.waitClosed();
    await waitFor(() => n1.protocolErrors.length === 1, 'protocol-error');
    expect(n1.protocolErrors[0]!.code).toBe('not-a-peer');
    expect(n1.messages).toEqual([]);
  });
});

describe('PeerTransport: hostile and idle connections', () => {
  it('garbage, 2 GB headers and half-open connections are closed and reported while peers keep talking', async () => {
    const { nodes } = await mesh(['n1', 'n2', 'n3'], undefined, ['g1']);
    await fullyConnected(nodes);
    const [n1, n2, n3] = nodes as [Node, Node, Node];
    let epoch = 0;
    const pump = setInterval(() => {
      epoch++;
      n2.t.send('n1', hb(epoch, 'n2'));
      n3.t.send('n1', hb(epoch, 'n3'));
    }, 5);
    cleanups.push(() => clearInterval(pump));

    const halfOpen = await new Raw(n1.port).connected(); // connects, sends nothing
    const halfOpenSince = Date.now();
    const garbage = await new Raw(n1.port).connected();
    garbage.write('\x00\xff\x13 this is not RESP at all \r\n\r\n');
    const huge = await new Raw(n1.port).connected();
    huge.write('*3\r\n$2000000000\r\n');
    const hugePeer = await new Raw(n1.port).connected();
    hugePeer.write('*4\r\n$4\r\nPEER\r\n$2000000000\r\n');
    const garbledPeer = await new Raw(n1.port).connected();
    garbledPeer.write('*4\r\n$4\r\nPEER\r\n\x00garbage\r\n');
    // An authenticated peer that then announces a 2 GB frame.
    const rogue = await rawHandshake(n1.port, 'g1', 'n1');
    rogue.write('*3\r\n$2000000000\r\n');

    for (const raw of [garbage, huge, hugePeer, garbledPeer, rogue]) await raw.waitClosed();
    await halfOpen.waitClosed(); // by the 400 ms handshake deadline, not before
    expect(Date.now() - halfOpenSince).toBeGreaterThanOrEqual(350);

    const codes = [...n1.protocolErrors.map((i) => i.code), ...n1.authFailed.map((i) => i.code)].sort();
    expect(codes).toEqual(['handshake-timeout', 'malformed', 'malformed', 'malformed', 'not-a-peer', 'not-a-peer']);
    const timeout = n1.authFailed.find((i) => i.code === 'handshake-timeout')!;
    expect(timeout.reason).toMatch(/^auth-failed: handshake timeout: no data within 400 ms from 127\.0\.0\.1:\d+$/);
    const rogueErr = n1.protocolErrors.find((i) => i.claimedId === 'g1')!;
    expect(rogueErr.reason).toContain('oversize');

    // The genuine peers never stopped: fresh messages from both still arrive, and both links are up.
    const before = n1.messages.length;
    await waitFor(() => n1.messages.length >= before + 10, 'messages after the attacks');
    const recent = n1.messages.slice(-10).map((m) => m.from);
    expect(new Set(recent)).toEqual(new Set(['n2', 'n3']));
    expect(n2.t.isConnected('n1') && n3.t.isConnected('n1') && n1.t.isConnected('n2')).toBe(true);
    expect(n1.t.stats().n3!.inboundConnected).toBe(true);
    expect(n1.downs).toEqual([]);
  });

  it('a slow dialer trickling bytes is cut at the handshake deadline', async () => {
    const { nodes } = await mesh(['n1', 'n2']);
    const [n1] = nodes as [Node, Node];
    const raw = await new Raw(n1.port).connected();
    const frame = encodeMessage({ type: 'PEER', version: 1, nodeId: 'n2', nonce: newNonce() });
    let i = 0;
    const drip = setInterval(() => {
      if (i < frame.length && !raw.closed) raw.write(frame.subarray(i, ++i));
    }, 20);
    cleanups.push(() => clearInterval(drip));
    const t0 = Date.now();
    await raw.waitClosed();
    expect(Date.now() - t0).toBeLessThan(1500);
    await waitFor(() => n1.authFailed.length === 1, 'auth-failed');
    expect(n1.authFailed[0]!.code).toBe('handshake-timeout');
  });
});

describe('PeerTransport: restarts and queues', () => {
  it('a restarted peer is reconnected with back-off and nothing stale is replayed', async () => {
    const { ports, nodes } = await mesh(['n1', 'n2']);
    await fullyConnected(nodes);
    const [n1, n2] = nodes as [Node, Node];
    n1.t.send('n2', hb(1));
    await waitFor(() => n2.messages.length === 1, 'first message');

    await n2.t.stop();
    await waitFor(() => n1.downs.length === 1 && !n1.t.stats().n2!.inboundConnected, 'peer-down');
    expect(n1.downs[0]!.id).toBe('n2');
    for (let e = 2; e < 100; e++) expect(n1.t.send('n2', hb(e))).toBe(false);
    await sleep(150); // several failed redials at the 10-100 ms back-off
    expect(n1.t.stats().n2).toMatchObject({ connected: false, queued: 0, dropped: 98 });
    expect(n1.t.stats().n2!.lastError).toMatch(/ECONNREFUSED/);

    const n2b = makeNode('n2', ports);
    await n2b.t.start();
    await fullyConnected([n1, n2b]);
    expect(n1.ups.filter((id) => id === 'n2')).toHaveLength(2);
    n1.t.send('n2', hb(999));
    await waitFor(() => n2b.messages.length >= 1, 'message after restart');
    await sleep(30);
    expect(n2b.messages.map((m) => (m.msg as { epoch: number }).epoch)).toEqual([999]);
    n2b.t.send('n1', hb(5, 'n2'));
    await waitFor(() => n1.messages.length === 1, 'message back');
    expect(n1.messages[0]!.from).toBe('n2');
  });

  it('10,000 messages to a down peer keep the queue bounded and count drops', async () => {
    const port = await freePort();
    const n1 = makeNode('n1', { n1: 0, n2: port }, { queueLimit: 16 });
    await n1.t.start();
    for (let i = 0; i < 10_000; i++) n1.t.send('n2', hb(i));
    const s = n1.t.stats().n2!;
    expect(s.queued).toBeLessThanOrEqual(16);
    expect(s.dropped).toBe(10_000);
    expect(s.sent).toBe(0);
  });

  it('a connected peer that stops reading: the queue stays bounded and drops the oldest', async () => {
    // A hand-made listener "n2" that completes the handshake and then never reads again.
    const accepted: net.Socket[] = [];
    const server = net.createServer((sock) => {
      accepted.push(sock);
      sock.on('error', () => {});
      const dec = new MessageDecoder();
      sock.on('data', (chunk) => {
        for (const m of dec.push(chunk)) {
          if (m.type === 'PEER') {
            const listenerNonce = newNonce();
            const proof = computeProof(SECRET, 'listener', { dialerId: 'n1', listenerId: 'n2', dialerNonce: m.nonce, listenerNonce });
            sock.write(encodeMessage({ type: 'CHALLENGE', nodeId: 'n2', nonce: listenerNonce, proof }));
          } else if (m.type === 'PROOF') {
            sock.pause();
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, HOST, r));
    cleanups.push(() => {
      server.close();
      for (const sock of accepted) sock.destroy();
    });
    const n1 = makeNode('n1', { n1: 0, n2: (server.address() as net.AddressInfo).port }, { queueLimit: 64 });
    await n1.t.start();
    await waitFor(() => n1.t.isConnected('n2'), 'connected to the silent listener');
    let total = 0;
    while (n1.t.stats().n2!.dropped === 0 && total < 3_000_000) {
      for (let i = 0; i < 10_000; i++) n1.t.send('n2', hb(total++));
      expect(n1.t.stats().n2!.queued).toBeLessThanOrEqual(64);
      await sleep(0);
    }
    const s = n1.t.stats().n2!;
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.queued).toBe(64);
    expect(s.sent + s.dropped + s.queued).toBe(total);
  });
});

describe('PeerTransport: shared port', () => {
  it('hands a non-PEER first frame to onClientConnection with the initial bytes intact', async () => {
    const handed: Array<{ socket: net.Socket; bytes: Buffer }> = [];
    const { nodes } = await mesh(['n1', 'n2'], (id) =>
      id === 'n1'
        ? {
            onClientConnection: (socket, bytes) => {
              handed.push({ socket, bytes });
              cleanups.push(() => {
                socket.destroy();
              });
              const rest: Buffer[] = [];
              socket.on('data', (c) => {
                rest.push(c);
                if (Buffer.concat([bytes, ...rest]).toString().endsWith('PING\r\n')) socket.write('+PONG\r\n');
              });
              if (bytes.toString().endsWith('PING\r\n')) socket.write('+PONG\r\n');
              socket.resume();
            },
          }
        : {},
    );
    await fullyConnected(nodes);
    const [n1] = nodes as [Node, Node];

    const a = await new Raw(n1.port).connected();
    a.write('*1\r\n$4\r\nPING\r\n');
    await waitFor(() => Buffer.concat(a.received).toString() === '+PONG\r\n', 'PONG');
    expect(handed[0]!.bytes.toString('latin1')).toBe('*1\r\n$4\r\nPING\r\n');

    // Split mid-verb: the sniffer waits, then hands over what it has; the rest flows normally.
    const b = await new Raw(n1.port).connected();
    b.write('*1\r\n$4\r\nP');
    await sleep(30);
    b.write('ING\r\n');
    await waitFor(() => Buffer.concat(b.received).toString() === '+PONG\r\n', 'PONG after a split frame');
    expect(handed[1]!.bytes.toString('latin1')).toBe('*1\r\n$4\r\nPING\r\n');

    // Inline commands are clients too.
    const c = await new Raw(n1.port).connected();
    c.write('PING\r\n');
    await waitFor(() => handed.length === 3, 'inline client');
    expect(handed[2]!.bytes.toString()).toBe('PING\r\n');
    expect(n1.protocolErrors).toEqual([]);
    expect(n1.authFailed).toEqual([]);
    expect(n1.t.isConnected('n2')).toBe(true);
  });
});
