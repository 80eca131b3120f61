/* The summaries of the latency and prog-run phases, as results.json records
 * them (computed in harness/analysis from the drivers' raw reports). */
import type { Statistics } from './statistics-record.ts';
import type { XdpAction } from './xdp.ts';


export type TimestampKind = 'hardware' | 'software' | 'user';
/** What the RTTs were computed from: one kind on both sides, or `mixed` (see the per-side counts). */
export type TimestampSource = TimestampKind | 'mixed' | 'none';

export interface HistogramBucket {
  /** Inclusive lower and exclusive upper bound. */
  lowNs: number;
  highNs: number;
  count: number;
}

/** HDR-style log-linear histogram of RTTs (see harness/analysis/latency-summary.ts). */
export interface LatencyHistogram {
  kind: 'log-linear';
  unit: 'ns';
  subBucketsPerPowerOfTwo: number;
  buckets: HistogramBucket[];
}

export interface LatencySummary {
  /** Replies the figures are computed from. */
  n: number;
  sent: number;
  lost: number;
  /** lost / sent (0 when nothing was sent). */
  lossRatio: number;
  reordered: number;
  duplicates: number;
  /** null when no reply came back. */
  minNs: number | null;
  p50Ns: number | null;
  p90Ns: number | null;
  p99Ns: number | null;
  p999Ns: number | null;
  maxNs: number | null;
  meanNs: number | null;
  stddevNs: number | null;
  /** Median of (user-space RTT - kernel RTT): what timing from user space would add. */
  userOverheadP50Ns: number | null;
  timestampSource: TimestampSource;
  rxTimestampSource: TimestampKind | null;
  txTimestampSource: TimestampKind | null;
  clockResolutionNs: number;
  hardwareTimestamps: { offered: boolean; enabled: boolean; detail: string };
  histogram: LatencyHistogram;
}

export interface ProgRunSummary {
  program: string;
  /** The action every call returned; `mixed` when they differ. */
  action: XdpAction | 'unknown' | 'mixed';
  retval: number | null;
  repeat: number;
  frameBytes: number;
  nsPerPacket: Statistics;
  wallNsPerPacket: Statistics;
  /** 1e3 / median ns per packet: Mpps one core could do if only the program cost counted. */
  mppsPerCore: number;
  /** One nanosecond relative to the median: the kernel's resolution for this program. */
  resolutionRelative: number;
}
