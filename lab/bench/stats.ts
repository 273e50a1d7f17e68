/** Small statistics and Markdown helpers for the bench reports. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { serverBinaries } from '../proc/server-binaries.js';

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  // nearest rank
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx]!;
}

export interface Summary {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { n: 0, min: NaN, median: NaN, p95: NaN, max: NaN };
  return { n: values.length, min: Math.min(...values), median: quantile(values, 0.5), p95: quantile(values, 0.95), max: Math.max(...values) };
}

export function fmt(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–';
}

export function table(header: string[], rows: (string | number)[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(String).join(' | ')} |`);
  return lines.join('\n');
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

export function machineInfo(): string {
  const bins = serverBinaries();
  const model = cpus()[0]?.model ?? '?';
  const load = (() => {
    try {
      return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    } catch {
      return '?';
    }
  })();
  return table(
    ['what', 'value'],
    [
      ['nproc', tryRun('nproc', [])],
      ['CPU', model],
      ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['kernel', release()],
      ['node', process.version],
      [bins.server, tryRun(bins.server, ['--version'])],
      [bins.sentinel, tryRun(bins.sentinel, ['--version'])],
      ['load average at start (1/5/15 min)', load],
    ],
  );
}

/** Replace the section between `<!-- name:start -->` and `<!-- name:end -->` in `file` (appending it if absent). */
export function writeSection(file: string, name: string, body: string): void {
  // Several scripts may update the file at once (parallel chaos batches): serialize the read-modify-write with a lock file.
  mkdirSync(dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      // Only a lock held by another writer is worth waiting for; anything else would never clear.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot write ${file}: ${(err as Error).message}`);
      if (Date.now() > deadline) {
        rmSync(lock, { force: true }); // stale lock from a killed writer
        continue;
      }
      const until = Date.now() + 20;
      while (Date.now() < until) {
        // brief spin; this runs rarely and only for a few ms
      }
    }
  }
  try {
    writeSectionUnlocked(file, name, body);
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

function writeSectionUnlocked(file: string, name: string, body: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trimEnd()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# resp-elect vs Redis Sentinel: benchmark results\n\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** Simple `--flag value` / `--flag` parser (yargs would do too; these scripts have few flags). */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}
