import test from 'ava';
import { buildHistory, type HistoryInput } from '../../harness/analysis/history.ts';
import { historyChartSpecs, renderHistoryHtml, renderHistoryJson, renderHistoryMarkdown, renderHistoryTerminal } from '../../reports/history.ts';
import { makeRun, type CaseSpec } from './runs-fixture.ts';

const OPTS = { alpha: 0.05, minSegmentRuns: 2, minChangeFraction: 0.05 };

/* Eight nights; native drops by about 20 % from night 5 on (a regression landing), generic stays flat. */
const NATIVE_MPPS = [6.41, 6.44, 6.38, 6.42, 5.12, 5.15, 5.09, 5.13];
const GENERIC_MPPS = [2.10, 2.11, 2.09, 2.10, 2.11, 2.10, 2.09, 2.11];

function night(i: number, native: CaseSpec = trials(NATIVE_MPPS[i]!)): HistoryInput {
  const day = String(i + 1).padStart(2, '0');
  return {
    source: `/nightly/2025-12-${day}`,
    results: makeRun({ runId: `night${i}`, startedAt: `2025-12-${day}T02:00:00.000Z`, cases: { native, generic: trials(GENERIC_MPPS[i]!) } }),
  };
}

function trials(mpps: number): number[] {
  return [mpps * 0.998e6, mpps * 1e6, mpps * 1.002e6];
}

test('the drop is found at the right night, as a regression; the flat series has no step', (t) => {
  // Given out of order: runs are sorted by start time.
  const inputs = [5, 2, 0, 7, 1, 3, 6, 4].map((i) => night(i));
  const h = buildHistory(inputs, [], ['xdpPps'], OPTS);
  t.deepEqual(h.runs.map((r) => r.runId), ['night0', 'night1', 'night2', 'night3', 'night4', 'night5', 'night6', 'night7']);
  const native = h.series.find((s) => s.mode === 'native')!;
  const generic = h.series.find((s) => s.mode === 'generic')!;
  t.is(native.steps.length, 1);
  t.is(native.steps[0]!.run, 4);
  t.is(native.steps[0]!.direction, 'regression');
  t.true(Math.abs(native.steps[0]!.changeFraction! - (5.1225 / 6.4125 - 1)) < 1e-3);
  t.deepEqual(generic.steps, []);
  t.deepEqual(h.series.find((s) => s.mode === 'offload')!.points.map((p) => p.state), Array(8).fill('skipped'));
});

test('nights where a case was not measured are gaps, and the step is placed on the right run', (t) => {
  const inputs = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (i === 2 ? night(i, { state: 'failed', reason: 'attach: EBUSY' }) : night(i)));
  const h = buildHistory(inputs, [{ source: '/nightly/broken', reason: 'not JSON' }], ['xdpPps'], OPTS);
  const native = h.series.find((s) => s.mode === 'native')!;
  t.is(native.points[2]!.state, 'failed');
  t.is(native.steps[0]!.run, 4, 'index 3 among the 7 measured nights is run 4');
  const line = historyChartSpecs(h)[0]!.series[0]!;
  t.deepEqual(line.points.map((p) => `${p.x}${p.breakBefore ? ' (gap before)' : ''}`), ['0', '1', '3 (gap before)', '4', '5', '6', '7'], 'the line breaks at the failed night');
  const text = renderHistoryTerminal(h);
  t.true(text.split('\n').every((l) => l.length <= 200 || l.startsWith('xdp-drop/')), 'prose is wrapped');
  t.regex(text, /Not used:\n {2}\/nightly\/broken: not JSON/);
  t.regex(text, /xdp-drop\/native\/64B\s+xdpPps\s+7\/8\s+6\.41 Mpps\s+5\.13 Mpps/);
  t.regex(text, /-20\.3 % at 12-05 02:00 \(6\.42 Mpps -> 5\.12 Mpps, p [<\d.]+\) REGRESSION/);
});

test('too few runs: no step can be found yet, and the output says why', (t) => {
  const h = buildHistory([night(0), night(4)], [], ['xdpPps'], OPTS);
  t.true(h.series.every((s) => s.steps.length === 0));
  t.regex(renderHistoryTerminal(h), /No step change can be detected yet: that needs at least 4 runs \(2 on each side\), there are 2\./);
});

test('chart: one per metric, a line per case, x ticks per run, a marker at the step', (t) => {
  const h = buildHistory([0, 1, 2, 3, 4, 5, 6, 7].map((i) => night(i)), [], ['xdpPps', 'lostBeforeXdpPps'], OPTS);
  const specs = historyChartSpecs(h);
  t.deepEqual(specs.map((s) => s.title), ['xdpPps over 8 runs', 'lostBeforeXdpPps over 8 runs']);
  t.deepEqual(specs[0]!.series.map((s) => s.name), ['xdp-drop/native/64B', 'xdp-drop/generic/64B', 'xdp-drop/offload/64B']);
  t.is(specs[0]!.series[0]!.points.length, 8);
  t.deepEqual(specs[0]!.markers, [{ x: 3.5, label: 'xdp-drop/native/64B -20.1 %' }]);
  t.is(specs[0]!.xTicks![0]!.label, '12-01 02:00');
});

test('renderings: snapshot of Markdown and HTML, JSON is the model', (t) => {
  const h = buildHistory([0, 1, 2, 3, 4, 5, 6, 7].map((i) => night(i)), [], ['xdpPps'], OPTS);
  t.snapshot(renderHistoryMarkdown(h, ['history-xdpPps.svg']));
  const html = renderHistoryHtml(h);
  t.snapshot(html);
  t.is((html.match(/<img class="chart"[^>]* src="data:image\/svg\+xml;base64,/g) ?? []).length, 1);
  t.regex(html, /<tr class="regression"><td>xdp-drop\/native\/64B<\/td>/);
  const json = JSON.parse(renderHistoryJson(h)) as { kind: string; series: { steps: unknown[] }[] };
  t.is(json.kind, 'xdp-bench-history');
  t.is(json.series[0]!.steps.length, 1);
});
