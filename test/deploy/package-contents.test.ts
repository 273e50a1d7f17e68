/**
 * The package ships only the product. `npm pack` (what `npm publish` uploads)
 * holds dist/src, protocol.md, README.md and package.json, and nothing of the
 * harness: no lab/ (demo, benchmarks, chaos, process helpers), scripts/ or
 * test/. And the product does not reach into the harness: no module under
 * src/ imports anything outside src/, so dist/src runs without dist/lab.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

/** Relative module specifiers of `import ... from '...'`, `export ... from '...'` and `import('...')`. */
function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.[^'"]*)\1/gm)) out.push(m[2]!);
  return out;
}

/** Imports of the modules under `dir` that resolve to a file outside `dir`, as `file: specifier`. */
function importsLeaving(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const file of filesUnder(dir, suffix)) {
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = relative(dir, resolve(dirname(file), spec));
      if (target.startsWith('..')) out.push(`${relative(ROOT, file)}: ${spec}`);
    }
  }
  return out;
}

describe('the published package', () => {
  it('packs the product only: dist/src and the docs, no harness', () => {
    expect(existsSync(join(ROOT, 'dist/src/cli/main.js')), 'dist/src missing: npm run build first').toBe(true);
    const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const files = (JSON.parse(json) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/src/cli/main.js');
    expect(files).toContain('dist/src/index.js');
    expect(files.filter((f) => !/^(dist\/src\/|protocol\.md$|README\.md$|package\.json$|LICENSE)/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(lab|scripts|test|demo|bench)\//.test(f))).toEqual([]);
  });

  it('no product module imports anything outside src/ (sources and the build)', () => {
    expect(importsLeaving(join(ROOT, 'src'), '.ts')).toEqual([]);
    expect(importsLeaving(join(ROOT, 'dist/src'), '.js')).toEqual([]);
  });

  it('the import scan sees the imports it must refuse', () => {
    // The scan itself, on lines of the three forms, so the check above cannot pass by reading nothing.
    const text = "import { a } from '../../lab/proc/ports.js';\nexport * from './x.js';\nconst m = await import('../lab/demo/main.js');\nimport './side-effect.js';\n";
    expect(relativeImports(text)).toEqual(['../../lab/proc/ports.js', './x.js', '../lab/demo/main.js', './side-effect.js']);
  });
});
