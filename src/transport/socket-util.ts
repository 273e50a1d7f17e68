/**
 * Small socket helpers shared by the inbound and outbound sides, so both
 * tune sockets and describe remote ends the same way.
 */
import type { Socket } from 'node:net';

/** TCP keepalive probe start, so a peer that vanished without FIN is noticed. */
export const KEEPALIVE_INITIAL_DELAY_MS = 1000;

/**
 * Election frames are tiny and latency-sensitive, so Nagle is off; keepalive
 * is on so half-open connections to dead hosts eventually error out even
 * when we have nothing to send.
 */
export function tuneSocket(socket: Socket): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
}

/** host:port of the remote end, IPv6 in brackets; captured early because it is gone after destroy. */
export function describeRemote(socket: Socket, fallbackHost?: string, fallbackPort?: number): string {
  const host = socket.remoteAddress ?? fallbackHost ?? 'unknown';
  const port = socket.remotePort ?? fallbackPort ?? 0;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * One line describing anything thrown, without assuming it is an Error:
 * `CODE: message`. OpenSSL errors carry a multi-line message full of source
 * paths, so their short `reason` is used instead.
 */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = (err as { reason?: unknown }).reason;
    const text = typeof reason === 'string' && reason !== '' ? reason : (err.message.split('\n')[0] ?? '').trim();
    return code && !text.includes(code) ? `${code}: ${text}` : text;
  }
  return String(err).split('\n')[0] ?? '';
}
