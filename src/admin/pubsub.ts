/**
 * Who is subscribed to what on this sidecar's client port, and delivery of
 * published messages in RESP2 pub/sub form:
 *   ["message", channel, payload] and ["pmessage", pattern, channel, payload].
 */
import { globMatch } from './glob.js';
import { encodeReply } from './resp.js';

export interface Subscriber {
  /** Channel names (latin1 strings, so any bytes round-trip). */
  readonly channels: ReadonlySet<string>;
  readonly patterns: ReadonlySet<string>;
  /** Write an encoded message frame; must not throw. */
  deliver(frame: Buffer): void;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');

export class PubSubHub {
  private readonly subscribers = new Set<Subscriber>();

  add(sub: Subscriber): void {
    this.subscribers.add(sub);
  }

  remove(sub: Subscriber): void {
    this.subscribers.delete(sub);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Publish to every matching subscription; returns how many deliveries were made. */
  publish(channel: string, message: string): number {
    if (this.subscribers.size === 0) return 0;
    const channelKey = Buffer.from(channel, 'utf8').toString('latin1');
    const payload = Buffer.from(message, 'utf8');
    let direct: Buffer | undefined;
    const byPattern = new Map<string, Buffer>();
    let count = 0;
    for (const sub of [...this.subscribers]) {
      if (sub.channels.has(channelKey)) {
        direct ??= encodeReply(['message', latin1(channelKey), payload]);
        sub.deliver(direct);
        count++;
      }
      for (const pattern of sub.patterns) {
        if (!globMatch(pattern, channelKey)) continue;
        let frame = byPattern.get(pattern);
        if (!frame) {
          frame = encodeReply(['pmessage', latin1(pattern), latin1(channelKey), payload]);
          byPattern.set(pattern, frame);
        }
        sub.deliver(frame);
        count++;
      }
    }
    return count;
  }
}
