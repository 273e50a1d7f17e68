// `resp-elect member add|remove|list|force` against the admin API of a fake view (the real-process
// procedure is test/membership/).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/cli.js';
import { runMember } from '../../src/cli/member-command.js';
import { closeAll, startAdmin } from '../admin/admin-harness.js';
import { FakeView } from '../admin/fake-view.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

function collector(): { write: (t: string) => void; text: () => string } {
  let out = '';
  return { write: (t) => (out += t), text: () => out };
}

describe('resp-elect member', () => {
  it('list prints the version, the quorum and every member with its kind', async () => {
    const view = new FakeView();
    view.peer('n3').up = false;
    const { port } = await startAdmin(view);
    const out = collector();
    const cfg = await runMember({ kind: 'list' }, { sidecar: `127.0.0.1:${port}` }, out.write);
    expect(cfg.version).toBe(2);
    const lines = out.text().split('\n');
    expect(lines[0]).toBe('configuration version 2 (epoch 1), committed');
    expect(lines[1]).toBe('3 voters (quorum 2), 0 learners; as held by n1');
    const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))!.split(/\s{2,}/);
    expect(lines.find((l) => l.startsWith('ID'))!.split(/\s{2,}/)).toEqual(['ID', 'KIND', 'PRIORITY', 'SIDECAR', 'REDIS', 'HEARD']);
    expect(row('n1 *')).toEqual(['n1 *', 'voter', '1', '10.0.0.1:26379', '10.0.0.1:6379', 'this sidecar']);
    expect(row('n3')).toEqual(['n3', 'witness', '1', '10.0.0.3:26379', '-', 'NO']);
  });

  it('add sends the spec with the wait, and prints the configuration it made', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const out = collector();
    const cfg = await runMember({ kind: 'add', spec: 'n4=10.0.0.4:26379,redis=10.0.0.4:6379,priority=3' }, { sidecar: `127.0.0.1:${port}`, waitMs: 12_000 }, out.write);
    expect(view.memberChangeCalls).toEqual([{ change: { kind: 'add', spec: 'n4=10.0.0.4:26379,redis=10.0.0.4:6379,priority=3' }, timeoutMs: 12_000 }]);
    expect(cfg).toMatchObject({ version: 3, learners: ['n4'] });
    expect(out.text()).toMatch(/^added n4 as a learner \(the primary promotes it to voter once its redis caught up\); start its sidecar with --join/);
    expect(out.text()).toContain('3 voters (quorum 2), 1 learner;');
    expect(out.text()).toMatch(/\nn4 +learner +3 +10\.0\.0\.4:26379 +10\.0\.0\.4:6379 +NO\n/);
  });

  it('remove prints the new configuration; --json is the parsed reply', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const out = collector();
    await runMember({ kind: 'remove', id: 'n2' }, { sidecar: `127.0.0.1:${port}`, json: true }, out.write);
    const json = JSON.parse(out.text()) as { version: number; voters: string[]; members: Array<{ id: string }> };
    expect(json.version).toBe(3);
    expect(json.voters).toEqual(['n1', 'n3']);
    expect(json.members.map((m) => m.id)).toEqual(['n1', 'n3']);
  });

  it('fails with the reason: refused by the sidecar, a bad spec (before asking), no confirmation for force', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const sidecar = `127.0.0.1:${port}`;
    await expect(runMember({ kind: 'add', spec: 'n2=10.0.0.9:26379,redis=10.0.0.9:6379' }, { sidecar }, () => {})).rejects.toThrow('member add n2 failed: member id n2 is taken');
    view.memberChangeImpl = async () => {
      throw new Error('a change is already in flight');
    };
    await expect(runMember({ kind: 'remove', id: 'n2' }, { sidecar }, () => {})).rejects.toThrow('member remove n2 failed: a change is already in flight');
    const calls = view.memberChangeCalls.length;
    await expect(runMember({ kind: 'add', spec: 'n4=10.0.0.4:26379' }, { sidecar }, () => {})).rejects.toThrow(/a data member needs redis=host:port/);
    await expect(runMember({ kind: 'add', spec: 'n4=10.0.0.4:26379,redis=10.0.0.4:6379,colour=red' }, { sidecar }, () => {})).rejects.toThrow(/unknown part "colour=red"/);
    expect(view.memberChangeCalls.length).toBe(calls);

    await expect(runMember({ kind: 'force', keep: ['n1'], confirmed: false }, { sidecar }, () => {})).rejects.toThrow(
      /WITHOUT a quorum\. Writes that only the dropped members acknowledged .* may be lost.*--yes-i-understand-data-loss/,
    );
    expect(view.forceConfigCalls).toEqual([]);
    const out = collector();
    const cfg = await runMember({ kind: 'force', keep: ['n1', 'n3'], confirmed: true }, { sidecar }, out.write);
    expect(view.forceConfigCalls).toEqual([['n1', 'n3']]);
    expect(cfg.version).toBe(4);
    expect(out.text()).toMatch(/^FORCED on n1/);
  });

  it('is registered with the CLI: list, add, and force refusing without the flag (non-zero exit)', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    await buildCli(['member', 'list', '--sidecar', `127.0.0.1:${port}`]).parseAsync();
    expect(printed).toMatch(/^configuration version 2 \(epoch 1\), committed\n/);
    await buildCli(['member', 'add', '--sidecar', `127.0.0.1:${port}`, '--member', 'n4=10.0.0.4:26379,redis=10.0.0.4:6379', '--wait', '7000']).parseAsync();
    expect(view.memberChangeCalls.at(-1)).toEqual({ change: { kind: 'add', spec: 'n4=10.0.0.4:26379,redis=10.0.0.4:6379' }, timeoutMs: 7000 });
    await buildCli(['member', 'remove', '--sidecar', `127.0.0.1:${port}`, '--id', 'n4']).parseAsync();
    expect(view.memberChangeCalls.at(-1)).toEqual({ change: { kind: 'remove', id: 'n4' }, timeoutMs: 30_000 });
    await expect(buildCli(['member', 'force', '--sidecar', `127.0.0.1:${port}`, '--keep', 'n1']).parseAsync()).rejects.toThrow(/--yes-i-understand-data-loss/);
    await buildCli(['member', 'force', '--sidecar', `127.0.0.1:${port}`, '--keep', 'n1,n2', '--yes-i-understand-data-loss']).parseAsync();
    expect(view.forceConfigCalls).toEqual([['n1', 'n2']]);
  });
});
