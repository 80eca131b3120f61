/* npm run bench:harness [-- --quick] [--json FILE]: the harness's own hot
 * paths timed with tinybench, on captured inputs (test/fixtures):
 *   - parsing one sampler line (drivers/counter-sampler.ts parseSampleLine,
 *     the lines of trial-window-native-drop.jsonl in turn);
 *   - analysing a trial (analyseTrial on that real window);
 *   - validating and writing results.json after a case (assertValidResults,
 *     then the atomic write runner.ts writeResults does) into a temp dir;
 *   - rendering the reports of a run (report-files.ts writeReports: markdown,
 *     html, charts) of results-drop-all-veth.json, a real `bench run drop-all`;
 *   - reading 1,000 runs for history (findRuns, readRun of each, buildHistory,
 *     as `bench history` does) from 1,000 copies of that run with their own
 *     run ids and nightly start times, written to a temp dir first.
 * Prints ops/s (1 / tinybench's mean latency) with the relative margin of
 * error of that mean, mean and p99 latency per op and the sample count;
 * then, as root with native/build/xdpb, the sampling loop's own cost per
 * sample against 1 % of the 250 ms interval (benchmarks/sampling-cost.ts).
 * --json FILE writes the same (atomically); --quick is a short run
 * (test/harness/bench-harness.test.ts).
 * Nothing is asserted: it prints what it measured. Temp dirs and the
 * sampler's topology are removed in finally and on SIGINT/SIGTERM. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { parseSampleLine, type RawSample } from '../drivers/counter-sampler.ts';
import { writeFileAtomic } from '../ground/atomic-write.ts';
import { EXIT, UsageError } from '../ground/errors.ts';
import { REPO_ROOT } from '../ground/paths.ts';
import type { RunResults } from '../ground/result-schema.ts';
import { analyseTrial, type TrialInput } from '../harness/analysis/trial-analysis.ts';
import { findRuns, parseMetrics, readRun } from '../harness/cli/commands/shared.ts';
import { writeReports } from '../harness/results/report-files.ts';
import { RESULTS_FILE_NAME, assertValidResults, loadResults } from '../harness/results/results-io.ts';
import { buildHistory, type HistoryInput } from '../harness/analysis/history.ts';
import { Cleanup, DEFAULT_SAMPLE_INTERVAL_MS, measureSamplingCost, samplingCostLines, samplingCostUnavailable, type SamplingCost } from './sampling-cost.ts';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const WINDOW_FIXTURE = path.join(FIXTURES, 'trial-window-native-drop.jsonl');
const RESULTS_FIXTURE = path.join(FIXTURES, 'results-drop-all-veth.json');
const HISTORY_RUNS = 1000;
/** `bench history`'s defaults (harness/cli/commands/history.ts). */
const HISTORY_OPTIONS = { alpha: 0.05, minChangeFraction: 0.05, minSegmentRuns: 2 };

const TASKS = {
  parse: 'parse one sampler line',
  analyse: 'analyse a trial',
  write: 'validate + write results.json',
  render: 'render the reports of a run',
  history: `read ${HISTORY_RUNS.toLocaleString('en')} runs for history`,
} as const;

interface Options {
  quick: boolean;
  jsonFile: string | null;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { quick: false, jsonFile: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') o.quick = true;
    else if (a === '--json') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new UsageError('--json: needs a file name (--json FILE)');
      o.jsonFile = path.resolve(v);
    } else throw new UsageError(`${a}: unknown option (bench:harness takes --quick and --json FILE)`);
  }
  return o;
}

/** Per-task tinybench budgets: a slow op (reading 1,000 runs) gets fewer, a fast one at least `iterations`. */
interface Budget {
  timeMs: number;
  iterations: number;
  warmupIterations: number;
}

function budgets(quick: boolean): { fast: Budget; slow: Budget } {
  return quick
    ? { fast: { timeMs: 100, iterations: 10, warmupIterations: 2 }, slow: { timeMs: 0, iterations: 3, warmupIterations: 1 } }
    : { fast: { timeMs: 2000, iterations: 64, warmupIterations: 16 }, slow: { timeMs: 0, iterations: 10, warmupIterations: 1 } };
}

interface TaskRow {
  task: string;
  opsPerS: number;
  rmePercent: number;
  meanUs: number;
  p99Us: number;
  samples: number;
}

async function timeTask(task: string, fn: () => unknown, b: Budget): Promise<TaskRow> {
  const bench = new Bench({ name: task, time: b.timeMs, iterations: b.iterations, warmupIterations: b.warmupIterations, warmupTime: 0, throws: true });
  bench.add(task, fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`${task}: tinybench ended in state ${r.state}${'error' in r ? `: ${r.error.message}` : ''}`);
  // ops/s as back-to-back calls achieve it (1 / mean latency, with the mean's margin of error), not tinybench's
  // mean of per-call rates, which a few fast calls inflate and which would not match the mean column.
  return { task, opsPerS: 1000 / r.latency.mean, rmePercent: r.latency.rme, meanUs: r.latency.mean * 1000, p99Us: r.latency.p99 * 1000, samples: r.latency.samplesCount };
}

/** The captured window, as lines and as samples: what the sampler printed and what the runner keeps. */
function loadWindow(): { lines: string[]; window: RawSample[] } {
  const lines = readFileSync(WINDOW_FIXTURE, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return { lines, window: lines.map(parseSampleLine) };
}

/** Copies of the run with their own run ids and start times (one a night), each in its own run directory. */
function writeHistoryRuns(dir: string, run: RunResults): void {
  const firstNight = Date.parse(run.startedAt) - HISTORY_RUNS * 86_400_000;
  const durationMs = run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  for (let i = 0; i < HISTORY_RUNS; i++) {
    const startedMs = firstNight + i * 86_400_000;
    const copy = { ...run, runId: i.toString(16).padStart(8, '0'), startedAt: new Date(startedMs).toISOString(), finishedAt: durationMs === null ? null : new Date(startedMs + durationMs).toISOString() };
    const runDir = path.join(dir, `run-${String(i).padStart(4, '0')}`);
    mkdirSync(runDir);
    writeFileSync(path.join(runDir, RESULTS_FILE_NAME), `${JSON.stringify(copy, null, 2)}\n`);
  }
}

/** What `bench history DIR` does before rendering: find the runs, read and check each, build the trend. */
function readHistory(dir: string) {
  const found = findRuns([dir]);
  const skipped = [...found.problems];
  const inputs: HistoryInput[] = [];
  for (const source of found.sources) {
    const r = readRun(source);
    if (r.results) inputs.push({ source, results: r.results });
    else skipped.push({ source, reason: r.problem ?? 'no results' });
  }
  return buildHistory(inputs, skipped, parseMetrics('all', []), HISTORY_OPTIONS);
}

async function timeHotPaths(quick: boolean, scratch: string): Promise<TaskRow[]> {
  const { fast, slow } = budgets(quick);
  const { lines, window } = loadWindow();
  const results = loadResults(RESULTS_FIXTURE).results;
  const trial: TrialInput = { index: 0, mode: 'native', counters: 'program', window, proof: 'none', genOwnFrames: null, genOwnDurationMs: null };
  const writeDir = mkdtempSync(path.join(scratch, 'write-'));
  const renderDir = mkdtempSync(path.join(scratch, 'render-'));
  const historyDir = mkdtempSync(path.join(scratch, 'history-'));
  writeHistoryRuns(historyDir, results);

  // Each path once, checked, before it is timed: a benchmark of a path that fails measures nothing.
  if (!(analyseTrial(trial).xdpPps > 0)) throw new Error(`${WINDOW_FIXTURE}: the analysed trial has no XDP rate`);
  const reports = (await writeReports(renderDir, results)).filter((f) => path.basename(f) !== RESULTS_FILE_NAME);
  const missing = reports.filter((f) => !existsSync(f));
  if (reports.length < 3 || missing.length) throw new Error(`writeReports did not write its chart, report.md and report.html (missing: ${missing.join(', ') || 'none named'})`);
  const history = readHistory(historyDir);
  if (history.runs.length !== HISTORY_RUNS) throw new Error(`history read ${history.runs.length} runs of ${HISTORY_RUNS} (skipped: ${history.skipped.slice(0, 3).map((s) => s.reason).join('; ')})`);

  let next = 0;
  const rows: TaskRow[] = [];
  rows.push(await timeTask(TASKS.parse, () => parseSampleLine(lines[next++ % lines.length]!), fast));
  rows.push(await timeTask(TASKS.analyse, () => analyseTrial(trial), fast));
  const resultsFile = path.join(writeDir, RESULTS_FILE_NAME);
  rows.push(await timeTask(TASKS.write, () => {
    assertValidResults(results);
    writeFileAtomic(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  }, fast));
  rows.push(await timeTask(TASKS.render, () => writeReports(renderDir, results), fast));
  rows.push(await timeTask(TASKS.history, () => readHistory(historyDir), slow));
  return rows;
}

function printTable(rows: readonly TaskRow[]): void {
  const us = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(2)} us`);
  const table = [
    ['task', 'ops/s', 'rme', 'mean', 'p99', 'samples'],
    ...rows.map((r) => [r.task, r.opsPerS.toFixed(r.opsPerS >= 100 ? 0 : 2), `±${r.rmePercent.toFixed(2)} %`, us(r.meanUs), us(r.p99Us), String(r.samples)]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-harness-'));
  const cleanup = new Cleanup();
  cleanup.push(`temp dir ${scratch}`, () => rmSync(scratch, { recursive: true, force: true }));
  let closing: Promise<string[]> | undefined;
  const close = () => (closing ??= cleanup.run());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    // `on`, not `once`: a second Ctrl-C must not kill the process mid-cleanup.
    process.on(sig, () => {
      if (closing) return;
      console.error(`\n${sig}: removing what bench:harness made`);
      void close().then((failures) => {
        reportCleanup(failures);
        process.exit(EXIT.interrupted);
      });
    });
  }
  try {
    console.log(`bench:harness${opts.quick ? ' --quick' : ''} on ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, node ${process.version}\n`);
    // The sampling loop first: this process's CPU over its window is then not the GC and JIT work the timing below leaves behind.
    const unavailable = samplingCostUnavailable();
    let sampling: SamplingCost;
    if (unavailable) sampling = { measured: false, reason: unavailable };
    else {
      const samples = opts.quick ? 8 : 120;
      console.log(`sampling loop: xdpb sample every ${DEFAULT_SAMPLE_INTERVAL_MS} ms for ${samples} samples on a throwaway veth topology ...`);
      // Its own undo steps, run as soon as it is measured: the sampler must not run beside the timing below.
      const lab = new Cleanup();
      cleanup.push('sampling topology', async () => reportCleanup(await lab.run()));
      try {
        sampling = await measureSamplingCost(samples, lab);
      } finally {
        reportCleanup(await lab.run());
      }
    }
    console.log('timing the hot paths ...\n');
    const rows = await timeHotPaths(opts.quick, scratch);
    printTable(rows);
    console.log('');
    for (const line of samplingCostLines(sampling)) console.log(line);
    if (opts.jsonFile) {
      writeFileAtomic(opts.jsonFile, `${JSON.stringify({ quick: opts.quick, node: process.version, cpuModel: os.cpus()[0]?.model ?? null, tasks: rows, sampling }, null, 2)}\n`);
      console.log(`\nwrote ${opts.jsonFile}`);
    }
  } finally {
    reportCleanup(await close());
  }
}

function reportCleanup(failures: readonly string[]): void {
  for (const f of failures) console.error(`cleanup: ${f}`);
  if (failures.length) process.exitCode = EXIT.runFailure;
}

try {
  await main();
} catch (err) {
  console.error(`bench:harness: ${(err as Error).message}`);
  process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.runFailure;
}
