/*
 * A history of runs (harness/analysis/history.ts) rendered as terminal text,
 * Markdown, HTML (with charts) and JSON.
 */

import type { History, HistoryPoint, HistoryStep } from '../harness/analysis/history.ts';
import { NOT_AVAILABLE, formatPValue, formatPps, formatSignedPercent, wrapText } from '../ground/format.ts';
import { chartFigure, htmlDocument, htmlTable, list, paragraph } from './html.ts';
import { escapeInline, markdownTable } from './markdown.ts';
import { paletteColour, renderLineChartSvg, type LineChartSpec } from './svg-chart.ts';
import { renderAlignedTable } from './terminal-table.ts';

function stepText(h: History, s: HistoryStep): string {
  return `${formatSignedPercent(s.changeFraction)} at ${h.runs[s.run]!.label} (${formatPps(s.beforeMean)} -> ${formatPps(s.afterMean)}, p ${formatPValue(s.p)}) ${s.direction === 'regression' ? 'REGRESSION' : 'improvement'}`;
}

export function buildHistoryTable(h: History): { headers: string[]; aligns: ('left' | 'right')[]; rows: string[][] } {
  const headers = ['case', 'metric', 'runs measured', 'first', 'last', 'lowest', 'highest', 'steps'];
  const aligns: ('left' | 'right')[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'];
  const rows = h.series.map((s) => {
    const ok = s.points.filter((p): p is Extract<HistoryPoint, { state: 'ok' }> => p.state === 'ok');
    return [
      s.key,
      s.metric,
      `${ok.length}/${s.points.length}`,
      formatPps(ok[0]?.mean),
      formatPps(ok[ok.length - 1]?.mean),
      ok.length > 0 ? formatPps(Math.min(...ok.map((p) => p.mean))) : NOT_AVAILABLE,
      ok.length > 0 ? formatPps(Math.max(...ok.map((p) => p.mean))) : NOT_AVAILABLE,
      s.steps.length > 0 ? s.steps.map((x) => stepText(h, x)).join('; ') : 'none',
    ];
  });
  return { headers, aligns, rows };
}

/** One line chart per metric: a line per case, markers at the steps. */
export function historyChartSpecs(h: History): LineChartSpec[] {
  return h.metrics.map((metric) => {
    const series = h.series.filter((s) => s.metric === metric);
    return {
      title: `${metric} over ${h.runs.length} runs`,
      subtitle: [`Points: mean over each run's trials; whiskers: min..max over its trials. Lines break where a run did not measure the case. Dashed red lines: detected steps.`],
      xLabel: 'run (start time, UTC)',
      yLabel: 'Mpps',
      series: series.map((s, i) => ({
        name: s.key,
        colour: paletteColour(i),
        points: s.points.flatMap((p, i) => (p.state === 'ok'
          ? [{ x: p.run, y: p.mean / 1e6, low: p.min / 1e6, high: p.max / 1e6, breakBefore: i > 0 && s.points[i - 1]!.state !== 'ok' }]
          : [])),
      })),
      xTicks: h.runs.map((r) => ({ x: r.index, label: r.label })),
      markers: series.flatMap((s) => s.steps.map((st) => ({ x: st.run - 0.5, label: `${s.key} ${formatSignedPercent(st.changeFraction)}` }))),
      yFromZero: true,
    };
  });
}

/** How many steps were found, or why none could be. */
export function stepSummary(h: History): string {
  const steps = h.series.reduce((n, s) => n + s.steps.length, 0);
  if (steps > 0) return `${steps} step change${steps === 1 ? '' : 's'} detected.`;
  const needed = 2 * h.options.minSegmentRuns;
  if (h.runs.length < needed) return `No step change can be detected yet: that needs at least ${needed} runs (${h.options.minSegmentRuns} on each side), there are ${h.runs.length}.`;
  return 'No step change detected.';
}

function runLines(h: History): string[] {
  return h.runs.map((r) => `${r.label}: ${r.source} (run ${r.runId}, host ${r.host}, kernel ${r.kernel})`);
}

export function renderHistoryTerminal(h: History): string {
  const lines = [`History of ${h.runs.length} run${h.runs.length === 1 ? '' : 's'}${h.runs.length > 0 ? ` from ${h.runs[0]!.startedAt} to ${h.runs[h.runs.length - 1]!.startedAt}` : ''}:`];
  for (const l of runLines(h)) lines.push(`  ${l}`);
  if (h.skipped.length > 0) {
    lines.push('Not used:');
    for (const s of h.skipped) lines.push(`  ${s.source}: ${s.reason.replace(/\n\s*/g, '\n    ')}`);
  }
  lines.push('');
  const t = buildHistoryTable(h);
  if (t.rows.length > 0) lines.push(...renderAlignedTable(t.headers, t.aligns, t.rows));
  else lines.push('No cases.');
  lines.push('', ...wrapText(h.method, 110));
  lines.push('', stepSummary(h));
  return `${lines.join('\n')}\n`;
}

export function renderHistoryMarkdown(h: History, chartFiles: readonly string[] = []): string {
  const out = ['# XDP bench history', '', '## Runs', '', ...runLines(h).map((l) => `- ${escapeInline(l)}`), ''];
  if (h.skipped.length > 0) out.push('Not used:', '', ...h.skipped.map((s) => `- ${escapeInline(`${s.source}: ${s.reason}`)}`), '');
  const t = buildHistoryTable(h);
  out.push('## Trends', '', escapeInline(h.method), '', escapeInline(stepSummary(h)), '', t.rows.length > 0 ? markdownTable(t.headers, t.aligns, t.rows) : 'No cases.', '');
  for (const [i, f] of chartFiles.entries()) out.push(`![${h.metrics[i] ?? 'trend'} over runs](${f})`, '');
  return `${out.join('\n').trimEnd()}\n`;
}

export function renderHistoryJson(h: History): string {
  return `${JSON.stringify({ kind: 'xdp-bench-history', ...h }, null, 2)}\n`;
}

export function renderHistoryHtml(h: History): string {
  const body = [`<h1>XDP bench history: ${h.runs.length} runs</h1>`];
  body.push('<h2>Runs</h2>', list(runLines(h)));
  if (h.skipped.length > 0) body.push(paragraph('Not used:'), list(h.skipped.map((s) => `${s.source}: ${s.reason}`)));
  body.push('<h2>Trends</h2>', paragraph(h.method), paragraph(stepSummary(h)));
  const t = buildHistoryTable(h);
  body.push(t.rows.length > 0
    ? htmlTable(t.headers, t.aligns, t.rows, h.series.map((s) => (s.steps.some((x) => x.direction === 'regression') ? 'regression' : s.steps.length > 0 ? 'improvement' : '')))
    : paragraph('No cases.'));
  body.push('<h2>Charts</h2>');
  for (const spec of historyChartSpecs(h)) body.push(chartFigure(renderLineChartSvg(spec), spec.title));
  return htmlDocument(`XDP bench history (${h.runs.length} runs)`, body);
}
