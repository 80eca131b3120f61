import test from 'ava';
import { buildComparison } from '../../harness/analysis/compare.ts';
import { distinguishingFields, renderMergedHtml, renderMergedJson, renderMergedMarkdown, renderSummaryJson, type LabelledRun } from '../../reports/merged-report.ts';
import { buildSummaryTable } from '../../reports/summary-table.ts';
import { makeResults } from './fixture.ts';
import { makeRun } from './runs-fixture.ts';

function hosts(): LabelledRun[] {
  return [
    { label: 'A', source: '/lab/host-a', results: makeRun({ runId: 'ra', startedAt: '2025-12-01T02:00:00.000Z', host: 'lab-a', kernel: '6.1.0', cases: {} }) },
    { label: 'B', source: '/lab/host-b', results: makeRun({ runId: 'rb', startedAt: '2025-12-01T02:10:00.000Z', host: 'lab-b', kernel: '6.18.0', cases: { native: [8.1e6, 8.2e6, 8.15e6] } }) },
  ];
}

function merged() {
  const runs = hosts();
  const comparison = buildComparison(runs.map((r) => ({ source: r.source, results: r.results, problem: null })), { metrics: ['xdpPps'], alpha: 0.05, thresholds: [] });
  return { runs, comparison };
}

test('what tells the runs apart: only the environment fields that differ', (t) => {
  t.deepEqual(distinguishingFields(hosts()), [['kernel 6.1.0', 'host lab-a'], ['kernel 6.18.0', 'host lab-b']]);
});

test('merged HTML: the comparison across hosts, then each run in full', (t) => {
  const { runs, comparison } = merged();
  const html = renderMergedHtml(runs, comparison);
  t.snapshot(html);
  t.regex(html, /<h2>Run A: ra \(kernel 6\.1\.0, host lab-a\)<\/h2>/);
  t.regex(html, /<h2>Run B: rb \(kernel 6\.18\.0, host lab-b\)<\/h2>/);
  t.regex(html, /<tr class="improvement"><td>xdp-drop\/native\/64B<\/td>/);
  t.true(html.includes('B differs from A in Kernel: 6.1.0 -&gt; 6.18.0'));
  // 1 comparison chart + (bars + 2 time series) per run.
  t.is((html.match(/<img class="chart"/g) ?? []).length, 1 + 2 * 3);
  t.false(html.includes('class="verdict'), 'no pass/fail verdict in a report without thresholds');
});

test('merged Markdown and JSON come from the same models', (t) => {
  const { runs, comparison } = merged();
  const md = renderMergedMarkdown(runs, comparison);
  t.snapshot(md);
  t.regex(md, /^# XDP bench report: 2 runs$/m);
  t.regex(md, /^## Run B: rb \(kernel 6\.18\.0, host lab-b\)$/m);
  t.regex(md, /^\| xdp-drop \| native \| 64 B \| trafgen \| ok \| 8\.15 Mpps \|/m);
  const json = JSON.parse(renderMergedJson(runs, comparison)) as { kind: string; runs: { label: string; summary: { rows: { cells: Record<string, string> }[] } }[]; comparison: { rows: unknown[] } };
  t.is(json.kind, 'xdp-bench-merged-report');
  t.deepEqual(json.runs.map((r) => r.label), ['A', 'B']);
  t.is(json.runs[1]!.summary.rows[0]!.cells['xdpMedian'], '8.15 Mpps');
  t.is(json.comparison.rows.length, comparison.rows.length);
});

test('single-run JSON is the summary table model: same cells as the terminal and Markdown tables', (t) => {
  const r = makeResults();
  const table = buildSummaryTable(r);
  const json = JSON.parse(renderSummaryJson(r, table)) as { rows: { cells: Record<string, string>; source?: unknown }[]; caveats: string[]; methodology: string[] };
  t.deepEqual(json.rows.map((row) => row.cells), table.rows.map((row) => row.cells));
  t.is(json.rows[0]!.source, undefined, 'the raw case is not repeated');
  t.regex(json.caveats[0]!, /^emulated:/);
  t.true(json.methodology.length > 3);
});
