// Handshake versions on real loopback sockets (protocol.md §4.3): a node at
// version 2 and one at version 1 (maxHandshakeVersion 1 behaves exactly as a
// node from before the configuration verbs) still form a link, and frames the
// older node would close the connection over are dropped, not sent.
import { describe, expect, it } from 'vitest';
import type { ElectionMessage } from '../../src/protocol/index.js';
import { newNonce } from '../../src/transport/handshake-crypto.js';
import { DIGEST, MEMBERS } from '../protocol/examples.js';
import { Raw, fullyConnected, hb, makeNode, mesh, rawHandshake, waitFor } from './harness.js';

const CONFVER: ElectionMessage = { type: 'CONFVER', nodeId: 'new', version: 3, configEpoch: 7, digest: DIGEST, dataEpoch: 7 };
const CONFIG: ElectionMessage = { type: 'CONFIG', nodeId: 'new', version: 3, configEpoch: 7, members: MEMBERS };
const STALE: ElectionMessage = { type: 'REFUSE', epoch: 8, voterId: 'new', voterEpoch: 7, reason: 'stale-config' };
const OTHER_REFUSE: ElectionMessage = { type: 'REFUSE', epoch: 8, voterId: 'new', voterEpoch: 7, reason: 'stale-epoch' };

describe('handshake versions', () => {
  it('a version-2 dialer falls back to 1 after an older listener closes two version-2 handshakes, and drops config frames there', async () => {
    const { nodes } = await mesh(['new', 'old'], (id) => (id === 'old' ? { maxHandshakeVersion: 1 } : {}));
    const [nu, old] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await fullyConnected(nodes);
    // The old listener refused PEER 2 (bad-version) exactly twice before the new dialer tried 1.
    expect(old.authFailed.map((f) => f.code)).toEqual(['bad-version', 'bad-version']);
    expect(nu.authFailed.map((f) => f.code)).toEqual(['closed-during-handshake', 'closed-during-handshake']);
    expect(nu.t.stats().old).toMatchObject({ handshakeVersion: 1, droppedForVersion: 0 });
    // The dialer is up once it sent PROOF; the listener's side of it completes a moment later.
    await waitFor(() => old.t.stats().new!.inboundConnected, 'old to accept new');
    expect(old.t.stats().new).toMatchObject({ handshakeVersion: 1, inboundVersion: 1 });

    for (const m of [CONFVER, CONFIG, STALE]) expect(nu.t.send('old', m)).toBe(false);
    expect(nu.t.broadcast(CONFVER)).toBe(0);
    expect(nu.t.send('old', OTHER_REFUSE)).toBe(true);
    expect(nu.t.send('old', hb(3, 'new'))).toBe(true);
    await waitFor(() => old.messages.length === 2, 'the two frames the old node understands');
    expect(old.messages.map((m) => m.msg.type)).toEqual(['REFUSE', 'HB']);
    expect(nu.t.stats().old).toMatchObject({ droppedForVersion: 4, dropped: 4 });
    // The link survived: an older peer would have closed it on an unknown verb.
    expect(nu.t.isConnected('old') && old.t.stats().new!.inboundConnected).toBe(true);
  });

  it('after a failure on version 1 the dialer tries 2 again: an upgraded peer is spoken to at 2', async () => {
    const { ports, nodes } = await mesh(['new', 'old'], (id) => (id === 'old' ? { maxHandshakeVersion: 1 } : {}));
    const [nu, old] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await fullyConnected(nodes);
    expect(nu.t.stats().old!.handshakeVersion).toBe(1);
    await old.t.stop();
    await waitFor(() => !nu.t.isConnected('old'), 'the link to go down');
    const upgraded = makeNode('old', ports);
    await upgraded.t.start();
    await waitFor(() => nu.t.isConnected('old'), 'the link to the upgraded node');
    expect(nu.t.stats().old!.handshakeVersion).toBe(2);
    expect(upgraded.authFailed).toEqual([]);
    expect(nu.t.send('old', CONFVER)).toBe(true);
    await waitFor(() => upgraded.messages.some((m) => m.msg.type === 'CONFVER'), 'CONFVER on the upgraded link');
  });

  it('a version-1 link is redialed at 2 once the peer is seen speaking 2 on its own connection to us', async () => {
    const { nodes } = await mesh(['new', 'old'], (id) => (id === 'old' ? { maxHandshakeVersion: 1 } : {}));
    const [nu, old] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await fullyConnected(nodes);
    expect(old.authFailed.filter((f) => f.code === 'bad-version')).toHaveLength(2);
    // Stand-in for "old" after an upgrade that kept our link: its connection to us says version 2.
    const raw = await rawHandshake(nu.port, 'old', 'new', undefined, 2);
    await waitFor(() => nu.downs.some((d) => /speaks handshake version 2/.test(d.reason)), 'the link redialed');
    // The real "old" lost its inbound connection to the stand-in, redials at 1 and displaces it.
    await raw.waitClosed();
    // This "old" is really still at 1: it refuses version 2 (at least twice more), and the link settles on 1 again.
    await waitFor(() => old.authFailed.filter((f) => f.code === 'bad-version').length >= 4, 'two more version-2 attempts');
    await waitFor(() => nu.t.isConnected('old') && nu.t.stats().old!.handshakeVersion === 1, 'the link back up at 1');
  });

  it('two version-2 nodes speak 2 and carry the config frames', async () => {
    const { nodes } = await mesh(['a', 'b']);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await fullyConnected(nodes);
    await waitFor(() => a.t.stats().b!.inboundConnected, 'a to accept b');
    expect(a.t.stats().b).toMatchObject({ handshakeVersion: 2, inboundVersion: 2 });
    expect(a.authFailed).toEqual([]);
    for (const m of [CONFVER, CONFIG, STALE]) expect(a.t.send('b', m)).toBe(true);
    await waitFor(() => b.messages.length === 3, 'the config frames');
    expect(b.messages.map((m) => m.msg)).toEqual([CONFVER, CONFIG, STALE]);
    expect(a.t.stats().b!.droppedForVersion).toBe(0);
  });

  it('a version-2 listener accepts a version-1 dialer and records its version', async () => {
    const { nodes } = await mesh(['n1'], () => ({}), ['n2']);
    const n1 = nodes[0]!;
    const raw = await rawHandshake(n1.port, 'n2', 'n1', undefined, 1);
    raw.send(hb(4, 'n2'));
    await waitFor(() => n1.messages.length === 1, 'the HB');
    expect(n1.t.stats().n2).toMatchObject({ inboundConnected: true, inboundVersion: 1 });
  });

  it('a listener at version 1 refuses PEER 2 without a word', async () => {
    const { nodes } = await mesh(['n1'], () => ({ maxHandshakeVersion: 1 }), ['n2']);
    const n1 = nodes[0]!;
    const raw = await new Raw(n1.port).connected();
    raw.send({ type: 'PEER', version: 2, nodeId: 'n2', nonce: newNonce() });
    await raw.waitClosed();
    expect(raw.received).toEqual([]);
    await waitFor(() => n1.authFailed.length === 1, 'auth-failed');
    expect(n1.authFailed[0]!.reason).toMatch(/unsupported handshake version 2 \(this node speaks 1\)/);
  });
});
