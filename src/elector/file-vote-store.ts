import * as fs from 'node:fs';
import * as path from 'node:path';
import { isHoldableEpoch, MAX_HELD_EPOCH } from '../protocol/limits.js';
import { writeFileDurably } from './durable-file.js';
import { assertVoteRecord, VoteStoreError, type VoteRecord, type VoteStore } from './vote-store.js';

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

  constructor(dataDir: string, fileName = 'vote.json') {
    this.file = path.resolve(dataDir, fileName);
  }

  load(): VoteRecord {
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
      throw new VoteStoreError(`cannot save vote file ${this.file}: ${(err as Error).message}`, this.file, { cause: err });
    }
  }
}
