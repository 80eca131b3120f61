import test from 'ava';
import { chartFigure, escapeHtml, latencyChartSpec, ppsBarChartSpec, ppsBySizeChartSpec, renderRunHtml, trialTimeSeriesSpec } from '../../reports/html.ts';
import type { LatencyRecord, OkCase, RunResults } from '../../ground/result-schema.ts';
import { OFFLOAD_KERNEL_MESSAGE, OFFLOAD_REASON, makeAttachedResults, makeResults } from './fixture.ts';

/** The SVG documents embedded as data: URIs, decoded. */
function embeddedSvgs(html: string): string[] {
  return [...html.matchAll(/<img class="chart"[^>]* src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
}

/** The run with a second packet size: each ok case measured again at 1518 B, at a lower rate. */
function twoSizes(): RunResults {
  const r = makeResults();
  const big = r.cases.filter((c): c is OkCase => c.state === 'ok').map((c) => {
    const b = structuredClone(c);
    b.pktSizeBytes = 1518;
    for (const k of ['median', 'mean', 'min', 'max', 'ci95Low', 'ci95High'] as const) b.stats.xdpPps[k] /= 4;
    return b;
  });
  r.cases.push(...big);
  r.parameters.pktSizesBytes = [64, 1518];
  return r;
}

test('run report: snapshot', (t) => {
  t.snapshot(renderRunHtml(makeResults()));
});

test('run report is self-contained: CSP, inline style, no script, nothing fetched', (t) => {
  const html = renderRunHtml(makeResults());
  t.true(html.startsWith('<!DOCTYPE html>'));
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">/);
  t.false(html.includes('<script'));
  t.false(/<link\b/.test(html));
  t.false(/(src|href)="(?!data:)/.test(html), 'every src/href is a data: URI');
  t.false(/url\(/.test(html), 'no CSS url()');
});

test('run report: summary table from the shared table model, flags, skipped reason, environment, methodology', (t) => {
  const html = renderRunHtml(makeResults());
  t.regex(html, /<tr class="ok"><td>xdp-drop<\/td><td>native<\/td><td class="r">64 B<\/td>.*<td class="r">6\.41 Mpps<\/td>/);
  t.regex(html, /<tr class="flagged"><td>xdp-drop<\/td><td>generic<\/td>.*generator-bound, coupled<\/td><\/tr>/);
  t.regex(html, /<tr class="skipped"><td>xdp-drop<\/td><td>offload<\/td>/);
  t.regex(html, /<dt class="flag">generator-bound<\/dt><dd>DUT processed about all that was offered: the figure is a lower bound, not capacity\. Cases: xdp-drop\/generic\.<\/dd>/);
  t.regex(html, /<dt class="flag">coupled<\/dt>/);
  t.true(html.includes('emulated: every figure was measured on veth'));
  t.true(html.includes(escapeHtml(`${OFFLOAD_REASON}; kernel: ${OFFLOAD_KERNEL_MESSAGE}; errno 22 (EINVAL)`)));
  for (const s of ['6.8.0-48-generic', 'AMD EPYC 7443P 24-Core Processor (4 CPUs)', '3f2c9e1d0b7a', 'v20.19.5']) t.true(html.includes(escapeHtml(s)), s);
  // Methodology quotes this run's parameters.
  t.true(html.includes('then 3 trials of 10 s'));
  t.true(html.includes('2 s of warm-up (not counted)'));
  t.true(html.includes('sampled every 1000 ms'));
  t.true(html.includes('relative tolerance of 5.0 %'));
  t.true(html.includes('Latency percentiles: not measured'));
});

test('run report charts: throughput bars with whiskers and one time series per measured case; no size chart for one size', (t) => {
  const svgs = embeddedSvgs(renderRunHtml(makeResults()));
  t.is(svgs.length, 3, 'bars + native and generic time series');
  const [bars, nativeSeries] = svgs;
  t.regex(bars!, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1000" height="480"/);
  t.true(bars!.includes('>6.41 Mpps</text>'));
  t.true(bars!.includes('offload: skipped'), 'skipped slot labelled, not a zero bar');
  t.is((bars!.match(/<rect x=[^>]*fill="#1f5fa8" fill-opacity="1"/g) ?? []).length, 1, 'one full-colour native bar');
  t.is((bars!.match(/fill-opacity="0.4"/g) ?? []).length, 1, 'the flagged generic bar is pale');
  t.true(nativeSeries!.includes('xdp-drop/native, 64 B: XDP program rate during each trial'));
  t.is((nativeSeries!.match(/<circle /g) ?? []).length, 3 * 10, '3 trials x 10 samples');
});

test('several packet sizes: a throughput-by-size chart with one line per scenario/mode', (t) => {
  const r = twoSizes();
  const spec = ppsBySizeChartSpec(r)!;
  t.deepEqual(spec.series.map((s) => s.name), ['xdp-drop/native', 'xdp-drop/generic']);
  t.deepEqual(spec.series[0]!.points.map((p) => p.x), [64, 1518]);
  t.deepEqual(spec.xTicks!.map((x) => x.label), ['64 B', '1518 B']);
  t.is(ppsBySizeChartSpec(makeResults()), null);
  const html = renderRunHtml(r);
  t.true(embeddedSvgs(html).some((s) => s.includes('XDP program throughput by packet size')));
  t.true(html.includes('xdp-drop/native/64B'), 'case labels carry the size when there are several');
});

test('time series: one point per sample at the middle of its interval, rates summed over actions', (t) => {
  const c = makeResults().cases[0] as OkCase;
  const spec = trialTimeSeriesSpec(c, 'x', 1000);
  t.regex(spec.subtitle[0]!, /nominally 1000 ms/);
  t.is(spec.series.length, 3);
  t.deepEqual(spec.series[0]!.points.slice(0, 2).map((p) => p.x), [0.5, 1.5]);
  const s0 = c.trials[0]!.samples[0]!;
  t.is(spec.series[0]!.points[0]!.y, Object.values(s0.progPps).reduce((a, b) => a + b, 0) / 1e6);
});

test('latency: not measured is said plainly; measured percentiles get a table and a chart', (t) => {
  t.true(renderRunHtml(makeResults()).includes('Not measured in this run (bench run --latency measures them).'));
  t.is(latencyChartSpec(makeResults()), null);

  const r = makeResults();
  const summary = (p50: number, p99: number) => ({ n: 198, sent: 200, lost: 2, lossRatio: 0.01, p50Ns: p50, p90Ns: p50 * 1.5, p99Ns: p99, p999Ns: p99 * 1.2, maxNs: p99 * 1.3, minNs: 900 }) as unknown as NonNullable<LatencyRecord['summary']>;
  r.latency = [
    { mode: 'native', state: 'ok', loadFraction: 0, maxPps: 3.6e6, targetLoadPps: 0, achievedLoadPps: null, summary: summary(3856, 5918) },
    { mode: 'native', state: 'ok', loadFraction: 0.5, maxPps: 3.6e6, targetLoadPps: 1.8e6, achievedLoadPps: 1.65e6, summary: summary(4066, 9805) },
    { mode: 'offload', state: 'skipped', reason: 'offload: EINVAL', loadFraction: 0, maxPps: null, targetLoadPps: 0, achievedLoadPps: null },
  ];
  const html = renderRunHtml(r);
  t.regex(html, /<tr class="ok"><td>native<\/td><td>idle<\/td><td class="r">-<\/td><td class="r">198\/200<\/td><td class="r">2 \(1\.0 %\)<\/td><td class="r">3\.9 µs<\/td>/);
  t.regex(html, /<td>native<\/td><td>50 % of max<\/td><td class="r">1\.80 Mpps \(sent 1\.65 Mpps\)<\/td>/);
  t.regex(html, /<tr class="skipped"><td>offload<\/td>.*<td>skipped: offload: EINVAL<\/td><\/tr>/);
  const spec = latencyChartSpec(r)!;
  t.deepEqual(spec.groups, ['native @ idle', 'native @ 50 % of max']);
  t.deepEqual(spec.series.map((s) => s.name), ['p50', 'p90', 'p99', 'p99.9']);
  t.deepEqual(spec.series[2]!.slots.map((b) => (b && 'value' in b ? b.value : null)), [5.918, 9.805]);
  t.true(embeddedSvgs(html).some((svg) => svg.includes('Round-trip latency through an XDP_TX reflector')));
  t.true(html.includes('Latency: round-trip time of probes through an XDP_TX reflector'), 'methodology says how');
});

test('a run with nothing measured still renders, and says so', (t) => {
  const r = makeResults();
  r.cases = r.cases.filter((c) => c.state !== 'ok');
  r.state = 'interrupted';
  const html = renderRunHtml(r);
  t.true(html.includes('No case was measured'));
  t.true(html.includes('Warning: the run is interrupted'));
  t.is(embeddedSvgs(html).length, 1, 'the bar chart with its empty, labelled slots');
});

test('text is escaped everywhere, including inside the charts', (t) => {
  const r = makeResults();
  r.cases[0]!.scenario = '<b>&"x';
  const html = renderRunHtml(r);
  t.false(html.includes('<b>&"x'));
  t.true(html.includes('&lt;b&gt;&amp;&quot;x'));
  t.true(embeddedSvgs(html)[0]!.includes('&lt;b&gt;&amp;&quot;x'));
  t.regex(chartFigure('<svg width="10" height="20"></svg>', 'a"b'), /alt="a&quot;b" width="10" height="20"/);
});

test('run report: an attached offload is a greyed row with its reason, prog id and tag, and an empty chart slot', (t) => {
  const html = renderRunHtml(makeAttachedResults());
  t.regex(html, /<tr class="attached"><td>xdp-drop<\/td><td>offload<\/td>/);
  t.regex(html, /attached \(netdevsim, no datapath\): netdevsim verifies and offloads the program but has no datapath: no packets, no pps; prog id 68, tag 02d8081970209794/);
  const offload = ppsBarChartSpec(makeAttachedResults()).series.find((x) => x.name === 'offload')!;
  t.deepEqual(offload.slots, [{ missing: 'offload: attached, no pps' }]);
});
