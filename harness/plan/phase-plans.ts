/* What the plan says of phases beyond the throughput cases: leaf types with
 * no imports of the plan's own, so option validation can name them. */
import type { XdpMode } from '../../ground/xdp.ts';

/** Offload mode as an attach check on a device without a datapath (the VM guest's netdevsim). */
export type OffloadCheckDevice = 'netdevsim';

/** --latency: RTT through the XDP_TX reflector per mode, idle and under load (harness/run/latency-phase.ts). */
export interface LatencyPlan {
  modes: XdpMode[];
  /** Fractions of the maximum, 0..1 (0 = idle). */
  loadFractions: number[];
  probes: number;
  probeRatePps: number;
  maxMeasureMs: number;
}

