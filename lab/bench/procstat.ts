/** CPU time and memory of a process from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clkTck: number | undefined;
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of `pid`, in clock ticks (undefined: gone). */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name "(...)", which may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

/** VmRSS, VmHWM and RssFile of `pid` in MiB. */
export function memory(pid: number): { rssMb: number; hwmMb: number; fileMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    // RssFile: pages of files mapped (the node binary, shared libraries), clean and shared with every
    // other process mapping them; the rest of VmRSS is the process's own memory (heap, stacks).
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU use of each pid over `ms`, as % of one core. */
export async function cpuOver(pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuTicks);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const after = pids.map(cpuTicks);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return pids.map((_, i) => {
    const a = before[i];
    const b = after[i];
    return a === undefined || b === undefined ? NaN : ((b - a) / ticksPerSecond() / secs) * 100;
  });
}
