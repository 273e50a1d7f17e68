import { isValidNodeId, parseAddress, type HostPort } from '../protocol/index.js';
import { OptionError, type MemberConfig } from './config.js';

/**
 * One member in the `--member` syntax, `id=host:port,redis=host:port[,witness][,priority=N]`,
 * as the run command and `resp-elect member add` give it. Throws OptionError naming what is wrong.
 */
export function parseMember(value: unknown, source?: string): MemberConfig {
  const where = (msg: string) => new OptionError('member', `${JSON.stringify(value)}: ${msg}`, source);
  if (typeof value !== 'string') throw where('must be a string like id=host:port,redis=host:port');
  const [head, ...rest] = value.split(',');
  const eq = head!.indexOf('=');
  if (eq <= 0) throw where('must start with id=sidecarHost:port');
  const id = head!.slice(0, eq);
  if (!isValidNodeId(id)) throw where(`${JSON.stringify(id)} is not a valid node id`);
  const sidecar = memberAddr(head!.slice(eq + 1), 'sidecar address', where);
  let redis: HostPort | undefined;
  let witness = false;
  let priority = 1;
  for (const part of rest) {
    if (part === 'witness') witness = true;
    else if (part.startsWith('redis=')) redis = memberAddr(part.slice(6), 'redis address', where);
    else if (part.startsWith('priority=')) {
      const p = part.slice(9);
      if (!/^\d+$/.test(p) || Number(p) > 1_000_000) throw where(`priority must be an integer from 0, got ${JSON.stringify(p)}`);
      priority = Number(p);
    } else throw where(`unknown part ${JSON.stringify(part)} (expected redis=host:port, witness or priority=N)`);
  }
  if (witness && redis) throw where('a witness has no redis');
  if (!witness && !redis) throw where('a data member needs redis=host:port (or mark it witness)');
  return { id, sidecar, redis, witness, priority };
}

function memberAddr(text: string, what: string, where: (m: string) => OptionError): HostPort {
  try {
    return parseAddress(text);
  } catch (err) {
    throw where(`bad ${what}: ${(err as Error).message.replace(/^address: /, '')}`);
  }
}
