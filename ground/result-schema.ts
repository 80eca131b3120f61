/* The results.json model: zod schemas, the ONE definition of results.json.
 * The TypeScript types are z.infer of them, and
 * harness/results/results.schema.json is generated from them
 * (`npm run gen:schema`). Bump SCHEMA_VERSION on any incompatible change. */
import { z } from 'zod';
import { LatencySummarySchema, ProgRunSummarySchema } from './phase-summaries.ts';
import { StatisticsSchema } from './statistics-record.ts';
import { XDP_ACTION_NAMES, XDP_MODE_NAMES } from './xdp.ts';

export const SCHEMA_VERSION = 1;

export { ALL_MODES, XDP_ACTIONS, type XdpAction, type XdpMode } from './xdp.ts';
export type { Statistics } from './statistics-record.ts';
export type * from './phase-summaries.ts';

const count = () => z.int().min(0);
const cpuNumber = () => z.int().min(0);
/** ISO 8601, to the second at least. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;

export const XdpModeSchema = z.enum(XDP_MODE_NAMES).meta({ id: 'XdpMode' });
const Rate = z.number().meta({ id: 'Rate', description: 'frames per second' });

/** Frames per second per XDP action, summed over CPUs. */
export const ActionPpsSchema = z.strictObject({ aborted: Rate, drop: Rate, pass: Rate, tx: Rate, redirect: Rate }).meta({ id: 'ActionPps' });
// Every action has its key: a new action must be added to ActionPpsSchema too.
const _actionKeys: Record<(typeof XDP_ACTION_NAMES)[number], unknown> = ActionPpsSchema.shape;
void _actionKeys;

/** One sampling interval of one trial: rates over [tStartMs, tStartMs + durationMs]. */
export const SampleSchema = z.strictObject({
  /** Since trial start. */
  tStartMs: z.number(),
  durationMs: z.number().min(0),
  /** XDP program: frames per second per action, summed over CPUs. */
  progPps: ActionPpsSchema,
  /** Generator-side link TX pps (what reached the wire). */
  genTxPps: Rate,
  /** DUT-side link/driver RX pps. */
  dutRxPps: Rate,
}).meta({ id: 'Sample' });

/** A rate worked out as a remainder of other counters that came out below zero. */
export const CountingProblemSchema = z.strictObject({
  /** Which rate: an action name, or "invalid action". */
  rate: z.string(),
  /** What the remainder came to (below zero). */
  remainderPps: z.number().max(0),
}).meta({ id: 'CountingProblem' });

export const TrialResultSchema = z.strictObject({
  index: count(),
  durationMs: z.number().min(0),
  /** Frames per second the XDP program handled, all actions. */
  xdpPps: Rate,
  /** Per action, summed over CPUs. */
  actionPps: ActionPpsSchema,
  /** Per CPU, all actions (index = CPU). */
  perCpuPps: z.array(Rate),
  /** Generator side: its own count, and its interface's TX counter. */
  genOwnPps: z.number().nullable(),
  genTxPps: Rate,
  /** What the generator offered: its interface's TX plus what the DUT side refused (tx_dropped). */
  offeredPps: Rate,
  /** DUT interface: link RX pps and driver (ethtool) XDP counters where the driver has them. */
  dutRxPps: Rate,
  driverXdpPps: z.number().nullable(),
  /** Frames offered but lost before the DUT program (driver/ring drops, xmit errors). */
  lostBeforeXdpPps: Rate,
  /** Frames the expected action's proof counter saw (e.g. reflected frames back at the generator). */
  proofPps: z.number().nullable(),
  samples: z.array(SampleSchema),
  /**
   * Frames that ended in the kernel's XDP exception paths, from the
   * xdp:xdp_exception and xdp:xdp_redirect_err tracepoints (counted for the
   * attached program only); absent when they were not sampled (a lab's DUT).
   * invalidActionPps is part of xdpPps but of no actionPps entry.
   */
  exceptions: z.strictObject({
    abortedPps: z.number().min(0),
    invalidActionPps: z.number().min(0),
    txErrorPps: z.number().min(0),
    redirectErrorPps: z.number().min(0),
    perCpuPps: z.array(z.number()),
  }).optional(),
  /** Counter disagreements of this trial (a remainder rate below zero, held at 0): a counting problem, not a figure. */
  countingProblems: z.array(CountingProblemSchema).optional(),
  /** Why the xdp tracepoints could not be counted in (part of) this trial's window (no tracefs, attach or map read failed). */
  exceptionsError: z.string().optional(),
}).meta({ id: 'TrialResult' });

/**
 * Where a case's per-action counts come from: the built-in program's own
 * counters, the driver's XDP counters (a foreign program, native mode), or
 * the frames' effects (a foreign program, generic mode: stack receives, sink).
 */
export const CounterSourceSchema = z.enum(['program', 'driver', 'effects']).meta({ id: 'CounterSource' });

export const CaseFlagSchema = z.enum([
  'generator-bound',   // DUT processed ~all that was offered: the figure is a lower bound
  'coupled',           // generator and DUT share CPUs (veth NAPI on the sender's CPU)
  'sources-disagree',  // counters from different sources differ beyond tolerance
  'unexpected-action', // the program did not take the scenario's expected action
  'high-variance',     // CV above the stated limit
]).meta({ id: 'CaseFlag' });

/** A user's object, and how it was loaded the way its own loader would. */
export const ProgramRefSchema = z.strictObject({
  name: z.string(),
  file: z.string(),
  sha256: z.string(),
  /** Maps sized before load (declared with max_entries 0, or sized by the scenario file): size and why. */
  mapSizes: z.array(z.strictObject({ map: z.string(), maxEntries: count(), reason: z.string() })).optional(),
  /** The program's section libbpf cannot type (SEC("prog"), ...): loaded as XDP, with frags for xdp.frags sections. */
  loadedAsXdp: z.strictObject({ section: z.string(), frags: z.boolean() }).optional(),
  /** Maps the object pins by name (LIBBPF_PIN_BY_NAME): pinned under the run's bpffs dir, removed with it. */
  pinnedByName: z.array(z.string()).optional(),
}).meta({ id: 'ProgramRef' });

/** The kernel's tag of a program: 16 hex digits, equal in every load of the same instructions. */
const ProgTag = z.string().regex(/^[0-9a-f]{16}$/).meta({ id: 'ProgTag' });
const ProgId = z.int().min(1);

/** The fields every case has (no definition of its own in the JSON Schema). */
const caseCommon = {
  scenario: z.string().min(1),
  /** The program: built-in name, or user object file + content hash. */
  program: ProgramRefSchema.optional(),
  mode: XdpModeSchema,
  pktSizeBytes: z.int().min(1),
  generator: z.string(),
  /** The attached program's id and the kernel's tag of it. */
  progId: ProgId.optional(),
  progTag: ProgTag.optional(),
};
export const CaseCommonSchema = z.strictObject(caseCommon);

/** Where the generator and the DUT ran. */
export const CpuPlacementRecordSchema = z.strictObject({
  generatorCpus: z.array(cpuNumber()),
  /** CPU of the DUT's threaded-NAPI kthread; null when it ran on the sender's CPU (coupled). */
  dutNapiCpu: cpuNumber().nullable(),
}).meta({ id: 'CpuPlacementRecord' });

const CaseStats = z.strictObject({
  xdpPps: StatisticsSchema,
  offeredPps: StatisticsSchema,
  genTxPps: StatisticsSchema,
  dutRxPps: StatisticsSchema,
  lostBeforeXdpPps: StatisticsSchema,
});

export const OkCaseSchema = z.strictObject({
  ...caseCommon,
  state: z.literal('ok'),
  flags: z.array(CaseFlagSchema),
  /** Human-readable reasons behind each flag. */
  notes: z.array(z.string()),
  placement: CpuPlacementRecordSchema,
  counterSource: CounterSourceSchema,
  /** Target offered rate of the generator; 0 = as fast as it can. */
  targetRatePps: z.number().min(0),
  stats: CaseStats,
  trials: z.array(TrialResultSchema),
}).meta({ id: 'OkCase' });

export const SkippedCaseSchema = z.strictObject({
  ...caseCommon,
  state: z.literal('skipped'),
  /** The kernel's own words where it gave them. */
  reason: z.string(),
  kernelMessage: z.string().optional(),
  errno: z.int().optional(),
}).meta({ id: 'SkippedCase' });

export const FailedCaseSchema = z.strictObject({
  ...caseCommon,
  state: z.literal('failed'),
  reason: z.string(),
  stage: z.string(),
}).meta({ id: 'FailedCase' });

/**
 * Offload on a device that verifies, offloads and attaches the program but has
 * no datapath (netdevsim): proof the program is offloadable, never a pps.
 */
export const AttachedCaseSchema = z.strictObject({
  ...caseCommon,
  state: z.literal('attached'),
  /** The offload device the program was bound to and attached on. */
  device: z.string().min(1),
  driver: z.string().min(1),
  progId: ProgId,
  progTag: ProgTag,
  /** Why there is no figure. */
  reason: z.string(),
  /** How the load differed from the object file (e.g. map sizes capped to the device's limit). */
  notes: z.array(z.string()),
}).meta({ id: 'AttachedCase' });

/**
 * A case stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) after some of its
 * trials: the finished trials and their statistics are kept, but fewer trials
 * than planned are not the case's figure: never compared, never a capacity.
 */
export const InterruptedCaseSchema = z.strictObject({
  ...caseCommon,
  state: z.literal('interrupted'),
  /** e.g. "interrupted by SIGINT after 2 of 3 trials". */
  reason: z.string().min(1),
  trialsPlanned: z.int().min(1),
  placement: CpuPlacementRecordSchema,
  counterSource: CounterSourceSchema,
  targetRatePps: z.number().min(0),
  /** Over the finished trials only. */
  stats: CaseStats,
  trials: z.array(TrialResultSchema).min(1),
}).meta({ id: 'InterruptedCase' });

/** The case variants by state; the JSON Schema picks one by `state` (if/then/else, for precise errors). */
export const CaseResultSchema = z.discriminatedUnion('state', [OkCaseSchema, SkippedCaseSchema, FailedCaseSchema, AttachedCaseSchema, InterruptedCaseSchema]).meta({ id: 'CaseResult' });

export const EnvironmentInfoSchema = z.strictObject({
  kernel: z.string(),
  hostname: z.string(),
  cpuModel: z.string(),
  cpuCount: count(),
  driver: z.string(),
  harnessVersion: z.string(),
  gitRevision: z.string().nullable(),
  nodeVersion: z.string(),
  commandLine: z.array(z.string()),
  /** Set when the run happened in an emulated machine (--topology vm): functional truth, not performance. */
  emulated: z.boolean().optional(),
  /** The guest's kernel (uname -r) of an emulated run; `kernel` is then the guest's too. */
  guestKernel: z.string().optional(),
  /** kernel.bpf_stats_enabled during the run: when on, every program run is timed and counted (native drop ~2.5x slower here). */
  bpfStatsEnabled: z.boolean().optional(),
  /** Helpers the measured programs call that distort throughput figures (bpf_trace_printk, ...). */
  slowHelpers: z.array(z.strictObject({ program: z.string(), file: z.string(), helper: z.string(), why: z.string(), where: z.string() })).optional(),
  /** What distorts the figures of this run, as sentences (also printed as warnings). */
  warnings: z.array(z.string()).optional(),
}).meta({ id: 'EnvironmentInfo' });

export const RunParametersSchema = z.strictObject({
  scenarios: z.array(z.string()),
  modes: z.array(XdpModeSchema),
  trials: z.int().min(1),
  durationS: z.number().positive(),
  warmupS: z.number().min(0),
  sampleIntervalMs: z.number().positive(),
  generator: z.string(),
  /** Why this generator (auto-selection reason). */
  generatorReason: z.string(),
  /** First of pktSizesBytes (kept for readers of single-size runs). */
  pktSizeBytes: z.int().min(1),
  pktSizesBytes: z.array(z.int().min(1)).min(1),
  flows: z.int().min(1),
  /** Work the built-in DUT programs do per frame (--work: which program variant, harness/plan/work-variants.ts). */
  work: z.string(),
  /** --rate as given: pps, a percentage of the calibrated ceiling, or 0 (full speed). */
  rate: z.string(),
  decouple: z.boolean(),
  /** --threads as given: generator threads (their CPUs are each case's placement.generatorCpus). */
  generatorThreads: z.int().min(1).optional(),
  /** veth: created by the harness on this machine; physical: a lab's existing NICs (lab.hosts). */
  topology: z.enum(['veth', 'physical']),
  /** Relative tolerance for cross-checking counter sources (0.05 = 5 %). */
  agreementTolerance: z.number().min(0),
}).meta({ id: 'RunParameters' });

export const RunFailureSchema = z.strictObject({
  /** Where the run stopped: calibration, output, reports, ... */
  stage: z.string().min(1),
  reason: z.string().min(1),
}).meta({ id: 'RunFailure' });

const RoleSchema = z.enum(['generator', 'dut']);

export const LabHostRecordSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['local', 'ssh']),
  roles: z.array(RoleSchema),
  /** user@host:port of an SSH host. */
  destination: z.string().optional(),
  kernel: z.string(),
  hostname: z.string(),
  cpuCount: z.int().min(1),
}).meta({ id: 'LabHostRecord' });

export const LabInterfaceRecordSchema = z.strictObject({
  role: RoleSchema,
  host: z.string(),
  port: z.enum(['port0', 'port1']),
  ifname: z.string(),
  macAddress: z.string().nullable(),
  driver: z.string().nullable(),
  driverVersion: z.string().nullable(),
  firmwareVersion: z.string().nullable(),
  busInfo: z.string().nullable(),
  linkSpeedMbps: z.number().nullable(),
  numRxQueues: count().nullable(),
  numTxQueues: count().nullable(),
  xdpFeatures: z.array(z.string()).nullable(),
  mtuBytes: count(),
  /** The config's IRQ affinity wish: recorded, not applied (the harness does not reconfigure lab NICs). */
  irqCpus: z.array(cpuNumber()),
  /** Protected (default route, SSH session) but forced by name. */
  safetyForced: z.boolean(),
  safetyReasons: z.array(z.string()),
}).meta({ id: 'LabInterfaceRecord' });

export const ClockAlignmentRecordSchema = z.strictObject({
  host: z.string(),
  offsetMs: z.number(),
  uncertaintyMs: z.number().min(0),
}).meta({ id: 'ClockAlignmentRecord' });

export const LabRecordSchema = z.strictObject({
  name: z.string(),
  configFile: z.string(),
  hosts: z.array(LabHostRecordSchema),
  interfaces: z.array(LabInterfaceRecordSchema),
  /** Where the DUT lock was held (host:path for a lab host). */
  lock: z.string(),
  /** How each host's sample clock was mapped onto the DUT host's. */
  clockAlignment: z.array(ClockAlignmentRecordSchema),
}).meta({ id: 'LabRecord' });

/** A bounded capture checked against the scenario: protocol, flows, replies really swapped. */
export const CaptureCheckSchema = z.strictObject({
  ok: z.boolean(),
  mismatches: z.array(z.string()),
  frames: count(),
  sent: count(),
  received: count(),
  flows: count(),
}).meta({ id: 'CaptureCheck' });

/** One latency measurement: RTT of probes through the XDP_TX reflector under a background load. */
export const LatencyRecordSchema = z.strictObject({
  mode: XdpModeSchema,
  state: z.enum(['ok', 'skipped', 'failed']),
  reason: z.string().optional(),
  /** Fraction of the reflector's measured maximum used as background load (0 = idle). */
  loadFraction: z.number().min(0).max(1),
  /** The reflector's measured maximum (processed pps) in this mode, which fractions refer to. */
  maxPps: z.number().nullable(),
  targetLoadPps: z.number().min(0),
  /** What the load generator really sent over its run. */
  achievedLoadPps: z.number().nullable(),
  /** Percentiles (ns), lost/reordered probes, timestamp source and resolution, histogram. */
  summary: LatencySummarySchema.optional(),
  /** Idle level only: what a tcpdump sample on the generator side saw. */
  capture: CaptureCheckSchema.optional(),
}).meta({ id: 'LatencyRecord' });

/** Program cost without a NIC: BPF_PROG_TEST_RUN with a repeat count, repeated. */
export const ProgRunRecordSchema = z.strictObject({
  scenario: z.string(),
  program: z.string(),
  file: z.string(),
  summary: ProgRunSummarySchema,
}).meta({ id: 'ProgRunRecord' });

export const CalibrationRecordSchema = z.strictObject({
  pktSizeBytes: z.int().min(1),
  generator: z.string(),
  offeredPps: Rate,
  durationMs: z.number().min(0),
}).meta({ id: 'CalibrationRecord' });

export const RunResultsSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  runId: z.string().min(1),
  startedAt: z.string().regex(TIMESTAMP),
  finishedAt: z.string().regex(TIMESTAMP).nullable(),
  state: z.enum(['running', 'complete', 'interrupted', 'failed']),
  /** Why a run in state `failed` stopped (the generator failed while calibrating, a file could not be written). */
  failure: RunFailureSchema.optional(),
  parameters: RunParametersSchema,
  environment: EnvironmentInfoSchema,
  /** The generator's ceiling on this topology per packet size (offered pps into native XDP_DROP). */
  calibration: z.array(CalibrationRecordSchema),
  /** With --latency: RTT percentiles per mode and load. */
  latency: z.array(LatencyRecordSchema).optional(),
  /** With --prog-run: per-packet program cost per scenario. */
  progRun: z.array(ProgRunRecordSchema).optional(),
  /** A lab run (bench run --config): hosts, interfaces as probed, safety, lock, clock alignment. */
  lab: LabRecordSchema.optional(),
  cases: z.array(CaseResultSchema),
}).meta({ id: 'RunResults' });

export type Sample = z.infer<typeof SampleSchema>;
export type TrialResult = z.infer<typeof TrialResultSchema>;
export type CountingProblem = z.infer<typeof CountingProblemSchema>;
export type CounterSource = z.infer<typeof CounterSourceSchema>;
export type CaseFlag = z.infer<typeof CaseFlagSchema>;
export type ProgramRef = z.infer<typeof ProgramRefSchema>;
export type CaseCommon = z.infer<typeof CaseCommonSchema>;
export type CpuPlacementRecord = z.infer<typeof CpuPlacementRecordSchema>;
export type OkCase = z.infer<typeof OkCaseSchema>;
export type SkippedCase = z.infer<typeof SkippedCaseSchema>;
export type FailedCase = z.infer<typeof FailedCaseSchema>;
export type AttachedCase = z.infer<typeof AttachedCaseSchema>;
export type InterruptedCase = z.infer<typeof InterruptedCaseSchema>;
export type CaseResult = z.infer<typeof CaseResultSchema>;
/** Every case state; `attached` and `skipped` carry no figure, `interrupted` only a partial one, `failed` is the run's failure. */
export type CaseState = CaseResult['state'];
export type EnvironmentInfo = z.infer<typeof EnvironmentInfoSchema>;
export type RunParameters = z.infer<typeof RunParametersSchema>;
export type RunFailure = z.infer<typeof RunFailureSchema>;
export type LabRecord = z.infer<typeof LabRecordSchema>;
export type LabHostRecord = z.infer<typeof LabHostRecordSchema>;
export type LabInterfaceRecord = z.infer<typeof LabInterfaceRecordSchema>;
export type ClockAlignmentRecord = z.infer<typeof ClockAlignmentRecordSchema>;
export type LatencyRecord = z.infer<typeof LatencyRecordSchema>;
export type CaptureCheck = z.infer<typeof CaptureCheckSchema>;
export type ProgRunRecord = z.infer<typeof ProgRunRecordSchema>;
export type CalibrationRecord = z.infer<typeof CalibrationRecordSchema>;
export type RunResults = z.infer<typeof RunResultsSchema>;
