/**
 * How the control loop's memory (Knowledge) moves: on an Elector event, on a
 * poll, and on the outcome of each step. Pure, shared by the sidecar and the
 * simulator.
 */
import type { ElectorEvent } from '../elector/events.js';
import { ROLE_ACTIONS, type ControlAction } from './action.js';
import { desiredAfter } from './desired.js';
import type { Knowledge } from './knowledge.js';
import type { Observed } from './observed.js';

/**
 * After an Elector event. A pending `promote` is forgotten on the events
 * that end the Elector's promotion: a role change (promoting → follower on a
 * newer epoch, a failure or the promote timeout; → primary comes only from
 * promoted(), after the executor took the promotion up) or a move to another
 * epoch. Acting on it then would make redis a writable master of an epoch
 * this node did not win, beside the primary that did.
 */
export function knowledgeAfterEvent(k: Knowledge, ev: ElectorEvent, selfId: string): Knowledge {
  if (ev.type === 'promote') return { ...k, promote: ev.epoch };
  let next = k;
  if (k.promote !== null && ((ev.type === 'role' && ev.to !== 'candidate') || (ev.type === 'epoch' && ev.to !== k.promote))) next = { ...next, promote: null };
  const desired = desiredAfter(next.desired, ev, selfId);
  return desired === next.desired ? next : { ...next, desired };
}

/**
 * Whether the node stands or leads (Elector role candidate or primary, or a
 * promotion pending or under way): then a redis restart is news that its data
 * may be gone, not just a redis to configure again.
 */
export function leading(k: Knowledge, electorRole: string): boolean {
  return electorRole !== 'replica' || k.promote !== null || k.promoting || k.desired.kind === 'primary';
}

/**
 * After a poll. A new run_id means a new redis process: whatever CONFIG SET
 * gave the old one (replication credentials, min-replicas) is gone. While the
 * node stands or leads it also means the data it stood with may be gone: the
 * node reports unhealthy (the Elector steps down) and a pending promotion is
 * abandoned. Otherwise the new process becomes the trusted one.
 */
export function knowledgeAfterPoll(k: Knowledge, o: Observed, isLeading: boolean): Knowledge {
  if (!o.reachable || o.runId === undefined) return k;
  let next = k;
  if (k.lastRunId !== undefined && o.runId !== k.lastRunId) {
    next = { ...next, authFor: undefined, minReplicas: undefined };
  }
  if (next.lastRunId !== o.runId) next = { ...next, lastRunId: o.runId };
  if (next.trustedRunId === undefined || !isLeading) {
    if (next.trustedRunId !== o.runId || next.restartedUnder !== undefined) next = { ...next, trustedRunId: o.runId, restartedUnder: undefined };
  } else if (o.runId !== next.trustedRunId && next.restartedUnder === undefined) {
    next = { ...next, restartedUnder: `local redis restarted (run_id ${next.trustedRunId} -> ${o.runId}); its data may be gone` };
  }
  return next;
}

/** The executor is about to carry out a promotion (it runs outside the plan until `promotionEnded`). */
export function promotionStarted(k: Knowledge): Knowledge {
  return { ...k, promote: null, promoting: true };
}

/** The promotion ended; on success `runId` is the promoted redis's, now the trusted one. */
export function promotionEnded(k: Knowledge, ok: boolean, runId?: string): Knowledge {
  const next: Knowledge = { ...k, promoting: false };
  if (ok) {
    next.killClients = 'promoted to primary';
    if (runId !== undefined) {
      next.trustedRunId = runId;
      next.lastRunId = runId;
    }
  }
  return next;
}

/**
 * After a step other than a promotion. `error` undefined: redis confirmed it.
 * A failed role step is remembered (fenced, unhealthy) until that step
 * succeeds or the plan no longer asks for anything (see settled).
 */
export function knowledgeAfterAction(k: Knowledge, a: ControlAction, error?: string): Knowledge {
  if (error !== undefined) {
    if (a.kind === 'kill-clients') return { ...k, killClients: undefined }; // best effort: clients re-resolve anyway on errors
    if (ROLE_ACTIONS.has(a.kind)) return { ...k, failure: { action: a.kind, error } };
    return k;
  }
  const next: Knowledge = { ...k };
  if (k.failure?.action === a.kind) next.failure = undefined;
  switch (a.kind) {
    case 'set-replication-auth':
      next.authFor = a.key;
      break;
    case 'replicate':
      if (a.demoting) next.killClients = `demoted, following ${a.id}`;
      break;
    case 'detach':
      if (a.demoting) next.killClients = 'demoted';
      break;
    case 'set-min-replicas':
      next.minReplicas = a.n;
      break;
    case 'kill-clients':
      next.killClients = undefined;
      break;
    default:
      break;
  }
  return next;
}

/** The plan asks for nothing: redis matches what is wanted, so no failed step is still owed. */
export function settled(k: Knowledge): Knowledge {
  return k.failure === undefined ? k : { ...k, failure: undefined };
}
