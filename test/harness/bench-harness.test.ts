/* npm run bench:harness -- --quick --json FILE, run for real (as root: with the
 * real sampler on its own veth topology): every hot path timed, the sampling
 * cost measured, nothing left behind. No performance thresholds: those are the
 * benchmark's output, not something a test can hold a machine to. */
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT } from '../../ground/errors.ts';
import { BPFFS_ROOT, REPO_ROOT } from '../../ground/paths.ts';

const TASKS = ['parse one sampler line', 'analyse a trial', 'validate + write results.json', 'render the reports of a run', 'read 1,000 runs for history'];
const SCRIPT = path.join(REPO_ROOT, 'benchmarks', 'bench-harness.ts');
const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'xdpb-bench-harness-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const benchHarness = (args: string[]) => execa('node', ['--import', 'tsx', SCRIPT, ...args], { cwd: REPO_ROOT, reject: false, timeout: 150_000 });
const ours = (names: string[]) => names.filter((n) => n.startsWith('xdpb-hb'));
const netnsNames = async () => (await execa('ip', ['netns', 'list'], { reject: false })).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
const tempDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('bench-harness-'));

interface Row { task: string; opsPerS: number; rmePercent: number; meanUs: number; p99Us: number; samples: number }

test.serial('--quick --json: every hot path has ops/s, a finite margin of error, latencies and samples; the sampling cost is measured (as root)', async (t) => {
  const jsonFile = path.join(dir, 'bench.json');
  const tempsBefore = new Set(tempDirs());
  const r = await benchHarness(['--quick', '--json', jsonFile]);
  t.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);

  const out = JSON.parse(readFileSync(jsonFile, 'utf8')) as { quick: boolean; tasks: Row[]; sampling: Record<string, unknown> };
  t.true(out.quick);
  t.deepEqual(out.tasks.map((x) => x.task), TASKS);
  for (const row of out.tasks) {
    t.true(Number.isFinite(row.opsPerS) && row.opsPerS > 0, `${row.task}: ops/s ${row.opsPerS}`);
    t.true(Number.isFinite(row.rmePercent) && row.rmePercent >= 0, `${row.task}: rme ${row.rmePercent}`);
    t.true(row.meanUs > 0 && Number.isFinite(row.p99Us) && row.p99Us > 0, `${row.task}: mean ${row.meanUs} us, p99 ${row.p99Us} us`);
    t.true(Number.isInteger(row.samples) && row.samples >= 3, `${row.task}: ${row.samples} samples`);
    // The table prints the same rows.
    t.regex(r.stdout, new RegExp(`^${row.task.replace(/[.+]/g, '\\$&')}\\s+[0-9.]+\\s+±[0-9.]+ %\\s+[0-9.]+ (us|ms)\\s+[0-9.]+ (us|ms)\\s+${row.samples}$`, 'm'));
  }

  const s = out.sampling;
  if (isRoot) {
    t.is(s.measured, true, `sampling cost not measured: ${String(s.reason)}`);
    t.is(s.intervalMs, 250);
    t.true((s.samples as number) >= 1, `${String(s.samples)} samples`);
    // A sampler that took samples used CPU: zero would mean the /proc reading is broken, not that it is fast.
    if (s.samplerCpuSource === 'schedstat') t.true((s.samplerCpuNs as number) > 0, `sampler CPU ${String(s.samplerCpuNs)} ns`);
    for (const k of ['samplerCpuNs', 'harnessCpuNs', 'harnessIdleCpuNs', 'perSampleUs', 'fractionOfInterval']) t.true(Number.isFinite(s[k]) && (s[k] as number) >= 0, `${k} = ${String(s[k])}`);
    t.is(s.fractionOfInterval, (s.perSampleUs as number) / 250_000);
    t.is(typeof s.pass, 'boolean');
    t.regex(r.stdout, /^sampling cost per sample: [0-9.]+ us = [0-9.]+ % of the 250 ms interval: (PASS|FAIL) \(limit 1\.000 %\)$/m);
    t.deepEqual(ours(await netnsNames()), [], 'the sampler topology is removed');
    t.deepEqual(existsSync(BPFFS_ROOT) ? ours(readdirSync(BPFFS_ROOT)) : [], [], 'its pins are removed');
  } else {
    t.is(s.measured, false);
    t.regex(r.stdout, /^sampling cost per sample: skipped: not root/m);
  }
  t.deepEqual(tempDirs().filter((n) => !tempsBefore.has(n)), [], 'the temp dir (1,000 history runs, written results and reports) is removed');
});

test('bad options exit with the usage code and name the option', async (t) => {
  const unknown = await benchHarness(['--fast']);
  t.is(unknown.exitCode, EXIT.usage);
  t.regex(unknown.stderr, /--fast: unknown option/);
  const noFile = await benchHarness(['--json']);
  t.is(noFile.exitCode, EXIT.usage);
  t.regex(noFile.stderr, /--json: needs a file name/);
});
