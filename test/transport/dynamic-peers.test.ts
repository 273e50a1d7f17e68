// setPeers / setAcceptIds on real loopback sockets: members join, leave and
// move while the transport runs (protocol.md §5.12 makes the member list
// replicated state; the transport follows it).
import { describe, expect, it } from 'vitest';
import { freePort } from '../../lab/proc/ports.js';
import { HOST, fullyConnected, hb, makeNode, mesh, rawHandshake, waitFor, type Node } from './harness.js';

describe('setPeers', () => {
  it('dials a new id, and the new node is accepted once it is a peer', async () => {
    const { ports, nodes } = await mesh(['n1', 'n2']);
    const [n1, n2] = nodes as [Node, Node];
    await fullyConnected(nodes);
    ports.n3 = await freePort();
    const n3 = makeNode('n3', ports);
    await n3.t.start();
    // n1 and n2 do not know n3 yet: its dials are refused.
    await waitFor(() => n1.authFailed.some((f) => f.code === 'unknown-id' && f.claimedId === 'n3'), 'n3 refused by n1');
    await n1.t.setPeers([{ id: 'n2', host: HOST, port: ports.n2! }, { id: 'n3', host: HOST, port: ports.n3! }]);
    await n2.t.setPeers([{ id: 'n1', host: HOST, port: ports.n1! }, { id: 'n3', host: HOST, port: ports.n3! }]);
    await fullyConnected([n1, n2, n3]);
    expect(n1.t.broadcast(hb(2, 'n1'))).toBe(2);
    await waitFor(() => n3.messages.some((m) => m.from === 'n1'), 'n3 hears n1');
    expect(Object.keys(n1.t.stats()).sort()).toEqual(['n2', 'n3']);
  });

  it('stops the dialer of a removed id (peer-down) and closes its inbound connection', async () => {
    const { ports, nodes } = await mesh(['n1', 'n2', 'n3']);
    const [n1, , n3] = nodes as [Node, Node, Node];
    await fullyConnected(nodes);
    await n1.t.setPeers([{ id: 'n2', host: HOST, port: ports.n2! }]);
    expect(n1.downs).toEqual([{ id: 'n3', reason: 'removed from the members' }]);
    expect(n1.t.isConnected('n3')).toBe(false);
    expect(n1.t.send('n3', hb(1))).toBe(false);
    expect(Object.keys(n1.t.stats())).toEqual(['n2']);
    // n3's connection into n1 was closed, and its redials are refused as unknown.
    await waitFor(() => !n3.t.isConnected('n1') && n3.authFailed.some((f) => f.peerId === 'n1'), 'n3 locked out of n1');
    await waitFor(() => n1.authFailed.some((f) => f.code === 'unknown-id' && f.claimedId === 'n3'), 'n1 refuses n3');
    expect(n1.t.isConnected('n2')).toBe(true);
  });

  it('redials an id whose address changed', async () => {
    const { ports, nodes } = await mesh(['n1', 'n2']);
    const [n1, n2] = nodes as [Node, Node];
    await fullyConnected(nodes);
    await n2.t.stop();
    const moved = makeNode('n2', { ...ports, n2: await freePort() });
    await moved.t.start();
    await n1.t.setPeers([{ id: 'n2', host: HOST, port: moved.port }]);
    await waitFor(() => n1.t.isConnected('n2'), 'n1 dials n2 at its new port');
    expect(n1.t.send('n2', hb(5, 'n1'))).toBe(true);
    await waitFor(() => moved.messages.length === 1, 'n2 at its new address hears n1');
    expect(n1.downs.map((d) => d.id)).toEqual(['n2']);
  });

  it('an unchanged list changes nothing; a bad list throws and changes nothing', async () => {
    const { ports, nodes } = await mesh(['n1', 'n2']);
    const [n1] = nodes as [Node, Node];
    await fullyConnected(nodes);
    await n1.t.setPeers([{ id: 'n2', host: HOST, port: ports.n2! }]);
    expect(n1.downs).toEqual([]);
    expect(() => n1.t.setPeers([{ id: 'n1', host: HOST, port: 1 }])).toThrow(/must not include this node/);
    expect(() => n1.t.setPeers([{ id: 'a b', host: HOST, port: 1 }])).toThrow(/invalid peer id/);
    expect(() => n1.t.setPeers([{ id: 'n2', host: HOST, port: 0 }])).toThrow(/port 1-65535/);
    expect(n1.t.isConnected('n2')).toBe(true);
  });
});

describe('setAcceptIds', () => {
  it('accepts ids wider than the peers (a removed node still hears the last members), and narrowing closes them', async () => {
    const { nodes } = await mesh(['n1'], () => ({}), ['n2', 'n3']);
    const n1 = nodes[0]!;
    // n1 was removed: it dials nobody, but keeps accepting the members of the configuration that removed it.
    await n1.t.setPeers([]);
    await expect(rawHandshake(n1.port, 'n2', 'n1')).rejects.toThrow(/connection closed/);
    expect(n1.authFailed.map((f) => f.code)).toEqual(['unknown-id']);
    n1.t.setAcceptIds(['n2', 'n3', 'n1']);
    const raw = await rawHandshake(n1.port, 'n2', 'n1');
    raw.send(hb(9, 'n2'));
    await waitFor(() => n1.messages.length === 1, 'n1 hears n2');
    expect(n1.messages[0]!.from).toBe('n2');
    n1.t.setAcceptIds(['n3']);
    await raw.waitClosed();
    expect(() => n1.t.setAcceptIds(['a b'])).toThrow(/invalid node id/);
  });
});
