import type { LogFormat, LogLevel } from './config.js';
import { formatFields, type EventFields } from '../elector/render-event.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * A line's structured fields. Two names are reserved so programs (the demo,
 * tests, log shippers) match fields, not sentences: `event` (the Elector
 * event a line reports, see src/elector/render-event.ts) and `action` (the
 * redis action the runtime confirmed: promote, replicate, fence…).
 */
export type LogFields = EventFields;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

/** `event` and `action` go last on a human line: the sentence reads first, the tag closes it. */
const TAGS = ['event', 'action'];

/**
 * One line per event. `human` puts the message first, then key=value pairs
 * (the `event`/`action` tag last); `json` writes one object per line for log
 * shippers and the demo. Both carry the same fields, and the node id so
 * interleaved logs from a demo or a test stay readable.
 */
export function createLogger(opts: { nodeId: string; level: LogLevel; format: LogFormat; write?: (line: string) => void; clock?: () => Date }): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = opts.clock ?? (() => new Date());
  const max = RANK[opts.level];
  const log = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[level] > max) return;
    const time = clock().toISOString();
    if (opts.format === 'json') {
      const obj: Record<string, unknown> = { time, level, node: opts.nodeId, msg };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in obj)) obj[k] = v;
      write(JSON.stringify(obj));
      return;
    }
    const ordered: LogFields = {};
    for (const [k, v] of Object.entries(fields)) if (!TAGS.includes(k)) ordered[k] = v;
    for (const k of TAGS) if (k in fields) ordered[k] = fields[k];
    const kv = formatFields(ordered);
    write(`${time} ${level.toUpperCase().padEnd(5)} [${opts.nodeId}] ${msg}${kv ? `  ${kv}` : ''}`);
  };
  return {
    error: (m, f) => log('error', m, f),
    warn: (m, f) => log('warn', m, f),
    info: (m, f) => log('info', m, f),
    debug: (m, f) => log('debug', m, f),
    enabled: (level) => RANK[level] <= max,
  };
}

export interface ParsedLine {
  time: string;
  level: LogLevel;
  node: string;
  msg: string;
  fields: Record<string, string | number | boolean | null>;
}

const HUMAN = /^(\S+) (ERROR|WARN |INFO |DEBUG) \[([^\]]*)\] (.*)$/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;
const PAIR = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)(?: |$)/y;

/** The fields of `k=v k2="v 2"` text, or undefined when it is not exactly such pairs. */
function parsePairs(text: string): ParsedLine['fields'] | undefined {
  const fields: ParsedLine['fields'] = {};
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < text.length) {
    const start = PAIR.lastIndex;
    const m = PAIR.exec(text);
    if (!m || m.index !== start) return undefined;
    const raw = m[2]!;
    if (raw.startsWith('"')) {
      try {
        fields[m[1]!] = JSON.parse(raw) as string;
      } catch {
        return undefined;
      }
    } else if (raw === 'true' || raw === 'false') fields[m[1]!] = raw === 'true';
    else if (raw === 'null') fields[m[1]!] = null;
    else if (NUMBER.test(raw)) fields[m[1]!] = Number(raw);
    else fields[m[1]!] = raw;
  }
  return fields;
}

/**
 * Reads a `human` line back into its parts, so tests can match fields
 * (`event`, `action`, `to`…) on human logs too. The fields start at the
 * first two-space gap after which the rest is exactly key=value pairs; a
 * message that itself holds such a gap followed by pairs would be split
 * there (no sidecar message does). Undefined for anything but a log line.
 */
export function parseHumanLine(line: string): ParsedLine | undefined {
  const m = HUMAN.exec(line);
  if (!m) return undefined;
  const [, time, level, node, rest] = m as unknown as [string, string, string, string, string];
  for (let gap = rest.indexOf('  '); gap >= 0; gap = rest.indexOf('  ', gap + 1)) {
    const fields = parsePairs(rest.slice(gap + 2));
    if (fields) return { time, level: level.trim().toLowerCase() as LogLevel, node, msg: rest.slice(0, gap), fields };
  }
  return { time, level: level.trim().toLowerCase() as LogLevel, node, msg: rest, fields: {} };
}
