/* bench compare / history / report on constructed result directories: exit codes, outputs, messages (no traffic, no root). */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bench } from '../e2e/helpers.ts';
import { EXIT } from '../../ground/errors.ts';
import { SCHEMA_VERSION, type RunResults } from '../../ground/result-schema.ts';
import { makeRun } from '../reports/runs-fixture.ts';

const root = mkdtempSync(path.join(tmpdir(), 'xdpb-commands-'));

function writeRun(name: string, results: RunResults | string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'results.json'), typeof results === 'string' ? results : JSON.stringify(results, null, 2));
  return dir;
}

test.after.always(() => rmSync(root, { recursive: true, force: true }));

const BASE = writeRun('base', makeRun({ runId: 'base', startedAt: '2025-12-01T02:00:00.000Z', cases: { native: [6_412_345, 6_380_120, 6_455_900] } }));
const SLOW = writeRun('slow', makeRun({ runId: 'slow', startedAt: '2025-12-02T02:00:00.000Z', cases: { native: [5_801_000, 5_760_500, 5_829_300] } }));

test('compare: a significant drop past --fail-on exits with the regression code and writes HTML, Markdown, JSON', async (t) => {
  const out = path.join(root, 'cmp-out');
  const r = await bench(['compare', BASE, SLOW, '--fail-on', 'xdp-drop/native/xdpPps<-5%', '--out', out]);
  t.is(r.exitCode, EXIT.regression, String(r.stderr));
  const stdout = String(r.stdout);
  t.regex(stdout, /case\s+metric\s+A \(baseline\)\s+B\s+delta\s+delta %\s+p \(Welch\)\s+significant\s+change/);
  t.regex(stdout, /xdp-drop\/native\/64B\s+xdpPps.*-9\.7 %\s+<0\.0001\s+yes\s+REGRESSION/);
  t.regex(stdout, /Verdict: REGRESSION/);
  t.deepEqual(readdirSync(out).sort(), ['compare.html', 'compare.json', 'compare.md']);
  t.is((JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8')) as { verdict: string }).verdict, 'regression');
  t.regex(readFileSync(path.join(out, 'compare.html'), 'utf8'), /Verdict: REGRESSION/);
});

test('compare: the same run twice passes; --format json prints the model', async (t) => {
  const r = await bench(['compare', BASE, BASE, '--fail-on', '*/*/xdpPps<-1%', '--format', 'json']);
  t.is(r.exitCode, EXIT.ok, String(r.stderr));
  t.is((JSON.parse(String(r.stdout)) as { verdict: string }).verdict, 'pass');
});

test('compare: a missing or newer-schema baseline is a verdict with its reason, exit 5', async (t) => {
  const missing = await bench(['compare', path.join(root, 'no-such-run'), SLOW, '--fail-on', 'xdp-drop/native/xdpPps<-5%']);
  t.is(missing.exitCode, EXIT.notComparable, String(missing.stderr));
  t.regex(String(missing.stdout), /baseline .*no-such-run\/?\S* cannot be used: no such file/);
  t.regex(String(missing.stdout), /Verdict: NOT COMPARABLE/);

  const future = makeRun({ runId: 'future', startedAt: '2025-12-03T02:00:00.000Z', cases: {} }) as unknown as Record<string, unknown>;
  future['schemaVersion'] = SCHEMA_VERSION + 1;
  const newer = writeRun('future', JSON.stringify(future));
  const r = await bench(['compare', newer, SLOW]);
  t.is(r.exitCode, EXIT.notComparable);
  t.regex(String(r.stdout), new RegExp(`results schema version ${SCHEMA_VERSION + 1} is newer than this xdp bench understands`));
});

test('compare: every bad flag is reported at once, exit 2, nothing written', async (t) => {
  const out = path.join(root, 'never');
  const r = await bench(['compare', BASE, SLOW, '--fail-on', 'drop-all/native/xdpPps', '--fail-on', 'x/warp/xdpPps<1%', '--metrics', 'xdpPps,speed', '--alpha', '2', '--out', out]);
  t.is(r.exitCode, EXIT.usage);
  const err = String(r.stderr);
  t.regex(err, /--fail-on "drop-all\/native\/xdpPps": expected SCENARIO\/MODE/);
  t.regex(err, /unknown mode "warp"/);
  t.regex(err, /--metrics: unknown metric "speed"/);
  t.regex(err, /--alpha "2": expected a number between 0 and 1/);
  t.false(existsSync(out));
});

test('history: a directory of nightly runs gives a trend, a step, and chart files', async (t) => {
  const nightly = path.join(root, 'nightly');
  const mpps = [6.41, 6.44, 6.38, 6.42, 5.12, 5.15, 5.09, 5.13];
  mpps.forEach((m, i) => {
    const day = String(i + 1).padStart(2, '0');
    writeRun(path.join('nightly', `2025-12-${day}`), makeRun({ runId: `n${i}`, startedAt: `2025-12-${day}T02:00:00.000Z`, cases: { native: [m * 0.998e6, m * 1e6, m * 1.002e6] } }));
  });
  writeRun(path.join('nightly', 'crashed'), '{"schemaVersion": 1,');
  const out = path.join(root, 'hist-out');
  const r = await bench(['history', nightly, '--metrics', 'xdpPps', '--out', out]);
  t.is(r.exitCode, EXIT.ok, String(r.stderr));
  t.regex(String(r.stdout), /History of 8 runs/);
  t.regex(String(r.stdout), /nightly\/crashed: not JSON \(/);
  t.regex(String(r.stdout), /xdp-drop\/native\/64B\s+xdpPps\s+8\/8.*-20\.\d % at 12-05 02:00.*REGRESSION/);
  t.deepEqual(readdirSync(out).sort(), ['history-xdpPps.svg', 'history.html', 'history.json', 'history.md']);
  t.regex(readFileSync(path.join(out, 'history-xdpPps.svg'), 'utf8'), /^<svg /);

  const one = await bench(['history', BASE]);
  t.is(one.exitCode, EXIT.notComparable);
  t.regex(String(one.stderr), /only 1 usable run: a trend needs at least 2/);
});

test('report: one run into its directory; several merged into --out; a bad input is exit 5', async (t) => {
  const single = await bench(['report', BASE]);
  t.is(single.exitCode, EXIT.ok, String(single.stderr));
  for (const f of ['report.html', 'report.md', 'report.json', 'chart.png']) t.true(existsSync(path.join(BASE, f)), f);
  t.true(readFileSync(path.join(BASE, 'report.md'), 'utf8').includes('](chart.png)'), 'report.md as bench run writes it');
  t.regex(String(single.stdout), /Run base \(complete\)/);

  const noOut = await bench(['report', BASE, SLOW]);
  t.is(noOut.exitCode, EXIT.usage);
  t.regex(String(noOut.stderr), /--out: required when merging several runs/);

  const out = path.join(root, 'merged');
  const merged = await bench(['report', BASE, SLOW, '--out', out]);
  t.is(merged.exitCode, EXIT.ok, String(merged.stderr));
  t.regex(readFileSync(path.join(out, 'report.html'), 'utf8'), /<h1>XDP bench report: 2 runs<\/h1>/);

  const withBad = await bench(['report', BASE, path.join(root, 'nothing-here'), '--out', path.join(root, 'merged2')]);
  t.is(withBad.exitCode, EXIT.notComparable);
  t.regex(String(withBad.stderr), /nothing-here: not used: no such file/);
});

test('--help documents the new exit codes', async (t) => {
  const r = await bench(['--help']);
  t.regex(String(r.stdout), /\n {2}4 {4}compare: a --fail-on threshold was crossed/);
  t.regex(String(r.stdout), /\n {2}5 {4}compare\/report\/history: results missing/);
  const c = await bench(['compare', '--help']);
  t.regex(String(c.stdout), /--fail-on <threshold>/);
});
