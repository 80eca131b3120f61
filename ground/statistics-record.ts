/* How results.json records one metric over repeated measurements. */

/** Summary of one metric over the trials of a case. */
export interface Statistics {
  n: number;
  median: number;
  mean: number;
  stddev: number;
  /** Coefficient of variation, stddev / mean (0.02 = 2 %). */
  cv: number;
  /** 95 % confidence interval of the mean (Student's t). */
  ci95Low: number;
  ci95High: number;
  min: number;
  max: number;
}
