/*
 * Self-contained HTML reports: one file, inline CSS, charts as inline SVG in
 * data: URIs, no script, and a Content-Security-Policy that forbids loading
 * anything from elsewhere. The run report is built from the same SummaryTable
 * the terminal table and the Markdown report use.
 */

import type { CaseResult, LatencyRecord, OkCase, RunResults } from '../ground/result-schema.ts';
import { MODE_COLOURS, buildPpsChartModel, emptySlotText } from './chart-png.ts';
import { formatBytes, formatErrno, formatMs, formatNs, formatPercent, formatPps } from '../ground/format.ts';
import { environmentFields, methodologyParagraphs, parameterFields, runCaveats, runFields, type Field } from '../ground/run-info.ts';
import { attachedLabel, buildSummaryTable, caseLabel, partialFigureText, type SummaryTable } from './summary-table.ts';
import {
  paletteColour,
  renderBarChartSvg,
  renderLineChartSvg,
  svgDataUri,
  type BarChartSpec,
  type LineChartSpec,
  type LineSeries,
} from './svg-chart.ts';

/* ---- building blocks ---- */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222;margin:24px auto;max-width:1100px;padding:0 16px;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f2f2f2;text-align:left}td.r{text-align:right;white-space:nowrap}
tr.skipped td,tr.attached td,tr.failed td{color:#666}tr.failed td{background:#fff0f0}tr.flagged td{background:#fffbea}
tr.regression td{background:#fde8e8}tr.improvement td{background:#e8f6ea}
.verdict{padding:10px 14px;border-radius:4px;font-weight:bold;margin:1em 0}
.verdict.pass{background:#e8f6ea;border:1px solid #2e8b3e}.verdict.regression{background:#fde8e8;border:1px solid #b00020}
.verdict.not-comparable{background:#fff4e0;border:1px solid #d9741c}
.flag{color:#b00020;font-style:italic}.muted{color:#666}figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{color:#666;font-size:.85em}code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:.9em}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
`;

/** A complete HTML document. `body` is HTML already escaped by the caller. */
export function htmlDocument(title: string, body: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Nothing may be fetched when the report is viewed: images are data: URIs, styles inline, no scripts.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS.trim()}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A table of plain-text cells (escaped here). */
export function htmlTable(
  headers: readonly string[],
  aligns: readonly ('left' | 'right')[],
  rows: readonly (readonly string[])[],
  rowClasses: readonly string[] = [],
): string {
  const th = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((cells, i) => {
    const cls = rowClasses[i] ? ` class="${escapeHtml(rowClasses[i]!)}"` : '';
    const tds = cells.map((c, j) => `<td${aligns[j] === 'right' ? ' class="r"' : ''}>${escapeHtml(c)}</td>`).join('');
    return `<tr${cls}>${tds}</tr>`;
  });
  return ['<table>', `<thead><tr>${th}</tr></thead>`, '<tbody>', ...trs, '</tbody>', '</table>'].join('\n');
}

export function fieldsTable(fields: readonly Field[]): string {
  return htmlTable(['Field', 'Value'], ['left', 'left'], fields.map(([k, v]) => [k, v]));
}

/** An SVG chart as an <img> with a data: URI. */
export function chartFigure(svg: string, alt: string, caption?: string): string {
  const size = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  const dims = size ? ` width="${size[1]}" height="${size[2]}"` : '';
  return `<figure><img class="chart" alt="${escapeHtml(alt)}"${dims} src="${svgDataUri(svg)}">` +
    `${caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : ''}</figure>`;
}

export function paragraph(text: string, cls?: string): string {
  return `<p${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</p>`;
}

export function list(items: readonly string[]): string {
  return ['<ul>', ...items.map((i) => `<li>${escapeHtml(i)}</li>`), '</ul>'].join('\n');
}

/* ---- charts of one run ---- */

/** Median pps per scenario and mode, whiskers min..max over trials (same model as chart.png). */
export function ppsBarChartSpec(results: RunResults): BarChartSpec {
  const model = buildPpsChartModel(results, 'minmax');
  return {
    title: model.title,
    subtitle: model.subtitle,
    xLabel: 'scenario',
    yLabel: 'Mpps',
    groups: model.groups,
    series: model.modes.map((mode, mi) => ({
      name: mode,
      colour: MODE_COLOURS[mode],
      slots: model.slots[mi]!.map((slot) =>
        slot.kind === 'ok'
          ? { value: slot.medianMpps, low: slot.lowMpps, high: slot.highMpps, label: formatPps(slot.medianMpps * 1e6), pale: slot.flags.length > 0, marks: [...slot.flags] }
          : { missing: emptySlotText(mode, slot.kind) }),
    })),
  };
}

/** Median pps against packet size, one line per scenario/mode; null when the run has one size. */
export function ppsBySizeChartSpec(results: RunResults): LineChartSpec | null {
  const ok = results.cases.filter((c): c is OkCase => c.state === 'ok');
  const sizes = [...new Set(ok.map((c) => c.pktSizeBytes))].sort((a, b) => a - b);
  if (sizes.length < 2) return null;
  const keys = [...new Set(ok.map((c) => `${c.scenario}/${c.mode}`))];
  const series: LineSeries[] = keys.map((key, i) => {
    const cases = ok.filter((c) => `${c.scenario}/${c.mode}` === key);
    const mode = cases[0]!.mode;
    const sameMode = keys.filter((k) => k.endsWith(`/${mode}`)).length === 1;
    return {
      name: key,
      colour: sameMode ? MODE_COLOURS[mode] : paletteColour(i),
      points: cases.map((c) => ({ x: c.pktSizeBytes, y: c.stats.xdpPps.median / 1e6, low: c.stats.xdpPps.min / 1e6, high: c.stats.xdpPps.max / 1e6 })),
    };
  });
  return {
    title: `XDP program throughput by packet size (run ${results.runId})`,
    subtitle: ['Points: median over trials. Whiskers: min..max over trials. Sizes on the wire, including the 4-byte FCS.'],
    xLabel: 'packet size (bytes)',
    yLabel: 'Mpps',
    series,
    xTicks: sizes.map((s) => ({ x: s, label: formatBytes(s) })),
    yFromZero: true,
  };
}

/** The program's rate in each sampling interval of each trial of one case. */
export function trialTimeSeriesSpec(c: OkCase, label: string, sampleIntervalMs: number): LineChartSpec {
  return {
    title: `${label}, ${formatBytes(c.pktSizeBytes)}: XDP program rate during each trial`,
    subtitle: [`One line per trial; one point per sample (the rate over its sampling interval, nominally ${formatMs(sampleIntervalMs)}; all actions, all CPUs). Warm-up not shown.`],
    xLabel: 'time since trial start (s)',
    yLabel: 'Mpps',
    series: c.trials.map((t, i) => ({
      name: `trial ${t.index}`,
      colour: paletteColour(i),
      points: t.samples.map((s) => ({
        x: (s.tStartMs + s.durationMs / 2) / 1000,
        y: Object.values(s.progPps).reduce((a, b) => a + b, 0) / 1e6,
      })),
    })),
    yFromZero: true,
  };
}

/* ---- the run report ---- */

export interface RunHtmlOptions {
  /** Heading level of the run's sections (2 in a report of its own, 3 inside a merged report). */
  level?: 2 | 3;
  /** Leave out the h1 title (inside a merged report). */
  embedded?: boolean;
}

/** The HTML sections describing one run (summary, flags, charts, environment, parameters, methodology). */
export function runSectionsHtml(results: RunResults, table: SummaryTable = buildSummaryTable(results), opts: RunHtmlOptions = {}): string[] {
  const h = `h${opts.level ?? 2}`;
  const heading = (s: string) => `<${h}>${escapeHtml(s)}</${h}>`;
  const out: string[] = [];

  if (!opts.embedded) out.push(`<h1>XDP bench report: ${escapeHtml(results.runId)}</h1>`);
  out.push(paragraph(runFields(results).map(([k, v]) => `${k}: ${v}`).join(' · '), 'muted'));
  if (results.state !== 'complete') out.push(`<p class="verdict not-comparable">Warning: the run is ${escapeHtml(results.state)}${results.failure ? ` (${escapeHtml(results.failure.stage)}: ${escapeHtml(results.failure.reason)})` : ''}; some cases may be missing or incomplete.</p>`);

  out.push(heading('Summary'));
  if (table.rows.length === 0) {
    out.push(paragraph('No cases recorded.'));
  } else {
    out.push(paragraph('XDP median, CV, 95 % CI and min-max are over the trials of each case; the CI is that of the mean (Student\'s t). Rates are frames per second.'));
    out.push(htmlTable(
      table.columns.map((c) => c.header),
      table.columns.map((c) => c.align),
      table.rows.map((r) => table.columns.map((c) => r.cells[c.id])),
      table.rows.map((r) => (r.state !== 'ok' ? r.state : r.flags.length > 0 ? 'flagged' : 'ok')),
    ));
  }

  out.push(heading('Flags and caveats'));
  const caveats = runCaveats(results);
  if (caveats.length > 0) out.push(list(caveats));
  if (table.flagExplanations.length > 0) {
    out.push('<dl>');
    for (const f of table.flagExplanations) {
      const cases = table.rows.filter((r) => r.flags.includes(f.flag)).map((r) => r.label);
      out.push(`<dt class="flag">${escapeHtml(f.flag)}</dt><dd>${escapeHtml(f.text)}. Cases: ${escapeHtml(cases.join(', '))}.</dd>`);
    }
    out.push('</dl>');
  } else {
    out.push(paragraph('No case carries a flag.'));
  }
  if (table.notes.length > 0) out.push(paragraph('Notes:'), list(table.notes.map((n) => `${n.label}: ${n.note}`)));
  const notOk = results.cases.filter((c) => c.state !== 'ok');
  if (notOk.length > 0) {
    const withSize = new Set(results.cases.map((c) => c.pktSizeBytes)).size > 1;
    out.push(paragraph('Cases without a measurement, with the reason as recorded:'));
    out.push(htmlTable(['case', 'state', 'reason'], ['left', 'left', 'left'], notOk.map((c) => [caseLabel(c, withSize), c.state, reasonText(c)]), notOk.map((c) => c.state)));
  }

  out.push(heading('Charts'));
  const ok = results.cases.filter((c): c is OkCase => c.state === 'ok');
  out.push(chartFigure(renderBarChartSvg(ppsBarChartSpec(results)), 'XDP program throughput per scenario and mode', 'Throughput per scenario and mode.'));
  const bySize = ppsBySizeChartSpec(results);
  if (bySize) out.push(chartFigure(renderLineChartSvg(bySize), 'XDP program throughput by packet size', 'Throughput by packet size.'));
  const withSize = new Set(results.cases.map((c) => c.pktSizeBytes)).size > 1;
  for (const c of ok) {
    const label = caseLabel(c, withSize);
    out.push(chartFigure(renderLineChartSvg(trialTimeSeriesSpec(c, label, results.parameters.sampleIntervalMs)), `${label}: rate per sample in each trial`));
  }
  if (ok.length === 0) out.push(paragraph('No case was measured: there are no time series to draw.'));

  out.push(heading('Latency percentiles'), ...latencyHtml(results));

  out.push(heading('Environment'), fieldsTable(environmentFields(results)));
  out.push(heading('Parameters'), fieldsTable(parameterFields(results)));
  out.push(heading('Methodology'), ...methodologyParagraphs(results).map((p) => paragraph(p)));
  return out;
}

/* ---- latency (bench run --latency) ---- */

const LATENCY_PERCENTILES = [
  ['p50', 'p50Ns'],
  ['p90', 'p90Ns'],
  ['p99', 'p99Ns'],
  ['p99.9', 'p999Ns'],
] as const;

function loadText(r: LatencyRecord): string {
  return r.loadFraction === 0 ? 'idle' : `${formatPercent(r.loadFraction, 0)} of max`;
}

/** RTT percentiles per mode and background load, one group per record, one bar per percentile; null when nothing was measured. */
export function latencyChartSpec(results: RunResults): BarChartSpec | null {
  const measured = (results.latency ?? []).filter((r) => r.state === 'ok' && r.summary && r.summary.p50Ns !== null);
  if (measured.length === 0) return null;
  return {
    title: `Round-trip latency through an XDP_TX reflector by mode and background load (run ${results.runId})`,
    subtitle: ['Bars: RTT percentiles over the probes that came back. Load: fraction of the reflector\'s measured maximum rate.'],
    xLabel: 'mode @ background load',
    yLabel: 'µs',
    groups: measured.map((r) => `${r.mode} @ ${loadText(r)}`),
    series: LATENCY_PERCENTILES.map(([name, key], i) => ({
      name,
      colour: paletteColour(i),
      slots: measured.map((r) => {
        const ns = r.summary![key];
        return ns === null ? { missing: `${name}: none` } : { value: ns / 1e3, label: formatNs(ns), pale: false, marks: [] };
      }),
    })),
  };
}

export function latencyHtml(results: RunResults): string[] {
  const records = results.latency ?? [];
  if (records.length === 0) return [paragraph('Not measured in this run (bench run --latency measures them).', 'muted')];
  const rows = records.map((r) => {
    const s = r.summary;
    return [
      r.mode,
      loadText(r),
      r.targetLoadPps > 0 ? `${formatPps(r.targetLoadPps)} (sent ${formatPps(r.achievedLoadPps)})` : '-',
      s ? `${s.n}/${s.sent}` : '-',
      s ? `${s.lost} (${formatPercent(s.lossRatio)})` : '-',
      ...LATENCY_PERCENTILES.map(([, key]) => formatNs(s?.[key])),
      formatNs(s?.maxNs),
      r.state === 'ok' ? 'ok' : `${r.state}: ${r.reason ?? ''}`,
    ];
  });
  const out = [htmlTable(
    ['mode', 'background load', 'load rate', 'replies/probes', 'lost', ...LATENCY_PERCENTILES.map(([n]) => n), 'max', 'state'],
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    rows,
    records.map((r) => (r.state === 'ok' ? 'ok' : r.state)),
  )];
  const spec = latencyChartSpec(results);
  if (spec) out.push(chartFigure(renderBarChartSvg(spec), 'Round-trip latency percentiles by mode and load'));
  return out;
}

export function renderRunHtml(results: RunResults, table: SummaryTable = buildSummaryTable(results)): string {
  return htmlDocument(`XDP bench report: ${results.runId}`, runSectionsHtml(results, table));
}

export function reasonText(c: CaseResult): string {
  if (c.state === 'ok') return '';
  if (c.state === 'failed') return `at ${c.stage}: ${c.reason}`;
  if (c.state === 'attached') return [`${attachedLabel(c)}: ${c.reason}`, `prog id ${c.progId}, tag ${c.progTag}`, ...c.notes].join('; ');
  if (c.state === 'interrupted') return `${c.reason}: ${partialFigureText(c)}`;
  const parts = [c.reason];
  if (c.kernelMessage !== undefined && !c.reason.includes(c.kernelMessage)) parts.push(`kernel: ${c.kernelMessage}`);
  if (c.errno !== undefined) parts.push(`errno ${formatErrno(c.errno)}`);
  return parts.join('; ');
}
