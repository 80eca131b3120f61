/* Statistics over a prober's RTTs: percentiles, histogram and the summary the
 * results record. The driver returns raw RTTs; the figures are made here. */
import type { ProbeReport } from '../../drivers/latency-prober.ts';
import type { HistogramBucket, LatencyHistogram, LatencySummary } from '../../ground/result-schema.ts';

/** Nearest-rank percentile of an ascending list (always an observed value); NaN for an empty list. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0..100, got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return Number.NaN;
  // p * n first, and rounded to 1e-9: 99.9 / 100 * 1000 is 999.0000000000001 in floating point.
  const rank = Math.max(1, Math.ceil(Math.round(((p * n) / 100) * 1e9) / 1e9));
  return sortedAscending[Math.min(n, rank) - 1]!;
}

/**
 * HDR-style log-linear histogram: each power of two is split into
 * `subBuckets` equal buckets, so a bucket is at most 1/subBuckets of its
 * value wide (12.5 % with the default 8). Only non-empty buckets are listed,
 * ascending. Values below 1 ns (a clock step can make one) share [0, 1).
 */
export function latencyHistogram(values: readonly number[], subBuckets = 8): LatencyHistogram {
  if (!Number.isInteger(subBuckets) || subBuckets < 1 || subBuckets > 1024) throw new RangeError('subBuckets must be an integer 1..1024');
  const counts = new Map<string, HistogramBucket>();
  for (const v of values) {
    let low: number;
    let high: number;
    if (!(v >= 1)) {
      [low, high] = [0, 1];
    } else {
      const base = 2 ** Math.floor(Math.log2(v));
      const width = base / subBuckets;
      const sub = Math.min(subBuckets - 1, Math.floor((v - base) / width));
      [low, high] = [base + sub * width, base + (sub + 1) * width];
    }
    const key = `${low}`;
    const b = counts.get(key);
    if (b) b.count++;
    else counts.set(key, { lowNs: low, highNs: high, count: 1 });
  }
  return { kind: 'log-linear', unit: 'ns', subBucketsPerPowerOfTwo: subBuckets, buckets: [...counts.values()].sort((a, b) => a.lowNs - b.lowNs) };
}

export function summarizeLatency(r: ProbeReport, subBuckets = 8): LatencySummary {
  const sorted = [...r.rttNs].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n ? sorted.reduce((s, v) => s + v, 0) / n : null;
  const stddev = n > 1 && mean !== null ? Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : n === 1 ? 0 : null;
  const pick = (p: number) => (n ? percentile(sorted, p) : null);
  const overhead = r.userRttNs.map((u, i) => u - r.rttNs[i]!).sort((a, b) => a - b);
  return {
    n,
    sent: r.sent,
    lost: r.lost,
    lossRatio: r.sent ? r.lost / r.sent : 0,
    reordered: r.reordered,
    duplicates: r.duplicates,
    minNs: n ? sorted[0]! : null,
    p50Ns: pick(50),
    p90Ns: pick(90),
    p99Ns: pick(99),
    p999Ns: pick(99.9),
    maxNs: n ? sorted[n - 1]! : null,
    meanNs: mean,
    stddevNs: stddev,
    userOverheadP50Ns: overhead.length ? percentile(overhead, 50) : null,
    timestampSource: r.timestampSource,
    rxTimestampSource: r.rxTimestampSource,
    txTimestampSource: r.txTimestampSource,
    clockResolutionNs: r.clockResolutionNs,
    hardwareTimestamps: r.hardwareTimestamps,
    histogram: latencyHistogram(r.rttNs, subBuckets),
  };
}
