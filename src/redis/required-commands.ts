/**
 * Every command the sidecar sends to its local redis, as representative
 * argument lists for `ACL DRYRUN`, so the start-up check can name what the
 * redis user (`--redis-user`) may not run, or what `rename-command` took
 * away, before it matters: a REPLICAOF refused on a redis that restarted
 * empty leaves a master nobody elected.
 */
import { DETACH_HOST, DETACH_PORT } from './detach.js';
import { EPOCH_FUNCTION } from './epoch-marker.js';

export interface RequiredCommand {
  /** How an operator would name it: `replicaof`, `client|pause`. */
  name: string;
  /** What it is for, in the error message. */
  why: string;
  argv: string[];
}

export function requiredCommands(opts: { killClients: boolean; minReplicas: boolean }): RequiredCommand[] {
  const list: RequiredCommand[] = [
    { name: 'info', why: 'the poll', argv: ['INFO', 'replication'] },
    { name: 'fcall_ro', why: 'reading the epoch marker', argv: ['FCALL_RO', EPOCH_FUNCTION, '0'] },
    { name: 'config|get', why: 'reading replica-read-only', argv: ['CONFIG', 'GET', 'replica-read-only'] },
    { name: 'replicaof', why: 'following, detaching and promoting', argv: ['REPLICAOF', DETACH_HOST, String(DETACH_PORT)] },
    { name: 'client|pause', why: 'the write fence', argv: ['CLIENT', 'PAUSE', '1000', 'WRITE'] },
    { name: 'client|unpause', why: 'lifting the write fence', argv: ['CLIENT', 'UNPAUSE'] },
    { name: 'config|set', why: 'replication credentials (masteruser, masterauth)', argv: ['CONFIG', 'SET', 'masterauth', 'x'] },
    { name: 'acl|setuser', why: 'the replication user on a new primary', argv: ['ACL', 'SETUSER', 'resp-elect-repl'] },
    { name: 'function|load', why: 'writing the epoch marker on a new primary', argv: ['FUNCTION', 'LOAD', 'REPLACE', '#!lua name=x\n'] },
  ];
  if (opts.killClients) {
    list.push({ name: 'client|list', why: '--kill-clients (which clients are the application\'s)', argv: ['CLIENT', 'LIST', 'TYPE', 'normal'] });
    list.push({ name: 'client|kill', why: '--kill-clients', argv: ['CLIENT', 'KILL', 'ID', '1'] });
  }
  if (opts.minReplicas) list.push({ name: 'config|set', why: '--min-replicas', argv: ['CONFIG', 'SET', 'min-replicas-to-write', '0'] });
  return list;
}
