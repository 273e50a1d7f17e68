// /metrics, /health, /primary and /replica against a fake SidecarView.
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServerHandle } from '../../src/metrics/index.js';
import { FakeView } from '../admin/fake-view.js';

const servers: HttpServerHandle[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(view: FakeView, processMetrics = false): Promise<string> {
  // Every scrape rendered afresh: these tests follow the view; the cache has its own (http-limits.test.ts).
  const s = await startHttpServer(view, { host: '127.0.0.1', port: 0 }, { processMetrics, metricsCacheMs: 0 });
  servers.push(s);
  return `http://127.0.0.1:${s.address().port}`;
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; json: Record<string, unknown> | undefined }> {
  const res = await fetch(url, init);
  const body = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, body, json };
}

describe('health endpoints', () => {
  it('on the primary holding a lease', async () => {
    const view = new FakeView();
    const base = await start(view);
    expect((await get(`${base}/health`)).status).toBe(200);
    const primary = await get(`${base}/primary`);
    expect(primary.status).toBe(200);
    expect(primary.json).toMatchObject({ status: 'ok', id: 'n1', role: 'primary', epoch: 3, lease: true, leaseRemainingMs: 400 });
    const replica = await get(`${base}/replica`);
    expect(replica.status).toBe(503);
    expect(replica.json?.['reason']).toMatch(/not a replica/);

    view.snap.hasLease = false;
    const noLease = await get(`${base}/primary`);
    expect(noLease.status).toBe(503);
    expect(noLease.json?.['reason']).toMatch(/without a lease/);
  });

  it('on a replica following a live primary', async () => {
    const view = new FakeView({ self: 'n2' });
    const base = await start(view);
    expect((await get(`${base}/health`)).status).toBe(200);
    expect((await get(`${base}/primary`)).status).toBe(503);
    const ok = await get(`${base}/replica`);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: 'ok', id: 'n2', role: 'replica', primary: 'n1' });

    view.peer('n1').up = false;
    const dead = await get(`${base}/replica`);
    expect(dead.status).toBe(503);
    expect(dead.json?.['reason']).toMatch(/primary n1 is not live: its sidecar is unreachable/);
    view.peer('n1').up = true;

    view.redis = { reachable: true, healthy: false, role: 'slave', unhealthyReason: 'master-link-down' };
    const unhealthy = await get(`${base}/replica`);
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.json?.['reason']).toBe('redis unhealthy: master-link-down');
    expect((await get(`${base}/health`)).status).toBe(503);

    view.redis = { reachable: false, healthy: false, unhealthyReason: 'unreachable', error: 'ECONNREFUSED' };
    expect((await get(`${base}/health`)).json?.['reason']).toBe('redis unreachable: ECONNREFUSED');
    view.redis = undefined;
    expect((await get(`${base}/health`)).json?.['reason']).toMatch(/not been polled/);
  });

  it('on a witness: healthy, never primary nor replica', async () => {
    const view = new FakeView({ self: 'n3' });
    const base = await start(view);
    const health = await get(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.json?.['role']).toBe('witness');
    expect((await get(`${base}/primary`)).status).toBe(503);
    expect((await get(`${base}/replica`)).status).toBe(503);
  });

  it('404 for other paths, 405 for other methods, HEAD works', async () => {
    const base = await start(new FakeView());
    expect((await get(`${base}/`)).status).toBe(404);
    expect((await get(`${base}/nope`)).status).toBe(404);
    expect((await get(`${base}/health`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/primary`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await get(`${base}/health?verbose=1`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('exports role, epoch, counters, votes, failover histogram, peers, redis, fence and lease', async () => {
    const view = new FakeView();
    view.counts.electionsStarted = 4;
    view.counts.electionsWon = 3;
    view.counts.electionsLost = 1;
    view.counts.votesGranted = { prevote: 2, vote: 5 };
    view.counts.votesRefused = { 'stale-epoch': 1 };
    view.counts.failoverSeconds = [0.8, 1.7];
    const base = await start(view, true);
    const res = await get(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = res.body;
    for (const line of [
      'resp_elect_role{role="primary"} 1',
      'resp_elect_role{role="replica"} 0',
      'resp_elect_epoch 3',
      'resp_elect_elections_started_total 4',
      'resp_elect_elections_won_total 3',
      'resp_elect_elections_lost_total 1',
      'resp_elect_votes_granted_total{reason="vote"} 5',
      'resp_elect_votes_refused_total{reason="stale-epoch"} 1',
      'resp_elect_failover_duration_seconds_count 2',
      'resp_elect_failover_duration_seconds_bucket{le="1"} 1',
      'resp_elect_peer_up{peer="n2"} 1',
      'resp_elect_redis_healthy 1',
      'resp_elect_fenced 0',
      'resp_elect_lease_held 1',
      'resp_elect_primary_info{primary="n1"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain('process_cpu_user_seconds_total');

    // Later scrapes follow the view; histogram observations are not repeated.
    view.counts.failoverSeconds.push(0.3);
    view.peer('n2').up = false;
    view.counts.electionsStarted = 5;
    view.isFenced = true;
    const again = (await get(`${base}/metrics`)).body;
    expect(again).toContain('resp_elect_failover_duration_seconds_count 3');
    expect(again).toContain('resp_elect_peer_up{peer="n2"} 0');
    expect(again).toContain('resp_elect_elections_started_total 5');
    expect(again).toContain('resp_elect_fenced 1');
  });

  it('exports the member configuration; quorum counts its voters, never learners', async () => {
    const view = new FakeView({
      members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3', witness: true }, { id: 'n4' }, { id: 'n5' }],
    });
    // n4 and n5 added as learners: 3 voters, quorum 2 (five members would make it 3).
    view.setConfigMembers(view.snap.config.members.map((m) => (m.id === 'n4' || m.id === 'n5' ? { ...m, kind: 'learner' as const } : m)), 7);
    for (const id of ['n4', 'n5']) view.peer(id).learner = true;
    const base = await start(view);
    const text = (await get(`${base}/metrics`)).body;
    for (const line of [
      'resp_elect_config_version 7',
      'resp_elect_config_voters 3',
      'resp_elect_config_learners 2',
      'resp_elect_quorum 2',
      'resp_elect_quorum_reachable 1',
      'resp_elect_config_member{member="n3",kind="witness"} 1',
      'resp_elect_config_member{member="n4",kind="learner"} 1',
      'resp_elect_config_member{member="n1",kind="voter"} 1',
    ]) {
      expect(text).toContain(line);
    }
    // n2 and n3 down: n1 and the two learners are up, 3 of 5 members, but 1 of 3 voters.
    view.peer('n2').up = false;
    view.peer('n3').up = false;
    expect((await get(`${base}/metrics`)).body).toContain('resp_elect_quorum_reachable 0');
  });

  it('two servers in one process keep separate registries', async () => {
    const a = new FakeView();
    const b = new FakeView({ self: 'n2' });
    const [ua, ub] = await Promise.all([start(a, true), start(b, true)]);
    expect((await get(`${ua}/metrics`)).body).toContain('resp_elect_role{role="primary"} 1');
    const bodyB = (await get(`${ub}/metrics`)).body;
    expect(bodyB).toContain('resp_elect_role{role="replica"} 1');
    expect(bodyB).toContain('nodejs_heap_size_used_bytes');
  });

  it('a busy address is a clear start-up error', async () => {
    const first = await startHttpServer(new FakeView(), { host: '127.0.0.1', port: 0 }, { processMetrics: false });
    servers.push(first);
    await expect(startHttpServer(new FakeView(), first.address(), { processMetrics: false })).rejects.toThrow(/--http 127.0.0.1:\d+: .*EADDRINUSE/);
  });
});
