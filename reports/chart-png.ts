/*
 * PNG bar chart of the median XDP rate per case: one group per scenario, one bar
 * per mode, whiskers for min..max (or the 95 % CI) over trials. Skipped/failed
 * cases are a labelled empty slot, never a zero bar.
 */

import type { ChartConfiguration, Plugin } from 'chart.js';
import type { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import type { CaseFlag, CaseResult, RunResults, XdpMode } from '../ground/result-schema.ts';
import { ALL_MODES } from '../ground/result-schema.ts';

export type ErrorBarKind = 'minmax' | 'ci95';

export interface PpsChartOptions {
  widthPx?: number;
  heightPx?: number;
  /** What the whiskers show: 'minmax' (default) = smallest..largest trial, 'ci95' = 95 % CI of the mean. */
  errorBars?: ErrorBarKind;
}

export const DEFAULT_CHART_WIDTH_PX = 1000;
export const DEFAULT_CHART_HEIGHT_PX = 560;

/** Bar colour per mode (opaque). Flagged cases use the same hue, paler. */
export const MODE_COLOURS: Readonly<Record<XdpMode, string>> = {
  native: '#1f5fa8',
  generic: '#d9741c',
  offload: '#2e8b3e',
};

const FLAGGED_ALPHA = 0.4;
const TEXT_COLOUR = '#222222';
const MUTED_COLOUR = '#666666';
const WHISKER_COLOUR = '#111111';

/** Short labels drawn above flagged bars. */
const FLAG_SHORT: Readonly<Record<CaseFlag, string>> = {
  'generator-bound': 'lower bound',
  coupled: 'coupled',
  'sources-disagree': 'sources disagree',
  'unexpected-action': 'wrong action',
  'high-variance': 'high variance',
};

/** What sits in one (group, mode) slot of the chart. */
export type ChartSlot =
  | { kind: 'ok'; medianMpps: number; lowMpps: number; highMpps: number; flags: CaseFlag[] }
  /** No bar: 'attached' is an offload on a device without a datapath (netdevsim), 'interrupted' has fewer trials than planned: never a figure. */
  | { kind: 'skipped' | 'failed' | 'attached' | 'interrupted' | 'not run' };

/** Text of an empty slot: "offload: skipped", "offload: attached, no pps". */
export function emptySlotText(mode: XdpMode, kind: Exclude<ChartSlot['kind'], 'ok'>): string {
  return `${mode}: ${kind === 'attached' ? 'attached, no pps' : kind}`;
}

export interface PpsChartModel {
  title: string;
  /** One entry per line. */
  subtitle: string[];
  /** X axis groups (scenario, plus packet size when the run has several). */
  groups: string[];
  modes: XdpMode[];
  /** slots[modeIndex][groupIndex] */
  slots: ChartSlot[][];
}

/** The chart's content, independent of drawing. */
export function buildPpsChartModel(results: RunResults, errorBars: ErrorBarKind = 'minmax'): PpsChartModel {
  const sizes = uniq(results.cases.map((c) => c.pktSizeBytes));
  const multiSize = sizes.length > 1;
  const groupKey = (c: { scenario: string; pktSizeBytes: number }) =>
    multiSize ? `${c.scenario} (${c.pktSizeBytes} B)` : c.scenario;

  const groups = uniq([
    ...(multiSize ? [] : results.parameters.scenarios.map((s) => groupKey({ scenario: s, pktSizeBytes: sizes[0] ?? results.parameters.pktSizeBytes }))),
    ...results.cases.map(groupKey),
  ]);
  const modeSet = new Set<XdpMode>([...results.parameters.modes, ...results.cases.map((c) => c.mode)]);
  const modes = ALL_MODES.filter((m) => modeSet.has(m));

  const byKey = new Map<string, CaseResult>();
  for (const c of results.cases) byKey.set(`${groupKey(c)}\u0000${c.mode}`, c);

  const slots: ChartSlot[][] = modes.map((mode) =>
    groups.map((g): ChartSlot => {
      const c = byKey.get(`${g}\u0000${mode}`);
      if (!c) return { kind: 'not run' };
      if (c.state !== 'ok') return { kind: c.state };
      const s = c.stats.xdpPps;
      const [low, high] = errorBars === 'ci95' ? [s.ci95Low, s.ci95High] : [s.min, s.max];
      return { kind: 'ok', medianMpps: s.median / 1e6, lowMpps: low / 1e6, highMpps: high / 1e6, flags: [...c.flags] };
    }),
  );

  const sizeText = (sizes.length > 0 ? sizes : [results.parameters.pktSizeBytes]).map((b) => `${b} B`).join(', ');
  const trialCounts = uniq(results.cases.flatMap((c) => (c.state === 'ok' ? [c.stats.xdpPps.n] : [])));
  const nText = trialCounts.length === 1 ? `${trialCounts[0]} trials` : 'the trials';
  const whiskerText = errorBars === 'ci95' ? '95 % CI of the mean' : 'min..max over trials';
  return {
    title: `XDP program throughput by mode, ${sizeText} packets (run ${results.runId})`,
    subtitle: [
      `Bars: median over ${nText}. Whiskers: ${whiskerText}. Generator: ${results.parameters.generator}, ` +
        `topology: ${results.parameters.topology}.`,
      'Pale bars are flagged (red labels, explained in the report). Dashed slots: no measurement.',
    ],
    groups,
    modes,
    slots,
  };
}

/** The Chart.js configuration for the model (exported for inspection; rendering needs no DOM). */
export function buildPpsChartConfig(model: PpsChartModel): ChartConfiguration<'bar', (number | null)[], string> {
  const okSlots = model.slots.flat().filter((s): s is Extract<ChartSlot, { kind: 'ok' }> => s.kind === 'ok');
  const top = Math.max(0, ...okSlots.map((s) => Math.max(s.highMpps, s.medianMpps)));
  const maxFlagLines = Math.max(0, ...okSlots.map((s) => s.flags.length));
  // Head room for the value label and flag labels above the whiskers.
  const suggestedMax = top > 0 ? top * (1.12 + 0.06 * maxFlagLines) : 1;

  const slotAt = (datasetIndex: number, dataIndex: number): ChartSlot | undefined => model.slots[datasetIndex]?.[dataIndex];

  return {
    type: 'bar',
    data: {
      labels: model.groups,
      datasets: model.modes.map((mode, mi) => ({
        label: mode,
        data: model.slots[mi]!.map((s) => (s.kind === 'ok' ? s.medianMpps : null)),
        borderColor: MODE_COLOURS[mode],
        borderWidth: 1,
        maxBarThickness: 120,
        backgroundColor: (ctx) => {
          const s = ctx.type === 'data' ? slotAt(ctx.datasetIndex, ctx.dataIndex) : undefined;
          return s?.kind === 'ok' && s.flags.length > 0 ? withAlpha(MODE_COLOURS[mode], FLAGGED_ALPHA) : MODE_COLOURS[mode];
        },
      })),
    },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      layout: { padding: { top: 4, right: 16, bottom: 8, left: 8 } },
      plugins: {
        title: { display: true, text: model.title, color: TEXT_COLOUR, font: { size: 16, weight: 'bold' } },
        subtitle: { display: true, text: model.subtitle, color: MUTED_COLOUR, font: { size: 11 }, padding: { bottom: 8 } },
        legend: {
          display: true,
          position: 'top',
          labels: {
            color: TEXT_COLOUR,
            // Own labels: the scriptable bar colour would otherwise give the legend a flagged (pale) swatch.
            generateLabels: () => model.modes.map((mode, i) => ({
              text: mode,
              fillStyle: MODE_COLOURS[mode],
              strokeStyle: MODE_COLOURS[mode],
              fontColor: TEXT_COLOUR,
              lineWidth: 1,
              hidden: false,
              datasetIndex: i,
            })),
          },
        },
        tooltip: { enabled: false },
      },
      scales: {
        x: {
          title: { display: true, text: 'scenario', color: TEXT_COLOUR },
          ticks: { color: TEXT_COLOUR },
          grid: { display: false },
        },
        y: {
          beginAtZero: true,
          suggestedMax,
          title: { display: true, text: 'Mpps', color: TEXT_COLOUR, font: { size: 13, weight: 'bold' } },
          ticks: { color: TEXT_COLOUR },
          grid: { color: '#e3e3e3' },
        },
      },
    },
    plugins: [whiteBackgroundPlugin(), slotAnnotationsPlugin(model)],
  };
}

export async function renderPpsChartPng(results: RunResults, opts: PpsChartOptions = {}): Promise<Buffer> {
  const width = Math.round(opts.widthPx ?? DEFAULT_CHART_WIDTH_PX);
  const height = Math.round(opts.heightPx ?? DEFAULT_CHART_HEIGHT_PX);
  if (!(width > 0) || !(height > 0)) throw new RangeError(`chart size must be positive, got ${width}x${height}`);
  const renderer = await getRenderer(width, height);
  const config = buildPpsChartConfig(buildPpsChartModel(results, opts.errorBars ?? 'minmax'));
  return renderer.renderToBuffer(config as unknown as Parameters<ChartJSNodeCanvas['renderToBuffer']>[0], 'image/png');
}

/* ---- Renderer cache: chartjs-node-canvas (and canvas, Chart.js) load on first use, one instance per size. ---- */

const renderers = new Map<string, Promise<ChartJSNodeCanvas>>();

/** Shared by every PNG chart of the reports. */
export function getRenderer(width: number, height: number): Promise<ChartJSNodeCanvas> {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (!r) {
    r = import('chartjs-node-canvas').then((mod) => {
      const Ctor = mod.ChartJSNodeCanvas ?? mod.default.ChartJSNodeCanvas;
      return new Ctor({ width, height });
    });
    r.catch(() => renderers.delete(key));
    renderers.set(key, r);
  }
  return r;
}

/* ---- Inline Chart.js plugins ---- */

export function whiteBackgroundPlugin(): Plugin<'bar'> {
  return {
    id: 'xdpbWhiteBackground',
    beforeDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };
}

/** Whiskers, value and flag labels on measured bars; "mode: skipped" in empty slots. */
function slotAnnotationsPlugin(model: PpsChartModel): Plugin<'bar'> {
  return {
    id: 'xdpbSlotAnnotations',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const y = chart.scales['y'];
      if (!y) return;
      ctx.save();
      model.modes.forEach((mode, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        model.slots[di]!.forEach((slot, gi) => {
          const el = meta.data[gi] as unknown as { x: number; width: number } | undefined;
          if (!el || !Number.isFinite(el.x) || !Number.isFinite(el.width)) return;
          const barW = el.width;
          const x = el.x;
          if (slot.kind === 'ok') {
            const yLow = y.getPixelForValue(slot.lowMpps);
            const yHigh = y.getPixelForValue(slot.highMpps);
            const cap = Math.max(4, Math.min(barW * 0.3, 14));
            ctx.strokeStyle = WHISKER_COLOUR;
            ctx.lineWidth = 1.5;
            ctx.setLineDash([]);
            ctx.beginPath();
            ctx.moveTo(x, yLow);
            ctx.lineTo(x, yHigh);
            ctx.moveTo(x - cap, yHigh);
            ctx.lineTo(x + cap, yHigh);
            ctx.moveTo(x - cap, yLow);
            ctx.lineTo(x + cap, yLow);
            ctx.stroke();

            // Value and flags, stacked upwards from just above the whisker / bar top.
            let textY = Math.min(yHigh, y.getPixelForValue(slot.medianMpps)) - 4;
            ctx.textAlign = 'center';
            ctx.textBaseline = 'bottom';
            ctx.fillStyle = TEXT_COLOUR;
            ctx.font = 'bold 11px sans-serif';
            ctx.fillText(formatMppsLabel(slot.medianMpps), x, textY);
            textY -= 13;
            ctx.font = 'italic 10px sans-serif';
            ctx.fillStyle = '#b00020';
            for (const f of slot.flags) {
              ctx.fillText(FLAG_SHORT[f] ?? f, x, textY);
              textY -= 12;
            }
          } else {
            // Empty slot: dashed outline up to a fixed height and the state written upwards.
            const bottom = y.getPixelForValue(0);
            const h = Math.min(chartArea.bottom - chartArea.top - 10, 150);
            ctx.strokeStyle = MODE_COLOURS[mode];
            ctx.lineWidth = 1;
            ctx.setLineDash([4, 3]);
            ctx.strokeRect(x - barW / 2 + 1, bottom - h, barW - 2, h);
            ctx.setLineDash([]);
            ctx.save();
            ctx.translate(x, bottom - 6);
            ctx.rotate(-Math.PI / 2);
            ctx.textAlign = 'left';
            ctx.textBaseline = 'middle';
            ctx.fillStyle = MUTED_COLOUR;
            ctx.font = `${barW >= 16 ? 12 : 9}px sans-serif`;
            ctx.fillText(emptySlotText(mode, slot.kind), 0, 0, h - 10);
            ctx.restore();
          }
        });
      });
      ctx.restore();
    },
  };
}

function formatMppsLabel(mpps: number): string {
  if (mpps >= 100) return mpps.toFixed(0);
  if (mpps >= 10) return mpps.toFixed(1);
  if (mpps >= 0.1) return mpps.toFixed(2);
  return mpps.toFixed(3);
}

function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
