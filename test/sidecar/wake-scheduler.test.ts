/**
 * WakeScheduler: ticks at the deadline and after inputs, and never wakes for a
 * deadline that an input moved later (each such wake-up found nothing to do and
 * cost an idle replica one wake-up per heartbeat, #16).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WakeScheduler } from '../../src/sidecar/wake-scheduler.js';

describe('WakeScheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A started scheduler whose deadline is `inMs` from now; `d.at` moves it. */
  function started(inMs: number) {
    const t0 = Date.now();
    const d = { at: t0 + inMs };
    const { w, ticks } = scheduler(d);
    w.start();
    return { t0, d, w, ticks };
  }

  function scheduler(deadline: { at: number }) {
    const ticks: number[] = [];
    const w = new WakeScheduler({
      now: () => Date.now(),
      tick: (now) => ticks.push(now),
      // Like Elector.nextDeadline: times already passed are skipped.
      nextDeadline: (now) => (deadline.at > now ? deadline.at : Infinity),
      maxSleepMs: 10_000,
    });
    return { w, ticks };
  }

  it('ticks at the deadline, not before', async () => {
    const { d, w, ticks } = started(100);
    expect(ticks).toHaveLength(1); // the start tick
    d.at = Infinity;
    await vi.advanceTimersByTimeAsync(99);
    expect(ticks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3);
    expect(ticks).toHaveLength(2);
    w.stop();
  });

  it('an input that moves the deadline later moves the wake-up with it', async () => {
    const { t0, d, w, ticks } = started(100);
    await vi.advanceTimersByTimeAsync(50);
    d.at = t0 + 200;
    w.afterInput();
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks).toHaveLength(2); // start + the input's tick
    await vi.advanceTimersByTimeAsync(100); // past the old deadline
    expect(ticks).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(52);
    expect(ticks).toHaveLength(3);
    expect(ticks[2]! - t0).toBeGreaterThanOrEqual(200);
    w.stop();
  });

  it('an input that moves the deadline earlier wakes it earlier', async () => {
    const { t0, d, w, ticks } = started(500);
    d.at = t0 + 50;
    w.afterInput();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(60);
    expect(ticks).toHaveLength(3);
    w.stop();
  });
});
