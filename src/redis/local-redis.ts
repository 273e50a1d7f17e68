/**
 * The sidecar's hands on the redis-server it runs beside: it reads the local
 * replication state for the Elector and applies the roles the Elector
 * decides. One connection, no background activity: every method does its
 * work when called and reports failure as a RedisCommandError (or, for
 * poll(), as `reachable: false`), never as an event that could crash the
 * process.
 *
 * Connection policy, and why:
 * - No offline queue and no automatic reconnect. A command queued while redis
 *   is away could run much later, after the Elector has changed its mind (a
 *   stale `REPLICAOF NO ONE` replayed on reconnect is a split brain). Instead
 *   each call that finds no live connection opens a fresh one, bounded by
 *   `connectTimeout`, and concurrent calls share that one attempt. When redis
 *   is down the Elector's next poll is the retry.
 * - Every command has a deadline (`commandTimeout`): a frozen redis must show
 *   up as unreachable within one poll, not hang the sidecar. A connection
 *   that missed a deadline is dropped, so late replies cannot pile up.
 * - RESP2, no CLIENT SETINFO, no ready check: the fewest handshake commands,
 *   all of which work on any redis version and while redis is loading (the
 *   ready check would hide `loading:1` from us by waiting it out).
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { CONNECTION_CLOSED, COMMAND_TIMED_OUT, NOT_SENT, RespConnection, type RespConnectionOptions } from './resp-connection.js';
import { withDeadline } from './deadline.js';
import { DETACH_HOST, DETACH_PORT, isDetachTarget } from './detach.js';
import { RedisCommandError, errorMessage } from './errors.js';
import { parseInfo, parseReplicationState, type ReplicationState } from './info.js';
import { deriveStatus, unreachableStatus, type RedisStatus } from './status.js';
import { EPOCH_FUNCTION, EPOCH_LIBRARY, epochLibrary, parseEpochMarker } from './epoch-marker.js';

export interface LocalRedisOptions {
  /** Default 127.0.0.1: the sidecar runs beside its redis. */
  host?: string;
  port: number;
  /** ACL user (redis 6+); omit to authenticate as `default` with `password`. */
  username?: string;
  password?: string;
  /** TLS options passed to `tls.connect`; omit for plain TCP. */
  tls?: TlsOptions;
  /** Upper bound for opening a connection, handshake included. Default 1000 ms. */
  connectTimeout?: number;
  /** Upper bound for any one command's reply. Default 1000 ms. */
  commandTimeout?: number;
  /** CLIENT SETNAME of the adapter's connection, to tell it apart in CLIENT LIST. Default `resp-elect`; keep the prefix (killClients spares it). */
  connectionName?: string;
  /**
   * Called when an open connection closes without this adapter closing it (redis crashed,
   * restarted, killed the client): the owner polls at once instead of at its next poll.
   */
  onConnectionLost?: () => void;
}

/**
 * The start of every connection name a sidecar gives its own connections to
 * redis (the poll's `resp-elect`, the fence's `resp-elect-fence`):
 * killClients() never disconnects those.
 */
export const SIDECAR_CONNECTION_PREFIX = 'resp-elect';

/** The ids in a `CLIENT LIST` reply of the clients that are not a sidecar's own connections. */
export function applicationClientIds(clientList: string): string[] {
  const ids: string[] = [];
  for (const line of clientList.split('\n')) {
    // Fields are `key=value` separated by spaces; a client name cannot contain a space (CLIENT SETNAME refuses it).
    const fields = new Map(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
    const id = fields.get('id');
    if (id === undefined || !/^\d+$/.test(id)) continue;
    if ((fields.get('name') ?? '').startsWith(SIDECAR_CONNECTION_PREFIX)) continue;
    ids.push(id);
  }
  return ids;
}

/** Client classes killClients() can disconnect. Replicas and the master link are never touched. */
export type KillableClientType = 'normal' | 'pubsub';


/** Which failed commands run() may send again on a fresh connection (at most once). */
type Retry =
  /** Only when the command was certainly never sent: safe for anything. */
  | 'if-unsent'
  /** Also when the connection dropped with the command in flight: for read-only commands. */
  | 'read-only';

export class LocalRedis {
  /** `host:port`, as used in every error message. */
  readonly addr: string;
  private readonly connOptions: RespConnectionOptions;
  private readonly username: string | undefined;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly onConnectionLost: (() => void) | undefined;
  private client: RespConnection | undefined;
  private connecting: Promise<RespConnection> | undefined;
  private closed = false;
  /** Whether redis takes several sections in one INFO (7.0+); undefined until the first poll says. */
  private multiSectionInfo: boolean | undefined;
  /** The last INFO answer poll() parsed, by cache key (see statusFromInfo). */
  private pollCache: (PollCacheKey & { state: ReplicationState }) | undefined;
  /** Tail of the queue that serialises role changes (check-then-act must not interleave). */
  private roleChanges: Promise<unknown> = Promise.resolve();

  constructor(options: LocalRedisOptions) {
    const host = options.host ?? '127.0.0.1';
    this.addr = `${host.includes(':') ? `[${host}]` : host}:${options.port}`;
    this.connectTimeoutMs = options.connectTimeout ?? 1000;
    this.commandTimeoutMs = options.commandTimeout ?? 1000;
    this.onConnectionLost = options.onConnectionLost;
    this.username = options.username;
    this.connOptions = {
      host,
      port: options.port,
      username: options.username,
      password: options.password,
      tls: options.tls,
      connectionName: options.connectionName ?? SIDECAR_CONNECTION_PREFIX,
      commandTimeoutMs: this.commandTimeoutMs,
    };
  }

  /**
   * Sample the local redis: role, offset, health. Never throws; an
   * unreachable, frozen or refusing redis yields `reachable: false` and the
   * reason in `error`. One round trip, written to the socket as one packet:
   * `INFO server persistence replication` (redis 7+) or, on a redis that
   * refuses several sections in one INFO (6.x: syntax error), the three
   * sections as three pipelined commands; plus `FCALL_RO` of the epoch marker
   * and `CONFIG GET replica-read-only`.
   *
   * It runs every poll interval (50 ms by default) for the life of the
   * sidecar, so it is kept cheap (see statusFromInfo): an answer whose replication
   * facts did not change since the previous poll — the usual case — is not
   * parsed again.
   */
  async poll(): Promise<RedisStatus> {
    let sample: [string, unknown, unknown];
    try {
      sample = await this.run('INFO server/persistence/replication + FCALL_RO resp_elect_epoch + CONFIG GET replica-read-only', (c) => this.sample(c), 'read-only');
    } catch (err) {
      return unreachableStatus(err instanceof RedisCommandError ? err.reason : errorMessage(err));
    }
    const [text, marker, readOnly] = sample;
    let status: RedisStatus;
    try {
      status = this.statusFromInfo(text);
    } catch (err) {
      return { reachable: true, healthy: false, unhealthyReason: 'bad-info', error: errorMessage(err) };
    }
    if (marker !== undefined) status = { ...status, dataEpoch: parseEpochMarker(marker) };
    const replicaReadOnly = parseReplicaReadOnly(readOnly);
    return replicaReadOnly === undefined ? status : { ...status, replicaReadOnly };
  }

  /** The INFO text, the epoch marker reply and the replica-read-only setting, sent as one write. */
  private async sample(c: RespConnection): Promise<[string, unknown, unknown]> {
    if (this.multiSectionInfo !== false) {
      const [info, marker, readOnly] = (await this.pipelined(c, () => [c.call('INFO', 'server', 'persistence', 'replication'), this.epochMarker(c), this.replicaReadOnly(c)])) as [
        PromiseSettledResult<unknown>,
        PromiseSettledResult<unknown>,
        PromiseSettledResult<unknown>,
      ];
      if (info.status === 'fulfilled') {
        this.multiSectionInfo = true;
        return [info.value as string, settledValue(marker), settledValue(readOnly)];
      }
      // Redis 6 answers a multi-section INFO with a syntax error: ask section by section from now on.
      if (!/syntax error/i.test(errorMessage(info.reason))) throw info.reason;
      this.multiSectionInfo = false;
    }
    const [server, persistence, replication, marker, readOnly] = await this.pipelined(c, () => [
      c.info('server'),
      c.info('persistence'),
      c.info('replication'),
      this.epochMarker(c),
      this.replicaReadOnly(c),
    ]);
    const texts: string[] = [];
    for (const p of [server!, persistence!, replication!]) {
      if (p.status === 'rejected') throw p.reason;
      texts.push(p.value as string);
    }
    return [texts.join('\r\n'), settledValue(marker), settledValue(readOnly)];
  }

  /** CONFIG GET replica-read-only; a refusal (CONFIG not permitted) reads as unknown, not as a failed poll. */
  private replicaReadOnly(c: RespConnection): Promise<unknown> {
    return c.call('CONFIG', 'GET', 'replica-read-only').catch(() => undefined);
  }

  /** FCALL_RO of the epoch marker. */
  private epochMarker(c: RespConnection): Promise<unknown> {
    // No marker (an empty or never-promoted dataset): data epoch 0. Any other refusal (LOADING
    // while a sync loads): unknown, and the dataset is not one to vote or stand with anyway.
    return c.call('FCALL_RO', EPOCH_FUNCTION, '0').catch((err: unknown) => (isFunctionMissing(err) ? 0 : undefined));
  }

  /**
   * Send the commands `issue` starts as one write (one syscall and one packet, not one each) and
   * settle them all. Every command keeps its own error, as when sent one by one.
   */
  private pipelined(c: RespConnection, issue: () => Promise<unknown>[]): Promise<PromiseSettledResult<unknown>[]> {
    return Promise.allSettled(c.batch(issue));
  }

  /**
   * The status an INFO text describes. Parsing is skipped when the replication
   * facts are the same as last time: the server section changes on every call
   * (uptime, clock) but only its `run_id` is used (no other field
   * parseReplicationState reads lives there), so the cache key is the run_id
   * and the text from the persistence section on. Same key, same text to
   * parse, same result.
   */
  private statusFromInfo(text: string): RedisStatus {
    const key = pollCacheKey(text);
    const cached = this.pollCache;
    if (key !== undefined && cached !== undefined && cached.runId === key.runId && cached.rest === key.rest) return deriveStatus(cached.state);
    const state = parseReplicationState(parseInfo(text));
    this.pollCache = key === undefined ? undefined : { ...key, state };
    return deriveStatus(state);
  }

  /** On a new primary: write the epoch marker into its stream (see epoch-marker.ts). */
  async writeEpochMarker(epoch: number): Promise<void> {
    const command = `FUNCTION LOAD REPLACE (epoch marker ${epoch})`;
    const reply = await this.run(command, (c) => c.call('FUNCTION', 'LOAD', 'REPLACE', epochLibrary(epoch)));
    if (reply !== EPOCH_LIBRARY) throw new RedisCommandError(this.addr, command, `unexpected reply ${JSON.stringify(reply)}`);
  }

  /** Make the local redis a writable master: `REPLICAOF NO ONE`. Keeps the data; idempotent. */
  promote(): Promise<void> {
    return this.serialised(() => this.expectOk('REPLICAOF NO ONE', (c) => c.call('REPLICAOF', 'NO', 'ONE')));
  }

  /**
   * Follow `host:port`. Sends `REPLICAOF host port` only when redis is not
   * already a replica of that address (host compared case-insensitively, as
   * redis does), and returns whether it sent it, so the caller logs and
   * counts real role changes only. The Elector may call this on every tick.
   */
  replicateFrom(host: string, port: number): Promise<boolean> {
    const command = `REPLICAOF ${host} ${port}`;
    const invalid = invalidTarget(host, port);
    if (invalid) return Promise.reject(new RedisCommandError(this.addr, command, invalid));
    return this.serialised(async () => {
      const state = await this.replication(command);
      if (state.role === 'slave' && state.masterHost?.toLowerCase() === host.toLowerCase() && state.masterPort === port) {
        return false;
      }
      await this.expectOk(command, (c) => c.call('REPLICAOF', host, String(port)));
      return true;
    });
  }

  /**
   * Stop following a primary believed lost, staying read-only and keeping the
   * data and the replication history, so that a later replicateFrom() of the
   * new primary is a partial resync. See detach.ts for how and why. On a
   * master this demotes it to a read-only replica of nobody. Returns whether
   * it changed anything.
   */
  detach(): Promise<boolean> {
    const command = `REPLICAOF ${DETACH_HOST} ${DETACH_PORT} (detach)`;
    return this.serialised(async () => {
      const state = await this.replication(command);
      if (state.role === 'slave' && isDetachTarget(state.masterHost, state.masterPort)) return false;
      await this.expectOk(command, (c) => c.call('REPLICAOF', DETACH_HOST, String(DETACH_PORT)));
      return true;
    });
  }

  /**
   * Hold every client's writes for `ms`: `CLIENT PAUSE ms WRITE`. Reads,
   * INFO and replication keep flowing. Renew by calling again before it
   * lapses; redis keeps the later of the old and new deadlines, so a renewal
   * never shortens a fence. Held writes run when the pause ends, so demote
   * (detach/replicateFrom) before unfence() and they fail with READONLY
   * instead of landing on a stale primary.
   */
  async fence(ms: number): Promise<void> {
    const command = `CLIENT PAUSE ${ms} WRITE`;
    if (!Number.isInteger(ms) || ms <= 0) throw new RedisCommandError(this.addr, command, 'ms must be a positive integer');
    await this.expectOk(command, (c) => c.call('CLIENT', 'PAUSE', String(ms), 'WRITE'));
  }

  /** Lift the fence now: `CLIENT UNPAUSE` (lifts any CLIENT PAUSE, whoever set it). */
  async unfence(): Promise<void> {
    await this.expectOk('CLIENT UNPAUSE', (c) => c.call('CLIENT', 'UNPAUSE'));
  }

  /**
   * Disconnect application clients so they reconnect and rediscover the
   * primary: per type, `CLIENT LIST TYPE <type>`, then `CLIENT KILL ID <id>`
   * (pipelined) for each client listed whose name does not start with
   * SIDECAR_CONNECTION_PREFIX. So the sidecar's own connections survive, all
   * of them: `SKIPME yes` spared only the connection sending the kill, and
   * the fence connection (also a normal client) was cut at every demotion and
   * promotion, failing its renewal or the unfence. Replicas and the master
   * link are other types and are never listed. A client that connects between
   * the list and the kills is left alone: it connected after the role change.
   * Returns how many clients were killed.
   */
  async killClients(types: readonly KillableClientType[]): Promise<number> {
    let killed = 0;
    for (const type of new Set(types)) {
      if (type !== 'normal' && type !== 'pubsub') throw new RedisCommandError(this.addr, `CLIENT LIST TYPE ${type}`, 'unknown client type');
      const list = await this.run(`CLIENT LIST TYPE ${type}`, (c) => c.call('CLIENT', 'LIST', 'TYPE', type), 'read-only');
      const ids = applicationClientIds(String(list));
      if (ids.length === 0) continue;
      const command = `CLIENT KILL ID (${ids.length} ${type} clients)`;
      const replies = await this.run(command, (c) => this.pipelined(c, () => ids.map((id) => c.call('CLIENT', 'KILL', 'ID', id))));
      for (const r of replies) {
        // A client gone by itself since the list answers 0 (or "No such client" on old servers): not an error.
        if (r.status === 'fulfilled') killed += Number(r.value) || 0;
        else if (r.reason instanceof Error && /^(Connection is closed|Command timed out)/.test(r.reason.message)) throw r.reason;
      }
    }
    return killed;
  }

  /**
   * Refuse writes on this master unless `n` replicas acknowledged within
   * `maxLagSec` seconds: `CONFIG SET min-replicas-max-lag` then
   * `min-replicas-to-write` (lag first, so a raised `n` never applies with a
   * stale lag). `n = 0` turns the check off.
   */
  /** The `min-replicas-to-write` and `min-replicas-max-lag` redis holds now (`CONFIG GET`). */
  async minReplicas(): Promise<{ n: number; maxLagSec: number }> {
    const read = async (name: string): Promise<number> => {
      const reply = await this.run(`CONFIG GET ${name}`, (c) => c.call('CONFIG', 'GET', name));
      const value = Array.isArray(reply) ? Number(reply[1]) : NaN;
      if (!Number.isInteger(value) || value < 0) throw new RedisCommandError(this.addr, `CONFIG GET ${name}`, `unexpected reply ${JSON.stringify(reply)}`);
      return value;
    };
    return { n: await read('min-replicas-to-write'), maxLagSec: await read('min-replicas-max-lag') };
  }

  async setMinReplicas(n: number, maxLagSec: number): Promise<void> {
    const lagCommand = `CONFIG SET min-replicas-max-lag ${maxLagSec}`;
    const countCommand = `CONFIG SET min-replicas-to-write ${n}`;
    if (!Number.isInteger(maxLagSec) || maxLagSec < 0) throw new RedisCommandError(this.addr, lagCommand, 'maxLagSec must be a non-negative integer');
    if (!Number.isInteger(n) || n < 0) throw new RedisCommandError(this.addr, countCommand, 'n must be a non-negative integer');
    await this.expectOk(lagCommand, (c) => c.call('CONFIG', 'SET', 'min-replicas-max-lag', String(maxLagSec)));
    await this.expectOk(countCommand, (c) => c.call('CONFIG', 'SET', 'min-replicas-to-write', String(n)));
  }

  /**
   * On a primary: (re)create the ACL user its replicas authenticate as, with
   * only the commands replication needs. Not saved to an ACL file on purpose:
   * a redis that restarts loses it, so replicas cannot full-sync from it
   * until a sidecar points them there again.
   */
  async ensureReplicationUser(user: string, password: string): Promise<void> {
    const command = `ACL SETUSER ${user} (replication user)`;
    await this.expectOk(command, (c) => c.call('ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, '+psync', '+replconf', '+ping', '+sync'));
  }

  /** The credentials redis presents to its master now (`CONFIG GET masteruser masterauth`). */
  async replicationAuth(): Promise<{ masteruser: string; masterauth: string }> {
    const read = async (name: string): Promise<string> => {
      const reply = await this.run(`CONFIG GET ${name}`, (c) => c.call('CONFIG', 'GET', name), 'read-only');
      if (!Array.isArray(reply) || reply.length !== 2) throw new RedisCommandError(this.addr, `CONFIG GET ${name}`, `unexpected reply ${JSON.stringify(reply)}`);
      return String(reply[1]);
    };
    return { masteruser: await read('masteruser'), masterauth: await read('masterauth') };
  }

  /** On a replica: the credentials it presents to its master (`masteruser`, `masterauth`). */
  async setReplicationAuth(user: string, password: string): Promise<void> {
    await this.expectOk('CONFIG SET masteruser', (c) => c.call('CONFIG', 'SET', 'masteruser', user));
    await this.expectOk('CONFIG SET masterauth', (c) => c.call('CONFIG', 'SET', 'masterauth', password));
  }

  /**
   * Which of `checks` the user this adapter logs in as may not run, by
   * `ACL DRYRUN <user> <argv...>` (redis 7+): an entry per refusal with redis's
   * reason (no permission, or `Command '…' not found` after `rename-command`).
   * `checked: false` when the check itself cannot run (ACL DRYRUN refused,
   * redis unreachable), with why.
   */
  async deniedCommands<T extends { argv: string[] }>(checks: readonly T[]): Promise<{ checked: true; denied: Array<{ check: T; why: string }> } | { checked: false; why: string }> {
    const user = this.username ?? 'default';
    const denied: Array<{ check: T; why: string }> = [];
    for (const check of checks) {
      let reply: unknown;
      try {
        reply = await this.run(`ACL DRYRUN ${user} ${check.argv[0]}`, (c) => c.call('ACL', 'DRYRUN', user, ...check.argv), 'read-only');
      } catch (err) {
        const reason = err instanceof RedisCommandError ? err.reason : errorMessage(err);
        // A command renamed away or unknown is a refusal of that command; anything else means no check.
        if (/^ERR Command '.*' not found/i.test(reason)) {
          denied.push({ check, why: reason });
          continue;
        }
        return { checked: false, why: reason };
      }
      if (reply !== 'OK') denied.push({ check, why: String(reply) });
    }
    return { checked: true, denied };
  }

  /** Drop the connection; later calls fail (poll() returns unreachable). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.client) this.drop(this.client);
  }

  // -------------------------------------------------------------------------

  /** INFO replication, parsed; errors name `forCommand`, the step it serves. */
  private async replication(forCommand: string): Promise<ReplicationState> {
    const text = await this.run(`INFO replication (before ${forCommand})`, (c) => c.info('replication'), 'read-only');
    try {
      return parseReplicationState(parseInfo(text));
    } catch (err) {
      throw new RedisCommandError(this.addr, `INFO replication (before ${forCommand})`, errorMessage(err), { cause: err });
    }
  }

  private async expectOk(command: string, send: (c: RespConnection) => Promise<unknown>): Promise<void> {
    const reply = await this.run(command, send);
    // REPLICAOF answers "OK Already connected to specified master" when nothing changes.
    if (typeof reply !== 'string' || !reply.startsWith('OK')) {
      throw new RedisCommandError(this.addr, command, `unexpected reply ${JSON.stringify(reply)}`);
    }
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.roleChanges.then(fn, fn);
    this.roleChanges = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Run `fn` on a live connection, turning every failure into a
   * RedisCommandError. A connection found dead is replaced and, as `retry`
   * allows, the command sent once more: right after redis restarts, the old
   * socket may still look open, and the first poll must describe the new
   * process (or the refusal), not the corpse of the old connection.
   */
  private async run<T>(command: string, fn: (c: RespConnection) => Promise<T>, retry: Retry = 'if-unsent'): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new RedisCommandError(this.addr, command, 'the adapter is closed');
      let client: RespConnection;
      try {
        client = await this.connection();
      } catch (err) {
        throw new RedisCommandError(this.addr, command, `cannot connect: ${errorMessage(err)}`, { cause: err });
      }
      try {
        return await fn(client);
      } catch (err) {
        const message = errorMessage(err);
        if (message === COMMAND_TIMED_OUT) {
          this.drop(client);
          throw new RedisCommandError(
            this.addr,
            command,
            `no reply within ${this.commandTimeoutMs} ms (connection dropped; the command may still have run)`,
            { cause: err },
          );
        }
        const unsent = message === NOT_SENT;
        const lost = unsent || message === CONNECTION_CLOSED;
        if (!lost) throw new RedisCommandError(this.addr, command, message, { cause: err });
        this.drop(client);
        if (attempt === 0 && (unsent || retry === 'read-only')) continue;
        throw new RedisCommandError(
          this.addr,
          command,
          unsent ? 'connection lost (the command was not sent)' : 'connection lost before the reply (the command may or may not have run)',
          { cause: err },
        );
      }
    }
  }

  /** The live connection, or one fresh attempt shared by all concurrent callers. */
  private connection(): Promise<RespConnection> {
    const current = this.client;
    if (current?.alive) return Promise.resolve(current);
    if (this.connecting) return this.connecting;
    const attempt = this.open();
    this.connecting = attempt;
    const clear = () => {
      if (this.connecting === attempt) this.connecting = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  private async open(): Promise<RespConnection> {
    if (this.client) this.drop(this.client);
    // Not this.client until AUTH and SETNAME are answered: a command sent on it before would run
    // first, unauthenticated, and ahead of commands that are waiting for this very connection.
    let client: RespConnection | undefined;
    const attempt = RespConnection.open(this.connOptions, (c) => (client = c));
    try {
      client = await withDeadline(attempt, this.connectTimeoutMs, `no connection within ${this.connectTimeoutMs} ms`);
    } catch (err) {
      if (client) this.drop(client);
      attempt.catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      this.drop(client);
      throw new Error('the adapter is closed');
    }
    this.client = client;
    // drop() forgets the client before closing it: a close of the current client is redis's doing.
    const opened = client;
    if (this.onConnectionLost) opened.onClose(() => this.client === opened && !this.closed && this.onConnectionLost?.());
    return opened;
  }

  private drop(client: RespConnection): void {
    if (this.client === client) this.client = undefined;
    client.close();
  }
}

function invalidTarget(host: string, port: number): string | undefined {
  if (host.trim() === '' || /\s/.test(host)) return `invalid host ${JSON.stringify(host)}`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `invalid port ${port}`;
  return undefined;
}

function settledValue(r: PromiseSettledResult<unknown> | undefined): unknown {
  return r?.status === 'fulfilled' ? r.value : undefined;
}

interface PollCacheKey {
  runId: string;
  /** The INFO text from the persistence section on. */
  rest: string;
}

/** Splits an INFO answer into its run_id and everything after the server section; undefined when the layout is unexpected. */
function pollCacheKey(text: string): PollCacheKey | undefined {
  if (!text.startsWith('# Server')) return undefined;
  const persistence = text.indexOf('# Persistence');
  const at = text.indexOf('\nrun_id:');
  if (persistence < 0 || at < 0 || at > persistence) return undefined;
  const end = text.indexOf('\n', at + 1);
  if (end < 0 || end > persistence) return undefined;
  return { runId: text.slice(at + 8, end), rest: text.slice(persistence) };
}

/** The `replica-read-only` value of a CONFIG GET reply (`[name, value]`); undefined when absent or unexpected. */
function parseReplicaReadOnly(reply: unknown): boolean | undefined {
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  const v = String(reply[1]).toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}

/** FCALL_RO of a function no library defines. */
function isFunctionMissing(err: unknown): boolean {
  return /function not found/i.test(errorMessage(err));
}
