/*
 * History of many runs (say one per night): per case and metric, the trend of
 * the per-run mean, with the trials' min..max, and the step changes found in
 * it (./step-detection.ts). The model only: reports/history.ts renders it as
 * terminal text, Markdown, HTML (with charts) and JSON.
 */

import type { RunResults, XdpMode } from '../../ground/result-schema.ts';
// The method sentence the model carries states its own minimum change.
import { formatPercent } from '../../ground/format.ts';
import { caseKey, METRICS, type MetricId } from './metrics.ts';
import { detectSteps, type Step, type StepOptions } from './step-detection.ts';

export interface HistoryRun {
  index: number;
  /** Short unique label for axes and tables (start time, UTC). */
  label: string;
  source: string;
  runId: string;
  startedAt: string;
  host: string;
  kernel: string;
}

export type HistoryPoint =
  | { run: number; state: 'ok'; n: number; mean: number; min: number; max: number }
  | { run: number; state: 'skipped' | 'failed' | 'attached' | 'interrupted' | 'absent' };

export interface HistoryStep extends Step {
  /** Index into History.runs of the first run after the step. */
  run: number;
  direction: 'regression' | 'improvement';
}

export interface HistorySeries {
  key: string;
  scenario: string;
  mode: XdpMode;
  pktSizeBytes: number;
  metric: MetricId;
  /** One per run, in run order. */
  points: HistoryPoint[];
  steps: HistoryStep[];
}

export interface History {
  metrics: MetricId[];
  runs: HistoryRun[];
  /** Inputs that were not used, with the reason. */
  skipped: { source: string; reason: string }[];
  series: HistorySeries[];
  options: StepOptions;
  method: string;
}

export interface HistoryInput {
  source: string;
  results: RunResults;
}

export function buildHistory(
  inputs: readonly HistoryInput[],
  skipped: readonly { source: string; reason: string }[],
  metrics: readonly MetricId[],
  options: StepOptions,
): History {
  const ordered = [...inputs].sort((a, b) => a.results.startedAt.localeCompare(b.results.startedAt) || a.results.runId.localeCompare(b.results.runId));
  const labels = uniqueLabels(ordered.map((i) => i.results.startedAt));
  const runs: HistoryRun[] = ordered.map((i, index) => ({
    index,
    label: labels[index]!,
    source: i.source,
    runId: i.results.runId,
    startedAt: i.results.startedAt,
    host: i.results.environment.hostname,
    kernel: i.results.environment.kernel,
  }));

  const cases = new Map<string, { scenario: string; mode: XdpMode; pktSizeBytes: number }>();
  for (const i of ordered) for (const c of i.results.cases) if (!cases.has(caseKey(c))) cases.set(caseKey(c), c);

  const series: HistorySeries[] = [];
  for (const [key, c] of cases) {
    for (const metric of metrics) {
      const points: HistoryPoint[] = ordered.map((i, run): HistoryPoint => {
        const found = i.results.cases.find((x) => caseKey(x) === key);
        if (!found) return { run, state: 'absent' };
        if (found.state !== 'ok') return { run, state: found.state };
        const values = found.trials.map((t) => t[metric]);
        if (values.length === 0) return { run, state: 'absent' };
        return { run, state: 'ok', n: values.length, mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
      });
      const measured = points.filter((p): p is Extract<HistoryPoint, { state: 'ok' }> => p.state === 'ok');
      const steps = detectSteps(measured.map((p) => p.mean), options).map((s): HistoryStep => ({
        ...s,
        run: measured[s.index]!.run,
        direction: (s.afterMean > s.beforeMean) === (METRICS[metric].better === 'higher') ? 'improvement' : 'regression',
      }));
      series.push({ key, scenario: c.scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes, metric, points, steps });
    }
  }
  return {
    metrics: [...metrics],
    runs,
    skipped: [...skipped],
    series,
    options,
    method:
      'Each point is the mean over the trials of one run (whiskers: min..max over its trials). ' +
      "Steps: every split of the series is compared, with Welch's two-sided t-test on the per-run means, against the runs after it " +
      `up to every later end (at least ${options.minSegmentRuns} runs on each side), so a dip that recovers is found too. ` +
      `Of the pairs whose means differ by at least ${formatPercent(options.minChangeFraction)}, the one with the largest |t| is a step ` +
      `when p < ${options.alpha} / (pairs tested) (Bonferroni); both sides of a step are then searched again.`,
  };
}

function uniqueLabels(startedAt: readonly string[]): string[] {
  // "11-24 23:37"; with seconds where minutes collide; "#n" as a last resort.
  for (const [from, to] of [[5, 16], [5, 19]] as const) {
    const labels = startedAt.map((s) => s.slice(from, to).replace('T', ' '));
    if (new Set(labels).size === labels.length) return labels;
  }
  return startedAt.map((s, i) => `${s.slice(5, 19).replace('T', ' ')} #${i + 1}`);
}
