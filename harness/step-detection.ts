/*
 * Step changes in a series of per-run values (one value per nightly run):
 * binary segmentation with Welch's t-test. In a segment, every split that
 * leaves at least `minSegmentRuns` values on each side is tested; the split
 * with the smallest p-value is a step when p < alpha / (number of splits
 * tested) (Bonferroni) and the means differ by at least `minChangeFraction`.
 * Both halves are then searched again.
 */

import { welchTTest } from './significance.ts';

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
  beforeMean: number;
  afterMean: number;
  /** (after - before) / before; null when the mean before is 0. */
  changeFraction: number | null;
  t: number;
  df: number;
  p: number;
  /** The p-value it had to be below: alpha / splits tested. */
  pLimit: number;
  /** The segment [from, to) the step was found in. */
  segment: [number, number];
}

export function detectSteps(values: readonly number[], opts: StepOptions): Step[] {
  if (!(opts.minSegmentRuns >= 2) || !Number.isInteger(opts.minSegmentRuns)) {
    throw new RangeError(`minSegmentRuns must be an integer >= 2, got ${opts.minSegmentRuns}`);
  }
  if (!(opts.alpha > 0 && opts.alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${opts.alpha}`);
  const steps: Step[] = [];
  const search = (from: number, to: number): void => {
    const first = from + opts.minSegmentRuns;
    const last = to - opts.minSegmentRuns;
    if (last < first) return;
    const splits = last - first + 1;
    let best: Step | null = null;
    for (let k = first; k <= last; k++) {
      const before = values.slice(from, k);
      const after = values.slice(k, to);
      const r = welchTTest(before, after);
      if (r.test !== 'welch-t') continue;
      if (best === null || r.pTwoSided < best.p || (r.pTwoSided === best.p && Math.abs(r.t) > Math.abs(best.t))) {
        best = {
          index: k,
          beforeMean: r.meanA,
          afterMean: r.meanB,
          changeFraction: r.meanA !== 0 ? r.difference / r.meanA : null,
          t: r.t,
          df: r.df,
          p: r.pTwoSided,
          pLimit: opts.alpha / splits,
          segment: [from, to],
        };
      }
    }
    if (!best || !(best.p < best.pLimit)) return;
    if (best.changeFraction !== null && Math.abs(best.changeFraction) < opts.minChangeFraction) return;
    steps.push(best);
    search(from, best.index);
    search(best.index, to);
  };
  search(0, values.length);
  return steps.sort((a, b) => a.index - b.index);
}
