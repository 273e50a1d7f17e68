/**
 * Password checks for the client port, in constant time: both sides are
 * hashed first, so neither the content nor the length of the configured
 * password leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (b: Buffer) => createHash('sha256').update(b).digest();

export function passwordMatches(given: Buffer, expected: string): boolean {
  const a = digest(given);
  const b = digest(Buffer.from(expected, 'utf8'));
  return timingSafeEqual(a, b);
}

export type AuthResult = 'ok' | 'wrongpass' | 'no-password-configured';

/**
 * AUTH semantics of a redis whose only user is `default`: with no password
 * configured, `AUTH <password>` is an error and `AUTH default <anything>`
 * succeeds; with one, the password must match and the user be `default`.
 */
export function checkAuth(password: string | undefined, user: string | undefined, given: Buffer): AuthResult {
  if (password === undefined || password === '') {
    if (user === undefined) return 'no-password-configured';
    return user === 'default' ? 'ok' : 'wrongpass';
  }
  const match = passwordMatches(given, password);
  return match && (user === undefined || user === 'default') ? 'ok' : 'wrongpass';
}

export const AUTH_ERRORS = {
  wrongpass: 'WRONGPASS invalid username-password pair or user is disabled.',
  'no-password-configured':
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  noauth: 'NOAUTH Authentication required.',
  helloNoauth:
    'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
} as const;
