/**
 * One line of a sidecar's `--log-format json` output, as the demo reads it:
 * `{"time":"…","level":"info","node":"n2","msg":"won epoch 3","votes":"n2,n3","epoch":3,"event":"elected"}`.
 */
export interface SidecarLine {
  /** Wall-clock milliseconds (from `time`). */
  t: number;
  node: string;
  level: string;
  msg: string;
  /** Every other field of the line. */
  fields: Record<string, unknown>;
}

/** Parses one JSON log line; undefined for anything else (a crash trace, a partial line). */
export function parseSidecarLine(text: string): SidecarLine | undefined {
  const s = text.trim();
  if (!s.startsWith('{')) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null) return undefined;
  const { time, level, node, msg, ...fields } = obj as Record<string, unknown>;
  if (typeof time !== 'string' || typeof node !== 'string' || typeof msg !== 'string') return undefined;
  const t = Date.parse(time);
  if (!Number.isFinite(t)) return undefined;
  return { t, node, level: typeof level === 'string' ? level : 'info', msg, fields };
}

/** Splits a growing text stream into complete lines; keeps the unfinished tail for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.length > 0);
  }

  /** Whatever is left without a newline (at the end of a stream). */
  flush(): string[] {
    const r = this.rest;
    this.rest = '';
    return r.length > 0 ? [r] : [];
  }
}
