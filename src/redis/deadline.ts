/**
 * Bound a promise in time. The sidecar polls redis every few tens of
 * milliseconds and must notice a frozen process (SIGSTOP, swap storm, a
 * stuck fork) instead of waiting on it forever; ioredis's own connectTimeout
 * covers only the TCP connect, not the handshake that follows.
 */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/**
 * Resolve or reject like `promise`, or reject with a DeadlineError after `ms`.
 * The original promise keeps a rejection handler either way, so a late
 * failure never surfaces as an unhandled rejection.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
