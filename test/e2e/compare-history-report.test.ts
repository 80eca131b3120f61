/*
 * For real, on veth: runs at a high and a low offered rate, then `bench compare`
 * (significance, regression exit code, HTML), `bench report` and `bench history`,
 * and every HTML file opened in headless chromium (no console errors, charts
 * drawn, screenshots in test-artifacts/).
 *
 * 5 trials per case, not 3: on a loaded 2-CPU machine the trial-to-trial CV of a
 * veth run reached 40-50 %, and with 3 trials a -95 % change then had p = 0.075.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bench, readResults } from './helpers.ts';
import { countColour, dataImages, openInChromium, type BrowserView } from './browser.ts';
import { EXIT } from '../../ground/errors.ts';
import type { Comparison } from '../../harness/analysis/compare.ts';

const SHORT = ['--trials', '5', '--duration', '0.5', '--warmup', '0.3', '--interval', '100'];
const HIGH_RATE = '500000';
const LOW_RATE = '25000'; // 95 % less: a regression no spread can hide
const A_COLOUR = '#1f5fa8'; // first series / native (reports/svg-chart.ts, chart-png.ts)

const parent = mkdtempSync(path.join(tmpdir(), 'bench-test-history-'));
const dir = (name: string) => path.join(parent, name);

/* In time order: three nights at the high rate, then three at the low rate. */
const RUNS: [name: string, modes: string, rate: string][] = [
  ['a1', 'native,generic', HIGH_RATE],
  ['a2', 'native', HIGH_RATE],
  ['a3', 'native', HIGH_RATE],
  ['b1', 'native,generic', LOW_RATE],
  ['b2', 'native', LOW_RATE],
  ['b3', 'native', LOW_RATE],
];

test.after.always(() => rmSync(parent, { recursive: true, force: true }));

test.serial.before('six real runs on veth', async (t) => {
  for (const [name, modes, rate] of RUNS) {
    const r = await bench(['run', 'drop-all', '--modes', modes, ...SHORT, '--rate', rate, '--out', dir(name)]);
    t.is(r.exitCode, 0, `${name}: ${String(r.stderr)}`);
    t.is(readResults(dir(name)).state, 'complete');
  }
});

function assertRendered(t: ExecutionContext, view: BrowserView, minImages: number): void {
  t.deepEqual(view.consoleLines, [], 'no console errors or CSP violations');
  const images = dataImages(view.dom);
  t.true(images.length >= minImages, `${images.length} data: images, expected at least ${minImages}`);
  for (const img of images) {
    t.true(img.mime === 'image/svg+xml' && img.bytes.length > 0 && img.bytes.toString('utf8').startsWith('<svg'), `a decodable SVG chart (${img.mime}, ${img.bytes.length} bytes)`);
  }
  t.true(!/(src|href)="https?:/.test(view.dom), 'nothing from the network');
}

test.serial('bench compare: table with significance, regression exit code on a crossed threshold, HTML renders', async (t) => {
  const out = dir('compare');
  const r = await bench(['compare', dir('a1'), dir('b1'), '--fail-on', 'drop-all/native/xdpPps<-50%', '--out', out]);
  t.is(r.exitCode, EXIT.regression, `${String(r.stdout)}\n${String(r.stderr)}`);
  const stdout = String(r.stdout);
  t.regex(stdout, /case\s+metric\s+A \(baseline\)\s+B\s+delta\s+delta %\s+p \(Welch\)\s+significant\s+change/);
  t.regex(stdout, /drop-all\/native\/64B\s+xdpPps\s+.*-9\d\.\d %\s+[<\d.]+\s+yes\s+REGRESSION/);
  t.regex(stdout, /FAIL\s+drop-all\/native\/xdpPps<-50%/);
  t.regex(stdout, /Verdict: REGRESSION/);
  t.regex(stdout, /B differs from A in Offered rate/);
  const json = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8')) as Comparison;
  const native = json.rows.find((row) => row.mode === 'native')!.cells[0]!;
  t.true(native.significant === true && native.deltaFraction! < -0.5, JSON.stringify(native.deltaFraction));

  const same = await bench(['compare', dir('a1'), dir('a1'), '--fail-on', 'drop-all/native/xdpPps<-50%']);
  t.is(same.exitCode, EXIT.ok, 'a run against itself: no change');

  const view = await openInChromium(path.join(out, 'compare.html'), 'compare-report.png');
  assertRendered(t, view, 1);
  t.true(view.dom.includes('Verdict: REGRESSION'));
  t.true(await countColour(view.screenshot, A_COLOUR, [1, 0.4]) > 2000, 'baseline bars drawn');
});

test.serial('bench report: the run report renders with its charts', async (t) => {
  const r = await bench(['report', dir('a1')]);
  t.is(r.exitCode, EXIT.ok, String(r.stderr));
  const view = await openInChromium(path.join(dir('a1'), 'report.html'), 'run-report.png');
  assertRendered(t, view, 3); // throughput bars + a time series per mode
  t.true(view.dom.includes('Methodology') && view.dom.includes('emulated'));
  t.true(await countColour(view.screenshot, A_COLOUR, [1, 0.4]) > 2000, 'native bar drawn');
});

test.serial('bench history: a trend over six runs with the step where the rate dropped', async (t) => {
  const out = dir('history-out');
  const r = await bench(['history', parent, '--metrics', 'xdpPps', '--min-segment', '3', '--out', out]);
  t.is(r.exitCode, EXIT.ok, String(r.stderr));
  const stdout = String(r.stdout);
  t.regex(stdout, /History of 6 runs/);
  const b1Label = readResults(dir('b1')).startedAt.slice(5, 19).replace('T', ' ');
  const nativeLine = stdout.split('\n').find((l) => l.startsWith('drop-all/native/64B'))!;
  t.regex(nativeLine, /\s6\/6\s/);
  t.true(nativeLine.includes(`at ${b1Label}`) || nativeLine.includes(`at ${b1Label.slice(0, 11)}`), nativeLine);
  t.regex(nativeLine, /-9\d\.\d % at .* REGRESSION/);
  t.regex(stdout.split('\n').find((l) => l.startsWith('drop-all/generic/64B'))!, /\s2\/6\s/);
  t.deepEqual(readdirSync(out).sort(), ['history-xdpPps.svg', 'history.html', 'history.json', 'history.md']);

  const view = await openInChromium(path.join(out, 'history.html'), 'history-report.png');
  assertRendered(t, view, 1);
  t.true(await countColour(view.screenshot, A_COLOUR) > 200, 'trend line drawn');
});
