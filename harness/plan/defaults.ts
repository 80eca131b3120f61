/* Every default of a run, in one place: the command line's option defaults,
 * the lab config's, and the timing and judging values no flag sets. */

export const RUN_DEFAULTS = {
  modes: 'all',
  trials: 3,
  durationS: 2,
  warmupS: 1,
  intervalMs: 250,
  generator: 'auto',
  sizesBytes: [64],
  /** 0: as fast as the generator goes. */
  rate: '0',
  flows: 1,
  work: 'no-touch',
  /** Relative tolerance for cross-checking counter sources. */
  tolerance: 0.05,
  latencyLoadsPercent: [0, 10, 50, 90],
  probes: 500,
  probeRatePps: 1000,
} as const;

/** Timing and judging the command line does not set. */
export const FIXED = {
  /** Between starting the generator and the trial window: its ramp-up is not measured. */
  settleMs: 300,
  /** The generator's ceiling into native XDP_DROP, per packet size: what `--rate N%` refers to. */
  calibrationMs: 1000,
  /** A case whose trials vary more than this (coefficient of variation) is flagged high-variance. */
  cvLimit: 0.1,
  /** --latency: how long the reflector's maximum is measured, per mode. */
  latencyMaxMeasureMs: 1000,
  /** Generator stop, counter reads and attach per trial, for the expected duration only. */
  perTrialOverheadMs: 400,
  perCaseOverheadMs: 500,
} as const;
