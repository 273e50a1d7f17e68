import type { LogFormat, LogLevel } from './config.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

/**
 * One line per event. `human` puts the message first, then key=value pairs;
 * `json` writes one object per line for log shippers. Both carry the node id
 * so interleaved logs from a demo or a test stay readable.
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
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = v;
      write(JSON.stringify(obj));
      return;
    }
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join(' ');
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
