import type { Statistics } from '../../ground/result-schema.ts';

/* Two-sided 95 % Student's t critical values by degrees of freedom (1..30);
 * beyond 30 the normal value 1.96 is within 2 % of t. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
  2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tCritical95(degreesOfFreedom: number): number {
  if (degreesOfFreedom < 1) return Number.NaN;
  return degreesOfFreedom <= 30 ? T95[degreesOfFreedom - 1]! : 1.96;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sample statistics (n - 1 in the variance); with one value the spread is 0 and the CI is that value. */
export function summarize(values: readonly number[]): Statistics {
  const n = values.length;
  if (n === 0) throw new RangeError('summarize needs at least one value');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  const stddev = Math.sqrt(variance);
  const half = n > 1 ? tCritical95(n - 1) * (stddev / Math.sqrt(n)) : 0;
  return {
    n,
    median: median(values),
    mean,
    stddev,
    cv: mean !== 0 ? stddev / mean : 0,
    ci95Low: mean - half,
    ci95High: mean + half,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** |a - b| relative to the larger of the two; 0 when both are 0. */
export function relativeDifference(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}
