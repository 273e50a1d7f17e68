#!/usr/bin/env node
/**
 * Replays a failover from logs: the sidecars' `--log-format json` lines and
 * the compose writer's lines, mixed in any order on stdin (as
 * `docker compose logs --no-log-prefix` prints them), told the way the demo
 * tells it, relative to the moment of the fault.
 *
 *   docker compose logs --no-log-prefix --no-color sidecar1 sidecar2 sidecar3 writer \
 *     | node dist/lab/demo/replay.js --fault-at 1795314450000 [--old-primary n1] [--fault "docker kill redis1"]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSidecarLine, type SidecarLine } from './log-line.js';
import { Narrator } from './narrator.js';
import { analyzePhase, describePhase } from './phase.js';
import type { WriteRecord } from '../workload/writer.js';
import { Recorder } from './recorder.js';

export interface ReplayInput {
  text: string;
  faultAt: number;
  oldPrimary?: string;
  faultText?: string;
}

export interface WriterSummary {
  acked: number;
  unacked: number;
  errors: number;
  lost: number | null;
  primary: string | null;
}

/** The timeline and a summary as lines of text. */
export function replay(input: ReplayInput): string[] {
  const sidecar: SidecarLine[] = [];
  const writes: WriteRecord[] = [];
  let summary: WriterSummary | undefined;
  for (const raw of input.text.split('\n')) {
    const text = raw.replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (!text.startsWith('{')) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (obj['writer'] === true) {
      if (obj['summary'] && typeof obj['summary'] === 'object') summary = obj['summary'] as WriterSummary;
      const result = obj['result'];
      if (result === 'acked' || result === 'unacked' || result === 'error') {
        writes.push({ t: Date.parse(String(obj['time'])), result, latencyMs: Number(obj['latencyMs'] ?? 0), error: obj['error'] as string | undefined });
      }
      continue;
    }
    const line = parseSidecarLine(text);
    if (line) sidecar.push(line);
  }
  sidecar.sort((a, b) => a.t - b.t);
  writes.sort((a, b) => a.t - b.t);
  const nodes = [...new Set(sidecar.map((l) => l.node))].sort();
  const rec = new Recorder(nodes);
  let i = 0;
  for (; i < sidecar.length && sidecar[i]!.t < input.faultAt; i++) rec.addLine(sidecar[i]!);
  const oldPrimary = input.oldPrimary ?? [...rec.nodes.values()].find((n) => n.writable)?.id ?? '?';
  const out: string[] = [];
  const narrator = new Narrator((l) => out.push(l), () => undefined);
  rec.on('milestone', (m) => narrator.milestone(m));
  out.push(`Timeline relative to the fault at ${new Date(input.faultAt).toISOString()} (primary before it: ${oldPrimary})`);
  narrator.begin(input.faultAt);
  narrator.say(input.faultAt, oldPrimary, input.faultText ?? 'fault');
  rec.setProc(oldPrimary, 'down', input.faultAt);
  for (; i < sidecar.length; i++) rec.addLine(sidecar[i]!);
  for (const w of writes) narrator.write(w);
  narrator.end();
  const r = analyzePhase({
    start: input.faultAt,
    oldPrimary,
    milestones: rec.milestones,
    writes,
    replicas: (p) => nodes.filter((id) => id !== p && id !== oldPrimary),
  });
  out.push(describePhase('failover', r, input.faultAt));
  out.push(`failover time: ${r.writableAt !== undefined ? `${r.writableAt - input.faultAt} ms` : 'n/a (no new writable primary in these logs)'}`);
  if (summary) {
    out.push(`writes acknowledged: ${summary.acked} (${summary.unacked} not acknowledged by WAIT, ${summary.errors} failed)`);
    out.push(`writes lost: ${summary.lost ?? 'unknown'} (read back from ${summary.primary ?? '?'})`);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'fault-at': { type: 'string' }, 'old-primary': { type: 'string' }, fault: { type: 'string' } } });
  const faultAt = Number(values['fault-at']);
  if (!Number.isFinite(faultAt)) {
    process.stderr.write('replay: --fault-at <milliseconds since the epoch> is required\n');
    process.exit(2);
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const lines = replay({ text: Buffer.concat(chunks).toString('utf8'), faultAt, oldPrimary: values['old-primary'], faultText: values.fault });
  process.stdout.write(`${lines.join('\n')}\n`);
}

// Run only as a program, not when imported by a test.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
