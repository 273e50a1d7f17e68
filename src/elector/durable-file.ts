import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Replace `file` with `text` so that after a crash it holds either the old or
 * the new content, and the new content survives power loss once this returns:
 * temporary file, fsync, rename, fsync of the directory. Throws on failure
 * (after removing the temporary file).
 */
export function writeFileDurably(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The temporary file is harmless; the error that matters is the one rethrown.
    }
    throw err;
  }
}

/** The probe file's name: dot-prefixed, so it never looks like data. */
const PROBE_NAME = '.resp-elect-probe';

/**
 * Check that `dir` takes a durable write the way the vote store makes one
 * (write, fsync, rename, fsync of the directory), then remove the probe file.
 * Run at start-up, so a read-only or full data directory is found then and
 * not at the first vote, when a failover needs it. Throws the errno error of
 * the step that failed.
 */
export function probeDurableWrites(dir: string): void {
  const probe = path.join(dir, PROBE_NAME);
  writeFileDurably(probe, `resp-elect write probe, pid ${process.pid}\n`);
  fs.rmSync(probe);
}
