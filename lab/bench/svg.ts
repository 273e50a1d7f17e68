/**
 * Hand-written SVG: one row per series, every measurement a dot, with a
 * min–max line and a median tick, on a logarithmic millisecond axis.
 */
export interface Series {
  label: string;
  values: number[];
  color: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function stripChart(title: string, series: Series[], opts: { unit?: string; width?: number } = {}): string {
  const width = opts.width ?? 820;
  const left = 230;
  const right = 30;
  const rowH = 26;
  const top = 44;
  const height = top + series.length * rowH + 50;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1, Math.min(...(all.length ? all : [10]))))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...(all.length ? all : [1000])) * 1.01)));
  const x = (v: number) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (width - left - right);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  const axisY = top + series.length * rowH + 6;
  for (let d = lo; d <= hi; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi) break;
      const xx = x(v).toFixed(1);
      out.push(`<line x1="${xx}" x2="${xx}" y1="${top - 6}" y2="${axisY}" stroke="${m === 1 ? '#bbb' : '#eee'}"/>`);
      out.push(`<text x="${xx}" y="${axisY + 16}" text-anchor="middle" fill="#444">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
    }
  }
  out.push(`<text x="${(left + width - right) / 2}" y="${axisY + 36}" text-anchor="middle" fill="#444">${esc(opts.unit ?? 'milliseconds (log scale)')}</text>`);
  series.forEach((s, i) => {
    const y = top + i * rowH + rowH / 2;
    out.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(s.label)}</text>`);
    const vals = s.values.filter((v) => Number.isFinite(v));
    if (vals.length === 0) {
      out.push(`<text x="${left + 4}" y="${y + 4}" fill="#999">no data</text>`);
      return;
    }
    const sorted = [...vals].sort((a, b) => a - b);
    const med = sorted[Math.ceil(sorted.length / 2) - 1]!;
    out.push(`<line x1="${x(sorted[0]!).toFixed(1)}" x2="${x(sorted.at(-1)!).toFixed(1)}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-opacity="0.5"/>`);
    for (const v of vals) out.push(`<circle cx="${x(v).toFixed(1)}" cy="${y}" r="3.2" fill="${s.color}" fill-opacity="0.55"/>`);
    out.push(`<line x1="${x(med).toFixed(1)}" x2="${x(med).toFixed(1)}" y1="${y - 9}" y2="${y + 9}" stroke="black" stroke-width="2"/>`);
  });
  out.push(`<text x="${width - right}" y="${height - 6}" text-anchor="end" fill="#666" font-size="10">dots: one failover each; black tick: median</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export const COLORS = { 'resp-elect': '#1f77b4', sentinel: '#d62728' } as const;
