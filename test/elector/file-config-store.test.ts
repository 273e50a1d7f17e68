import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../src/elector/cluster-config.js';
import { ConfigStoreError } from '../../src/elector/config-store.js';
import { FileConfigStore } from '../../src/elector/file-config-store.js';
import { MAX_EPOCH, MAX_HELD_EPOCH } from '../../src/protocol/limits.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'resp-elect-config-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const CONFIG: ClusterConfig = {
  version: 3,
  epoch: 7,
  members: [
    { id: 'n1', kind: 'voter', priority: 1, peer: '10.0.0.1:7000', redis: '10.0.0.1:6379' },
    { id: 'n2', kind: 'learner', priority: 0, peer: '10.0.0.2:7000', redis: '10.0.0.2:6379' },
    { id: 'n3', kind: 'witness', priority: 0, peer: '10.0.0.3:7000' },
  ],
};
const member = (extra: string) => `{"id":"n1","kind":"voter","priority":1,"peer":null,"redis":null${extra}}`;

describe('FileConfigStore', () => {
  it('reads a missing file as never stored and round-trips a configuration', () => {
    const dir = tmp();
    const s = new FileConfigStore(dir);
    expect(s.load()).toBeNull();
    s.save(CONFIG);
    expect(new FileConfigStore(dir).load()).toEqual(CONFIG);
    expect(fs.readdirSync(dir)).toEqual(['config.json']); // no temporary file left behind
  });

  it('writes the documented JSON, null for an absent address', () => {
    const dir = tmp();
    new FileConfigStore(dir).save(CONFIG);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(json).toEqual({
      version: 3,
      epoch: 7,
      members: [
        { id: 'n1', kind: 'voter', priority: 1, peer: '10.0.0.1:7000', redis: '10.0.0.1:6379' },
        { id: 'n2', kind: 'learner', priority: 0, peer: '10.0.0.2:7000', redis: '10.0.0.2:6379' },
        { id: 'n3', kind: 'witness', priority: 0, peer: '10.0.0.3:7000', redis: null },
      ],
    });
  });

  it('creates the data directory when missing', () => {
    const dir = path.join(tmp(), 'a', 'b');
    new FileConfigStore(dir).save(CONFIG);
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(true);
  });

  it.each([
    ['not JSON', '{"version": 3, "epo', /not JSON/],
    ['empty file', '', /not JSON/],
    ['a list', '[1,2]', /configuration is not an object/],
    ['negative version', `{"version":-1,"epoch":0,"members":[${member('')}]}`, /version must be a non-negative integer/],
    ['epoch above the bound', `{"version":1,"epoch":${MAX_EPOCH},"members":[${member('')}]}`, new RegExp(`above the highest epoch a node may hold \\(${MAX_HELD_EPOCH}\\)`)],
    ['members not a list', '{"version":1,"epoch":0,"members":{}}', /members must be a list/],
    ['no members', '{"version":1,"epoch":0,"members":[]}', /no members/],
    ['a member that is not an object', '{"version":1,"epoch":0,"members":[7]}', /member 0 is not an object/],
    ['an unknown kind', '{"version":1,"epoch":0,"members":[{"id":"n1","kind":"boss","priority":1,"peer":null,"redis":null}]}', /kind must be voter, learner or witness/],
    ['a misspelled key', `{"version":1,"epoch":0,"members":[${member(',"prority":2')}]}`, /member 0: unknown key "prority"/],
    ['an unknown top-level key', `{"version":1,"epoch":0,"members":[${member('')}],"x":1}`, /unknown key "x"/],
    ['a numeric address', '{"version":1,"epoch":0,"members":[{"id":"n1","kind":"voter","priority":1,"peer":5,"redis":null}]}', /peer must be "host:port" or null, got 5/],
    ['a bad address', '{"version":1,"epoch":0,"members":[{"id":"n1","kind":"voter","priority":1,"peer":"host","redis":null}]}', /peer address "host": missing ":port"/],
    ['a duplicate member id', `{"version":1,"epoch":0,"members":[${member('')},${member('')}]}`, /member n1 is listed twice/],
    ['a duplicate key', `{"version":1,"epoch":0,"version":2,"members":[${member('')}]}`, /key "version" appears twice/],
    ['a duplicate key in a member', `{"version":1,"epoch":0,"members":[${member(',"priority":0')}]}`, /key "priority" appears twice/],
    ['no voter that can lead', '{"version":1,"epoch":0,"members":[{"id":"n1","kind":"voter","priority":0,"peer":null,"redis":null}]}', /no voter can ever be primary/],
  ])('a corrupt file (%s) is an error naming the file and refusing to guess', (_what, text, problem) => {
    const dir = tmp();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, text);
    const s = new FileConfigStore(dir);
    expect(() => s.load()).toThrow(ConfigStoreError);
    expect(() => s.load()).toThrow(`configuration file ${file} is corrupt (`);
    expect(() => s.load()).toThrow(/refusing to start rather than guess the membership/);
    expect(() => s.load()).toThrow(problem);
  });

  it('an unreadable file is an error naming it, not "never stored"', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'config.json'));
    expect(() => new FileConfigStore(dir).load()).toThrow(new RegExp(`cannot read configuration file ${path.join(dir, 'config.json')}: .*EISDIR`));
  });

  it('refuses to save a bad configuration, leaving the file as it was', () => {
    const dir = tmp();
    const s = new FileConfigStore(dir);
    s.save(CONFIG);
    expect(() => s.save({ version: 4, epoch: 7, members: [] })).toThrow(ConfigStoreError);
    expect(new FileConfigStore(dir).load()).toEqual(CONFIG);
  });

  it('reports a failing save once, and its recovery once, and recheck() rewrites the durable configuration', () => {
    const dir = tmp();
    const changes: (string | undefined)[] = [];
    const s = new FileConfigStore(dir, { onSaveHealth: (f) => changes.push(f?.message) });
    s.save(CONFIG);
    expect(s.recheck()).toBe(true);
    // config.json replaced by a non-empty directory: the rename over it fails, also for root.
    fs.rmSync(s.file);
    fs.mkdirSync(path.join(s.file, 'x'), { recursive: true });
    const next = { ...CONFIG, version: 4 };
    expect(() => s.save(next)).toThrow(/cannot save configuration file/);
    expect(() => s.save(next)).toThrow(ConfigStoreError);
    expect(s.recheck()).toBe(false);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(new RegExp(`cannot save configuration file ${s.file}`));
    expect(s.saveFailure?.message).toMatch(/cannot save configuration file/);
    fs.rmSync(s.file, { recursive: true });
    expect(s.recheck()).toBe(true);
    expect(changes).toEqual([changes[0], undefined]);
    expect(s.saveFailure).toBeUndefined();
    expect(new FileConfigStore(dir).load()).toEqual(CONFIG);
  });

  it('recheck() with nothing known durable cannot recover, and says so', () => {
    const dir = tmp();
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const s = new FileConfigStore(blocker);
    expect(() => s.save(CONFIG)).toThrow(/cannot save configuration file .*not-a-dir/);
    expect(s.recheck()).toBe(false);
  });
});
