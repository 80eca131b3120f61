/* The results.json model. Bump SCHEMA_VERSION on any incompatible change. */

export const SCHEMA_VERSION = 1;

import type { XdpAction, XdpMode } from './xdp.ts';
export { ALL_MODES, XDP_ACTIONS, type XdpAction, type XdpMode } from './xdp.ts';
import type { LatencySummary, ProgRunSummary } from './phase-summaries.ts';
import type { Statistics } from './statistics-record.ts';
export type { Statistics } from './statistics-record.ts';
export type * from './phase-summaries.ts';


/** One sampling interval of one trial: rates over [tStartMs, tStartMs + durationMs]. */
export interface Sample {
  tStartMs: number; // since trial start
  durationMs: number;
  /** XDP program: frames per second per action, summed over CPUs. */
  progPps: Record<XdpAction, number>;
  /** Generator-side link TX pps (what reached the wire). */
  genTxPps: number;
  /** DUT-side link/driver RX pps. */
  dutRxPps: number;
}

export interface TrialResult {
  index: number;
  durationMs: number;
  /** Frames per second the XDP program handled, all actions. */
  xdpPps: number;
  /** Per action, summed over CPUs. */
  actionPps: Record<XdpAction, number>;
  /** Per CPU, all actions (index = CPU). */
  perCpuPps: number[];
  /** Generator side: its own count, and its interface's TX counter. */
  genOwnPps: number | null;
  genTxPps: number;
  /** What the generator offered: its interface's TX plus what the DUT side refused (tx_dropped). */
  offeredPps: number;
  /** DUT interface: link RX pps and driver (ethtool) XDP counters where the driver has them. */
  dutRxPps: number;
  driverXdpPps: number | null;
  /** Frames offered but lost before the DUT program (driver/ring drops, xmit errors). */
  lostBeforeXdpPps: number;
  /** Frames the expected action's proof counter saw (e.g. reflected frames back at the generator). */
  proofPps: number | null;
  samples: Sample[];
  /**
   * Frames that ended in the kernel's XDP exception paths, from the
   * xdp:xdp_exception and xdp:xdp_redirect_err tracepoints (counted for the
   * attached program only); absent when they were not sampled (a lab's DUT).
   * invalidActionPps is part of xdpPps but of no actionPps entry.
   */
  exceptions?: { abortedPps: number; invalidActionPps: number; txErrorPps: number; redirectErrorPps: number; perCpuPps: number[] };
  /** Counter disagreements of this trial (a remainder rate below zero, held at 0): a counting problem, not a figure. */
  countingProblems?: CountingProblem[];
  /** Why the xdp tracepoints could not be counted in (part of) this trial's window (no tracefs, attach or map read failed). */
  exceptionsError?: string;
}

/** A rate worked out as a remainder of other counters that came out below zero. */
export interface CountingProblem {
  /** Which rate: an action name, or "invalid action". */
  rate: string;
  /** What the remainder came to (below zero). */
  remainderPps: number;
}

/**
 * Where a case's per-action counts come from: the built-in program's own
 * counters, the driver's XDP counters (a foreign program, native mode), or
 * the frames' effects (a foreign program, generic mode: stack receives, sink).
 */
export type CounterSource = 'program' | 'driver' | 'effects';

export type CaseFlag =
  | 'generator-bound'    // DUT processed ~all that was offered: the figure is a lower bound
  | 'coupled'            // generator and DUT share CPUs (veth NAPI on the sender's CPU)
  | 'sources-disagree'   // counters from different sources differ beyond tolerance
  | 'unexpected-action'  // the program did not take the scenario's expected action
  | 'high-variance';     // CV above the stated limit

/** A user's object, and how it was loaded the way its own loader would. */
export interface ProgramRef {
  name: string;
  file: string;
  sha256: string;
  /** Maps sized before load (declared with max_entries 0, or sized by the scenario file): size and why. */
  mapSizes?: { map: string; maxEntries: number; reason: string }[];
  /** The program's section libbpf cannot type (SEC("prog"), ...): loaded as XDP, with frags for xdp.frags sections. */
  loadedAsXdp?: { section: string; frags: boolean };
  /** Maps the object pins by name (LIBBPF_PIN_BY_NAME): pinned under the run's bpffs dir, removed with it. */
  pinnedByName?: string[];
}

export interface CaseCommon {
  scenario: string;
  /** The program: built-in name, or user object file + content hash. */
  program?: ProgramRef;
  mode: XdpMode;
  pktSizeBytes: number;
  generator: string;
  /** The attached program's id and the kernel's tag of it (16 hex digits; equal in every load of the same instructions). */
  progId?: number;
  progTag?: string;
}

/** Where the generator and the DUT ran. */
export interface CpuPlacementRecord {
  generatorCpus: number[];
  /** CPU of the DUT's threaded-NAPI kthread; null when it ran on the sender's CPU (coupled). */
  dutNapiCpu: number | null;
}

export interface OkCase extends CaseCommon {
  state: 'ok';
  flags: CaseFlag[];
  /** Human-readable reasons behind each flag. */
  notes: string[];
  placement: CpuPlacementRecord;
  counterSource: CounterSource;
  /** Target offered rate of the generator; 0 = as fast as it can. */
  targetRatePps: number;
  stats: {
    xdpPps: Statistics;
    offeredPps: Statistics;
    genTxPps: Statistics;
    dutRxPps: Statistics;
    lostBeforeXdpPps: Statistics;
  };
  trials: TrialResult[];
}

export interface SkippedCase extends CaseCommon {
  state: 'skipped';
  /** The kernel's own words where it gave them. */
  reason: string;
  kernelMessage?: string;
  errno?: number;
}

export interface FailedCase extends CaseCommon {
  state: 'failed';
  reason: string;
  stage: string;
}

/**
 * Offload on a device that verifies, offloads and attaches the program but has
 * no datapath (netdevsim): proof the program is offloadable, never a pps.
 */
export interface AttachedCase extends CaseCommon {
  state: 'attached';
  /** The offload device the program was bound to and attached on. */
  device: string;
  driver: string;
  progId: number;
  progTag: string;
  /** Why there is no figure. */
  reason: string;
  /** How the load differed from the object file (e.g. map sizes capped to the device's limit). */
  notes: string[];
}

/**
 * A case stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) after some of its
 * trials: the finished trials and their statistics are kept, but fewer trials
 * than planned are not the case's figure: never compared, never a capacity.
 */
export interface InterruptedCase extends CaseCommon {
  state: 'interrupted';
  /** e.g. "interrupted by SIGINT after 2 of 3 trials". */
  reason: string;
  trialsPlanned: number;
  placement: CpuPlacementRecord;
  counterSource: CounterSource;
  targetRatePps: number;
  /** Over the finished trials only. */
  stats: OkCase['stats'];
  trials: TrialResult[];
}

export type CaseResult = OkCase | SkippedCase | FailedCase | AttachedCase | InterruptedCase;
/** Every case state; `attached` and `skipped` carry no figure, `interrupted` only a partial one, `failed` is the run's failure. */
export type CaseState = CaseResult['state'];

export interface EnvironmentInfo {
  kernel: string;
  hostname: string;
  cpuModel: string;
  cpuCount: number;
  driver: string;
  harnessVersion: string;
  gitRevision: string | null;
  nodeVersion: string;
  commandLine: string[];
  /** Set when the run happened in an emulated machine (--topology vm): functional truth, not performance. */
  emulated?: boolean;
  /** The guest's kernel (uname -r) of an emulated run; `kernel` is then the guest's too. */
  guestKernel?: string;
  /** kernel.bpf_stats_enabled during the run: when on, every program run is timed and counted (native drop ~2.5x slower here). */
  bpfStatsEnabled?: boolean;
  /** Helpers the measured programs call that distort throughput figures (bpf_trace_printk, ...). */
  slowHelpers?: { program: string; file: string; helper: string; why: string; where: string }[];
  /** What distorts the figures of this run, as sentences (also printed as warnings). */
  warnings?: string[];
}

export interface RunParameters {
  scenarios: string[];
  modes: XdpMode[];
  trials: number;
  durationS: number;
  warmupS: number;
  sampleIntervalMs: number;
  generator: string;
  /** Why this generator (auto-selection reason). */
  generatorReason: string;
  /** First of pktSizesBytes (kept for readers of single-size runs). */
  pktSizeBytes: number;
  pktSizesBytes: number[];
  flows: number;
  /** Work the built-in DUT programs do per frame (--work: which program variant, harness/plan/work-variants.ts). */
  work: string;
  /** --rate as given: pps, a percentage of the calibrated ceiling, or 0 (full speed). */
  rate: string;
  decouple: boolean;
  /** --threads as given: generator threads (their CPUs are each case's placement.generatorCpus). */
  generatorThreads?: number;
  /** veth: created by the harness on this machine; physical: a lab's existing NICs (lab.hosts). */
  topology: 'veth' | 'physical';
  /** Relative tolerance for cross-checking counter sources (0.05 = 5 %). */
  agreementTolerance: number;
}

export interface RunResults {
  schemaVersion: number;
  runId: string;
  startedAt: string;  // ISO 8601
  finishedAt: string | null;
  state: 'running' | 'complete' | 'interrupted' | 'failed';
  /** Why a run in state `failed` stopped (the generator failed while calibrating, a file could not be written). */
  failure?: RunFailure;
  parameters: RunParameters;
  environment: EnvironmentInfo;
  /** The generator's ceiling on this topology per packet size (offered pps into native XDP_DROP). */
  calibration: CalibrationRecord[];
  /** With --latency: RTT percentiles per mode and load. */
  latency?: LatencyRecord[];
  /** With --prog-run: per-packet program cost per scenario. */
  progRun?: ProgRunRecord[];
  /** A lab run (bench run --config): hosts, interfaces as probed, safety, lock, clock alignment. */
  lab?: LabRecord;
  cases: CaseResult[];
}

export interface RunFailure {
  /** Where the run stopped: calibration, output, reports, ... */
  stage: string;
  reason: string;
}

export interface LabRecord {
  name: string;
  configFile: string;
  hosts: LabHostRecord[];
  interfaces: LabInterfaceRecord[];
  /** Where the DUT lock was held (host:path for a lab host). */
  lock: string;
  /** How each host's sample clock was mapped onto the DUT host's. */
  clockAlignment: ClockAlignmentRecord[];
}

export interface LabHostRecord {
  name: string;
  kind: 'local' | 'ssh';
  roles: ('generator' | 'dut')[];
  /** user@host:port of an SSH host. */
  destination?: string;
  kernel: string;
  hostname: string;
  cpuCount: number;
}

export interface LabInterfaceRecord {
  role: 'generator' | 'dut';
  host: string;
  port: 'port0' | 'port1';
  ifname: string;
  macAddress: string | null;
  driver: string | null;
  driverVersion: string | null;
  firmwareVersion: string | null;
  busInfo: string | null;
  linkSpeedMbps: number | null;
  numRxQueues: number | null;
  numTxQueues: number | null;
  xdpFeatures: string[] | null;
  mtuBytes: number;
  /** The config's IRQ affinity wish: recorded, not applied (the harness does not reconfigure lab NICs). */
  irqCpus: number[];
  /** Protected (default route, SSH session) but forced by name. */
  safetyForced: boolean;
  safetyReasons: string[];
}

export interface ClockAlignmentRecord {
  host: string;
  offsetMs: number;
  uncertaintyMs: number;
}

/** One latency measurement: RTT of probes through the XDP_TX reflector under a background load. */
export interface LatencyRecord {
  mode: XdpMode;
  state: 'ok' | 'skipped' | 'failed';
  reason?: string;
  /** Fraction of the reflector's measured maximum used as background load (0 = idle). */
  loadFraction: number;
  /** The reflector's measured maximum (processed pps) in this mode, which fractions refer to. */
  maxPps: number | null;
  targetLoadPps: number;
  /** What the load generator really sent over its run. */
  achievedLoadPps: number | null;
  /** Percentiles (ns), lost/reordered probes, timestamp source and resolution, histogram. */
  summary?: LatencySummary;
  /** Idle level only: what a tcpdump sample on the generator side saw. */
  capture?: CaptureCheck;
}

/** A bounded capture checked against the scenario: protocol, flows, replies really swapped. */
export interface CaptureCheck {
  ok: boolean;
  mismatches: string[];
  frames: number;
  sent: number;
  received: number;
  flows: number;
}

/** Program cost without a NIC: BPF_PROG_TEST_RUN with a repeat count, repeated. */
export interface ProgRunRecord {
  scenario: string;
  program: string;
  file: string;
  summary: ProgRunSummary;
}

export interface CalibrationRecord {
  pktSizeBytes: number;
  generator: string;
  offeredPps: number;
  durationMs: number;
}
