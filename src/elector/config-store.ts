import { membersProblem } from '../protocol/members.js';
import type { ClusterConfig } from './cluster-config.js';

/**
 * Durable memory of the member configuration a node uses (protocol.md
 * §5.12), kept with the same care as the vote: the Elector saves a
 * configuration before it acts on it or reports holding it, so a node never
 * tells a primary it holds a configuration it could forget in a crash.
 * Synchronous for the same reason as VoteStore.
 */
export interface ConfigStore {
  /** The stored configuration, or null when none was ever stored (a fresh node). Throws ConfigStoreError when unreadable or corrupt. */
  load(): ClusterConfig | null;
  /** Make the configuration durable before returning. Throws ConfigStoreError on failure. */
  save(config: ClusterConfig): void;
}

export class ConfigStoreError extends Error {
  override readonly name = 'ConfigStoreError';
  constructor(
    message: string,
    /** The file or store the error is about, for the operator. */
    readonly location: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Checks a configuration's shape; used by every store on load and on save. */
export function assertClusterConfig(value: unknown, location: string): ClusterConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigStoreError(`${location}: configuration is not an object`, location);
  const { version, epoch, members } = value as Record<string, unknown>;
  for (const [name, n] of [['version', version], ['epoch', epoch]] as const) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new ConfigStoreError(`${location}: configuration ${name} must be a non-negative integer, got ${JSON.stringify(n)}`, location);
  }
  if (!Array.isArray(members)) throw new ConfigStoreError(`${location}: configuration members must be a list`, location);
  const list = members.map((m) => {
    const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    return { id: o.id as string, kind: o.kind as 'voter', priority: o.priority as number, peer: (o.peer ?? undefined) as string | undefined, redis: (o.redis ?? undefined) as string | undefined };
  });
  const problem = membersProblem(list);
  if (problem) throw new ConfigStoreError(`${location}: configuration: ${problem}`, location);
  return { version: version as number, epoch: epoch as number, members: list };
}

/** In-memory store for tests and the simulator; a simulated crash keeps it, as a restart keeps the file. */
export class MemoryConfigStore implements ConfigStore {
  private config: ClusterConfig | null;
  failNextSaves = 0;
  saves = 0;

  constructor(initial: ClusterConfig | null = null) {
    this.config = initial ? assertClusterConfig(structuredClone(initial), 'memory') : null;
  }

  load(): ClusterConfig | null {
    return this.config ? structuredClone(this.config) : null;
  }

  save(config: ClusterConfig): void {
    if (this.failNextSaves > 0) {
      this.failNextSaves -= 1;
      throw new ConfigStoreError('memory: injected save failure', 'memory');
    }
    this.config = assertClusterConfig(structuredClone(config), 'memory');
    this.saves += 1;
  }
}
