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
