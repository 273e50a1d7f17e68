/**
 * Event-loop delay of the sidecar process. The lease covers a dead or
 * partitioned primary, but not a starved one: a sidecar whose event loop is
 * held for longer than its lease margin still believes in a lease that has
 * run out, and fences too late. So the delay is measured all the time,
 * published on /metrics for the last interval, and a warning is logged (at
 * most once per LogLimiter interval) when it exceeds a fraction of the lease.
 *
 * Two ways to measure. With `resolutionMs`, perf_hooks.monitorEventLoopDelay
 * samples on a libuv timer of its own. The sidecar does not use it: at 10 ms
 * that timer is 100 wake-ups a second, about 0.7 % of a core on its own
 * (measured on node 20: an idle process with a 100 ms interval 0.18 %, with
 * the monitor too 0.86 %), more than a whole Redis Sentinel. Without it,
 * the owner reports each sample with record(): the sidecar reports how late
 * each of its wake-ups for an Elector deadline fired (wake-scheduler.ts), at
 * least one per heartbeat interval — the lateness of exactly the work the
 * lease margin is about.
 */
import { createHistogram, monitorEventLoopDelay, type IntervalHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { LogLimiter } from '../util/log-limiter.js';

export interface LoopDelaySample {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface EventLoopDelayOptions {
  /** Length of one measuring interval. Default 1000 ms. */
  intervalMs?: number;
  /** Warn when an interval's maximum delay exceeds this. */
  warnAboveMs: number;
  /** Receives the (rate-limited) warning. */
  warn: (msg: string, fields: Record<string, number>) => void;
  /** Sample the loop on a timer of this resolution (monitorEventLoopDelay); omitted: samples come from record(). */
  resolutionMs?: number;
  limiter?: LogLimiter;
}

export class EventLoopDelayWatch {
  private readonly histogram: IntervalHistogram | RecordableHistogram;
  private readonly monitor: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private latest: LoopDelaySample | undefined;
  private readonly limiter: LogLimiter;
  readonly intervalMs: number;

  constructor(private readonly opts: EventLoopDelayOptions) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.monitor = opts.resolutionMs !== undefined ? monitorEventLoopDelay({ resolution: opts.resolutionMs }) : undefined;
    this.histogram = this.monitor ?? createHistogram();
    this.limiter = opts.limiter ?? new LogLimiter();
  }

  start(): void {
    if (this.timer) return;
    this.monitor?.enable();
    this.timer = setInterval(() => this.rollOver(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.monitor?.disable();
  }

  /** One sample: how late, in ms, something the process had scheduled ran (ignored when it samples by itself). */
  record(lateMs: number): void {
    if (this.monitor || !(lateMs >= 0)) return;
    // The histogram takes integers (nanoseconds) of at least 1.
    (this.histogram as RecordableHistogram).record(Math.max(1, Math.round(lateMs * 1e6)));
  }

  /** The last complete interval (undefined before the first one ended). */
  last(): LoopDelaySample | undefined {
    return this.latest;
  }

  /** Ends an interval: keeps its percentiles, starts a new one, warns when it was too slow. */
  rollOver(): LoopDelaySample {
    const h = this.histogram;
    // The histogram holds nanoseconds; with no sample yet its min/max are sentinels, read as 0.
    const ms = (ns: number) => (Number.isFinite(ns) && h.count > 0 ? ns / 1e6 : 0);
    const sample = { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
    h.reset();
    this.latest = sample;
    if (sample.maxMs > this.opts.warnAboveMs) {
      const suppressed = this.limiter.allow('event-loop-delay');
      if (suppressed !== undefined) {
        this.opts.warn(
          `event loop delayed ${Math.round(sample.maxMs)} ms (more than ${this.opts.warnAboveMs} ms, a quarter of the lease): the control loop runs late and the lease margin shrinks`,
          { maxMs: Math.round(sample.maxMs), p99Ms: Math.round(sample.p99Ms), suppressed },
        );
      }
    }
    return sample;
  }
}
