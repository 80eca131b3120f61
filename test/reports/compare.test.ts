import test from 'ava';
import { buildComparison, type Comparison, type RunInput } from '../../harness/analysis/compare.ts';
import { parseThreshold } from '../../harness/analysis/threshold.ts';
import { renderComparisonHtml, renderComparisonJson, renderComparisonMarkdown, renderComparisonTerminal } from '../../reports/compare.ts';
import { assertValidResults } from '../../harness/results/results-io.ts';
import { makeRun, type RunSpec } from './runs-fixture.ts';

const BASE_VALUES = [6_412_345, 6_380_120, 6_455_900]; // mean 6.416 Mpps, CV 0.6 %

function run(id: string, cases: RunSpec['cases'], minute = 0): RunInput {
  const results = makeRun({ runId: id, startedAt: `2025-11-2${4 + minute}T23:30:12.000Z`, cases });
  assertValidResults(results); // constructed runs are schema-valid
  return { source: `/runs/${id}`, results, problem: null };
}

const baseline = () => run('base', { native: BASE_VALUES });

function nativeCell(c: Comparison) {
  const row = c.rows.find((r) => r.mode === 'native' && r.metric === 'xdpPps')!;
  return row.cells[0]!;
}

const FAIL_5 = [parseThreshold('xdp-drop/native/xdpPps<-5%')];

test('a clear regression: significant, crosses the threshold, verdict regression', (t) => {
  const c = buildComparison([baseline(), run('slow', { native: [5_801_000, 5_760_500, 5_829_300] }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: FAIL_5 });
  const cell = nativeCell(c);
  t.is(cell.change, 'regression');
  t.true(cell.significant);
  t.true(cell.deltaFraction! < -0.09 && cell.deltaFraction! > -0.1, String(cell.deltaFraction));
  t.true(cell.test?.test === 'welch-t' && cell.test.pTwoSided < 0.001);
  t.is(c.verdict, 'regression');
  t.deepEqual(c.thresholds.map((x) => x.outcome), ['fail']);
  t.regex(c.reasons[0]!, /^xdp-drop\/native\/xdpPps<-5% crossed: B vs A, xdp-drop\/native\/64B: change -9\.7 %, significant \(p <0\.0001\)$/);
});

test('noise within the trial spread: not significant, the threshold is crossed but does not fail', (t) => {
  // Mean 6.0 Mpps (-6.5 %) but trials spread from 5.2 to 6.9 Mpps.
  const c = buildComparison([baseline(), run('noisy', { native: [5_200_000, 6_900_000, 5_900_000] }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: FAIL_5 });
  const cell = nativeCell(c);
  t.is(cell.change, 'within-noise');
  t.false(cell.significant);
  t.true(cell.deltaFraction! < -0.05);
  t.is(c.thresholds[0]!.outcome, 'crossed-not-significant');
  t.is(c.verdict, 'pass');
  t.true(c.reasons.some((r) => /crossed, but within the trial spread, so not a failure/.test(r)));
});

test('an improvement: significant the right way, no threshold crossed', (t) => {
  const c = buildComparison([baseline(), run('fast', { native: [7_100_000, 7_150_000, 7_080_000] }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: FAIL_5 });
  t.is(nativeCell(c).change, 'improvement');
  t.is(c.thresholds[0]!.outcome, 'pass');
  t.is(c.verdict, 'pass');
  // For a lower-is-better metric the same direction is a regression: lost frames going up.
  const lost = buildComparison([baseline(), run('fast', { native: [7_100_000, 7_150_000, 7_080_000] }, 1)], { metrics: ['lostBeforeXdpPps'], alpha: 0.05, thresholds: [] });
  t.is(lost.rows.find((r) => r.mode === 'native')!.cells[0]!.change, 'within-noise', 'identical lost-frame trials: no change');
});

test('a missing baseline is a clear verdict, not a crash', (t) => {
  const missing: RunInput = { source: '/runs/nightly-0', results: null, problem: 'no such file (expected a run directory or its results.json)' };
  const c = buildComparison([missing, run('new', { native: BASE_VALUES }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: FAIL_5 });
  t.is(c.verdict, 'not-comparable');
  t.true(c.reasons.some((r) => r === 'baseline /runs/nightly-0 cannot be used: no such file (expected a run directory or its results.json)'));
  t.is(c.thresholds[0]!.outcome, 'not-comparable');
  t.is(nativeCell(c).change, 'not-comparable');
  t.regex(nativeCell(c).why!, /^baseline absent: run not usable: no such file/);
  const text = renderComparisonTerminal(c);
  t.regex(text, /A = \/runs\/nightly-0: not usable: no such file/);
  t.regex(text, /Verdict: NOT COMPARABLE/);
});

test('a case the baseline skipped, and a threshold that matches nothing, cannot be decided', (t) => {
  const c = buildComparison(
    [run('base', { native: { state: 'skipped', reason: 'EINVAL' } }), run('new', { native: BASE_VALUES }, 1)],
    { metrics: ['xdpPps'], alpha: 0.05, thresholds: [...FAIL_5, parseThreshold('pass-all/*/xdpPps<-5%')] },
  );
  t.deepEqual(c.thresholds.map((x) => x.outcome), ['not-comparable', 'not-comparable']);
  t.regex(c.thresholds[0]!.detail, /baseline skipped: EINVAL/);
  t.is(c.thresholds[1]!.detail, 'no case in any run matches it');
  t.is(c.verdict, 'not-comparable');
});

test('wildcards skip cases the baseline never measured (offload on veth), but not cases the candidate lost', (t) => {
  const c = buildComparison([baseline(), run('b', { native: BASE_VALUES }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: [parseThreshold('*/*/xdpPps<-5%')] });
  t.deepEqual(c.thresholds.map((x) => `${x.key}:${x.outcome}`), ['xdp-drop/native/64B:pass', 'xdp-drop/generic/64B:pass', 'xdp-drop/offload/64B:not-measured']);
  t.is(c.verdict, 'pass');
  const lost = buildComparison([baseline(), run('b', { native: { state: 'failed', reason: 'attach: EBUSY' } }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: [parseThreshold('*/*/xdpPps<-5%')] });
  t.is(lost.thresholds[0]!.outcome, 'not-comparable');
  t.regex(lost.thresholds[0]!.detail, /failed: trial 1: attach: EBUSY/);
  t.is(lost.verdict, 'not-comparable');
  const onlyOffload = buildComparison([baseline(), run('b', {}, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: [parseThreshold('*/offload/xdpPps<-5%')] });
  t.is(onlyOffload.verdict, 'not-comparable', 'a threshold that can never be evaluated is not a pass');
});

test('a regression outranks an undecidable threshold; several candidates are each compared with A', (t) => {
  const c = buildComparison(
    [baseline(), run('b', { native: [5_801_000, 5_760_500, 5_829_300] }, 1), run('c', { native: 'absent' }, 2)],
    { metrics: ['xdpPps'], alpha: 0.05, thresholds: FAIL_5 },
  );
  t.deepEqual(c.thresholds.map((x) => `${x.run}:${x.outcome}`), ['1:fail', '2:not-comparable']);
  t.is(c.verdict, 'regression');
  t.deepEqual(c.runs.map((r) => r.label), ['A', 'B', 'C']);
  const text = renderComparisonTerminal(c);
  t.regex(text, /\bvs\b.*candidate/, 'with several candidates the table names which one');
});

test('one trial per side: the change is shown but untested, and a threshold on it cannot be decided', (t) => {
  const c = buildComparison([run('a', { native: [6e6] }), run('b', { native: [5e6] }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: FAIL_5 });
  t.is(nativeCell(c).change, 'untested');
  t.is(nativeCell(c).deltaFraction, -1 / 6);
  t.is(c.thresholds[0]!.outcome, 'not-comparable');
  t.regex(c.thresholds[0]!.detail, /significance cannot be tested/);
});

test('differences in parameters and environment are listed', (t) => {
  const b = run('b', { native: BASE_VALUES }, 1);
  b.results!.environment.kernel = '6.19.0';
  b.results!.parameters.rate = '1000000';
  const c = buildComparison([baseline(), b], { metrics: ['xdpPps'], alpha: 0.05, thresholds: [] });
  t.true(c.differences.includes('B differs from A in Kernel: 6.8.0-48-generic -> 6.19.0'));
  t.true(c.differences.includes('B differs from A in Offered rate: as fast as the generator can -> 1.00 Mpps'));
});

test('thresholds: syntax, units, wildcards, and one clear message per mistake', (t) => {
  t.like(parseThreshold('drop-all/native/xdpPps<-5%'), { scenario: 'drop-all', mode: 'native', pktSizeBytes: '*', metric: 'xdpPps', op: '<', value: -5, unit: 'percent' });
  t.like(parseThreshold('*/*/1518B/lostBeforeXdpPps>=200kpps'), { scenario: '*', mode: '*', pktSizeBytes: 1518, op: '>=', value: 200_000, unit: 'pps' });
  t.like(parseThreshold('redirect/generic/64/xdpPps <= -1.5Mpps'), { pktSizeBytes: 64, value: -1_500_000 });
  t.throws(() => parseThreshold('drop-all/native/xdpPps'), { message: /--fail-on "drop-all\/native\/xdpPps": expected SCENARIO\/MODE/ });
  t.throws(() => parseThreshold('drop-all/hardware/xdpPps<-5%'), { message: /unknown mode "hardware"/ });
  t.throws(() => parseThreshold('drop-all/native/pps<-5%'), { message: /unknown metric "pps"/ });
  t.throws(() => parseThreshold('drop-all/native/big/xdpPps<-5%'), { message: /packet size "big"/ });
  t.throws(() => parseThreshold('drop-all/native/xdpPps<-5'), { message: /expected/ }, 'a unit is required');
});

/* ---- renderings (snapshots) ---- */

function regression(): Comparison {
  return buildComparison([baseline(), run('slow', { native: [5_801_000, 5_760_500, 5_829_300] }, 1)],
    { metrics: ['xdpPps'], alpha: 0.05, thresholds: [...FAIL_5, parseThreshold('*/generic/xdpPps<-5%')] });
}

test('terminal rendering', (t) => {
  const text = renderComparisonTerminal(regression());
  t.snapshot(text);
  const header = text.split('\n').find((l) => l.startsWith('case '))!;
  for (const col of ['A (baseline)', 'B', 'delta', 'delta %', 'p (Welch)', 'significant', 'change']) t.true(header.includes(col), col);
  t.regex(text, /xdp-drop\/native\/64B\s+xdpPps\s+6\.42 Mpps \(CV 0\.6 %\)\s+5\.80 Mpps \(CV 0\.6 %\)\s+-619\.2 kpps\s+-9\.7 %\s+<0\.0001\s+yes\s+REGRESSION/);
  t.regex(text, /xdp-drop\/offload\/64B\s+xdpPps\s+skipped\s+skipped.*not comparable: baseline skipped/);
  t.regex(text, /Verdict: REGRESSION/);
});

test('Markdown rendering', (t) => {
  const md = renderComparisonMarkdown(regression());
  t.snapshot(md);
  t.regex(md, /^\| case \| metric \| A \(baseline\) \| B \| delta \|/m);
  t.regex(md, /\*\*Verdict: REGRESSION\*\*/);
});

test('HTML rendering: self-contained, verdict, table, thresholds and a chart', (t) => {
  const html = renderComparisonHtml(regression());
  t.snapshot(html);
  t.regex(html, /<div class="verdict regression">Verdict: REGRESSION<\/div>/);
  t.is((html.match(/<img class="chart"[^>]* src="data:image\/svg\+xml;base64,/g) ?? []).length, 1);
  t.false(/(src|href)="(?!data:)/.test(html), 'nothing loaded from elsewhere');
  t.regex(html, /<tr class="regression"><td>xdp-drop\/native\/64B<\/td>/);
});

test('JSON rendering is the model', (t) => {
  const c = regression();
  const json = JSON.parse(renderComparisonJson(c)) as Comparison & { kind: string };
  t.is(json.kind, 'xdp-bench-comparison');
  t.is(json.verdict, 'regression');
  t.deepEqual(json.rows.map((r) => r.key), c.rows.map((r) => r.key));
  t.deepEqual(json.rows[0]!.cells[0]!.side, c.rows[0]!.cells[0]!.side);
});

test('an offload attached on netdevsim (no datapath) is never compared, never a zero', (t) => {
  const c = buildComparison([run('base', { offload: 'attached' }), run('new', { offload: 'attached' }, 1)], { metrics: ['xdpPps'], alpha: 0.05, thresholds: [parseThreshold('xdp-drop/offload/xdpPps<-5%')] });
  const row = c.rows.find((r) => r.mode === 'offload' && r.metric === 'xdpPps')!;
  t.is(row.baseline.state, 'attached');
  const cell = row.cells[0]!;
  t.is(cell.change, 'not-comparable');
  t.is(cell.deltaPps, null);
  t.regex(cell.why!, /^baseline attached: netdevsim, no datapath/);
  t.is(c.thresholds[0]!.outcome, 'not-comparable');
  t.is(c.verdict, 'not-comparable');
});
