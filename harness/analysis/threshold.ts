/* --fail-on thresholds: "SCENARIO/MODE[/SIZE]/METRIC<op>VALUE" parsed into a
 * limit on the change of a candidate's mean from the baseline's. Whether a
 * comparison crosses one is decided in ./compare.ts. */
import type { XdpMode } from '../../ground/result-schema.ts';
import { ALL_MODES } from '../../ground/result-schema.ts';
import { METRIC_IDS, isMetricId, type MetricId } from './metrics.ts';

export type ThresholdOp = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** As given on the command line. */
  text: string;
  scenario: string; // '*' = any
  mode: XdpMode | '*';
  pktSizeBytes: number | '*';
  metric: MetricId;
  op: ThresholdOp;
  /** Percent (-5 for -5 %) or pps, per `unit`. */
  value: number;
  unit: 'percent' | 'pps';
}

const RATE_UNITS: Readonly<Record<string, number>> = { pps: 1, kpps: 1e3, mpps: 1e6, gpps: 1e9 };

export const THRESHOLD_SYNTAX =
  'SCENARIO/MODE[/SIZE]/METRIC{<,<=,>,>=}VALUE{%,pps,kpps,Mpps,Gpps}, e.g. drop-all/native/xdpPps<-5% ' +
  '(SCENARIO, MODE and SIZE may be *; VALUE is the change of the candidate\'s mean from the baseline\'s)';

/** Parses one --fail-on threshold; throws an Error whose message names the problem. */
export function parseThreshold(text: string): Threshold {
  const m = /^\s*([^/\s]+)\/([^/\s]+)(?:\/([^/\s]+))?\/([A-Za-z]+)\s*(<=|>=|<|>)\s*([+-]?\d+(?:\.\d+)?)\s*(%|[kKmMgG]?pps)\s*$/.exec(text);
  if (!m) throw new Error(`--fail-on "${text}": expected ${THRESHOLD_SYNTAX}`);
  const [, scenario, mode, size, metric, op, value, unit] = m;
  if (mode !== '*' && !(ALL_MODES as readonly string[]).includes(mode!)) {
    throw new Error(`--fail-on "${text}": unknown mode "${mode}" (expected ${ALL_MODES.join(', ')} or *)`);
  }
  let pktSizeBytes: number | '*' = '*';
  if (size !== undefined && size !== '*') {
    const s = /^(\d+)B?$/.exec(size);
    if (!s) throw new Error(`--fail-on "${text}": packet size "${size}" is not a number of bytes (e.g. 64 or 64B) or *`);
    pktSizeBytes = Number(s[1]);
  }
  if (!isMetricId(metric!)) throw new Error(`--fail-on "${text}": unknown metric "${metric}" (expected one of ${METRIC_IDS.join(', ')})`);
  const isPercent = unit === '%';
  if (!Number.isFinite(Number(value))) throw new Error(`--fail-on "${text}": the value ${value} is not a finite number`);
  return {
    text,
    scenario: scenario!,
    mode: mode as XdpMode | '*',
    pktSizeBytes,
    metric: metric,
    op: op as ThresholdOp,
    value: isPercent ? Number(value) : Number(value) * RATE_UNITS[unit!.toLowerCase()]!,
    unit: isPercent ? 'percent' : 'pps',
  };
}

/** Whether the observed change is past the threshold's limit. */
export function crosses(observed: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<': return observed < limit;
    case '<=': return observed <= limit;
    case '>': return observed > limit;
    case '>=': return observed >= limit;
  }
}
