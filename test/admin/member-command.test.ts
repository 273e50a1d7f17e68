// MEMBER LIST / ADD / REMOVE / FORCE on the client port, against a fake view on a real TCP server.
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigReply } from '../../src/admin/member-reply.js';
import { ServerReplyError } from '../../src/admin/resp-client.js';
import { closeAll, client, raw, startAdmin } from './admin-harness.js';
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

describe('MEMBER', () => {
  it('LIST shows the configuration held: version, voters, learners, quorum, each member and whether it is heard', async () => {
    const view = new FakeView();
    view.peer('n3').up = false;
    const { port } = await startAdmin(view);
    const c = await client(port);
    const reply = await c.command(['MEMBER', 'LIST']);
    // RESP2: Sentinel's flat field/value array, members nested the same way.
    expect((reply as unknown[]).slice(0, 4)).toEqual(['version', '2', 'epoch', '1']);
    const cfg = parseConfigReply(reply);
    expect(cfg).toMatchObject({ version: 2, epoch: 1, quorum: 2, voters: ['n1', 'n2', 'n3'], learners: [], committed: true, agreed: true, removed: false, conflict: null, answeredBy: 'n1' });
    expect(cfg.members).toEqual([
      { id: 'n1', kind: 'voter', priority: 1, peer: '10.0.0.1:26379', redis: '10.0.0.1:6379', up: true },
      { id: 'n2', kind: 'voter', priority: 1, peer: '10.0.0.2:26379', redis: '10.0.0.2:6379', up: true },
      { id: 'n3', kind: 'witness', priority: 1, peer: '10.0.0.3:26379', up: false },
    ]);
    expect(await rejects(c.command(['MEMBER', 'LIST', 'extra']))).toBe("ERR wrong number of arguments for 'member|list' command");
  });

  it('on a replica, committed is unknown (only the primary counts who holds it)', async () => {
    const view = new FakeView({ self: 'n2' });
    const { port } = await startAdmin(view);
    const cfg = parseConfigReply(await (await client(port)).command(['MEMBER', 'list']));
    expect(cfg.committed).toBeNull();
    expect(cfg.answeredBy).toBe('n2');
  });

  it('ADD answers with the configuration the change made, once it is committed', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const c = await client(port);
    let commit!: () => void;
    view.memberChangeImpl = () => {
      const made = view.setConfigMembers([...view.snap.config.members, { id: 'n4', kind: 'learner', priority: 1, peer: '10.0.0.4:26379', redis: '10.0.0.4:6379' }]);
      return new Promise((resolve) => (commit = () => resolve(made)));
    };
    const pending = c.command(['MEMBER', 'ADD', 'n4=10.0.0.4:26379,redis=10.0.0.4:6379', 'TIMEOUT', '9000']);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(view.memberChangeCalls).toEqual([{ change: { kind: 'add', spec: 'n4=10.0.0.4:26379,redis=10.0.0.4:6379' }, timeoutMs: 9000 }]);
    // The learner is promoted before the reply is written: the reply is still the change's own configuration.
    view.setConfigMembers(view.snap.config.members.map((m) => (m.id === 'n4' ? { ...m, kind: 'voter' as const } : m)));
    commit();
    const cfg = parseConfigReply(await pending);
    expect(cfg).toMatchObject({ version: 3, voters: ['n1', 'n2', 'n3'], learners: ['n4'], quorum: 2 });
    expect(cfg.members.find((m) => m.id === 'n4')).toMatchObject({ kind: 'learner', peer: '10.0.0.4:26379', redis: '10.0.0.4:6379' });
  });

  it('on a replica, a forwarded change is answered as committed: the primary said so', async () => {
    const view = new FakeView({ self: 'n2' });
    view.memberChangeImpl = async () => ({ ...view.setConfigMembers(view.snap.config.members.filter((m) => m.id !== 'n3')), committed: null });
    const { port } = await startAdmin(view);
    const cfg = parseConfigReply(await (await client(port)).command(['MEMBER', 'REMOVE', 'n3']));
    expect(cfg).toMatchObject({ committed: true, voters: ['n1', 'n2'], answeredBy: 'n2' });
  });

  it('ADD and REMOVE refusals are -ERR with the reason', async () => {
    const view = new FakeView();
    const { port, logs } = await startAdmin(view);
    const c = await client(port);
    expect(await rejects(c.command(['MEMBER', 'ADD', 'n2=10.0.0.9:26379,redis=10.0.0.9:6379']))).toBe('ERR member id n2 is taken');
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n9']))).toBe('ERR n9 is not a member');
    view.memberChangeImpl = async () => {
      throw new Error('a change is already in flight: version 3 is not committed yet\r\n(retry)');
    };
    expect(await rejects(c.command(['MEMBER', 'remove', 'n2']))).toBe('ERR a change is already in flight: version 3 is not committed yet (retry)');
    // A view that throws instead of rejecting is answered the same.
    view.memberChangeImpl = () => {
      throw new Error('no primary is known right now');
    };
    expect(await rejects(c.command(['MEMBER', 'ADD', 'n4=10.0.0.4:26379,redis=10.0.0.4:6379']))).toBe('ERR no primary is known right now');
    expect(logs.some((l) => l.startsWith('warn: member remove n2 failed: a change is already in flight'))).toBe(true);
    expect(logs.some((l) => /^info: member add n4=.* asked by client 127\.0\.0\.1:\d+$/.test(l))).toBe(true);
  });

  it('RETRY, before or after TIMEOUT, asks the view for the change again (made already is not a refusal)', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const c = await client(port);
    await c.command(['MEMBER', 'REMOVE', 'n3', 'TIMEOUT', '4000', 'RETRY']);
    await c.command(['MEMBER', 'REMOVE', 'n2', 'retry', 'timeout', '5000']);
    await c.command(['MEMBER', 'ADD', 'n4=10.0.0.4:26379,redis=10.0.0.4:6379', 'RETRY']);
    expect(view.memberChangeCalls).toEqual([
      { change: { kind: 'remove', id: 'n3', again: true }, timeoutMs: 4000 },
      { change: { kind: 'remove', id: 'n2', again: true }, timeoutMs: 5000 },
      { change: { kind: 'add', spec: 'n4=10.0.0.4:26379,redis=10.0.0.4:6379', again: true }, timeoutMs: undefined },
    ]);
  });

  it('bad arguments are refused before the view is asked', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const c = await client(port);
    expect(await rejects(c.command(['MEMBER']))).toBe("ERR wrong number of arguments for 'member' command");
    expect(await rejects(c.command(['MEMBER', 'ADD']))).toBe("ERR wrong number of arguments for 'member|add' command");
    expect(await rejects(c.command(['MEMBER', 'ADD', '']))).toMatch(/^ERR MEMBER ADD needs a member spec/);
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'TIMEOUT']))).toBe("ERR wrong number of arguments for 'member|remove' command");
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'WAIT', '5']))).toMatch(/^ERR syntax error: expected TIMEOUT/);
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'RETRY', 'RETRY']))).toMatch(/^ERR syntax error: expected TIMEOUT <milliseconds> and\/or RETRY/);
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'RETRY', 'TIMEOUT', '5', 'RETRY']))).toMatch(/^ERR wrong number of arguments/);
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'TIMEOUT', '5', 'TIMEOUT']))).toMatch(/^ERR wrong number of arguments/);
    expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'TIMEOUT', '5', 'WAIT']))).toMatch(/^ERR syntax error/);
    for (const bad of ['0', '-1', 'abc', '600001', '1e3']) {
      expect(await rejects(c.command(['MEMBER', 'REMOVE', 'n2', 'TIMEOUT', bad]))).toMatch(/^ERR TIMEOUT must be 1-600000 milliseconds/);
    }
    expect(await rejects(c.command(['MEMBER', 'DROP', 'n2']))).toBe("ERR unknown subcommand 'DROP'. Try MEMBER HELP.");
    expect(view.memberChangeCalls).toEqual([]);
    const help = (await c.command(['MEMBER', 'HELP'])) as string[];
    expect(help.some((l) => l.startsWith('FORCE <id,id,...> YES-I-UNDERSTAND-DATA-LOSS'))).toBe(true);
  });

  it('FORCE refuses without the confirmation word and says what may be lost', async () => {
    const view = new FakeView();
    const { port, logs } = await startAdmin(view);
    const c = await client(port);
    for (const args of [['n1,n2'], ['n1,n2', 'yes'], ['n1,n2', 'yes-i-understand-data-loss']]) {
      expect(await rejects(c.command(['MEMBER', 'FORCE', ...args]))).toMatch(
        /^ERR MEMBER FORCE makes a configuration without a quorum: writes that only the dropped members acknowledged may be lost.*YES-I-UNDERSTAND-DATA-LOSS/,
      );
    }
    expect(await rejects(c.command(['MEMBER', 'FORCE', 'n1,,n2', 'YES-I-UNDERSTAND-DATA-LOSS']))).toMatch(/comma-separated list of member ids/);
    expect(await rejects(c.command(['MEMBER', 'FORCE', 'n1,n1', 'YES-I-UNDERSTAND-DATA-LOSS']))).toBe('ERR MEMBER FORCE: n1 is named twice');
    expect(view.forceConfigCalls).toEqual([]);
    expect(await rejects(c.command(['MEMBER', 'FORCE', 'n2', 'YES-I-UNDERSTAND-DATA-LOSS']))).toBe('ERR the list must include this node (n1)');
    const cfg = parseConfigReply(await c.command(['MEMBER', 'FORCE', 'n1,n3', 'YES-I-UNDERSTAND-DATA-LOSS']));
    expect(view.forceConfigCalls.at(-1)).toEqual(['n1', 'n3']);
    expect(cfg).toMatchObject({ version: 4, voters: ['n1', 'n3'], quorum: 2 });
    expect(logs.some((l) => /^warn: member force n1,n3 asked by client 127\.0\.0\.1:\d+$/.test(l))).toBe(true);
  });

  it('needs the client password like every other command', async () => {
    const view = new FakeView({ clientPassword: 'pw' });
    const { port } = await startAdmin(view);
    const conn = await raw(port);
    conn.send('*2\r\n$6\r\nMEMBER\r\n$4\r\nLIST\r\n');
    await conn.waitFor('\r\n');
    expect(conn.received()).toMatch(/^-NOAUTH /);
    const c = await client(port, 'pw');
    expect(parseConfigReply(await c.command(['MEMBER', 'LIST'])).version).toBe(2);
  });
});
