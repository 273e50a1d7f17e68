import { describe, expect, it } from 'vitest';
import { LogLimiter } from '../../src/util/log-limiter.js';

describe('LogLimiter', () => {
  it('one line per key per interval, then the count of those left out', () => {
    let now = 0;
    const l = new LogLimiter(1000, () => now);
    expect(l.allow('a')).toBe(0);
    expect(l.allow('a')).toBeUndefined();
    expect(l.allow('a')).toBeUndefined();
    expect(l.allow('b')).toBe(0); // keys are independent
    now = 999;
    expect(l.allow('a')).toBeUndefined();
    now = 1000;
    expect(l.allow('a')).toBe(3);
    expect(l.allow('a')).toBeUndefined();
  });

  it('attacker-chosen keys beyond maxKeys share one limit', () => {
    let now = 0;
    const l = new LogLimiter(1000, () => now, 2);
    expect(l.allow('k1')).toBe(0);
    expect(l.allow('k2')).toBe(0);
    expect(l.allow('k3')).toBe(0); // the first of the overflow
    expect(l.allow('k4')).toBeUndefined();
    expect(l.allow('k5')).toBeUndefined();
    now = 1000;
    expect(l.allow('k6')).toBe(2);
    expect(l.allow('k1')).toBe(0);
  });
});
