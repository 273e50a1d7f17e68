/**
 * `resp-elect switchover [--to id]`: a planned hand-off of the primary role.
 * Sends `SENTINEL FAILOVER <name> [TO <id>]` to one sidecar (which forwards
 * it to the primary when it is a replica), then polls `INFO election` until
 * the primary changed, and prints who handed over to whom and how long it
 * took. Fails (non-zero exit) with the reason when refused or when the
 * primary has not changed within --wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandModule } from 'yargs';
import { parseElectionInfo, type ElectionInfo } from '../admin/election-info.js';
import type { RespClient } from '../admin/resp-client.js';
import { addSidecarClientOptions, connectToSidecar, masterNameFromInfo, type SidecarClientOptions } from './status-command.js';

export interface SwitchoverOptions extends SidecarClientOptions {
  /** The member to hand over to; default: the sidecars pick the best replica. */
  to?: string;
  /** Default: the name the sidecar reports (SENTINEL MASTERS / INFO sentinel). */
  masterName?: string;
  /** How long to wait for the new primary. Default 30 000 ms. */
  waitMs?: number;
  /** Poll interval. Default 100 ms. */
  pollMs?: number;
}

export interface SwitchoverOutcome {
  from: string;
  fromAddr: string;
  to: string;
  toAddr: string;
  epoch: number;
  tookMs: number;
}

async function masterName(client: RespClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const masters = (await client.command(['SENTINEL', 'masters'])) as unknown;
  if (Array.isArray(masters) && Array.isArray(masters[0])) {
    const fields = masters[0] as string[];
    const at = fields.indexOf('name');
    if (at >= 0 && fields[at + 1]) return fields[at + 1]!;
  }
  const name = masterNameFromInfo(String(await client.command(['INFO', 'sentinel'])));
  if (name) return name;
  throw new Error('the sidecar reports no master name; pass --master-name');
}

async function election(client: RespClient): Promise<ElectionInfo> {
  return parseElectionInfo(String(await client.command(['INFO', 'election'])));
}

export async function runSwitchover(opts: SwitchoverOptions, write: (text: string) => void = (t) => void process.stdout.write(t)): Promise<SwitchoverOutcome> {
  const waitMs = opts.waitMs ?? 30_000;
  const pollMs = opts.pollMs ?? 100;
  let { client } = await connectToSidecar(opts);
  try {
    const name = await masterName(client, opts.masterName);
    const before = await election(client);
    const from = before.primary;
    if (!from) throw new Error('no primary is known right now; nothing to switch over (try again once an election is over)');
    if (opts.to !== undefined && opts.to === from) throw new Error(`${opts.to} is already the primary`);
    if (opts.to !== undefined && !before.members.some((m) => m.id === opts.to)) {
      throw new Error(`${opts.to} is not a member (members: ${before.members.map((m) => m.id).join(', ')})`);
    }
    write(`switchover of ${name}: asking ${before.id} to hand ${from} (${before.primaryAddr}) over${opts.to ? ` to ${opts.to}` : ''}\n`);

    const started = Date.now();
    try {
      await client.command(['SENTINEL', 'FAILOVER', name, ...(opts.to ? ['TO', opts.to] : [])], Math.max(opts.timeoutMs ?? 5000, waitMs));
    } catch (err) {
      throw new Error(`switchover refused: ${(err as Error).message}`);
    }

    const deadline = started + waitMs;
    let last: ElectionInfo = before;
    for (;;) {
      try {
        last = await election(client);
      } catch {
        // The sidecar may have dropped the connection; one fresh try per poll.
        client.close();
        try {
          client = (await connectToSidecar(opts)).client;
        } catch {
          // keep polling until the deadline
        }
      }
      if (last.primary && last.primary !== from) {
        if (opts.to !== undefined && last.primary !== opts.to) {
          throw new Error(`the primary moved to ${last.primary}, not to ${opts.to}`);
        }
        const outcome: SwitchoverOutcome = {
          from,
          fromAddr: before.primaryAddr,
          to: last.primary,
          toAddr: last.primaryAddr,
          epoch: last.primaryEpoch,
          tookMs: Date.now() - started,
        };
        write(`switched over: ${outcome.from} (${outcome.fromAddr}) -> ${outcome.to} (${outcome.toAddr}) in ${outcome.tookMs} ms, epoch ${outcome.epoch}\n`);
        return outcome;
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `the primary did not change within ${waitMs} ms (still ${last.primary || 'none'}${last.handoff ? `, hand-off to ${last.handoff} under way` : ''})`,
        );
      }
      await sleep(pollMs);
    }
  } finally {
    client.close();
  }
}

export const switchoverCommand: CommandModule = {
  command: 'switchover',
  describe: 'Hand the primary role over to a replica (planned failover)',
  builder: (y) =>
    addSidecarClientOptions(y)
      .option('to', { type: 'string', describe: 'Member id to hand over to (default: the best replica)', requiresArg: true })
      .option('master-name', { type: 'string', describe: 'Master name (default: the one the sidecar reports)', requiresArg: true })
      .option('wait', { type: 'number', default: 30_000, describe: 'How long to wait for the new primary, in milliseconds', requiresArg: true })
      .example('$0 switchover --sidecar 10.0.0.1:26379 --to n2', 'make n2 the primary'),
  handler: async (argv) => {
    const a = argv as Record<string, unknown>;
    await runSwitchover({
      sidecar: a['sidecar'] as string | undefined,
      passwordFile: a['password-file'] as string | undefined,
      timeoutMs: a['timeout'] as number | undefined,
      to: a['to'] as string | undefined,
      masterName: a['master-name'] as string | undefined,
      waitMs: a['wait'] as number | undefined,
    });
  },
};
