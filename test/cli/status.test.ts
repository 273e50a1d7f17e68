// `resp-elect status` and `resp-elect switchover` against the admin API of a fake view.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/cli.js';
import { runStatus, type StatusReport } from '../../src/cli/status-command.js';
import { runSwitchover } from '../../src/cli/switchover-command.js';
import { closeAll, onCleanup, startAdmin } from '../admin/admin-harness.js';
import { FakeView } from '../admin/fake-view.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

function collector(): { write: (t: string) => void; text: () => string } {
  let out = '';
  return { write: (t) => (out += t), text: () => out };
}

function passwordFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'resp-elect-cli-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pw');
  writeFileSync(path, content);
  return path;
}

describe('resp-elect status', () => {
  it('prints a table of the members', async () => {
    const view = new FakeView();
    view.peer('n2').offset = 950;
    const { port } = await startAdmin(view);
    const out = collector();
    await runStatus({ sidecar: `127.0.0.1:${port}` }, out.write);
    const text = out.text();
    expect(text).toContain('mymaster: primary n1 at 10.0.0.1:6379 (epoch 3)');
    expect(text).toContain(`asked n1 at 127.0.0.1:${port}: 3/3 voters reachable, 2 needed for a majority; configuration version 2`);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('ID'))!;
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'ROLE', 'EPOCH', 'REDIS', 'OFFSET', 'LAG', 'LAST SEEN', 'LEASE']);
    const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))!.split(/\s{2,}/);
    expect(row('n1 *')).toEqual(['n1 *', 'primary', '3', '10.0.0.1:6379', '1000', '0', 'this sidecar', 'held, 400 ms left']);
    expect(row('n2')).toEqual(['n2', 'replica', '3', '10.0.0.2:6379', '950', '50', '20 ms ago', '-']);
    expect(row('n3')).toEqual(['n3', 'witness', '3', '-', '-', '-', '30 ms ago', '-']);

    view.peer('n2').up = false;
    view.peer('n2').lastHeard = view.clock - 4200;
    const again = collector();
    await runStatus({ sidecar: `127.0.0.1:${port}` }, again.write);
    expect(again.text()).toContain('DOWN (4.2 s ago)');
    expect(again.text()).toContain('2/3 voters reachable');
  });

  it('--json prints valid, complete JSON', async () => {
    const view = new FakeView({ self: 'n2' });
    const { port } = await startAdmin(view);
    const out = collector();
    await runStatus({ sidecar: `127.0.0.1:${port}`, json: true }, out.write);
    const report = JSON.parse(out.text()) as StatusReport;
    expect(report.masterName).toBe('mymaster');
    expect(report.primary).toEqual({ id: 'n1', addr: '10.0.0.1:6379', epoch: 3 });
    expect(report.node).toMatchObject({ id: 'n2', role: 'replica', lease: false, quorum: 2 });
    expect(report.members.map((m) => [m.id, m.self, m.role, m.offset, m.lag, m.state])).toEqual([
      ['n1', false, 'primary', 990, 0, 'up'],
      ['n2', true, 'replica', 1000, 0, 'up'],
      ['n3', false, 'witness', null, null, 'up'],
    ]);
  });

  it('is registered with the CLI and authenticates with --password-file', async () => {
    const view = new FakeView({ clientPassword: 'pw' });
    const { port } = await startAdmin(view);
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    await buildCli(['status', '--sidecar', `127.0.0.1:${port}`, '--password-file', passwordFile('pw\n'), '--json']).parseAsync();
    vi.restoreAllMocks();
    expect((JSON.parse(printed) as StatusReport).node.id).toBe('n1');

    await expect(runStatus({ sidecar: `127.0.0.1:${port}`, passwordFile: passwordFile('nope') }, () => {})).rejects.toThrow(/AUTH on 127.0.0.1:\d+ failed: WRONGPASS/);
    await expect(runStatus({ sidecar: `127.0.0.1:${port}` }, () => {})).rejects.toThrow(/NOAUTH/);
  });

  it('fails clearly when nothing listens or the address is bad', async () => {
    await expect(runStatus({ sidecar: '127.0.0.1:1', timeoutMs: 1000 }, () => {})).rejects.toThrow(/could not connect to 127.0.0.1:1/);
    await expect(runStatus({ sidecar: 'nohost' }, () => {})).rejects.toThrow(/^--sidecar: missing ":port"/);
    await expect(runStatus({ sidecar: '127.0.0.1:1', passwordFile: '/nonexistent/pw' }, () => {})).rejects.toThrow(/--password-file: cannot read/);
  });
});

describe('resp-elect switchover', () => {
  it('asks for the failover and reports from -> to', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    const out = collector();
    const outcome = await runSwitchover({ sidecar: `127.0.0.1:${port}` }, out.write);
    expect(outcome).toMatchObject({ from: 'n1', fromAddr: '10.0.0.1:6379', to: 'n2', toAddr: '10.0.0.2:6379', epoch: 4 });
    expect(view.switchoverCalls).toEqual([undefined]);
    expect(out.text()).toMatch(/switched over: n1 \(10\.0\.0\.1:6379\) -> n2 \(10\.0\.0\.2:6379\) in \d+ ms, epoch 4\n$/);
  });

  it('--to names the target; a switchover that completes later is waited for', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view, { failoverReplyWaitMs: 50 });
    view.switchoverImpl = (target) =>
      new Promise((resolve) => {
        setTimeout(() => {
          view.setPrimary(target!, 4);
          resolve({ from: 'n1', to: target!, epoch: 4, tookMs: 300 });
        }, 300);
      });
    const outcome = await runSwitchover({ sidecar: `127.0.0.1:${port}`, to: 'n2', pollMs: 20 }, () => {});
    expect(view.switchoverCalls).toEqual(['n2']);
    expect(outcome.to).toBe('n2');
    expect(outcome.tookMs).toBeGreaterThanOrEqual(250);
  });

  it('fails with the reason when refused, unknown, or too slow', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view, { failoverReplyWaitMs: 50 });
    view.switchoverImpl = async () => {
      throw new Error('hand-off refused: n2 is not reachable');
    };
    await expect(runSwitchover({ sidecar: `127.0.0.1:${port}` }, () => {})).rejects.toThrow('switchover refused: ERR hand-off refused: n2 is not reachable');
    await expect(runSwitchover({ sidecar: `127.0.0.1:${port}`, to: 'n9' }, () => {})).rejects.toThrow(/n9 is not a member/);
    await expect(runSwitchover({ sidecar: `127.0.0.1:${port}`, to: 'n1' }, () => {})).rejects.toThrow(/n1 is already the primary/);

    view.switchoverImpl = () => new Promise(() => {});
    await expect(runSwitchover({ sidecar: `127.0.0.1:${port}`, waitMs: 400, pollMs: 20 }, () => {})).rejects.toThrow(
      /the primary did not change within 400 ms \(still n1\)/,
    );
  });

  it('is registered with the CLI', async () => {
    const view = new FakeView();
    const { port } = await startAdmin(view);
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    await buildCli(['switchover', '--sidecar', `127.0.0.1:${port}`, '--to', 'n2', '--wait', '5000']).parseAsync();
    vi.restoreAllMocks();
    expect(printed).toContain('switched over: n1');
    expect(view.primary()?.id).toBe('n2');
  });
});
