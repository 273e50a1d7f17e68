/**
 * Which sidecar log lines are steps of a failover worth showing, and how they
 * read in the demo's timeline. Pure: one line in, at most one milestone out.
 * It reads the lines' fields, never their sentences: `event` (an Elector
 * event, with the event's data as fields: src/elector/render-event.ts) and
 * `action` (a redis action the runtime confirmed: promote, replicate,
 * detach, fence, unfence, health). Only the sidecar's own two lifecycle
 * lines are known by their fixed message. test/demo/units.test.ts pins it
 * with lines written by the real renderer and logger.
 */
import type { SidecarLine } from './log-line.js';

export type MilestoneKind =
  | 'started'
  | 'detect'
  | 'detached'
  | 'prevote'
  | 'prevote-failed'
  | 'prevote-granted'
  | 'stand'
  | 'vote'
  | 'refused'
  | 'election-lost'
  | 'won'
  | 'promoted'
  | 'lease'
  | 'lease-lost'
  | 'writes-allowed'
  | 'writes-stopped'
  | 'fenced'
  | 'unfenced'
  | 'retarget'
  | 'follow'
  | 'role'
  | 'epoch'
  | 'handoff-start'
  | 'handoff-end'
  | 'redis-healthy'
  | 'redis-unhealthy'
  | 'stopped'
  /** Derived by NodeState, not a log line: primary, writes allowed and redis unfenced. */
  | 'writable';

export interface Milestone {
  kind: MilestoneKind;
  t: number;
  node: string;
  /** One short sentence for the timeline. */
  text: string;
  /** Whether the timeline shows it (some only feed the node state). */
  shown: boolean;
  /** Parsed details: epoch, the other node, roles. */
  epoch?: number;
  other?: string;
  from?: string;
  to?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * The milestone a sidecar log line stands for, if any. `followed`: the
 * primary the node's sidecar last said it follows, named by a `replicate`
 * line that does not name it itself.
 */
export function milestoneOf(line: SidecarLine, followed?: string): Milestone | undefined {
  const { msg, fields, t, node } = line;
  const f = (k: string) => fields[k];
  const epoch = num(f('epoch'));
  const base = { t, node, epoch };
  const reason = str(f('reason'));
  const because = reason ? ` (${reason})` : '';
  const event = str(f('event'));
  if (event !== undefined) return eventMilestone(event, line, base, because);
  const action = str(f('action'));
  if (action !== undefined) return actionMilestone(action, line, base, because, followed);
  if (msg === 'sidecar started') return { ...base, kind: 'started', text: `sidecar started (epoch ${epoch ?? '?'})`, shown: true };
  if (msg === 'sidecar stopped') return { ...base, kind: 'stopped', text: 'sidecar stopped', shown: true };
  return undefined;
}

type Base = Pick<Milestone, 't' | 'node' | 'epoch'>;

/** An Elector event line (`event` field; the event's data as the other fields). */
function eventMilestone(event: string, { fields }: SidecarLine, base: Base, because: string): Milestone | undefined {
  const f = (k: string) => fields[k];
  const e = base.epoch ?? '?';
  switch (event) {
    case 'primary-lost': {
      // A null primary: nobody was followed (start-up, or a voter in a hand-off): not a detection worth a line.
      const other = str(f('primary'));
      return { ...base, kind: 'detect', text: `detected: primary ${other ?? '(none)'} lost${because}`, shown: other !== undefined, other };
    }
    case 'prevote-start':
      return { ...base, kind: 'prevote', text: `pre-vote: asks the others whether they would vote for it in epoch ${e} (offset ${str(f('offset')) ?? '?'})`, shown: true };
    case 'prevote-failed':
      return { ...base, kind: 'prevote-failed', text: `pre-vote for epoch ${e} failed${because}`, shown: true };
    case 'election-start': {
      const handoff = f('handoff') === true ? ', planned hand-off' : '';
      return { ...base, kind: 'stand', text: `stands for election in epoch ${e} (offset ${str(f('offset')) ?? '?'}${handoff})`, shown: true };
    }
    case 'vote': {
      const other = str(f('candidate'));
      const what = f('prevote') === true ? 'pre-vote' : 'vote';
      if (f('granted') !== true) {
        const repeats = num(f('repeats'));
        const text = repeats === undefined ? `${what} refused to ${other} for epoch ${e}${because}` : `${repeats} more ${what} refusals to ${other}${because}`;
        return { ...base, kind: 'refused', text, shown: true, other };
      }
      if (what === 'pre-vote') return { ...base, kind: 'prevote-granted', text: `pre-vote granted to ${other}`, shown: true, other };
      return { ...base, kind: 'vote', text: `votes for ${other} in epoch ${e}`, shown: true, other };
    }
    case 'election-lost':
      return { ...base, kind: 'election-lost', text: `election for epoch ${e} lost${because}`, shown: true };
    case 'elected': {
      const votes = str(f('votes'));
      return { ...base, kind: 'won', text: `won epoch ${e}${votes ? ` (votes ${votes})` : ''}`, shown: true };
    }
    case 'lease':
      return f('held') === true
        ? { ...base, kind: 'lease', text: `lease acquired (a quorum acknowledged it, epoch ${e})`, shown: true }
        : { ...base, kind: 'lease-lost', text: 'lease lost', shown: true };
    case 'writes':
      return f('allowed') === true
        ? { ...base, kind: 'writes-allowed', text: 'writes allowed', shown: false }
        : { ...base, kind: 'writes-stopped', text: `writes stopped: the sidecar fences redis${because}`, shown: true };
    case 'follow': {
      const other = str(f('primary'));
      return other === undefined ? undefined : { ...base, kind: 'follow', text: `follows ${other}`, shown: false, other };
    }
    case 'role': {
      const from = str(f('from'));
      const to = str(f('to'));
      const stepDown = from === 'primary';
      return { ...base, kind: 'role', text: stepDown ? `steps down: ${from} -> ${to}${because}` : `role ${from} -> ${to}`, shown: stepDown, from, to };
    }
    case 'epoch':
      return { ...base, kind: 'epoch', text: `epoch ${str(f('from'))} -> ${str(f('to'))}`, shown: false, epoch: num(f('to')) };
    case 'handoff-start': {
      const other = str(f('target'));
      return { ...base, kind: 'handoff-start', text: `hand-off to ${other} started: writes paused (offset ${str(f('offset')) ?? '?'})`, shown: true, other };
    }
    case 'handoff-end': {
      const other = str(f('target'));
      const ok = f('ok') === true;
      return { ...base, kind: 'handoff-end', text: `hand-off to ${other} ${ok ? 'done' : `aborted${because}`}`, shown: true, other };
    }
    default:
      return undefined;
  }
}

/** A redis action the runtime confirmed (`action` field). */
function actionMilestone(action: string, { fields, level }: SidecarLine, base: Base, because: string, followed: string | undefined): Milestone | undefined {
  const f = (k: string) => fields[k];
  switch (action) {
    case 'promote':
      return { ...base, kind: 'promoted', text: 'redis promoted: REPLICAOF NO ONE', shown: true };
    case 'replicate': {
      const other = str(f('primary')) ?? followed;
      return { ...base, kind: 'retarget', text: `redis retargeted: REPLICAOF ${other ?? '?'} (${str(f('target')) ?? '?'})`, shown: true, other };
    }
    case 'detach':
      return { ...base, kind: 'detached', text: 'redis detached from the lost primary (read-only, data kept)', shown: true };
    case 'fence':
      return { ...base, kind: 'fenced', text: 'redis fenced (CLIENT PAUSE WRITE)', shown: false };
    case 'unfence':
      return { ...base, kind: 'unfenced', text: 'redis unfenced', shown: false };
    case 'health': {
      const healthy = typeof f('healthy') === 'boolean' ? f('healthy') === true : level !== 'warn' && level !== 'error';
      return healthy ? { ...base, kind: 'redis-healthy', text: 'redis healthy', shown: false } : { ...base, kind: 'redis-unhealthy', text: `redis unhealthy${because}`, shown: false };
    }
    default:
      return undefined;
  }
}
