/* The plan of one run, decided before anything is created: the explicit list
 * of cases the runner executes (in that order), the rig, the generator and why,
 * the CPU placement and why, the phases, and how long it should take.
 * `bench run ... --dry-run` prints it (renderPlan); every kind of run (veth,
 * VM, lab, prog-run) is planned here, from validated options. */
import type { CpuPlacement } from '../../drivers/napi-placement.ts';
import type { TrafficDriver } from '../../drivers/traffic-driver.ts';
import type { ExistingPair } from '../../drivers/veth-topology.ts';
import type { XdpMode } from '../../ground/xdp.ts';
import type { RateSpec } from '../../ground/values.ts';
import type { Scenario } from '../../scenarios/builtin.ts';
import type { LabRunOptions } from '../lab/lab-rig.ts';
import { FIXED } from './defaults.ts';
import type { ValidRunOptions } from './run-options.ts';
import type { LatencyPlan, OffloadCheckDevice } from './phase-plans.ts';
import type { Work } from './work-variants.ts';

export type { LatencyPlan, OffloadCheckDevice } from './phase-plans.ts';

/** Where the run measures: one of these, never a mix of optional fields. */
export type RigSpec =
  /** netns + veth pairs the run creates on this machine. */
  | { kind: 'veth' }
  /** Inside the VM guest: its two NICs (one qemu hub) are the gen0/dut0 pair; offload is an attach check on `offloadCheck`. */
  | { kind: 'vm-pair'; pair: ExistingPair; offloadCheck: OffloadCheckDevice | null }
  /** On this host: boot the VM guest, which runs the same plan on its own vm-pair rig. */
  | { kind: 'vm' }
  /** A hardware lab's hosts and existing NICs (bench run --config). */
  | { kind: 'lab'; lab: LabRunOptions };

/** One measured case: a scenario's program attached in a mode, at one packet size. */
export interface PlannedCase {
  /** 1-based, in run order. */
  index: number;
  scenario: Scenario;
  mode: XdpMode;
  pktSizeBytes: number;
  trials: number;
}

export interface RunPlan {
  runId: string;
  /** The command line as typed, `bench` first (results, the run lock's holder record). */
  argv: string[];
  outDir: string;
  rig: RigSpec;
  scenarios: Scenario[];
  /** The distinct modes and sizes of the cases, in first-seen order (the results' parameters). */
  modes: XdpMode[];
  pktSizesBytes: number[];
  /** Exactly what the throughput phase runs, in this order (scenario outermost, then mode, then size). */
  cases: PlannedCase[];
  /** Packet sizes the generator's ceiling is measured at before the cases (empty with --prog-run). */
  calibrationSizesBytes: number[];
  trials: number;
  durationMs: number;
  warmupMs: number;
  sampleIntervalMs: number;
  /** Between starting the generator and the trial window (ramp-up excluded). */
  settleMs: number;
  calibrationMs: number;
  /** null only for `--topology vm`: the guest chooses its generator (its kernel, not this one). */
  generator: TrafficDriver | null;
  generatorReason: string;
  /** CPUs for generator threads and the DUT's NAPI kthread; dutNapiCpu null = coupled. */
  placement: CpuPlacement;
  placementReason: string;
  rate: RateSpec;
  rateText: string;
  flows: number;
  work: Work;
  /** --threads: generator threads asked for; null: the generator's default. */
  threads: number | null;
  tolerance: number;
  cvLimit: number;
  /** --prog-run: only the program cost (BPF_PROG_TEST_RUN), no rig or traffic. */
  progRunOnly: boolean;
  /** --latency: the latency phase after the throughput cases. */
  latency: LatencyPlan | null;
  /** What the plan should take at most, from its own timing; null when it depends on the programs (--prog-run). */
  expectedDurationMs: number | null;
}

/** A plan the runner can execute here: its generator is chosen. */
export type ExecutablePlan = RunPlan & { generator: TrafficDriver };

export interface PlanContext {
  runId: string;
  argv: string[];
  rig: RigSpec;
  generator: { driver: TrafficDriver; why: string } | null;
  placement: { placement: CpuPlacement; why: string };
  /** --rate as typed ("0", "2500000", "50%"). */
  rateText: string;
  /** An explicit case list (a lab config's expansion); default: every scenario x mode x size. */
  cases?: { scenario: string; mode: XdpMode; pktSizeBytes: number }[];
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}

export function planRun(o: ValidRunOptions, cx: PlanContext): RunPlan {
  const byName = new Map(o.scenarios.map((s) => [s.name, s]));
  const wanted = cx.cases ?? o.scenarios.flatMap((s) => o.modes.flatMap((mode) => o.pktSizesBytes.map((pktSizeBytes) => ({ scenario: s.name, mode, pktSizeBytes }))));
  const cases: PlannedCase[] = o.progRunOnly ? [] : wanted.map((c, i) => {
    const scenario = byName.get(c.scenario);
    if (!scenario) throw new Error(`plan: case ${i + 1} names scenario "${c.scenario}", which is not among the run's scenarios`);
    return { index: i + 1, scenario, mode: c.mode, pktSizeBytes: c.pktSizeBytes, trials: o.trials };
  });
  const modes = o.progRunOnly ? o.modes : distinct(cases.map((c) => c.mode));
  const pktSizesBytes = o.progRunOnly ? o.pktSizesBytes : distinct(cases.map((c) => c.pktSizeBytes));
  const plan: RunPlan = {
    runId: cx.runId,
    argv: cx.argv,
    outDir: o.outDir,
    rig: cx.rig,
    scenarios: o.scenarios,
    modes,
    pktSizesBytes,
    cases,
    calibrationSizesBytes: o.progRunOnly ? [] : pktSizesBytes,
    trials: o.trials,
    durationMs: o.durationMs,
    warmupMs: o.warmupMs,
    sampleIntervalMs: o.sampleIntervalMs,
    settleMs: FIXED.settleMs,
    calibrationMs: FIXED.calibrationMs,
    generator: cx.generator?.driver ?? null,
    generatorReason: cx.generator?.why ?? `${o.generatorName === 'auto' ? 'auto: ' : ''}chosen inside the VM guest, by its own kernel`,
    placement: cx.placement.placement,
    placementReason: cx.placement.why,
    rate: o.rate,
    rateText: cx.rateText,
    flows: o.flows,
    work: o.work,
    threads: o.threads,
    tolerance: o.tolerance,
    cvLimit: FIXED.cvLimit,
    progRunOnly: o.progRunOnly,
    latency: o.latency && { ...o.latency, modes },
    expectedDurationMs: null,
  };
  plan.expectedDurationMs = expectedDurationMs(plan);
  return plan;
}

/** An upper estimate from the plan's own timing (refused modes end sooner); null for --prog-run. */
export function expectedDurationMs(p: RunPlan): number | null {
  if (p.progRunOnly) return null;
  const windowMs = (ms: number) => p.settleMs + ms + FIXED.perTrialOverheadMs;
  const calibration = p.calibrationSizesBytes.length * windowMs(p.calibrationMs);
  const perCase = (c: PlannedCase) => FIXED.perCaseOverheadMs + (p.warmupMs > 0 ? windowMs(p.warmupMs) : 0) + c.trials * windowMs(p.durationMs);
  const cases = p.cases.reduce((sum, c) => sum + perCase(c), 0);
  const latency = p.latency
    ? p.latency.modes.length * (p.latency.maxMeasureMs + p.latency.loadFractions.length * ((p.latency.probes / p.latency.probeRatePps) * 1000 + FIXED.perCaseOverheadMs))
    : 0;
  return Math.round(calibration + cases + latency);
}

/** The plan for the runner of this host; a VM plan runs in the guest (harness/vm). */
export function executable(p: RunPlan): ExecutablePlan {
  if (p.generator === null) throw new Error(`plan ${p.runId}: no generator chosen (rig ${p.rig.kind}); the VM guest plans its own run`);
  return p as ExecutablePlan;
}
