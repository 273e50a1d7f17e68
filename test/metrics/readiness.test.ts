// /ready and /live (the Kubernetes probes, deploy/kubernetes/) against a fake SidecarView over real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServerHandle } from '../../src/metrics/index.js';
import type { RedisStatus } from '../../src/redis/status.js';
import { FakeView } from '../admin/fake-view.js';

const servers: HttpServerHandle[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(view: FakeView): Promise<string> {
  const s = await startHttpServer(view, { host: '127.0.0.1', port: 0 }, { processMetrics: false, metricsCacheMs: 0 });
  servers.push(s);
  return `http://127.0.0.1:${s.address().port}`;
}

async function probe(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const RUN_A = 'a'.repeat(40);
const RUN_B = 'b'.repeat(40);

function replicaStatus(runId: string, link: 'up' | 'down', extra: Partial<RedisStatus> = {}): RedisStatus {
  const up = link === 'up';
  return {
    reachable: true,
    runId,
    role: 'slave',
    offset: up ? 1000 : 1,
    healthy: up,
    ...(up ? {} : { unhealthyReason: 'master-link-down' as const }),
    ...extra,
  };
}

describe('/ready', () => {
  it('a synced replica stays ready while its primary is down, with the same redis run', async () => {
    const view = new FakeView({ self: 'n2' });
    const base = await start(view);
    expect((await probe(`${base}/ready`)).status).toBe(200);

    // The primary dies: the replica's link goes down, its sidecar loses the primary.
    view.redis = replicaStatus(RUN_A, 'down');
    view.peer('n1').up = false;
    view.snap.role = 'candidate';
    const during = await probe(`${base}/ready`);
    expect(during.status, JSON.stringify(during.json)).toBe(200);
    expect(during.json['note']).toMatch(/holds the data it synced/);
    // /replica, HAProxy's read check, does take it out: no live primary.
    expect((await probe(`${base}/replica`)).status).toBe(503);
  });

  it('a restarted (empty) redis is not ready until its first complete sync', async () => {
    const view = new FakeView({ self: 'n2' });
    const base = await start(view);
    expect((await probe(`${base}/ready`)).status).toBe(200);

    // Rescheduled: a new redis run, its link not up yet.
    view.redis = replicaStatus(RUN_B, 'down');
    const fresh = await probe(`${base}/ready`);
    expect(fresh.status).toBe(503);
    expect(fresh.json['reason']).toMatch(/master-link-down \(and it has not completed a sync since it started\)/);

    view.redis = replicaStatus(RUN_B, 'down', { unhealthyReason: 'sync-in-progress' });
    expect((await probe(`${base}/ready`)).status).toBe(503);
    view.redis = replicaStatus(RUN_B, 'down', { unhealthyReason: 'loading' });
    expect((await probe(`${base}/ready`)).status).toBe(503);

    // An empty redis the sidecar has not yet made a replica: a master, but not the primary's.
    view.redis = { reachable: true, runId: RUN_B, role: 'master', offset: 0, healthy: true };
    const master = await probe(`${base}/ready`);
    expect(master.status).toBe(503);
    expect(master.json['reason']).toMatch(/has not completed a sync since it started/);

    view.redis = replicaStatus(RUN_B, 'up');
    expect((await probe(`${base}/ready`)).status).toBe(200);
  });

  it('a sync completed between two probes counts (every poll is observed)', async () => {
    const view = new FakeView({ self: 'n2' });
    view.redis = replicaStatus(RUN_B, 'down');
    const base = await start(view);
    expect((await probe(`${base}/ready`)).status).toBe(503);
    // One poll saw the link up (the sidecar emits redis-health on every poll); the link fell again before the next probe.
    view.events.emit('redis-health', replicaStatus(RUN_B, 'up'));
    expect((await probe(`${base}/ready`)).status).toBe(200);
  });

  it('the primary is ready; an unreachable redis, a loading one or an unsaveable vote file is not; a witness is', async () => {
    const view = new FakeView();
    const base = await start(view);
    expect((await probe(`${base}/ready`)).json).toMatchObject({ status: 'ok', id: 'n1', role: 'primary', redisRole: 'master' });

    view.redis = { reachable: false, healthy: false, unhealthyReason: 'unreachable', error: 'ECONNREFUSED' };
    expect((await probe(`${base}/ready`)).json['reason']).toBe('redis unreachable: ECONNREFUSED');
    view.redis = { reachable: true, runId: RUN_A, healthy: false, unhealthyReason: 'loading' };
    expect((await probe(`${base}/ready`)).status).toBe(503);
    view.redis = { reachable: true, runId: RUN_A, role: 'master', offset: 1000, healthy: true };
    expect((await probe(`${base}/ready`)).status).toBe(200);
    view.voteFileError = 'vote file cannot be saved: EROFS';
    expect((await probe(`${base}/ready`)).json['reason']).toMatch(/EROFS/);

    const witness = new FakeView({ self: 'n3' });
    expect((await probe(`${await start(witness)}/ready`)).status).toBe(200);
  });
});

describe('/live', () => {
  it('answers 200 whatever redis and the peers do: a sidecar restart would mend neither', async () => {
    const view = new FakeView({ self: 'n2' });
    const base = await start(view);
    view.redis = { reachable: false, healthy: false, unhealthyReason: 'unreachable', error: 'ECONNREFUSED' };
    view.peer('n1').up = false;
    view.voteFileError = 'vote file cannot be saved: ENOSPC';
    const live = await probe(`${base}/live`);
    expect(live.status).toBe(200);
    expect(live.json).toMatchObject({ status: 'ok', id: 'n2' });
    expect((await probe(`${base}/health`)).status).toBe(503);
  });
});
