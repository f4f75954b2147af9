/**
 * Small, dependency-free SVG charts for reports: line charts (training curves), overlaid
 * histograms (distance distributions) and grouped bars (metrics per recommender).
 */
const W = 560;
const H = 300;
const M = { left: 56, right: 16, top: 32, bottom: 44 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : Number(v.toPrecision(3)).toString();

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  parts: string[];
}

/** Axes, ticks, title and labels for the value ranges given; returns scales and the SVG parts. */
function frame(
  title: string,
  xLabel: string,
  yLabel: string,
  [x0, x1]: [number, number],
  [y0, y1]: [number, number],
  xTicks = true,
): Frame {
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + ((v - x0) / (x1 - x0)) * pw;
  const y = (v: number) => M.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts = [
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`,
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="#333"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    if (xTicks)
      parts.push(`<text x="${x(xv)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="10">${fmt(xv)}</text>`);
    parts.push(`<text x="${M.left - 6}" y="${y(yv) + 3}" text-anchor="end" font-size="10">${fmt(yv)}</text>`);
    parts.push(`<line x1="${M.left}" y1="${y(yv)}" x2="${M.left + pw}" y2="${y(yv)}" stroke="#eee"/>`);
  }
  return { x, y, parts };
}

function legend(names: string[]): string[] {
  return names.map(
    (n, i) =>
      `<rect x="${W - M.right - 150}" y="${M.top + 4 + i * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${W - M.right - 136}" y="${M.top + 13 + i * 16}" font-size="11">${esc(n)}</text>`,
  );
}

const svg = (parts: string[]) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>`;

const extent = (vs: number[]): [number, number] => (vs.length ? [Math.min(...vs), Math.max(...vs)] : [0, 1]);

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const f = frame(title, xLabel, yLabel, extent(series.flatMap((s) => s.x)), extent(series.flatMap((s) => s.y)));
  series.forEach((s, i) => {
    const pts = s.x.map((xv, j) => `${f.x(xv).toFixed(1)},${f.y(s.y[j]).toFixed(1)}`).join(' ');
    f.parts.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${pts}"/>`);
    if (s.x.length <= 30)
      s.x.forEach((xv, j) =>
        f.parts.push(`<circle cx="${f.x(xv)}" cy="${f.y(s.y[j])}" r="2.5" fill="${COLORS[i % COLORS.length]}"/>`),
      );
  });
  return svg([...f.parts, ...legend(series.map((s) => s.name))]);
}

/** Overlaid histograms (as density outlines) of several value sets on shared bins. */
export function histogram(
  title: string,
  xLabel: string,
  sets: Array<{ name: string; values: ArrayLike<number> }>,
  bins = 40,
): string {
  const all = sets.flatMap((s) => Array.from(s.values));
  const [lo, hi0] = extent(all);
  const hi = hi0 > lo ? hi0 : lo + 1;
  const width = (hi - lo) / bins;
  const densities = sets.map((s) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of Array.from(s.values)) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return counts.map((c) => c / Math.max(s.values.length, 1));
  });
  const f = frame(title, xLabel, 'share of users', [lo, hi], [0, Math.max(...densities.flat(), 1e-9)]);
  densities.forEach((d, i) => {
    const pts = d.flatMap((v, b) => [
      `${f.x(lo + b * width).toFixed(1)},${f.y(v).toFixed(1)}`,
      `${f.x(lo + (b + 1) * width).toFixed(1)},${f.y(v).toFixed(1)}`,
    ]);
    const color = COLORS[i % COLORS.length];
    f.parts.push(
      `<polygon fill="${color}" fill-opacity="0.25" stroke="${color}" points="${f.x(lo)},${f.y(0)} ${pts.join(' ')} ${f.x(hi)},${f.y(0)}"/>`,
    );
  });
  return svg([...f.parts, ...legend(sets.map((s) => s.name))]);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(
  title: string,
  yLabel: string,
  categories: string[],
  series: Array<{ name: string; values: number[] }>,
): string {
  const max = Math.max(...series.flatMap((s) => s.values), 1e-9);
  const f = frame(title, '', yLabel, [0, categories.length], [0, max], false);
  const group = (f.x(1) - f.x(0)) * 0.8;
  const bar = group / Math.max(series.length, 1);
  categories.forEach((c, ci) => {
    const gx = f.x(ci) + (f.x(1) - f.x(0)) * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      f.parts.push(
        `<rect x="${(gx + si * bar).toFixed(1)}" y="${f.y(v).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${(f.y(0) - f.y(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${s.name} ${c}: ${v.toFixed(4)}`)}</title></rect>`,
      );
    });
    f.parts.push(
      `<text x="${(gx + group / 2).toFixed(1)}" y="${H - M.bottom + 28}" text-anchor="middle" font-size="11">${esc(c)}</text>`,
    );
  });
  return svg([...f.parts, ...legend(series.map((s) => s.name))]);
}
