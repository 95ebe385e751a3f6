// A small hand-written SVG line chart: one or more panels side by side, each with axes, "nice"
// tick values (steps of 1, 2 or 5 × 10^k), a polyline per series and a legend. Enough to plot
// training curves without a plotting dependency.

export interface Series {
  name: string;
  color: string;
  /** [x, y] pairs, x increasing. */
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); by default the data's range. */
  yRange?: [number, number];
  /** Draw y on a log₁₀ scale (losses spanning decades). */
  logY?: boolean;
  /** Where the legend goes: away from the curves (falling curves: 'top', rising: 'bottom'). */
  legend: 'top' | 'bottom';
}

const WIDTH = 460;
const HEIGHT = 320;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };
// Polylines longer than this are thinned (evenly, keeping the last point): a 10 000-epoch curve
// looks the same with 800 points and the file stays small.
const MAX_POINTS = 800;

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Tick values covering [lo, hi] at a step of 1, 2 or 5 × 10^k giving about `count` ticks. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const values: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

const label = (v: number): string => (Math.abs(v) >= 1e7 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(0) : String(v));

function thin(points: Array<[number, number]>): Array<[number, number]> {
  if (points.length <= MAX_POINTS) return points;
  const stride = points.length / MAX_POINTS;
  const kept: Array<[number, number]> = [];
  for (let i = 0; i < MAX_POINTS - 1; i++) kept.push(points[Math.floor(i * stride)]);
  kept.push(points[points.length - 1]);
  return kept;
}

function panelSvg(panel: Panel, offsetX: number): string {
  const parts: string[] = [];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = panel.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => (panel.logY ? Math.log10(y) : y));
  // No point at all (e.g. Ctrl-C during the first epoch): an empty frame over epochs 0–1.
  let [xMin, xMax] = all.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [yMin, yMax] = panel.yRange ?? (all.length > 0 ? [Math.min(...ys), Math.max(...ys)] : (panel.logY ? [-1, 0] : [0, 1]));
  if (!(xMax > xMin)) [xMin, xMax] = [xMin - 0.5, xMin + 0.5];
  if (!(yMax > yMin)) [yMin, yMax] = [yMin - 1, yMin + 1];
  if (panel.logY) [yMin, yMax] = [Math.floor(yMin), Math.ceil(yMax)];
  if (all.length === 0) parts.push(`<text x="${offsetX + MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2}" y="${MARGIN.top + (HEIGHT - MARGIN.top - MARGIN.bottom) / 2}" text-anchor="middle" fill="#888">no completed epoch</text>`);
  const px = (x: number) => offsetX + MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - ((panel.logY ? Math.log10(y) : y) - yMin) / (yMax - yMin)) * plotH;

  parts.push(`<text x="${offsetX + WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">${escape(panel.title)}</text>`);
  const yTicks = panel.logY
    ? Array.from({ length: yMax - yMin + 1 }, (_, i) => 10 ** (yMin + i))
    : ticks(yMin, yMax);
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${px(xMin)}" x2="${px(xMax)}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${px(xMin) - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`);
  }
  // The x axis counts epochs: whole numbers only.
  for (const t of ticks(xMin, xMax).filter((t) => t >= xMin && Number.isInteger(t))) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#444"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  parts.push(`<rect x="${px(xMin)}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${offsetX + MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escape(panel.xLabel)}</text>`);
  parts.push(`<text transform="translate(${offsetX + 16} ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(panel.yLabel)}</text>`);
  panel.series.forEach((series, i) => {
    const points = thin(series.points.filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0)));
    if (points.length > 0) {
      const path = points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="1.8"/>`);
    }
    // A polyline of one point draws nothing: mark the points of short runs.
    if (points.length < 20) {
      for (const [x, y] of points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${series.color}"/>`);
    }
    const ly = panel.legend === 'top'
      ? MARGIN.top + 14 + i * 16
      : MARGIN.top + plotH - 14 - (panel.series.length - 1 - i) * 16;
    const lx = offsetX + MARGIN.left + plotW - 120;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escape(series.name)}</text>`);
  });
  return parts.join('\n  ');
}

/** An SVG document with the panels side by side under a common title and subtitle. */
export function chartsSvg(title: string, subtitle: string, panels: Panel[]): string {
  const width = WIDTH * panels.length;
  const height = HEIGHT + 44;
  const body = panels.map((panel, i) => `<g transform="translate(0 44)">\n  ${panelSvg(panel, i * WIDTH)}\n</g>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>
<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${escape(subtitle)}</text>
${body}
</svg>
`;
}
