/*
 * `bench report`: one run, or several (hosts, kernels, NICs) merged into one
 * comparison report. HTML, Markdown and JSON come from the same models: the
 * SummaryTable of each run and the Comparison across runs.
 */

import type { RunResults } from '../ground/result-schema.ts';
import type { Comparison } from '../harness/analysis/compare.ts';
import { comparisonSectionsHtml, renderComparisonMarkdown } from './compare.ts';
import { escapeHtml, htmlDocument, list, runSectionsHtml } from './html.ts';
import { escapeInline, markdownTable } from './markdown.ts';
import { environmentFields, methodologyParagraphs, parameterFields, runCaveats } from '../ground/run-info.ts';
import { buildSummaryTable, type SummaryTable } from './summary-table.ts';

/** The summary table as JSON: the same rows and display cells the terminal and Markdown show, plus the numbers. */
export function summaryJsonObject(results: RunResults, table: SummaryTable = buildSummaryTable(results)): Record<string, unknown> {
  return {
    runId: results.runId,
    state: results.state,
    startedAt: results.startedAt,
    finishedAt: results.finishedAt,
    schemaVersion: results.schemaVersion,
    environment: Object.fromEntries(environmentFields(results)),
    parameters: Object.fromEntries(parameterFields(results)),
    caveats: runCaveats(results),
    methodology: methodologyParagraphs(results),
    columns: table.columns,
    rows: table.rows.map(({ source: _source, ...row }) => row),
    flagExplanations: table.flagExplanations,
    notes: table.notes,
    latency: results.latency ?? [],
  };
}

export function renderSummaryJson(results: RunResults, table: SummaryTable = buildSummaryTable(results)): string {
  return `${JSON.stringify({ kind: 'xdp-bench-report', ...summaryJsonObject(results, table) }, null, 2)}\n`;
}

export interface LabelledRun {
  label: string;
  source: string;
  results: RunResults;
}

/** Environment fields that differ between the runs: what tells them apart ("host a, kernel 6.1"). */
export function distinguishingFields(runs: readonly LabelledRun[]): string[][] {
  const fields = runs.map((r) => environmentFields(r.results).filter(([k]) => k !== 'Command line'));
  const names = fields[0]?.map(([k]) => k) ?? [];
  const differing = names.filter((name) => new Set(fields.map((f) => f.find(([k]) => k === name)?.[1])).size > 1);
  return fields.map((f) => f.filter(([k]) => differing.includes(k)).map(([k, v]) => `${k.toLowerCase()} ${v}`));
}

function runTitle(r: LabelledRun, distinguishing: readonly string[]): string {
  return `Run ${r.label}: ${r.results.runId}${distinguishing.length > 0 ? ` (${distinguishing.join(', ')})` : ''}`;
}

export function renderMergedHtml(runs: readonly LabelledRun[], comparison: Comparison): string {
  const dist = distinguishingFields(runs);
  const body = [`<h1>XDP bench report: ${runs.length} runs</h1>`];
  body.push(list(runs.map((r, i) => `${runTitle(r, dist[i]!)}, from ${r.source}`)));
  const unusable = comparison.runs.filter((r) => r.problem);
  if (unusable.length > 0) {
    body.push('<div class="verdict not-comparable">Some inputs could not be used</div>', list(unusable.map((r) => `${r.source}: ${r.problem}`)));
  }
  body.push(...comparisonSectionsHtml(comparison, { showVerdict: false }));
  runs.forEach((r, i) => {
    body.push(`<h2>${escapeHtml(runTitle(r, dist[i]!))}</h2>`);
    body.push(...runSectionsHtml(r.results, buildSummaryTable(r.results), { level: 3, embedded: true }));
  });
  return htmlDocument(`XDP bench report: ${runs.length} runs`, body);
}

export function renderMergedMarkdown(runs: readonly LabelledRun[], comparison: Comparison): string {
  const dist = distinguishingFields(runs);
  const out = [renderComparisonMarkdown(comparison, `XDP bench report: ${runs.length} runs`).trimEnd(), ''];
  runs.forEach((r, i) => {
    const table = buildSummaryTable(r.results);
    out.push(`## ${escapeInline(runTitle(r, dist[i]!))}`, '');
    for (const c of runCaveats(r.results)) out.push(`- ${escapeInline(c)}`);
    out.push('');
    out.push(table.rows.length > 0
      ? markdownTable(table.columns.map((c) => c.header), table.columns.map((c) => c.align), table.rows.map((row) => table.columns.map((c) => row.cells[c.id])))
      : 'No cases recorded.', '');
    for (const f of table.flagExplanations) out.push(`- **${f.flag}**: ${escapeInline(f.text)}`);
    out.push('', markdownTable(['Field', 'Value'], ['left', 'left'], [...environmentFields(r.results), ...parameterFields(r.results)].map(([k, v]) => [k, v])), '');
  });
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

export function renderMergedJson(runs: readonly LabelledRun[], comparison: Comparison): string {
  return `${JSON.stringify({
    kind: 'xdp-bench-merged-report',
    runs: runs.map((r) => ({ label: r.label, source: r.source, summary: summaryJsonObject(r.results) })),
    comparison,
  }, null, 2)}\n`;
}
