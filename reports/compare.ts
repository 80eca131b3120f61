/*
 * A comparison of runs (harness/analysis/compare.ts) rendered as terminal
 * text, Markdown, HTML (with charts) and JSON. All from the same table.
 */

import type { Change, Comparison, ComparisonCell, ComparisonRow, RunRef, Side, Verdict } from '../harness/analysis/compare.ts';
import { METRIC_IDS, METRICS } from '../harness/analysis/metrics.ts';
import { MODE_COLOURS } from './chart-png.ts';
import {
  NOT_AVAILABLE,
  formatPValue,
  formatPercent,
  formatPps,
  formatSignedPercent,
  formatSignedPps,
  wrapText,
} from '../ground/format.ts';
import { chartFigure, escapeHtml, htmlDocument, htmlTable, list, paragraph } from './html.ts';
import { escapeInline, markdownTable } from './markdown.ts';
import { paletteColour, renderBarChartSvg, type BarChartSpec } from './svg-chart.ts';
import { renderAlignedTable } from './terminal-table.ts';

/* ---- the table every renderer shows ---- */

export interface CompareTable {
  headers: string[];
  aligns: ('left' | 'right')[];
  rows: string[][];
  /** Per row: its change, for styling. */
  changes: Change[];
}

function sideText(s: Side): string {
  if (s.state === 'ok') return `${formatPps(s.mean)} (CV ${formatPercent(s.cv)})`;
  return s.state;
}

function changeText(cell: ComparisonCell): string {
  switch (cell.change) {
    case 'regression': return 'REGRESSION';
    case 'improvement': return 'improvement';
    case 'within-noise': return 'within noise';
    case 'untested': return `untested: ${cell.why ?? ''}`;
    case 'not-comparable': return `not comparable: ${cell.why ?? ''}`;
  }
}

export function buildCompareTable(c: Comparison): CompareTable {
  const several = c.runs.length > 2;
  const headers = ['case', 'metric', `${c.runs[0]!.label} (baseline)`];
  if (several) headers.push('vs');
  headers.push(several ? 'candidate' : `${c.runs[1]!.label}`, 'delta', 'delta %', 'p (Welch)', 'significant', 'change');
  const aligns: ('left' | 'right')[] = headers.map((h) => (['case', 'metric', 'vs', 'significant', 'change'].includes(h) ? 'left' : 'right'));
  const rows: string[][] = [];
  const changes: Change[] = [];
  for (const row of c.rows) {
    for (const cell of row.cells) {
      const cells = [row.key, row.metric, sideText(row.baseline)];
      if (several) cells.push(c.runs[cell.run]!.label);
      cells.push(
        sideText(cell.side),
        formatSignedPps(cell.deltaPps),
        formatSignedPercent(cell.deltaFraction),
        cell.test?.test === 'welch-t' ? formatPValue(cell.test.pTwoSided) : NOT_AVAILABLE,
        cell.significant === null ? NOT_AVAILABLE : cell.significant ? 'yes' : 'no',
        changeText(cell),
      );
      rows.push(cells);
      changes.push(cell.change);
    }
  }
  return { headers, aligns, rows, changes };
}

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  pass: 'PASS',
  regression: 'REGRESSION',
  'not-comparable': 'NOT COMPARABLE',
};

function runLine(r: RunRef): string {
  if (r.problem) return `${r.label} = ${r.source}: not usable: ${r.problem.replace(/\n\s*/g, '\n      ')}`;
  return `${r.label} = ${r.source} (run ${r.runId}, started ${r.startedAt}, host ${r.host}, kernel ${r.kernel})`;
}

function methodText(c: Comparison): string {
  return `Values: mean over trials (CV = stddev / mean over trials). Significance: ${c.test}, significant when p < ${c.alpha}. ` +
    'delta = candidate mean - baseline mean; delta % relative to the baseline mean. ' +
    `A significant change is a regression when it goes the wrong way for the metric (${METRIC_IDS.map((m) => `${m}: ${METRICS[m].better} is better`).join('; ')}).`;
}

function thresholdRows(c: Comparison): string[][] {
  return c.thresholds.map((t) => [t.outcome === 'fail' ? 'FAIL' : t.outcome, t.threshold, t.observed ?? NOT_AVAILABLE, t.detail]);
}

/* ---- renderers ---- */

export function renderComparisonTerminal(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`Comparing ${c.runs.length} runs against baseline ${c.runs[0]!.label}:`);
  for (const r of c.runs) lines.push(`  ${runLine(r)}`);
  lines.push('');
  const t = buildCompareTable(c);
  if (t.rows.length > 0) lines.push(...renderAlignedTable(t.headers, t.aligns, t.rows), '');
  else lines.push('No cases to compare.', '');
  lines.push(...wrapText(methodText(c), 110));
  if (c.thresholds.length > 0) {
    lines.push('', 'Thresholds:');
    lines.push(...renderAlignedTable(['outcome', 'threshold', 'change', 'detail'], ['left', 'left', 'right', 'left'], thresholdRows(c)).map((l) => `  ${l}`));
  }
  if (c.differences.length > 0) {
    lines.push('', 'Not like for like (these differ between runs):');
    for (const d of c.differences) lines.push(`  ${d}`);
  }
  lines.push('', `Verdict: ${VERDICT_TEXT[c.verdict]}`);
  for (const r of c.reasons) lines.push(`  ${r.replace(/\n\s*/g, '\n    ')}`);
  return `${lines.join('\n')}\n`;
}

export function renderComparisonMarkdown(c: Comparison, title = 'XDP bench comparison'): string {
  const out: string[] = [`# ${escapeInline(title)}`, ''];
  out.push(`**Verdict: ${VERDICT_TEXT[c.verdict]}**`, '');
  for (const r of c.reasons) out.push(`- ${escapeInline(r)}`);
  out.push('', '## Runs', '');
  for (const r of c.runs) out.push(`- ${escapeInline(runLine(r))}`);
  out.push('', '## Comparison', '', escapeInline(methodText(c)), '');
  const t = buildCompareTable(c);
  out.push(t.rows.length > 0 ? markdownTable(t.headers, t.aligns, t.rows) : 'No cases to compare.', '');
  if (c.thresholds.length > 0) {
    out.push('## Thresholds', '', markdownTable(['outcome', 'threshold', 'change', 'detail'], ['left', 'left', 'right', 'left'], thresholdRows(c)), '');
  }
  if (c.differences.length > 0) {
    out.push('## Not like for like', '', ...c.differences.map((d) => `- ${escapeInline(d)}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The comparison as JSON (the same model; trial values included). */
export function renderComparisonJson(c: Comparison): string {
  return `${JSON.stringify({ kind: 'xdp-bench-comparison', ...c }, null, 2)}\n`;
}

/** Mean per case and run, whiskers min..max over trials, one chart per metric. */
export function comparisonChartSpecs(c: Comparison): BarChartSpec[] {
  return c.metrics.map((metric) => {
    const rows = c.rows.filter((r) => r.metric === metric);
    const sides = (r: ComparisonRow): Side[] => [r.baseline, ...r.cells.map((x) => x.side)];
    const sizes = new Set(rows.map((r) => r.pktSizeBytes));
    return {
      title: `${metric} by case and run`,
      subtitle: [`Bars: mean over trials. Whiskers: min..max over trials. ${c.runs[0]!.label} is the baseline. Pale: the case carries a flag.`],
      xLabel: 'scenario/mode' + (sizes.size > 1 ? '/size' : ''),
      yLabel: 'Mpps',
      groups: rows.map((r) => (sizes.size > 1 ? r.key : `${r.scenario}/${r.mode}`)),
      series: c.runs.map((run, i) => ({
        name: `${run.label}${run.runId ? `: ${run.runId}` : ''}`,
        colour: c.runs.length === 1 ? MODE_COLOURS.native : paletteColour(i),
        slots: rows.map((r) => {
          const s = sides(r)[i]!;
          if (s.state !== 'ok') return { missing: `${run.label}: ${s.state}` };
          return { value: s.mean / 1e6, low: s.min / 1e6, high: s.max / 1e6, label: formatPps(s.mean), pale: s.flags.length > 0, marks: [] };
        }),
      })),
    };
  });
}

/** HTML sections of the comparison (verdict, runs, table, thresholds, charts, differences). */
export function comparisonSectionsHtml(c: Comparison, opts: { showVerdict: boolean }): string[] {
  const out: string[] = [];
  if (opts.showVerdict) {
    out.push(`<div class="verdict ${c.verdict}">Verdict: ${escapeHtml(VERDICT_TEXT[c.verdict])}</div>`);
    out.push(list(c.reasons));
  }
  out.push('<h2>Runs</h2>', list(c.runs.map(runLine)));
  out.push('<h2>Comparison</h2>', paragraph(methodText(c)));
  const t = buildCompareTable(c);
  out.push(t.rows.length > 0 ? htmlTable(t.headers, t.aligns, t.rows, t.changes) : paragraph('No cases to compare.'));
  if (c.thresholds.length > 0) {
    out.push('<h2>Thresholds</h2>', htmlTable(['outcome', 'threshold', 'change', 'detail'], ['left', 'left', 'right', 'left'], thresholdRows(c),
      c.thresholds.map((x) => (x.outcome === 'fail' ? 'regression' : x.outcome === 'pass' ? 'improvement' : ''))));
  }
  if (c.rows.length > 0) {
    out.push('<h2>Charts</h2>');
    for (const spec of comparisonChartSpecs(c)) out.push(chartFigure(renderBarChartSvg(spec), spec.title));
  }
  if (c.differences.length > 0) out.push('<h2>Not like for like</h2>', list(c.differences));
  return out;
}

export function renderComparisonHtml(c: Comparison, title = 'XDP bench comparison'): string {
  return htmlDocument(title, [`<h1>${escapeHtml(title)}</h1>`, ...comparisonSectionsHtml(c, { showVerdict: true })]);
}
