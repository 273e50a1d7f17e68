/**
 * Data-driven scenarios for the Elector, in the manner of etcd-io/raft's
 * testdata: each test/elector/scenarios/*.txt is a script of commands, each
 * followed by the messages and events it must produce (rendered by the same
 * renderers as the sidecar log and the simulator timeline). A mismatch fails
 * with a diff of the whole file. `REWRITE=1 npx vitest run
 * test/elector/scenarios.test.ts` writes the actual output back instead; read
 * the diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScenarioRunner } from './scenario-commands.js';
import { formatScenarioFile, parseScenarioFile, ScenarioFileError } from './scenario-file.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const REWRITE = process.env['REWRITE'] === '1';

/** The file's text with each block's output replaced by what the commands produce now. */
export function replay(text: string, file: string): string {
  const blocks = parseScenarioFile(text, file);
  const runner = new ScenarioRunner();
  const actual = blocks.map((b) => {
    try {
      return runner.run(b.command);
    } catch (err) {
      throw new Error(`${file}:${b.line}: ${b.command}: ${(err as Error).message}`, { cause: err });
    }
  });
  return formatScenarioFile(blocks, actual);
}

describe('Elector scenarios', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

  it('there are scenario files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('a malformed script or an unknown command names the file and line', () => {
    expect(() => parseScenarioFile('# x\ncluster n1 n2 n3\nok\n', 'bad.txt')).toThrow(new ScenarioFileError("bad.txt:2: expected '----' after the command 'cluster n1 n2 n3'"));
    expect(() => replay('cluster n1 n2 n3\n----\nok\n\nwarp 3s\n----\nok\n', 'bad.txt')).toThrow("bad.txt:5: warp 3s: unknown command 'warp'");
    expect(() => replay('run 3s\n----\nok\n', 'bad.txt')).toThrow("bad.txt:1: run 3s: 'run' before 'cluster'");
  });

  it('partition cuts every link between the groups and no other', () => {
    const out = replay('cluster n1 n2 n3 bootstrap=n1\n----\n\nsettle\n----\n\npartition n1 | n2 n3\n----\n\nrun-until lease=n2 quiet\n----\n\nstate\n----\n', 'p.txt');
    expect(out).toContain('n2 primary epoch=2');
    expect(out).toContain('n3 replica epoch=2 voted=n2 primary=n2');
    expect(out).toMatch(/n1 primary epoch=1 .* lease=false writes=false/);
  });

  for (const f of files) {
    it(f.replace(/\.txt$/, ''), () => {
      const path = join(DIR, f);
      const text = readFileSync(path, 'utf8');
      const got = replay(text, f);
      if (REWRITE) writeFileSync(path, got);
      else expect(got, `${f} differs from its golden output (REWRITE=1 regenerates it)`).toBe(text);
    });
  }
});
