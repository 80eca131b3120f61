/* The charts beyond pps per mode: pps vs packet size (sweeps), offered vs
 * processed, latency percentiles per mode and load, latency CDF, program cost.
 * Pure: results in, PNG bytes out; null when the run has nothing to draw. */
import type { ChartConfiguration, Plugin } from 'chart.js';
import type { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import type { OkCase, RunResults } from '../ground/result-schema.ts';
import { getRenderer, MODE_COLOURS, whiteBackgroundPlugin } from './chart-png.ts';

const WIDTH_PX = 1000;
const HEIGHT_PX = 560;

async function render(config: ChartConfiguration): Promise<Buffer> {
  const r = await getRenderer(WIDTH_PX, HEIGHT_PX);
  return r.renderToBuffer(config as unknown as Parameters<ChartJSNodeCanvas['renderToBuffer']>[0], 'image/png');
}

const background = whiteBackgroundPlugin() as unknown as Plugin;
const okCases = (r: RunResults) => r.cases.filter((c): c is OkCase => c.state === 'ok');
const title = (text: string, sub?: string) => ({ title: { display: true, text }, subtitle: { display: !!sub, text: sub ?? '' } });

/** pps (median) vs packet size, one line per scenario/mode: only for sweeps (>= 2 sizes). */
export async function renderSweepChartPng(results: RunResults): Promise<Buffer | null> {
  const sizes = [...new Set(okCases(results).map((c) => c.pktSizeBytes))].sort((a, b) => a - b);
  if (sizes.length < 2) return null;
  const series = new Map<string, OkCase[]>();
  for (const c of okCases(results)) series.set(`${c.scenario}/${c.mode}`, [...(series.get(`${c.scenario}/${c.mode}`) ?? []), c]);
  const datasets = [...series.entries()].map(([label, cases]) => ({
    label,
    data: sizes.map((size) => {
      const c = cases.find((x) => x.pktSizeBytes === size);
      return c ? c.stats.xdpPps.median / 1e6 : null;
    }),
    borderColor: MODE_COLOURS[cases[0]!.mode],
    backgroundColor: MODE_COLOURS[cases[0]!.mode],
    spanGaps: false,
  }));
  return render({
    type: 'line',
    data: { labels: sizes.map((s) => `${s} B`), datasets },
    options: { plugins: { ...title('XDP pps vs packet size (median of trials)', 'skipped and failed cases are gaps, never zero') }, scales: { y: { title: { display: true, text: 'Mpps' }, beginAtZero: true }, x: { title: { display: true, text: 'packet size on the wire (incl. FCS)' } } } },
    plugins: [background],
  });
}

/** Offered vs processed vs lost before XDP, per case (medians). */
export async function renderOfferedChartPng(results: RunResults): Promise<Buffer | null> {
  const cases = okCases(results);
  if (cases.length === 0) return null;
  const labels = cases.map((c) => `${c.scenario}/${c.mode}${results.parameters.pktSizesBytes.length > 1 ? `/${c.pktSizeBytes}B` : ''}`);
  return render({
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'offered', data: cases.map((c) => c.stats.offeredPps.median / 1e6), backgroundColor: '#9aa5b1' },
        { label: 'processed by XDP', data: cases.map((c) => c.stats.xdpPps.median / 1e6), backgroundColor: '#2b6cb0' },
        { label: 'lost before XDP', data: cases.map((c) => c.stats.lostBeforeXdpPps.median / 1e6), backgroundColor: '#c05621' },
      ],
    },
    options: { plugins: { ...title('Offered vs processed (median of trials)', 'processed close to offered = generator-bound: a lower bound, not capacity') }, scales: { y: { title: { display: true, text: 'Mpps' }, beginAtZero: true } } },
    plugins: [background],
  });
}

/** p50 / p99 / p99.9 RTT per mode and load level (log scale, microseconds). */
export async function renderLatencyChartPng(results: RunResults): Promise<Buffer | null> {
  const ok = (results.latency ?? []).filter((l) => l.state === 'ok' && l.summary && l.summary.p50Ns !== null);
  if (ok.length === 0) return null;
  const labels = ok.map((l) => `${l.mode} @ ${Math.round(l.loadFraction * 100)} %`);
  const us = (ns: number | null) => (ns === null ? null : ns / 1e3);
  return render({
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'p50', data: ok.map((l) => us(l.summary!.p50Ns)), backgroundColor: '#2b6cb0' },
        { label: 'p99', data: ok.map((l) => us(l.summary!.p99Ns)), backgroundColor: '#dd6b20' },
        { label: 'p99.9', data: ok.map((l) => us(l.summary!.p999Ns)), backgroundColor: '#c53030' },
      ],
    },
    options: {
      plugins: { ...title('Round-trip latency through the XDP_TX reflector', `load in % of the reflector's measured maximum; ${ok[0]!.summary!.timestampSource} timestamps`) },
      scales: { y: { type: 'logarithmic', title: { display: true, text: 'RTT (µs, log scale)' } } },
    },
    plugins: [background],
  });
}

/** Cumulative distribution of RTT per mode and load, from the histogram in the JSON. */
export async function renderLatencyCdfPng(results: RunResults): Promise<Buffer | null> {
  const ok = (results.latency ?? []).filter((l) => l.state === 'ok' && l.summary && l.summary.n > 0);
  if (ok.length === 0) return null;
  const palette = ['#2b6cb0', '#dd6b20', '#c53030', '#2f855a', '#6b46c1', '#b7791f', '#319795', '#97266d'];
  const datasets = ok.map((l, i) => {
    let seen = 0;
    const total = l.summary!.histogram.buckets.reduce((s, b) => s + b.count, 0);
    const points = l.summary!.histogram.buckets.filter((b) => b.count > 0).map((b) => {
      seen += b.count;
      return { x: b.highNs / 1e3, y: seen / total };
    });
    return { label: `${l.mode} @ ${Math.round(l.loadFraction * 100)} %`, data: points, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], showLine: true, stepped: true as const, pointRadius: 0 };
  });
  return render({
    type: 'scatter',
    data: { datasets },
    options: {
      plugins: { ...title('Latency CDF', 'from the log-linear histogram in results.json (bucket upper bounds)') },
      scales: { x: { type: 'logarithmic', title: { display: true, text: 'RTT (µs, log scale)' } }, y: { min: 0, max: 1, title: { display: true, text: 'fraction of probes' } } },
    },
    plugins: [background],
  });
}

/** ns per packet (median, with min-max in the label) per scenario program, from --prog-run. */
export async function renderProgRunChartPng(results: RunResults): Promise<Buffer | null> {
  const runs = results.progRun ?? [];
  if (runs.length === 0) return null;
  return render({
    type: 'bar',
    data: {
      labels: runs.map((r) => `${r.scenario} (${r.program}): ${r.summary.nsPerPacket.min}-${r.summary.nsPerPacket.max} ns`),
      datasets: [{ label: 'ns per packet (median)', data: runs.map((r) => r.summary.nsPerPacket.median), backgroundColor: '#2b6cb0' }],
    },
    options: { plugins: { ...title('Program cost per packet (BPF_PROG_TEST_RUN, no NIC)', 'the kernel reports whole nanoseconds') }, scales: { y: { beginAtZero: true, title: { display: true, text: 'ns per packet' } } } },
    plugins: [background],
  });
}
