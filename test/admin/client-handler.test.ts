// The Sentinel-compatible client API against a fake SidecarView on a real TCP
// server: every command, authentication, hostile input, pipelining and pub/sub.
import { afterEach, describe, expect, it } from 'vitest';
import { ServerReplyError } from '../../src/admin/resp-client.js';
import { parseElectionInfo } from '../../src/admin/election-info.js';
import { closeAll, client, pack, raw, startAdmin, withTimeout } from './admin-harness.js';
import { FakeView } from './fake-view.js';

afterEach(closeAll);

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ServerReplyError);
    return (err as Error).message;
  }
  throw new Error('expected an error reply');
}

describe('basic commands', () => {
  it('PING, ROLE, COMMAND, CLIENT, unknown commands', async () => {
    const { port } = await startAdmin(new FakeView());
    const c = await client(port);
    expect(await c.command(['PING'])).toBe('PONG');
    expect(await c.command(['ping', 'hello'])).toBe('hello');
    expect(await rejects(c.command(['PING', 'a', 'b']))).toBe("ERR wrong number of arguments for 'ping' command");
    expect(await c.command(['ROLE'])).toEqual(['sentinel', ['mymaster']]);
    expect(await c.command(['COMMAND'])).toEqual([]);
    expect(await c.command(['COMMAND', 'COUNT'])).toBeGreaterThan(5);
    expect(await c.command(['CLIENT', 'SETINFO', 'LIB-NAME', 'x'])).toBe('OK');
    expect(await c.command(['CLIENT', 'SETINFO', 'lib-ver', '1.2'])).toBe('OK');
    expect(await c.command(['CLIENT', 'GETNAME'])).toBeNull();
    expect(await c.command(['CLIENT', 'SETNAME', 'me'])).toBe('OK');
    expect(await c.command(['CLIENT', 'GETNAME'])).toBe('me');
    expect(typeof (await c.command(['CLIENT', 'ID']))).toBe('number');
    expect(await rejects(c.command(['CLIENT', 'SETNAME', 'has space']))).toMatch(/cannot contain spaces/);
    expect(await rejects(c.command(['CLIENT', 'NOPE']))).toBe("ERR unknown subcommand 'NOPE'. Try CLIENT HELP.");
    expect(await rejects(c.command(['FOO', 'bar', 'baz']))).toBe("ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ");
    expect(await rejects(c.command(['GET', 'k']))).toMatch(/^ERR unknown command 'GET'/);
    // Still usable after all the errors.
    expect(await c.command(['PING'])).toBe('PONG');
  });

  it('HELLO: 2 answers a flat map, a version other than 2 or 3 is NOPROTO', async () => {
    const { port } = await startAdmin(new FakeView());
    const c = await client(port);
    expect(await rejects(c.command(['HELLO', '4']))).toBe('NOPROTO sorry, this protocol version is not supported');
    expect(await rejects(c.command(['HELLO', '1']))).toBe('NOPROTO sorry, this protocol version is not supported');
    expect(await rejects(c.command(['HELLO', 'x']))).toMatch(/not an integer/);
    // A refused HELLO 3 (bad option) leaves the connection on RESP2, which this client can read.
    expect(await rejects(c.command(['HELLO', '3', 'NOPE']))).toBe("ERR Syntax error in HELLO option 'NOPE'");
    const hello = pack(await c.command(['HELLO', '2', 'SETNAME', 'app']));
    expect(hello).toMatchObject({ server: 'redis', proto: 2 as unknown as string, mode: 'sentinel' });
    expect(await c.command(['CLIENT', 'GETNAME'])).toBe('app');
    expect(pack(await c.command(['HELLO']))['mode']).toBe('sentinel');
  });

  it('QUIT answers OK and closes', async () => {
    const { port } = await startAdmin(new FakeView());
    const conn = await raw(port);
    conn.send('*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n');
    await conn.closed;
    expect(conn.received()).toBe('+OK\r\n');
  });

  it('inline commands, quoted arguments and pipelining', async () => {
    const { port } = await startAdmin(new FakeView());
    const conn = await raw(port);
    conn.send('PING\r\nPING "hello world"\r\nSENTINEL get-master-addr-by-name mymaster\nping \'it\\\'s\'\r\n\r\n');
    await conn.waitFor("$4\r\nit's\r\n");
    expect(conn.received()).toBe("+PONG\r\n$11\r\nhello world\r\n*2\r\n$8\r\n10.0.0.1\r\n$4\r\n6379\r\n$4\r\nit's\r\n");
  });

  it('a request split into single bytes, and many requests in one write', async () => {
    const { port } = await startAdmin(new FakeView());
    const conn = await raw(port);
    const req = '*2\r\n$4\r\nPING\r\n$3\r\nabc\r\n';
    for (const ch of req) {
      conn.send(ch);
      await new Promise((r) => setImmediate(r));
    }
    await conn.waitFor('$3\r\nabc\r\n');
    conn.send('*1\r\n$4\r\nPING\r\n'.repeat(500));
    await conn.waitFor(new RegExp(`(\\+PONG\\r\\n){500}$`));
  });
});

describe('INFO', () => {
  it('server, clients, sentinel and election sections', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const c = await client(port);
    const all = String(await c.command(['INFO']));
    for (const header of ['# Server', '# Clients', '# Sentinel', '# Election']) expect(all).toContain(header);
    expect(all).toContain('redis_mode:sentinel');
    expect(all).toContain('redis_version:7.0.0-resp-elect');
    expect(all).toContain(`tcp_port:${port}`);
    expect(all).toContain(`process_id:${process.pid}`);
    expect(all).toContain('master0:name=mymaster,status=ok,address=10.0.0.1:6379,slaves=1,sentinels=3');

    const server = String(await c.command(['INFO', 'SERVER']));
    expect(server).toContain('# Server');
    expect(server).not.toContain('# Election');
    expect(await c.command(['INFO', 'nosuchsection'])).toBe('');

    const election = parseElectionInfo(String(await c.command(['info', 'election'])));
    expect(election).toMatchObject({
      id: 'n1',
      role: 'primary',
      epoch: 3,
      primary: 'n1',
      primaryAddr: '10.0.0.1:6379',
      lease: true,
      leaseRemainingMs: 400,
      writesAllowed: true,
      offset: 1000,
      healthy: true,
      fenced: false,
      quorum: 2,
      reachable: 3,
    });
    expect(election.members).toEqual([
      { id: 'n1', self: true, role: 'primary', epoch: 3, offset: 1000, state: 'up', lastSeenMs: 0, redis: '10.0.0.1:6379', sidecar: '10.0.0.1:26379', witness: false, priority: 1, kind: 'voter' },
      { id: 'n2', self: false, role: 'replica', epoch: 3, offset: 990, state: 'up', lastSeenMs: 20, redis: '10.0.0.2:6379', sidecar: '10.0.0.2:26379', witness: false, priority: 1, kind: 'voter' },
      { id: 'n3', self: false, role: 'replica', epoch: 3, offset: 0, state: 'up', lastSeenMs: 30, redis: '', sidecar: '10.0.0.3:26379', witness: true, priority: 1, kind: 'witness' },
    ]);

    view.peer('n2').up = false;
    view.isFenced = true;
    const after = parseElectionInfo(String(await c.command(['INFO', 'election'])));
    expect(after.members[1]!.state).toBe('down');
    expect(after.fenced).toBe(true);
    expect(after.reachable).toBe(2);
  });

  it('escapes odd node ids in member lines', async () => {
    const view = new FakeView({
      members: [
        { id: 'a,b=c%', redis: { host: '::1', port: 7000 } },
        { id: 'n2', redis: { host: '127.0.0.1', port: 7001 } },
      ],
    });
    const { port } = await startAdmin(view);
    const c = await client(port);
    const info = parseElectionInfo(String(await c.command(['INFO', 'election'])));
    expect(info.id).toBe('a,b=c%');
    expect(info.members[0]).toMatchObject({ id: 'a,b=c%', redis: '[::1]:7000' });
  });
});

describe('SENTINEL', () => {
  it('get-master-addr-by-name, master(s), replicas, sentinels, myid', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const c = await client(port);
    expect(await c.command(['SENTINEL', 'get-master-addr-by-name', 'mymaster'])).toEqual(['10.0.0.1', '6379']);
    expect(await c.command(['SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'mymaster'])).toEqual(['10.0.0.1', '6379']);
    expect(await c.command(['SENTINEL', 'get-master-addr-by-name', 'other'])).toBeNull();
    expect(await c.command(['SENTINEL', 'myid'])).toBe('n1');

    const master = pack(await c.command(['SENTINEL', 'master', 'mymaster']));
    expect(master).toMatchObject({
      name: 'mymaster',
      ip: '10.0.0.1',
      port: '6379',
      flags: 'master',
      'role-reported': 'master',
      'config-epoch': '3',
      'num-slaves': '1',
      'num-other-sentinels': '2',
      quorum: '2',
      'node-id': 'n1',
    });
    expect(master['runid']).toBe('a'.repeat(40));
    const masters = (await c.command(['SENTINEL', 'masters'])) as unknown[];
    expect(masters.map(pack)).toEqual([master]);

    const replicas = ((await c.command(['SENTINEL', 'replicas', 'mymaster'])) as unknown[]).map(pack);
    expect(replicas).toHaveLength(1);
    expect(replicas[0]).toMatchObject({
      name: '10.0.0.2:6379',
      ip: '10.0.0.2',
      port: '6379',
      flags: 'slave',
      'master-host': '10.0.0.1',
      'master-port': '6379',
      'master-link-status': 'ok',
      'slave-repl-offset': '990',
      'slave-priority': '1',
      'node-id': 'n2',
    });
    expect(((await c.command(['SENTINEL', 'slaves', 'mymaster'])) as unknown[]).map(pack)).toEqual(replicas);

    const sentinels = ((await c.command(['SENTINEL', 'sentinels', 'mymaster'])) as unknown[]).map(pack);
    expect(sentinels.map((s) => [s['name'], s['ip'], s['port'], s['runid'], s['flags']])).toEqual([
      ['n2', '10.0.0.2', '26379', 'n2', 'sentinel'],
      ['n3', '10.0.0.3', '26379', 'n3', 'sentinel'],
    ]);

    // A replica that went down shows s_down; the sentinel entry too.
    view.peer('n2').up = false;
    const down = ((await c.command(['SENTINEL', 'replicas', 'mymaster'])) as unknown[]).map(pack);
    expect(down[0]!['flags']).toBe('slave,s_down,disconnected');
    expect(down[0]!['master-link-status']).toBe('err');
    const sdown = ((await c.command(['SENTINEL', 'sentinels', 'mymaster'])) as unknown[]).map(pack);
    expect(sdown[0]!['flags']).toBe('sentinel,s_down,disconnected');

    expect(await rejects(c.command(['SENTINEL', 'master', 'nope']))).toBe('ERR No such master with that name');
    expect(await rejects(c.command(['SENTINEL', 'replicas', 'nope']))).toBe('ERR No such master with that name');
    expect(await rejects(c.command(['SENTINEL', 'get-master-addr-by-name']))).toBe(
      "ERR wrong number of arguments for 'sentinel|get-master-addr-by-name' command",
    );
    expect(await rejects(c.command(['SENTINEL', 'frobnicate']))).toBe("ERR unknown subcommand 'frobnicate'. Try SENTINEL HELP.");
    expect(await rejects(c.command(['SENTINEL', 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*']))).toMatch(/^ERR .*not supported/);
    expect(await rejects(c.command(['SENTINEL', 'monitor', 'x', '127.0.0.1', '6379', '2']))).toMatch(/not supported/);
    expect(await c.command(['SENTINEL', 'flushconfig'])).toBe('OK');
    expect(await rejects(c.command(['SENTINEL', 'flushconfig', 'now']))).toBe("ERR wrong number of arguments for 'sentinel|flushconfig' command");
    expect(await c.command(['SENTINEL', 'help'])).toEqual(expect.arrayContaining([expect.stringMatching(/^GET-MASTER-ADDR-BY-NAME/)]));
  });

  it("the master is 'disconnected' as soon as our own link to its redis fails, before anything is declared down", async () => {
    const view = new FakeView({ self: 'n2' });
    const { port } = await startAdmin(view);
    const c = await client(port);
    view.linkUp = true;
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master');
    // Its sidecar still looks alive (a host loss seen from here before downAfterMs): the link alone says it.
    view.linkUp = false;
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master,disconnected');
    // Sentinel still names the last known master in get-master-addr-by-name.
    expect(await c.command(['SENTINEL', 'get-master-addr-by-name', 'mymaster'])).toEqual(['10.0.0.1', '6379']);
    view.linkUp = undefined;
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master');
  });

  it("the primary's own sidecar says 'disconnected' from its link before its next poll notices", async () => {
    const view = new FakeView(); // self n1 is the primary, its last poll said reachable
    const { port } = await startAdmin(view);
    const c = await client(port);
    view.linkUp = true;
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master');
    view.linkUp = false;
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master,disconnected');
  });

  it('a replica sees the primary as a peer; a lost primary is s_down/o_down', async () => {
    const view = new FakeView({ self: 'n2' });
    const { port } = await startAdmin(view);
    const c = await client(port);
    const master = pack(await c.command(['SENTINEL', 'master', 'mymaster']));
    expect(master).toMatchObject({ ip: '10.0.0.1', flags: 'master', runid: '', 'node-id': 'n1' });
    const replicas = ((await c.command(['SENTINEL', 'replicas', 'mymaster'])) as unknown[]).map(pack);
    expect(replicas).toEqual([expect.objectContaining({ name: '10.0.0.2:6379', flags: 'slave', 'master-link-status': 'ok', 'slave-repl-offset': '1000' })]);

    // The primary's sidecar goes silent: s_down at once, o_down once the Elector declares it lost.
    view.peer('n1').up = false;
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master,s_down,disconnected');
    view.emitElector({ type: 'primary-lost', primary: 'n1', epoch: 3, reason: 'test' });
    view.snap.phase = 'candidate';
    view.snap.role = 'candidate';
    const lost = pack(await c.command(['SENTINEL', 'master', 'mymaster']));
    expect(lost['flags']).toBe('master,s_down,o_down,disconnected,failover_in_progress');
    expect(String(await c.command(['INFO', 'sentinel']))).toContain('status=odown');
    // Still the last known address until a new primary is followed, as Sentinel does.
    expect(await c.command(['SENTINEL', 'get-master-addr-by-name', 'mymaster'])).toEqual(['10.0.0.1', '6379']);
    view.setPrimary('n2', 4);
    expect(await c.command(['SENTINEL', 'get-master-addr-by-name', 'mymaster'])).toEqual(['10.0.0.2', '6379']);
    expect(pack(await c.command(['SENTINEL', 'master', 'mymaster']))['flags']).toBe('master');
  });

  it('no primary known yet: nil address, an error for MASTER, no masters', async () => {
    const view = new FakeView({ primary: null });
    const { port } = await startAdmin(view);
    const c = await client(port);
    expect(await c.command(['SENTINEL', 'get-master-addr-by-name', 'mymaster'])).toBeNull();
    expect(await rejects(c.command(['SENTINEL', 'master', 'mymaster']))).toMatch(/No primary has been elected/);
    expect(await c.command(['SENTINEL', 'masters'])).toEqual([]);
    expect(((await c.command(['SENTINEL', 'replicas', 'mymaster'])) as unknown[]).length).toBe(2);
  });

  it('ckquorum counts reachable sidecars', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const c = await client(port);
    expect(await c.command(['SENTINEL', 'ckquorum', 'mymaster'])).toBe('OK 3 usable Sentinels. Quorum and failover authorization can be reached');
    view.peer('n2').up = false;
    expect(await c.command(['SENTINEL', 'CKQUORUM', 'mymaster'])).toBe('OK 2 usable Sentinels. Quorum and failover authorization can be reached');
    view.peer('n3').up = false;
    expect(await rejects(c.command(['SENTINEL', 'ckquorum', 'mymaster']))).toMatch(/^NOQUORUM 1 usable Sentinels\. Not enough available Sentinels/);
  });

  it('quorum, ckquorum and INFO count the voters of the configuration in use, never learners', async () => {
    const view = new FakeView({
      members: [
        { id: 'n1', redis: { host: '10.0.0.1', port: 6379 } },
        { id: 'n2', redis: { host: '10.0.0.2', port: 6379 } },
        { id: 'n3', redis: { host: '10.0.0.3', port: 6379 } },
        { id: 'n4', redis: { host: '10.0.0.4', port: 6379 } },
        { id: 'n5', redis: { host: '10.0.0.5', port: 6379 } },
      ],
    });
    // n4 and n5 were just added: learners, so 3 voters and a quorum of 2 (5 members would need 3).
    view.setConfigMembers(view.snap.config.members.map((m) => (m.id === 'n4' || m.id === 'n5' ? { ...m, kind: 'learner' as const } : m)));
    for (const id of ['n4', 'n5']) view.peer(id).learner = true;
    const { port } = await startAdmin(view);
    const c = await client(port);
    const info = parseElectionInfo(String(await c.command(['INFO', 'election'])));
    expect(info).toMatchObject({ quorum: 2, configVersion: 3, configEpoch: 3, voters: 3, learners: 2, reachable: 5, reachableVoters: 3 });
    expect(info.members.map((m) => `${m.id}:${m.kind}`)).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner', 'n5:learner']);
    // Two voters down: the learners that are up do not make a majority.
    view.peer('n2').up = false;
    view.peer('n3').up = false;
    expect(await rejects(c.command(['SENTINEL', 'ckquorum', 'mymaster']))).toMatch(/^NOQUORUM 1 usable Sentinels/);
    const down = parseElectionInfo(String(await c.command(['INFO', 'election'])));
    expect(down).toMatchObject({ reachable: 3, reachableVoters: 1, quorum: 2 });
  });

  it('failover: completes, is refused, runs long, is already in progress', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view, { failoverReplyWaitMs: 150 });
    const c = await client(port);
    expect(await c.command(['SENTINEL', 'failover', 'mymaster'])).toBe('OK');
    expect(view.switchoverCalls).toEqual([undefined]);
    expect(view.primary()?.id).toBe('n2');

    view.switchoverImpl = async () => {
      throw new Error('hand-off refused: this primary holds no lease');
    };
    expect(await rejects(c.command(['SENTINEL', 'failover', 'mymaster', 'TO', 'n1']))).toBe('ERR hand-off refused: this primary holds no lease');
    expect(view.switchoverCalls.at(-1)).toBe('n1');
    // A target may be named by its redis address too.
    await rejects(c.command(['SENTINEL', 'failover', 'mymaster', 'to', '10.0.0.2:6379']));
    expect(view.switchoverCalls.at(-1)).toBe('n2');
    expect(await rejects(c.command(['SENTINEL', 'failover', 'nope']))).toBe('ERR No such master with that name');
    expect(await rejects(c.command(['SENTINEL', 'failover', 'mymaster', 'AT', 'n1']))).toMatch(/syntax error/);

    let finish!: () => void;
    view.switchoverImpl = () => new Promise((resolve) => (finish = () => resolve({ from: 'n2', to: 'n1', epoch: 5, tookMs: 300 })));
    const started = Date.now();
    expect(await c.command(['SENTINEL', 'failover', 'mymaster'])).toBe('OK');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const other = await client(port);
    expect(await rejects(other.command(['SENTINEL', 'failover', 'mymaster']))).toBe('INPROG Failover already in progress');
    finish();
    await new Promise((r) => setTimeout(r, 10));
    view.switchoverImpl = async () => ({ from: 'n1', to: 'n2', epoch: 6, tookMs: 1 });
    expect(await other.command(['SENTINEL', 'failover', 'mymaster'])).toBe('OK');
  });

  it('commands behind a pending failover wait their turn', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view, { failoverReplyWaitMs: 100 });
    view.switchoverImpl = () => new Promise(() => {});
    const conn = await raw(port);
    conn.send('*3\r\n$8\r\nSENTINEL\r\n$8\r\nfailover\r\n$8\r\nmymaster\r\n*1\r\n$4\r\nPING\r\n');
    await conn.waitFor('+PONG\r\n');
    expect(conn.received()).toBe('+OK\r\n+PONG\r\n');
  });
});

describe('authentication', () => {
  it('without a password: AUTH is an error like redis', async () => {
    const { port } = await startAdmin(new FakeView());
    const c = await client(port);
    expect(await rejects(c.command(['AUTH', 'x']))).toBe(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
    expect(await c.command(['AUTH', 'default', 'x'])).toBe('OK');
    expect(await rejects(c.command(['AUTH', 'bob', 'x']))).toMatch(/^WRONGPASS/);
  });

  it('with a password: NOAUTH until AUTH, WRONGPASS for a wrong one', async () => {
    const view = new FakeView({ clientPassword: 's3cret' });
    // The replies, not the throttling (test/admin/client-limits.test.ts): no pause, no disconnect.
    const { port } = await startAdmin(view, { authFailureDelayMs: 0, maxAuthFailures: 0 });
    const c = await client(port);
    expect(await rejects(c.command(['PING']))).toBe('NOAUTH Authentication required.');
    expect(await rejects(c.command(['SENTINEL', 'get-master-addr-by-name', 'mymaster']))).toBe('NOAUTH Authentication required.');
    expect(await rejects(c.command(['HELLO', '2']))).toMatch(/^NOAUTH HELLO must be called/);
    expect(await rejects(c.command(['HELLO', '4', 'AUTH', 'default', 's3cret']))).toMatch(/^NOPROTO/);
    expect(await rejects(c.command(['HELLO', '3', 'AUTH', 'default', 'wrong']))).toMatch(/^WRONGPASS/);
    expect(await rejects(c.command(['AUTH', 'wrong']))).toBe('WRONGPASS invalid username-password pair or user is disabled.');
    expect(await rejects(c.command(['AUTH', 's3cret-and-more']))).toMatch(/^WRONGPASS/);
    expect(await rejects(c.command(['AUTH', 'bob', 's3cret']))).toMatch(/^WRONGPASS/);
    expect(await c.command(['AUTH', 's3cret'])).toBe('OK');
    expect(await c.command(['PING'])).toBe('PONG');

    const d = await client(port);
    expect(pack(await d.command(['HELLO', '2', 'AUTH', 'default', 's3cret']))['proto']).toBe(2);
    expect(await d.command(['SENTINEL', 'myid'])).toBe('n1');
    expect(await d.command(['RESET'])).toBe('RESET');
    expect(await rejects(d.command(['PING']))).toBe('NOAUTH Authentication required.');

    const e = await client(port, 's3cret');
    expect(await e.command(['ROLE'])).toEqual(['sentinel', ['mymaster']]);
  });
});

describe('hostile input', () => {
  async function expectClosedWith(port: number, payload: string | Buffer, error: RegExp): Promise<void> {
    const conn = await raw(port);
    conn.send(payload);
    await withTimeout(conn.closed, 3000, 'server closes the connection');
    expect(conn.received()).toMatch(error);
  }

  it('malformed requests get an error and a closed connection; others are unaffected', async () => {
    const { port } = await startAdmin(new FakeView());
    const bystander = await client(port);
    await expectClosedWith(port, '*abc\r\n', /^-ERR Protocol error: invalid multibulk length\r\n$/);
    await expectClosedWith(port, '*1\r\n:5\r\n', /^-ERR Protocol error: expected '\$', got ':'\r\n$/);
    await expectClosedWith(port, '*1\r\n$4\r\nPINGxx', /^-ERR Protocol error: bulk string not followed by CRLF\r\n$/);
    await expectClosedWith(port, 'PING "unbalanced\r\n', /^-ERR Protocol error: unbalanced quotes in request\r\n$/);
    await expectClosedWith(port, '*99999999\r\n', /^-ERR Protocol error: invalid multibulk length/);
    await expectClosedWith(port, '*1\r\n$12345678901234567890\r\n', /^-ERR Protocol error: invalid bulk length/);
    // Binary garbage without a newline grows into an oversized inline request.
    await expectClosedWith(port, Buffer.alloc(70 * 1024, 0xff), /^-ERR Protocol error: too big inline request\r\n$/);
    expect(await bystander.command(['PING'])).toBe('PONG');
  });

  it('a 2 GB bulk header is refused at once, not waited for', async () => {
    const { port } = await startAdmin(new FakeView());
    const started = Date.now();
    await expectClosedWith(port, '*1\r\n$2147483648\r\n', /^-ERR Protocol error: invalid bulk length\r\n$/);
    expect(Date.now() - started).toBeLessThan(1000);
    // Just over the request limit is refused too, before the data arrives.
    await expectClosedWith(port, `*2\r\n$8\r\nSENTINEL\r\n$${64 * 1024}\r\n`, /request larger than 65536 bytes/);
    const c = await client(port);
    expect(await c.command(['PING'])).toBe('PONG');
  });

  it('garbage inline bytes are an unknown command, not a crash', async () => {
    const { port } = await startAdmin(new FakeView());
    const conn = await raw(port);
    conn.send(Buffer.from([0x00, 0x01, 0xfe, 0x0d, 0x0a]));
    await conn.waitFor('\r\n');
    expect(conn.received()).toMatch(/^-ERR unknown command '/);
    conn.send('PING\r\n');
    await conn.waitFor('+PONG\r\n');
  });

  it('close() drops every client and refuses new ones', async () => {
    const { port, handler } = await startAdmin(new FakeView());
    const conn = await raw(port);
    conn.send('PING\r\n');
    await conn.waitFor('+PONG');
    expect(handler.connections).toBe(1);
    handler.close();
    await withTimeout(conn.closed, 2000, 'connection closed by close()');
    const late = await raw(port);
    late.send('PING\r\n');
    await withTimeout(late.closed, 2000, 'late connection refused');
    expect(late.received()).toBe('');
  });
});

describe('pub/sub', () => {
  it('SUBSCRIBE, PSUBSCRIBE, PING and restrictions in subscribed mode', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const conn = await raw(port);
    conn.send('SUBSCRIBE +switch-master +sdown\r\n');
    await conn.waitFor('$6\r\n+sdown\r\n:2\r\n');
    expect(conn.received()).toBe('*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$6\r\n+sdown\r\n:2\r\n');
    conn.send('PING\r\nINFO\r\nPSUBSCRIBE [-+]odown\r\n');
    await conn.waitFor(':3\r\n');
    expect(conn.received()).toContain('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(conn.received()).toContain("-ERR Can't execute 'info': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
    expect(conn.received()).toContain('*3\r\n$10\r\npsubscribe\r\n$9\r\n[-+]odown\r\n:3\r\n');

    const before = conn.received().length;
    view.setPrimary('n2', 4);
    await conn.waitFor('10.0.0.2 6379\r\n');
    expect(conn.received().slice(before)).toBe('*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n$36\r\nmymaster 10.0.0.1 6379 10.0.0.2 6379\r\n');

    const mark = conn.received().length;
    view.emitElector({ type: 'primary-lost', primary: 'n2', epoch: 4, reason: 'gone' });
    await conn.waitFor('#quorum');
    const tail = conn.received().slice(mark);
    expect(tail).toContain('*3\r\n$7\r\nmessage\r\n$6\r\n+sdown\r\n$29\r\nmaster mymaster 10.0.0.2 6379\r\n');
    expect(tail).toContain('*4\r\n$8\r\npmessage\r\n$9\r\n[-+]odown\r\n$6\r\n+odown\r\n$41\r\nmaster mymaster 10.0.0.2 6379 #quorum 3/2\r\n');

    conn.send('UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nPING\r\n');
    await conn.waitFor('+PONG\r\n');
    expect(conn.received()).toContain('*3\r\n$12\r\npunsubscribe\r\n$9\r\n[-+]odown\r\n:0\r\n');
  });

  it('publishes a failover in Sentinel format', async () => {
    const view = new FakeView({ self: 'n2' });
    const { port } = await startAdmin(view);
    const conn = await raw(port);
    conn.send('PSUBSCRIBE *\r\n');
    await conn.waitFor(':1\r\n');
    const messages: Array<[string, string]> = [];
    const parse = () => {
      messages.length = 0;
      const re = /\*4\r\n\$8\r\npmessage\r\n\$1\r\n\*\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n([^\r]*)\r\n/g;
      for (const m of conn.received().matchAll(re)) messages.push([m[1]!, m[2]!]);
      return messages;
    };
    view.snap.peers.find((p) => p.id === 'n1')!.up = false;
    view.emitElector({ type: 'peer', id: 'n1', up: false });
    view.emitElector({ type: 'primary-lost', primary: 'n1', epoch: 3, reason: 'not heard' });
    view.emitElector({ type: 'epoch', from: 3, to: 4, reason: 'stood' });
    view.emitElector({ type: 'election-start', epoch: 4, offset: 1000, handoff: false });
    view.emitElector({ type: 'elected', epoch: 4, votes: ['n2', 'n3'] });
    view.setPrimary('n2', 4);
    view.emitElector({ type: 'role', from: 'candidate', to: 'primary', epoch: 4, reason: 'won' });
    view.emitElector({ type: 'peer', id: 'n1', up: true });
    await conn.waitFor('-sdown');
    expect(parse()).toEqual([
      ['+sdown', 'master mymaster 10.0.0.1 6379'],
      ['+odown', 'master mymaster 10.0.0.1 6379 #quorum 2/2'],
      ['+new-epoch', '4'],
      ['+try-failover', 'master mymaster 10.0.0.1 6379'],
      ['+elected-leader', 'master mymaster 10.0.0.1 6379'],
      ['+switch-master', 'mymaster 10.0.0.1 6379 10.0.0.2 6379'],
      ['+slave', 'slave 10.0.0.1:6379 10.0.0.1 6379 @ mymaster 10.0.0.2 6379'],
      ['+promoted-slave', 'slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379'],
      ['+failover-end', 'master mymaster 10.0.0.1 6379'],
      ['-sdown', 'slave 10.0.0.1:6379 10.0.0.1 6379 @ mymaster 10.0.0.2 6379'],
    ]);
  });

  it('a witness going down is a sentinel +sdown; redis reachability is the own instance', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const conn = await raw(port);
    conn.send('PSUBSCRIBE [+-]sdown\r\n');
    await conn.waitFor(':1\r\n');
    view.emitElector({ type: 'peer', id: 'n3', up: false });
    view.events.emit('redis-health', { reachable: true, healthy: true });
    view.events.emit('redis-health', { reachable: false, healthy: false, unhealthyReason: 'unreachable' });
    await conn.waitFor('master mymaster 10.0.0.1 6379\r\n');
    expect(conn.received()).toContain('sentinel n3 10.0.0.3 26379 @ mymaster 10.0.0.1 6379\r\n');
  });

  it('a listener never throws into the sidecar, even with a broken view', async () => {
    const view = new FakeView();
    const { port, logs } = await startAdmin(view);
    const conn = await raw(port);
    conn.send('PSUBSCRIBE *\r\n');
    await conn.waitFor(':1\r\n');
    view.primary = () => {
      throw new Error('boom');
    };
    expect(() => view.emitElector({ type: 'peer', id: 'n2', up: false })).not.toThrow();
    expect(logs.some((l) => l.includes('boom'))).toBe(true);
  });

  it('a subscriber that stops reading is disconnected at the output limit', async () => {
    const view = new FakeView();
    const { port, logs } = await startAdmin(view, { maxBufferedBytes: 64 * 1024 });
    const conn = await raw(port);
    conn.send('SUBSCRIBE +new-epoch\r\n');
    await conn.waitFor(':1\r\n');
    conn.socket.pause();
    for (let i = 0; i < 200_000 && !conn.socket.destroyed && logs.every((l) => !l.includes('unread')); i++) {
      view.emitElector({ type: 'epoch', from: i, to: i + 1, reason: 'x'.repeat(10) });
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(logs.some((l) => l.includes('unread'))).toBe(true);
    conn.socket.resume();
    await withTimeout(conn.closed, 3000, 'slow subscriber disconnected');
  });
});
