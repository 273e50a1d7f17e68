/**
 * `host:port` addresses as carried by ANNOUNCE. One parser for the codec and
 * for config loading, so a peer never receives an address this node would
 * itself refuse.
 *
 * Rules: printable ASCII without spaces (0x21..0x7E); host non-empty; port
 * decimal 1..65535 without leading zeros; an IPv6 host is written in
 * brackets (`[::1]:6379`) and only an IPv6 host (one that contains ':') may
 * be, so formatAddress(parseAddress(s)) === s for every valid s.
 */
import { ProtocolError, showValue } from './errors.js';

export interface HostPort {
  /** Host name or IP, without brackets. */
  host: string;
  port: number;
}

/** Longest DNS name (253) plus brackets, colon and 5 port digits, rounded up. */
export const MAX_ADDRESS_BYTES = 270;

/** Returns the parsed address, or a description of what is wrong with it. */
export function checkAddress(s: string): HostPort | string {
  const len = s.length;
  if (len === 0) return 'empty address';
  if (len > MAX_ADDRESS_BYTES) return `longer than ${MAX_ADDRESS_BYTES} bytes`;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return 'not printable ASCII without spaces';
  }
  let host: string;
  let portText: string;
  if (s.charCodeAt(0) === 0x5b /* [ */) {
    const close = s.indexOf(']');
    if (close < 0) return 'missing "]" after IPv6 host';
    host = s.slice(1, close);
    if (s.charCodeAt(close + 1) !== 0x3a /* : */) return 'missing ":port" after "]"';
    portText = s.slice(close + 2);
    if (!host.includes(':')) return 'brackets are only for IPv6 hosts';
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) return 'missing ":port"';
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) return 'IPv6 host must be in brackets';
  }
  if (host.length === 0) return 'empty host';
  if (host.includes('[') || host.includes(']')) return 'stray bracket in host';
  const port = parsePort(portText);
  if (port < 0) return 'port not a decimal integer 1-65535';
  return { host, port };
}

function parsePort(s: string): number {
  const len = s.length;
  if (len === 0 || len > 5 || s.charCodeAt(0) === 0x30) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n >= 1 && n <= 65535 ? n : -1;
}

/** Parses `host:port` or `[v6]:port`; throws ProtocolError('bad-address'). */
export function parseAddress(s: string): HostPort {
  const r = typeof s === 'string' ? checkAddress(s) : 'not a string';
  if (typeof r === 'string') {
    throw new ProtocolError('bad-address', `address: ${r}: ${showValue(String(s))}`);
  }
  return r;
}

/** Inverse of parseAddress; brackets an IPv6 host. Throws ProtocolError('bad-address'). */
export function formatAddress(addr: HostPort): string {
  const { host, port } = addr;
  const s = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const r = checkAddress(s);
  if (typeof r === 'string' || r.host !== host || r.port !== port) {
    throw new ProtocolError(
      'bad-address',
      `address: ${typeof r === 'string' ? r : 'does not round-trip'}: ${showValue(s)}`,
    );
  }
  return s;
}
