/**
 * One measured failover of a deployment, and the restore after it.
 *
 * Times are from the fault (the moment before the kill signals are sent, or
 * the SENTINEL FAILOVER command is sent) to:
 * - writable: a redis other than the old primary reports ROLE master AND a
 *   test SET on it succeeds (a fenced primary holds the SET until it unfences,
 *   so the reply time is when it really takes writes);
 * - linked: every other surviving redis is its replica with
 *   master_link_status:up and no sync in progress.
 * The write-unavailable time is the longest gap between two acknowledged
 * writes of the ioredis Sentinel-mode writer around the fault.
 */
import { Redis } from 'ioredis';
import type { BenchNode, Deployment } from './deploy.js';
import { sleep } from '../util/wait.js';
import type { AckWriter } from '../workload/writer.js';

export type Scenario = 'host' | 'redis' | 'switchover';

export interface RoundResult {
  system: string;
  scenario: Scenario;
  downAfterMs: number;
  round: number;
  oldPrimary: string;
  newPrimary: string;
  writableMs: number;
  linkedMs: number;
  gapMs: number;
  fullSyncs: number;
  partialSyncs: number;
  error?: string;
}

function probeClient(port: number): Redis {
  const c = new Redis({ host: '127.0.0.1', port, connectTimeout: 300, commandTimeout: 3000, enableOfflineQueue: false, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => 2, disableClientInfo: true });
  c.on('error', () => {});
  return c;
}

async function syncCounters(d: Deployment, n: BenchNode): Promise<{ full: number; partial: number }> {
  // The probe connection may just have been killed (a sidecar disconnects clients on role changes): retry.
  for (let attempt = 0; attempt < 50; attempt++) {
    const i = await d.info(n, 'stats');
    if (i && i['sync_full'] !== undefined) return { full: Number(i['sync_full']), partial: Number(i['sync_partial_ok'] ?? 0) };
    await sleep(20);
  }
  return { full: NaN, partial: NaN };
}

export async function measureFailover(d: Deployment, writer: AckWriter, scenario: Scenario, round: number, primary: BenchNode): Promise<RoundResult> {
  const down = d.opts.downAfterMs;
  const limit = 30_000 + 10 * down;
  const others = d.nodes.filter((n) => n !== primary);
  const base = new Map<BenchNode, { full: number; partial: number }>();
  for (const n of others) base.set(n, await syncCounters(d, n));
  const clients = new Map(others.map((n) => [n, probeClient(n.redis.port)] as const));
  await Promise.all([...clients.values()].map((c) => c.ping().catch(() => undefined)));
  const result: RoundResult = { system: d.kind, scenario, downAfterMs: down, round, oldPrimary: primary.id, newPrimary: '', writableMs: NaN, linkedMs: NaN, gapMs: NaN, fullSyncs: 0, partialSyncs: 0 };

  let winner: BenchNode | undefined;
  let tWritable = 0;
  let stop = false;
  const watchers = others.map(async (n) => {
    const c = clients.get(n)!;
    while (!stop && !winner) {
      try {
        const role = (await c.call('ROLE')) as unknown[];
        if (role[0] === 'master') {
          await c.set('__bench_writable__', n.id);
          if (!winner) {
            winner = n;
            tWritable = Date.now();
          }
          return;
        }
      } catch {
        // not yet
      }
      await sleep(3);
    }
  });

  let failoverReply: Promise<void> = Promise.resolve();
  const t0 = Date.now();
  if (scenario === 'host') await Promise.all([d.killCtl(primary), primary.redis.kill('SIGKILL')]);
  else if (scenario === 'redis') await primary.redis.kill('SIGKILL');
  else {
    // Not awaited: the reply may come after the switchover is done (a sidecar answers once it is under way); measuring must not wait for it.
    const via = others[0]!;
    failoverReply = d.failoverCommand(via).then((reply) => {
      if (reply instanceof Error) result.error = `SENTINEL FAILOVER: ${reply.message}`;
    });
  }

  const deadline = t0 + limit;
  while (!winner && Date.now() < deadline) await sleep(5);
  stop = true;
  // The other watchers may still wait on a reply; close them after the measurement, never before (that would delay it).
  const closeWatchers = async () => {
    for (const c of clients.values()) c.disconnect();
    await Promise.all(watchers);
  };
  if (!winner) {
    await closeWatchers();
    await failoverReply;
    result.error ??= `no writable new primary within ${limit} ms`;
    return result;
  }
  result.newPrimary = winner.id;
  result.writableMs = tWritable - t0;

  // Every surviving redis other than the winner: linked to it.
  const mustLink = d.nodes.filter((n) => n !== winner && (scenario === 'switchover' || n !== primary));
  let tLinked = 0;
  while (Date.now() < deadline) {
    const infos = await Promise.all(mustLink.map((n) => d.info(n)));
    const now = Date.now();
    if (process.env['BENCH_DEBUG']) console.log(`  [debug] +${now - t0} ms ${mustLink.map((n, i) => `${n.id}:${infos[i] ? `${infos[i]!['role']}/${infos[i]!['master_port']}/${infos[i]!['master_link_status']}` : 'unreachable'}`).join(' ')}`);
    if (infos.every((i) => i?.['role'] === 'slave' && Number(i['master_port']) === winner!.redis.port && i['master_link_status'] === 'up' && i['master_sync_in_progress'] === '0')) {
      tLinked = now;
      break;
    }
    await sleep(3);
  }
  await closeWatchers();
  await failoverReply;
  if (!tLinked) {
    result.error = `replicas not linked to ${winner.id} within ${limit} ms`;
    return result;
  }
  result.linkedMs = tLinked - t0;
  const after = await syncCounters(d, winner);
  const before = base.get(winner)!;
  result.fullSyncs = after.full - before.full;
  result.partialSyncs = after.partial - before.partial;

  // Let the writer come back: an acknowledged write after the replicas are linked.
  const wDeadline = Date.now() + 15_000 + 3 * down;
  while (Date.now() < wDeadline && writer.firstAckAfter(Math.max(tLinked, tWritable)) === undefined) await sleep(10);
  const back = writer.firstAckAfter(tWritable);
  if (back === undefined) result.error = 'writer did not get an acknowledged write after the failover';
  else result.gapMs = writer.longestGap(t0, back);
  return result;
}

/** Bring the faulted node back (empty redis, controller restarted) and wait until everything is settled again. */
export async function restore(d: Deployment, scenario: Scenario, old: BenchNode, newPrimary: BenchNode | undefined, full = true): Promise<BenchNode> {
  if (!full && newPrimary) return newPrimary;
  if (scenario !== 'switchover') {
    if (!old.redis.running) await d.restoreRedis(old, newPrimary?.redis.port);
    if (!old.ctl?.running) await d.restartCtl(old);
  }
  return d.waitSettled(60_000 + 10 * d.opts.downAfterMs);
}

