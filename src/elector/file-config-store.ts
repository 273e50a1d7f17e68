import * as fs from 'node:fs';
import * as path from 'node:path';
import { isHoldableEpoch, MAX_HELD_EPOCH } from '../protocol/limits.js';
import type { ClusterConfig } from './cluster-config.js';
import { assertClusterConfig, ConfigStoreError, type ConfigStore } from './config-store.js';
import { findDuplicateJsonKey } from './duplicate-json-keys.js';
import { writeFileDurably } from './durable-file.js';
import type { VoteSaveFailure } from './file-vote-store.js';

/** Why the last save failed, while no save has succeeded since (the vote store's shape). */
export type ConfigSaveFailure = VoteSaveFailure;

export interface FileConfigStoreOptions {
  fileName?: string;
  /** Called when saving starts failing (with the failure) and when a save succeeds again (with undefined). */
  onSaveHealth?: (failure: ConfigSaveFailure | undefined) => void;
}

const CONFIG_KEYS: ReadonlySet<string> = new Set(['version', 'epoch', 'members']);
const MEMBER_KEYS: ReadonlySet<string> = new Set(['id', 'kind', 'priority', 'peer', 'redis']);

/**
 * The production configuration store: `config.json` in the data directory,
 * `{"version":N,"epoch":E,"members":[{"id":..,"kind":..,"priority":..,"peer":..,"redis":..}]}`
 * with null for an absent address. Written like the vote file (temporary
 * file, fsync, rename, fsync of the directory). A missing file means "never
 * stored" (a fresh node, or one from before membership changes); a file that
 * exists but cannot be read or understood stops the node: guessing the
 * membership is how a node counts votes in the wrong configuration.
 */
export class FileConfigStore implements ConfigStore {
  readonly file: string;
  private readonly onSaveHealth: FileConfigStoreOptions['onSaveHealth'];
  /** The configuration the file is known to hold durably: the one loaded, or the last one saved. */
  private durable: ClusterConfig | undefined;
  private failure: ConfigSaveFailure | undefined;

  constructor(dataDir: string, opts: FileConfigStoreOptions = {}) {
    this.file = path.resolve(dataDir, opts.fileName ?? 'config.json');
    this.onSaveHealth = opts.onSaveHealth;
  }

  /** Why saving fails right now, or undefined when the last save (if any) succeeded. */
  get saveFailure(): ConfigSaveFailure | undefined {
    return this.failure;
  }

  load(): ClusterConfig | null {
    const config = this.read();
    if (config) this.durable = structuredClone(config);
    return config;
  }

  private read(): ClusterConfig | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ConfigStoreError(`cannot read configuration file ${this.file}: ${(err as Error).message}`, this.file, { cause: err });
    }
    const corrupt = (what: string, cause?: unknown) =>
      new ConfigStoreError(
        `configuration file ${this.file} is corrupt (${what}); refusing to start rather than guess the membership. Restore it, or delete it only on a node that then joins again from the other members`,
        this.file,
        cause === undefined ? undefined : { cause },
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw corrupt(`not JSON: ${(err as Error).message}`, err);
    }
    const duplicate = findDuplicateJsonKey(text);
    if (duplicate !== undefined) throw corrupt(`key ${JSON.stringify(duplicate)} appears twice, so which value was written is unknown`);
    const shape = shapeProblem(parsed);
    if (shape !== undefined) throw corrupt(shape);
    let config: ClusterConfig;
    try {
      config = assertClusterConfig(parsed, this.file);
    } catch (err) {
      throw corrupt((err as Error).message.replace(`${this.file}: `, ''), err);
    }
    if (!isHoldableEpoch(config.epoch)) throw corrupt(`epoch ${config.epoch} is above the highest epoch a node may hold (${MAX_HELD_EPOCH})`);
    return config;
  }

  save(config: ClusterConfig): void {
    const checked = assertClusterConfig(config, this.file);
    const json = {
      version: checked.version,
      epoch: checked.epoch,
      members: checked.members.map((m) => ({ id: m.id, kind: m.kind, priority: m.priority, peer: m.peer ?? null, redis: m.redis ?? null })),
    };
    try {
      writeFileDurably(this.file, `${JSON.stringify(json)}\n`);
    } catch (err) {
      const message = `cannot save configuration file ${this.file}: ${(err as Error).message}`;
      if (!this.failure) {
        this.failure = { message, since: Date.now() };
        this.onSaveHealth?.(this.failure);
      } else {
        this.failure.message = message;
      }
      throw new ConfigStoreError(message, this.file, { cause: err });
    }
    this.durable = structuredClone(checked);
    if (this.failure) {
      this.failure = undefined;
      this.onSaveHealth?.(undefined);
    }
  }

  /**
   * While saving fails, try again by rewriting the configuration the file is
   * known to hold durably, so health recovers once the disk does. Returns
   * true when saving works (or never failed). Throws nothing.
   */
  recheck(): boolean {
    if (!this.failure) return true;
    if (!this.durable) return false;
    try {
      this.save(this.durable);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A key the format does not have (a misspelling would otherwise be dropped
 * silently) or an address that is not a string, or undefined. The rest of the
 * shape is assertClusterConfig's.
 */
function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const k of Object.keys(value)) if (!CONFIG_KEYS.has(k)) return `unknown key ${JSON.stringify(k)}`;
  const members = (value as { members?: unknown }).members;
  if (!Array.isArray(members)) return undefined;
  for (const [i, m] of members.entries()) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return `member ${i} is not an object`;
    for (const k of Object.keys(m)) if (!MEMBER_KEYS.has(k)) return `member ${i}: unknown key ${JSON.stringify(k)}`;
    for (const k of ['peer', 'redis'] as const) {
      const a = (m as Record<string, unknown>)[k];
      if (a !== undefined && a !== null && typeof a !== 'string') return `member ${i}: ${k} must be "host:port" or null, got ${JSON.stringify(a)}`;
    }
  }
  return undefined;
}
