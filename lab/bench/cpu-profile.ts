/**
 * Where an idle sidecar's CPU time goes, from the `.cpuprofile` files that
 * `node --cpu-prof` writes at exit: self time per bucket (the runtime's own
 * entries such as (garbage collector) and (program), then our code by
 * directory, then each dependency), summed over the files. `(program)` is
 * time V8 cannot attribute to JavaScript: the event loop, libuv, syscalls.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The bucket a frame's self time counts in. */
export function bucketOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core (JS)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `src/${url.slice(src + '/dist/src/'.length).split('/')[0]}`;
  return 'other JS';
}

export interface ProfileSummary {
  /** Wall time covered by the profiles, ms (summed over files). */
  wallMs: number;
  /** Sampled time per bucket, ms (summed over files), largest first. */
  buckets: Array<{ bucket: string; ms: number }>;
  /** The functions with the most self time outside the runtime's own entries, ms. */
  topFunctions: Array<{ name: string; ms: number }>;
  files: number;
}

/**
 * `window`: only samples taken in it count, in µs of CLOCK_MONOTONIC (V8's
 * profile clock on Linux, the same as `process.hrtime.bigint() / 1000n` in
 * any process), so start-up and shutdown stay out of an idle profile.
 */
export function summarizeProfiles(dir: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let wallMs = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const from = Math.max(p.startTime, window?.fromUs ?? -Infinity);
    const to = Math.min(p.endTime, window?.toUs ?? Infinity);
    wallMs += Math.max(0, to - from) / 1000;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      if (t < from || t > to) continue;
      const node = byId.get(p.samples[i]!);
      if (!node) continue;
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      const { url, functionName } = node.callFrame;
      const b = bucketOf(url, functionName);
      buckets.set(b, (buckets.get(b) ?? 0) + ms);
      if (url !== '') {
        const file = url.slice(url.lastIndexOf('/') + 1);
        const key = `${functionName || '(anonymous)'} (${b === 'node core (JS)' ? url : file})`;
        fns.set(key, (fns.get(key) ?? 0) + ms);
      }
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    wallMs,
    files: files.length,
    buckets: sorted(buckets).map(([bucket, ms]) => ({ bucket, ms })),
    topFunctions: sorted(fns).slice(0, 12).map(([name, ms]) => ({ name, ms })),
  };
}
