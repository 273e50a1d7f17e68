/**
 * The demo's calls to the Sentinel-compatible API on a sidecar port, made
 * the way an operator or a client library would make them.
 */
import { oneCommand } from '../proc/fast-client.js';

/** `SENTINEL get-master-addr-by-name <name>` → host:port, or undefined when the API is not there (or knows no primary yet). */
export async function masterAddrByName(host: string, port: number, name: string, timeoutMs = 500): Promise<{ host: string; port: number } | undefined> {
  try {
    const r = await oneCommand({ host, port }, ['SENTINEL', 'get-master-addr-by-name', name], timeoutMs);
    if (Array.isArray(r) && r.length === 2) return { host: String(r[0]), port: Number(r[1]) };
    return undefined;
  } catch {
    return undefined;
  }
}

/** `SENTINEL FAILOVER <name>`: a planned switchover. Resolves with the reply text; rejects with the server's error. */
export async function sentinelFailover(host: string, port: number, name: string, timeoutMs = 5000): Promise<string> {
  const r = await oneCommand({ host, port }, ['SENTINEL', 'FAILOVER', name], timeoutMs);
  return String(r);
}
