import { createHmac } from 'node:crypto';

/** The ACL user a primary creates for its replicas (redis 6+). */
export const REPLICATION_USER = 'resp-elect-repl';

/**
 * The password replicas use to sync from the primary of `epoch`, derived from
 * the shared secret so every sidecar computes it without sending it.
 *
 * Why: a primary whose redis restarts empty comes back without this ACL user
 * (we never ACL SAVE it), so replicas that reconnect on their own fail AUTH
 * instead of full-syncing an empty dataset and wiping their copy. Only a
 * sidecar-driven retarget, after a new election, points them anywhere again.
 */
export function replicationCredentials(secret: Buffer, epoch: number, primaryId: string): { user: string; password: string } {
  const password = createHmac('sha256', secret).update(`resp-elect/1 replication ${epoch} ${primaryId}`).digest('hex');
  return { user: REPLICATION_USER, password };
}
