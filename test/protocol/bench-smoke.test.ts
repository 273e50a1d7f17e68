/** The codec benchmark still runs and decodes every frame it generates (no timing asserted). */
import { describe, expect, it } from 'vitest';
import { main, parseArgs } from '../../scripts/bench-codec.js';

describe('bench-codec --smoke', () => {
  it('parses its arguments', () => {
    expect(parseArgs(['--smoke'])).toEqual({ frames: 2000, smoke: true });
    expect(parseArgs(['--frames', '123'])).toEqual({ frames: 123, smoke: false });
    expect(() => parseArgs(['--frames', 'x'])).toThrow();
  });

  it('decodes the generated stream completely on both sides', () => {
    const result = main({ ...parseArgs(['--smoke', '--frames', '1500']), print: false });
    expect(result.frames).toBe(1500);
    expect(result.ours.decodedFrames).toBe(1500);
    expect(result.raw.decodedFrames).toBe(1500);
    expect(result.countsMatch).toBe(true);
    expect(result.chunks).toBeGreaterThan(1); // frames straddle chunk boundaries
  });
});
