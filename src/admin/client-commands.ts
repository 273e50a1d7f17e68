/**
 * The commands of the Sentinel-compatible port and the rules around them,
 * in redis's order: unknown command, then arity, then authentication, then
 * the subscribed-mode restriction.
 */
import { AUTH_ERRORS, checkAuth } from './auth.js';
import type { ClientConnection } from './client-connection.js';
import { renderInfo, REDIS_VERSION } from './info.js';
import { error, MapReply, OK, PushReply, simple, VerbatimText, type Protocol, type Reply } from './resp.js';
import { memberCommand } from './member-command.js';
import { sentinelCommand } from './sentinel-command.js';

interface CommandSpec {
  /** redis convention: N exactly N arguments (command included), -N at least N. */
  arity: number;
  /** Most arguments, when bounded beyond `arity`. */
  max?: number;
  /** Runs before authentication. */
  noAuth?: boolean;
  /** Allowed while subscribed. */
  pubsub?: boolean;
  run(conn: ClientConnection, args: Buffer[]): void | Promise<void>;
}

const text = (b: Buffer | undefined) => (b === undefined ? '' : b.toString('utf8'));
const key = (b: Buffer) => b.toString('latin1');
const lower = (b: Buffer | undefined) => (b === undefined ? '' : b.toString('latin1').toLowerCase());

function validClientName(name: Buffer): boolean {
  for (const byte of name) if (byte < 0x21 || byte > 0x7e) return false;
  return true;
}

function subscribe(conn: ClientConnection, args: Buffer[], kind: 'subscribe' | 'psubscribe'): void {
  const set = kind === 'subscribe' ? conn.channels : conn.patterns;
  for (const arg of args.slice(1)) {
    set.add(key(arg));
    conn.server.hub.add(conn);
    conn.send(new PushReply([kind, arg, conn.subscriptionCount]));
  }
}

function unsubscribe(conn: ClientConnection, args: Buffer[], kind: 'unsubscribe' | 'punsubscribe'): void {
  const set = kind === 'unsubscribe' ? conn.channels : conn.patterns;
  const names = args.length > 1 ? args.slice(1).map(key) : [...set];
  if (names.length === 0) {
    conn.send(new PushReply([kind, null, conn.subscriptionCount]));
    return;
  }
  for (const name of names) {
    set.delete(name);
    conn.send(new PushReply([kind, Buffer.from(name, 'latin1'), conn.subscriptionCount]));
  }
  if (conn.subscriptionCount === 0) conn.server.hub.remove(conn);
}

/** RESP2's restricted subscribed mode: only (un)subscribe, PING, QUIT and RESET. RESP3 has none, as in redis. */
function restrictedSubscriber(conn: ClientConnection): boolean {
  return conn.protocol === 2 && conn.subscriptionCount > 0;
}

function helloReply(conn: ClientConnection): Reply {
  return new MapReply([
    ['server', 'redis'],
    ['version', REDIS_VERSION],
    ['proto', conn.protocol],
    ['id', conn.id],
    ['mode', 'sentinel'],
    ['modules', []],
  ]);
}

export const COMMANDS: Record<string, CommandSpec> = {
  ping: {
    arity: -1,
    max: 2,
    pubsub: true,
    run(conn, args) {
      if (restrictedSubscriber(conn)) conn.send(['pong', args[1] ?? '']);
      else conn.send(args[1] ?? simple('PONG'));
    },
  },
  auth: {
    arity: -2,
    max: 3,
    noAuth: true,
    run(conn, args) {
      const user = args.length === 3 ? text(args[1]) : undefined;
      const result = checkAuth(conn.server.view.config.clientPassword, user, args[args.length - 1]!);
      if (result === 'ok') {
        conn.authenticated = true;
        conn.send(OK);
      } else {
        conn.send(error(AUTH_ERRORS[result]));
        conn.authFailed();
      }
    },
  },
  hello: {
    arity: -1,
    noAuth: true,
    run(conn, args) {
      let i = 1;
      let protocol: Protocol | undefined;
      if (args.length > 1) {
        const v = text(args[1]);
        if (!/^-?\d{1,9}$/.test(v)) {
          conn.send(error('ERR Protocol version is not an integer or out of range'));
          return;
        }
        // RESP2 and RESP3, like redis-sentinel: node-redis 6 and ioredis 6 open with HELLO 3.
        const n = Number(v);
        if (n !== 2 && n !== 3) {
          conn.send(error('NOPROTO sorry, this protocol version is not supported'));
          return;
        }
        protocol = n;
        i = 2;
      }
      let auth: { user: string; pass: Buffer } | undefined;
      let setName: Buffer | undefined;
      for (; i < args.length; i++) {
        const opt = lower(args[i]);
        if (opt === 'auth' && i + 2 < args.length) {
          auth = { user: text(args[i + 1]), pass: args[i + 2]! };
          i += 2;
        } else if (opt === 'setname' && i + 1 < args.length) {
          setName = args[i + 1]!;
          i += 1;
        } else {
          conn.send(error(`ERR Syntax error in HELLO option '${text(args[i]).slice(0, 64)}'`));
          return;
        }
      }
      if (auth) {
        const result = checkAuth(conn.server.view.config.clientPassword, auth.user, auth.pass);
        if (result !== 'ok') {
          conn.send(error(AUTH_ERRORS[result]));
          conn.authFailed();
          return;
        }
        conn.authenticated = true;
      }
      if (!conn.authenticated) {
        conn.send(error(AUTH_ERRORS.helloNoauth));
        conn.authFailed();
        return;
      }
      if (setName) {
        if (!validClientName(setName)) {
          conn.send(error('ERR Client names cannot contain spaces, newlines or special characters.'));
          return;
        }
        conn.name = text(setName) || null;
      }
      // Switched only once every option is accepted, so the reply is the first thing in the new protocol.
      if (protocol !== undefined) conn.protocol = protocol;
      conn.send(helloReply(conn));
    },
  },
  quit: {
    arity: -1,
    noAuth: true,
    pubsub: true,
    run(conn) {
      conn.send(OK);
      conn.endAfterReply();
    },
  },
  reset: {
    arity: 1,
    pubsub: true,
    noAuth: true,
    run(conn) {
      conn.channels.clear();
      conn.patterns.clear();
      conn.server.hub.remove(conn);
      conn.name = null;
      conn.authenticated = !conn.passwordRequired;
      conn.protocol = 2;
      conn.send(simple('RESET'));
    },
  },
  client: {
    arity: -2,
    run(conn, args) {
      const sub = lower(args[1]);
      switch (sub) {
        case 'setinfo': {
          if (args.length !== 4) break;
          const attr = lower(args[2]);
          if (attr !== 'lib-name' && attr !== 'lib-ver') {
            conn.send(error(`ERR Unrecognized option '${text(args[2]).slice(0, 64)}'`));
            return;
          }
          conn.send(OK);
          return;
        }
        case 'setname':
          if (args.length !== 3) break;
          if (!validClientName(args[2]!)) {
            conn.send(error('ERR Client names cannot contain spaces, newlines or special characters.'));
            return;
          }
          conn.name = text(args[2]) || null;
          conn.send(OK);
          return;
        case 'getname':
          if (args.length !== 2) break;
          conn.send(conn.name);
          return;
        case 'id':
          if (args.length !== 2) break;
          conn.send(conn.id);
          return;
        case 'info':
          if (args.length !== 2) break;
          conn.send(
            new VerbatimText(
              `id=${conn.id} addr=${conn.remote} laddr=${conn.socket.localAddress ?? '?'}:${conn.localPort} name=${conn.name ?? ''} sub=${conn.channels.size} psub=${conn.patterns.size} resp=${conn.protocol}\n`,
            ),
          );
          return;
        default:
          conn.send(error(`ERR unknown subcommand '${text(args[1]).slice(0, 64)}'. Try CLIENT HELP.`));
          return;
      }
      conn.send(error(`ERR wrong number of arguments for 'client|${sub}' command`));
    },
  },
  command: {
    arity: -1,
    run(conn, args) {
      const sub = lower(args[1]);
      if (args.length === 1) conn.send([]);
      else if (sub === 'docs') conn.send(new MapReply([]));
      else if (sub === 'count') conn.send(Object.keys(COMMANDS).length);
      else if (sub === 'list') conn.send(Object.keys(COMMANDS));
      else if (sub === 'info') conn.send(args.slice(2).map(() => null));
      else conn.send(error(`ERR unknown subcommand '${text(args[1]).slice(0, 64)}'. Try COMMAND HELP.`));
    },
  },
  role: {
    arity: 1,
    run(conn) {
      conn.send(['sentinel', [conn.server.view.config.masterName]]);
    },
  },
  info: {
    arity: -1,
    run(conn, args) {
      const server = conn.server;
      conn.send(
        renderInfo(
          {
            view: server.view,
            primaryLost: server.primaryLost(),
            tcpPort: conn.localPort,
            runId: server.runId,
            connectedClients: server.connectionCount(),
            pubsubClients: server.hub.size,
            version: server.version,
          },
          args.slice(1).map((a) => text(a)),
        ),
      );
    },
  },
  sentinel: {
    arity: -2,
    run(conn, args) {
      const server = conn.server;
      const reply = sentinelCommand(
        { view: server.view, primaryLost: () => server.primaryLost(), failover: (t) => server.failover(t) },
        args.slice(1).map((a) => text(a)),
      );
      if (reply instanceof Promise) return reply.then((r) => conn.send(r));
      conn.send(reply);
      return undefined;
    },
  },
  member: {
    arity: -2,
    run(conn, args) {
      const reply = memberCommand(
        { view: conn.server.view, log: (level, msg) => conn.server.log(level, msg), client: conn.remote },
        args.slice(1).map((a) => text(a)),
      );
      if (reply instanceof Promise) return reply.then((r) => conn.send(r));
      conn.send(reply);
      return undefined;
    },
  },
  subscribe: { arity: -2, pubsub: true, run: (conn, args) => subscribe(conn, args, 'subscribe') },
  psubscribe: { arity: -2, pubsub: true, run: (conn, args) => subscribe(conn, args, 'psubscribe') },
  unsubscribe: { arity: -1, pubsub: true, run: (conn, args) => unsubscribe(conn, args, 'unsubscribe') },
  punsubscribe: { arity: -1, pubsub: true, run: (conn, args) => unsubscribe(conn, args, 'punsubscribe') },
};

/** redis's "unknown command" text: the name and the first arguments, quoted, within 128 characters. */
export function unknownCommandError(args: Buffer[]): string {
  const name = text(args[0]).slice(0, 128);
  let tail = '';
  for (const arg of args.slice(1)) {
    const room = 128 - tail.length;
    if (room <= 0) break;
    tail += `'${text(arg).slice(0, room)}' `;
  }
  return `ERR unknown command '${name}', with args beginning with: ${tail}`;
}

/** Runs one request on a connection. */
export function dispatch(conn: ClientConnection, args: Buffer[]): void | Promise<void> {
  const name = lower(args[0]);
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) {
    conn.send(error(unknownCommandError(args)));
    return;
  }
  const n = args.length;
  if ((spec.arity >= 0 ? n !== spec.arity : n < -spec.arity) || (spec.max !== undefined && n > spec.max)) {
    conn.send(error(`ERR wrong number of arguments for '${name}' command`));
    return;
  }
  if (!conn.authenticated && !spec.noAuth) {
    conn.send(error(AUTH_ERRORS.noauth));
    // Commands without the password are guesses too: they are throttled like a wrong AUTH.
    conn.authFailed();
    return;
  }
  if (restrictedSubscriber(conn) && !spec.pubsub) {
    conn.send(error(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`));
    return;
  }
  return spec.run(conn, args);
}
