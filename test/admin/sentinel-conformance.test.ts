// What a RESP3 client decodes from a real redis-sentinel and from a sidecar,
// command by command: the same fields (the sidecar may add its own, such as
// node-id) with values of the same types. A client library written against
// Sentinel reads these replies; a field Sentinel sends that we lack, or a
// string where it sends a number, would break it. The real side is
// redis-sentinel 7 (Debian's redis-sentinel package) watching a real
// redis-server and its replica, with a second sentinel so SENTINELS has an
// entry.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lab/proc/ports.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';
import { serverBinaries } from '../../lab/proc/server-binaries.js';
import { closeAll, startAdmin } from './admin-harness.js';
import { FakeView } from './fake-view.js';

function newClient(port: number) {
  return createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, RESP: 3 });
}
type Client = ReturnType<typeof newClient>;

const sentinels: ChildProcess[] = [];
// Even if the worker exits without running afterAll, no redis-sentinel outlives it.
process.once('exit', () => sentinels.forEach((s) => s.kill('SIGKILL')));
const clients: Client[] = [];
let dir = '';
let real: Client;
let ours: Client;

async function connect(port: number): Promise<Client> {
  const c = newClient(port);
  c.on('error', () => {});
  clients.push(c);
  await c.connect();
  return c;
}

async function startSentinel(masterPort: number): Promise<number> {
  const port = await freePort();
  const conf = join(dir, `sentinel-${port}.conf`);
  await writeFile(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`, 'sentinel down-after-milliseconds mymaster 5000', ''].join('\n'));
  const child = spawn(serverBinaries().sentinel, [conf], { stdio: 'ignore' });
  sentinels.push(child);
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'resp-elect-conformance-'));
  const primary = await startRedis();
  await startRedis({ replicaOf: { host: '127.0.0.1', port: primary.port } });
  const [s1] = await Promise.all([startSentinel(primary.port), startSentinel(primary.port)]);
  await waitFor(
    async () => {
      try {
        real ??= await connect(s1!);
      } catch {
        return false;
      }
      const master = (await real.sendCommand(['SENTINEL', 'MASTER', 'mymaster'])) as Record<string, unknown>;
      return master['num-slaves'] === '1' && master['num-other-sentinels'] === '1';
    },
    { what: 'redis-sentinel seeing the replica and the other sentinel', timeoutMs: 15_000, intervalMs: 100 },
  );
  const { port } = await startAdmin(new FakeView());
  ours = await connect(port);
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const s of sentinels) s.kill('SIGKILL');
  await closeAll();
  await cleanupAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Field → JS type of its value, for a decoded map. */
function shape(value: unknown): Record<string, string> {
  expect(value, 'a decoded map (plain object)').toBeTypeOf('object');
  expect(Array.isArray(value), 'a map, not an array').toBe(false);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v]));
}

/** Every field Sentinel sends is there, with a value of the same type. */
function expectConforms(oursValue: unknown, realValue: unknown, what: string): void {
  const [o, r] = [shape(oursValue), shape(realValue)];
  const missing = Object.keys(r).filter((k) => !(k in o));
  expect(missing, `${what}: fields redis-sentinel sends and we do not`).toEqual([]);
  for (const k of Object.keys(r)) expect(o[k], `${what}: type of ${k}`).toBe(r[k]);
}

const both = async (args: string[]): Promise<[unknown, unknown]> => [await ours.sendCommand(args), await real.sendCommand(args)];

describe('RESP3 replies against redis-sentinel 7', () => {
  it('HELLO 3', async () => {
    const [o, r] = await both(['HELLO', '3']);
    expectConforms(o, r, 'HELLO');
    expect((o as Record<string, unknown>)['mode']).toBe('sentinel');
    expect((o as Record<string, unknown>)['proto']).toBe(3);
  });

  it('SENTINEL MASTER and MASTERS', async () => {
    const [o, r] = await both(['SENTINEL', 'MASTER', 'mymaster']);
    expectConforms(o, r, 'SENTINEL MASTER');
    const [os, rs] = (await both(['SENTINEL', 'MASTERS'])) as [unknown[], unknown[]];
    expect([os.length, rs.length]).toEqual([1, 1]);
    expectConforms(os[0], rs[0], 'SENTINEL MASTERS[0]');
  });

  it('SENTINEL REPLICAS, SLAVES and SENTINELS', async () => {
    for (const sub of ['REPLICAS', 'SLAVES', 'SENTINELS']) {
      const [o, r] = (await both(['SENTINEL', sub, 'mymaster'])) as [unknown[], unknown[]];
      expect(o.length, `${sub}: entries`).toBeGreaterThan(0);
      expect(r.length, `${sub}: redis-sentinel entries`).toBeGreaterThan(0);
      expectConforms(o[0], r[0], `SENTINEL ${sub}[0]`);
    }
  });

  it('get-master-addr-by-name, nulls, ROLE and CKQUORUM', async () => {
    const [addr, realAddr] = (await both(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'])) as [unknown[], unknown[]];
    expect(addr.map((x) => typeof x)).toEqual(realAddr.map((x) => typeof x));
    expect(await both(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nosuch'])).toEqual([null, null]);
    expect(await both(['CLIENT', 'GETNAME'])).toEqual([null, null]);
    const [role, realRole] = (await both(['ROLE'])) as [unknown[], unknown[]];
    expect(role).toEqual(realRole);
    const [ck, realCk] = (await both(['SENTINEL', 'CKQUORUM', 'mymaster'])) as [string, string];
    expect(ck).toMatch(/^OK \d+ usable Sentinels/);
    expect(realCk).toMatch(/^OK \d+ usable Sentinels/);
  });
});
