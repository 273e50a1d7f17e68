import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Elector, FileVoteStore, MAX_EPOCH, MAX_HELD_EPOCH, VoteStoreError } from '../../src/index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'resp-elect-vote-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('FileVoteStore', () => {
  it('reads a missing file as never voted and round-trips a record', () => {
    const s = new FileVoteStore(tmp());
    expect(s.load()).toEqual({ epoch: 0, votedFor: null });
    s.save({ epoch: 4, votedFor: 'n2' });
    expect(new FileVoteStore(path.dirname(s.file)).load()).toEqual({ epoch: 4, votedFor: 'n2' });
    expect(fs.readdirSync(path.dirname(s.file))).toEqual(['vote.json']); // no temporary file left behind
  });

  it('creates the data directory when missing', () => {
    const dir = path.join(tmp(), 'a', 'b');
    new FileVoteStore(dir).save({ epoch: 1, votedFor: null });
    expect(fs.existsSync(path.join(dir, 'vote.json'))).toBe(true);
  });

  it.each([
    ['not JSON', '{"epoch": 3, "votedF'],
    ['wrong shape', '[1,2]'],
    ['negative epoch', '{"epoch": -1, "votedFor": null}'],
    ['bad votedFor', '{"epoch": 2, "votedFor": 7}'],
    ['empty file', ''],
    ['votedFor with a space', '{"epoch": 2, "votedFor": "a b"}'],
    ['empty votedFor', '{"epoch": 2, "votedFor": ""}'],
    ['votedFor longer than a node id', `{"epoch": 2, "votedFor": "${'n'.repeat(65)}"}`],
    ['votedFor with a control character', '{"epoch": 2, "votedFor": "n\\u00002"}'],
    ['missing votedFor', '{"epoch": 2}'],
    ['a duplicate epoch', '{"epoch": 7, "votedFor": "n2", "epoch": 3}'],
    ['a duplicate votedFor', '{"epoch": 7, "votedFor": "n2", "votedFor": null}'],
    ['a duplicate spelled with an escape', '{"epoch": 7, "votedFor": "n2", "\\u0065poch": 3}'],
  ])('a corrupt file (%s) is an error naming the file, never "never voted"', (_what, text) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), text);
    const s = new FileVoteStore(dir);
    expect(() => s.load()).toThrow(VoteStoreError);
    expect(() => s.load()).toThrow(path.join(dir, 'vote.json'));
  });

  it('names what is wrong: the duplicate key, or the votedFor value', () => {
    const dir = tmp();
    const file = path.join(dir, 'vote.json');
    fs.writeFileSync(file, '{"epoch": 7, "votedFor": "n2", "epoch": 3}');
    expect(() => new FileVoteStore(dir).load()).toThrow(`vote file ${file} is corrupt (key "epoch" appears twice`);
    fs.writeFileSync(file, '{"epoch": 7, "votedFor": "a b"}');
    expect(() => new FileVoteStore(dir).load()).toThrow(`vote file ${file} is corrupt: ${file}: vote record votedFor must be a node id (1-64 printable ASCII bytes, no spaces) or null, got "a b"`);
  });

  it.each([
    ['a well-formed id that is not a member (the sidecar warns; the store cannot know)', '{"epoch": 5, "votedFor": "zzz"}', { epoch: 5, votedFor: 'zzz' }],
    ['a 64-byte id', `{"epoch": 5, "votedFor": "${'n'.repeat(64)}"}`, { epoch: 5, votedFor: 'n'.repeat(64) }],
    ['the same key in a nested object, which is not a duplicate', '{"epoch": 5, "votedFor": null, "x": {"epoch": 1, "y": [{"epoch": 2}]}}', { epoch: 5, votedFor: null }],
    ['a key-like text inside a string value', '{"epoch": 5, "votedFor": null, "note": "\\"epoch\\": 9, {["}', { epoch: 5, votedFor: null }],
  ])('accepts %s', (_what, text, expected) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), text);
    expect(new FileVoteStore(dir).load()).toEqual(expected);
  });

  it('reports a failing save once, and its recovery once, and recheck() rewrites the durable record', () => {
    const dir = tmp();
    const changes: (string | undefined)[] = [];
    const s = new FileVoteStore(dir, { onSaveHealth: (f) => changes.push(f?.message) });
    s.save({ epoch: 3, votedFor: 'n2' });
    expect(s.saveFailure).toBeUndefined();
    expect(s.recheck()).toBe(true);
    // vote.json replaced by a non-empty directory: the rename over it fails, also for root.
    fs.rmSync(s.file);
    fs.mkdirSync(path.join(s.file, 'x'), { recursive: true });
    expect(() => s.save({ epoch: 4, votedFor: 'n1' })).toThrow(/cannot save vote file/);
    expect(() => s.save({ epoch: 4, votedFor: 'n3' })).toThrow(/cannot save vote file/);
    expect(s.recheck()).toBe(false);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(new RegExp(`cannot save vote file ${s.file}`));
    expect(s.saveFailure?.message).toMatch(/cannot save vote file/);
    fs.rmSync(s.file, { recursive: true });
    expect(s.recheck()).toBe(true);
    expect(changes).toEqual([changes[0], undefined]);
    expect(s.saveFailure).toBeUndefined();
    // The rewrite is the last record whose save returned, never one that failed.
    expect(new FileVoteStore(dir).load()).toEqual({ epoch: 3, votedFor: 'n2' });
  });

  it('recheck() after a load rewrites the loaded record', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), '{"epoch": 9, "votedFor": "n3"}');
    const s = new FileVoteStore(dir);
    expect(s.load()).toEqual({ epoch: 9, votedFor: 'n3' });
    fs.rmSync(s.file);
    fs.mkdirSync(path.join(s.file, 'x'), { recursive: true });
    expect(() => s.save({ epoch: 10, votedFor: null })).toThrow(/cannot save/);
    fs.rmSync(s.file, { recursive: true });
    expect(s.recheck()).toBe(true);
    expect(new FileVoteStore(dir).load()).toEqual({ epoch: 9, votedFor: 'n3' });
  });

  it.each([
    ['2^53-1, as the pre-bound wedge left it', 2 ** 53 - 1],
    ['MAX_EPOCH, at which epoch + 1 no longer encodes', MAX_EPOCH],
  ])('an epoch above MAX_HELD_EPOCH (%s) is a start-up error naming the file and the way out', (_what, epoch) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), JSON.stringify({ epoch, votedFor: null }));
    const s = new FileVoteStore(dir);
    expect(() => s.load()).toThrow(VoteStoreError);
    expect(() => s.load()).toThrow(path.join(dir, 'vote.json'));
    expect(() => s.load()).toThrow(/stop every sidecar.*"votedFor":null/);
  });

  it('the highest holdable epoch loads', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), JSON.stringify({ epoch: MAX_HELD_EPOCH, votedFor: 'n1' }));
    expect(new FileVoteStore(dir).load()).toEqual({ epoch: MAX_HELD_EPOCH, votedFor: 'n1' });
  });

  it('a corrupt file stops an Elector from starting', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), 'garbage');
    expect(() => new Elector({ nodeId: 'n1', members: [{ id: 'n1' }], advertisedAddr: 'a:1', voteStore: new FileVoteStore(dir), random: Math.random })).toThrow(/vote\.json is corrupt/);
  });

  it('a failed save throws, naming the file', () => {
    const dir = tmp();
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const s = new FileVoteStore(blocker); // the "directory" is a file: every save must fail
    expect(() => s.save({ epoch: 1, votedFor: null })).toThrow(/cannot save vote file .*not-a-dir/);
  });
});
