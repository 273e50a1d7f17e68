/**
 * Whether this sidecar can reach another redis-server (the primary's), the
 * way Sentinel's instance link does: one plain TCP connection, an inline
 * `PING` every `pingEveryMs`, and the link is down the moment the connection
 * is refused, closed and not re-opened, or silent for `timeoutMs`.
 *
 * Why it exists: Sentinel-aware clients read the master's `disconnected` flag
 * (SENTINEL MASTER) to skip a dead master. node-redis's createSentinel
 * connects to whatever master it is told and waits for that connection
 * forever, so telling it "master" during the detection window of a host loss
 * wedges it; Sentinel says "master,disconnected" within milliseconds because
 * its link to the dead redis closes. This gives our replies the same fact.
 *
 * Any reply counts as alive (`-NOAUTH` and protected mode's `-DENIED` too):
 * the question is whether the process answers, not whether we may use it.
 * A connection that had been open and closes marks the link down at once (a
 * killed redis: the clients saw the same close and are asking us now) and
 * reconnects at once (up again within a round trip if it was only a kick).
 * A connection the server closes right after accepting is retried after
 * `retryMs`, keeping the link up, so a server that always hangs up (protected
 * mode) is neither a busy loop nor a flapping flag.
 */
import { connect, type Socket } from 'node:net';
import type { HostPort } from '../protocol/index.js';

export interface LinkWatchOptions {
  /** How often to PING an open connection. */
  pingEveryMs: number;
  /** No connect, or no reply to a PING, within this long: the link is down. */
  timeoutMs: number;
  /** Pause between failed connection attempts. */
  retryMs: number;
}

export class RedisLinkWatch {
  private addr: HostPort | undefined;
  private socket: Socket | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private connectedAt = 0;
  private state: boolean | undefined;
  private stopped = false;

  constructor(
    private readonly opts: LinkWatchOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** True: answering; false: refused, closed or silent; undefined: no target, or not tried yet. */
  get up(): boolean | undefined {
    return this.state;
  }

  /** Watch `addr` from now on (undefined: watch nothing). Same address: no change. */
  target(addr: HostPort | undefined): void {
    if (this.stopped) return;
    if (addr && this.addr && addr.host === this.addr.host && addr.port === this.addr.port) return;
    this.reset();
    this.addr = addr;
    this.state = undefined;
    if (addr) this.open();
  }

  stop(): void {
    this.stopped = true;
    this.reset();
    this.addr = undefined;
    this.state = undefined;
  }

  private reset(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.deadline);
    this.pingTimer = this.retryTimer = this.deadline = undefined;
    const s = this.socket;
    this.socket = undefined;
    s?.removeAllListeners();
    s?.on('error', () => {});
    s?.destroy();
  }

  /** Expect some sign of life within timeoutMs, or call the link down. */
  private arm(socket: Socket): void {
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      if (this.socket === socket) this.lost(false);
    }, this.opts.timeoutMs);
  }

  private open(): void {
    const addr = this.addr;
    if (!addr || this.stopped) return;
    const socket = connect({ host: addr.host, port: addr.port, noDelay: true });
    let connected = false;
    this.socket = socket;
    this.arm(socket);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      connected = true;
      this.state = true;
      this.connectedAt = this.now();
      this.arm(socket);
      socket.write('PING\r\n');
      this.pingTimer = setInterval(() => socket.write('PING\r\n'), this.opts.pingEveryMs);
    });
    socket.on('data', () => {
      if (this.socket !== socket) return;
      this.state = true;
      this.arm(socket);
    });
    socket.on('error', () => {
      // 'close' follows and decides.
    });
    socket.on('close', () => {
      if (this.socket === socket) this.lost(connected);
    });
  }

  /** @param hungUp the server closed a connection that had been open (not: refused, or silent past the deadline). */
  private lost(hungUp: boolean): void {
    const wasOpenFor = this.now() - this.connectedAt;
    this.reset();
    if (hungUp && wasOpenFor < this.opts.retryMs) {
      // A server that hangs up right after accepting is alive (protected mode, maxclients):
      // keep the link up and retry after a pause, so this is neither a busy loop nor a flapping flag.
      this.retryTimer = setTimeout(() => this.open(), this.opts.retryMs);
      return;
    }
    if (hungUp) {
      // A connection that lived closed: most likely the process died. Say so at once — a client
      // that saw the same close is asking its sentinels right now — and reconnect at once, which
      // puts the link back up within a round trip if the server was merely restarted or kicked us.
      this.state = false;
      this.open();
      return;
    }
    this.state = false;
    this.retryTimer = setTimeout(() => this.open(), this.opts.retryMs);
  }
}
