/*
 * Step changes in a series of per-run values (one value per nightly run), by
 * hierarchical splitting with Welch's t-test (in the spirit of E-Divisive,
 * Matteson & James 2014, with a t-test instead of a permutation test):
 *
 * In a segment [from, to), every split tau is compared with the runs after it
 * up to every end kappa: before = [from, tau), after = [tau, kappa), each at
 * least `minSegmentRuns` long. Looking at [tau, kappa) rather than only
 * [tau, to) also finds a dip that recovers later (down, then back up). The pair
 * whose means differ by at least `minChangeFraction` and that has the
 * largest |t| is a step when p < alpha / (pairs tested) (Bonferroni); then
 * [from, tau) and [tau, to) are searched the same way.
 *
 * The pair is chosen by the largest |t|, not the smallest p: a split just after
 * the real one puts an outlier into "before", which raises Welch's degrees of
 * freedom and can lower p while it lowers t.
 */

import { welchFromMoments } from './significance.ts';

export interface StepOptions {
  alpha: number;
  /** Fewest values on each side of a step (at least 2: Welch's test needs a spread on each side). */
  minSegmentRuns: number;
  /** Smallest relative change of the mean reported as a step (0.05 = 5 %). */
  minChangeFraction: number;
}

export interface Step {
  /** Index of the first value after the step. */
  index: number;
  /** The values compared: before = [before[0], before[1]), after = [after[0], after[1]). */
  before: [number, number];
  after: [number, number];
  beforeMean: number;
  afterMean: number;
  /** (after - before) / before; null when the mean before is 0. */
  changeFraction: number | null;
  t: number;
  df: number;
  p: number;
  /** The p-value it had to be below: alpha / pairs tested in its segment. */
  pLimit: number;
}

export function detectSteps(values: readonly number[], opts: StepOptions): Step[] {
  if (!(opts.minSegmentRuns >= 2) || !Number.isInteger(opts.minSegmentRuns)) {
    throw new RangeError(`minSegmentRuns must be an integer >= 2, got ${opts.minSegmentRuns}`);
  }
  if (!(opts.alpha > 0 && opts.alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${opts.alpha}`);
  if (!values.every(Number.isFinite)) throw new RangeError('step detection needs finite values');
  const m = opts.minSegmentRuns;

  // Prefix sums of the values minus their mean (centred: no cancellation with pps-sized numbers).
  const centre = values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  const s1 = [0];
  const s2 = [0];
  for (const v of values) {
    s1.push(s1[s1.length - 1]! + (v - centre));
    s2.push(s2[s2.length - 1]! + (v - centre) ** 2);
  }
  const moments = (a: number, b: number) => {
    const n = b - a;
    const sum = s1[b]! - s1[a]!;
    const variance = (s2[b]! - s2[a]! - (sum * sum) / n) / (n - 1);
    return { n, mean: centre + sum / n, variance: Math.max(0, variance) };
  };

  const steps: Step[] = [];
  const search = (from: number, to: number): void => {
    let pairs = 0;
    for (let tau = from + m; tau + m <= to; tau++) pairs += to - (tau + m) + 1;
    if (pairs === 0) return;
    const pLimit = opts.alpha / pairs;
    let best: Step | null = null;
    for (let tau = from + m; tau + m <= to; tau++) {
      const before = moments(from, tau);
      for (let kappa = tau + m; kappa <= to; kappa++) {
        const r = welchFromMoments(before, moments(tau, kappa));
        if (r.meanA !== 0 && Math.abs(r.difference / r.meanA) < opts.minChangeFraction) continue;
        if (best === null || Math.abs(r.t) > Math.abs(best.t)) {
          best = {
            index: tau,
            before: [from, tau],
            after: [tau, kappa],
            beforeMean: r.meanA,
            afterMean: r.meanB,
            changeFraction: r.meanA !== 0 ? r.difference / r.meanA : null,
            t: r.t,
            df: r.df,
            p: r.pTwoSided,
            pLimit,
          };
        }
      }
    }
    if (!best || !(best.p < best.pLimit)) return;
    steps.push(best);
    search(from, best.index);
    search(best.index, to);
  };
  search(0, values.length);
  return steps.sort((a, b) => a.index - b.index);
}
