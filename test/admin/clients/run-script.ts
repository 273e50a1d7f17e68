/** Run an interpreter on a one-off script (`-e` / `-r`) and parse the JSON it prints. Async: the admin server under test runs in this process. */
import { execFile } from 'node:child_process';

export function runJson(command: string, args: readonly string[], timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}
