/*
 * Comparison of runs: a baseline (the first run) against one or more candidates,
 * per scenario/mode/packet size and metric. Values are means over trials; a
 * difference is significant when Welch's two-sided t-test on the per-trial
 * values gives p < alpha. Thresholds (--fail-on) turn the comparison into a
 * verdict. One model, rendered as terminal text, Markdown, HTML and JSON.
 */

import type { CaseFlag, CaseResult, OkCase, RunResults, XdpMode } from '../ground/result-schema.ts';
import { ALL_MODES } from '../ground/result-schema.ts';
import { welchTTest, type Untestable, type WelchTest } from '../harness/analysis/significance.ts';
import { MODE_COLOURS } from './chart-png.ts';
import {
  NOT_AVAILABLE,
  formatPValue,
  formatPercent,
  formatPps,
  formatSignedPercent,
  formatSignedPps,
  wrapText,
} from './format.ts';
import { chartFigure, escapeHtml, htmlDocument, htmlTable, list, paragraph } from './html.ts';
import { escapeInline, markdownTable } from './markdown.ts';
import { environmentFields, parameterFields } from './run-info.ts';
import { paletteColour, renderBarChartSvg, type BarChartSpec } from './svg-chart.ts';
import { renderAlignedTable } from './terminal-table.ts';

/* ---- metrics ---- */

export type MetricId = 'xdpPps' | 'offeredPps' | 'genTxPps' | 'dutRxPps' | 'lostBeforeXdpPps';

export interface MetricInfo {
  /** Which direction is better: decides whether a significant change is a regression or an improvement. */
  better: 'higher' | 'lower';
  doc: string;
}

export const METRICS: Readonly<Record<MetricId, MetricInfo>> = {
  xdpPps: { better: 'higher', doc: 'frames per second the XDP program handled' },
  offeredPps: { better: 'higher', doc: 'frames per second the generator offered' },
  genTxPps: { better: 'higher', doc: "frames per second on the generator's link TX" },
  dutRxPps: { better: 'higher', doc: "frames per second on the DUT's link RX" },
  lostBeforeXdpPps: { better: 'lower', doc: 'frames per second offered but lost before the XDP program' },
};

export const METRIC_IDS = Object.keys(METRICS) as MetricId[];

export function isMetricId(s: string): s is MetricId {
  return (METRIC_IDS as string[]).includes(s);
}

/* ---- thresholds ---- */

export type ThresholdOp = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** As given on the command line. */
  text: string;
  scenario: string; // '*' = any
  mode: XdpMode | '*';
  pktSizeBytes: number | '*';
  metric: MetricId;
  op: ThresholdOp;
  /** Percent (-5 for -5 %) or pps, per `unit`. */
  value: number;
  unit: 'percent' | 'pps';
}

const RATE_UNITS: Readonly<Record<string, number>> = { pps: 1, kpps: 1e3, mpps: 1e6, gpps: 1e9 };

export const THRESHOLD_SYNTAX =
  'SCENARIO/MODE[/SIZE]/METRIC{<,<=,>,>=}VALUE{%,pps,kpps,Mpps,Gpps}, e.g. drop-all/native/xdpPps<-5% ' +
  '(SCENARIO, MODE and SIZE may be *; VALUE is the change of the candidate\'s mean from the baseline\'s)';

/** Parses one --fail-on threshold; throws an Error whose message names the problem. */
export function parseThreshold(text: string): Threshold {
  const m = /^\s*([^/\s]+)\/([^/\s]+)(?:\/([^/\s]+))?\/([A-Za-z]+)\s*(<=|>=|<|>)\s*([+-]?\d+(?:\.\d+)?)\s*(%|[kKmMgG]?pps)\s*$/.exec(text);
  if (!m) throw new Error(`--fail-on "${text}": expected ${THRESHOLD_SYNTAX}`);
  const [, scenario, mode, size, metric, op, value, unit] = m;
  if (mode !== '*' && !(ALL_MODES as readonly string[]).includes(mode!)) {
    throw new Error(`--fail-on "${text}": unknown mode "${mode}" (expected ${ALL_MODES.join(', ')} or *)`);
  }
  let pktSizeBytes: number | '*' = '*';
  if (size !== undefined && size !== '*') {
    const s = /^(\d+)B?$/.exec(size);
    if (!s) throw new Error(`--fail-on "${text}": packet size "${size}" is not a number of bytes (e.g. 64 or 64B) or *`);
    pktSizeBytes = Number(s[1]);
  }
  if (!isMetricId(metric!)) throw new Error(`--fail-on "${text}": unknown metric "${metric}" (expected one of ${METRIC_IDS.join(', ')})`);
  const isPercent = unit === '%';
  if (!Number.isFinite(Number(value))) throw new Error(`--fail-on "${text}": the value ${value} is not a finite number`);
  return {
    text,
    scenario: scenario!,
    mode: mode as XdpMode | '*',
    pktSizeBytes,
    metric: metric,
    op: op as ThresholdOp,
    value: isPercent ? Number(value) : Number(value) * RATE_UNITS[unit!.toLowerCase()]!,
    unit: isPercent ? 'percent' : 'pps',
  };
}

function crosses(observed: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<': return observed < limit;
    case '<=': return observed <= limit;
    case '>': return observed > limit;
    case '>=': return observed >= limit;
  }
}

/* ---- the model ---- */

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

export function caseKey(c: { scenario: string; mode: XdpMode; pktSizeBytes: number }): string {
  return `${c.scenario}/${c.mode}/${c.pktSizeBytes}B`;
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

/* ---- the table every renderer shows ---- */

export interface CompareTable {
  headers: string[];
  aligns: ('left' | 'right')[];
  rows: string[][];
  /** Per row: its change, for styling. */
  changes: Change[];
}

function sideText(s: Side): string {
  if (s.state === 'ok') return `${formatPps(s.mean)} (CV ${formatPercent(s.cv)})`;
  return s.state;
}

function changeText(cell: ComparisonCell): string {
  switch (cell.change) {
    case 'regression': return 'REGRESSION';
    case 'improvement': return 'improvement';
    case 'within-noise': return 'within noise';
    case 'untested': return `untested: ${cell.why ?? ''}`;
    case 'not-comparable': return `not comparable: ${cell.why ?? ''}`;
  }
}

export function buildCompareTable(c: Comparison): CompareTable {
  const several = c.runs.length > 2;
  const headers = ['case', 'metric', `${c.runs[0]!.label} (baseline)`];
  if (several) headers.push('vs');
  headers.push(several ? 'candidate' : `${c.runs[1]!.label}`, 'delta', 'delta %', 'p (Welch)', 'significant', 'change');
  const aligns: ('left' | 'right')[] = headers.map((h) => (['case', 'metric', 'vs', 'significant', 'change'].includes(h) ? 'left' : 'right'));
  const rows: string[][] = [];
  const changes: Change[] = [];
  for (const row of c.rows) {
    for (const cell of row.cells) {
      const cells = [row.key, row.metric, sideText(row.baseline)];
      if (several) cells.push(c.runs[cell.run]!.label);
      cells.push(
        sideText(cell.side),
        formatSignedPps(cell.deltaPps),
        formatSignedPercent(cell.deltaFraction),
        cell.test?.test === 'welch-t' ? formatPValue(cell.test.pTwoSided) : NOT_AVAILABLE,
        cell.significant === null ? NOT_AVAILABLE : cell.significant ? 'yes' : 'no',
        changeText(cell),
      );
      rows.push(cells);
      changes.push(cell.change);
    }
  }
  return { headers, aligns, rows, changes };
}

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  pass: 'PASS',
  regression: 'REGRESSION',
  'not-comparable': 'NOT COMPARABLE',
};

function runLine(r: RunRef): string {
  if (r.problem) return `${r.label} = ${r.source}: not usable: ${r.problem.replace(/\n\s*/g, '\n      ')}`;
  return `${r.label} = ${r.source} (run ${r.runId}, started ${r.startedAt}, host ${r.host}, kernel ${r.kernel})`;
}

function methodText(c: Comparison): string {
  return `Values: mean over trials (CV = stddev / mean over trials). Significance: ${c.test}, significant when p < ${c.alpha}. ` +
    'delta = candidate mean - baseline mean; delta % relative to the baseline mean. ' +
    `A significant change is a regression when it goes the wrong way for the metric (${METRIC_IDS.map((m) => `${m}: ${METRICS[m].better} is better`).join('; ')}).`;
}

function thresholdRows(c: Comparison): string[][] {
  return c.thresholds.map((t) => [t.outcome === 'fail' ? 'FAIL' : t.outcome, t.threshold, t.observed ?? NOT_AVAILABLE, t.detail]);
}

/* ---- renderers ---- */

export function renderComparisonTerminal(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`Comparing ${c.runs.length} runs against baseline ${c.runs[0]!.label}:`);
  for (const r of c.runs) lines.push(`  ${runLine(r)}`);
  lines.push('');
  const t = buildCompareTable(c);
  if (t.rows.length > 0) lines.push(...renderAlignedTable(t.headers, t.aligns, t.rows), '');
  else lines.push('No cases to compare.', '');
  lines.push(...wrapText(methodText(c), 110));
  if (c.thresholds.length > 0) {
    lines.push('', 'Thresholds:');
    lines.push(...renderAlignedTable(['outcome', 'threshold', 'change', 'detail'], ['left', 'left', 'right', 'left'], thresholdRows(c)).map((l) => `  ${l}`));
  }
  if (c.differences.length > 0) {
    lines.push('', 'Not like for like (these differ between runs):');
    for (const d of c.differences) lines.push(`  ${d}`);
  }
  lines.push('', `Verdict: ${VERDICT_TEXT[c.verdict]}`);
  for (const r of c.reasons) lines.push(`  ${r.replace(/\n\s*/g, '\n    ')}`);
  return `${lines.join('\n')}\n`;
}

export function renderComparisonMarkdown(c: Comparison, title = 'XDP bench comparison'): string {
  const out: string[] = [`# ${escapeInline(title)}`, ''];
  out.push(`**Verdict: ${VERDICT_TEXT[c.verdict]}**`, '');
  for (const r of c.reasons) out.push(`- ${escapeInline(r)}`);
  out.push('', '## Runs', '');
  for (const r of c.runs) out.push(`- ${escapeInline(runLine(r))}`);
  out.push('', '## Comparison', '', escapeInline(methodText(c)), '');
  const t = buildCompareTable(c);
  out.push(t.rows.length > 0 ? markdownTable(t.headers, t.aligns, t.rows) : 'No cases to compare.', '');
  if (c.thresholds.length > 0) {
    out.push('## Thresholds', '', markdownTable(['outcome', 'threshold', 'change', 'detail'], ['left', 'left', 'right', 'left'], thresholdRows(c)), '');
  }
  if (c.differences.length > 0) {
    out.push('## Not like for like', '', ...c.differences.map((d) => `- ${escapeInline(d)}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The comparison as JSON (the same model; trial values included). */
export function renderComparisonJson(c: Comparison): string {
  return `${JSON.stringify({ kind: 'xdp-bench-comparison', ...c }, null, 2)}\n`;
}

/** Mean per case and run, whiskers min..max over trials, one chart per metric. */
export function comparisonChartSpecs(c: Comparison): BarChartSpec[] {
  return c.metrics.map((metric) => {
    const rows = c.rows.filter((r) => r.metric === metric);
    const sides = (r: ComparisonRow): Side[] => [r.baseline, ...r.cells.map((x) => x.side)];
    const sizes = new Set(rows.map((r) => r.pktSizeBytes));
    return {
      title: `${metric} by case and run`,
      subtitle: [`Bars: mean over trials. Whiskers: min..max over trials. ${c.runs[0]!.label} is the baseline. Pale: the case carries a flag.`],
      xLabel: 'scenario/mode' + (sizes.size > 1 ? '/size' : ''),
      yLabel: 'Mpps',
      groups: rows.map((r) => (sizes.size > 1 ? r.key : `${r.scenario}/${r.mode}`)),
      series: c.runs.map((run, i) => ({
        name: `${run.label}${run.runId ? `: ${run.runId}` : ''}`,
        colour: c.runs.length === 1 ? MODE_COLOURS.native : paletteColour(i),
        slots: rows.map((r) => {
          const s = sides(r)[i]!;
          if (s.state !== 'ok') return { missing: `${run.label}: ${s.state}` };
          return { value: s.mean / 1e6, low: s.min / 1e6, high: s.max / 1e6, label: formatPps(s.mean), pale: s.flags.length > 0, marks: [] };
        }),
      })),
    };
  });
}

/** HTML sections of the comparison (verdict, runs, table, thresholds, charts, differences). */
export function comparisonSectionsHtml(c: Comparison, opts: { showVerdict: boolean }): string[] {
  const out: string[] = [];
  if (opts.showVerdict) {
    out.push(`<div class="verdict ${c.verdict}">Verdict: ${escapeHtml(VERDICT_TEXT[c.verdict])}</div>`);
    out.push(list(c.reasons));
  }
  out.push('<h2>Runs</h2>', list(c.runs.map(runLine)));
  out.push('<h2>Comparison</h2>', paragraph(methodText(c)));
  const t = buildCompareTable(c);
  out.push(t.rows.length > 0 ? htmlTable(t.headers, t.aligns, t.rows, t.changes) : paragraph('No cases to compare.'));
  if (c.thresholds.length > 0) {
    out.push('<h2>Thresholds</h2>', htmlTable(['outcome', 'threshold', 'change', 'detail'], ['left', 'left', 'right', 'left'], thresholdRows(c),
      c.thresholds.map((x) => (x.outcome === 'fail' ? 'regression' : x.outcome === 'pass' ? 'improvement' : ''))));
  }
  if (c.rows.length > 0) {
    out.push('<h2>Charts</h2>');
    for (const spec of comparisonChartSpecs(c)) out.push(chartFigure(renderBarChartSvg(spec), spec.title));
  }
  if (c.differences.length > 0) out.push('<h2>Not like for like</h2>', list(c.differences));
  return out;
}

export function renderComparisonHtml(c: Comparison, title = 'XDP bench comparison'): string {
  return htmlDocument(title, [`<h1>${escapeHtml(title)}</h1>`, ...comparisonSectionsHtml(c, { showVerdict: true })]);
}
