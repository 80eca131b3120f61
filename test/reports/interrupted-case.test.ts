/* A case stopped by a signal after some trials ('interrupted'): its trials are
 * kept and shown as partial, never as the case's figure; compare, history and
 * the chart treat it as not comparable. Fixture: the synthetic native case of
 * fixture.ts cut to its first 2 of 3 trials. */
import test from 'ava';
import type { InterruptedCase, RunResults } from '../../ground/result-schema.ts';
import { assertValidResults, checkResults } from '../../harness/results/results-io.ts';
import { buildSummaryTable } from '../../reports/summary-table.ts';
import { renderTerminalTable } from '../../reports/terminal-table.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import { reasonText, renderRunHtml } from '../../reports/html.ts';
import { buildPpsChartModel } from '../../reports/chart-png.ts';
import { buildComparison } from '../../harness/analysis/compare.ts';
import { buildHistory } from '../../harness/analysis/history.ts';
import { parseThreshold } from '../../harness/analysis/threshold.ts';
import { caseStatsOf, makeResults, nativeCase } from './fixture.ts';

function interruptedNative(): InterruptedCase {
  const trials = structuredClone(nativeCase.trials.slice(0, 2));
  const { flags: _f, notes: _n, ...rest } = structuredClone(nativeCase);
  return {
    ...rest, state: 'interrupted', reason: 'interrupted by SIGINT after 2 of 3 trials', trialsPlanned: 3, trials, stats: caseStatsOf(trials),
  };
}

function interruptedRun(): RunResults {
  const r = makeResults();
  r.state = 'interrupted';
  r.cases = r.cases.map((c) => (c.mode === 'native' ? interruptedNative() : c));
  return r;
}

test('schema: an interrupted case with its trials is valid; one without trials or trialsPlanned is refused', (t) => {
  t.notThrows(() => assertValidResults(interruptedRun()));
  const empty = interruptedRun();
  (empty.cases.find((c) => c.state === 'interrupted') as InterruptedCase).trials = [];
  t.throws(() => checkResults(empty, 'empty.json'), { message: /trials/ });
  const noPlan = interruptedRun() as unknown as { cases: Record<string, unknown>[] };
  delete noPlan.cases.find((c) => c.state === 'interrupted')!.trialsPlanned;
  t.throws(() => checkResults(noPlan, 'no-plan.json'), { message: /trialsPlanned/ });
});

test('summary table and terminal: no figure in the figure columns, the partial median in the reason', (t) => {
  const row = buildSummaryTable(interruptedRun()).rows.find((r) => r.mode === 'native')!;
  t.is(row.state, 'interrupted');
  t.is(row.xdpPps, null);
  t.is(row.cells.xdpMedian, '-');
  t.regex(row.cells.flagsOrReason, /^interrupted by SIGINT after 2 of 3 trials: median of the finished trials 6\.40 Mpps \(partial, not the case's figure\)$/);
  t.regex(renderTerminalTable(interruptedRun()), /native +- .*interrupted by SIGINT after 2 of 3 trials/);
});

test('markdown and html: labelled partial, the finished trials listed', (t) => {
  const md = renderMarkdown(interruptedRun());
  t.regex(md, /### xdp-drop\/native: interrupted/);
  t.regex(md, /2 of 3 trials finished\. Not a full case: not compared, not a capacity figure\./);
  t.regex(md, /XDP program over the finished trials \(partial\)/);
  t.regex(reasonText(interruptedNative()), /^interrupted by SIGINT after 2 of 3 trials: median of the finished trials/);
  t.regex(renderRunHtml(interruptedRun()), /interrupted by SIGINT after 2 of 3 trials: median of the finished trials/);
});

test('chart: an empty interrupted slot, no bar', (t) => {
  const m = buildPpsChartModel(interruptedRun());
  t.deepEqual(m.slots[m.modes.indexOf('native')], [{ kind: 'interrupted' }]);
});

test('compare: an interrupted candidate is not comparable (never a regression), and a threshold on it cannot pass', (t) => {
  const base = makeResults();
  const c = buildComparison(
    [{ source: 'base', results: base, problem: null }, { source: 'new', results: interruptedRun(), problem: null }],
    { metrics: ['xdpPps'], alpha: 0.05, thresholds: [parseThreshold('xdp-drop/native/xdpPps<-5%')] },
  );
  const row = c.rows.find((r) => r.mode === 'native' && r.metric === 'xdpPps')!;
  t.is(row.baseline.state, 'ok');
  t.deepEqual(row.cells[0]!.side, { state: 'interrupted', reason: 'interrupted by SIGINT after 2 of 3 trials' });
  t.is(row.cells[0]!.change, 'not-comparable');
  t.is(row.cells[0]!.deltaPps, null);
  t.is(c.thresholds[0]!.outcome, 'not-comparable');
});

test('history: an interrupted run is a gap of its own kind, not a point of the trend', (t) => {
  const later = makeResults();
  later.startedAt = '2025-11-26T23:30:12.000Z';
  const h = buildHistory(
    [{ source: 'a', results: makeResults() }, { source: 'b', results: interruptedRun() }, { source: 'c', results: later }],
    [], ['xdpPps'], { alpha: 0.05, minChangeFraction: 0.02, minSegmentRuns: 2 },
  );
  const s = h.series.find((x) => x.mode === 'native')!;
  t.deepEqual(s.points.map((p) => p.state), ['ok', 'interrupted', 'ok']);
});
