/**
 * What every client of another language goes through in the client suite
 * (redis-rb.test.ts, phpredis.test.ts), on a real 3-node cluster
 * (test/support/cluster.ts): writes land on the first primary; a host loss
 * (kill -9 of the primary's redis and sidecar together); writes land on the
 * new primary; a switchover with `resp-elect switchover`; writes land on the
 * third primary. Then nothing acknowledged is missing on the final primary
 * (every key with its value, lab/workload/writer.ts missingKeys) nor on the
 * live replica (Cluster.verifyNoAckedLoss). Prints the write gap of each event.
 */
import { expect } from 'vitest';
import { runCli, type Cluster, type ClusterNode } from '../../support/cluster.js';
import { missingKeys } from '../../../lab/workload/writer.js';
import type { ScriptWriter } from './script-writer.js';

/** Acknowledged writes needed on a primary to say the client writes there. */
const RESUMED = 20;

/**
 * The test's time limit: above the sum of its waits (start, three phases of at
 * most 20 s of writes, two new primaries of 15 s), so a client that stops
 * writing fails with the wait's message (what it saw last), not a bare timeout.
 */
export const SCENARIO_TIMEOUT_MS = 120_000;

export interface FailoverGaps {
  hostLossMs: number;
  switchoverMs: number;
}

export async function hostLossThenSwitchover(c: Cluster, w: ScriptWriter): Promise<FailoverGaps> {
  const first = await c.waitForPrimary();
  await w.acksOn(first.redis!.port, 0, RESUMED, `${w.name} writes on the first primary ${first.id}`);

  const killedAt = Date.now();
  await first.kill('SIGKILL', 'both');
  const second = await c.waitForPrimary({ not: first, timeoutMs: 15_000 });
  await w.acksOn(second.redis!.port, killedAt, RESUMED, `${w.name} writes on ${second.id} after the host loss of ${first.id}`);

  const switchedAt = Date.now();
  await switchover(second);
  const third = await c.waitForPrimary({ not: second, timeoutMs: 15_000 });
  await w.acksOn(third.redis!.port, switchedAt, RESUMED, `${w.name} writes on ${third.id} after the switchover from ${second.id}`);

  await w.stop();
  expect(w.exit, `${w.name} script ended its loop cleanly (${w.describe()})`).toEqual({ code: 0, signal: null });
  expect(w.strayLines, `${w.name} script printed only lines the test understands`).toEqual([]);
  expect(await c.verifyNoAckedLoss([w])).toBe(third);
  expect(await missingKeys({ host: '127.0.0.1', port: third.redis!.port }, w.acked), `acknowledged keys missing or changed on the final primary ${third.id}`).toEqual([]);

  const gaps = { hostLossMs: w.gapTo(second.redis!.port, killedAt)!, switchoverMs: w.gapTo(third.redis!.port, switchedAt)! };
  console.log(`${w.name}: ${w.acks.length} writes acknowledged, ${w.unacked} unacknowledged, ${w.errors} failed (${w.errorSummary()}); write gap: host loss ${gaps.hostLossMs} ms (down-after ${c.downAfterMs} ms), switchover ${gaps.switchoverMs} ms`);
  return gaps;
}

/** `resp-elect switchover` against the primary's own sidecar, as an operator runs it. */
async function switchover(from: ClusterNode): Promise<void> {
  const out = await runCli(['switchover', '--sidecar', `127.0.0.1:${from.sidecarPort}`, '--wait', '15000']);
  expect(out.code, `resp-elect switchover: ${out.stdout}${out.stderr}`).toBe(0);
}
