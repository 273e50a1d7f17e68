// writeSection, which every benchmark uses to update bench/results.md: it
// creates a missing directory and fails on a path it cannot write, instead of
// spinning forever on the lock file (which it did with `--out` in a directory
// that did not exist).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSection } from '../../lab/bench/stats.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'resp-elect-write-section-'));
  dirs.push(d);
  return d;
}

describe('writeSection', () => {
  it('creates the directory of a new results file and replaces a section in place', () => {
    const file = join(scratch(), 'new', 'dir', 'results.md');
    writeSection(file, 'failover', 'first');
    writeSection(file, 'failover', 'second');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('second');
    expect(text).not.toContain('first');
  });

  it('a path it cannot write is an error, not an endless wait', () => {
    const d = scratch();
    writeFileSync(join(d, 'a-file'), 'x');
    expect(() => writeSection(join(d, 'a-file', 'results.md'), 'failover', 'body')).toThrow(/ENOTDIR|EEXIST|not a directory/);
  });
});
