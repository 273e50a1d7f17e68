/** DataMemory and compareData (src/elector/data-memory.ts): rule data-memory as a table. */
import { describe, expect, it } from 'vitest';
import { compareData, DataMemory } from '../../src/elector/data-memory.js';

const d = (dataEpoch: number, offset: number) => ({ dataEpoch, offset });

describe('compareData', () => {
  const cases: [string, ReturnType<typeof d>, ReturnType<typeof d>, boolean, -1 | 0 | 1][] = [
    ['a later data epoch wins over a longer offset', d(3, 10), d(2, 500), true, 1],
    ['an older data epoch loses whatever its offset', d(2, 500), d(3, 10), true, -1],
    ['same data epoch: the higher offset', d(3, 20), d(3, 10), true, 1],
    ['equal', d(3, 10), d(3, 10), true, 0],
    ['by offset alone (rule data-epoch-order off)', d(2, 500), d(3, 10), false, 1],
  ];
  for (const [why, a, b, byEpoch, sign] of cases) {
    it(why, () => expect(Math.sign(compareData(a, b, byEpoch))).toBe(sign));
  }
});

describe('DataMemory', () => {
  it('follows the data while it only grows, and reports nothing', () => {
    const m = new DataMemory(1000, true);
    expect(m.observe(d(1, 10), 0)).toBeNull();
    expect(m.observe(d(1, 20), 5)).toBeNull();
    expect(m.observe(d(2, 5), 6)).toBeNull(); // a resync from a newer primary raises the data epoch
    expect(m.held).toEqual(d(2, 5));
    expect(m.lost).toBe(false);
  });

  it('a fall is reported once, remembered for memoryMs, then forgotten', () => {
    const m = new DataMemory(1000, true);
    m.observe(d(1, 100), 0);
    expect(m.observe(d(1, 0), 10)).toEqual(d(1, 100));
    expect(m.observe(d(1, 5), 20)).toBeNull(); // still below: not reported again
    expect(m.held).toEqual(d(1, 100));
    expect(m.lost).toBe(true);
    expect(m.judgeBy(d(1, 5), 1009)).toEqual({ held: d(1, 100), lost: true });
    expect(m.expire(d(1, 5), 1009)).toBeNull();
    expect(m.judgeBy(d(1, 5), 1010)).toEqual({ held: d(1, 5), lost: false });
    expect(m.held).toEqual(d(1, 100)); // judgeBy changes nothing
    expect(m.expire(d(1, 5), 1010)).toEqual(d(1, 100));
    expect(m.held).toEqual(d(1, 5));
    expect(m.lost).toBe(false);
  });

  it('data coming back ends the memory at once', () => {
    const m = new DataMemory(1000, true);
    m.observe(d(1, 100), 0);
    m.observe(d(1, 0), 10);
    expect(m.observe(d(1, 100), 20)).toBeNull();
    expect(m.lost).toBe(false);
    expect(m.expire(d(1, 100), 5000)).toBeNull();
  });

  it('memoryMs 0 (or the rule switched off) remembers nothing', () => {
    const m = new DataMemory(0, true);
    m.observe(d(1, 100), 0);
    expect(m.observe(d(1, 0), 10)).toBeNull();
    expect(m.held).toEqual(d(1, 0));
  });

  it('with data-epoch-order off, a lower offset of a newer data epoch counts as a fall', () => {
    const m = new DataMemory(1000, false);
    m.observe(d(1, 100), 0);
    expect(m.observe(d(2, 50), 10)).toEqual(d(1, 100));
  });
});
