/**
 * Whose credentials a replica presents to its primary. By default the
 * sidecar's own: an ACL user per epoch (src/sidecar/replication-credentials.ts),
 * so a primary whose redis restarted empty is refused instead of wiping its
 * replicas. But a replica set adopted from Sentinel often has its own
 * `masterauth` (with `requirepass`, or an ACL user in `masteruser`); writing
 * over it leaves replicas that cannot authenticate once resp-elect is gone
 * and Sentinel takes over again. So the user's setting, when there is one, is
 * kept and used as it is. Pure: decided from `CONFIG GET` of both settings.
 */

export type ReplicationAuthMode =
  /** The sidecar's per-epoch user (`masteruser`/`masterauth` set by the sidecar). */
  | 'sidecar'
  /** The user's own `masteruser`/`masterauth`, never changed. */
  | 'user';

/**
 * `sidecarUser` in `masteruser` means an earlier sidecar run set it: still
 * the sidecar's. Otherwise a non-empty `masterauth` is the user's.
 */
export function replicationAuthMode(current: { masteruser: string; masterauth: string }, sidecarUser: string): ReplicationAuthMode {
  if (current.masteruser === sidecarUser) return 'sidecar';
  return current.masterauth !== '' ? 'user' : 'sidecar';
}
