/**
 * The one rendering of Elector events, shared by the sidecar's log, the
 * simulator's timeline and the scenario tests' golden files: a level, one
 * sentence that says what happened, the fields that say why, and the event's
 * own data as fields, so a reader of the log can match `event=vote
 * granted=false` instead of parsing the sentence.
 *
 * A sentence describes what the Elector decided, never what redis did: the
 * runtime logs redis actions itself, and only once redis confirmed them
 * (`writes stopped: fencing the local redis` is the Elector's decision;
 * `local redis fenced: CLIENT PAUSE WRITE` is the runtime's confirmation).
 * Pure: no clock, no I/O.
 */
import type { DataPoint, ElectorEvent } from './events.js';

export type EventLevel = 'error' | 'warn' | 'info' | 'debug';

/** Flat values only, so every log format (key=value, JSON) can carry them as they are. */
export type EventFields = Record<string, string | number | boolean | null | undefined>;

export interface RenderedEvent {
  level: EventLevel;
  /** The event's type, carried by every log line as the `event` field. */
  event: ElectorEvent['type'];
  /** One sentence; its wording is for people, the fields are for programs. */
  msg: string;
  /** Why it happened (reason, detail, offsets…): what a compact one-line rendering shows after the sentence. */
  why: EventFields;
  /**
   * Everything a program needs: `why`, then the event's own scalar data (`candidate`, `granted`,
   * `from`, `to`…), then `event` last. A human log line reads sentence first and tag last.
   */
  fields: EventFields;
}

const point = (p: DataPoint) => `epoch ${p.dataEpoch} offset ${p.offset}`;

/** The level, sentence and why-fields of one event; `renderEvent` adds the data. */
function describe(ev: ElectorEvent): { level: EventLevel; msg: string; why: EventFields } {
  switch (ev.type) {
    case 'role':
      return { level: 'info', msg: `role ${ev.from} -> ${ev.to}`, why: { epoch: ev.epoch, reason: ev.reason } };
    case 'epoch':
      return { level: 'info', msg: `epoch ${ev.from} -> ${ev.to}`, why: { reason: ev.reason } };
    case 'follow':
      // "detaching", not "detached": the runtime reports when redis has actually detached.
      return ev.primary === null
        ? { level: 'info', msg: 'following no primary: detaching the local redis', why: { epoch: ev.epoch, reason: ev.reason } }
        : { level: 'info', msg: `following primary ${ev.primary}`, why: { epoch: ev.epoch, reason: ev.reason } };
    case 'primary-lost':
      return { level: 'warn', msg: `primary ${ev.primary ?? '(none)'} lost`, why: { epoch: ev.epoch, reason: ev.reason } };
    case 'prevote-start':
      return { level: 'info', msg: `pre-vote for epoch ${ev.epoch}`, why: { offset: ev.offset } };
    case 'prevote-failed':
      return { level: 'info', msg: `pre-vote for epoch ${ev.epoch} failed`, why: { reason: ev.reason } };
    case 'election-start':
      return { level: 'info', msg: `standing for election in epoch ${ev.epoch}`, why: { offset: ev.offset, handoff: ev.handoff } };
    case 'election-lost':
      return { level: 'info', msg: `election for epoch ${ev.epoch} lost`, why: { reason: ev.reason } };
    case 'elected':
      return { level: 'info', msg: `won epoch ${ev.epoch}`, why: { votes: ev.votes.join(',') } };
    case 'promote':
      return { level: 'info', msg: `promoting local redis for epoch ${ev.epoch}`, why: {} };
    case 'vote': {
      const what = ev.prevote ? 'pre-vote' : 'vote';
      return ev.granted
        ? { level: 'info', msg: `${what} granted to ${ev.candidate} for epoch ${ev.epoch}`, why: {} }
        : { level: 'info', msg: `${what} refused to ${ev.candidate} for epoch ${ev.epoch}`, why: { reason: ev.reason, detail: ev.detail } };
    }
    case 'lease':
      return { level: ev.held ? 'info' : 'warn', msg: ev.held ? 'lease acquired' : 'lease lost', why: { epoch: ev.epoch } };
    case 'writes':
      // The Elector's decision only: whether redis is fenced is the runtime's to report.
      return {
        level: 'info',
        msg: ev.allowed ? 'writes allowed: unfencing the local redis' : 'writes stopped: fencing the local redis',
        why: { epoch: ev.epoch, reason: ev.reason },
      };
    case 'peer':
      return { level: ev.up ? 'info' : 'warn', msg: `peer ${ev.id} ${ev.up ? 'up' : 'down'}`, why: {} };
    case 'handoff-start':
      return { level: 'info', msg: `hand-off to ${ev.target} started`, why: { epoch: ev.epoch, offset: ev.offset } };
    case 'handoff-released':
      return { level: 'info', msg: `${ev.from} released leadership to ${ev.target}`, why: { epoch: ev.epoch, offset: ev.offset } };
    case 'handoff-end':
      return { level: ev.ok ? 'info' : 'warn', msg: `hand-off to ${ev.target} ${ev.ok ? 'done' : 'aborted'}`, why: { epoch: ev.epoch, reason: ev.reason } };
    case 'data-lost':
      return { level: 'warn', msg: 'local redis lost data: judging candidates by the data it held', why: { held: point(ev.held), now: point(ev.now), forMs: ev.holdMs } };
    case 'data-forgotten':
      return {
        level: 'warn',
        msg: 'local redis data not recovered: judging candidates by the data held now; acknowledged writes only we held may be lost',
        why: { held: point(ev.held), now: point(ev.now) },
      };
    case 'config':
      return ev.self === 'removed'
        ? {
            level: 'warn',
            msg: `this node is not in configuration ${ev.version}: it no longer votes, stands or names a primary to clients; its redis is detached (read-only, data kept). To take part again, run resp-elect member add on any member`,
            why: { reason: ev.reason, members: ev.members },
          }
        : { level: 'info', msg: `configuration ${ev.version} in use: this node is a ${ev.self}`, why: { configEpoch: ev.epoch, reason: ev.reason, members: ev.members } };
    case 'config-committed':
      return { level: 'info', msg: `configuration ${ev.version} committed: a majority of its voters hold it`, why: { configEpoch: ev.epoch, members: ev.members } };
    case 'config-conflict':
      return {
        level: 'error',
        msg: `${ev.peer} holds configuration ${ev.version} with other members: this node will not vote or stand with it. Give every node the same --member list, or start a new node with --join instead of --member`,
        why: { configEpoch: ev.epoch },
      };
    case 'adoption':
      return { level: ev.stance === 'detach' ? 'warn' : 'info', msg: `adoption: ${ev.stance}`, why: { reason: ev.reason } };
    case 'ignored':
      return { level: 'debug', msg: `ignored ${ev.what} from ${ev.from}`, why: { reason: ev.reason } };
    case 'error':
      return { level: 'error', msg: `error ${ev.what}`, why: { error: ev.message } };
  }
}

/** Level, sentence, why-fields and all fields of one Elector event. */
export function renderEvent(ev: ElectorEvent): RenderedEvent {
  const { level, msg, why } = describe(ev);
  const fields: EventFields = { ...why };
  for (const [key, value] of Object.entries(ev)) {
    // Objects (data points) are already in `why` as text; `type` becomes `event` below.
    if (key === 'type' || key in fields || (typeof value === 'object' && value !== null && !Array.isArray(value))) continue;
    fields[key] = Array.isArray(value) ? value.join(',') : (value as EventFields[string]);
  }
  fields['event'] = ev.type;
  return { level, event: ev.type, msg, why, fields };
}

/** A bare word that would read back as a number, a boolean or null. */
const LOOKS_TYPED = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i;

/**
 * `key=value` pairs separated by spaces; undefined is left out. A string is
 * JSON-quoted when it is empty, holds a space, quote or `=`, or would read
 * back as a number, boolean or null, so a line parses back to the same
 * fields (src/sidecar/logger.ts `parseHumanLine`).
 */
export function formatFields(fields: EventFields): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && (v === '' || /[\s"=]/.test(v) || LOOKS_TYPED.test(v)) ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/**
 * One compact line: the sentence, then the why-fields (`vote refused to n2 for epoch 2
 * reason=primary-alive detail="…"`). The simulator's timeline and the scenario goldens use it.
 */
export function eventLine(ev: ElectorEvent): string {
  const { msg, why } = describe(ev);
  const kv = formatFields(why);
  return kv ? `${msg}  ${kv}` : msg;
}
