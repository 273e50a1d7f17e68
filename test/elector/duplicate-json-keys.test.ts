import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateJsonKey } from '../../src/elector/duplicate-json-keys.js';

describe('findDuplicateJsonKey', () => {
  it('finds none in anything JSON.stringify writes, however indented', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 0, 2, '\t', ' \n '), (value, indent) => {
        expect(findDuplicateJsonKey(JSON.stringify(value, null, indent))).toBeUndefined();
      }),
    );
  });

  it('finds a key repeated in any one object, at any depth, under any spelling', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), fc.jsonValue(), fc.nat(3), (obj, pick, dupValue, depth) => {
        const keys = Object.keys(obj);
        const key = keys[pick % keys.length]!;
        // Append the key again, escaped as \uXXXX so only a decoded comparison sees it.
        const escaped = `"${key.split('').map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
        // JSON.stringify never yields an empty object for minKeys 1: the last `}` closes it.
        let text = JSON.stringify(obj);
        text = `${text.slice(0, -1)},${escaped}:${JSON.stringify(dupValue)}}`;
        for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `[1,${text}]` : `{"wrap":${text}}`;
        expect(JSON.parse(text)).toBeDefined(); // still valid JSON
        expect(findDuplicateJsonKey(text)).toBe(key);
      }),
    );
  });

  it('does not count keys of sibling or nested objects', () => {
    expect(findDuplicateJsonKey('[{"a":1},{"a":2}]')).toBeUndefined();
    expect(findDuplicateJsonKey('{"a":{"a":{"a":1}},"b":[{"a":2}]}')).toBeUndefined();
    expect(findDuplicateJsonKey('{"a":{"b":1},"a":2}')).toBe('a');
    expect(findDuplicateJsonKey('{"s":"\\"a\\":","a":1,"t":"a"}')).toBeUndefined();
  });
});
