/**
 * Which sidecar log lines are steps of a failover worth showing, and how they
 * read in the demo's timeline. Pure: one line in, at most one milestone out.
 * The wording of the sidecar's lines lives in src/sidecar/event-log.ts; the
 * patterns here follow it, and test/demo/units.test.ts pins them with real
 * lines.
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

/** The milestone a sidecar log line stands for, if any. */
export function milestoneOf(line: SidecarLine): Milestone | undefined {
  const { msg, fields, t, node } = line;
  const base = { t, node };
  const reason = str(fields['reason']);
  const because = reason ? ` (${reason})` : '';
  let m: RegExpExecArray | null;
  if (msg === 'sidecar started') return { ...base, kind: 'started', text: `sidecar started (epoch ${num(fields['epoch']) ?? '?'})`, shown: true, epoch: num(fields['epoch']) };
  if ((m = /^primary (\S+) lost$/.exec(msg))) {
    // "primary (none) lost": nobody was followed (start-up, or a voter in a hand-off): not a detection worth a line.
    return { ...base, kind: 'detect', text: `detected: primary ${m[1]} lost${because}`, shown: m[1] !== '(none)', other: m[1], epoch: num(fields['epoch']) };
  }
  if (msg.startsWith('local redis detached')) return { ...base, kind: 'detached', text: 'redis detached from the lost primary (read-only, data kept)', shown: true };
  if ((m = /^pre-vote for epoch (\d+) failed$/.exec(msg))) return { ...base, kind: 'prevote-failed', text: `pre-vote for epoch ${m[1]} failed${because}`, shown: true, epoch: Number(m[1]) };
  if ((m = /^pre-vote for epoch (\d+)$/.exec(msg))) {
    return { ...base, kind: 'prevote', text: `pre-vote: asks the others whether they would vote for it in epoch ${m[1]} (offset ${str(fields['offset']) ?? '?'})`, shown: true, epoch: Number(m[1]) };
  }
  if ((m = /^pre-vote granted to (\S+) for epoch (\d+)$/.exec(msg))) {
    return { ...base, kind: 'prevote-granted', text: `pre-vote granted to ${m[1]}`, shown: true, other: m[1], epoch: Number(m[2]) };
  }
  if ((m = /^standing for election in epoch (\d+)$/.exec(msg))) {
    const handoff = fields['handoff'] === true ? ', planned hand-off' : '';
    return { ...base, kind: 'stand', text: `stands for election in epoch ${m[1]} (offset ${str(fields['offset']) ?? '?'}${handoff})`, shown: true, epoch: Number(m[1]) };
  }
  if ((m = /^vote granted to (\S+) for epoch (\d+)$/.exec(msg))) {
    return { ...base, kind: 'vote', text: `votes for ${m[1]} in epoch ${m[2]}`, shown: true, other: m[1], epoch: Number(m[2]) };
  }
  if ((m = /^(pre-vote|vote) refused to (\S+) for epoch (\d+)$/.exec(msg))) {
    return { ...base, kind: 'refused', text: `${m[1]} refused to ${m[2]} for epoch ${m[3]}${because}`, shown: true, other: m[2], epoch: Number(m[3]) };
  }
  if ((m = /^election for epoch (\d+) lost$/.exec(msg))) return { ...base, kind: 'election-lost', text: `election for epoch ${m[1]} lost${because}`, shown: true, epoch: Number(m[1]) };
  if ((m = /^won epoch (\d+)$/.exec(msg))) {
    const votes = str(fields['votes']);
    return { ...base, kind: 'won', text: `won epoch ${m[1]}${votes ? ` (votes ${votes})` : ''}`, shown: true, epoch: Number(m[1]) };
  }
  if (msg.startsWith('local redis promoted')) return { ...base, kind: 'promoted', text: 'redis promoted: REPLICAOF NO ONE', shown: true, epoch: num(fields['epoch']) };
  if (msg === 'lease acquired') return { ...base, kind: 'lease', text: `lease acquired (a quorum acknowledged it, epoch ${str(fields['epoch']) ?? '?'})`, shown: true, epoch: num(fields['epoch']) };
  if (msg === 'lease lost') return { ...base, kind: 'lease-lost', text: 'lease lost', shown: true, epoch: num(fields['epoch']) };
  if (msg.startsWith('writes allowed')) return { ...base, kind: 'writes-allowed', text: 'writes allowed', shown: false, epoch: num(fields['epoch']) };
  if (msg.startsWith('writes stopped')) return { ...base, kind: 'writes-stopped', text: `writes stopped: redis fenced${because}`, shown: true, epoch: num(fields['epoch']) };
  if (msg.startsWith('local redis fenced') || msg.startsWith('left the local redis fenced')) return { ...base, kind: 'fenced', text: 'redis fenced (CLIENT PAUSE WRITE)', shown: false };
  if (msg.startsWith('local redis unfenced')) return { ...base, kind: 'unfenced', text: 'redis unfenced', shown: false };
  if ((m = /^local redis now replicates from (\S+)$/.exec(msg))) {
    return { ...base, kind: 'retarget', text: `redis retargeted: REPLICAOF ${m[1]} (${str(fields['target']) ?? '?'})`, shown: true, other: m[1], epoch: num(fields['epoch']) };
  }
  if ((m = /^following primary (\S+)$/.exec(msg))) return { ...base, kind: 'follow', text: `follows ${m[1]}`, shown: false, other: m[1], epoch: num(fields['epoch']) };
  if ((m = /^role (\S+) -> (\S+)$/.exec(msg))) {
    const stepDown = m[1] === 'primary';
    return { ...base, kind: 'role', text: stepDown ? `steps down: ${m[1]} -> ${m[2]}${because}` : `role ${m[1]} -> ${m[2]}`, shown: stepDown, from: m[1], to: m[2], epoch: num(fields['epoch']) };
  }
  if ((m = /^epoch (\d+) -> (\d+)$/.exec(msg))) return { ...base, kind: 'epoch', text: `epoch ${m[1]} -> ${m[2]}`, shown: false, epoch: Number(m[2]) };
  if ((m = /^hand-off to (\S+) started$/.exec(msg))) {
    return { ...base, kind: 'handoff-start', text: `hand-off to ${m[1]} started: writes paused (offset ${str(fields['offset']) ?? '?'})`, shown: true, other: m[1], epoch: num(fields['epoch']) };
  }
  if ((m = /^hand-off to (\S+) (done|aborted)$/.exec(msg))) return { ...base, kind: 'handoff-end', text: `hand-off to ${m[1]} ${m[2]}${m[2] === 'aborted' ? because : ''}`, shown: true, other: m[1] };
  if (msg === 'local redis healthy') return { ...base, kind: 'redis-healthy', text: 'redis healthy', shown: false };
  if (msg === 'local redis unhealthy') return { ...base, kind: 'redis-unhealthy', text: `redis unhealthy${because}`, shown: false };
  if (msg === 'sidecar stopped') return { ...base, kind: 'stopped', text: 'sidecar stopped', shown: true };
  return undefined;
}
