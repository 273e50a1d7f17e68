/**
 * Codec throughput: MessageDecoder against raw redis-parser on the same bytes
 * in the same process, so the ratio measures what the frame guard and the
 * field validation cost on top of parsing alone (machine speed cancels out).
 *
 *   npm run bench:codec                 # default 200 000 frames
 *   node dist/scripts/bench-codec.js --frames 50000
 *   node dist/scripts/bench-codec.js --smoke   # tiny run, checks counts only
 *
 * The stream imitates one inbound connection of a busy cluster: mostly HB
 * and LEASE/LEASEACK, some election traffic, and (to exercise every verb) a
 * few handshake frames, cut into 16 KiB chunks (a typical socket read) so
 * frames straddle chunk boundaries as in production. As on a real
 * connection (protocol.md 4.1) the frames come from one peer, so the ids
 * they carry are mostly the sender's own; HANDOFF targets name other nodes.
 * Target: ours >= 60% of raw redis-parser frames/s.
 */
import { pathToFileURL } from 'node:url';
import RedisParser from 'redis-parser';
import { encodeMessage, MessageDecoder, REFUSE_REASONS, ROLES, type Message } from '../src/index.js';
import { mulberry32 as rng } from '../lab/util/mulberry32.js';

export interface BenchOptions {
  frames: number;
  /** Tiny run: 1 warm-up and 1 timed round; for tests and CI. */
  smoke: boolean;
  chunkBytes?: number;
  /** Print results (default true). */
  print?: boolean;
}

export interface SideResult {
  framesPerSec: number;
  mbPerSec: number;
  /** Frames decoded in the last round (must equal the frames generated). */
  decodedFrames: number;
}

export interface BenchResult {
  frames: number;
  bytes: number;
  chunks: number;
  ours: SideResult;
  raw: SideResult;
  /** Ours' speed relative to raw: median over rounds of rawMs / oursMs. */
  ratio: number;
  countsMatch: boolean;
}


/** The peer that dialed the connection being decoded. */
const SENDER = 'redis-a-1';
const OTHERS = ['redis-a-0', 'redis-a-2', 'redis-b-0', 'redis-b-1'];

/** One realistic message; weights follow steady-state traffic. */
function makeMessage(r: () => number, i: number): Message {
  const node = SENDER;
  const epoch = 40 + Math.floor(i / 10000);
  const offset = 1_000_000_000 + i * 137;
  const hex = () => randomHex(r);
  const p = r();
  if (p < 0.6) return { type: 'HB', epoch, nodeId: node, role: ROLES[Math.floor(r() * 3)]!, replOffset: offset };
  if (p < 0.75) return { type: 'LEASE', epoch, primaryId: node, seq: i };
  if (p < 0.9) return { type: 'LEASEACK', epoch, voterId: node, seq: i };
  if (p < 0.92) return { type: 'PREVOTE', epoch: epoch + 1, candidateId: node, replOffset: offset, dataEpoch: epoch };
  if (p < 0.93) return { type: 'PREACCEPT', epoch: epoch + 1, voterId: node };
  if (p < 0.94) {
    const reason = REFUSE_REASONS[Math.floor(r() * REFUSE_REASONS.length)]!;
    return { type: 'REFUSE', epoch: epoch + 1, voterId: node, voterEpoch: epoch, reason };
  }
  if (p < 0.95) return { type: 'OFFER', epoch: epoch + 1, candidateId: node, replOffset: offset };
  if (p < 0.96) return { type: 'ACCEPT', epoch: epoch + 1, accepterId: node };
  if (p < 0.97) return { type: 'ANNOUNCE', epoch: epoch + 1, primaryId: node, primaryAddr: `10.0.3.${i % 250}:6379` };
  if (p < 0.98) return { type: 'HANDOFF', epoch, targetId: OTHERS[i % OTHERS.length]!, primaryOffset: offset };
  if (p < 0.99) return { type: 'PEER', version: 1, nodeId: node, nonce: hex() };
  if (p < 0.995) return { type: 'CHALLENGE', nodeId: node, nonce: hex(), proof: hex() };
  return { type: 'PROOF', proof: hex() };
}

function randomHex(r: () => number): string {
  let s = '';
  for (let i = 0; i < 64; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

/** Encodes `frames` messages and cuts the bytes into chunks of chunkBytes. */
export function makeStream(frames: number, chunkBytes: number): { chunks: Buffer[]; bytes: number } {
  const r = rng(0x5eed);
  const parts: Buffer[] = [];
  for (let i = 0; i < frames; i++) parts.push(encodeMessage(makeMessage(r, i)));
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let off = 0; off < all.length; off += chunkBytes) {
    // Copies, like fresh socket reads, rather than views of one big buffer.
    chunks.push(Buffer.from(all.subarray(off, off + chunkBytes)));
  }
  return { chunks, bytes: all.length };
}

function runOurs(chunks: Buffer[]): number {
  const decoder = new MessageDecoder();
  let n = 0;
  for (const chunk of chunks) n += decoder.push(chunk).length;
  return n;
}

function runRaw(chunks: Buffer[]): number {
  let n = 0;
  const parser = new RedisParser({
    returnBuffers: true,
    returnReply: () => {
      n++;
    },
    returnError: (err) => {
      throw err;
    },
  });
  for (const chunk of chunks) parser.execute(chunk);
  return n;
}

/**
 * Wall time of one run. Rounds are repeated and the best kept (see main), so
 * a round slowed by other load on a shared machine does not count. (CPU time
 * was tried: it charges the decoder for V8's parallel GC threads, which do
 * not slow the event loop.)
 */
function time(fn: () => number): { ms: number; count: number } {
  const start = process.hrtime.bigint();
  const count = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function main(options: BenchOptions): BenchResult {
  const chunkBytes = options.chunkBytes ?? 16 * 1024;
  const { chunks, bytes } = makeStream(options.frames, chunkBytes);
  const warmups = options.smoke ? 1 : 3;
  const rounds = options.smoke ? 1 : 25;

  for (let i = 0; i < warmups; i++) {
    runOurs(chunks);
    runRaw(chunks);
  }
  const oursMs: number[] = [];
  const rawMs: number[] = [];
  let oursCount = 0;
  let rawCount = 0;
  // Alternate the two (and which goes first) so drift (thermal, GC, other
  // load) hits both alike.
  for (let i = 0; i < rounds; i++) {
    let a: { ms: number; count: number };
    let b: { ms: number; count: number };
    if (i % 2 === 0) {
      a = time(() => runOurs(chunks));
      b = time(() => runRaw(chunks));
    } else {
      b = time(() => runRaw(chunks));
      a = time(() => runOurs(chunks));
    }
    oursMs.push(a.ms);
    rawMs.push(b.ms);
    oursCount = a.count;
    rawCount = b.count;
  }
  const side = (ms: number, count: number): SideResult => ({
    framesPerSec: options.frames / (ms / 1000),
    mbPerSec: bytes / (1024 * 1024) / (ms / 1000),
    decodedFrames: count,
  });
  // Throughput: the best round of each, since interference from other load
  // only ever adds time. Ratio: the median over rounds of raw/ours within
  // the same round, which a burst of load on a shared machine slows alike.
  const ours = side(Math.min(...oursMs), oursCount);
  const raw = side(Math.min(...rawMs), rawCount);
  const ratio = median(rawMs.map((ms, i) => ms / oursMs[i]!));
  const result: BenchResult = {
    frames: options.frames,
    bytes,
    chunks: chunks.length,
    ours,
    raw,
    ratio,
    countsMatch: oursCount === options.frames && rawCount === options.frames,
  };
  if (options.print ?? true) print(result, rounds);
  return result;
}

function print(r: BenchResult, rounds: number): void {
  const fmt = (s: SideResult) =>
    `${Math.round(s.framesPerSec).toLocaleString('en-US').padStart(12)} frames/s ${s.mbPerSec.toFixed(1).padStart(8)} MB/s`;
  console.log(
    `codec bench: ${r.frames} frames, ${(r.bytes / 1024 / 1024).toFixed(2)} MB in ${r.chunks} chunks, best of ${rounds} rounds`,
  );
  console.log(`  MessageDecoder     ${fmt(r.ours)}  (${r.ours.decodedFrames} decoded)`);
  console.log(`  raw redis-parser   ${fmt(r.raw)}  (${r.raw.decodedFrames} decoded)`);
  console.log(`  ratio ours/raw     ${(r.ratio * 100).toFixed(1)}%  (median of per-round ratios; target >= 60%)`);
  if (!r.countsMatch) console.log('  FRAME COUNT MISMATCH');
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const smoke = argv.includes('--smoke');
  let frames = smoke ? 2000 : 200_000;
  const at = argv.indexOf('--frames');
  if (at >= 0) {
    const n = Number(argv[at + 1]);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--frames needs a positive integer, got ${argv[at + 1]}`);
    frames = n;
  }
  return { frames, smoke };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = main(parseArgs(process.argv.slice(2)));
  if (!result.countsMatch) process.exitCode = 1;
}
