/**
 * `MEMBER <subcommand>` on the client port: the operator's membership
 * changes (protocol.md §5.12), what `resp-elect member …` sends.
 *
 * ADD and REMOVE may be sent to any sidecar (a replica's forwards to the
 * primary's) and are answered only once the change is committed, with the
 * new configuration, or with `-ERR <why>`; unlike SENTINEL FAILOVER there is
 * no early +OK, because the operator's next step (starting the new node,
 * removing the next one) depends on the commit. FORCE is disaster recovery
 * on the sidecar asked, and refuses without the literal confirmation word.
 * Replies are the configuration map of member-reply.ts.
 */
import type { ConfigSnapshot } from '../elector/elector.js';
import type { MemberChangeRequest, SidecarView } from '../sidecar/view.js';
import { configReply } from './member-reply.js';
import { error, ErrorReply, simple, type Reply } from './resp.js';

export interface MemberContext {
  view: SidecarView;
  log(level: 'info' | 'warn', msg: string): void;
  /** Who asked, for the log. */
  client: string;
}

export const FORCE_CONFIRMATION = 'YES-I-UNDERSTAND-DATA-LOSS';
/** The longest wait a client may ask for: a change that takes longer is stuck, not slow. */
export const MAX_MEMBER_TIMEOUT_MS = 600_000;

const HELP = [
  'MEMBER <subcommand> [<arg> ...]. Subcommands are:',
  'LIST',
  '    The configuration this sidecar holds: version, epoch, voters, learners, quorum, each member.',
  'ADD <id=host:port,redis=host:port[,witness][,priority=N]> [TIMEOUT <ms>] [RETRY]',
  '    Add a member (a learner until it catches up; a witness joins as a voter). Answers once committed.',
  'REMOVE <id> [TIMEOUT <ms>] [RETRY]',
  '    Remove a member (the primary hands off first). Answers once committed.',
  '    RETRY: an earlier request for this change was lost with its primary; if it is made already,',
  '    answer once it is committed instead of refusing it.',
  `FORCE <id,id,...> ${FORCE_CONFIRMATION}`,
  '    Disaster recovery: make a configuration of these survivors (this node included) without a quorum.',
  '    Writes only the dropped members acknowledged may be lost.',
  'HELP',
  '    Print this help.',
];

const wrongArity = (sub: string) => error(`ERR wrong number of arguments for 'member|${sub}' command`);

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/[\r\n]+/g, ' ') || 'membership change failed';
}

/**
 * `[TIMEOUT <ms>] [RETRY]` after the change's argument: the milliseconds (undefined when absent)
 * and whether RETRY was given, or an error reply.
 */
function changeOptions(rest: readonly string[]): { timeoutMs: number | undefined; again: boolean } | ErrorReply {
  let timeoutMs: number | undefined;
  let again = false;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!.toLowerCase();
    if (word === 'retry' && !again) {
      again = true;
    } else if (word === 'timeout' && timeoutMs === undefined && i + 1 < rest.length) {
      const text = rest[++i]!;
      if (!/^[1-9]\d{0,8}$/.test(text) || Number(text) > MAX_MEMBER_TIMEOUT_MS) return error(`ERR TIMEOUT must be 1-${MAX_MEMBER_TIMEOUT_MS} milliseconds, got '${text.slice(0, 32)}'`);
      timeoutMs = Number(text);
    } else {
      return error('ERR syntax error: expected TIMEOUT <milliseconds> and/or RETRY after the change');
    }
  }
  return { timeoutMs, again };
}

/** `config` (default: the one held now) with whether this sidecar hears each member now. */
function configNow(view: SidecarView, config?: ConfigSnapshot): Reply {
  const snap = view.snapshot();
  const up = new Map(snap.peers.map((p) => [p.id, p.up]));
  return configReply(config ?? snap.config, view.config.id, (id) => up.get(id) ?? false);
}

export function memberCommand(ctx: MemberContext, args: readonly string[]): Reply | Promise<Reply> {
  const sub = (args[0] ?? '').toLowerCase();
  const rest = args.slice(1);
  const view = ctx.view;
  switch (sub) {
    case 'list':
      if (rest.length !== 0) return wrongArity(sub);
      return configNow(view);
    case 'add':
    case 'remove': {
      // TIMEOUT with no value is an arity error, as redis says of `SET k v EX`.
      if (rest.length < 1 || rest.length > 4 || rest.at(-1)!.toLowerCase() === 'timeout') return wrongArity(sub);
      const opts = changeOptions(rest.slice(1));
      if (opts instanceof ErrorReply) return opts;
      const arg = rest[0]!;
      if (arg === '') return error(sub === 'add' ? 'ERR MEMBER ADD needs a member spec: id=host:port,redis=host:port[,witness][,priority=N]' : 'ERR MEMBER REMOVE needs a member id');
      const change: MemberChangeRequest = sub === 'add' ? { kind: 'add', spec: arg } : { kind: 'remove', id: arg };
      if (opts.again) change.again = true;
      const what = `member ${sub} ${arg}${opts.again ? ' (again)' : ''}`;
      ctx.log('info', `${what} asked by client ${ctx.client}`);
      let pending: Promise<ConfigSnapshot>;
      try {
        pending = Promise.resolve(view.memberChange(change, opts.timeoutMs));
      } catch (err) {
        ctx.log('warn', `${what} refused: ${messageOf(err)}`);
        return error(`ERR ${messageOf(err)}`);
      }
      return pending.then(
        (committed) => {
          ctx.log('info', `${what} committed: version ${committed.version} (epoch ${committed.epoch})`);
          // The configuration the change made, not whatever followed it (a learner's promotion);
          // committed, since the promise resolves only then, even where this sidecar cannot count it (a replica).
          return configNow(view, { ...committed, committed: true });
        },
        (err: unknown) => {
          ctx.log('warn', `${what} failed: ${messageOf(err)}`);
          return error(`ERR ${messageOf(err)}`);
        },
      );
    }
    case 'force': {
      if (rest.length !== 1 && rest.length !== 2) return wrongArity(sub);
      if (rest[1] !== FORCE_CONFIRMATION) {
        return error(
          `ERR MEMBER FORCE makes a configuration without a quorum: writes that only the dropped members acknowledged may be lost, ` +
            `and if they are alive behind a partition two primaries can result. Repeat it with ${FORCE_CONFIRMATION} as the last argument`,
        );
      }
      const keep = rest[0]!.split(',').map((s) => s.trim());
      if (keep.some((id) => id === '')) return error(`ERR MEMBER FORCE needs a comma-separated list of member ids, got '${rest[0]!.slice(0, 64)}'`);
      const dup = keep.find((id, i) => keep.indexOf(id) !== i);
      if (dup !== undefined) return error(`ERR MEMBER FORCE: ${dup} is named twice`);
      ctx.log('warn', `member force ${keep.join(',')} asked by client ${ctx.client}`);
      try {
        return configNow(view, view.forceConfig(keep));
      } catch (err) {
        ctx.log('warn', `member force refused: ${messageOf(err)}`);
        return error(`ERR ${messageOf(err)}`);
      }
    }
    case 'help':
      return HELP.map((line) => simple(line));
    default:
      return error(`ERR unknown subcommand '${(args[0] ?? '').slice(0, 64)}'. Try MEMBER HELP.`);
  }
}
