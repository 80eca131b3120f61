/* Renders the reports of a run directory from its results (atomically). */
import path from 'node:path';
import type { RunResults } from '../../ground/result-schema.ts';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import { renderPpsChartPng } from '../../reports/chart-png.ts';
import { renderLatencyCdfPng, renderLatencyChartPng, renderOfferedChartPng, renderProgRunChartPng, renderSweepChartPng } from '../../reports/chart-extra.ts';
import { renderExtraMarkdown } from '../../reports/latency-text.ts';
import { buildSummaryTable } from '../../reports/summary-table.ts';
import { renderRunHtml } from '../../reports/html.ts';

export const CHART_FILE = 'chart.png';
export const MARKDOWN_FILE = 'report.md';
export const HTML_FILE = 'report.html';

/** Charts drawn only when the run has their data: file name, caption, renderer. */
const EXTRA_CHARTS = [
  ['chart-sweep.png', 'pps vs packet size', renderSweepChartPng],
  ['chart-offered.png', 'offered vs processed', renderOfferedChartPng],
  ['chart-latency.png', 'latency percentiles per mode and load', renderLatencyChartPng],
  ['chart-latency-cdf.png', 'latency CDF', renderLatencyCdfPng],
  ['chart-prog-run.png', 'program cost per packet', renderProgRunChartPng],
] as const;

export async function writeReports(outDir: string, results: RunResults): Promise<string[]> {
  const table = buildSummaryTable(results);
  const chart = path.join(outDir, CHART_FILE);
  writeFileAtomic(chart, await renderPpsChartPng(results));
  const written = [path.join(outDir, 'results.json'), '', chart];
  const extra: Record<string, string> = {};
  for (const [file, caption, render] of EXTRA_CHARTS) {
    const png = await render(results);
    if (!png) continue;
    writeFileAtomic(path.join(outDir, file), png);
    extra[caption] = file;
    written.push(path.join(outDir, file));
  }
  const md = path.join(outDir, MARKDOWN_FILE);
  writeFileAtomic(md, `${renderMarkdown(results, { chartFile: CHART_FILE }, table)}\n${renderExtraMarkdown(results, extra)}`);
  written[1] = md;
  const html = path.join(outDir, HTML_FILE);
  writeFileAtomic(html, renderRunHtml(results, table)); // self-contained: charts inline
  written.push(html);
  return written;
}
