// The handshake over TLS with mutual certificate verification. Certificates
// are made on the fly with the openssl CLI; without it the tests are skipped
// (the reason is printed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchConfig } from '../../src/transport/fetch-config.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import type { ConnectionFailureInfo, TransportTlsOptions } from '../../src/transport/types.js';
import { freePort } from '../../lab/proc/ports.js';
import { cleanups } from '../support/cleanups.js';

const HOST = '127.0.0.1';
const SECRET = Buffer.from('tls test secret, 32 bytes long!!', 'ascii');

const opensslVersion = (() => {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();
if (opensslVersion === undefined) console.warn('transport TLS tests skipped: the openssl CLI is not available');

let dir = '';
/** Certificates signed by the test CA, and by an unrelated CA. */
let good: TransportTlsOptions;
let foreign: TransportTlsOptions;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA and one leaf certificate (SAN IP:127.0.0.1, usable as server and client) signed by it. */
function makePki(name: string): TransportTlsOptions {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.crt`, '-days', '1', '-subj', `/CN=${name} test CA`);
  openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name} node`);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.crt`, '-CAkey', `${name}-ca.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  const read = (f: string) => readFileSync(join(dir, f));
  return { cert: read(`${name}.crt`), key: read(`${name}.key`), ca: read(`${name}-ca.crt`) };
}

beforeAll(() => {
  if (opensslVersion === undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'resp-elect-tls-'));
  good = makePki('good');
  foreign = makePki('foreign');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function pair(tlsOf: (id: string) => TransportTlsOptions, extra: Partial<ConstructorParameters<typeof PeerTransport>[0]> = {}) {
  const ports = { n1: await freePort(), n2: await freePort() };
  const nodes = (['n1', 'n2'] as const).map((id) => {
    const other = id === 'n1' ? 'n2' : 'n1';
    const t = new PeerTransport({
      nodeId: id,
      listen: { host: HOST, port: ports[id] },
      peers: [{ id: other, host: HOST, port: ports[other] }],
      secret: SECRET,
      tls: tlsOf(id),
      handshakeTimeoutMs: 1000,
      reconnect: { baseMs: 10, maxMs: 100 },
      ...extra,
    });
    const rec = { t, messages: [] as Array<[string, unknown]>, authFailed: [] as ConnectionFailureInfo[] };
    t.on('message', (from, msg) => rec.messages.push([from, msg]));
    t.on('auth-failed', (info) => rec.authFailed.push(info));
    cleanups.push(() => t.stop());
    return rec;
  });
  await Promise.all(nodes.map((n) => n.t.start()));
  return { ports, nodes: nodes as [typeof nodes[0], typeof nodes[0]] };
}

describe.skipIf(opensslVersion === undefined)('PeerTransport over TLS', () => {
  it('completes the handshake over mutually verified TLS and carries messages', async () => {
    const { nodes } = await pair(() => good);
    const [n1, n2] = nodes;
    await waitFor(() => n1.t.isConnected('n2') && n2.t.isConnected('n1'), 'TLS links up');
    n1.t.send('n2', { type: 'HB', epoch: 3, nodeId: 'n1', role: 'primary', replOffset: 42 });
    n2.t.send('n1', { type: 'LEASEACK', epoch: 3, voterId: 'n2', seq: 1 });
    await waitFor(() => n1.messages.length === 1 && n2.messages.length === 1, 'messages over TLS');
    expect(n2.messages[0]).toEqual(['n1', { type: 'HB', epoch: 3, nodeId: 'n1', role: 'primary', replOffset: 42 }]);
    expect(n1.messages[0]![0]).toBe('n2');
    expect(n1.authFailed).toEqual([]);
  });

  it('refuses a node whose certificate is from another CA, and plaintext on the TLS port', async () => {
    const { ports, nodes } = await pair((id) => (id === 'n1' ? good : foreign));
    const [n1, n2] = nodes;
    await waitFor(
      () => n1.authFailed.some((i) => i.code === 'tls') && n2.authFailed.some((i) => i.code === 'tls'),
      'TLS failures on both sides',
    );
    expect(n1.t.isConnected('n2') || n2.t.isConnected('n1')).toBe(false);
    expect(n1.messages).toEqual([]);

    // A plaintext PEER frame on the TLS port never reaches the handshake.
    const before = n1.authFailed.length;
    const raw = net.connect(ports.n1, HOST);
    let rawClosed = false;
    raw.on('error', () => {});
    raw.on('close', () => (rawClosed = true));
    cleanups.push(() => {
      raw.destroy();
    });
    raw.write('*4\r\n$4\r\nPEER\r\n');
    await waitFor(() => rawClosed, 'plaintext connection closed');
    await waitFor(() => n1.authFailed.length > before, 'tls auth-failed for plaintext');
    expect(n1.authFailed.at(-1)!.code).toBe('tls');

    // A TLS client without a certificate is refused as well.
    const anon = tls.connect({ host: HOST, port: ports.n1, ca: good.ca, rejectUnauthorized: true });
    let anonClosed = false;
    anon.on('error', () => {});
    anon.on('close', () => (anonClosed = true));
    cleanups.push(() => {
      anon.destroy();
    });
    await waitFor(() => anonClosed, 'certificate-less TLS client closed');
  });

  it('serves the configuration to a joining node over TLS (the CONFIG is written before the close)', async () => {
    const config = { type: 'CONFIG' as const, nodeId: 'n1', version: 2, configEpoch: 5, members: 'n1,voter,1,-,-;n2,voter,1,-,-' };
    const { ports } = await pair(() => good, { configProvider: () => config });
    await expect(fetchConfig({ host: HOST, port: ports.n1 }, { nodeId: 'n9', secret: SECRET, tls: good, timeoutMs: 2000 })).resolves.toEqual(config);
    await expect(fetchConfig({ host: HOST, port: ports.n1 }, { nodeId: 'n9', secret: SECRET, tls: foreign, timeoutMs: 2000 })).rejects.toThrow(/fetchConfig from 127\.0\.0\.1:\d+: /);
  });
});
