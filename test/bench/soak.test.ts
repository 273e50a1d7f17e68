/**
 * Smoke test of `npm run soak`: ~12 s of the soak (writer, peer churn,
 * client churn, scraper) on a real 3-node cluster. Asserts the run finishes
 * by itself, every sample line and the RESULT parse, the load actually ran,
 * and no acknowledged write was lost. Resource growth is reported, not
 * asserted: a few seconds say nothing about leaks.
 */
import { expect, it } from 'vitest';
import { runBenchScript } from './run-script.js';

const NODE = String.raw`(n\d)\*? rss (\d+\.\d) MB fds (\d+) eld (n/a|\d+\.\d ms)`;
const LINE = new RegExp(String.raw`t=\d+s ${NODE} \| ${NODE} \| ${NODE} \| acked (\d+) unacked \d+ errors \d+ \| churn \d+\+\d+ \| clients \d+/\d+ failed \| scrapes \d+/\d+ failed \| driver eld \d+\.\d ms$`);

interface NodeSample {
  id: string;
  rssMb: number;
  fds: number;
  eventLoopDelayMs: number | null;
}

it('soak --minutes 0.2: runs the load, prints parseable samples, loses no acknowledged write', async () => {
  const { code, output, result } = await runBenchScript('soak', ['--minutes', '0.2'], 150_000);
  const tail = output.slice(-4000);
  expect(code, tail).toBe(0);
  expect(result, tail).toBeDefined();

  const lines = output.split('\n').filter((l) => /^\[\d\d:\d\d:\d\d\] t=/.test(l));
  expect(lines.length, tail).toBeGreaterThanOrEqual(5);
  for (const l of lines) expect(l, tail).toMatch(LINE);

  const r = result as {
    settled: boolean;
    eventLoopDelayMetric: string | null;
    writes: { acked: number; lost: number };
    churn: { short: number; long: number };
    clients: { ok: number };
    scrapes: { ok: number };
    samples: { t: number; nodes: NodeSample[] }[];
  };
  expect(r.settled).toBe(true);
  expect(r.writes.lost, tail).toBe(0);
  expect(r.writes.acked).toBeGreaterThan(100);
  expect(r.churn.short).toBeGreaterThanOrEqual(1);
  expect(r.clients.ok).toBeGreaterThan(10);
  expect(r.scrapes.ok).toBeGreaterThan(10);
  expect(['resp_elect_event_loop_delay_seconds', 'nodejs_eventloop_lag_p99_seconds']).toContain(r.eventLoopDelayMetric);
  expect(r.samples).toHaveLength(lines.length);
  for (const s of r.samples) {
    expect(s.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    for (const n of s.nodes) {
      expect(n.rssMb).toBeGreaterThan(5);
      expect(n.fds).toBeGreaterThan(3);
    }
  }
  expect(r.samples.some((s) => s.nodes.some((n) => typeof n.eventLoopDelayMs === 'number' && n.eventLoopDelayMs > 0))).toBe(true);
}, 160_000);
