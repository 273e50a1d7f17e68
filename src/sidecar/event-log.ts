import type { ElectorEvent } from '../elector/events.js';
import type { LogFields } from './logger.js';
import type { LogLevel } from './config.js';

/**
 * How each Elector event reads in the log: the level, one sentence that says
 * what happened, and the fields that say why. Kept apart from the wiring so
 * the wording of every log line can be read (and documented) in one place.
 */
export function describeEvent(ev: ElectorEvent): { level: LogLevel; msg: string; fields: LogFields } {
  switch (ev.type) {
    case 'role':
      return { level: 'info', msg: `role ${ev.from} -> ${ev.to}`, fields: { epoch: ev.epoch, reason: ev.reason } };
    case 'epoch':
      return { level: 'info', msg: `epoch ${ev.from} -> ${ev.to}`, fields: { reason: ev.reason } };
    case 'follow':
      return ev.primary === null
        ? { level: 'info', msg: 'following no primary: redis detached', fields: { epoch: ev.epoch, reason: ev.reason } }
        : { level: 'info', msg: `following primary ${ev.primary}`, fields: { epoch: ev.epoch, reason: ev.reason } };
    case 'primary-lost':
      return { level: 'warn', msg: `primary ${ev.primary ?? '(none)'} lost`, fields: { epoch: ev.epoch, reason: ev.reason } };
    case 'prevote-start':
      return { level: 'info', msg: `pre-vote for epoch ${ev.epoch}`, fields: { offset: ev.offset } };
    case 'prevote-failed':
      return { level: 'info', msg: `pre-vote for epoch ${ev.epoch} failed`, fields: { reason: ev.reason } };
    case 'election-start':
      return { level: 'info', msg: `standing for election in epoch ${ev.epoch}`, fields: { offset: ev.offset, handoff: ev.handoff } };
    case 'election-lost':
      return { level: 'info', msg: `election for epoch ${ev.epoch} lost`, fields: { reason: ev.reason } };
    case 'elected':
      return { level: 'info', msg: `won epoch ${ev.epoch}`, fields: { votes: ev.votes.join(',') } };
    case 'promote':
      return { level: 'info', msg: `promoting local redis for epoch ${ev.epoch}`, fields: {} };
    case 'vote':
      return ev.granted
        ? { level: 'info', msg: `${ev.prevote ? 'pre-vote' : 'vote'} granted to ${ev.candidate} for epoch ${ev.epoch}`, fields: {} }
        : { level: 'info', msg: `${ev.prevote ? 'pre-vote' : 'vote'} refused to ${ev.candidate} for epoch ${ev.epoch}`, fields: { reason: ev.reason, detail: ev.detail } };
    case 'lease':
      return { level: ev.held ? 'info' : 'warn', msg: ev.held ? 'lease acquired' : 'lease lost', fields: { epoch: ev.epoch } };
    case 'writes':
      return { level: 'info', msg: ev.allowed ? 'writes allowed: redis unfenced' : 'writes stopped: redis fenced', fields: { epoch: ev.epoch, reason: ev.reason } };
    case 'peer':
      return { level: ev.up ? 'info' : 'warn', msg: `peer ${ev.id} ${ev.up ? 'up' : 'down'}`, fields: {} };
    case 'handoff-start':
      return { level: 'info', msg: `hand-off to ${ev.target} started`, fields: { epoch: ev.epoch, offset: ev.offset } };
    case 'handoff-end':
      return { level: ev.ok ? 'info' : 'warn', msg: `hand-off to ${ev.target} ${ev.ok ? 'done' : 'aborted'}`, fields: { epoch: ev.epoch, reason: ev.reason } };
    case 'data-lost':
      return {
        level: 'warn',
        msg: 'local redis lost data: judging candidates by the data it held',
        fields: { held: `epoch ${ev.held.dataEpoch} offset ${ev.held.offset}`, now: `epoch ${ev.now.dataEpoch} offset ${ev.now.offset}`, forMs: ev.holdMs },
      };
    case 'data-forgotten':
      return {
        level: 'warn',
        msg: 'local redis data not recovered: judging candidates by the data held now; acknowledged writes only we held may be lost',
        fields: { held: `epoch ${ev.held.dataEpoch} offset ${ev.held.offset}`, now: `epoch ${ev.now.dataEpoch} offset ${ev.now.offset}` },
      };
    case 'ignored':
      return { level: 'debug', msg: `ignored ${ev.what} from ${ev.from}`, fields: { reason: ev.reason } };
    case 'error':
      return { level: 'error', msg: `error ${ev.what}`, fields: { error: ev.message } };
  }
}
