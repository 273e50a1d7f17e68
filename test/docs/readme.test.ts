import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../../scripts/gen-docs.js';
import { RUN_OPTIONS, envName } from '../../src/cli/run-options.js';

describe('README', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('configuration reference is generated from the option table (run `npm run docs` after changing options)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('documents every option with its environment variable', () => {
    for (const o of RUN_OPTIONS) {
      expect(readme).toContain(`--${o.name}`);
      expect(readme).toContain(envName(o.name));
    }
  });

  it('the Development table lists every folder of src/ and lab/, one line each, and only folders that exist', () => {
    const dev = readme.split('## Development')[1]!.split('\n## ')[0]!;
    const listed = [...dev.matchAll(/^\| `([^`]+\/)` \|/gm)].map((m) => m[1]!);
    expect(new Set(listed).size).toBe(listed.length);
    for (const p of listed) expect(fs.existsSync(new URL(`../../${p}`, import.meta.url)), `${p} is listed but does not exist`).toBe(true);
    for (const top of ['src', 'lab']) {
      const dirs = fs.readdirSync(new URL(`../../${top}/`, import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${top}/${d.name}/`);
      for (const d of dirs) expect(listed, `${d} is missing from README "Development"`).toContain(d);
    }
  });

  it('quick start is exactly two commands: the demo and the tests', () => {
    const quick = readme.split('## Quick start')[1]!.split('```sh')[1]!.split('```')[0]!;
    const commands = quick.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm run demo', 'npm test']);
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });
});
