/**
 * Event-loop delay of the sidecar process. The lease covers a dead or
 * partitioned primary, but not a starved one: a sidecar whose event loop is
 * held for longer than its lease margin still believes in a lease that has
 * run out, and fences too late. So the delay is measured all the time
 * (perf_hooks.monitorEventLoopDelay, a libuv timer; cheap), published on
 * /metrics for the last interval, and a warning is logged (at most once per
 * LogLimiter interval) when it exceeds a fraction of the lease.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
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
  /** Sampling resolution of the histogram. Default 10 ms. */
  resolutionMs?: number;
  limiter?: LogLimiter;
}

export class EventLoopDelayWatch {
  private readonly histogram: IntervalHistogram;
  private timer: NodeJS.Timeout | undefined;
  private latest: LoopDelaySample | undefined;
  private readonly limiter: LogLimiter;
  readonly intervalMs: number;

  constructor(private readonly opts: EventLoopDelayOptions) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.histogram = monitorEventLoopDelay({ resolution: opts.resolutionMs ?? 10 });
    this.limiter = opts.limiter ?? new LogLimiter();
  }

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.rollOver(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
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
