/**
 * `resp-elect run` refuses to start on bad input, with one clear line naming
 * what is wrong and a non-zero exit: option errors (flags, environment), a
 * corrupt vote file, a data directory that takes no durable write, a port in
 * use. Spawns the compiled CLI.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli, sidecarPort } from '../support/cluster.js';
import { canMakeImmutable, setImmutable } from '../support/immutable-dir.js';
import { waitFor } from '../../lab/util/wait.js';
import { cleanupAll as cleanupRedis, startRedis } from '../../lab/proc/redis-process.js';

const dir = mkdtempSync(join(tmpdir(), 'resp-elect-startup-'));
const immutable = new Set<string>();
afterAll(() => {
  for (const d of immutable) setImmutable(d, false);
  rmSync(dir, { recursive: true, force: true });
});
afterAll(cleanupRedis);
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, 'x'.repeat(32));

async function baseArgs(dataDir: string): Promise<string[]> {
  const port = await sidecarPort();
  return [
    'run',
    '--id', 'n1',
    '--listen', `127.0.0.1:${port}`,
    '--member', `n1=127.0.0.1:${port},redis=127.0.0.1:1`,
    '--member', 'n2=127.0.0.1:2,redis=127.0.0.1:3',
    '--member', 'n3=127.0.0.1:4,redis=127.0.0.1:5',
    '--secret-file', secretFile,
    '--data-dir', dataDir,
  ];
}

/** Replace the value of `--flag` in args (or drop the flag with its value when `value` is null). */
function withArg(args: string[], flag: string, value: string | null): string[] {
  const out = [...args];
  const at = out.indexOf(flag);
  if (at < 0) return value === null ? out : [...out, flag, value];
  if (value === null) out.splice(at, 2);
  else out[at + 1] = value;
  return out;
}

async function expectRefused(args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runCli(args, { env });
  expect(r.code, `exit code; stderr: ${r.stderr}`).not.toBe(0);
  expect(r.code).not.toBeNull(); // exited by itself, not killed on timeout
  expect(r.stderr).toMatch(pattern);
  // One clear line, not a stack trace.
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr;
}

// Real processes on a possibly busy machine: generous per-test limits; the timing claims are asserted separately.
describe('resp-elect run: refusing to start', { timeout: 120_000 }, () => {
  it('names the option: missing --id', async () => {
    const args = withArg(await baseArgs(join(dir, 'a')), '--id', null);
    await expectRefused(args, /--id: is required/);
  });

  it('names the option: a bad --member', async () => {
    const args = await baseArgs(join(dir, 'b'));
    await expectRefused(withArg(args, '--member', 'n1=nohost'), /--member: "n1=nohost": bad sidecar address/);
    await expectRefused([...args, '--member', 'n4=127.0.0.1:9,redis=127.0.0.1:10,bogus'], /--member: .*unknown part "bogus"/);
    await expectRefused([...args, '--member', 'n2=127.0.0.1:9,redis=127.0.0.1:10'], /--member: member n2 is listed twice/);
  });

  it('names the option: an unreadable --secret-file', async () => {
    const missing = join(dir, 'no-such-secret');
    await expectRefused(withArg(await baseArgs(join(dir, 'c')), '--secret-file', missing), new RegExp(`--secret-file: cannot read ${missing}`));
  });

  it('names the option: a lease too long for --down-after-ms', async () => {
    const args = [...(await baseArgs(join(dir, 'd'))), '--down-after-ms', '300', '--lease-ms', '290'];
    await expectRefused(args, /--lease-ms: .*down-after-ms/);
  });

  it('names the option and the source when the environment is wrong', async () => {
    await expectRefused(await baseArgs(join(dir, 'e')), /--down-after-ms \(from environment\): must be an integer/, { RESP_ELECT_DOWN_AFTER_MS: 'soon' });
  });

  it('a flag without its value, or with a value that is not a number: a usage error, not a stack trace', async () => {
    const args = await baseArgs(join(dir, 'h'));
    const missing = await runCli([...args, '--down-after-ms']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^resp-elect: Not enough arguments following: down-after-ms\n/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    await expectRefused([...args, '--down-after-ms', 'abc'], /--down-after-ms: must be an integer from 1 to \d+, got something that is not a number/);
  });

  it('names an unknown flag', async () => {
    const r = await runCli([...(await baseArgs(join(dir, 'f'))), '--down-after', '300']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unknown argument: down-after\n/);
  });

  it('a corrupt vote file: exits non-zero with a message naming the file', async () => {
    const dataDir = join(dir, 'corrupt');
    mkdirSync(dataDir, { recursive: true });
    const voteFile = join(dataDir, 'vote.json');
    writeFileSync(voteFile, '{"epoch": 3, "votedFor": "n2"'); // truncated
    const stderr = await expectRefused(await baseArgs(dataDir), new RegExp(`vote file ${voteFile} is corrupt`));
    expect(stderr).toMatch(/refusing to start/);
    // Valid JSON of the wrong shape is just as fatal.
    writeFileSync(voteFile, '{"epoch": -1, "votedFor": 7}');
    await expectRefused(await baseArgs(dataDir), new RegExp(`vote file ${voteFile} is corrupt`));
    // A votedFor no member id can be, and a key given twice (JSON.parse would keep the last silently).
    writeFileSync(voteFile, '{"epoch": 3, "votedFor": "a b"}');
    await expectRefused(await baseArgs(dataDir), new RegExp(`vote file ${voteFile} is corrupt: .*votedFor must be a node id .*got "a b"`));
    writeFileSync(voteFile, '{"epoch": 7, "votedFor": "n2", "epoch": 3}');
    await expectRefused(await baseArgs(dataDir), new RegExp(`vote file ${voteFile} is corrupt \\(key "epoch" appears twice`));
    // And so is a vote file that cannot be read at all.
    rmSync(voteFile);
    mkdirSync(voteFile);
    await expectRefused(await baseArgs(dataDir), new RegExp(`cannot read vote file ${voteFile}`));
  });

  it('a corrupt configuration file: exits non-zero with a message naming the file', async () => {
    const dataDir = join(dir, 'corrupt-config');
    mkdirSync(dataDir, { recursive: true });
    const configFile = join(dataDir, 'config.json');
    writeFileSync(configFile, '{"version": 3, "epoch": 2, "members": [');
    await expectRefused(await baseArgs(dataDir), new RegExp(`${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(corrupt|not JSON)`));
    writeFileSync(configFile, '{"version": 3, "epoch": 2, "members": []}');
    await expectRefused(await baseArgs(dataDir), new RegExp(`${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*no members`));
  });

  // Root ignores permission bits, so the directory is made immutable (chattr +i): no file can be created in it, not even by root.
  it.skipIf(!canMakeImmutable())('a data directory that takes no durable write: exits non-zero naming the directory and the errno', async () => {
    const dataDir = join(dir, 'immutable');
    mkdirSync(dataDir);
    immutable.add(dataDir);
    setImmutable(dataDir, true);
    try {
      const stderr = await expectRefused(await baseArgs(dataDir), new RegExp(`--data-dir ${dataDir}: cannot write, fsync and rename a file in it \\(EPERM: `));
      expect(stderr).toMatch(/could never vote/);
    } finally {
      setImmutable(dataDir, false);
      immutable.delete(dataDir);
    }
    // The probe leaves nothing behind when it succeeds.
    const ok = await startUntilStarted(await baseArgs(dataDir));
    expect(ok.log).toMatch(/sidecar started/);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('a vote for a well-formed id that is not a member: starts, keeps the vote, warns naming the file', async () => {
    const dataDir = join(dir, 'stranger');
    mkdirSync(dataDir);
    const voteFile = join(dataDir, 'vote.json');
    writeFileSync(voteFile, '{"epoch": 4, "votedFor": "zzz"}');
    const { log } = await startUntilStarted(await baseArgs(dataDir));
    expect(log).toMatch(new RegExp(`WARN .*vote file ${voteFile}: voted for zzz in epoch 4, which is not a member \\(members: n1,n2,n3\\); keeping the vote`));
    expect(log).toMatch(/sidecar started .*epoch=4/);
  });

  it('a --listen address already in use', async () => {
    const args = await baseArgs(join(dir, 'g'));
    const port = Number(args[args.indexOf('--listen') + 1]!.split(':')[1]);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port }, r));
    try {
      await expectRefused(args, new RegExp(`--listen 127\\.0\\.0\\.1:${port}: address already in use`));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('a redis user that may not run what the sidecar needs: names each missing command', async () => {
    // As an operator's --redis-user without `client|kill`, on a redis whose REPLICAOF was renamed away.
    const redis = await startRedis({ args: ['--rename-command', 'REPLICAOF', '', '--user', 'sidecar', 'on', 'nopass', '~*', '&*', '+@all', '-client|kill'] });
    try {
      const base = await baseArgs(join(dir, 'e'));
      const args = [...base.map((a) => a.replace(/^(n1=.*),redis=127\.0\.0\.1:1$/, `$1,redis=127.0.0.1:${redis.port}`)), '--redis-user', 'sidecar'];
      expect(args.join(' ')).toContain(`redis=127.0.0.1:${redis.port}`);
      const stderr = await expectRefused(args, /user sidecar may not run 2 command\(s\) the sidecar needs: replicaof \(following, detaching and promoting\): ERR Command 'replicaof' not found/i);
      expect(stderr).toMatch(/client\|kill \(--kill-clients\): .*no permissions to run the 'client\|kill' command/);
    } finally {
      await redis.stop();
    }
  });
});

/** Start `resp-elect run`, wait for "sidecar started", then kill it; its output so far. Always kills it. */
async function startUntilStarted(args: string[]): Promise<{ log: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RESP_ELECT_')) env[k] = v;
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (log += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (log += t));
  const closed = new Promise((r) => child.once('close', r));
  try {
    await waitFor(() => log.includes('sidecar started') || child.exitCode !== null, { what: 'the sidecar to start', timeoutMs: 30_000 });
    expect(child.exitCode, log).toBeNull();
    return { log };
  } finally {
    child.kill('SIGKILL');
    await closed;
  }
}
