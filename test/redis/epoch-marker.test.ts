/** The epoch marker against real redis-server processes: written on the primary, read through replication. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { epochLibrary, parseEpochMarker } from '../../src/redis/epoch-marker.js';
import { LocalRedis } from '../../src/redis/local-redis.js';
import { cleanupAll, startRedis } from '../../lab/proc/redis-process.js';
import { waitFor } from '../../lab/util/wait.js';

const adapters: LocalRedis[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.close()));
  await cleanupAll();
});
afterAll(cleanupAll);

describe('epoch marker', () => {
  it('an empty redis reads as data epoch 0', async () => {
    const r = await startRedis();
    const a = new LocalRedis({ port: r.port });
    adapters.push(a);
    expect((await a.poll()).dataEpoch).toBe(0);
  });

  it('the primary writes it, FLUSHALL keeps it, replicas read it after they sync, and a newer one replaces it', async () => {
    const p = await startRedis();
    const r = await startRedis({ replicaOf: { host: '127.0.0.1', port: p.port } });
    const primary = new LocalRedis({ port: p.port });
    const replica = new LocalRedis({ port: r.port });
    adapters.push(primary, replica);
    await primary.writeEpochMarker(7);
    expect((await primary.poll()).dataEpoch).toBe(7);
    await p.client().flushall();
    expect((await primary.poll()).dataEpoch).toBe(7);
    await waitFor(async () => ((await replica.poll()).dataEpoch === 7 ? true : undefined), { what: 'replica to read epoch 7' });
    await primary.writeEpochMarker(9);
    await waitFor(async () => ((await replica.poll()).dataEpoch === 9 ? true : undefined), { what: 'replica to read epoch 9' });
  });

  it('reads while writes are paused (CLIENT PAUSE WRITE): a fenced node still knows its data epoch', async () => {
    const p = await startRedis();
    const a = new LocalRedis({ port: p.port });
    adapters.push(a);
    await a.writeEpochMarker(3);
    await a.fence(2000);
    const started = Date.now();
    expect((await a.poll()).dataEpoch).toBe(3);
    expect(Date.now() - started).toBeLessThan(1000);
    await a.unfence();
  });

  it('parses replies and rejects bad epochs', () => {
    expect(parseEpochMarker(5)).toBe(5);
    expect(parseEpochMarker('12')).toBe(12);
    expect(parseEpochMarker(null)).toBe(0);
    expect(() => epochLibrary(-1)).toThrow(RangeError);
    expect(epochLibrary(4)).toContain('return 4');
  });
});
