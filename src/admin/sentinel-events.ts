/**
 * Sentinel's pub/sub events, derived from the sidecar's events. Channel =
 * event type, message = instance details in Sentinel's format:
 *
 *   master <master-name> <ip> <port>
 *   slave <ip:port> <ip> <port> @ <master-name> <master-ip> <master-port>
 *   sentinel <id> <ip> <port> @ <master-name> <master-ip> <master-port>
 *
 * except `+new-epoch <epoch>` and `+switch-master <name> <oldip> <oldport>
 * <newip> <newport>`. A failover as a client sees it:
 * +sdown/+odown (primary lost) → +new-epoch → +try-failover →
 * +elected-leader → +promoted-slave → +failover-end → +switch-master →
 * +slave (one per replica, now under the new master).
 *
 * Also tracks whether the Elector declared the primary lost, which the
 * SENTINEL replies show as the master's `o_down` flag.
 */
import type { ElectorEvent } from '../elector/events.js';
import type { HostPort } from '../protocol/index.js';
import type { SidecarEvents, SidecarView } from '../sidecar/view.js';
import type { RedisStatus } from '../redis/status.js';
import { describeTopology, hostPort } from './topology.js';

export interface SentinelMessage {
  channel: string;
  message: string;
}

interface Known {
  id: string;
  addr: HostPort;
}

function ipPort(addr: HostPort): string {
  return `${addr.host} ${addr.port}`;
}

export class SentinelEventTranslator {
  /** The Elector declared the primary lost and no new one is followed yet. */
  primaryLost = false;
  /** The master being replaced by an election under way, for the failover events. */
  private failingOver: Known | undefined;
  /** Members we published +sdown for and not -sdown yet. */
  private readonly down = new Set<string>();
  private lastReachable: boolean | undefined;

  constructor(private readonly view: SidecarView) {}

  private get name(): string {
    return this.view.config.masterName;
  }

  private known(id: string | null | undefined): Known | undefined {
    if (id === null || id === undefined) return undefined;
    const addr = this.view.redisAddrOf(id);
    return addr ? { id, addr } : undefined;
  }

  private masterText(m: Known): string {
    return `master ${this.name} ${ipPort(m.addr)}`;
  }

  /** Details of a member as a Sentinel would name it: master, slave, or sentinel (witness). */
  private instanceText(id: string): string | undefined {
    const primary = this.view.primary();
    const member = this.view.config.members.find((m) => m.id === id);
    if (!member || !primary) return undefined;
    if (id === primary.id) return `master ${this.name} ${ipPort(primary.addr)}`;
    const at = `@ ${this.name} ${ipPort(primary.addr)}`;
    const addr = member.witness ? undefined : this.view.redisAddrOf(id);
    if (addr) return `slave ${hostPort(addr)} ${ipPort(addr)} ${at}`;
    return `sentinel ${id} ${ipPort(member.sidecar)} ${at}`;
  }

  /** +sdown / -sdown for a member, once per transition, named as it is now. */
  private sdown(id: string, text: string | undefined, isDown: boolean, out: SentinelMessage[]): void {
    if (text === undefined) return;
    if (isDown && !this.down.has(id)) {
      this.down.add(id);
      out.push({ channel: '+sdown', message: text });
    } else if (!isDown && this.down.delete(id)) {
      out.push({ channel: '-sdown', message: text });
    }
  }

  onElector(ev: ElectorEvent): SentinelMessage[] {
    const out: SentinelMessage[] = [];
    const self = this.view.config.id;
    switch (ev.type) {
      case 'peer':
        this.sdown(ev.id, this.instanceText(ev.id), !ev.up, out);
        break;
      case 'primary-lost': {
        this.primaryLost = true;
        const lost = this.known(ev.primary);
        if (lost) {
          this.failingOver = lost;
          const text = this.masterText(lost);
          this.sdown(lost.id, text, true, out);
          const topo = describeTopology(this.view, true);
          out.push({ channel: '+odown', message: `${text} #quorum ${topo.usable}/${topo.quorum}` });
        }
        break;
      }
      case 'epoch':
        if (ev.to > ev.from) out.push({ channel: '+new-epoch', message: String(ev.to) });
        break;
      case 'election-start': {
        const current = this.view.primary();
        if (!this.failingOver && current && current.id !== self) this.failingOver = { id: current.id, addr: current.addr };
        if (this.failingOver) out.push({ channel: '+try-failover', message: this.masterText(this.failingOver) });
        break;
      }
      case 'elected':
        if (this.failingOver) out.push({ channel: '+elected-leader', message: this.masterText(this.failingOver) });
        break;
      case 'election-lost':
        if (this.failingOver) out.push({ channel: '-failover-abort-not-elected', message: this.masterText(this.failingOver) });
        break;
      case 'handoff-end':
        if (!ev.ok) {
          const current = this.known(self);
          if (current) out.push({ channel: '+failover-end-for-timeout', message: this.masterText(current) });
        }
        break;
      case 'role':
        if (ev.to === 'primary') {
          this.primaryLost = false;
          const old = this.failingOver;
          const me = this.known(self);
          if (old && me && old.id !== self) {
            const at = `@ ${this.name} ${ipPort(old.addr)}`;
            out.push({ channel: '+promoted-slave', message: `slave ${hostPort(me.addr)} ${ipPort(me.addr)} ${at}` });
            out.push({ channel: '+failover-end', message: this.masterText(old) });
          }
          this.failingOver = undefined;
        } else if (ev.from === 'primary') {
          this.primaryLost = true;
        }
        break;
      case 'follow':
        if (ev.primary !== null) {
          this.primaryLost = false;
          this.failingOver = undefined;
        }
        break;
      default:
        break;
    }
    return out;
  }

  onPrimaryChanged(change: SidecarEvents['primary-changed'][0]): SentinelMessage[] {
    const out: SentinelMessage[] = [];
    this.primaryLost = false;
    if (change.to !== this.view.config.id) this.failingOver = undefined;
    const from = change.fromAddr ?? (change.from !== null ? this.view.redisAddrOf(change.from) : undefined);
    const to = change.toAddr;
    if (!from || (from.host === to.host && from.port === to.port)) return out;
    out.push({ channel: '+switch-master', message: `${this.name} ${ipPort(from)} ${ipPort(to)}` });
    const at = `@ ${this.name} ${ipPort(to)}`;
    for (const m of this.view.config.members) {
      if (m.id === change.to || m.witness) continue;
      const addr = this.view.redisAddrOf(m.id);
      if (addr) out.push({ channel: '+slave', message: `slave ${hostPort(addr)} ${ipPort(addr)} ${at}` });
    }
    return out;
  }

  onRedisHealth(status: RedisStatus): SentinelMessage[] {
    const out: SentinelMessage[] = [];
    if (status.reachable === this.lastReachable) return out;
    this.lastReachable = status.reachable;
    this.sdown(`redis:${this.view.config.id}`, this.instanceText(this.view.config.id), !status.reachable, out);
    return out;
  }
}

/**
 * Listen to `view.events` and publish each Sentinel event. Listeners never
 * throw into the sidecar. Returns the translator (for `primaryLost`) and a
 * function that detaches the listeners.
 */
export function attachSentinelEvents(
  view: SidecarView,
  publish: (msg: SentinelMessage) => void,
  onError: (err: unknown) => void = () => {},
): { translator: SentinelEventTranslator; detach(): void } {
  const translator = new SentinelEventTranslator(view);
  const safely = (produce: () => SentinelMessage[]) => {
    try {
      for (const msg of produce()) publish(msg);
    } catch (err) {
      try {
        onError(err);
      } catch {
        // nothing more to do
      }
    }
  };
  const onElector = (ev: ElectorEvent) => safely(() => translator.onElector(ev));
  const onChanged = (change: SidecarEvents['primary-changed'][0]) => safely(() => translator.onPrimaryChanged(change));
  const onHealth = (status: RedisStatus) => safely(() => translator.onRedisHealth(status));
  view.events.on('elector', onElector);
  view.events.on('primary-changed', onChanged);
  view.events.on('redis-health', onHealth);
  return {
    translator,
    detach: () => {
      view.events.off('elector', onElector);
      view.events.off('primary-changed', onChanged);
      view.events.off('redis-health', onHealth);
    },
  };
}
