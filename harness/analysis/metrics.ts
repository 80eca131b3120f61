/* What comparisons and histories measure: the per-trial metrics, which way is
 * better for each, and the key that names a case across runs. */
import type { XdpMode } from '../../ground/result-schema.ts';

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

/** "drop-all/native/64B": the same case in different runs. */
export function caseKey(c: { scenario: string; mode: XdpMode; pktSizeBytes: number }): string {
  return `${c.scenario}/${c.mode}/${c.pktSizeBytes}B`;
}
