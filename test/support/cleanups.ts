/**
 * Everything a test opened, closed after that test in reverse order, pass or
 * fail: push a function onto `cleanups`. A cleanup that throws does not stop
 * the others (a half-torn-down test must not leak the rest into the next one).
 * Each test file evaluates this module afresh, so each file has its own list.
 */
import { afterEach } from 'vitest';

export const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // keep cleaning
    }
  }
});
