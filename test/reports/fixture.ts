/* A realistic RunResults for report tests: veth, xdp-drop, native ok, generic flagged, offload skipped. */

import type {
  AttachedCase,
  CaseFlag,
  OkCase,
  RunResults,
  Sample,
  SkippedCase,
  Statistics,
  TrialResult,
  XdpAction,
  XdpMode,
} from '../../ground/result-schema.ts';
import { SCHEMA_VERSION } from '../../ground/result-schema.ts';

export const OFFLOAD_REASON = 'the kernel refused XDP offload on veth: Invalid argument (errno 22)';
export const OFFLOAD_KERNEL_MESSAGE = 'veth0: XDP offload is not supported';

/** Two-sided Student's t quantiles (97.5 %) by degrees of freedom. */
const T975: Record<number, number> = { 1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571 };

export function statsOf(values: readonly number[]): Statistics {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const stddev = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (T975[n - 1] ?? 1.96) * stddev / Math.sqrt(n) : 0;
  return {
    n, median, mean, stddev,
    cv: mean === 0 ? 0 : stddev / mean,
    ci95Low: mean - half,
    ci95High: mean + half,
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}

function actions(pps: number, action: XdpAction = 'drop'): Record<XdpAction, number> {
  return { aborted: 0, drop: 0, pass: 0, tx: 0, redirect: 0, [action]: pps };
}

function samples(xdpPps: number, genTxPps: number, dutRxPps: number, durationS: number, intervalMs: number): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < durationS * 1000; t += intervalMs) {
    // Small deterministic wobble so samples are not all identical.
    const w = 1 + 0.004 * Math.sin(t / 700);
    out.push({
      tStartMs: t,
      durationMs: intervalMs,
      progPps: actions(Math.round(xdpPps * w)),
      genTxPps: Math.round(genTxPps * w),
      dutRxPps: Math.round(dutRxPps * w),
    });
  }
  return out;
}

interface TrialSpec { xdp: number; genTx: number; lost: number; perCpu: number[] }

function trial(index: number, s: TrialSpec, durationS: number, intervalMs: number): TrialResult {
  const dutRx = s.xdp + s.lost;
  return {
    index,
    durationMs: durationS * 1000,
    xdpPps: s.xdp,
    actionPps: actions(s.xdp),
    perCpuPps: s.perCpu,
    genOwnPps: s.genTx + 1200,
    genTxPps: s.genTx,
    offeredPps: s.genTx + s.lost,
    dutRxPps: dutRx,
    driverXdpPps: null,
    lostBeforeXdpPps: s.lost,
    proofPps: null,
    samples: samples(s.xdp, s.genTx, dutRx, durationS, intervalMs),
  };
}

function okCase(mode: XdpMode, specs: TrialSpec[], flags: CaseFlag[], notes: string[]): OkCase {
  const trials = specs.map((s, i) => trial(i, s, 10, 1000));
  return {
    scenario: 'xdp-drop',
    mode,
    pktSizeBytes: 64,
    generator: 'trafgen',
    state: 'ok',
    flags,
    notes,
    placement: { generatorCpus: [0], dutNapiCpu: mode === 'native' ? 1 : null },
    counterSource: 'program',
    targetRatePps: 0,
    stats: caseStatsOf(trials),
    trials,
  };
}

/** A case's statistics over its trials, as the runner computes them. */
export function caseStatsOf(trials: readonly TrialResult[]): OkCase['stats'] {
  return {
    xdpPps: statsOf(trials.map((t) => t.xdpPps)),
    offeredPps: statsOf(trials.map((t) => t.offeredPps)),
    genTxPps: statsOf(trials.map((t) => t.genTxPps)),
    dutRxPps: statsOf(trials.map((t) => t.dutRxPps)),
    lostBeforeXdpPps: statsOf(trials.map((t) => t.lostBeforeXdpPps)),
  };
}

export const nativeCase: OkCase = okCase('native', [
  { xdp: 6_412_345, genTx: 7_950_000, lost: 1_512_000, perCpu: [0, 0, 3_210_000, 3_202_345] },
  { xdp: 6_380_120, genTx: 7_902_000, lost: 1_498_000, perCpu: [0, 0, 3_190_000, 3_190_120] },
  { xdp: 6_455_900, genTx: 8_010_000, lost: 1_530_000, perCpu: [0, 0, 3_230_000, 3_225_900] },
], [], []);

export const genericCase: OkCase = okCase('generic', [
  { xdp: 2_103_400, genTx: 2_104_100, lost: 700, perCpu: [2_103_400, 0, 0, 0] },
  { xdp: 2_087_900, genTx: 2_088_800, lost: 900, perCpu: [2_087_900, 0, 0, 0] },
  { xdp: 2_121_000, genTx: 2_121_500, lost: 500, perCpu: [2_121_000, 0, 0, 0] },
], ['generator-bound', 'coupled'], [
  'XDP handled 99.96 % of the generator TX rate: the generator, not the DUT, set the pace',
  'trafgen thread and veth NAPI both ran on CPU 0',
]);

export const offloadCase: SkippedCase = {
  scenario: 'xdp-drop',
  mode: 'offload',
  pktSizeBytes: 64,
  generator: 'trafgen',
  state: 'skipped',
  reason: OFFLOAD_REASON,
  kernelMessage: OFFLOAD_KERNEL_MESSAGE,
  errno: 22,
};

export function makeResults(): RunResults {
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: '20251124-233012-a1b2c3',
    startedAt: '2025-11-24T23:30:12.000Z',
    finishedAt: '2025-11-24T23:32:05.000Z',
    state: 'complete',
    parameters: {
      scenarios: ['xdp-drop'],
      modes: ['native', 'generic', 'offload'],
      trials: 3,
      durationS: 10,
      warmupS: 2,
      sampleIntervalMs: 1000,
      generator: 'trafgen',
      generatorReason: 'chosen with --generator trafgen',
      pktSizeBytes: 64,
      pktSizesBytes: [64],
      flows: 1,
      work: 'no-touch',
      rate: '0',
      decouple: true,
      topology: 'veth',
      agreementTolerance: 0.05,
    },
    environment: {
      kernel: '6.8.0-48-generic',
      hostname: 'bench-host',
      cpuModel: 'AMD EPYC 7443P 24-Core Processor',
      cpuCount: 4,
      driver: 'veth',
      harnessVersion: '0.1.0',
      gitRevision: '3f2c9e1d0b7a',
      nodeVersion: 'v20.19.5',
      commandLine: ['./bench', 'run', '--scenario', 'xdp-drop', '--trials', '3'],
    },
    calibration: [{ pktSizeBytes: 64, generator: 'trafgen', offeredPps: 8_000_000, durationMs: 1000 }],
    cases: [structuredClone(nativeCase), structuredClone(genericCase), structuredClone(offloadCase)],
  };
}

export const NATIVE_TAG = '02d8081970209794';

/** Offload on netdevsim (--topology vm): offloaded and attached, no datapath, no figure. */
export const attachedOffloadCase: AttachedCase = {
  scenario: 'xdp-drop',
  mode: 'offload',
  pktSizeBytes: 64,
  generator: 'trafgen',
  state: 'attached',
  device: 'eth0',
  driver: 'netdevsim',
  progId: 68,
  progTag: NATIVE_TAG,
  reason: 'netdevsim verifies and offloads the program but has no datapath: no packets, no pps',
  notes: ["maps capped at 2 entries for the device (netdevsim's NSIM_BPF_MAX_KEYS); the program's instructions are those of the object file"],
};

/** The fixture run with offload attached on netdevsim instead of skipped, and the native case's program tag. */
export function makeAttachedResults(): RunResults {
  const r = makeResults();
  r.cases = r.cases.map((c) => (c.mode === 'offload' ? structuredClone(attachedOffloadCase) : c.mode === 'native' ? { ...c, progId: 5, progTag: NATIVE_TAG } : c));
  return r;
}

/** Same run with every case skipped: a chart with no bars. */
export function makeAllSkippedResults(): RunResults {
  const r = makeResults();
  r.cases = r.cases.map((c): SkippedCase => ({
    scenario: c.scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes, generator: c.generator,
    state: 'skipped', reason: `${c.mode} not attempted`,
  }));
  return r;
}
