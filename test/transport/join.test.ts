// The join exchange (protocol.md §4.10) on real loopback sockets: a node that
// is not a member proves the secret, asks once with CONFGET and gets one
// CONFIG; everything else from it is refused.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ConfigMessage } from '../../src/protocol/index.js';
import { computeProof, newNonce } from '../../src/transport/handshake-crypto.js';
import { fetchConfig } from '../../src/transport/index.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanups } from '../support/cleanups.js';
import { MEMBERS } from '../protocol/examples.js';
import { HOST, Raw, SECRET, hb, mesh, waitFor } from './harness.js';

const CONFIG: ConfigMessage = { type: 'CONFIG', nodeId: 'n1', version: 3, configEpoch: 7, members: MEMBERS };
const OPTS = { nodeId: 'n4', secret: SECRET, timeoutMs: 2000 };

async function member(extra: Parameters<typeof mesh>[1] = () => ({ configProvider: () => CONFIG })) {
  const { nodes } = await mesh(['n1'], extra, ['n2']);
  return nodes[0]!;
}

/** Runs the guest side by hand up to and including PROOF, as fetchConfig does. */
async function guestHandshake(port: number): Promise<Raw> {
  const raw = await new Raw(port).connected();
  const dialerNonce = newNonce();
  raw.send({ type: 'PEER', version: 2, nodeId: 'n4', nonce: dialerNonce });
  const ch = await raw.next();
  if (ch.type !== 'CHALLENGE') throw new Error(`expected CHALLENGE, got ${ch.type}`);
  raw.send({ type: 'PROOF', proof: computeProof(SECRET, 'dialer', { dialerId: 'n4', listenerId: 'n1', dialerNonce, listenerNonce: ch.nonce }) });
  return raw;
}

describe('fetchConfig against a member with a configProvider', () => {
  it('gets the configuration, and the listener reports it served it', async () => {
    const n1 = await member();
    const served: string[] = [];
    n1.t.on('config-served', (id) => served.push(id));
    await expect(fetchConfig({ host: HOST, port: n1.port }, OPTS)).resolves.toEqual(CONFIG);
    expect(served).toEqual(['n4']);
    expect(n1.authFailed).toEqual([]);
    expect(n1.protocolErrors).toEqual([]);
    await waitFor(() => n1.t.pendingConnections === 0, 'the guest connection to be released');
    // A guest is never a peer: nothing was delivered and no stats entry appeared.
    expect(n1.messages).toEqual([]);
    expect(Object.keys(n1.t.stats())).toEqual(['n2']);
  });

  it('a member fetches too (a learner started with --join after member add), without displacing its link', async () => {
    const n1 = await member();
    // n2 is a member of n1 here; its fetch must be answered, not taken for its election link.
    await expect(fetchConfig({ host: HOST, port: n1.port }, { ...OPTS, nodeId: 'n2' })).resolves.toEqual(CONFIG);
    expect(n1.protocolErrors).toEqual([]);
    expect(n1.messages).toEqual([]);
  });

  it('wrong secret: rejects with bad proof', async () => {
    const n1 = await member();
    await expect(fetchConfig({ host: HOST, port: n1.port }, { ...OPTS, secret: Buffer.from('not the secret') })).rejects.toThrow(
      /bad proof: the listener \(claiming n1\) does not hold this secret/,
    );
  });

  it('no provider: refused as unknown-id, before any CHALLENGE', async () => {
    const n1 = await member(() => ({}));
    await expect(fetchConfig({ host: HOST, port: n1.port }, OPTS)).rejects.toThrow(/refused: .*before CHALLENGE/);
    await waitFor(() => n1.authFailed.length === 1, 'auth-failed');
    expect(n1.authFailed[0]).toMatchObject({ code: 'unknown-id', claimedId: 'n4' });
  });

  it('a provider with nothing to give: refused after PROOF (no-config)', async () => {
    const n1 = await member(() => ({ configProvider: () => undefined }));
    await expect(fetchConfig({ host: HOST, port: n1.port }, OPTS)).rejects.toThrow(/refused: .*before CONFIG/);
    await waitFor(() => n1.authFailed.length === 1, 'auth-failed');
    expect(n1.authFailed[0]!.code).toBe('no-config');
  });

  it('a guest that sends HB instead of CONFGET is closed as a protocol error, and gets nothing', async () => {
    const n1 = await member();
    const raw = await guestHandshake(n1.port);
    raw.send(hb(3, 'n4'));
    await raw.waitClosed();
    expect(raw.inbox).toEqual([]);
    await waitFor(() => n1.protocolErrors.length === 1, 'protocol-error');
    expect(n1.protocolErrors[0]).toMatchObject({ code: 'unexpected-message', claimedId: 'n4' });
    expect(n1.protocolErrors[0]!.reason).toMatch(/a non-member may only send CONFGET after PROOF, got HB/);
    expect(n1.messages).toEqual([]);
  });

  it('a guest asking for another id, or a version-1 non-member, is refused', async () => {
    const n1 = await member();
    const raw = await guestHandshake(n1.port);
    raw.send({ type: 'CONFGET', nodeId: 'n5' });
    await raw.waitClosed();
    expect(raw.inbox).toEqual([]);
    const v1 = await new Raw(n1.port).connected();
    v1.send({ type: 'PEER', version: 1, nodeId: 'n4', nonce: newNonce() });
    await v1.waitClosed();
    expect(v1.received).toEqual([]);
    await waitFor(() => n1.authFailed.length === 1 && n1.protocolErrors.length === 1, 'both refusals');
    expect(n1.protocolErrors[0]!.code).toBe('wrong-id');
    expect(n1.authFailed[0]!.code).toBe('unknown-id');
  });

  it('a guest that never sends CONFGET counts as pending and is cut at the handshake deadline', async () => {
    const n1 = await member();
    const raw = await guestHandshake(n1.port);
    await waitFor(() => n1.t.pendingConnections === 1, 'the guest to be pending');
    await raw.waitClosed();
    await waitFor(() => n1.authFailed.length === 1, 'handshake-timeout');
    expect(n1.authFailed[0]!.code).toBe('handshake-timeout');
  });
});

describe('a member-to-be dialing a member that does not have it yet', () => {
  it('is taken for a guest and closed after its first frame, and keeps backing off instead of redialing at once', async () => {
    // n1 serves configurations and does not know n2; n2's transport dials n1 as a peer would.
    const { nodes } = await mesh(['n1', 'n2'], (id) =>
      id === 'n1' ? { configProvider: () => CONFIG, peers: [] } : { reconnect: { baseMs: 20, maxMs: 5000 }, random: () => 0 },
    );
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const ups: number[] = [];
    n2.t.on('peer-up', () => ups.push(Date.now()));
    const sender = setInterval(() => n2.t.send('n1', hb(1, 'n2')), 2);
    cleanups.push(() => clearInterval(sender));
    await waitFor(() => ups.length >= 5, 'five short-lived links');
    await waitFor(() => n1.protocolErrors.length >= 4, 'the listener refusing the guest frames');
    expect(n1.protocolErrors[0]!.reason).toMatch(/a non-member may only send CONFGET after PROOF, got HB/);
    expect(n1.messages).toEqual([]);
    // Delays double from 10 ms (random 0 takes step/2): the 4th gap waits at least 80 ms. Timers never fire early.
    expect(ups[4]! - ups[3]!).toBeGreaterThanOrEqual(75);
  });
});

describe('fetchConfig failures', () => {
  async function rawServer(onSocket: (s: net.Socket) => void): Promise<number> {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      onSocket(s);
    });
    await new Promise<void>((r) => server.listen(0, HOST, () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const sockets = new Set<net.Socket>();
    server.on('connection', (s) => sockets.add(s));
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    return (server.address() as net.AddressInfo).port;
  }

  it('a listener that says nothing: timeout', async () => {
    const port = await rawServer(() => {});
    await expect(fetchConfig({ host: HOST, port }, { ...OPTS, timeoutMs: 200 })).rejects.toThrow(/timeout: no configuration within 200 ms/);
  });

  it('a listener that answers garbage: malformed', async () => {
    const port = await rawServer((s) => s.once('data', () => s.write('+OK\r\n')));
    await expect(fetchConfig({ host: HOST, port }, OPTS)).rejects.toThrow(/malformed answer: not-array/);
  });

  it('nobody listening: could not connect', async () => {
    await expect(fetchConfig({ host: HOST, port: await freePort() }, OPTS)).rejects.toThrow(/could not connect: .*ECONNREFUSED/);
  });

  it('bad options are refused before dialing', async () => {
    await expect(fetchConfig({ host: HOST, port: 1 }, { ...OPTS, nodeId: '' })).rejects.toThrow(/invalid nodeId/);
    await expect(fetchConfig({ host: HOST, port: 1 }, { ...OPTS, timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });
});
