/**
 * The one error type the redis adapter throws. Its message always names the
 * redis address and the command, because the sidecar logs it verbatim and an
 * operator reading "connect ECONNREFUSED" alone cannot tell which of several
 * redis processes, or which step of a failover, failed.
 */
export class RedisCommandError extends Error {
  override name = 'RedisCommandError';

  constructor(
    /** `host:port` of the redis the command was sent to. */
    readonly addr: string,
    /** The command as an operator would type it (never includes credentials). */
    readonly command: string,
    /** What went wrong, without the address/command prefix. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`redis ${addr}: ${command} failed: ${reason}`, options);
  }
}

/** The message of anything thrown, for embedding in another message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
