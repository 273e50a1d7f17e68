/**
 * When `member add|remove` is done (src/sidecar/member-change-done.ts): on a
 * configuration committed at the version made or a later one that still has
 * the change — the case of a primary that lost an election and won it back,
 * each new primary restamping (found by the chaos suite's member-change
 * nemesis) — and not on a later version that lost the change.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigSnapshot } from '../../src/elector/elector.js';
import { changeCommitted, changeIn } from '../../src/sidecar/member-change-done.js';

function snap(version: number, ids: string[], committed: boolean | null): ConfigSnapshot {
  return {
    version,
    epoch: version,
    digest: 'd'.repeat(64),
    members: ids.map((id) => ({ id, kind: 'voter' as const, priority: 1 })),
    voters: ids,
    learners: [],
    quorum: Math.floor(ids.length / 2) + 1,
    agreed: true,
    removed: false,
    committed,
    conflict: null,
  };
}

const removeN2 = { kind: 'remove' as const, id: 'n2' };
const addN4 = { kind: 'add' as const, spec: 'n4=127.0.0.1:26382,redis=127.0.0.1:6382' };

describe('changeCommitted', () => {
  it('the version made, once committed', () => {
    expect(changeCommitted(snap(33, ['n1', 'n3', 'n4'], false), 33, removeN2)).toBe(false);
    expect(changeCommitted(snap(33, ['n1', 'n3', 'n4'], true), 33, removeN2)).toBe(true);
  });

  it('a later version committed with the change made: two restamps after two elections', () => {
    expect(changeCommitted(snap(35, ['n1', 'n3', 'n4'], true), 33, removeN2)).toBe(true);
    expect(changeCommitted(snap(35, ['n1', 'n2', 'n3', 'n4'], true), 33, addN4)).toBe(true);
  });

  it('not a later version that lost the change, not an older one, and not where the commit is unknown (not the primary)', () => {
    expect(changeCommitted(snap(34, ['n1', 'n2', 'n3', 'n4'], true), 33, removeN2)).toBe(false);
    expect(changeCommitted(snap(32, ['n1', 'n3', 'n4'], true), 33, removeN2)).toBe(false);
    expect(changeCommitted(snap(35, ['n1', 'n3', 'n4'], null), 33, removeN2)).toBe(false);
  });

  it('changeIn: the added member is in, the removed one out', () => {
    expect(changeIn(snap(2, ['n1', 'n4'], null), addN4)).toBe(true);
    expect(changeIn(snap(2, ['n1'], null), addN4)).toBe(false);
    expect(changeIn(snap(2, ['n1', 'n2'], null), removeN2)).toBe(false);
  });
});
