/** The chaos suite's fault filter (`--faults`): the membership group, and which deployment can take what. */
import { describe, expect, it } from 'vitest';
import { parseFaults, supports } from '../../lab/bench/chaos.js';

describe('chaos --faults', () => {
  it('membership is the member-change fault, beside the other groups', () => {
    expect(parseFaults('membership')).toEqual(['member-change']);
    expect(parseFaults('member-change,kill-ctl')).toEqual(['member-change', 'kill-ctl']);
    expect(parseFaults('process,membership')).toContain('member-change');
    expect(() => parseFaults('members')).toThrow(/unknown fault "members" \(known: process, partition, membership, /);
  });

  it('member-change is resp-elect only: Sentinel never draws it; partitions need a lab', () => {
    expect(supports({ kind: 'resp-elect' }, 'member-change')).toBe(true);
    expect(supports({ kind: 'sentinel' }, 'member-change')).toBe(false);
    expect(supports({ kind: 'sentinel' }, 'kill-ctl')).toBe(true);
    expect(supports({ kind: 'resp-elect' }, 'ring')).toBe(false);
    expect(supports({ kind: 'sentinel', partitions: {} }, 'ring')).toBe(true);
  });
});
