/*
 * Charts as SVG text: grouped bars with whiskers, and lines with optional
 * whiskers and vertical markers. Pure and deterministic (same input, same
 * bytes), so the HTML reports that embed them can be snapshot-tested and open
 * without any script or network.
 */

export const CHART_WIDTH_PX = 1000;
export const CHART_HEIGHT_PX = 480;

const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';
const TEXT = '#222222';
const MUTED = '#666666';
const GRID = '#e3e3e3';
const WHISKER = '#111111';
const FLAG_TEXT = '#b00020';

/** Colours for series that are not modes (runs, trials, cases), in order. */
export const SERIES_PALETTE: readonly string[] = [
  '#1f5fa8', '#d9741c', '#2e8b3e', '#8e3ba8', '#b8860b', '#c0392b', '#16a0a0', '#5a5a5a', '#e377c2', '#7f7f00',
];

export function paletteColour(i: number): string {
  return SERIES_PALETTE[i % SERIES_PALETTE.length]!;
}

/* ---- bars ---- */

export interface Bar {
  value: number;
  /** Whisker ends; omitted = no whisker. */
  low?: number;
  high?: number;
  /** Text above the bar (the value with its unit). */
  label: string;
  /** Drawn pale: the figure carries a caveat. */
  pale: boolean;
  /** Short red words above the label (flags). */
  marks: string[];
}

/** A slot without a bar says why ("native: skipped"); null draws nothing. */
export type BarSlot = Bar | { missing: string } | null;

export interface BarSeries {
  name: string;
  colour: string;
  /** One slot per group. */
  slots: BarSlot[];
}

export interface BarChartSpec {
  title: string;
  subtitle: string[];
  xLabel: string;
  yLabel: string;
  groups: string[];
  series: BarSeries[];
  widthPx?: number;
  heightPx?: number;
}

export function renderBarChartSvg(spec: BarChartSpec): string {
  const width = spec.widthPx ?? CHART_WIDTH_PX;
  const height = spec.heightPx ?? CHART_HEIGHT_PX;
  const out: string[] = [];
  const headerBottom = header(out, width, spec.title, spec.subtitle, spec.series.map((s) => ({ name: s.name, colour: s.colour, dashed: false })));
  const bars = spec.series.flatMap((s) => s.slots.filter((b): b is Bar => b !== null && !('missing' in b)));
  const dataMax = Math.max(0, ...bars.map((b) => Math.max(b.value, b.high ?? b.value)));
  const maxMarks = Math.max(0, ...bars.map((b) => b.marks.length));
  const area = plotArea(width, height, headerBottom);
  // Head room for the value label and the marks stacked above the tallest whisker.
  const headroomPx = 18 + 13 * maxMarks;
  const axisTop = dataMax > 0 ? dataMax * (area.h / Math.max(area.h - headroomPx, area.h / 2)) : 1;
  const ticks = niceTicks(0, axisTop, 6);
  const yMax = ticks[ticks.length - 1]!;
  const y = (v: number) => area.y + area.h - (v / yMax) * area.h;

  yAxis(out, area, ticks, y, spec.yLabel);
  const groupW = area.w / Math.max(1, spec.groups.length);
  const nSeries = Math.max(1, spec.series.length);
  const barW = Math.min((groupW * 0.8) / nSeries, 120);
  spec.groups.forEach((g, gi) => {
    const centre = area.x + groupW * (gi + 0.5);
    out.push(text(centre, area.y + area.h + 18, g, { anchor: 'middle', size: 12 }));
    spec.series.forEach((s, si) => {
      const slot = s.slots[gi];
      if (slot === null || slot === undefined) return;
      const x = centre + (si - (nSeries - 1) / 2) * barW;
      if ('missing' in slot) {
        const h = Math.min(area.h - 10, 150);
        const bottom = y(0);
        out.push(`<rect x="${r(x - barW / 2 + 1)}" y="${r(bottom - h)}" width="${r(barW - 2)}" height="${r(h)}" fill="none" stroke="${s.colour}" stroke-dasharray="4 3"/>`);
        out.push(`<text x="${r(x)}" y="${r(bottom - 6)}" transform="rotate(-90 ${r(x)} ${r(bottom - 6)})" font-family="${FONT}" font-size="${barW >= 16 ? 12 : 9}" fill="${MUTED}" dominant-baseline="middle">${escapeXml(truncate(slot.missing, 28))}</text>`);
        return;
      }
      const top = y(slot.value);
      out.push(`<rect x="${r(x - barW / 2)}" y="${r(top)}" width="${r(barW)}" height="${r(y(0) - top)}" fill="${s.colour}" fill-opacity="${slot.pale ? 0.4 : 1}" stroke="${s.colour}"/>`);
      let labelY = top;
      if (slot.low !== undefined && slot.high !== undefined) {
        const yl = y(slot.low);
        const yh = y(slot.high);
        const cap = Math.max(4, Math.min(barW * 0.3, 14));
        out.push(`<path d="M${r(x)} ${r(yl)}V${r(yh)}M${r(x - cap)} ${r(yh)}H${r(x + cap)}M${r(x - cap)} ${r(yl)}H${r(x + cap)}" stroke="${WHISKER}" stroke-width="1.5" fill="none"/>`);
        labelY = Math.min(labelY, yh);
      }
      labelY -= 4;
      out.push(text(x, labelY, slot.label, { anchor: 'middle', size: 11, weight: 'bold' }));
      for (const m of slot.marks) {
        labelY -= 13;
        out.push(text(x, labelY, m, { anchor: 'middle', size: 10, colour: FLAG_TEXT, italic: true }));
      }
    });
  });
  out.push(text(area.x + area.w / 2, height - 8, spec.xLabel, { anchor: 'middle', size: 12 }));
  return svgDocument(width, height, spec.title, out);
}

/* ---- lines ---- */

export interface LinePoint {
  x: number;
  y: number;
  low?: number;
  high?: number;
  /** Do not join this point to the one before (a gap: nothing measured in between). */
  breakBefore?: boolean;
}

export interface LineSeries {
  name: string;
  colour: string;
  points: LinePoint[];
  dashed?: boolean;
}

export interface LineChartSpec {
  title: string;
  subtitle: string[];
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Labelled x ticks (categories such as runs); computed from the data when omitted. */
  xTicks?: { x: number; label: string }[];
  /** Vertical dashed lines with a label (e.g. a detected step). */
  markers?: { x: number; label: string }[];
  /** Start the y axis at 0 (rates); otherwise fit to the data. */
  yFromZero: boolean;
  widthPx?: number;
  heightPx?: number;
}

const MAX_X_LABELS = 12;

export function renderLineChartSvg(spec: LineChartSpec): string {
  const width = spec.widthPx ?? CHART_WIDTH_PX;
  const height = spec.heightPx ?? CHART_HEIGHT_PX;
  const out: string[] = [];
  const headerBottom = header(out, width, spec.title, spec.subtitle, spec.series.map((s) => ({ name: s.name, colour: s.colour, dashed: s.dashed ?? false })));
  const area = plotArea(width, height, headerBottom);
  const points = spec.series.flatMap((s) => s.points);
  const xs = [...points.map((p) => p.x), ...(spec.xTicks ?? []).map((t) => t.x), ...(spec.markers ?? []).map((m) => m.x)];
  let xMin = xs.length > 0 ? Math.min(...xs) : 0;
  let xMax = xs.length > 0 ? Math.max(...xs) : 1;
  if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }
  const ys = points.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]);
  let yLo = spec.yFromZero ? 0 : ys.length > 0 ? Math.min(...ys) : 0;
  let yHi = ys.length > 0 ? Math.max(...ys) : 1;
  if (!spec.yFromZero) {
    const pad = (yHi - yLo) * 0.1 || Math.abs(yHi) * 0.1 || 1;
    yLo -= pad;
    yHi += pad;
  } else if (yHi <= 0) {
    yHi = 1;
  }
  const yTicks = niceTicks(yLo, yHi, 6);
  const yMin = yTicks[0]!;
  const yMax = yTicks[yTicks.length - 1]!;
  // Room at both ends so end points and whiskers are not on the frame (half a slot on category axes).
  const xPad = Math.max(spec.xTicks ? 0.5 : 0, (xMax - xMin) * 0.03);
  const x = (v: number) => area.x + ((v - xMin + xPad) / (xMax - xMin + 2 * xPad)) * area.w;
  const y = (v: number) => area.y + area.h - ((v - yMin) / (yMax - yMin)) * area.h;

  yAxis(out, area, yTicks, y, spec.yLabel);
  const xTicks = spec.xTicks ?? niceTicks(xMin, xMax, 8).filter((v) => v >= xMin && v <= xMax).map((v) => ({ x: v, label: formatTick(v, xMax - xMin) }));
  const every = Math.ceil(xTicks.length / MAX_X_LABELS);
  xTicks.forEach((t, i) => {
    const px = x(t.x);
    out.push(`<path d="M${r(px)} ${r(area.y + area.h)}v5" stroke="${MUTED}"/>`);
    if (i % every === 0) out.push(text(px, area.y + area.h + 18, t.label, { anchor: 'middle', size: 11 }));
  });
  out.push(`<path d="M${r(area.x)} ${r(area.y + area.h)}H${r(area.x + area.w)}" stroke="${MUTED}"/>`);

  for (const m of spec.markers ?? []) {
    const px = x(m.x);
    out.push(`<path d="M${r(px)} ${r(area.y)}V${r(area.y + area.h)}" stroke="${FLAG_TEXT}" stroke-dasharray="6 4" stroke-width="1.5"/>`);
    out.push(text(px + 4, area.y + 12, m.label, { size: 11, colour: FLAG_TEXT, italic: true }));
  }
  for (const s of spec.series) {
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (sorted.length > 1) {
      const d = sorted.map((p, i) => `${i === 0 || p.breakBefore ? 'M' : 'L'}${r(x(p.x))} ${r(y(p.y))}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    for (const p of sorted) {
      if (p.low !== undefined && p.high !== undefined) {
        out.push(`<path d="M${r(x(p.x))} ${r(y(p.low))}V${r(y(p.high))}M${r(x(p.x) - 4)} ${r(y(p.low))}h8M${r(x(p.x) - 4)} ${r(y(p.high))}h8" stroke="${s.colour}" stroke-width="1.2" fill="none"/>`);
      }
      if (sorted.length <= 60) out.push(`<circle cx="${r(x(p.x))}" cy="${r(y(p.y))}" r="3" fill="${s.colour}"/>`);
    }
  }
  out.push(text(area.x + area.w / 2, height - 8, spec.xLabel, { anchor: 'middle', size: 12 }));
  return svgDocument(width, height, spec.title, out);
}

/** The SVG as a data: URI for an <img> (base64: no escaping questions). */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/**
 * Round tick values from lo to hi (both covered): steps of 1, 2 or 5 times a
 * power of ten, about `count` of them.
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const rawStep = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rawStep)!;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks.length >= 2 ? ticks : [first, first + step];
}

/** A tick label with as many decimals as the spacing needs. */
export function formatTick(value: number, span: number): string {
  const decimals = span > 0 ? Math.max(0, Math.min(6, 1 - Math.floor(Math.log10(span / 5)))) : 0;
  const s = value.toFixed(Math.min(decimals, 6));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/* ---- shared parts ---- */

interface Area { x: number; y: number; w: number; h: number }

function plotArea(width: number, height: number, top: number): Area {
  const left = 72;
  const right = 24;
  const bottom = 52;
  return { x: left, y: top, w: width - left - right, h: Math.max(60, height - top - bottom) };
}

/** Title, subtitle lines and legend; returns where the plot may start. */
function header(out: string[], width: number, title: string, subtitle: string[], legend: { name: string; colour: string; dashed: boolean }[]): number {
  let yPos = 24;
  out.push(`<rect width="${width}" height="100%" fill="#ffffff"/>`);
  out.push(text(width / 2, yPos, title, { anchor: 'middle', size: 16, weight: 'bold' }));
  for (const line of subtitle) {
    yPos += 16;
    out.push(text(width / 2, yPos, line, { anchor: 'middle', size: 11, colour: MUTED }));
  }
  if (legend.length > 0) {
    yPos += 22;
    const itemW = legend.map((l) => 28 + Math.min(l.name.length, 40) * 6.5 + 16);
    const perRow: number[][] = [[]];
    let used = 0;
    itemW.forEach((w, i) => {
      if (used + w > width - 40 && perRow[perRow.length - 1]!.length > 0) {
        perRow.push([]);
        used = 0;
      }
      perRow[perRow.length - 1]!.push(i);
      used += w;
    });
    perRow.forEach((row, ri) => {
      const rowW = row.reduce((s, i) => s + itemW[i]!, 0);
      let xPos = (width - rowW) / 2;
      const yRow = yPos + ri * 18;
      for (const i of row) {
        const l = legend[i]!;
        out.push(`<path d="M${r(xPos)} ${r(yRow - 4)}h22" stroke="${l.colour}" stroke-width="8"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
        out.push(text(xPos + 28, yRow, truncate(l.name, 40), { size: 12 }));
        xPos += itemW[i]!;
      }
    });
    yPos += (perRow.length - 1) * 18;
  }
  return yPos + 16;
}

function yAxis(out: string[], area: Area, ticks: number[], y: (v: number) => number, label: string): void {
  const span = ticks[ticks.length - 1]! - ticks[0]!;
  for (const t of ticks) {
    const py = y(t);
    out.push(`<path d="M${r(area.x)} ${r(py)}H${r(area.x + area.w)}" stroke="${GRID}"/>`);
    out.push(text(area.x - 6, py + 4, formatTick(t, span), { anchor: 'end', size: 11 }));
  }
  out.push(`<path d="M${r(area.x)} ${r(area.y)}V${r(area.y + area.h)}" stroke="${MUTED}"/>`);
  const cy = area.y + area.h / 2;
  out.push(`<text x="18" y="${r(cy)}" transform="rotate(-90 18 ${r(cy)})" text-anchor="middle" font-family="${FONT}" font-size="13" font-weight="bold" fill="${TEXT}">${escapeXml(label)}</text>`);
}

function text(
  x: number,
  y: number,
  s: string,
  o: { anchor?: 'start' | 'middle' | 'end'; size: number; weight?: 'bold'; colour?: string; italic?: boolean },
): string {
  const attrs = [
    `x="${r(x)}"`, `y="${r(y)}"`,
    o.anchor && o.anchor !== 'start' ? `text-anchor="${o.anchor}"` : '',
    `font-family="${FONT}"`, `font-size="${o.size}"`,
    o.weight ? `font-weight="${o.weight}"` : '',
    o.italic ? 'font-style="italic"' : '',
    `fill="${o.colour ?? TEXT}"`,
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`;
}

function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">` +
    `<title>${escapeXml(title)}</title>\n${body.join('\n')}\n</svg>\n`;
}

/** Coordinates to 0.1 px: stable text, no float noise. */
function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
