/**
 * `--keep`: the cluster stays up after the demo. Writes a stop script that
 * kills exactly the processes the demo left (each checked to still be one
 * of ours by its command line naming the demo directory) and removes the
 * directory, and says how to reach the cluster.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoCluster } from './cluster.js';

export function writeStopScript(dir: string, kept: readonly { pid: number }[]): string {
  const path = join(dir, 'stop.sh');
  const pids = kept.map((t) => t.pid).join(' ');
  const script = `#!/usr/bin/env bash
# Stops the resp-elect demo cluster in ${dir} and removes the directory (this script included).
dir=${JSON.stringify(dir)}
for pid in ${pids}; do
  # Only a process of this demo: a sidecar names the directory on its command line, a
  # redis-server (which rewrites its process title) runs in it. Pids get reused.
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
  if { [ -r "/proc/$pid/cmdline" ] && tr '\\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$dir"; } || [ "\${cwd#"$dir"}" != "$cwd" ]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
rm -rf -- "$dir"
echo "resp-elect demo cluster stopped; $dir removed"
`;
  writeFileSync(path, script, { mode: 0o755 });
  return path;
}

export function keepInstructions(cluster: DemoCluster, primaryId: string | undefined, stopScript: string, masterName = 'mymaster'): string[] {
  const p = primaryId ? cluster.node(primaryId) : undefined;
  const s = cluster.nodes[0]!;
  const lines = ['The cluster keeps running (--keep):'];
  for (const n of cluster.nodes) {
    lines.push(`  ${n.id}: redis 127.0.0.1:${n.redisPort} (pid ${n.redis?.pid ?? '-'})  sidecar 127.0.0.1:${n.sidecarPort} (pid ${n.sidecar?.pid ?? '-'})  log ${cluster.sidecarLog(n)}`);
  }
  if (p) lines.push(`  redis-cli -p ${p.redisPort}                                  # the primary (${p.id}) right now`);
  lines.push(`  redis-cli -p ${s.sidecarPort} SENTINEL get-master-addr-by-name ${masterName}   # ask any sidecar where the primary is`);
  lines.push(`  redis-cli -p ${s.sidecarPort} SENTINEL FAILOVER ${masterName}                  # planned switchover`);
  lines.push(`  kill -9 <pid>                                                   # fail something yourself`);
  lines.push(`Stop it and remove ${cluster.nodes[0]!.dir.replace(/\/n1$/, '')}:`);
  lines.push(`  bash ${stopScript}`);
  return lines;
}
