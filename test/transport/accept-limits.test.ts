/**
 * Accept-side limits of the shared port (issue #17 defect 4): silent
 * connections cannot keep a genuine peer out, the hard connection cap closes
 * the excess at accept and says so, and the descriptor budget is sized from
 * the nofile limit with room kept for the vote file and peers.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { deriveConnectionLimits, readSoftNofile, MAX_CLIENTS_CEILING, RESERVED_FDS, RESERVE_PER_MEMBER } from '../../src/transport/fd-limit.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import type { ConnectionRefusedInfo, PeerTransportOptions } from '../../src/transport/types.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanups } from '../support/cleanups.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef', 'ascii');
const HOST = '127.0.0.1';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function transport(id: string, ports: Record<string, number>, extra: Partial<PeerTransportOptions> = {}) {
  const peers = Object.entries(ports)
    .filter(([pid]) => pid !== id)
    .map(([pid, port]) => ({ id: pid, host: HOST, port }));
  const t = new PeerTransport({ nodeId: id, listen: { host: HOST, port: ports[id]! }, peers, secret: SECRET, handshakeTimeoutMs: 5000, reconnect: { baseMs: 10, maxMs: 50 }, ...extra });
  const refused: ConnectionRefusedInfo[] = [];
  t.on('connection-refused', (info) => refused.push(info));
  cleanups.push(() => t.stop());
  return { t, refused };
}

/** Opens n connections that send nothing and keep their descriptor. */
async function silent(port: number, n: number): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host: HOST, port });
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    out.push(s);
    cleanups.push(() => {
      s.destroy();
    });
  }
  return out;
}

describe('pending connections', () => {
  it('a flood of silent connections evicts the oldest of them, so a peer still gets in', async () => {
    const ports = { a: await freePort(), b: await freePort() };
    const a = transport('a', ports, { maxPendingConnections: 4 });
    await a.t.start();
    const socks = await silent(ports.a, 10);
    await waitFor(() => a.t.refusalCounts()['pending-evicted'] >= 6, 'six evictions');
    expect(a.t.pendingConnections).toBeLessThanOrEqual(4);
    // The oldest were closed by the transport.
    await waitFor(() => socks.slice(0, 6).every((s) => s.destroyed || s.readyState === 'closed' || s.readableEnded), 'the oldest six closed');
    expect(a.refused[0]).toMatchObject({ reason: 'pending-evicted' });
    expect(a.refused[0]!.detail).toMatch(/4 connections were being identified/);
    // b dials a while the silent connections hold every pending slot: b is the newest, so it stays.
    const b = transport('b', ports);
    await b.t.start();
    await waitFor(() => b.t.isConnected('a') && a.t.isConnected('b'), 'a and b connected both ways');
  });
});

describe('maxConnections', () => {
  it('closes connections over the cap at accept and reports them', async () => {
    const ports = { a: await freePort(), b: await freePort() };
    const a = transport('a', ports, { maxConnections: 3 });
    await a.t.start();
    const socks = await silent(ports.a, 6);
    await waitFor(() => a.t.refusalCounts()['max-connections'] >= 3, 'three drops');
    expect(a.refused.some((r) => r.reason === 'max-connections' && /3 connections open/.test(r.detail))).toBe(true);
    expect(socks.length).toBe(6);
  });
});

describe('accept errors', () => {
  it('an accept error (EMFILE) is reported, not swallowed, and the port keeps listening', async () => {
    const ports = { a: await freePort(), b: await freePort() };
    const a = transport('a', ports);
    await a.t.start();
    // What node's listener emits when accept() fails for lack of descriptors.
    const server = (a.t as unknown as { server: net.Server }).server;
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
    expect(a.refused).toEqual([{ reason: 'accept-error', detail: expect.stringMatching(/accept failed: .*EMFILE/) }]);
    expect(a.t.refusalCounts()['accept-error']).toBe(1);
    const b = transport('b', ports);
    await b.t.start();
    await waitFor(() => b.t.isConnected('a') && a.t.isConnected('b'), 'a and b connected after the error');
  });
});

describe('descriptor budget', () => {
  it('reads the soft nofile limit from /proc/self/limits', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            256                  4096                 files     \n';
    expect(readSoftNofile(text)).toBe(256);
    expect(readSoftNofile('Max open files            unlimited            unlimited            files\n')).toBe(Number.MAX_SAFE_INTEGER);
    expect(readSoftNofile('nothing here')).toBeUndefined();
    const own = readSoftNofile();
    if (own !== undefined) expect(own).toBeGreaterThan(0);
  });

  it('keeps descriptors for the vote file and peers, whatever nofile is', () => {
    for (const nofile of [64, 256, 1024, 20_000, 1_000_000]) {
      const l = deriveConnectionLimits(nofile, { members: 3, maxPendingConnections: 128, httpMaxConnections: 64, http: true });
      const reserved = RESERVED_FDS + 3 * RESERVE_PER_MEMBER;
      expect(l.reserved).toBe(reserved);
      if (nofile > reserved + 16) expect(l.maxClients + l.maxPendingConnections + l.httpMaxConnections + 2 * 3, `nofile ${nofile}`).toBeLessThanOrEqual(nofile - reserved + 6);
      expect(l.maxClients).toBeGreaterThanOrEqual(1);
      expect(l.maxClients).toBeLessThanOrEqual(MAX_CLIENTS_CEILING);
      expect(l.listenerMaxConnections).toBe(l.maxClients + l.maxPendingConnections + 6);
    }
    const small = deriveConnectionLimits(256, { members: 3, maxPendingConnections: 128, httpMaxConnections: 64, http: true });
    expect(small).toMatchObject({ maxPendingConnections: 45, httpMaxConnections: 45, maxClients: 90 });
    const big = deriveConnectionLimits(20_000, { members: 3, maxPendingConnections: 128, httpMaxConnections: 64, http: false });
    expect(big).toMatchObject({ maxPendingConnections: 128, maxClients: MAX_CLIENTS_CEILING });
    expect(deriveConnectionLimits(256, { members: 3, maxClients: 7, maxPendingConnections: 128, httpMaxConnections: 64, http: false })).toMatchObject({ maxClients: 7, overcommitted: false });
    // An explicit limit beyond the descriptors is kept (the operator asked for it) but flagged, so the sidecar warns.
    expect(deriveConnectionLimits(256, { members: 3, maxClients: 1000, maxPendingConnections: 128, httpMaxConnections: 64, http: false }).overcommitted).toBe(true);
    expect(small.overcommitted).toBe(false);
  });
});
