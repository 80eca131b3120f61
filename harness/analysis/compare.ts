/*
 * Comparison of runs: a baseline (the first run) against one or more candidates,
 * per scenario/mode/packet size and metric. Values are means over trials; a
 * difference is significant when Welch's two-sided t-test on the per-trial
 * values gives p < alpha. Thresholds (--fail-on, ./threshold.ts) turn the
 * comparison into a verdict. The model only: reports/compare.ts renders it as
 * terminal text, Markdown, HTML and JSON.
 */

import type { CaseFlag, CaseResult, OkCase, RunResults, XdpMode } from '../../ground/result-schema.ts';
// Formatting of the figures the model itself states (a threshold's observed change, its detail sentence).
import { formatPValue, formatSignedPercent, formatSignedPps } from '../../ground/format.ts';
import { environmentFields, parameterFields } from '../../ground/run-info.ts';
import { caseKey, METRICS, type MetricId } from './metrics.ts';
import { welchTTest, type Untestable, type WelchTest } from './significance.ts';
import { crosses, type Threshold } from './threshold.ts';

/** A run as given: its results, or why they cannot be used. */
export interface RunInput {
  /** Where it came from (a directory or file). */
  source: string;
  results: RunResults | null;
  problem: string | null;
}

export interface RunRef {
  /** A, B, C, ...: A is the baseline. */
  label: string;
  source: string;
  runId: string | null;
  startedAt: string | null;
  host: string | null;
  kernel: string | null;
  problem: string | null;
}

export type Side =
  | { state: 'ok'; values: number[]; n: number; mean: number; median: number; cv: number; min: number; max: number; flags: CaseFlag[] }
  /** attached: offloaded on a device without a datapath; interrupted: fewer trials than planned. No full figure, so never comparable (never a zero). */
  | { state: 'skipped' | 'failed' | 'attached' | 'interrupted' | 'absent'; reason: string };

export type Change = 'regression' | 'improvement' | 'within-noise' | 'untested' | 'not-comparable';

export interface ComparisonCell {
  /** Index into Comparison.runs (a candidate, never 0). */
  run: number;
  side: Side;
  /** Candidate mean minus baseline mean. */
  deltaPps: number | null;
  /** deltaPps / baseline mean. */
  deltaFraction: number | null;
  test: WelchTest | Untestable | null;
  /** p < alpha; null when there was no test. */
  significant: boolean | null;
  change: Change;
  /** Why it is untested or not comparable. */
  why: string | null;
}

export interface ComparisonRow {
  key: string;
  scenario: string;
  mode: XdpMode;
  pktSizeBytes: number;
  metric: MetricId;
  baseline: Side;
  cells: ComparisonCell[];
}

/**
 * pass / fail / crossed-not-significant: evaluated. not-comparable: the case is named but lacks a value on a side
 * (undecidable). not-measured: matched only through a wildcard and not measured in the baseline (e.g. offload on
 * veth, skipped every time): listed, but it does not decide anything.
 */
export type ThresholdOutcome = 'pass' | 'fail' | 'crossed-not-significant' | 'not-comparable' | 'not-measured';

export interface ThresholdCheck {
  threshold: string;
  key: string | null;
  run: number | null;
  outcome: ThresholdOutcome;
  /** The change that was compared ("-91.7 %"), or null. */
  observed: string | null;
  detail: string;
}

export type Verdict = 'pass' | 'regression' | 'not-comparable';

export interface Comparison {
  alpha: number;
  test: string;
  runs: RunRef[];
  metrics: MetricId[];
  rows: ComparisonRow[];
  thresholds: ThresholdCheck[];
  verdict: Verdict;
  /** Why the verdict is what it is, one sentence each. */
  reasons: string[];
  /** Parameters and environment that differ between the baseline and a candidate. */
  differences: string[];
}

export interface CompareOptions {
  metrics: MetricId[];
  alpha: number;
  thresholds: Threshold[];
}

export const TEST_DESCRIPTION = "Welch's two-sided t-test on the per-trial values (unequal variances)";

export function runLetter(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `R${i + 1}`;
}

export function buildComparison(runs: readonly RunInput[], opts: CompareOptions): Comparison {
  if (runs.length < 2) throw new RangeError('a comparison needs a baseline and at least one candidate');
  if (!(opts.alpha > 0 && opts.alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${opts.alpha}`);
  const refs: RunRef[] = runs.map((r, i) => ({
    label: runLetter(i),
    source: r.source,
    runId: r.results?.runId ?? null,
    startedAt: r.results?.startedAt ?? null,
    host: r.results?.environment.hostname ?? null,
    kernel: r.results?.environment.kernel ?? null,
    problem: r.results ? null : (r.problem ?? 'no results'),
  }));
  const metrics = [...new Set([...opts.metrics, ...opts.thresholds.map((t) => t.metric)])];

  // Every case of every usable run, in order of first appearance (baseline first).
  const cases = new Map<string, { scenario: string; mode: XdpMode; pktSizeBytes: number }>();
  for (const r of runs) for (const c of r.results?.cases ?? []) if (!cases.has(caseKey(c))) cases.set(caseKey(c), c);
  const keys = [...cases.keys()];

  const sideOf = (run: RunInput, key: string, metric: MetricId): Side => {
    if (!run.results) return { state: 'absent', reason: `run not usable: ${run.problem ?? 'no results'}` };
    const c = run.results.cases.find((x) => caseKey(x) === key);
    if (!c) return { state: 'absent', reason: 'not in this run' };
    return sideOfCase(c, metric);
  };

  const rows: ComparisonRow[] = [];
  for (const key of keys) {
    const c = cases.get(key)!;
    for (const metric of metrics) {
      const baseline = sideOf(runs[0]!, key, metric);
      const cells = runs.slice(1).map((run, j) => compareCell(baseline, sideOf(run, key, metric), j + 1, metric, opts.alpha));
      rows.push({ key, scenario: c.scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes, metric, baseline, cells });
    }
  }

  const thresholds = opts.thresholds.flatMap((t) => checkThreshold(t, rows, refs, opts.alpha));
  const reasons: string[] = [];
  const failed = thresholds.filter((t) => t.outcome === 'fail');
  const undecided = thresholds.filter((t) => t.outcome === 'not-comparable');
  for (const f of failed) reasons.push(`${f.threshold} crossed: ${f.detail}`);
  if (refs[0]!.problem) reasons.push(`baseline ${refs[0]!.source} cannot be used: ${refs[0]!.problem}`);
  for (const r of refs.slice(1)) if (r.problem) reasons.push(`candidate ${r.label} (${r.source}) cannot be used: ${r.problem}`);
  const usable = runs.filter((r) => r.results);
  const common = keys.filter((k) => usable.every((r) => r.results!.cases.some((c) => caseKey(c) === k && c.state === 'ok')));
  if (usable.length === runs.length && common.length === 0) reasons.push('no scenario/mode/size was measured in every run: nothing to compare');
  for (const u of undecided) reasons.push(`${u.threshold}: cannot be decided: ${u.detail}`);
  const noisy = thresholds.filter((t) => t.outcome === 'crossed-not-significant');

  let verdict: Verdict = 'pass';
  if (failed.length > 0) verdict = 'regression';
  else if (reasons.length > 0) verdict = 'not-comparable';
  if (verdict === 'pass') {
    reasons.push(opts.thresholds.length > 0
      ? `no threshold crossed by a significant difference (${thresholds.length} check${thresholds.length === 1 ? '' : 's'})`
      : 'no thresholds given (--fail-on): nothing to fail on');
  }
  for (const n of noisy) reasons.push(`${n.threshold} crossed, but within the trial spread, so not a failure: ${n.detail}`);

  return {
    alpha: opts.alpha,
    test: TEST_DESCRIPTION,
    runs: refs,
    metrics,
    rows,
    thresholds,
    verdict,
    reasons,
    differences: runDifferences(runs, refs),
  };
}

function sideOfCase(c: CaseResult, metric: MetricId): Side {
  if (c.state === 'skipped') return { state: 'skipped', reason: c.reason };
  if (c.state === 'attached') return { state: 'attached', reason: `${c.driver}, no datapath: ${c.reason}` };
  if (c.state === 'failed') return { state: 'failed', reason: `${c.stage}: ${c.reason}` };
  if (c.state === 'interrupted') return { state: 'interrupted', reason: c.reason };
  const values = c.trials.map((t) => t[metric]);
  if (values.length === 0) return { state: 'absent', reason: 'no trials recorded' };
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { state: 'ok', values, n, mean, median, cv: mean !== 0 ? sd / mean : 0, min: sorted[0]!, max: sorted[n - 1]!, flags: [...(c as OkCase).flags] };
}

function compareCell(baseline: Side, side: Side, run: number, metric: MetricId, alpha: number): ComparisonCell {
  const cell: ComparisonCell = { run, side, deltaPps: null, deltaFraction: null, test: null, significant: null, change: 'not-comparable', why: null };
  if (baseline.state !== 'ok') {
    cell.why = `baseline ${baseline.state}: ${baseline.reason}`;
    return cell;
  }
  if (side.state !== 'ok') {
    cell.why = `${side.state}: ${side.reason}`;
    return cell;
  }
  cell.deltaPps = side.mean - baseline.mean;
  cell.deltaFraction = baseline.mean !== 0 ? cell.deltaPps / baseline.mean : null;
  const test = welchTTest(baseline.values, side.values);
  cell.test = test;
  if (test.test === 'untestable') {
    cell.change = 'untested';
    cell.why = test.reason;
    return cell;
  }
  cell.significant = test.pTwoSided < alpha;
  if (!cell.significant) cell.change = 'within-noise';
  else cell.change = (cell.deltaPps > 0) === (METRICS[metric].better === 'higher') ? 'improvement' : 'regression';
  return cell;
}

function checkThreshold(t: Threshold, rows: readonly ComparisonRow[], runs: readonly RunRef[], alpha: number): ThresholdCheck[] {
  const matching = rows.filter((r) =>
    r.metric === t.metric &&
    (t.scenario === '*' || r.scenario === t.scenario) &&
    (t.mode === '*' || r.mode === t.mode) &&
    (t.pktSizeBytes === '*' || r.pktSizeBytes === t.pktSizeBytes));
  if (matching.length === 0) {
    return [{ threshold: t.text, key: null, run: null, outcome: 'not-comparable', observed: null, detail: 'no case in any run matches it' }];
  }
  const wildcard = t.scenario === '*' || t.mode === '*'; // a case named by scenario and mode is expected to be measured at every size
  const checks = matching.flatMap((row) => row.cells.map((cell): ThresholdCheck => {
    const base = { threshold: t.text, key: row.key, run: cell.run };
    const who = `${runs[cell.run]!.label} vs ${runs[0]!.label}, ${row.key}`;
    if (wildcard && row.baseline.state !== 'ok' && runs[0]!.problem === null) {
      return { ...base, outcome: 'not-measured', observed: null, detail: `${who}: not measured in the baseline (${row.baseline.state}): matched only by a wildcard` };
    }
    if (cell.deltaPps === null) {
      return { ...base, outcome: 'not-comparable', observed: null, detail: `${who}: ${cell.why ?? 'no value'}` };
    }
    const observedValue = t.unit === 'percent' ? (cell.deltaFraction === null ? null : cell.deltaFraction * 100) : cell.deltaPps;
    if (observedValue === null) {
      return { ...base, outcome: 'not-comparable', observed: null, detail: `${who}: the baseline mean is 0, no relative change` };
    }
    const observed = t.unit === 'percent' ? formatSignedPercent(cell.deltaFraction) : formatSignedPps(cell.deltaPps);
    const pText = cell.test?.test === 'welch-t' ? `p ${formatPValue(cell.test.pTwoSided)}` : 'no test';
    if (!crosses(observedValue, t.op, t.value)) {
      return { ...base, outcome: 'pass', observed, detail: `${who}: change ${observed} (${pText})` };
    }
    if (cell.significant === null) {
      return { ...base, outcome: 'not-comparable', observed, detail: `${who}: change ${observed} crosses it, but significance cannot be tested: ${cell.why ?? ''}` };
    }
    if (!cell.significant) {
      return { ...base, outcome: 'crossed-not-significant', observed, detail: `${who}: change ${observed} crosses it but is within the trial spread (${pText}, not below alpha ${alpha})` };
    }
    return { ...base, outcome: 'fail', observed, detail: `${who}: change ${observed}, significant (${pText})` };
  }));
  if (checks.every((c) => c.outcome === 'not-measured')) {
    checks.push({ threshold: t.text, key: null, run: null, outcome: 'not-comparable', observed: null, detail: 'none of the cases it matches was measured in the baseline' });
  }
  return checks;
}

/** Parameter and environment fields that differ between the baseline and each candidate. */
function runDifferences(runs: readonly RunInput[], refs: readonly RunRef[]): string[] {
  const base = runs[0]!.results;
  if (!base) return [];
  const fieldsOf = (r: RunResults) => [...parameterFields(r), ...environmentFields(r)].filter(([k]) => k !== 'Command line');
  const baseFields = new Map(fieldsOf(base));
  const out: string[] = [];
  runs.slice(1).forEach((r, j) => {
    if (!r.results) return;
    for (const [k, v] of fieldsOf(r.results)) {
      const b = baseFields.get(k);
      if (b !== undefined && b !== v) out.push(`${refs[j + 1]!.label} differs from ${refs[0]!.label} in ${k}: ${b} -> ${v}`);
    }
  });
  return out;
}
