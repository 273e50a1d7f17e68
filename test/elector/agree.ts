/**
 * For tests that script single messages to one Elector: the state a node
 * reaches after its first CONFVER exchange (protocol.md §5.12), so the
 * configuration rules (config-agreement, config-order) see a cluster whose
 * members all hold the same configuration. Tests of those rules build the
 * other states themselves.
 */
import { bornConfig, MemoryConfigStore, type Elector, type MemberSpec, type Message } from '../../src/index.js';

/** A config store already holding the born configuration of `members`: an agreed member list. */
export function agreedStore(members: readonly MemberSpec[]): MemoryConfigStore {
  return new MemoryConfigStore(bornConfig(members));
}

/** The CONFVER `from` would send if it held `e`'s configuration. */
export function confverLike(e: Elector, from: string, dataEpoch = 0): Message {
  const c = e.configSnapshot();
  return { type: 'CONFVER', nodeId: from, version: c.version, configEpoch: c.epoch, digest: c.digest, dataEpoch };
}

/** Every other member reports holding `e`'s configuration (no clock starts: configuration messages carry no time). */
export function knowPeers(e: Elector, nowMs = 0): Elector {
  for (const m of e.configSnapshot().members) if (m.id !== e.nodeId) e.onMessage(m.id, confverLike(e, m.id), nowMs);
  return e;
}
