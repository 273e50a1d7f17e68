#!/usr/bin/env node
/**
 * A hostile load generator for the hardening tests, run as its own process so
 * its CPU use does not slow the test's monitor (which must see every moment
 * two redis-servers take writes). Loopback only; stops by itself.
 *
 *   node flood-client.mjs http <host> <port> <connections> <seconds>
 *     keep-alive connections, each looping `GET /metrics` as fast as the
 *     server answers (one request in flight per connection), reconnecting when closed.
 *   node flood-client.mjs auth <host> <port> <connections> <seconds> [perBurst]
 *     connections each pipelining `perBurst` (default 2000) `AUTH guess`, then
 *     the next burst once all replies arrived; reconnecting when closed.
 *   node flood-client.mjs hold <host> <port> <connections> <seconds>
 *     reconnecting connections that send `PING` once and then hold their descriptor.
 *
 * Prints one JSON line at the end: requests answered, connections opened,
 * connections refused or closed by the server, errors by code.
 */
import net from 'node:net';

const [mode, host, portText, connText, secondsText, burstText] = process.argv.slice(2);
const port = Number(portText);
const connections = Number(connText);
const deadline = Date.now() + Number(secondsText) * 1000;
const perBurst = Number(burstText ?? 2000);
if (!['http', 'auth', 'hold'].includes(mode) || !(port > 0) || !(connections > 0)) {
  process.stderr.write('usage: flood-client.mjs http|auth|hold host port connections seconds [perBurst]\n');
  process.exit(2);
}
if (!/^127\./.test(host)) {
  process.stderr.write('flood-client: loopback addresses only\n');
  process.exit(2);
}

const stats = { mode, answered: 0, opened: 0, closedByServer: 0, errors: {} };
const HTTP_REQUEST = Buffer.from(`GET /metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`);
const AUTH_BURST = Buffer.from('AUTH guess\r\n'.repeat(perBurst));
const live = new Set();

function open() {
  if (Date.now() >= deadline) return;
  const socket = net.connect({ host, port });
  live.add(socket);
  let pending = Buffer.alloc(0);
  let expect = 0;
  socket.on('connect', () => {
    stats.opened++;
    if (mode === 'http') socket.write(HTTP_REQUEST);
    else if (mode === 'auth') {
      expect = perBurst;
      socket.write(AUTH_BURST);
    } else socket.write('PING\r\n');
  });
  socket.on('data', (chunk) => {
    if (mode === 'hold') return;
    if (mode === 'auth') {
      // Every reply is one line: count line ends.
      for (const b of chunk) if (b === 0x0a) expect--;
      if (expect <= 0 && Date.now() < deadline) {
        stats.answered += perBurst;
        expect = perBurst;
        socket.write(AUTH_BURST);
      }
      return;
    }
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const m = /content-length:\s*(\d+)/i.exec(pending.subarray(0, headEnd).toString('latin1'));
      const total = headEnd + 4 + (m ? Number(m[1]) : 0);
      if (pending.length < total) return;
      pending = pending.subarray(total);
      stats.answered++;
      if (Date.now() < deadline) socket.write(HTTP_REQUEST);
      else socket.end();
    }
  });
  socket.on('error', (err) => {
    const code = err.code ?? 'other';
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  });
  socket.on('close', () => {
    live.delete(socket);
    if (Date.now() < deadline) {
      stats.closedByServer++;
      // Reconnect at once, as an attacker would; a short delay keeps a refused flood from spinning.
      setTimeout(open, 5);
    }
  });
}

for (let i = 0; i < connections; i++) open();
setTimeout(() => {
  for (const s of live) s.destroy();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
}, deadline - Date.now() + 50);
