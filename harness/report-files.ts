/* Renders the reports of a run directory from its results (atomically). */
import path from 'node:path';
import type { RunResults } from './result-schema.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { renderPpsChartPng } from '../reports/chart-png.ts';
import { buildSummaryTable } from '../reports/summary-table.ts';

export const CHART_FILE = 'chart.png';
export const MARKDOWN_FILE = 'report.md';

export async function writeReports(outDir: string, results: RunResults): Promise<string[]> {
  const table = buildSummaryTable(results);
  const chart = path.join(outDir, CHART_FILE);
  writeFileAtomic(chart, await renderPpsChartPng(results));
  const md = path.join(outDir, MARKDOWN_FILE);
  writeFileAtomic(md, renderMarkdown(results, { chartFile: CHART_FILE }, table));
  return [path.join(outDir, 'results.json'), md, chart];
}
