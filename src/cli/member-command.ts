/**
 * `resp-elect member add|remove|list|force`: online membership changes
 * (protocol.md §5.12) through one sidecar's client port (`MEMBER …`, see
 * src/admin/member-command.ts). `add` and `remove` may be sent to any
 * sidecar (a replica's forwards to the primary's) and return once the
 * change is committed, printing the configuration it made; `list` prints the
 * configuration the asked sidecar holds; `force` is disaster recovery and
 * refuses without --yes-i-understand-data-loss.
 */
import type { Argv, CommandModule } from 'yargs';
import { parseConfigReply, type ConfigReply } from '../admin/member-reply.js';
import { parseMember } from '../sidecar/member-spec.js';
import { addSidecarClientOptions, connectToSidecar, formatTable, type SidecarClientOptions } from './status-command.js';

export const DEFAULT_MEMBER_WAIT_MS = 30_000;
const FORCE_WORD = 'YES-I-UNDERSTAND-DATA-LOSS';

export type MemberAction =
  | { kind: 'list' }
  | { kind: 'add'; spec: string }
  | { kind: 'remove'; id: string }
  | { kind: 'force'; keep: string[]; confirmed: boolean };

export interface MemberOptions extends SidecarClientOptions {
  /** How long add/remove may take to commit. Default 30 000 ms. */
  waitMs?: number;
  json?: boolean;
}

function committedText(c: ConfigReply): string {
  if (c.committed === true) return 'committed';
  if (c.committed === false) return 'NOT committed yet (a majority of its voters does not hold it)';
  return `commit unknown to ${c.answeredBy} (only the primary's sidecar counts who holds it)`;
}

/** The configuration as the operator reads it: one summary line, then a table of members. */
export function formatConfig(c: ConfigReply): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const lines = [
    `configuration version ${c.version} (epoch ${c.epoch}), ${committedText(c)}`,
    `${plural(c.voters.length, 'voter')} (quorum ${c.quorum}), ${plural(c.learners.length, 'learner')}; as held by ${c.answeredBy}`,
  ];
  if (!c.agreed) lines.push('NOT agreed yet: born from --member flags, not yet held by a majority of its voters (this node neither votes nor stands)');
  if (c.removed) lines.push(`${c.answeredBy} is NOT in this configuration: it was removed (its redis is detached; stop it)`);
  if (c.conflict) lines.push(`CONFLICT: peer ${c.conflict.peer} holds the same version with other members (digest ${c.conflict.digest.slice(0, 12)}…)`);
  lines.push('');
  const rows = [['ID', 'KIND', 'PRIORITY', 'SIDECAR', 'REDIS', 'HEARD']];
  for (const m of c.members) {
    rows.push([m.id === c.answeredBy ? `${m.id} *` : m.id, m.kind, String(m.priority), m.peer ?? '-', m.redis ?? '-', m.id === c.answeredBy ? 'this sidecar' : m.up ? 'yes' : 'NO']);
  }
  lines.push(formatTable(rows), '', '* the sidecar that answered');
  return `${lines.join('\n')}\n`;
}

/** The MEMBER command for an action, after checking what can be checked here (clearer than the sidecar's reply). */
export function memberCommandArgs(action: MemberAction, waitMs: number): string[] {
  switch (action.kind) {
    case 'list':
      return ['MEMBER', 'LIST'];
    case 'add':
      // Throws OptionError naming what is wrong with the spec.
      parseMember(action.spec);
      return ['MEMBER', 'ADD', action.spec, 'TIMEOUT', String(waitMs)];
    case 'remove':
      if (!action.id) throw new Error('--id: name the member to remove');
      return ['MEMBER', 'REMOVE', action.id, 'TIMEOUT', String(waitMs)];
    case 'force': {
      if (!action.confirmed) {
        throw new Error(
          'member force makes a configuration of the members you keep WITHOUT a quorum. Writes that only the dropped members ' +
            'acknowledged (WAIT counted them) may be lost, and if the dropped members are in fact alive behind a partition, ' +
            'two primaries can result. Use it only for members that will never come back; repeat with --yes-i-understand-data-loss.',
        );
      }
      if (action.keep.length === 0 || action.keep.some((id) => id === '')) throw new Error('--keep: a comma-separated list of the surviving member ids, the asked sidecar included');
      return ['MEMBER', 'FORCE', action.keep.join(','), FORCE_WORD];
    }
  }
}

const describeAction = (a: MemberAction) =>
  a.kind === 'add' ? `add ${a.spec.split('=')[0]}` : a.kind === 'remove' ? `remove ${a.id}` : a.kind === 'force' ? `force ${a.keep.join(',')}` : 'list';

export async function runMember(action: MemberAction, opts: MemberOptions, write: (text: string) => void = (t) => void process.stdout.write(t)): Promise<ConfigReply> {
  const waitMs = opts.waitMs ?? DEFAULT_MEMBER_WAIT_MS;
  const args = memberCommandArgs(action, waitMs);
  const { client } = await connectToSidecar(opts);
  let config: ConfigReply;
  try {
    let reply: unknown;
    try {
      // The sidecar answers once the change is committed: give it the whole wait, plus the forwarding.
      reply = await client.command(args, Math.max(opts.timeoutMs ?? 5000, waitMs + 5000));
    } catch (err) {
      throw new Error(`member ${describeAction(action)} failed: ${(err as Error).message.replace(/^ERR /, '')}`);
    }
    config = parseConfigReply(reply);
  } finally {
    client.close();
  }
  if (opts.json) {
    write(`${JSON.stringify(config, null, 2)}\n`);
    return config;
  }
  if (action.kind === 'add') {
    const id = parseMember(action.spec).id;
    const kind = config.members.find((m) => m.id === id)?.kind ?? '?';
    write(`added ${id} as a ${kind}${kind === 'learner' ? ' (the primary promotes it to voter once its redis caught up)' : ''}; start its sidecar with --join <any member's sidecar address>\n`);
  } else if (action.kind === 'remove') {
    write(`removed ${action.id}; stop its sidecar and redis\n`);
  } else if (action.kind === 'force') {
    write(`FORCED on ${config.answeredBy}: the other kept members adopt it from there\n`);
  }
  write(formatConfig(config));
  return config;
}

function common(a: Record<string, unknown>): MemberOptions {
  return {
    sidecar: a['sidecar'] as string | undefined,
    passwordFile: a['password-file'] as string | undefined,
    timeoutMs: a['timeout'] as number | undefined,
    waitMs: a['wait'] as number | undefined,
    json: a['json'] === true,
  };
}

function withOutput<T>(y: Argv<T>) {
  return addSidecarClientOptions(y).option('json', { type: 'boolean', default: false, describe: 'Print the configuration as JSON' });
}

function withWait<T>(y: Argv<T>) {
  return withOutput(y).option('wait', { type: 'number', default: DEFAULT_MEMBER_WAIT_MS, describe: 'How long the change may take to commit, in milliseconds', requiresArg: true });
}

const addCommand: CommandModule = {
  command: 'add',
  describe: 'Add a member (a learner until it catches up); returns once committed',
  builder: (y) =>
    withWait(y)
      .option('member', { type: 'string', demandOption: true, describe: 'The new member, in --member syntax: ID=HOST:PORT,redis=HOST:PORT[,witness][,priority=N]', requiresArg: true })
      .example('$0 member add --sidecar 10.0.0.1:26379 --member n4=10.0.0.4:26379,redis=10.0.0.4:6379', 'add n4, then start it with --join 10.0.0.1:26379'),
  handler: async (argv) => {
    const a = argv as Record<string, unknown>;
    await runMember({ kind: 'add', spec: a['member'] as string }, common(a));
  },
};

const removeCommand: CommandModule = {
  command: 'remove',
  describe: 'Remove a member (the primary hands off first); returns once committed',
  builder: (y) =>
    withWait(y)
      .option('id', { type: 'string', demandOption: true, describe: 'The member to remove', requiresArg: true })
      .example('$0 member remove --sidecar 10.0.0.1:26379 --id n3', 'remove n3, alive or dead'),
  handler: async (argv) => {
    const a = argv as Record<string, unknown>;
    await runMember({ kind: 'remove', id: a['id'] as string }, common(a));
  },
};

const listCommand: CommandModule = {
  command: 'list',
  describe: 'Show the member configuration a sidecar holds',
  builder: (y) => withOutput(y),
  handler: async (argv) => {
    await runMember({ kind: 'list' }, common(argv as Record<string, unknown>));
  },
};

const forceCommand: CommandModule = {
  command: 'force',
  describe: 'Disaster recovery: keep only the listed survivors, without a quorum (may lose writes)',
  builder: (y) =>
    withOutput(y)
      .option('keep', { type: 'string', demandOption: true, describe: 'Comma-separated ids of the surviving members, the asked sidecar included', requiresArg: true })
      .option('yes-i-understand-data-loss', { type: 'boolean', default: false, describe: 'Confirm: writes only the dropped members acknowledged may be lost' })
      .example('$0 member force --sidecar 10.0.0.1:26379 --keep n1,n2 --yes-i-understand-data-loss', 'n3, n4 and n5 are gone for good'),
  handler: async (argv) => {
    const a = argv as Record<string, unknown>;
    const keep = String(a['keep'] ?? '')
      .split(',')
      .map((s) => s.trim());
    await runMember({ kind: 'force', keep, confirmed: a['yes-i-understand-data-loss'] === true }, common(a));
  },
};

export const memberCommand: CommandModule = {
  command: 'member',
  describe: 'Add, remove or list members online; force a configuration after a disaster',
  builder: (y) =>
    y
      .command(addCommand)
      .command(removeCommand)
      .command(listCommand)
      .command(forceCommand)
      .demandCommand(1, 'Name an action: add, remove, list or force (see resp-elect member --help).'),
  handler: () => {},
};
