import test from 'ava';
import { formatTick, niceTicks, renderBarChartSvg, renderLineChartSvg, svgDataUri, type LineChartSpec } from '../../reports/svg-chart.ts';

test('niceTicks: round steps of 1, 2 or 5 that cover the range', (t) => {
  t.deepEqual(niceTicks(0, 7.2, 6), [0, 2, 4, 6, 8]);
  t.deepEqual(niceTicks(0, 13.6, 6), [0, 5, 10, 15]);
  t.deepEqual(niceTicks(9.4, 10.6, 6), [9.4, 9.6, 9.8, 10, 10.2, 10.4, 10.6]);
  t.deepEqual(niceTicks(0, 0, 5), [0, 0.2, 0.4, 0.6, 0.8, 1], 'an empty range becomes 0..1');
  for (const [lo, hi] of [[0, 0.37], [3, 1234], [-5, 5]] as const) {
    const ticks = niceTicks(lo, hi, 6);
    t.true(ticks[0]! <= lo && ticks[ticks.length - 1]! >= hi, `${lo}..${hi}: ${ticks.join(',')}`);
  }
});

test('formatTick: as many decimals as the spacing needs', (t) => {
  t.is(formatTick(10, 10), '10');
  t.is(formatTick(2.5, 10), '2.5');
  t.is(formatTick(9.8, 1.2), '9.8');
  t.is(formatTick(0.05, 0.2), '0.05');
  t.is(formatTick(0.30000000000000004, 1), '0.3', 'no float noise');
});

const LINE: LineChartSpec = {
  title: 'T', subtitle: ['s'], xLabel: 'x', yLabel: 'y', yFromZero: true,
  series: [{ name: 'a', colour: '#123456', points: [{ x: 0, y: 1, low: 0.5, high: 1.5 }, { x: 1, y: 2 }, { x: 2, y: 3 }] }],
  xTicks: [{ x: 0, label: 'r0' }, { x: 1, label: 'r1' }, { x: 2, label: 'r2' }],
  markers: [{ x: 1.5, label: 'step -20 %' }],
};

test('line chart: a path through the points, whiskers, labelled ticks and a step marker', (t) => {
  const svg = renderLineChartSvg(LINE);
  t.is((svg.match(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+L[\d.]+ [\d.]+" fill="none" stroke="#123456"/g) ?? []).length, 1);
  t.is((svg.match(/<circle /g) ?? []).length, 3);
  t.true(svg.includes('>r0</text>') && svg.includes('>r2</text>'));
  t.true(svg.includes('>step -20 %</text>'));
  t.true(svg.includes('stroke-dasharray="6 4"'), 'dashed marker line');
  t.is(renderLineChartSvg(LINE), svg, 'deterministic');
  const broken = renderLineChartSvg({ ...LINE, series: [{ ...LINE.series[0]!, points: LINE.series[0]!.points.map((p, i) => (i === 2 ? { ...p, breakBefore: true } : p)) }] });
  t.regex(broken, /<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+M[\d.]+ [\d.]+" fill="none"/, 'a gap starts a new subpath');
});

test('bar chart: heights proportional to values; a missing slot is a dashed outline with its reason', (t) => {
  const svg = renderBarChartSvg({
    title: 'T', subtitle: [], xLabel: 'x', yLabel: 'Mpps', groups: ['g'],
    series: [
      { name: 'a', colour: '#111111', slots: [{ value: 4, label: '4', pale: false, marks: [] }] },
      { name: 'b', colour: '#222222', slots: [{ value: 2, label: '2', pale: false, marks: ['coupled'] }] },
      { name: 'c', colour: '#333333', slots: [{ missing: 'c: skipped' }] },
    ],
  });
  const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#(111111|222222)"/g)].map((m) => Number(m[1]));
  t.is(heights.length, 2);
  t.true(Math.abs(heights[0]! / heights[1]! - 2) < 0.01, heights.join(' vs '));
  t.true(svg.includes('fill="none" stroke="#333333" stroke-dasharray="4 3"'));
  t.true(svg.includes('>c: skipped</text>'));
  t.true(svg.includes('>coupled</text>'));
});

test('data URI: base64 of the exact SVG', (t) => {
  const uri = svgDataUri('<svg>é</svg>');
  t.true(uri.startsWith('data:image/svg+xml;base64,'));
  t.is(Buffer.from(uri.split(',')[1]!, 'base64').toString('utf8'), '<svg>é</svg>');
});
