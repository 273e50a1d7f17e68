import { describe, expect, it } from 'vitest';
import { ConfigError, Elector, MemoryVoteStore, quorumSize, resolveConfig } from '../../src/index.js';

describe('election timings', () => {
  it('defaults are the documented ones', () => {
    expect(resolveConfig()).toMatchObject({ hbIntervalMs: 200, downAfterMs: 1000, leaseMs: 600, maxDriftMs: 100 });
  });

  it('unset timings are derived from downAfterMs and stay safe', () => {
    for (const down of [50, 200, 300, 1000, 5000, 30_000]) {
      const c = resolveConfig({ downAfterMs: down });
      expect(c.leaseMs + c.hbIntervalMs + c.maxDriftMs).toBeLessThan(c.downAfterMs);
    }
  });

  it.each([
    [{ leaseMs: 900 }, 'leaseMs', /two nodes could hold a lease/],
    [{ hbIntervalMs: 600 }, 'hbIntervalMs', /at most half of downAfterMs/],
    [{ leaseMs: 100, hbIntervalMs: 100 }, 'leaseMs', /two heartbeat intervals/],
    [{ downAfterMs: 0 }, 'downAfterMs', /greater than 0/],
    [{ leaseMs: -5 }, 'leaseMs', /non-negative integer/],
    [{ leaseMs: 1.5 }, 'leaseMs', /non-negative integer/],
    [{ leaseMS: 100 } as never, 'leaseMS', /unknown timing option/],
  ])('rejects %j naming %s', (input, option, message) => {
    let err: unknown;
    try {
      resolveConfig(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe(option);
    expect((err as Error).message).toMatch(message);
  });

  it('rejects bad membership with the reason', () => {
    const mk = (members: { id: string; witness?: boolean; priority?: number }[], nodeId = 'n1') =>
      () => new Elector({ nodeId, members, advertisedAddr: 'a:1', voteStore: new MemoryVoteStore(), random: Math.random });
    expect(mk([{ id: 'n1' }, { id: 'n1' }])).toThrow(/listed twice/);
    expect(mk([{ id: 'n2' }])).toThrow(/not in the membership/);
    expect(mk([{ id: 'n1', witness: true }])).toThrow(/no member can ever stand/);
    expect(mk([{ id: 'n1', priority: -1 }])).toThrow(/priority/);
  });

  it('quorum is a strict majority of all voting members, witnesses included', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });
});
