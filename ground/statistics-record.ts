/* How results.json records one metric over repeated measurements. */
import { z } from 'zod';

/** Summary of one metric over the trials of a case. */
export const StatisticsSchema = z.strictObject({
  n: z.int().min(0),
  median: z.number(),
  mean: z.number(),
  stddev: z.number().min(0),
  /** Coefficient of variation, stddev / mean (0.02 = 2 %). */
  cv: z.number(),
  /** 95 % confidence interval of the mean (Student's t). */
  ci95Low: z.number(),
  ci95High: z.number(),
  min: z.number(),
  max: z.number(),
}).meta({ id: 'Statistics' });
export type Statistics = z.infer<typeof StatisticsSchema>;
