/**
 * Directories no one can write to, for tests that run as root: permission
 * bits do not stop root, the immutable attribute (chattr +i, on ext4, xfs,
 * btrfs) does. Nothing can be created, renamed or removed in such a
 * directory until the attribute is cleared, so every test that sets it clears
 * it in a finally block, and its afterAll clears whatever is left.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let supported: boolean | undefined;

/** Whether chattr +i works on the temporary directory's file system here (root, chattr installed, a file system that has the attribute). */
export function canMakeImmutable(): boolean {
  if (supported !== undefined) return supported;
  const probe = mkdtempSync(join(tmpdir(), 'resp-elect-chattr-'));
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    supported = true;
  } catch {
    supported = false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  return supported;
}

/** Set or clear the immutable attribute of `dir`. Clearing never throws (the directory may be gone). */
export function setImmutable(dir: string, on: boolean): void {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', dir], { stdio: 'pipe' });
  } catch (err) {
    if (on) throw err;
  }
}
