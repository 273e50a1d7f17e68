/**
 * The demo's verdict: what it measured, in fixed, greppable lines (the demo
 * test reads them), and the exit code.
 */
export interface DemoSummary {
  fault: string;
  faultText: string;
  oldPrimary: string;
  newPrimary?: string;
  failoverCompleted: boolean;
  /** Fault → new writable primary. */
  failoverMs?: number;
  /** Longest gap between two acknowledged writes over the whole run. */
  writeUnavailableMs?: number;
  acked: number;
  unacked: number;
  errors: number;
  /** Acknowledged keys missing on the final primary; undefined when the check could not run. */
  lost?: number;
  finalPrimary?: string;
  rejoin: { ok: boolean; text: string };
  switchover: { status: 'done' | 'skipped' | 'failed'; text: string };
  replicasWaited: number;
}

/** 0 only when the failover completed, no acknowledged write was lost, and the later steps did not fail. */
export function exitCodeOf(s: DemoSummary): number {
  const ok = s.failoverCompleted && s.lost === 0 && s.acked > 0 && s.rejoin.ok && s.switchover.status !== 'failed';
  return ok ? 0 : 1;
}

const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v)} ms`);

export function formatSummary(s: DemoSummary): string[] {
  const pad = (label: string) => `  ${`${label}:`.padEnd(22)}`;
  const lines = ['Summary'];
  lines.push(`${pad('failover completed')}${s.failoverCompleted ? 'yes' : 'no'}  (${s.faultText})`);
  lines.push(`${pad('failover time')}${ms(s.failoverMs)}  (fault -> new writable primary${s.newPrimary ? ` ${s.newPrimary}` : ''})`);
  lines.push(`${pad('write-unavailable')}${ms(s.writeUnavailableMs)}  (longest gap between two acknowledged writes, whole run)`);
  lines.push(
    `${pad('writes acknowledged')}${s.acked}  (SET + WAIT ${s.replicasWaited}; ${s.unacked} not acknowledged by WAIT and ${s.errors} failed, none of them promised)`,
  );
  lines.push(`${pad('writes lost')}${s.lost === undefined ? 'unknown (could not check)' : String(s.lost)}  (every acknowledged key read back from the final primary${s.finalPrimary ? ` ${s.finalPrimary}` : ''})`);
  lines.push(`${pad('rejoin')}${s.rejoin.text}`);
  lines.push(`${pad('switchover')}${s.switchover.text}`);
  lines.push(`${pad('writer')}ioredis in Sentinel mode against the sidecar ports`);
  lines.push(`${pad('result')}${exitCodeOf(s) === 0 ? 'PASS' : 'FAIL'}`);
  return lines;
}
