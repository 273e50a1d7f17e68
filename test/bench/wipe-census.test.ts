import { describe, expect, it } from 'vitest';
import { beyondModelAfterWipe, beyondModelDuringChange } from '../../lab/bench/wipe-census.js';
import { copiesNeeded } from '../../src/elector/membership.js';

describe('chaos data-loss fault model', () => {
  it('a write must stay on n - majority + 1 other nodes', () => {
    expect(copiesNeeded(3)).toBe(2);
    expect(copiesNeeded(5)).toBe(3);
    expect(copiesNeeded(7)).toBe(4);
  });

  it('5 nodes: a write left on two other nodes is beyond the model, on three it is not', () => {
    const on = (...keys: string[]) => new Set(keys);
    // n2 wiped; a on n3, n4 only (n1, n5 never had it); b on n1, n3, n4; c on n3 and on a dead n4.
    const others = [on('b'), on('a', 'b', 'c'), on('a', 'b'), on('b')];
    expect(beyondModelAfterWipe(['a', 'b', 'c'], others, 5)).toEqual(['a', 'c']);
    expect(beyondModelAfterWipe(['a', 'b', 'c'], [on('b'), on('a', 'b', 'c'), 'dead', on('b')], 5)).toEqual(['a', 'c']);
  });

  it('a node that cannot answer counts as holding every key, so it only ever excuses less', () => {
    const others = [new Set<string>(), new Set(['a']), 'unknown' as const, new Set(['a'])];
    expect(beyondModelAfterWipe(['a', 'x'], others, 5)).toEqual(['x']);
  });

  it('refuses a census that is not of every other member', () => {
    expect(() => beyondModelAfterWipe(['a'], [new Set(['a'])], 5)).toThrow(/every member but the wiped one/);
  });
});

describe('census during a membership change', () => {
  const on = (...keys: string[]) => new Set(keys);
  // 5 nodes, n2 wiped; n1, n3, n4 surely voters; n5 mid-change (maybe a voter, maybe not).
  // a: n3 n4 n5 | b: n3 n5 | c: n3 n4 | d: n5 only.
  const voters = [on(), on('a', 'b', 'c'), on('a', 'c')];
  const changing = [on('a', 'b', 'd')];

  it('excuses only what both views excuse: with n5 a voter (3 of 4 others needed) and without (2 of 3)', () => {
    // c: 2 copies, too few among 5 voters, enough among 4: not excused.
    expect(beyondModelDuringChange(['a', 'b', 'c', 'd'], voters, changing)).toEqual(['b', 'd']);
  });

  it('with no node changing it is the plain census', () => {
    expect(beyondModelDuringChange(['a', 'b', 'c', 'd'], [...voters, on('a', 'b', 'd')], [])).toEqual(beyondModelAfterWipe(['a', 'b', 'c', 'd'], [...voters, on('a', 'b', 'd')], 5));
  });
});
