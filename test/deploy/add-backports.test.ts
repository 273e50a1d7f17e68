/**
 * scripts/add-backports.sh: bookworm-backports is added from the mirror the
 * machine's own apt sources name (deb822 or one-line format), in a file of
 * its own; nothing when the suite is already there; a clear error when no
 * bookworm source exists. Runs against throw-away copies of /etc/apt.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/add-backports.sh', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function aptEtc(files: Record<string, string>): string {
  const etc = mkdtempSync(join(tmpdir(), 'resp-elect-apt-'));
  dirs.push(etc);
  mkdirSync(join(etc, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
  return etc;
}
const run = (etc: string) => spawnSync('bash', [SCRIPT], { encoding: 'utf8', env: { ...process.env, RESP_ELECT_APT_ETC: etc } });
const added = (etc: string) => join(etc, 'sources.list.d', 'resp-elect-backports.sources');

describe('add-backports.sh', () => {
  it('deb822: reuses the URI and keyring of the stanza for bookworm, not the security one', () => {
    const etc = aptEtc({
      'sources.list.d/debian.sources':
        'Types: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /k/sec.gpg\n\n' +
        'Types: deb\n# a comment\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /k/main.gpg\n',
    });
    const r = run(etc);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(added(etc), 'utf8')).toBe('Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /k/main.gpg\n');
  });

  it('one-line sources.list: reuses the URI of the bookworm line, options skipped', () => {
    const etc = aptEtc({ 'sources.list': '# x\ndeb [arch=amd64 signed-by=/k.gpg] http://other.invalid/debian bookworm main\ndeb http://other.invalid/debian-security bookworm-security main\n' });
    const r = run(etc);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(added(etc), 'utf8')).toMatch(/^URIs: http:\/\/other\.invalid\/debian$/m);
  });

  it('does nothing when bookworm-backports is already configured', () => {
    const etc = aptEtc({ 'sources.list': 'deb http://x.invalid/debian bookworm-backports main\n' });
    expect(run(etc).status).toBe(0);
    expect(existsSync(added(etc))).toBe(false);
  });

  it('no bookworm source: fails naming what it looked for, writes nothing', () => {
    const etc = aptEtc({ 'sources.list': 'deb http://x.invalid/debian trixie main\n' });
    const r = run(etc);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no apt source for Debian bookworm found/);
    expect(existsSync(added(etc))).toBe(false);
  });
});
