/**
 * `SENTINEL FAILOVER` runs a planned switchover through the view, one at a
 * time. Sentinel answers +OK as soon as a failover starts; a switchover here
 * can be refused at once (not primary, target down, no lease), which the
 * client should hear. So the reply waits up to `replyWaitMs`: a refusal or a
 * completion within that window is answered as such (-ERR reason / +OK),
 * and a switchover still under way after it gets +OK (the outcome is then
 * published as +switch-master, or +failover-end-for-timeout, and logged).
 */
import type { SidecarView } from '../sidecar/view.js';
import { error, OK, type Reply } from './resp.js';

export type AdminLog = (level: 'info' | 'warn', msg: string) => void;

export class FailoverRunner {
  private pending: Promise<unknown> | undefined;

  constructor(
    private readonly view: SidecarView,
    private readonly replyWaitMs: number,
    private readonly log: AdminLog,
  ) {}

  get inProgress(): boolean {
    return this.pending !== undefined;
  }

  async run(target: string | undefined): Promise<Reply> {
    if (this.pending) return error('INPROG Failover already in progress');
    let started: Promise<{ from: string; to: string; epoch: number; tookMs: number }>;
    try {
      started = Promise.resolve(this.view.switchover(target));
    } catch (err) {
      return error(`ERR ${messageOf(err)}`);
    }
    const what = `switchover${target ? ` to ${target}` : ''}`;
    const settled = started.then(
      (r) => ({ ok: true as const, r }),
      (err: unknown) => ({ ok: false as const, message: messageOf(err) }),
    );
    this.pending = settled;
    let answered = false;
    void settled.then((outcome) => {
      this.pending = undefined;
      if (!answered) return;
      if (outcome.ok) this.log('info', `${what} asked by a client completed: ${outcome.r.from} -> ${outcome.r.to} in ${outcome.r.tookMs} ms (epoch ${outcome.r.epoch})`);
      else this.log('warn', `${what} asked by a client failed after it was acknowledged: ${outcome.message}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const window = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.replyWaitMs);
    });
    const early = await Promise.race([settled, window]);
    clearTimeout(timer);
    answered = true;
    if (early === undefined) {
      this.log('info', `${what} asked by a client is under way`);
      return OK;
    }
    if (early.ok) return OK;
    return error(`ERR ${early.message}`);
  }
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/[\r\n]+/g, ' ') || 'switchover failed';
}
