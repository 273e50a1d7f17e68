/**
 * The demo's pure parts: reading sidecar log lines, the node state built from
 * them, the phase analysis, the summary and its exit code, the table, the
 * narration order and the SVG. The Elector's lines below are written by the
 * sidecar's own event log and json logger from real Elector events; the
 * runtime's lines carry the `action` names its log lines use.
 */
import { describe, expect, it } from 'vitest';
import { LineSplitter, parseSidecarLine } from '../../lab/demo/log-line.js';
import { milestoneOf, type Milestone } from '../../lab/demo/milestones.js';
import { Narrator, formatStep } from '../../lab/demo/narrator.js';
import { demoOptionsFrom, DemoOptionError } from '../../lab/demo/options.js';
import { analyzePhase, longestAckGap } from '../../lab/demo/phase.js';
import { Recorder } from '../../lab/demo/recorder.js';
import type { WriteRecord } from '../../lab/workload/writer.js';
import { exitCodeOf, formatSummary, type DemoSummary } from '../../lab/demo/summary.js';
import { replay } from '../../lab/demo/replay.js';
import { renderSvg } from '../../lab/demo/svg.js';
import { buildRow, renderTable } from '../../lab/demo/table.js';
import { NodeState } from '../../lab/demo/node-state.js';

// The product's own event log and logger write the Elector's lines below.
import type { ElectorEvent } from '../../src/elector/events.js';
import { ElectorEventLog } from '../../src/sidecar/event-log.js';
import { createLogger } from '../../src/sidecar/logger.js';

const T0 = Date.parse('2026-11-22T02:27:30.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const line = (ms: number, node: string, msg: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ time: at(ms), level: 'info', node, msg, ...fields });

/** The json line the sidecar logs for an Elector event at T0 + ms. */
function ev(ms: number, node: string, event: ElectorEvent): string {
  const out: string[] = [];
  const log = createLogger({ nodeId: node, level: 'debug', format: 'json', write: (l) => out.push(l), clock: () => new Date(T0 + ms) });
  new ElectorEventLog(log).write(event, ms);
  expect(out).toHaveLength(1);
  return out[0]!;
}

/** A failover of n1 to n2 as three sidecars log it (times in ms after T0). */
const FAILOVER = [
  line(0, 'n2', 'sidecar started', { listen: '127.0.0.1:1', epoch: 0, members: 'n1,n2,n3', redis: '127.0.0.1:2' }),
  line(0, 'n3', 'sidecar started', { listen: '127.0.0.1:3', epoch: 0, members: 'n1,n2,n3', redis: '127.0.0.1:4' }),
  ev(1, 'n2', { type: 'follow', primary: 'n1', epoch: 1, reason: 'n1 is primary of epoch 1' }),
  ev(1, 'n3', { type: 'follow', primary: 'n1', epoch: 1, reason: 'n1 is primary of epoch 1' }),
  ev(1000, 'n2', { type: 'primary-lost', primary: 'n1', epoch: 1, reason: 'n1 not heard for 1003 ms' }),
  ev(1001, 'n2', { type: 'follow', primary: null, epoch: 1, reason: 'n1 not heard for 1003 ms' }),
  ev(1002, 'n3', { type: 'primary-lost', primary: 'n1', epoch: 1, reason: 'n1 not heard for 1005 ms' }),
  line(1004, 'n2', 'local redis detached from the lost primary (read-only, data kept)', { action: 'detach' }),
  ev(1005, 'n2', { type: 'prevote-start', epoch: 2, offset: 192 }),
  ev(1006, 'n3', { type: 'vote', candidate: 'n2', epoch: 2, granted: true, prevote: true }),
  ev(1008, 'n2', { type: 'epoch', from: 1, to: 2, reason: 'stood for election' }),
  ev(1008, 'n2', { type: 'role', from: 'replica', to: 'candidate', epoch: 2, reason: 'primary lost and a majority would vote for us' }),
  ev(1008, 'n2', { type: 'election-start', epoch: 2, offset: 192, handoff: false }),
  ev(1010, 'n3', { type: 'vote', candidate: 'n2', epoch: 2, granted: true, prevote: false }),
  ev(1011, 'n2', { type: 'elected', epoch: 2, votes: ['n2', 'n3'] }),
  line(1013, 'n2', 'local redis promoted: REPLICAOF NO ONE', { epoch: 2, offset: 192, action: 'promote' }),
  ev(1013, 'n2', { type: 'role', from: 'candidate', to: 'primary', epoch: 2, reason: 'won epoch 2' }),
  ev(1015, 'n2', { type: 'lease', held: true, epoch: 2 }),
  ev(1015, 'n2', { type: 'writes', allowed: true, epoch: 2, reason: 'primary holds a lease' }),
  // The runtime fences for one poll before it sees the lease: writable again at 1060.
  line(1016, 'n2', 'local redis fenced: CLIENT PAUSE WRITE', { renewEveryMs: 50, action: 'fence' }),
  ev(1018, 'n3', { type: 'follow', primary: 'n2', epoch: 2, reason: 'n2 is primary of epoch 2' }),
  line(1020, 'n3', 'local redis now replicates from n2', { target: '127.0.0.1:2', epoch: 2, action: 'replicate' }),
  line(1060, 'n2', 'local redis unfenced: CLIENT UNPAUSE', { action: 'unfence' }),
  line(1075, 'n3', 'local redis now replicates from n2', { target: '127.0.0.1:2', epoch: 2, action: 'replicate' }),
];

function recorded(lines = FAILOVER): Recorder {
  const rec = new Recorder(['n1', 'n2', 'n3']);
  for (const l of lines) rec.addLine(parseSidecarLine(l)!);
  return rec;
}

function writes(spec: [number, WriteRecord['result'], number?][]): WriteRecord[] {
  return spec.map(([ms, result, port]) => ({ t: T0 + ms, result, port, latencyMs: 1 }));
}

describe('sidecar log lines', () => {
  it('parses a JSON line and keeps the extra fields', () => {
    const l = parseSidecarLine(line(5, 'n2', 'won epoch 2', { votes: 'n2,n3' }))!;
    expect(l).toEqual({ t: T0 + 5, node: 'n2', level: 'info', msg: 'won epoch 2', fields: { votes: 'n2,n3' } });
  });

  it('ignores what is not a log line', () => {
    expect(parseSidecarLine('resp-elect: --listen 127.0.0.1:1: address already in use')).toBeUndefined();
    expect(parseSidecarLine('{"time":"x","node":"n1","msg":"m"}')).toBeUndefined();
    expect(parseSidecarLine('{"truncated":')).toBeUndefined();
  });

  it('splits a stream into lines across chunks', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\n\nd')).toEqual(['bc']);
    expect(s.flush()).toEqual(['d']);
  });
});

describe('milestones', () => {
  const kinds = FAILOVER.map((l) => milestoneOf(parseSidecarLine(l)!)?.kind);

  it('recognises every step of a failover', () => {
    expect(kinds).toEqual([
      'started', 'started', 'follow', 'follow', 'detect', undefined, 'detect', 'detached', 'prevote', 'prevote-granted',
      'epoch', 'role', 'stand', 'vote', 'won', 'promoted', 'role', 'lease', 'writes-allowed', 'fenced', 'follow', 'retarget', 'unfenced', 'retarget',
    ]);
  });

  it('reads the details the timeline shows', () => {
    const m = (l: string) => milestoneOf(parseSidecarLine(l)!)!;
    expect(m(FAILOVER[4]!)).toMatchObject({ kind: 'detect', other: 'n1', text: 'detected: primary n1 lost (n1 not heard for 1003 ms)', shown: true });
    expect(m(FAILOVER[14]!)).toMatchObject({ kind: 'won', epoch: 2, text: 'won epoch 2 (votes n2,n3)' });
    expect(milestoneOf(parseSidecarLine(FAILOVER[21]!)!, 'n2')).toMatchObject({ kind: 'retarget', other: 'n2', epoch: 2, text: 'redis retargeted: REPLICAOF n2 (127.0.0.1:2)' });
    expect(m(ev(0, 'n1', { type: 'role', from: 'primary', to: 'replica', epoch: 2, reason: 'local redis is unhealthy' }))).toMatchObject({ kind: 'role', shown: true, text: 'steps down: primary -> replica (local redis is unhealthy)' });
    expect(m(ev(0, 'n1', { type: 'primary-lost', primary: null, epoch: 0, reason: 'no primary known' })).shown).toBe(false);
    expect(m(ev(0, 'n1', { type: 'handoff-end', target: 'n3', epoch: 2, ok: false, reason: 'timed out' }))).toMatchObject({ kind: 'handoff-end', other: 'n3', text: 'hand-off to n3 aborted (timed out)' });
    expect(m(ev(0, 'n3', { type: 'vote', candidate: 'n2', epoch: 4, granted: false, prevote: true, reason: 'primary-alive', detail: 'heard primary n1 2 ms ago' }))).toMatchObject({ kind: 'refused', other: 'n2', epoch: 4, text: 'pre-vote refused to n2 for epoch 4 (primary-alive)' });
    expect(m(ev(0, 'n2', { type: 'writes', allowed: false, epoch: 2, reason: 'lease lost' }))).toMatchObject({ kind: 'writes-stopped', shown: true });
  });

  it('reads the fields, not the sentence', () => {
    // A sentence reworded (or translated) changes nothing; a line without fields is no milestone.
    const won = JSON.parse(ev(7, 'n2', { type: 'elected', epoch: 3, votes: ['n2', 'n3'] })) as Record<string, unknown>;
    expect(milestoneOf(parseSidecarLine(JSON.stringify({ ...won, msg: 'gewonnen' }))!)).toMatchObject({ kind: 'won', epoch: 3, text: 'won epoch 3 (votes n2,n3)' });
    expect(milestoneOf(parseSidecarLine(line(7, 'n2', 'won epoch 3', { votes: 'n2,n3' }))!)).toBeUndefined();
    // A replicate line that does not name the primary is credited to the primary the sidecar follows.
    expect(milestoneOf(parseSidecarLine(line(8, 'n3', 'local redis now replicates', { action: 'replicate', target: '127.0.0.1:2' }))!, 'n2')).toMatchObject({ kind: 'retarget', other: 'n2' });
    expect(milestoneOf(parseSidecarLine(line(9, 'n3', 'local redis unhealthy', { action: 'health', reason: 'no reply' }).replace('"info"', '"warn"'))!)).toMatchObject({ kind: 'redis-unhealthy' });
  });
});

describe('node state', () => {
  it('is writable once primary, allowed and unfenced; the history follows', () => {
    const rec = recorded();
    const n2 = rec.node('n2');
    expect(n2.role).toBe('primary');
    expect(n2.epoch).toBe(2);
    expect(n2.writable).toBe(true);
    const writable = rec.milestones.filter((m) => m.kind === 'writable');
    // Writable at the lease, fenced for a poll, writable again when unfenced.
    expect(writable.map((m) => [m.node, m.t - T0])).toEqual([
      ['n2', 1015],
      ['n2', 1060],
    ]);
    expect(n2.history.map((h) => h.role)).toEqual(['replica', 'candidate', 'primary-fenced', 'primary', 'primary-fenced', 'primary']);
    expect(rec.node('n3').writable).toBe(false);
  });

  it('credits a replicate line to the primary followed, even when the detach lands after the follow', () => {
    // A deposed primary in a hand-off, as its sidecar logs it: the Elector follows n1 before the
    // runtime's detach of the old stream completes, then the runtime replicates from n1.
    const rec = new Recorder(['n1', 'n2']);
    for (const l of [
      ev(0, 'n2', { type: 'role', from: 'primary', to: 'replica', epoch: 3, reason: 'voted for n1 in epoch 3' }),
      ev(1, 'n2', { type: 'follow', primary: 'n1', epoch: 3, reason: 'n1 is primary of epoch 3' }),
      line(30, 'n2', 'local redis detached from the lost primary (read-only, data kept)', { action: 'detach' }),
      line(70, 'n2', 'local redis now replicates from n1', { action: 'replicate', target: '127.0.0.1:1', epoch: 3 }),
    ])
      rec.addLine(parseSidecarLine(l)!);
    expect(rec.milestones.find((m) => m.kind === 'retarget')).toMatchObject({ node: 'n2', other: 'n1', text: 'redis retargeted: REPLICAOF n1 (127.0.0.1:1)' });
  });

  it('is not writable while its processes are down or frozen', () => {
    const s = new NodeState('n1');
    const n1 = [
      line(0, 'n1', 'sidecar started', { epoch: 0 }),
      ev(1, 'n1', { type: 'role', from: 'candidate', to: 'primary', epoch: 1, reason: 'won epoch 1' }),
      ev(2, 'n1', { type: 'writes', allowed: true, epoch: 1, reason: 'primary holds a lease' }),
    ];
    for (const l of n1) {
      s.apply(milestoneOf(parseSidecarLine(l)!)!);
    }
    expect(s.writable).toBe(true);
    s.setProc(T0 + 3, 'frozen');
    expect(s.writable).toBe(false);
    expect(s.laneRole).toBe('frozen');
    s.setProc(T0 + 4, 'down');
    expect(s.role).toBe('starting');
  });
});

describe('phase analysis', () => {
  const rec = recorded();
  const ws = writes([
    [950, 'acked', 10],
    [990, 'acked', 10],
    [995, 'error'],
    [1070, 'acked', 20],
    [1080, 'acked', 20],
  ]);
  const r = analyzePhase({
    start: T0 + 500,
    oldPrimary: 'n1',
    milestones: rec.milestones,
    writes: ws,
    replicas: (p) => ['n2', 'n3'].filter((id) => id !== p),
    redisPort: (id) => ({ n1: 10, n2: 20, n3: 30 })[id],
  });

  it('finds each moment of the failover', () => {
    const rel = (t?: number) => (t === undefined ? undefined : t - T0);
    expect(r.newPrimary).toBe('n2');
    expect(rel(r.detectedAt)).toBe(1000);
    expect(r.detectedBy).toBe('n2');
    expect(rel(r.prevoteAt)).toBe(1005);
    expect(rel(r.standAt)).toBe(1008);
    expect(rel(r.wonAt)).toBe(1011);
    expect(rel(r.promotedAt)).toBe(1013);
    expect(rel(r.leaseAt)).toBe(1015);
    expect(rel(r.retargetedAt)).toBe(1020);
    expect(rel(r.firstFailedWriteAt)).toBe(995);
    expect(rel(r.writerBackAt)).toBe(1070);
    // The last time n2 became writable before the writer got through.
    expect(rel(r.writableAt)).toBe(1060);
    expect(r.gap).toEqual({ from: T0 + 990, to: T0 + 1070, ms: 80 });
  });

  it('has no new primary when nobody became writable', () => {
    const none = analyzePhase({ start: T0 + 500, oldPrimary: 'n2', milestones: rec.milestones, writes: [], replicas: () => [] });
    expect(none.newPrimary).toBeUndefined();
    expect(none.writableAt).toBeUndefined();
    expect(none.writerBackAt).toBeUndefined();
  });

  it('measures the longest gap between acknowledged writes only', () => {
    const w = writes([
      [0, 'acked'],
      [10, 'acked'],
      [20, 'error'],
      [500, 'unacked'],
      [700, 'acked'],
      [720, 'acked'],
    ]);
    expect(longestAckGap(w)).toEqual({ from: T0 + 10, to: T0 + 700, ms: 690 });
    expect(longestAckGap(w, T0 + 705)).toEqual({ from: T0 + 700, to: T0 + 720, ms: 20 });
    expect(longestAckGap(writes([[0, 'acked']]))).toBeUndefined();
  });
});

describe('summary', () => {
  const base: DemoSummary = {
    fault: 'kill',
    faultText: "kill -9 of n1's redis-server and sidecar",
    oldPrimary: 'n1',
    newPrimary: 'n2',
    failoverCompleted: true,
    failoverMs: 1043.4,
    writeUnavailableMs: 1102,
    acked: 2345,
    unacked: 2,
    errors: 7,
    lost: 0,
    finalPrimary: 'n3',
    rejoin: { ok: true, text: 'n1 back as a replica of n2' },
    switchover: { status: 'done', text: 'n2 -> n3' },
    replicasWaited: 1,
  };

  it('passes only with a completed failover, acknowledged writes and none lost', () => {
    expect(exitCodeOf(base)).toBe(0);
    expect(exitCodeOf({ ...base, lost: 1 })).toBe(1);
    expect(exitCodeOf({ ...base, lost: undefined })).toBe(1);
    expect(exitCodeOf({ ...base, failoverCompleted: false })).toBe(1);
    expect(exitCodeOf({ ...base, acked: 0 })).toBe(1);
    expect(exitCodeOf({ ...base, rejoin: { ok: false, text: 'x' } })).toBe(1);
    expect(exitCodeOf({ ...base, switchover: { status: 'failed', text: 'x' } })).toBe(1);
    expect(exitCodeOf({ ...base, switchover: { status: 'skipped', text: 'x' } })).toBe(0);
  });

  it('prints the lines the demo test greps', () => {
    const text = formatSummary(base).join('\n');
    expect(text).toMatch(/failover completed:\s+yes/);
    expect(text).toMatch(/failover time:\s+1043 ms/);
    expect(text).toMatch(/write-unavailable:\s+1102 ms/);
    expect(text).toMatch(/writes acknowledged:\s+2345 /);
    expect(text).toMatch(/writes lost:\s+0 /);
    expect(text).toMatch(/result:\s+PASS/);
    expect(formatSummary({ ...base, lost: 3 }).join('\n')).toMatch(/writes lost:\s+3 [\s\S]*result:\s+FAIL/);
  });
});

describe('table', () => {
  it('shows role, epoch, offset and link per node', () => {
    const rec = recorded();
    const idOfPort = (p: number | undefined) => ({ 20: 'n2' })[p ?? 0];
    const primary = buildRow({
      id: 'n2',
      redisPort: 20,
      state: rec.node('n2'),
      view: { reachable: true, role: 'master', offset: 500, state: { role: 'master', masterReplOffset: 500, syncInProgress: false, loading: false, connectedReplicas: [{ ip: '127.0.0.1', port: 30, state: 'online', offset: 500, lag: 0 }] } },
      idOfPort,
      members: 3,
    });
    const replica = buildRow({
      id: 'n3',
      redisPort: 30,
      state: rec.node('n3'),
      view: { reachable: true, role: 'slave', offset: 480, state: { role: 'slave', masterReplOffset: 480, replicaOffset: 480, masterPort: 20, linkStatus: 'up', syncInProgress: false, loading: false, connectedReplicas: [] } },
      idOfPort,
      members: 3,
    });
    rec.setProc('n1', 'down', T0 + 2000);
    const down = buildRow({ id: 'n1', redisPort: 10, state: rec.node('n1'), view: undefined, idOfPort, members: 3 });
    const lines = renderTable([down, primary, replica]);
    expect(lines[0]).toMatch(/^\s+node\s+role\s+epoch\s+redis port\s+offset\s+link$/);
    expect(lines[1]).toMatch(/n1\s+down\s+0\s+10\s+-\s+-$/);
    expect(lines[2]).toMatch(/n2\s+primary\s+2\s+20\s+500\s+master, 1\/2 replicas online$/);
    expect(lines[3]).toMatch(/n3\s+replica\s+2\s+30\s+480\s+replica of n2, link up$/);
  });
});

describe('narration', () => {
  it('prints buffered steps in time order relative to the phase start, once each', () => {
    const out: string[] = [];
    const n = new Narrator((l) => out.push(l), (p) => (p === 20 ? 'n2' : undefined));
    const rec = recorded();
    n.begin(T0 + 500);
    // Out of order, as lines from three sidecars arrive.
    const ms = [...rec.milestones].reverse();
    for (const m of ms) n.milestone(m as Milestone);
    n.write({ t: T0 + 995, result: 'error', latencyMs: 1, error: 'connection to the primary lost' });
    n.write({ t: T0 + 996, result: 'error', latencyMs: 1, error: 'again' });
    n.write({ t: T0 + 1070, result: 'acked', port: 20, latencyMs: 1 });
    n.end();
    const times = out.map((l) => Number(/([+-]\d+) ms/.exec(l)![1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(out.filter((l) => l.includes('redis retargeted'))).toHaveLength(1);
    expect(out.filter((l) => l.includes('writable primary'))).toEqual([formatStep(T0 + 1060, T0 + 500, 'n2', 'writable primary: lease held, redis unfenced')]);
    expect(out.filter((l) => l.includes('writer'))).toEqual([
      formatStep(T0 + 995, T0 + 500, 'writer', 'write failed: connection to the primary lost'),
      formatStep(T0 + 1070, T0 + 500, 'writer', 'back: acknowledged write on n2 (127.0.0.1:20)'),
    ]);
    expect(out.some((l) => l.includes('sidecar started'))).toBe(false); // before the phase
  });
});

describe('svg', () => {
  it('draws one lane per node, the writer, and the marks, as well-formed SVG', () => {
    const rec = recorded();
    const svg = renderSvg({
      title: 'demo <3 nodes> & "kill"',
      ref: T0 + 500,
      from: T0,
      to: T0 + 1200,
      lanes: ['n1', 'n2', 'n3'].map((id) => ({ id, history: rec.node(id).history })),
      writes: writes([
        [900, 'acked'],
        [995, 'error'],
        [1070, 'acked'],
      ]),
      marks: [{ t: T0 + 500, label: 'kill n1' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('demo &lt;3 nodes&gt; &amp; &quot;kill&quot;');
    for (const id of ['n1', 'n2', 'n3', 'writer', 'kill n1']) expect(svg).toContain(`>${id}</text>`);
    expect(svg).toContain('n2: primary (writable) from 560 ms');
    expect(svg).toContain('stroke="#c62828"'); // a failed write
    // Every element opened is closed.
    const opens = (svg.match(/<(rect|text|title|line|path)\b(?:[^>]*[^/])?>/g) ?? []).length;
    const closes = (svg.match(/<\/(rect|text|title|line|path)>/g) ?? []).length;
    expect(opens).toBe(closes);
  });
});

describe('options', () => {
  it('validates and defaults', () => {
    expect(demoOptionsFrom({ nodes: 3, fault: 'kill', downAfterMs: 1000 }, false)).toMatchObject({ nodes: 3, fault: 'kill', downAfterMs: 1000, tty: false, switchover: true, keep: false, loseWrite: false });
    expect(demoOptionsFrom({ nodes: 5, fault: 'pause', downAfterMs: 300, tty: false }, true).tty).toBe(false);
    expect(demoOptionsFrom({}, true).tty).toBe(true);
    expect(() => demoOptionsFrom({ nodes: 2 }, false)).toThrow(DemoOptionError);
    expect(() => demoOptionsFrom({ nodes: 10 }, false)).toThrow(/--nodes/);
    expect(() => demoOptionsFrom({ fault: 'meteor' }, false)).toThrow(/--fault/);
    expect(() => demoOptionsFrom({ downAfterMs: 50 }, false)).toThrow(/--down-after-ms/);
  });
});

describe('replay (scripts/compose-failover.sh)', () => {
  it('tells a failover from mixed sidecar and writer logs', () => {
    const writer = (ms: number, result: string, extra: Record<string, unknown> = {}) => JSON.stringify({ time: at(ms), writer: true, result, latencyMs: 1, ...extra });
    const n1 = [
      line(0, 'n1', 'sidecar started', { epoch: 0 }),
      ev(1, 'n1', { type: 'role', from: 'candidate', to: 'primary', epoch: 1, reason: 'won epoch 1' }),
      ev(2, 'n1', { type: 'writes', allowed: true, epoch: 1, reason: 'primary holds a lease' }),
    ];
    const text = [
      ...FAILOVER.slice().reverse(),
      ...n1,
      writer(450, 'acked'),
      writer(520, 'error', { error: 'connection to the primary lost' }),
      writer(1070, 'acked'),
      'some line that is not JSON',
      `\x1b[36m${writer(1500, 'acked')}\x1b[0m`,
      JSON.stringify({ time: at(2000), writer: true, summary: { acked: 120, unacked: 0, errors: 3, lost: 0, primary: 'redis2:6379' } }),
    ].join('\n');
    const out = replay({ text, faultAt: T0 + 500, faultText: 'docker compose kill redis1 sidecar1' });
    expect(out[0]).toContain('primary before it: n1');
    expect(out[1]).toBe(formatStep(T0 + 500, T0 + 500, 'n1', 'docker compose kill redis1 sidecar1'));
    expect(out).toContain(formatStep(T0 + 520, T0 + 500, 'writer', 'write failed: connection to the primary lost'));
    expect(out).toContain(formatStep(T0 + 1011, T0 + 500, 'n2', 'won epoch 2 (votes n2,n3)'));
    expect(out.find((l) => l.startsWith('failover:'))).toBe('failover: n1 -> n2; detected 500 ms, won 511 ms, writable 560 ms, replicas retargeted 520 ms, writer back 570 ms; no acknowledged write for 620 ms');
    expect(out).toContain('failover time: 560 ms');
    expect(out).toContain('writes lost: 0 (read back from redis2:6379)');
  });
});
