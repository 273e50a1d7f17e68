/**
 * The faults the demo can inject into the primary's node, and how each one
 * is undone afterwards (restart or thaw).
 */
import type { DemoCluster, DemoNode } from './cluster.js';
import type { Recorder } from './recorder.js';

export const FAULT_KINDS = ['kill', 'redis-crash', 'pause', 'partition'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** What is done, for the timeline: "kill -9 of n1's redis-server and sidecar". */
  describe(n: DemoNode): string;
  /** What undoing it is called: "restart", "thaw", "heal". */
  recoverWord: string;
  /** The heading of that step. */
  recoverTitle(n: DemoNode): string;
  /** Printed before the fault, when the fault is an emulation. */
  note?: string;
  inject(c: DemoCluster, n: DemoNode, rec: Recorder): Promise<void>;
  /** Undo it; `say` narrates each step as it is done. */
  recover(c: DemoCluster, n: DemoNode, rec: Recorder, say: (text: string) => void): Promise<void>;
}

const kill: Fault = {
  kind: 'kill',
  describe: (n) => `kill -9 of ${n.id}'s redis-server (pid ${n.redis?.pid}) and sidecar (pid ${n.sidecar?.pid})`,
  recoverWord: 'restart',
  recoverTitle: (n) => `Restart ${n.id}: redis-server comes back EMPTY (no persistence), the sidecar with its vote file`,
  async inject(c, n, rec) {
    await c.kill(n, { redis: true, sidecar: true });
    rec.setProc(n.id, 'down');
  },
  async recover(c, n, rec, say) {
    await c.startRedis(n);
    rec.setProc(n.id, 'up');
    say(`redis-server restarted, empty (pid ${n.redis?.pid})`);
    await c.startSidecar(n);
    say(`sidecar restarted with its vote file (pid ${n.sidecar?.pid})`);
  },
};

const redisCrash: Fault = {
  kind: 'redis-crash',
  describe: (n) => `kill -9 of ${n.id}'s redis-server (pid ${n.redis?.pid}); its sidecar keeps running`,
  recoverWord: 'restart',
  recoverTitle: (n) => `Restart ${n.id}'s redis-server: it comes back EMPTY (no persistence); its sidecar makes it a replica`,
  async inject(c, n, rec) {
    await c.kill(n, { redis: true });
    rec.setProc(n.id, 'redis-down');
  },
  async recover(c, n, rec, say) {
    await c.startRedis(n);
    rec.setProc(n.id, 'up');
    say(`redis-server restarted, empty (pid ${n.redis?.pid})`);
  },
};

const pause: Fault = {
  kind: 'pause',
  describe: (n) => `SIGSTOP of ${n.id}'s redis-server and sidecar (a frozen VM or a long GC pause)`,
  recoverWord: 'thaw',
  recoverTitle: (n) => `Thaw ${n.id} (SIGCONT): its sidecar wakes up believing it is primary and must step down`,
  async inject(c, n, rec) {
    c.signal(n, 'SIGSTOP', { redis: true, sidecar: true });
    rec.setProc(n.id, 'frozen');
  },
  async recover(c, n, rec, say) {
    c.signal(n, 'SIGCONT', { redis: true, sidecar: true });
    rec.setProc(n.id, 'up');
    say('SIGCONT: redis-server and sidecar run again, unaware that time passed');
  },
};

const partition: Fault = {
  kind: 'partition',
  describe: (n) => `partition of ${n.id}, emulated: SIGSTOP of its sidecar only (its redis keeps serving)`,
  recoverWord: 'heal',
  recoverTitle: (n) => `Heal the partition of ${n.id} (SIGCONT of its sidecar): it must step down and follow the new primary`,
  note:
    'The demo runs on one loopback interface, where no firewall rule can tell one node from another, so --fault partition is EMULATED: ' +
    "the primary's sidecar is frozen (SIGSTOP) while its redis keeps serving, so the other sidecars stop hearing it exactly as behind a partition. " +
    'For a real network partition (separate network namespaces and nftables), use scripts/netns-cluster.sh (root).',
  async inject(c, n, rec) {
    c.signal(n, 'SIGSTOP', { sidecar: true });
    rec.setProc(n.id, 'sidecar-frozen');
  },
  async recover(c, n, rec, say) {
    c.signal(n, 'SIGCONT', { sidecar: true });
    rec.setProc(n.id, 'up');
    say('partition healed (SIGCONT of the sidecar)');
  },
};

export const FAULTS: Record<FaultKind, Fault> = { kill, 'redis-crash': redisCrash, pause, partition };
