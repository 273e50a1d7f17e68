/**
 * What a scrape flood can cost (issue #17 defect 1): /metrics is rendered at
 * most once per metricsCacheMs, connections beyond the cap are closed at
 * accept and counted, and the protection counters and the event-loop delay
 * are exported.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLoopDelayWatch } from '../../src/metrics/event-loop-delay.js';
import { startHttpServer, type HttpServerHandle, type HttpServerOptions } from '../../src/metrics/http-server.js';
import type { LimitStats } from '../../src/metrics/registry.js';
import { FakeView } from '../admin/fake-view.js';

const servers: HttpServerHandle[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(view: FakeView, opts: HttpServerOptions): Promise<{ base: string; port: number }> {
  const s = await startHttpServer(view, { host: '127.0.0.1', port: 0 }, { processMetrics: false, ...opts });
  servers.push(s);
  return { base: `http://127.0.0.1:${s.address().port}`, port: s.address().port };
}

const metrics = async (base: string) => (await fetch(`${base}/metrics`)).text();

describe('/metrics cache', () => {
  it('renders at most once per metricsCacheMs and serves the same text meanwhile', async () => {
    const view = new FakeView();
    view.counts.electionsStarted = 1;
    const { base } = await start(view, { metricsCacheMs: 400 });
    expect(await metrics(base)).toContain('resp_elect_elections_started_total 1');
    view.counts.electionsStarted = 2;
    // Within the interval: the rendered text of the first scrape.
    expect(await metrics(base)).toContain('resp_elect_elections_started_total 1');
    await new Promise((r) => setTimeout(r, 450));
    expect(await metrics(base)).toContain('resp_elect_elections_started_total 2');
  });
});

describe('HTTP connection cap', () => {
  it('closes connections over maxConnections at accept, counts and logs them', async () => {
    const logs: string[] = [];
    const limits = (): LimitStats => ({ clientConnections: 0, maxClients: 10, refused: { 'max-clients': 0 }, authFailures: 0, authDisconnects: {} });
    const { base, port } = await start(new FakeView(), { maxConnections: 2, metricsCacheMs: 0, limits, log: (_l, m) => logs.push(m) });
    for (let i = 0; i < 2; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      await new Promise<void>((r) => s.once('connect', () => r()));
      sockets.push(s);
    }
    const extra = net.connect({ host: '127.0.0.1', port });
    extra.on('error', () => {});
    sockets.push(extra);
    await new Promise<void>((r) => extra.once('close', () => r()));
    expect(logs.some((l) => /refused: 2 connections open/.test(l))).toBe(true);
    // Free the two held slots, then scrape: the refusal is on /metrics.
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const text = await metrics(base);
    expect(text).toMatch(/resp_elect_client_connections_refused_total\{reason="http-max-connections"\} [1-9]/);
  });
});

describe('protection metrics', () => {
  it('exports client limits, auth failures and the event-loop delay', async () => {
    const limits = (): LimitStats => ({
      clientConnections: 3,
      maxClients: 90,
      refused: { 'max-clients': 4, 'pending-evicted': 5 },
      authFailures: 6,
      authDisconnects: { failures: 1, timeout: 2 },
    });
    const { base } = await start(new FakeView(), { limits, loopDelay: () => ({ p50Ms: 1, p99Ms: 20, maxMs: 250 }), metricsCacheMs: 0 });
    const text = await metrics(base);
    for (const line of [
      'resp_elect_client_connections 3',
      'resp_elect_client_connections_max 90',
      'resp_elect_client_connections_refused_total{reason="max-clients"} 4',
      'resp_elect_client_connections_refused_total{reason="pending-evicted"} 5',
      'resp_elect_client_auth_failures_total 6',
      'resp_elect_client_auth_disconnects_total{reason="timeout"} 2',
      'resp_elect_event_loop_delay_seconds{stat="p99"} 0.02',
      'resp_elect_event_loop_delay_seconds{stat="max"} 0.25',
    ]) {
      expect(text).toContain(line);
    }
  });
});

describe('EventLoopDelayWatch', () => {
  it('without a resolution it keeps only the samples it is given (the sidecar\'s wake-up lateness), and warns on them', () => {
    const warnings: string[] = [];
    const watch = new EventLoopDelayWatch({ warnAboveMs: 50, warn: (m) => warnings.push(m) });
    watch.start();
    try {
      for (const ms of [0.5, 1, 2, 1]) watch.record(ms);
      const quiet = watch.rollOver();
      expect(quiet.maxMs).toBeGreaterThanOrEqual(1.9);
      expect(quiet.maxMs).toBeLessThan(2.1);
      expect(warnings).toEqual([]);
      watch.record(1);
      watch.record(180);
      expect(watch.rollOver().maxMs).toBeGreaterThanOrEqual(179);
      expect(warnings).toHaveLength(1);
      expect(watch.rollOver()).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
    } finally {
      watch.stop();
    }
  });

  it('measures a blocked event loop and warns once per log interval', async () => {
    const warnings: string[] = [];
    const watch = new EventLoopDelayWatch({ warnAboveMs: 50, resolutionMs: 5, warn: (m) => warnings.push(m) });
    watch.start();
    try {
      const block = (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          // hold the event loop, as a flood of client work would
        }
      };
      await new Promise((r) => setTimeout(r, 30));
      block(150);
      await new Promise((r) => setTimeout(r, 30));
      const first = watch.rollOver();
      expect(first.maxMs).toBeGreaterThanOrEqual(100);
      expect(watch.last()).toEqual(first);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/event loop delayed \d+ ms \(more than 50 ms/);
      await new Promise((r) => setTimeout(r, 30));
      block(150);
      await new Promise((r) => setTimeout(r, 30));
      expect(watch.rollOver().maxMs).toBeGreaterThanOrEqual(100);
      expect(warnings).toHaveLength(1); // rate-limited
    } finally {
      watch.stop();
    }
  });
});
