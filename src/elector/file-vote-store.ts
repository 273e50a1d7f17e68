import * as fs from 'node:fs';
import * as path from 'node:path';
import { findDuplicateJsonKey } from './duplicate-json-keys.js';
import { isHoldableEpoch, MAX_HELD_EPOCH } from '../protocol/limits.js';
import { writeFileDurably } from './durable-file.js';
import { assertVoteRecord, VoteStoreError, type VoteRecord, type VoteStore } from './vote-store.js';

/** Why the last save failed, while no save has succeeded since. */
export interface VoteSaveFailure {
  message: string;
  /** Wall-clock milliseconds of the first failure in this run of failures. */
  since: number;
}

export interface FileVoteStoreOptions {
  fileName?: string;
  /**
   * Called when saving starts failing (with the failure) and when a save
   * succeeds again (with undefined); not on every save, so a caller can log
   * each change once and report health from it.
   */
  onSaveHealth?: (failure: VoteSaveFailure | undefined) => void;
}

/**
 * The production vote store: one small JSON file in the data directory.
 *
 * Saving writes a temporary file, fsyncs it, renames it over the real one and
 * fsyncs the directory, so after a crash the file holds either the old record
 * or the new one, and a record we returned from save() survives power loss.
 * A file that exists but cannot be read or parsed is an error, never "never
 * voted": reading a corrupt vote as empty is how a node votes twice.
 */
export class FileVoteStore implements VoteStore {
  readonly file: string;
  private readonly onSaveHealth: FileVoteStoreOptions['onSaveHealth'];
  /** The record the file is known to hold durably: the one loaded, or the last one saved. */
  private durable: VoteRecord | undefined;
  private failure: VoteSaveFailure | undefined;

  constructor(dataDir: string, opts: FileVoteStoreOptions = {}) {
    this.file = path.resolve(dataDir, opts.fileName ?? 'vote.json');
    this.onSaveHealth = opts.onSaveHealth;
  }

  /** Why saving fails right now, or undefined when the last save (if any) succeeded. */
  get saveFailure(): VoteSaveFailure | undefined {
    return this.failure;
  }

  load(): VoteRecord {
    const record = this.read();
    this.durable = { ...record };
    return record;
  }

  private read(): VoteRecord {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { epoch: 0, votedFor: null };
      throw new VoteStoreError(`cannot read vote file ${this.file}: ${(err as Error).message}`, this.file, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new VoteStoreError(
        `vote file ${this.file} is corrupt (not JSON: ${(err as Error).message}); refusing to start rather than forget a vote. Restore it, or delete it only if this node has never voted in the current cluster`,
        this.file,
        { cause: err },
      );
    }
    // JSON.parse keeps the last of two equal keys: a file saying two things is corrupt, not "the last one wins".
    const duplicate = findDuplicateJsonKey(text);
    if (duplicate !== undefined) {
      throw new VoteStoreError(
        `vote file ${this.file} is corrupt (key ${JSON.stringify(duplicate)} appears twice, so which value was written is unknown); refusing to start rather than guess a vote. Restore it, or delete it only if this node has never voted in the current cluster`,
        this.file,
      );
    }
    let record: VoteRecord;
    try {
      record = assertVoteRecord(parsed, this.file);
    } catch (err) {
      throw new VoteStoreError(`vote file ${this.file} is corrupt: ${(err as Error).message}`, this.file, { cause: err });
    }
    if (!isHoldableEpoch(record.epoch)) {
      // No election can have reached it: a pre-MAX_EPOCH sidecar adopted a bogus frame. Starting
      // from it would leave no epoch to stand in, so stop and say how out (protocol.md 5.2).
      throw new VoteStoreError(
        `vote file ${this.file} holds epoch ${record.epoch}, above the highest epoch a node may hold (${MAX_HELD_EPOCH}); refusing to start. ` +
          'The way out (protocol.md 5.2, "Epoch bound"): stop every sidecar, then on every node write this file as {"epoch":N,"votedFor":null}, N being one more than the highest sane epoch any node reached (its logs before the bad frame), and start them again',
        this.file,
      );
    }
    return record;
  }

  save(record: VoteRecord): void {
    const checked = assertVoteRecord(record, this.file);
    try {
      writeFileDurably(this.file, `${JSON.stringify(checked)}\n`);
    } catch (err) {
      const message = `cannot save vote file ${this.file}: ${(err as Error).message}`;
      if (!this.failure) {
        this.failure = { message, since: Date.now() };
        this.onSaveHealth?.(this.failure);
      } else {
        this.failure.message = message;
      }
      throw new VoteStoreError(message, this.file, { cause: err });
    }
    this.durable = { ...checked };
    if (this.failure) {
      this.failure = undefined;
      this.onSaveHealth?.(undefined);
    }
  }

  /**
   * While saving fails, try again by rewriting the record the file is known
   * to hold durably, so health recovers once the disk does, without waiting
   * for the next vote. Rewriting that record changes nothing the node acted
   * on: the Elector acts only on records whose save returned. Returns true
   * when saving works (or never failed). Throws nothing.
   */
  recheck(): boolean {
    if (!this.failure) return true;
    if (!this.durable) return false; // never loaded: nothing known-durable to rewrite
    try {
      this.save(this.durable);
      return true;
    } catch {
      return false;
    }
  }
}
