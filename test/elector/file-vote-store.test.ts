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
  ])('a corrupt file (%s) is an error naming the file, never "never voted"', (_what, text) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'vote.json'), text);
    const s = new FileVoteStore(dir);
    expect(() => s.load()).toThrow(VoteStoreError);
    expect(() => s.load()).toThrow(path.join(dir, 'vote.json'));
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
