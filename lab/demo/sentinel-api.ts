/**
 * The demo's calls to the Sentinel-compatible API on a sidecar port, made
 * the way an operator or a client library would make them.
 */
import { Redis } from 'ioredis';

async function call(host: string, port: number, args: string[], timeoutMs: number): Promise<unknown> {
  const c = new Redis({ host, port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs, enableReadyCheck: false });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.call(args[0]!, ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

/** `SENTINEL get-master-addr-by-name <name>` → host:port, or undefined when the API is not there (or knows no primary yet). */
export async function masterAddrByName(host: string, port: number, name: string, timeoutMs = 500): Promise<{ host: string; port: number } | undefined> {
  try {
    const r = await call(host, port, ['SENTINEL', 'get-master-addr-by-name', name], timeoutMs);
    if (Array.isArray(r) && r.length === 2) return { host: String(r[0]), port: Number(r[1]) };
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the sidecar on `port` serves the Sentinel API: it answers
 * `SENTINEL get-master-addr-by-name` with an address or a null reply
 * rather than closing the connection (which is what a sidecar without
 * src/admin does to anything but a peer).
 */
export async function sentinelApiAvailable(host: string, port: number, name: string, timeoutMs = 500): Promise<boolean> {
  try {
    const r = await call(host, port, ['SENTINEL', 'get-master-addr-by-name', name], timeoutMs);
    return r === null || Array.isArray(r);
  } catch {
    return false;
  }
}

/** `SENTINEL FAILOVER <name>`: a planned switchover. Resolves with the reply text; rejects with the server's error. */
export async function sentinelFailover(host: string, port: number, name: string, timeoutMs = 5000): Promise<string> {
  const r = await call(host, port, ['SENTINEL', 'FAILOVER', name], timeoutMs);
  return String(r);
}
