// Plain SVG charts of the territory dashboard: a radar of the evaluation per dimension, horizontal
// bars of practices, columns of creations per month, a gauge of freshness. The geometry is in
// pure functions (tested in test/territory-charts.test.ts); the builders only make elements.

const SVG = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number>;

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}

export interface Point {
  x: number;
  y: number;
}

/**
 * The vertex of axis `i` of `n` for `value` on a scale from `min` (the centre) to `max` (radius
 * `r`), the first axis pointing up, clockwise. Values outside the scale are brought back into it.
 */
export function radarPoint(i: number, n: number, value: number, min: number, max: number, r: number, centre: Point): Point {
  const share = (Math.min(max, Math.max(min, value)) - min) / (max - min);
  const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
  return { x: round(centre.x + Math.cos(angle) * r * share), y: round(centre.y + Math.sin(angle) * r * share) };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** `points` attribute of a polygon; axes without a value sit at the centre. */
export function radarPolygon(values: readonly (number | null)[], min: number, max: number, r: number, centre: Point): string {
  return values
    .map((v, i) => radarPoint(i, values.length, v ?? min, min, max, r, centre))
    .map((p) => `${p.x},${p.y}`)
    .join(' ');
}

export interface RadarAxis {
  label: string;
  value: number | null;
  compared: number | null;
}

/**
 * A radar chart: one axis per dimension, the territory's means (filled) over the compared
 * territory's (dashed). Described for screen readers by `description` (the page also shows the
 * values in a table).
 */
export function radarChart(axes: readonly RadarAxis[], min: number, max: number, description: string): SVGSVGElement {
  const width = 440;
  const height = 340;
  const r = 100;
  const centre = { x: width / 2, y: height / 2 };
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'radar', role: 'img', 'aria-label': description });
  chart.append(svg('title', {}, description));
  for (let step = min; step <= max; step++) {
    const ring = radarPolygon(axes.map(() => step), min, max, r, centre);
    chart.append(svg('polygon', { points: ring, class: step === 0 ? 'radar-ring radar-zero' : 'radar-ring' }));
  }
  axes.forEach((axis, i) => {
    const end = radarPoint(i, axes.length, max, min, max, r, centre);
    chart.append(svg('line', { x1: centre.x, y1: centre.y, x2: end.x, y2: end.y, class: 'radar-axis' }));
    const at = radarPoint(i, axes.length, max, min, max, r + 16, centre);
    const anchor = Math.abs(at.x - centre.x) < 5 ? 'middle' : at.x < centre.x ? 'end' : 'start';
    const lines = labelLines(axis.label, 14);
    const top = at.y < centre.y - 5 ? at.y - (lines.length - 1) * 14 : at.y > centre.y + 5 ? at.y + 8 : at.y - ((lines.length - 1) * 14) / 2;
    const text = svg('text', { x: at.x, y: round(top), 'text-anchor': anchor, class: 'radar-label' });
    lines.forEach((line, n) => text.append(svg('tspan', { x: at.x, dy: n ? 14 : 0 }, line)));
    chart.append(text);
  });
  if (axes.some((a) => a.compared !== null)) {
    chart.append(svg('polygon', { points: radarPolygon(axes.map((a) => a.compared), min, max, r, centre), class: 'radar-compared' }));
  }
  if (axes.some((a) => a.value !== null)) {
    chart.append(svg('polygon', { points: radarPolygon(axes.map((a) => a.value), min, max, r, centre), class: 'radar-here' }));
  }
  return chart;
}

/** Words of `label` gathered into lines of at most `width` characters (a longer word alone). */
export function labelLines(label: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of label.split(/\s+/).filter(Boolean)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

export interface Bar {
  label: string;
  value: number;
  colour: string;
}

/** Horizontal bars in the order given, each under its label, scaled on the largest value. */
export function barChart(bars: readonly Bar[], description: string): SVGSVGElement {
  const row = 40;
  const width = 360;
  const largest = Math.max(1, ...bars.map((b) => b.value));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${Math.max(row, bars.length * row)}`, class: 'bars', role: 'img', 'aria-label': description });
  chart.append(svg('title', {}, description));
  bars.forEach((bar, i) => {
    const y = i * row;
    const length = ((width - 40) * bar.value) / largest;
    chart.append(svg('text', { x: 0, y: y + 13, class: 'bar-label' }, bar.label));
    chart.append(svg('rect', { x: 0, y: y + 18, width: round(Math.max(2, length)), height: 16, rx: 3, fill: bar.colour }));
    chart.append(svg('text', { x: round(Math.max(2, length) + 6), y: y + 31, class: 'bar-value' }, String(bar.value)));
  });
  return chart;
}

/** Columns per month, oldest first. */
export function columnChart(columns: readonly { label: string; value: number }[], description: string): SVGSVGElement {
  const width = 460;
  const height = 140;
  const bottom = 24;
  const largest = Math.max(1, ...columns.map((c) => c.value));
  const step = Math.min(60, width / Math.max(1, columns.length));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'columns', role: 'img', 'aria-label': description });
  chart.append(svg('title', {}, description));
  columns.forEach((c, i) => {
    const h = ((height - bottom - 16) * c.value) / largest;
    const x = i * step + step * 0.15;
    chart.append(svg('rect', { x: round(x), y: round(height - bottom - h), width: round(step * 0.7), height: round(Math.max(1, h)), class: 'column' }));
    chart.append(svg('text', { x: round(x + step * 0.35), y: round(height - bottom - h - 4), 'text-anchor': 'middle', class: 'column-value' }, String(c.value)));
    if (columns.length <= 12 || i % Math.ceil(columns.length / 12) === 0) {
      chart.append(svg('text', { x: round(x + step * 0.35), y: height - 6, 'text-anchor': 'middle', class: 'column-label' }, c.label));
    }
  });
  return chart;
}

/** A gauge of a share from 0 to 1. */
export function gauge(share: number, description: string): SVGSVGElement {
  const width = 300;
  const clamped = Math.min(1, Math.max(0, share));
  const chart = svg('svg', { viewBox: `0 0 ${width} 28`, class: 'gauge', role: 'img', 'aria-label': description });
  chart.append(svg('title', {}, description));
  chart.append(svg('rect', { x: 0, y: 4, width, height: 20, rx: 10, class: 'gauge-track' }));
  chart.append(svg('rect', { x: 0, y: 4, width: round(Math.max(clamped > 0 ? 20 : 0, width * clamped)), height: 20, rx: 10, class: 'gauge-fill' }));
  return chart;
}
