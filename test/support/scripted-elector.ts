/**
 * An Elector stand-in for tests of the redis executor (src/sidecar/redis-runtime.ts)
 * alone: the test sets its phase, epoch and writes gate by hand, at the exact
 * moment a race needs, and it records what the executor told it. Only the
 * members the runtime reads are here; every other call would be a test bug,
 * and throws (so it cannot pass silently).
 */
import type { LocalTopology } from '../../src/elector/adoption.js';
import type { Elector, Outbound } from '../../src/elector/elector.js';
import type { PhaseName } from '../../src/elector/phase.js';
import type { Role } from '../../src/protocol/messages.js';
import { roleOf } from '../../src/elector/phase.js';
import type { SidecarConfig } from '../../src/sidecar/config.js';
import { createLogger, type Logger } from '../../src/sidecar/logger.js';

export class ScriptedElector {
  phase: PhaseName = 'follower';
  epoch = 1;
  writes = false;
  /** Elector.following: null (no live primary to follow) keeps the runtime polling at the poll interval. */
  following: string | null = null;
  /** Elector.handoffPending: a hand-off to this node waits for its redis (keeps the poll interval). */
  handoffPending = false;
  /** downAfterMs sets the idle poll interval (poll-pace.ts): min(1000, downAfterMs / 4). */
  readonly config = { downAfterMs: 1000 };
  /** Every promoted() call: ok and detail. */
  readonly promotedCalls: Array<{ ok: boolean; detail: string }> = [];
  /** Every setReplOffset() call. */
  readonly offsets: Array<{ offset: number; issuedAt: number; dataEpoch: number }> = [];
  healthy: boolean | undefined;

  get role(): Role {
    return roleOf(this.phase);
  }

  snapshot(): { phase: PhaseName; epoch: number } {
    return { phase: this.phase, epoch: this.epoch };
  }

  writesAllowed(): boolean {
    return this.writes;
  }

  promoted(ok: boolean, _now: number, detail = ''): Outbound[] {
    this.promotedCalls.push({ ok, detail });
    return [];
  }

  setReplOffset(offset: number, issuedAt: number, dataEpoch: number): void {
    this.offsets.push({ offset, issuedAt, dataEpoch });
  }

  setHealthy(h: boolean): void {
    this.healthy = h;
  }

  /** Every setLocalTopology() call (rule adopt-existing), in order. */
  readonly topologies: LocalTopology[] = [];

  setLocalTopology(t: LocalTopology): void {
    this.topologies.push(t);
  }

  tick(): Outbound[] {
    return [];
  }

  /** What RedisRuntime takes: the members above, and a throw on anything else. */
  asElector(): Elector {
    return new Proxy(this, {
      get(target, prop, receiver) {
        if (prop in target) return Reflect.get(target, prop, receiver) as unknown;
        throw new Error(`ScriptedElector: the runtime used Elector.${String(prop)}, which this stand-in does not script`);
      },
    }) as unknown as Elector;
  }
}

/** A sidecar configuration for one data node `id` whose redis listens on `port` (the runtime reads only part of it). */
export function runtimeConfig(id: string, port: number, over: Partial<SidecarConfig> = {}): SidecarConfig {
  const redis = { host: '127.0.0.1', port };
  return {
    id,
    listen: { host: '127.0.0.1', port: 1 },
    members: [{ id, sidecar: { host: '127.0.0.1', port: 1 }, redis, witness: false, priority: 1 }],
    dataDir: '/nonexistent',
    masterName: 'mymaster',
    redis: { addr: redis },
    pollIntervalMs: 50,
    killClients: [],
    minReplicas: 0,
    secret: Buffer.from('scripted-elector-test-secret'),
    hookTimeoutMs: 1000,
    timings: {},
    logLevel: 'debug',
    logFormat: 'human',
    ...over,
  };
}

/** A logger that keeps every line, for matching `action=` fields. */
export function keptLog(id: string): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ nodeId: id, level: 'debug', format: 'human', write: (l) => lines.push(l) }), lines };
}
