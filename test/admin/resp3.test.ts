// RESP3 on the Sentinel-compatible port, byte for byte. node-redis 6 and
// ioredis 6 open every connection with HELLO 3 and read maps and pushes from
// then on; the expected bytes below are the shapes redis-sentinel 7.0 sends
// for the same commands (recorded with a raw socket against it).
import { afterEach, describe, expect, it } from 'vitest';
import { REDIS_VERSION } from '../../src/admin/info.js';
import { encodeReply, MapReply, NullArray, PushReply, VerbatimText } from '../../src/admin/resp.js';
import { closeAll, raw, startAdmin, type RawConn } from './admin-harness.js';
import { FakeView } from './fake-view.js';

afterEach(closeAll);

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** Sends `line` and returns exactly what arrives for it: the new bytes, once they end with `until`. */
async function ask(conn: RawConn, line: string, until: string): Promise<string> {
  const before = conn.received().length;
  conn.send(`${line}\r\n`);
  const all = await conn.waitFor(new RegExp(`^[\\s\\S]{${before}}[\\s\\S]*${escape(until)}$`));
  return all.slice(before);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function resp3(view = new FakeView()): Promise<{ conn: RawConn; view: FakeView }> {
  const { port } = await startAdmin(view);
  const conn = await raw(port);
  const hello = await ask(conn, 'HELLO 3', `${bulk('modules')}*0\r\n`);
  expect(hello).toMatch(
    new RegExp(
      `^%6\\r\\n${escape(bulk('server') + bulk('redis') + bulk('version') + bulk(REDIS_VERSION) + bulk('proto'))}:3\\r\\n${escape(bulk('id'))}:\\d+\\r\\n${escape(bulk('mode') + bulk('sentinel') + bulk('modules'))}\\*0\\r\\n$`,
    ),
  );
  return { conn, view };
}

describe('the reply encoder', () => {
  it('maps, pushes, nulls and verbatim text in RESP2 and RESP3', () => {
    const map = new MapReply([
      ['a', '1'],
      ['b', 2],
    ]);
    expect(encodeReply(map, 3).toString()).toBe(`%2\r\n${bulk('a')}${bulk('1')}${bulk('b')}:2\r\n`);
    expect(encodeReply(map, 2).toString()).toBe(`*4\r\n${bulk('a')}${bulk('1')}${bulk('b')}:2\r\n`);
    const push = new PushReply(['message', 'ch', 'x']);
    expect(encodeReply(push, 3).toString()).toBe(`>3\r\n${bulk('message')}${bulk('ch')}${bulk('x')}`);
    expect(encodeReply(push, 2).toString()).toBe(`*3\r\n${bulk('message')}${bulk('ch')}${bulk('x')}`);
    expect(encodeReply(null, 3).toString()).toBe('_\r\n');
    expect(encodeReply(NullArray.instance, 3).toString()).toBe('_\r\n');
    expect(encodeReply(null, 2).toString()).toBe('$-1\r\n');
    expect(encodeReply(NullArray.instance, 2).toString()).toBe('*-1\r\n');
    expect(encodeReply(new VerbatimText('id=1 é\n'), 3).toString()).toBe('=12\r\ntxt:id=1 é\n\r\n');
    expect(encodeReply(new VerbatimText('id=1\n'), 2).toString()).toBe('$5\r\nid=1\n\r\n');
    // Nested: an array of maps, as SENTINEL MASTERS.
    expect(encodeReply([map], 3).toString()).toBe(`*1\r\n%2\r\n${bulk('a')}${bulk('1')}${bulk('b')}:2\r\n`);
  });
});

describe('RESP3 after HELLO 3', () => {
  it('SENTINEL MASTER is a map and MASTERS/REPLICAS/SENTINELS arrays of maps, with the same fields as in RESP2', async () => {
    const { conn } = await resp3();
    const master = await ask(conn, 'SENTINEL MASTER mymaster', `${bulk('node-id')}${bulk('n1')}`);
    expect(master).toMatch(/^%21\r\n/);
    expect(master).toContain(bulk('name') + bulk('mymaster') + bulk('ip') + bulk('10.0.0.1') + bulk('port') + bulk('6379'));
    expect(master).toContain(bulk('flags') + bulk('master'));
    // Numbers are bulk strings, as Sentinel sends them in both protocols.
    expect(master).toContain(bulk('config-epoch') + bulk('3'));

    const masters = await ask(conn, 'SENTINEL MASTERS', `${bulk('node-id')}${bulk('n1')}`);
    expect(masters).toBe(`*1\r\n${master}`);

    const replicas = await ask(conn, 'SENTINEL REPLICAS mymaster', `${bulk('node-id')}${bulk('n2')}`);
    expect(replicas).toMatch(/^\*1\r\n%\d+\r\n/);
    expect(replicas).toContain(bulk('flags') + bulk('slave'));

    const sentinels = await ask(conn, 'SENTINEL SENTINELS mymaster', `${bulk('node-id')}${bulk('n3')}`);
    expect(sentinels).toMatch(/^\*2\r\n%\d+\r\n/);
    expect(sentinels.match(/%\d+\r\n/g)).toHaveLength(2);

    expect(await ask(conn, 'SENTINEL GET-MASTER-ADDR-BY-NAME mymaster', bulk('6379'))).toBe(`*2\r\n${bulk('10.0.0.1')}${bulk('6379')}`);
  });

  it('nulls are _, CLIENT INFO is verbatim text, HELLO without a version keeps RESP3, RESET goes back to RESP2', async () => {
    const { conn } = await resp3();
    expect(await ask(conn, 'SENTINEL GET-MASTER-ADDR-BY-NAME other', '\r\n')).toBe('_\r\n');
    expect(await ask(conn, 'CLIENT GETNAME', '\r\n')).toBe('_\r\n');
    expect(await ask(conn, 'CLIENT INFO', 'resp=3\n\r\n')).toMatch(/^=\d+\r\ntxt:id=\d+ addr=\S+ .* resp=3\n\r\n$/);
    expect(await ask(conn, 'COMMAND DOCS', '\r\n')).toBe('%0\r\n');
    expect(await ask(conn, 'HELLO', `${bulk('modules')}*0\r\n`)).toMatch(/^%6\r\n.*:3\r\n/s);
    // Errors and simple strings are the same in both protocols.
    expect(await ask(conn, 'SENTINEL MASTER nope', '\r\n')).toBe('-ERR No such master with that name\r\n');
    expect(await ask(conn, 'PING', '\r\n')).toBe('+PONG\r\n');

    expect(await ask(conn, 'RESET', '\r\n')).toBe('+RESET\r\n');
    expect(await ask(conn, 'CLIENT GETNAME', '\r\n')).toBe('$-1\r\n');
    expect(await ask(conn, 'SENTINEL MASTER mymaster', `${bulk('node-id')}${bulk('n1')}`)).toMatch(/^\*42\r\n/);
  });

  it('HELLO 2 on a RESP3 connection goes back to RESP2 and says so in RESP2', async () => {
    const { conn } = await resp3();
    expect(await ask(conn, 'HELLO 2', `${bulk('modules')}*0\r\n`)).toMatch(/^\*12\r\n.*:2\r\n/s);
    expect(await ask(conn, 'CLIENT GETNAME', '\r\n')).toBe('$-1\r\n');
  });

  it('pub/sub: confirmations and messages are pushes, and other commands still run while subscribed', async () => {
    const { conn, view } = await resp3();
    expect(await ask(conn, 'PSUBSCRIBE *', ':1\r\n')).toBe(`>3\r\n${bulk('psubscribe')}${bulk('*')}:1\r\n`);
    expect(await ask(conn, 'SUBSCRIBE +switch-master', ':2\r\n')).toBe(`>3\r\n${bulk('subscribe')}${bulk('+switch-master')}:2\r\n`);
    // No restricted subscribed mode in RESP3 (node-redis 6 asks its sentinel for more on the same connection).
    expect(await ask(conn, 'PING', '\r\n')).toBe('+PONG\r\n');
    expect(await ask(conn, 'SENTINEL GET-MASTER-ADDR-BY-NAME mymaster', bulk('6379'))).toBe(`*2\r\n${bulk('10.0.0.1')}${bulk('6379')}`);

    const before = conn.received().length;
    view.setPrimary('n2', 4);
    await conn.waitFor('mymaster 10.0.0.1 6379 10.0.0.2 6379\r\n');
    const switchMaster = bulk('+switch-master') + bulk('mymaster 10.0.0.1 6379 10.0.0.2 6379');
    const got = conn.received().slice(before);
    expect(got).toContain(`>3\r\n${bulk('message')}${switchMaster}`);
    expect(got).toContain(`>4\r\n${bulk('pmessage')}${bulk('*')}${switchMaster}`);
    expect(got).not.toMatch(/\*[34]\r\n\$[78]\r\np?message/);

    expect(await ask(conn, 'UNSUBSCRIBE', ':1\r\n')).toBe(`>3\r\n${bulk('unsubscribe')}${bulk('+switch-master')}:1\r\n`);
  });

  it('one publish reaches a RESP2 and a RESP3 subscriber, each in its own protocol', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const two = await raw(port);
    two.send('SUBSCRIBE +switch-master\r\n');
    await two.waitFor(':1\r\n');
    const three = await raw(port);
    three.send('HELLO 3\r\nSUBSCRIBE +switch-master\r\n');
    await three.waitFor(':1\r\n');
    const [b2, b3] = [two.received().length, three.received().length];
    view.setPrimary('n2', 4);
    const message = bulk('message') + bulk('+switch-master') + bulk('mymaster 10.0.0.1 6379 10.0.0.2 6379');
    await two.waitFor('10.0.0.2 6379\r\n');
    await three.waitFor('10.0.0.2 6379\r\n');
    expect(two.received().slice(b2)).toBe(`*3\r\n${message}`);
    expect(three.received().slice(b3)).toBe(`>3\r\n${message}`);
  });
});
