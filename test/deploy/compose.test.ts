/**
 * docker-compose.yml, the Dockerfile and the systemd example, checked without
 * Docker: every sidecar command line goes through resp-elect's own option
 * parser (yargs with the RUN_OPTIONS table, then resolveRunConfig with a
 * readFile stub that serves the compose secret), and the pieces must agree:
 * members identical on every sidecar and matching the redis services, the
 * secret file mounted where the flag says, the writer pointed at every
 * sidecar, the image's entrypoint present after `npm run build`.
 *
 * No YAML library is installed (and none may be added), so the compose file
 * is read by the small reader below. It accepts a well-defined subset —
 * block mappings, block sequences of scalars or nested blocks, plain and
 * quoted scalars, flow sequences of scalars, comments — and throws on
 * anything else (anchors, aliases, block scalars, flow mappings, tabs), so a
 * compose file edited beyond the subset fails this test instead of being
 * misread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src/cli/resolve-run-config.js';
import { addRunOptions } from '../../src/cli/run-command.js';
import type { SidecarConfig } from '../../src/sidecar/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(`${ROOT}${p}`, 'utf8');

// ---------------------------------------------------------------------------
// The YAML subset reader.

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

interface YLine {
  no: number;
  indent: number;
  text: string;
}

function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string, no: number): Yaml {
  const s = raw.trim();
  if (s === '') return null;
  if (/^[&*!|>{?%@`]/.test(s) || s === '---' || s === '...') throw new Error(`line ${no}: outside the supported YAML subset: ${s}`);
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`line ${no}: unterminated string`);
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`line ${no}: unterminated string`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`line ${no}: unterminated flow sequence`);
    const inner = s.slice(1, -1).trim();
    if (inner === '') return [];
    const items: string[] = [];
    let cur = '';
    let quote: string | null = null;
    for (const c of inner) {
      if (quote) {
        cur += c;
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") {
        quote = c;
        cur += c;
      } else if (c === ',') {
        items.push(cur);
        cur = '';
      } else if (c === '[' || c === '{') throw new Error(`line ${no}: nested flow collections are outside the subset`);
      else cur += c;
    }
    items.push(cur);
    return items.map((i) => scalar(i, no));
  }
  return s;
}

export function parseYamlSubset(text: string): Yaml {
  const lines: YLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tabs are outside the subset`);
    const body = stripComment(raw).replace(/\s+$/, '');
    if (body.trim() === '') return;
    lines.push({ no: i + 1, indent: body.length - body.trimStart().length, text: body.trimStart() });
  });
  let pos = 0;

  const block = (indent: number): Yaml => {
    const first = lines[pos]!;
    if (first.indent !== indent) throw new Error(`line ${first.no}: expected indentation ${indent}`);
    if (first.text === '-' || first.text.startsWith('- ')) {
      const seq: Yaml[] = [];
      while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text === '-' || lines[pos]!.text.startsWith('- '))) {
        const l = lines[pos++]!;
        const rest = l.text.slice(1).trim();
        if (rest === '') {
          if (pos < lines.length && lines[pos]!.indent > indent) seq.push(block(lines[pos]!.indent));
          else seq.push(null);
        } else if (/^[^"'[\s][^:]*:( |$)/.test(rest)) {
          throw new Error(`line ${l.no}: a mapping inside "- " is outside the subset; put it on the next lines`);
        } else seq.push(scalar(rest, l.no));
      }
      return seq;
    }
    const map: { [key: string]: Yaml } = {};
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const l = lines[pos++]!;
      const m = /^([A-Za-z0-9_.-]+):(?: (.*))?$/.exec(l.text);
      if (!m) throw new Error(`line ${l.no}: expected "key: value" (the subset has plain keys only): ${l.text}`);
      const key = m[1]!;
      if (key in map) throw new Error(`line ${l.no}: duplicate key ${key}`);
      const value = (m[2] ?? '').trim();
      if (value !== '') map[key] = scalar(value, l.no);
      else if (pos < lines.length && lines[pos]!.indent > indent) map[key] = block(lines[pos]!.indent);
      else map[key] = null;
    }
    return map;
  };

  if (lines.length === 0) return null;
  const doc = block(lines[0]!.indent);
  if (pos < lines.length) throw new Error(`line ${lines[pos]!.no}: unexpected indentation`);
  return doc;
}

// ---------------------------------------------------------------------------

function asMap(v: Yaml | undefined, what: string): { [key: string]: Yaml } {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} must be a mapping`);
  return v;
}

function asStrings(v: Yaml | undefined, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what} must be a list of strings (exec form)`);
  return v as string[];
}

/** The flags yargs makes of a `resp-elect run` argument list, strict, with the CLI's own option table. */
function runFlags(args: string[]): Record<string, unknown> {
  expect(args[0], 'the sidecar command starts with the run subcommand').toBe('run');
  let failure: string | undefined;
  const argv = addRunOptions(yargs(args.slice(1)))
    .strict()
    .fail((msg, err) => {
      failure = msg ?? err?.message;
    })
    .exitProcess(false)
    .parseSync();
  if (failure) throw new Error(`resp-elect run ${args.slice(1).join(' ')}: ${failure}`);
  return argv as Record<string, unknown>;
}

describe('the YAML subset reader', () => {
  it('reads mappings, sequences, quoted and flow scalars, and comments', () => {
    const doc = parseYamlSubset(`# top
a: 1
b:
  - x
  - "y # not a comment"
  - ''
  -
    c: [p, "q", 'r s']
d:   # empty
e: 'it''s'
`);
    expect(doc).toEqual({ a: '1', b: ['x', 'y # not a comment', '', { c: ['p', 'q', 'r s'] }], d: null, e: "it's" });
  });

  it('refuses what it does not support', () => {
    expect(() => parseYamlSubset('a: &anchor x')).toThrow(/subset/);
    expect(() => parseYamlSubset('a: *alias')).toThrow(/subset/);
    expect(() => parseYamlSubset('a: |\n  text')).toThrow(/subset/);
    expect(() => parseYamlSubset('a: {b: c}')).toThrow(/subset/);
    expect(() => parseYamlSubset('a:\n\t- x')).toThrow(/tabs/);
    expect(() => parseYamlSubset('s:\n  - k: v')).toThrow(/mapping inside/);
    expect(() => parseYamlSubset('a: 1\na: 2')).toThrow(/duplicate/);
    expect(() => parseYamlSubset('a:\n    b: 1\n  c: 2')).toThrow(/indentation/);
  });
});

describe('docker-compose.yml', () => {
  const compose = asMap(parseYamlSubset(read('docker-compose.yml')), 'the compose file');
  const services = asMap(compose['services'], 'services');
  const secrets = asMap(compose['secrets'], 'secrets');
  const volumes = asMap(compose['volumes'], 'volumes');
  const sidecarNames = Object.keys(services).filter((n) => n.startsWith('sidecar')).sort();
  const redisNames = Object.keys(services).filter((n) => /^redis\d+$/.test(n)).sort();

  /** The port a redis service's redis-server listens on (--port, default 6379). */
  const redisPort = (name: string): number => {
    const svc = asMap(services[name], name);
    expect(String(svc['image']), `${name} image`).toMatch(/^(redis|valkey\/valkey|bitnami\/redis):/);
    const cmd = asStrings(svc['command'], `${name}.command`);
    expect(cmd[0]).toMatch(/^(redis|valkey)-server$/);
    const i = cmd.indexOf('--port');
    return i >= 0 ? Number(cmd[i + 1]) : 6379;
  };

  /** Each sidecar's config as `resp-elect run` would resolve it inside its container. */
  const configs = new Map<string, SidecarConfig>();
  for (const name of sidecarNames) {
    const svc = asMap(services[name], name);
    const mounted = new Map<string, string>();
    for (const s of asStrings(svc['secrets'], `${name}.secrets`)) {
      const decl = asMap(secrets[s], `secrets.${s}`);
      const file = decl['file'];
      if (typeof file !== 'string') throw new Error(`secrets.${s} must name a file`);
      mounted.set(`/run/secrets/${s}`, file.replace(/^\.\//, ''));
    }
    const readFile = (p: string): Buffer => {
      const local = mounted.get(p);
      if (local === undefined) throw new Error(`${p} is not a secret mounted into ${name} (mounted: ${[...mounted.keys()].join(', ') || 'none'})`);
      return readFileSync(`${ROOT}${local}`);
    };
    configs.set(name, resolveRunConfig({ flags: runFlags(asStrings(svc['command'], `${name}.command`)), env: {}, readFile }));
  }

  it('has three redis services, each with a sidecar, and a writer', () => {
    expect(redisNames).toEqual(['redis1', 'redis2', 'redis3']);
    expect(sidecarNames).toEqual(['sidecar1', 'sidecar2', 'sidecar3']);
    expect(services['writer']).toBeDefined();
  });

  it('runs every sidecar in its redis network namespace, as member n<N>', () => {
    for (const [name, c] of configs) {
      const n = name.slice('sidecar'.length);
      const svc = asMap(services[name], name);
      expect(svc['network_mode'], name).toBe(`service:redis${n}`);
      expect(c.id, name).toBe(`n${n}`);
      const self = c.members.find((m) => m.id === c.id)!;
      // Peers reach this sidecar, and clients its redis, by the redis service's name.
      expect(self.sidecar.host, name).toBe(`redis${n}`);
      expect(self.sidecar.port, `${name}: --listen port = its member port`).toBe(c.listen.port);
      expect(self.redis, name).toEqual({ host: `redis${n}`, port: redisPort(`redis${n}`) });
      // The sidecar reaches its own redis over the shared loopback, on the redis service's port.
      expect(c.redis!.addr.host === '127.0.0.1' || c.redis!.addr.host === `redis${n}`, name).toBe(true);
      expect(c.redis!.addr.port, name).toBe(redisPort(`redis${n}`));
      expect(c.announce, `${name} announces the address clients can resolve`).toEqual({ host: `redis${n}`, port: redisPort(`redis${n}`) });
    }
  });

  it('gives every sidecar the same members, secret, bootstrap node and timings', () => {
    const all = [...configs.values()];
    const first = all[0]!;
    expect(first.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    for (const c of all) {
      expect(c.members, c.id).toEqual(first.members);
      expect(c.secret.equals(first.secret), `${c.id}: same secret`).toBe(true);
      expect(c.bootstrapPrimary, c.id).toBe(first.bootstrapPrimary);
      expect(c.timings, c.id).toEqual(first.timings);
      expect(c.masterName, c.id).toBe(first.masterName);
      expect(c.tls, c.id).toBeUndefined();
    }
    expect(first.bootstrapPrimary && first.members.some((m) => m.id === first.bootstrapPrimary)).toBe(true);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('keeps each vote file on its own named volume and logs JSON for the failover script', () => {
    const seen = new Set<string>();
    for (const [name, c] of configs) {
      const svc = asMap(services[name], name);
      const mounts = asStrings(svc['volumes'], `${name}.volumes`).map((v) => v.split(':'));
      const mount = mounts.find(([, target]) => target === c.dataDir);
      expect(mount, `${name}: --data-dir ${c.dataDir} is a mounted volume`).toBeDefined();
      expect(Object.keys(volumes), name).toContain(mount![0]);
      expect(seen.has(mount![0]!), `${name}: a volume of its own`).toBe(false);
      seen.add(mount![0]!);
      expect(c.logFormat, name).toBe('json');
    }
  });

  it('points the writer at every sidecar, waiting for quorum − 1 replicas', () => {
    const w = asMap(services['writer'], 'writer');
    const entry = asStrings(w['entrypoint'], 'writer.entrypoint');
    expect(entry[0]).toBe('node');
    expect(existsSync(`${ROOT}${entry[1]}`), `${entry[1]} exists after npm run build`).toBe(true);
    const args = asStrings(w['command'], 'writer.command');
    const sentinels = args.flatMap((a, i) => (args[i - 1] === '--sentinel' ? [a] : []));
    const first = [...configs.values()][0]!;
    expect(sentinels.sort()).toEqual(first.members.map((m) => `${m.sidecar.host}:${m.sidecar.port}`).sort());
    expect(args[args.indexOf('--name') + 1]).toBe(first.masterName);
    expect(Number(args[args.indexOf('--replicas') + 1])).toBe(Math.floor(first.members.length / 2));
  });

  it('builds the sidecars from this repository, and the writer from its lab stage', () => {
    for (const name of sidecarNames) {
      const svc = asMap(services[name], name);
      expect(svc['build'], name).toBe('.');
      expect(svc['image'], name).toBe('resp-elect:local');
    }
    // The writer is harness code (dist/lab): it has an image of its own, never the sidecars' one.
    const w = asMap(services['writer'], 'writer');
    expect(w['build']).toEqual({ context: '.', target: 'lab' });
    expect(w['image']).not.toBe('resp-elect:local');
    expect(read('Dockerfile')).toMatch(/^FROM node:20\S* AS lab$/m);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const instr = text
    .split('\n')
    .filter((l) => /^[A-Z]+\s/.test(l))
    .map((l) => l.trim());

  it('is multi-stage on node:20, production dependencies only in the final image, non-root', () => {
    const froms = instr.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:20(-slim|-alpine|-bookworm-slim)?\b/);
    const finalStage = instr.slice(instr.lastIndexOf(froms.at(-1)!));
    expect(finalStage.some((l) => l.startsWith('COPY --from=deps /app/node_modules'))).toBe(true);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(finalStage.some((l) => /^RUN npm (ci|install)(?!.*--omit=dev)/.test(l))).toBe(false);
    const user = finalStage.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
  });

  it('has an entrypoint that exists after npm run build, and runs the sidecar by default', () => {
    // The final stage (the product image) copies the product, dist/src, and nothing of the lab.
    const finalStage = instr.slice(instr.lastIndexOf(instr.filter((l) => l.startsWith('FROM ')).at(-1)!));
    const entry = JSON.parse(finalStage.find((l) => l.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[];
    expect(entry).toEqual(['node', 'dist/src/cli/main.js']);
    expect(existsSync(`${ROOT}${entry[1]}`), `${entry[1]} after npm run build`).toBe(true);
    expect(JSON.parse(finalStage.find((l) => l.startsWith('CMD '))!.slice(4))).toEqual(['run']);
    expect(finalStage).toContain('COPY --from=build /app/dist/src ./dist/src');
    expect(finalStage.filter((l) => l.startsWith('COPY')).filter((l) => /lab|scripts|test/.test(l))).toEqual([]);
  });

  it('keeps the build context small', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(ignored).toContain(p);
  });
});

describe('deploy/ examples', () => {
  it('the systemd unit runs a command line and config file the CLI accepts', () => {
    const unit = read('deploy/resp-elect@.service');
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(/\s+/);
    expect(exec.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/resp-elect/dist/src/cli/main.js']);
    const args = exec.slice(2).map((a) => a.replace('%i', 'main').replace('${CREDENTIALS_DIRECTORY}', '/run/credentials/x').replace('${STATE_DIRECTORY}', '/var/lib/resp-elect/main'));
    const flags = runFlags(args);
    const files: Record<string, Buffer> = {
      '/etc/resp-elect/main.json': readFileSync(`${ROOT}deploy/resp-elect.example.json`),
      '/run/credentials/x/secret': Buffer.from('0123456789abcdef0123456789abcdef\n'),
    };
    const c = resolveRunConfig({
      flags,
      env: {},
      readFile: (p) => {
        const f = files[p];
        if (!f) throw new Error(`unexpected read of ${p}`);
        return f;
      },
    });
    expect(c.id).toBe('n1');
    expect(c.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    expect(c.dataDir).toBe('/var/lib/resp-elect/main');
    expect(c.minReplicas).toBe(1);
    expect(/^StateDirectory=resp-elect\/%i$/m.test(unit)).toBe(true);
    expect(/^LoadCredential=secret:/m.test(unit)).toBe(true);
  });
});
