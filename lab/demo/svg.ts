/**
 * The failover timeline as a standalone SVG: one lane per node showing its
 * role over time, one lane for the writer (acknowledged writes above the
 * line, failed or unacknowledged ones below), and vertical marks for what
 * the demo did. Hand-written SVG text, no dependencies.
 */
import type { LaneRole } from './node-state.js';
import type { WriteRecord } from '../workload/writer.js';

export interface SvgInput {
  title: string;
  /** Time zero of the axis (the fault). */
  ref: number;
  from: number;
  to: number;
  lanes: { id: string; history: readonly { t: number; role: LaneRole }[] }[];
  writes: readonly WriteRecord[];
  marks: readonly { t: number; label: string }[];
}

const COLORS: Record<LaneRole, string> = {
  primary: '#2e7d32',
  'primary-fenced': '#a5d6a7',
  replica: '#1e88e5',
  candidate: '#fb8c00',
  down: '#9e9e9e',
  frozen: '#8e24aa',
  starting: '#cfd8dc',
};

const LABELS: Record<LaneRole, string> = {
  primary: 'primary (writable)',
  'primary-fenced': 'primary, fenced',
  replica: 'replica',
  candidate: 'candidate',
  down: 'down',
  frozen: 'frozen',
  starting: 'starting',
};

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function renderSvg(input: SvgInput): string {
  const W = 1100;
  const left = 80;
  const right = 20;
  const top = 66;
  const laneH = 26;
  const gap = 8;
  const plotW = W - left - right;
  const span = Math.max(1, input.to - input.from);
  const x = (t: number) => left + ((Math.min(Math.max(t, input.from), input.to) - input.from) / span) * plotW;
  const out: string[] = [];
  const lanesBottom = top + input.lanes.length * (laneH + gap);
  const writerTop = lanesBottom + 4;
  const writerH = 40;
  const axisY = writerTop + writerH + 10;
  const legendY = axisY + 40;
  const H = legendY + 30;

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="24" font-size="15" font-weight="bold">${escapeXml(input.title)}</text>`);

  input.lanes.forEach((lane, i) => {
    const y = top + i * (laneH + gap);
    out.push(`<text x="${left - 10}" y="${y + laneH / 2 + 4}" text-anchor="end">${escapeXml(lane.id)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${laneH}" fill="#f5f5f5"/>`);
    const h = lane.history;
    for (let k = 0; k < h.length; k++) {
      const seg = h[k]!;
      const end = k + 1 < h.length ? h[k + 1]!.t : input.to;
      if (end <= input.from || seg.t >= input.to) continue;
      const x0 = x(seg.t);
      const x1 = x(end);
      if (x1 - x0 <= 0) continue;
      out.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${(x1 - x0).toFixed(1)}" height="${laneH}" fill="${COLORS[seg.role]}"><title>${escapeXml(`${lane.id}: ${LABELS[seg.role]} from ${Math.round(seg.t - input.ref)} ms`)}</title></rect>`);
    }
  });

  // Writer lane: one tick per pixel column that saw an acknowledged (up) or failed (down) write.
  const mid = writerTop + writerH / 2;
  out.push(`<text x="${left - 10}" y="${mid + 4}" text-anchor="end">writer</text>`);
  out.push(`<rect x="${left}" y="${writerTop}" width="${plotW}" height="${writerH}" fill="#fafafa"/>`);
  out.push(`<line x1="${left}" y1="${mid}" x2="${left + plotW}" y2="${mid}" stroke="#bdbdbd"/>`);
  const okCols = new Set<number>();
  const badCols = new Set<number>();
  for (const w of input.writes) {
    if (w.t < input.from || w.t > input.to) continue;
    (w.result === 'acked' ? okCols : badCols).add(Math.round(x(w.t)));
  }
  const path = (cols: Set<number>, y0: number, dy: number) => [...cols].sort((a, b) => a - b).map((c) => `M${c} ${y0}v${dy}`).join('');
  if (okCols.size > 0) out.push(`<path d="${path(okCols, mid - 2, -(writerH / 2 - 4))}" stroke="#2e7d32" stroke-width="1"/>`);
  if (badCols.size > 0) out.push(`<path d="${path(badCols, mid + 2, writerH / 2 - 4)}" stroke="#c62828" stroke-width="1"/>`);

  // Axis: seconds relative to the fault.
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#424242"/>`);
  const stepMs = span > 20_000 ? 5000 : span > 8000 ? 2000 : span > 3000 ? 1000 : 500;
  const firstTick = Math.ceil((input.from - input.ref) / stepMs) * stepMs;
  for (let rel = firstTick; input.ref + rel <= input.to; rel += stepMs) {
    const tx = x(input.ref + rel);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${axisY}" x2="${tx.toFixed(1)}" y2="${axisY + 5}" stroke="#424242"/>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${axisY + 18}" text-anchor="middle">${rel === 0 ? '0' : `${rel > 0 ? '+' : ''}${(rel / 1000).toFixed(stepMs < 1000 ? 1 : 0)} s`}</text>`);
  }

  input.marks.forEach((m, i) => {
    if (m.t < input.from || m.t > input.to) return;
    const mx = x(m.t).toFixed(1);
    out.push(`<line x1="${mx}" y1="${top - 6}" x2="${mx}" y2="${axisY}" stroke="#d32f2f" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${mx}" y="${top - 10 - (i % 2) * 13}" fill="#d32f2f" text-anchor="middle">${escapeXml(m.label)}</text>`);
  });

  let lx = left;
  for (const role of ['primary', 'primary-fenced', 'replica', 'candidate', 'frozen', 'down'] as LaneRole[]) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[role]}"/>`);
    out.push(`<text x="${lx + 16}" y="${legendY}">${escapeXml(LABELS[role])}</text>`);
    lx += 30 + LABELS[role].length * 7;
  }
  out.push(`<path d="M${lx} ${legendY - 10}v10" stroke="#2e7d32"/><text x="${lx + 6}" y="${legendY}">acknowledged write</text>`);
  lx += 140;
  out.push(`<path d="M${lx} ${legendY - 10}v10" stroke="#c62828"/><text x="${lx + 6}" y="${legendY}">failed write</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
