/* The summaries of the latency and prog-run phases, as results.json records
 * them (computed in harness/analysis from the drivers' raw reports). */
import { z } from 'zod';
import { StatisticsSchema } from './statistics-record.ts';
import { XDP_ACTION_NAMES } from './xdp.ts';

export const TimestampKindSchema = z.enum(['hardware', 'software', 'user']).meta({ id: 'TimestampKind' });
export type TimestampKind = z.infer<typeof TimestampKindSchema>;
/** What the RTTs were computed from: one kind on both sides, or `mixed` (see the per-side counts). */
export const TimestampSourceSchema = z.enum([...TimestampKindSchema.options, 'mixed', 'none']).meta({ id: 'TimestampSource' });
export type TimestampSource = z.infer<typeof TimestampSourceSchema>;

export const HistogramBucketSchema = z.strictObject({
  /** Inclusive lower and exclusive upper bound. */
  lowNs: z.number(),
  highNs: z.number(),
  count: z.int().min(0),
}).meta({ id: 'HistogramBucket' });
export type HistogramBucket = z.infer<typeof HistogramBucketSchema>;

/** HDR-style log-linear histogram of RTTs (see harness/analysis/latency-summary.ts). */
export const LatencyHistogramSchema = z.strictObject({
  kind: z.literal('log-linear'),
  unit: z.literal('ns'),
  subBucketsPerPowerOfTwo: z.int(),
  buckets: z.array(HistogramBucketSchema),
}).meta({ id: 'LatencyHistogram' });
export type LatencyHistogram = z.infer<typeof LatencyHistogramSchema>;

const nsOrNull = z.number().nullable();

export const LatencySummarySchema = z.strictObject({
  /** Replies the figures are computed from. */
  n: z.int().min(0),
  sent: z.int().min(0),
  lost: z.int().min(0),
  /** lost / sent (0 when nothing was sent). */
  lossRatio: z.number().min(0),
  reordered: z.int().min(0),
  duplicates: z.int().min(0),
  /** null when no reply came back. */
  minNs: nsOrNull,
  p50Ns: nsOrNull,
  p90Ns: nsOrNull,
  p99Ns: nsOrNull,
  p999Ns: nsOrNull,
  maxNs: nsOrNull,
  meanNs: nsOrNull,
  stddevNs: nsOrNull,
  /** Median of (user-space RTT - kernel RTT): what timing from user space would add. */
  userOverheadP50Ns: nsOrNull,
  timestampSource: TimestampSourceSchema,
  rxTimestampSource: TimestampKindSchema.nullable(),
  txTimestampSource: TimestampKindSchema.nullable(),
  clockResolutionNs: z.number(),
  hardwareTimestamps: z.strictObject({ offered: z.boolean(), enabled: z.boolean(), detail: z.string() }),
  histogram: LatencyHistogramSchema,
}).meta({ id: 'LatencySummary' });
export type LatencySummary = z.infer<typeof LatencySummarySchema>;

export const ProgRunSummarySchema = z.strictObject({
  program: z.string(),
  /** The action every call returned; `mixed` when they differ. */
  action: z.enum([...XDP_ACTION_NAMES, 'unknown', 'mixed']),
  retval: z.int().nullable(),
  repeat: z.int().min(0),
  frameBytes: z.int().min(0),
  nsPerPacket: StatisticsSchema,
  wallNsPerPacket: StatisticsSchema,
  /** 1e3 / median ns per packet: Mpps one core could do if only the program cost counted. */
  mppsPerCore: z.number(),
  /** One nanosecond relative to the median: the kernel's resolution for this program. */
  resolutionRelative: z.number(),
}).meta({ id: 'ProgRunSummary' });
export type ProgRunSummary = z.infer<typeof ProgRunSummarySchema>;
