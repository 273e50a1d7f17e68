/**
 * Real processes: a member floods a replica's sidecar with 5,000 OFFERs it
 * must refuse (#17: that wrote 5,000 INFO lines in 5 s). The replica still
 * refuses every one, and its log holds one full line and one summary line
 * for the run, counting all 5,000, read back by their `event` fields.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { encodeMessage, MessageDecoder, type Message } from '../../src/protocol/index.js';
import { REFUSAL_WINDOW_MS } from '../../src/sidecar/event-log.js';
import { parseHumanLine } from '../../src/sidecar/logger.js';
import { computeProof, newNonce } from '../../src/transport/handshake-crypto.js';
import { cleanupClusters, startCluster, watchFailures, type Cluster, type ClusterNode } from '../support/cluster.js';

afterAll(cleanupClusters);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** An authenticated peer connection to `target`, as member `claimId`; every frame it receives is decoded into `received`. */
async function dialAs(target: ClusterNode, claimId: string, secret: Buffer) {
  const socket = connect({ host: '127.0.0.1', port: target.sidecarPort });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MessageDecoder();
  const received: Message[] = [];
  socket.on('data', (d: Buffer) => received.push(...decoder.push(d)));
  const nonce = newNonce();
  socket.write(encodeMessage({ type: 'PEER', version: 1, nodeId: claimId, nonce }));
  await vi.waitFor(() => expect(received.length, `${target.id}'s CHALLENGE`).toBeGreaterThan(0), { timeout: 5000, interval: 5 });
  const challenge = received.shift()!;
  if (challenge.type !== 'CHALLENGE') throw new Error(`expected CHALLENGE, got ${challenge.type}`);
  const proof = computeProof(secret, 'dialer', { dialerId: claimId, listenerId: target.id, dialerNonce: nonce, listenerNonce: challenge.nonce });
  socket.write(encodeMessage({ type: 'PROOF', proof }));
  return { socket, received };
}

describe('resp-elect run: a flood of refused OFFERs', { timeout: 120_000 }, () => {
  it('5,000 refused OFFERs log two vote lines that count all of them', async () => {
    const c = await startCluster({ nodes: 3, downAfterMs: 1000 });
    cluster = c;
    watchFailures(c);
    const primary = await c.waitForPrimary();
    const [target, gone] = c.nodes.filter((n) => n !== primary) as [ClusterNode, ClusterNode];
    // The flooder speaks as a member whose own sidecar is down, so no real connection displaces it.
    await gone.killSidecar();
    const raw = readFileSync(c.secretFile);
    const secret = raw.subarray(0, raw.length - (raw.at(-1) === 0x0a ? 1 : 0));
    const mark = target.logOffset();
    const peer = await dialAs(target, gone.id, secret);
    try {
      const offer = encodeMessage({ type: 'OFFER', epoch: 0, candidateId: gone.id, replOffset: 0 });
      peer.socket.write(Buffer.concat(Array.from({ length: 5000 }, () => offer)));
      // The sidecar answers each with a REFUSE on some link to the "candidate"; we only count its log.
      const voteLines = () =>
        target
          .logs(mark)
          .split('\n')
          .filter((l) => l.includes(' event=vote'))
          .map((l) => parseHumanLine(l)!);
      // A full line stands for one refusal, a summary for its `repeats`.
      const counted = () => voteLines().reduce((n, l) => n + (typeof l.fields['repeats'] === 'number' ? l.fields['repeats'] : 1), 0);
      await vi.waitFor(() => expect(counted(), `${target.id} to log all 5,000 refusals`).toBeGreaterThanOrEqual(5000), { timeout: REFUSAL_WINDOW_MS + 20_000, interval: 50 });
      const [first, ...summaries] = voteLines();
      expect(first).toMatchObject({ msg: `vote refused to ${gone.id} for epoch 0`, fields: { event: 'vote', candidate: gone.id, granted: false, reason: 'stale-epoch' } });
      expect(first!.fields).not.toHaveProperty('repeats');
      // Normally one summary (all 5,000 land in one window); a stalled machine may spread them over two.
      expect(summaries.length).toBeGreaterThanOrEqual(1);
      expect(summaries.length).toBeLessThanOrEqual(3);
      for (const s of summaries) {
        expect(s.msg).toMatch(new RegExp(`^… and [\\d,]+ more vote refusals to ${gone.id} in the last \\d+ s$`));
        expect(s.fields).toMatchObject({ event: 'vote', candidate: gone.id, granted: false, reason: 'stale-epoch', repeats: expect.any(Number) });
      }
      expect(counted(), voteLines().map((l) => `${l.msg} ${JSON.stringify(l.fields)}`).join('\n')).toBe(5000);
      // And the cluster did not notice.
      expect(await c.primary()).toBe(primary);
    } finally {
      peer.socket.destroy();
    }
  });
});
