/**
 * Who is subscribed to what on this sidecar's client port, and delivery of
 * published messages in pub/sub form:
 *   ["message", channel, payload] and ["pmessage", pattern, channel, payload],
 * an array for a RESP2 subscriber and a push for a RESP3 one. Each frame is
 * encoded once per protocol and shared by every subscriber that gets it.
 */
import { globMatch } from './glob.js';
import { encodeReply, PushReply, type Protocol } from './resp.js';

export interface Subscriber {
  /** Channel names (latin1 strings, so any bytes round-trip). */
  readonly channels: ReadonlySet<string>;
  readonly patterns: ReadonlySet<string>;
  /** The protocol the subscriber speaks (HELLO). */
  readonly protocol: Protocol;
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
    const frames = new Map<string, Buffer>();
    /** The frame for `items` in `proto`, encoded once per publish. */
    const frame = (cacheKey: string, proto: Protocol, items: () => Array<string | Buffer>): Buffer => {
      const k = `${proto}\0${cacheKey}`;
      let f = frames.get(k);
      if (!f) {
        f = encodeReply(new PushReply(items()), proto);
        frames.set(k, f);
      }
      return f;
    };
    let count = 0;
    for (const sub of [...this.subscribers]) {
      if (sub.channels.has(channelKey)) {
        sub.deliver(frame('', sub.protocol, () => ['message', latin1(channelKey), payload]));
        count++;
      }
      for (const pattern of sub.patterns) {
        if (!globMatch(pattern, channelKey)) continue;
        sub.deliver(frame(`p${pattern}`, sub.protocol, () => ['pmessage', latin1(pattern), latin1(channelKey), payload]));
        count++;
      }
    }
    return count;
  }
}
