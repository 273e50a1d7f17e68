/**
 * Poll until a condition holds. Code that drives real processes (the tests,
 * the demo, the benchmarks) cannot sleep a fixed time and hope; it polls, and
 * when the wait times out the error must say what was awaited and what was
 * last seen, or the failure is a guess.
 */
import { inspect } from 'node:util';

export interface WaitForOptions {
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number;
  /** Pause between attempts. Default 20 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout message: "replica to sync", "role master". */
  what: string;
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(value: unknown): string {
  const text = inspect(value, { depth: 4, breakLength: Infinity });
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/**
 * Call `fn` until it returns a truthy value, and return that value. A throw
 * from `fn` counts as "not yet" (the thing may not be up). On timeout, throws
 * an Error naming `what` and the last value returned or error thrown.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 20, what }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: unknown } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const seen =
    last === undefined
      ? 'no attempt finished'
      : 'error' in last
        ? `last error: ${last.error instanceof Error ? last.error.message : describe(last.error)}`
        : `last value: ${describe(last.value)}`;
  throw new Error(`waitFor: timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
}
