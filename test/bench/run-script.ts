/** Run a compiled bench script (dist/scripts/<name>.js) to completion and parse its RESULT line. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function runBenchScript(name: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string; result: Record<string, unknown> | undefined }> {
  const script = join(ROOT, 'dist', 'scripts', `${name}.js`);
  if (!existsSync(script)) throw new Error(`${script} missing: run \`npx tsc -p .\` first`);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
    // SIGTERM lets the script kill its own children; SIGKILL later if it hangs anyway.
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      reject(new Error(`${name} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${output.slice(-3000)}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = output.split('\n').find((l) => l.startsWith('RESULT '));
      resolveRun({ code, output, result: line ? (JSON.parse(line.slice(7)) as Record<string, unknown>) : undefined });
    });
  });
}
