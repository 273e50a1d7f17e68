/**
 * Real processes: the epoch bound (protocol.md 5.2, issue #17 defect 2). A
 * member holding the secret sends `HB 9007199254740991 …`, the frame that
 * used to be adopted and persisted by every node and leave the cluster unable
 * to ever elect again, and then an HB at MAX_EPOCH, a valid frame no node may
 * adopt. The first is refused by the codec (the connection closes, logged),
 * the second ignored by the Elector; the epoch and the vote files stay put,
 * and a failover afterwards still elects the next epoch.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeMessage, MAX_EPOCH, MessageDecoder, type Message } from '../../src/protocol/index.js';
import { computeProof, newNonce } from '../../src/transport/handshake-crypto.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';
import { waitFor } from '../../lab/util/wait.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** The shared secret as the sidecars read it: the file's bytes without the trailing newline. */
function secretOf(c: Cluster): Buffer {
  const data = readFileSync(c.secretFile);
  return data.subarray(0, data.length - (data.at(-1) === 0x0a ? 1 : 0));
}

/** Dial `target` as member `claimId` with the right secret and send `frames` in the same write as PROOF, as a real peer may. */
async function dialAsMember(target: ClusterNode, claimId: string, secret: Buffer, frames: Buffer): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port: target.sidecarPort });
  let isClosed = false;
  socket.on('close', () => (isClosed = true));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const nonce = newNonce();
  socket.write(encodeMessage({ type: 'PEER', version: 1, nodeId: claimId, nonce }));
  let challenge: Message | undefined;
  await waitFor(() => (challenge = new MessageDecoder().push(Buffer.concat(chunks))[0]) !== undefined, { what: 'CHALLENGE', timeoutMs: 3000, intervalMs: 5 });
  expect(challenge?.type).toBe('CHALLENGE');
  if (challenge?.type !== 'CHALLENGE') throw new Error('no CHALLENGE');
  const proof = computeProof(secret, 'dialer', { dialerId: claimId, listenerId: target.id, dialerNonce: nonce, listenerNonce: challenge.nonce });
  socket.write(Buffer.concat([encodeMessage({ type: 'PROOF', proof }), frames]));
  return { socket, closed: () => isClosed };
}

function storedEpoch(n: ClusterNode): number {
  return (JSON.parse(readFileSync(join(n.dataDir, 'vote.json'), 'utf8')) as { epoch: number }).epoch;
}

describe('resp-elect run: the epoch bound', { timeout: 120_000 }, () => {
  it('an authenticated HB at epoch 2^53-1, then one at MAX_EPOCH, change no epoch, and the cluster still fails over', async () => {
    const c = await startCluster({ nodes: 3, downAfterMs: 1000 });
    cluster = c;
    watchFailures(c);
    const primary = await c.waitForPrimary();
    const epoch = primary.loggedRole()!.epoch;
    const secret = secretOf(c);
    // Every peer link up first, so a member's own redial cannot replace our connection before its frame is read.
    for (const n of c.nodes) {
      for (const o of c.nodes) if (o !== n) await waitFor(() => n.logs().includes(`peer ${o.id} up`), { what: `${n.id} to see ${o.id} up` });
    }
    await new Promise((r) => setTimeout(r, 300));
    const marks = new Map(c.nodes.map((n) => [n.id, n.logOffset()]));

    for (const target of c.nodes) {
      const member = c.nodes.find((n) => n !== target)!.id;
      // The frame of the issue, byte for byte: the encoder would refuse to build it.
      const frame = Buffer.from(`*5\r\n$2\r\nHB\r\n$16\r\n9007199254740991\r\n$${member.length}\r\n${member}\r\n$7\r\nprimary\r\n$1\r\n0\r\n`, 'latin1');
      const wedge = await dialAsMember(target, member, secret, frame);
      await waitFor(wedge.closed, { what: `${target.id} to close the connection on the bad-epoch frame`, timeoutMs: 3000 });
      await waitFor(() => /peer connection rejected .*protocol-error: malformed frame/.test(target.logs(marks.get(target.id))), { what: `${target.id} to log the malformed frame` });

      // A valid frame at MAX_EPOCH: delivered, and ignored by the Elector.
      const high = await dialAsMember(target, member, secret, encodeMessage({ type: 'HB', epoch: MAX_EPOCH, nodeId: member, role: 'primary', replOffset: 0 }));
      await new Promise((r) => setTimeout(r, 200));
      high.socket.destroy();
    }

    await new Promise((r) => setTimeout(r, 2 * c.downAfterMs));
    expect((await c.primary())?.id).toBe(primary.id);
    expect(primary.loggedRole()).toMatchObject({ role: 'primary', epoch });
    for (const n of c.nodes) {
      expect(storedEpoch(n), `${n.id} vote.json`).toBe(epoch);
      expect(n.logs(marks.get(n.id)), `${n.id} log`).not.toMatch(/epoch \d+ -> \d+|role primary -> /);
    }

    // Not wedged: losing the primary elects the next epoch.
    await primary.kill('SIGKILL', 'both');
    const next = await c.waitForPrimary({ not: primary, timeoutMs: 20_000 });
    await waitFor(() => next.loggedRole()?.role === 'primary', { what: `${next.id} to log its new role` });
    expect(next.loggedRole()!.epoch).toBe(epoch + 1);
  });
});
