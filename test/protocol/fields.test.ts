/** Helpers exported for other modules: addresses and node ids. */
import { describe, expect, it } from 'vitest';
import { formatAddress, isValidNodeId, parseAddress, ProtocolError, REFUSE_REASONS, ROLES } from '../../src/index.js';

describe('parseAddress / formatAddress', () => {
  const valid: [string, string, number][] = [
    ['127.0.0.1:6379', '127.0.0.1', 6379],
    ['redis-a-0.redis.svc.cluster.local:6380', 'redis-a-0.redis.svc.cluster.local', 6380],
    ['h:1', 'h', 1],
    ['h:65535', 'h', 65535],
    ['[::1]:6379', '::1', 6379],
    ['[fe80::1%eth0]:7000', 'fe80::1%eth0', 7000],
    ['[2001:db8::8a2e:370:7334]:26379', '2001:db8::8a2e:370:7334', 26379],
  ];

  it.each(valid)('parses %s', (text, host, port) => {
    expect(parseAddress(text)).toEqual({ host, port });
    expect(formatAddress({ host, port })).toBe(text);
  });

  const invalid = [
    '',
    'host',
    'host:',
    ':6379',
    'host:0',
    'host:65536',
    'host:06379',
    'host:+1',
    'host:1e3',
    'host: 1',
    'my host:1',
    '::1:6379',
    '[::1]6379',
    '[::1]:',
    '[::1',
    '[]:1',
    '[localhost]:6379',
    'a]b:1',
    'h\u00e9:1',
    'x'.repeat(300) + ':1',
  ];

  it.each(invalid)('refuses %j', (text) => {
    expect(() => parseAddress(text)).toThrow(ProtocolError);
    try {
      parseAddress(text);
    } catch (err) {
      expect((err as ProtocolError).code).toBe('bad-address');
    }
  });

  it('formatAddress refuses what parseAddress would refuse', () => {
    for (const bad of [
      { host: '', port: 1 },
      { host: 'h', port: 0 },
      { host: 'h', port: 1.5 },
      { host: 'a b', port: 1 },
      { host: '[::1]', port: 1 },
    ]) {
      expect(() => formatAddress(bad)).toThrow(ProtocolError);
    }
  });
});

describe('isValidNodeId', () => {
  it('accepts 1-64 printable ASCII characters without space', () => {
    expect(isValidNodeId('n')).toBe(true);
    expect(isValidNodeId('redis-a-0')).toBe(true);
    expect(isValidNodeId('!~'.repeat(32))).toBe(true);
  });

  it('refuses everything else', () => {
    for (const bad of ['', ' ', 'a b', 'x'.repeat(65), 'tab\t', 'é', 'n\x7f', 'n\n']) {
      expect(isValidNodeId(bad)).toBe(false);
    }
    expect(isValidNodeId(42)).toBe(false);
    expect(isValidNodeId(undefined)).toBe(false);
  });
});

describe('re-exported constants', () => {
  it('ROLES and REFUSE_REASONS come from messages.ts', () => {
    expect(ROLES).toEqual(['primary', 'replica', 'candidate']);
    expect(REFUSE_REASONS).toContain('primary-alive');
    expect(REFUSE_REASONS).toHaveLength(10);
    expect(REFUSE_REASONS).toContain('stale-config');
  });
});
