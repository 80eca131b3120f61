/* One run: topology up -> load the object once -> calibrate the generator
 * per packet size -> per scenario and mode: attach, decouple, then per size:
 * warm up, trials -> detach -> topology down. Results are written after every
 * case; everything taken is on the cleanup stack. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CounterSampler, MultiHostSampler, type ClockAlignment, type RawSample, type Sampler } from '../../drivers/counter-sampler.ts';
import { localHost } from '../../drivers/host.ts';
import { decoupleDut, setThreadedNapi } from '../../drivers/napi-placement.ts';
import { GeneratorFailure, type RunningTraffic } from '../../drivers/traffic-driver.ts';
import { bringUpVeth, deleteNetns, planVethTopology, setGro } from '../../drivers/veth-topology.ts';
import { attachProgram, detachProgram, loadObject, setDevmapPort, updateMap, type LoadedObject, type LoadOptions } from '../../drivers/xdpb-helper.ts';
import { findScenario, type Scenario } from '../../scenarios/builtin.ts';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { claimOutDir } from './out-dir.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { collectEnvironment } from './environment.ts';
import { findDistortions, readBpfStatsEnabled } from './distortions.ts';
import { InterruptedError, KernelRefusalError, OutputWriteError, RunAbortedError } from '../../ground/errors.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { BENCH_OBJECT, BPFFS_ROOT, TRACE_OBJECT } from '../../ground/paths.ts';
import { ensureBpffs, ensureTracefs } from './preflight.ts';
import { assertValidResults } from '../results/results-io.ts';
import { SCHEMA_VERSION, type CalibrationRecord, type CaseResult, type CounterSource, type InterruptedCase, type OkCase, type ProgramRef, type RunFailure, type RunResults, type TrialResult, type XdpMode } from '../../ground/result-schema.ts';
import { loadOptionsOf } from '../plan/user-program.ts';
import { findLeftovers, registerRun, removeLeftovers, resourcePrefix, unregisterRun } from './run-registry.ts';
import { summarize } from '../analysis/statistics.ts';
import { actionCounts, analyseTrial, judgeCase, linkCounter, SOURCE } from '../analysis/trial-analysis.ts';
import { runLatencyPhase } from './latency-phase.ts';
import { runProgRunPhase } from './prog-run-phase.ts';
import { setUpLabRig, type LabRunOptions } from '../lab/lab-rig.ts';

/** What this module runs: a plan from harness/plan/plan.ts whose generator is chosen. */
type RunPlan = ExecutablePlan;
import type { Rig } from './rig.ts';
import { checkOffloadAttach } from './offload-attach-check.ts';
import { workVariant, type Work } from '../plan/work-variants.ts';
export type { Work } from '../plan/work-variants.ts';

import { executable, type ExecutablePlan, type PlannedCase, type RunPlan as PlannedRun } from '../plan/plan.ts';

export interface RunLog {
  info(line: string): void;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

const RESULTS_FILE = 'results.json';

export function writeResults(outDir: string, results: RunResults, opts: { first?: boolean } = {}): void {
  assertValidResults(results); // harness/results/results.schema.json: never write a file readers would refuse
  const text = `${JSON.stringify(results, null, 2)}\n`;
  if (opts.first) claimOutDir(outDir, text); // never over another run's results.json
  else writeFileAtomic(path.join(outDir, RESULTS_FILE), text);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new InterruptedError(String(signal.reason ?? 'signal'));
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throwIfAborted(signal);
  }
}

/** The program a scenario attaches, loaded and ready, with its counters. */
interface LoadedProgram {
  programPin: string;
  /** For offload, which needs its own device-bound load of the same file. */
  objectPath: string;
  programName: string;
  /** The loaded program's id: whose exceptions the xdp tracepoints count. */
  progId: number;
  /** A user's object: how it was loaded (map sizes, untyped section), again for the offload load. */
  load?: LoadOptions;
  /** The built-in program's own stats map; null for a user's object. */
  statsPin: string | null;
  redirectMapPin: string | null;
  info: ProgramRef | undefined;
}

/** What the results say about a user's object: which file, and how it was loaded. */
function userProgramRef(scenario: Scenario, loaded: LoadedObject): ProgramRef {
  const pinned = loaded.maps.filter((m) => m.pinnedByName).map((m) => m.name);
  return {
    name: scenario.program, file: path.basename(scenario.object!.path), sha256: scenario.object!.sha256,
    ...(scenario.load?.mapSizes.length ? { mapSizes: scenario.load.mapSizes } : {}),
    ...(scenario.load?.asXdp ? { loadedAsXdp: scenario.load.asXdp } : {}),
    ...(pinned.length ? { pinnedByName: pinned } : {}),
  };
}

function pinOf(obj: LoadedObject, kind: 'prog' | 'map', name: string): string {
  const list = kind === 'prog' ? obj.programs : obj.maps;
  const found = list.find((x) => x.name === name);
  if (!found) throw new Error(`object has no ${kind === 'prog' ? 'program' : 'map'} "${name}"`);
  return found.pin;
}

function idOf(obj: LoadedObject, program: string): number {
  const found = obj.programs.find((p) => p.name === program);
  if (!found) throw new Error(`object has no program "${program}"`);
  return found.id;
}

function scratchDirFor(prefix: string, stack: CleanupStack): string {
  const scratchDir = path.join(tmpdir(), prefix);
  mkdirSync(scratchDir, { recursive: true });
  stack.push(`scratch ${scratchDir}`, async () => rmSync(scratchDir, { recursive: true, force: true }));
  return scratchDir;
}

/** A lab's hosts and NICs (harness/lab/lab-rig.ts): nothing created but pins and processes. */
async function setUpLab(runId: string, lab: LabRunOptions, stack: CleanupStack, log: RunLog): Promise<{ rig: Rig; record: NonNullable<RunResults['lab']> }> {
  const prefix = resourcePrefix(runId);
  const scratchDir = scratchDirFor(prefix, stack);
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  const r = await setUpLabRig(runId, pinRoot, lab, stack, log);
  log.info(`topology: physical ${r.topology.gen0.dev} on ${r.genHost.name} -> ${r.topology.dut0.dev} (${r.dutDriver}) on ${r.dutHost.name}`);
  return {
    rig: { topology: r.topology, veth: null, genHost: r.genHost, dutHost: r.dutHost, physical: true, dutDriver: r.dutDriver, dut: r.dut, sinkStatsPins: r.sinkStatsPins, pinRoot, scratchDir },
    record: r.record,
  };
}

async function setUpVethRig(runId: string, plan: RunPlan, stack: CleanupStack, log: RunLog): Promise<Rig> {
  const prefix = resourcePrefix(runId);
  const topology = planVethTopology(prefix);
  log.info(`topology: veth ${topology.gen0.dev} <-> ${topology.dut0.dev} in netns ${topology.genNetns} / ${topology.dutNetns}`);
  const existingPair = plan.rig.kind === 'vm-pair' ? plan.rig.pair : undefined;
  await bringUpVeth(topology, (ns) => stack.push(`netns ${ns}`, () => deleteNetns(ns)), existingPair);

  const scratchDir = scratchDirFor(prefix, stack);
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  mkdirSync(pinRoot, { recursive: true });
  stack.push(`bpffs ${pinRoot}`, async () => rmSync(pinRoot, { recursive: true, force: true }));
  // The DUT object is loaded once; its programs are attached in each mode. --work picks a program, not a knob.
  const dut = await loadObject(BENCH_OBJECT, path.join(pinRoot, 'dut'));
  // Sinks on the generator side receive (and count) reflected and redirected frames:
  // a veth peer needs an XDP program for XDP-transmitted frames to arrive.
  const sinkStatsPins: Record<string, string> = {};
  for (const [label, end] of [[SOURCE.sinkGen0, topology.gen0], [SOURCE.sinkGen1, topology.gen1]] as const) {
    const sink = await loadObject(BENCH_OBJECT, path.join(pinRoot, label));
    await attachProgram({ netns: end.netns, dev: end.dev, mode: 'native' }, { pin: pinOf(sink, 'prog', 'xdp_drop') });
    sinkStatsPins[label] = pinOf(sink, 'map', 'xdpb_stats');
  }
  return {
    topology, veth: topology, genHost: localHost, dutHost: localHost, physical: false, dutDriver: existingPair?.driver ?? 'veth',
    dut, sinkStatsPins, pinRoot, scratchDir,
  };
}

/** Built-in programs come from the object loaded once (the --work variant); a user's object is loaded (and its maps preloaded) here. */
async function loadScenarioProgram(rig: Rig, scenario: Scenario, index: number, work: Work): Promise<LoadedProgram> {
  if (!scenario.object) {
    const name = workVariant(scenario.program, work);
    return {
      programPin: pinOf(rig.dut, 'prog', name), objectPath: rig.dutHost.benchObject, programName: name, progId: idOf(rig.dut, name),
      statsPin: pinOf(rig.dut, 'map', 'xdpb_stats'), redirectMapPin: pinOf(rig.dut, 'map', 'xdpb_redirect_port'), info: undefined,
    };
  }
  if (rig.dutHost.kind !== 'local') throw new Error(`scenario ${scenario.name}: a program of your own runs on a local DUT only (it is not copied to lab hosts)`);
  const load = scenario.load ? loadOptionsOf(scenario.program, scenario.load) : {};
  const loaded = await loadObject(scenario.object.path, path.join(rig.pinRoot, `user-${index}`), load);
  for (const preload of scenario.maps ?? []) {
    const pin = pinOf(loaded, 'map', preload.map);
    for (const e of preload.entries) await updateMap(pin, e.keyHex, e.valueHex);
  }
  return {
    programPin: pinOf(loaded, 'prog', scenario.program), objectPath: scenario.object.path, programName: scenario.program, load, progId: idOf(loaded, scenario.program),
    statsPin: null, redirectMapPin: null,
    info: userProgramRef(scenario, loaded),
  };
}

/** One sampler for everything on one host; on a lab, one per host, lined up on the DUT's clock. */
async function startSampler(plan: RunPlan, rig: Rig, program: LoadedProgram, lab?: { clockAlignment: ClockAlignment[] }): Promise<Sampler> {
  const t = rig.topology;
  const dutStats: Record<string, string> = program.statsPin ? { [SOURCE.dutProgram]: program.statsPin } : {};
  const genDevice = { [SOURCE.genDev]: { netns: t.gen0.netns, dev: t.gen0.dev } };
  const dutDevice = { [SOURCE.dutDev]: { netns: t.dut0.netns, dev: t.dut0.dev } };
  const snmp = { [SOURCE.dutStack]: t.dutNetns };
  // The xdp tracepoints fire only on exception paths (aborted, invalid action, failed redirect), not per frame on the fast path. Local DUT only (trace.bpf.o is not copied to lab hosts).
  const trace = rig.dutHost.kind === 'local' ? { trace: { object: TRACE_OBJECT, progId: program.progId } } : {};
  if (rig.genHost === rig.dutHost) {
    return CounterSampler.start({ intervalMs: plan.sampleIntervalMs, statsMaps: { ...dutStats, ...rig.sinkStatsPins }, devices: { ...genDevice, ...dutDevice }, snmp, ...trace }, rig.dutHost);
  }
  const dut = await CounterSampler.start({ intervalMs: plan.sampleIntervalMs, statsMaps: dutStats, devices: dutDevice, snmp, ...trace }, rig.dutHost);
  let gen: CounterSampler;
  try {
    gen = await CounterSampler.start({ intervalMs: plan.sampleIntervalMs, statsMaps: rig.sinkStatsPins, devices: genDevice }, rig.genHost);
  } catch (err) {
    await dut.stop();
    throw err;
  }
  const multi = await MultiHostSampler.start({ name: rig.dutHost.name, sampler: dut }, [{ name: rig.genHost.name, sampler: gen }]);
  if (lab) lab.clockAlignment = multi.alignment;
  return multi;
}

/** Built-in programs count themselves; a user's program is counted by the driver (native) or by where frames went. */
function counterSourceFor(program: LoadedProgram, mode: XdpMode): CounterSource {
  if (program.statsPin) return 'program';
  return mode === 'generic' ? 'effects' : 'driver';
}

/** UDP ports of the test frames: the scenario's destination, and the first source port. */
interface Ports {
  srcPort: number;
  dstPort: number;
}

function portsOf(s: Scenario): Ports {
  return { srcPort: s.srcPort ?? 1024, dstPort: s.dstPort };
}

async function startTraffic(plan: RunPlan, rig: Rig, ports: Ports, pktSizeBytes: number, ratePps: number, durationMs: number): Promise<RunningTraffic> {
  const t = rig.topology;
  const frame = buildUdpFrame({
    srcMac: t.gen0.mac, dstMac: t.dut0.mac, srcIp: t.gen0.ip, dstIp: t.dut0.ip,
    ...ports, pktSizeBytes,
  });
  return plan.generator.start({
    netns: t.gen0.netns, dev: t.gen0.dev, frame, durationMs, cpus: plan.placement.generatorCpus,
    ratePps, flows: plan.flows, scratchDir: rig.scratchDir, host: rig.genHost,
  });
}

interface Window {
  start: RawSample;
  end: RawSample;
  framesSent: number | null;
  genDurationMs: number | null;
}

/** Runs the generator, and samples a window of durationMs after settleMs. */
async function trafficWindow(plan: RunPlan, rig: Rig, sampler: Sampler, ports: Ports, pktSizeBytes: number, ratePps: number, durationMs: number, signal: AbortSignal): Promise<Window> {
  const traffic = await startTraffic(plan, rig, ports, pktSizeBytes, ratePps, plan.settleMs + durationMs + 2000);
  const stopOnAbort = () => void traffic.stop().catch(() => undefined);
  signal.addEventListener('abort', stopOnAbort, { once: true });
  try {
    await pause(plan.settleMs, signal);
    const start = await sampler.sampleNow();
    await pause(durationMs, signal);
    const end = await sampler.sampleNow();
    const report = await traffic.stop();
    return { start, end, framesSent: report.framesSent, genDurationMs: report.durationMs };
  } catch (err) {
    await traffic.stop().catch(() => undefined);
    throw err;
  } finally {
    signal.removeEventListener('abort', stopOnAbort);
  }
}

let offloadLoads = 0;
/** Attaches the DUT program in `mode` and decouples it from the generator when planned. */
async function attachDut(plan: RunPlan, rig: Rig, program: LoadedProgram, mode: XdpMode, stack: CleanupStack): Promise<{ progId: number; progTag: string }> {
  const t = rig.topology;
  const host = rig.dutHost;
  const target = { netns: t.dut0.netns, dev: t.dut0.dev, mode };
  let attached;
  if (mode === 'offload') {
    // An offloaded program is bound to its device at load time: same object file, own load.
    const pinDir = path.join(rig.pinRoot, `offload-${++offloadLoads}-${path.basename(program.programPin)}`); // scenarios may share a program name
    attached = await attachProgram(target, { objectPath: program.objectPath, programName: program.programName, pinDir, ...(program.load ? { load: program.load } : {}) }, host);
  } else {
    attached = await attachProgram(target, { pin: program.programPin }, host);
  }
  stack.push(`detach ${mode} from ${t.dut0.dev}${host.kind === 'ssh' ? ` on ${host.name}` : ''}`, () => detachProgram(target, host));
  const ids = { progId: attached.progId, progTag: attached.progTag };
  // A lab's NICs are used as they are: no GRO or NAPI changes.
  if (rig.physical) return ids;
  if (mode === 'generic') {
    // Without a native program, veth accepts XDP-transmitted frames only with GRO on.
    await setGro(t.dut0, true);
    stack.push(`gro off on ${t.dut0.dev}`, () => setGro(t.dut0, false));
  }
  if (plan.placement.dutNapiCpu !== null && mode !== 'offload') {
    await decoupleDut(t.dut0, plan.placement.dutNapiCpu);
    stack.push(`threaded NAPI off on ${t.dut0.dev}`, () => setThreadedNapi(t.dut0, false));
  }
  return ids;
}

/** The generator's ceiling into native XDP_DROP on this topology: what `--rate N%` refers to. */
async function calibrate(plan: RunPlan, rig: Rig, pktSizeBytes: number, stack: CleanupStack, signal: AbortSignal, log: RunLog): Promise<CalibrationRecord | null> {
  const mark = stack.size;
  try {
    const drop = await loadScenarioProgram(rig, findScenario('drop-all')!, 0, 'no-touch');
    try {
      await attachDut(plan, rig, drop, 'native', stack);
    } catch (err) {
      // A lab NIC without native XDP: no ceiling to measure; only --rate N% needs one.
      if (!(err instanceof KernelRefusalError) || plan.rate.kind === 'fraction') throw err;
      log.info(`calibration skipped: the kernel refused native XDP on ${rig.topology.dut0.dev} (${rig.dutDriver}): ${err.message}`);
      return null;
    }
    const sampler = await startSampler(plan, rig, drop);
    stack.push('calibration sampler', () => sampler.stop());
    let w: Window;
    try {
      w = await trafficWindow(plan, rig, sampler, { srcPort: 1024, dstPort: 9 }, pktSizeBytes, 0, plan.calibrationMs, signal);
    } catch (err) {
      // Without the generator's ceiling nothing after it means anything: the run stops here.
      if (!(err instanceof GeneratorFailure)) throw err;
      throw new RunAbortedError('calibration', `the generator failed while calibrating (${pktSizeBytes} B into native XDP_DROP on ${rig.topology.dut0.dev}): ${err.message}; nothing was measured`, { cause: err });
    }
    const dt = (w.end.tNs - w.start.tNs) / 1e9;
    const field = (s: RawSample, f: 'tx_packets' | 'tx_dropped') => linkCounter(s, SOURCE.genDev, f);
    const offered = (field(w.end, 'tx_packets') + field(w.end, 'tx_dropped') - field(w.start, 'tx_packets') - field(w.start, 'tx_dropped')) / dt;
    log.info(`calibration: ${plan.generator.name} offers ${(offered / 1e6).toFixed(3)} Mpps at ${pktSizeBytes} B into native XDP_DROP`);
    return { pktSizeBytes, generator: plan.generator.name, offeredPps: offered, durationMs: dt * 1e3 };
  } finally {
    await stack.releaseTo(mark);
  }
}

function targetRate(plan: RunPlan, calibration: CalibrationRecord | undefined): number {
  if (plan.rate.kind === 'max') return 0;
  if (plan.rate.kind === 'pps') return plan.rate.pps;
  if (!calibration) throw new Error('a rate given as a fraction needs the calibration');
  return plan.rate.fraction * calibration.offeredPps;
}

interface CaseContext {
  /** The attached program's id and tag, recorded in its cases. */
  attached?: { progId: number; progTag: string };
  scenario: Scenario;
  mode: XdpMode;
  program: LoadedProgram;
  sampler: Sampler;
  counters: CounterSource;
}

/** Statistics of the per-trial figures of a case. */
function caseStats(trials: TrialResult[]): OkCase['stats'] {
  const stat = (f: (t: TrialResult) => number) => summarize(trials.map(f));
  return {
    xdpPps: stat((t) => t.xdpPps),
    offeredPps: stat((t) => t.offeredPps),
    genTxPps: stat((t) => t.genTxPps),
    dutRxPps: stat((t) => t.dutRxPps),
    lostBeforeXdpPps: stat((t) => t.lostBeforeXdpPps),
  };
}

/**
 * Interrupted after some trials of a case: emits it as `interrupted` with the
 * finished trials (they are real measurements), then stops the run.
 */
async function measureSize(plan: RunPlan, rig: Rig, cx: CaseContext, pktSizeBytes: number, ratePps: number, signal: AbortSignal, log: RunLog, emit: (c: CaseResult) => void): Promise<CaseResult> {
  const { scenario, mode, sampler } = cx;
  const common = { scenario: scenario.name, program: cx.program.info, mode, pktSizeBytes, generator: plan.generator.name, ...cx.attached };
  const label = `${scenario.name}/${mode}/${pktSizeBytes}B`;
  // Warm-up: caches, JIT'd code and rings settle; not counted. Also proves frames arrive.
  if (plan.warmupMs > 0) {
    log.info(`${label}: warm-up ${plan.warmupMs / 1000} s`);
    const w = await trafficWindow(plan, rig, sampler, portsOf(scenario), pktSizeBytes, ratePps, plan.warmupMs, signal);
    const seen = (s: RawSample) => actionCounts(cx.counters, s).reduce((a, b) => a + b, 0);
    if (seen(w.end) === seen(w.start)) {
      return { ...common, state: 'failed', stage: 'warm-up', reason: `no frame reached the ${mode} XDP program during warm-up (generator ${plan.generator.name} on ${rig.topology.gen0.dev})` };
    }
  }
  const trials: TrialResult[] = [];
  const dutNapiCpu = mode === 'offload' ? null : plan.placement.dutNapiCpu;
  const placement = { generatorCpus: plan.placement.generatorCpus, dutNapiCpu };
  for (let i = 0; i < plan.trials; i++) {
    let w: Window;
    try {
      throwIfAborted(signal);
      w = await trafficWindow(plan, rig, sampler, portsOf(scenario), pktSizeBytes, ratePps, plan.durationMs, signal);
    } catch (err) {
      if (err instanceof InterruptedError && trials.length > 0) {
        const partial: InterruptedCase = {
          ...common, state: 'interrupted', reason: `interrupted by ${err.signal} after ${trials.length} of ${plan.trials} trials`, trialsPlanned: plan.trials,
          placement, counterSource: cx.counters, targetRatePps: ratePps, stats: caseStats(trials), trials,
        };
        try {
          emit(partial);
        } catch (writeErr) {
          // A full disk too: the interruption stays the cause (its exit code), the write failure is said.
          log.info(`the finished trials of ${label} could not be recorded: ${(writeErr as Error).message}`);
        }
      }
      throw err;
    }
    const trial = analyseTrial({
      index: i, mode, counters: cx.counters, window: sampler.between(w.start.tNs, w.end.tNs), proof: scenario.proof,
      genOwnFrames: w.framesSent, genOwnDurationMs: w.genDurationMs,
    });
    sampler.forgetBefore(w.end.tNs);
    trials.push(trial);
    log.info(`${label}: trial ${i + 1}/${plan.trials}: ${(trial.xdpPps / 1e6).toFixed(3)} Mpps processed, ${(trial.offeredPps / 1e6).toFixed(3)} Mpps offered`);
  }
  const verdict = judgeCase({
    trials, expect: scenario.expect, generatorCpus: plan.placement.generatorCpus, dutNapiCpu,
    tolerance: plan.tolerance, cvLimit: plan.cvLimit, sameHost: rig.genHost === rig.dutHost,
  });
  return {
    ...common,
    state: 'ok',
    flags: verdict.flags,
    notes: verdict.notes,
    placement,
    counterSource: cx.counters,
    targetRatePps: ratePps,
    stats: caseStats(trials),
    trials,
  };
}

/**
 * One scenario in one mode, every packet size: a refused attach makes every
 * size `skipped` with the kernel's words; any other failure makes them `failed`.
 */
async function runScenarioMode(
  plan: RunPlan, rig: Rig, scenario: Scenario, program: LoadedProgram, sampler: Sampler, mode: XdpMode, sizesBytes: number[],
  calibration: Map<number, CalibrationRecord>, stack: CleanupStack, signal: AbortSignal, log: RunLog, emit: (c: CaseResult) => void,
): Promise<void> {
  const t = rig.topology;
  const mark = stack.size;
  const pending = [...sizesBytes];
  const common = (pktSizeBytes: number) => ({ scenario: scenario.name, program: program.info, mode, pktSizeBytes, generator: plan.generator.name });
  const cx: CaseContext = { scenario, mode, program, sampler, counters: counterSourceFor(program, mode) };
  const refusal = plan.generator.refusesMode?.(mode, rig.dutDriver) ?? null;
  if (refusal) {
    log.info(`${scenario.name}/${mode}: skipped: ${refusal}`);
    for (const size of pending) emit({ ...common(size), state: 'skipped', reason: `generator ${plan.generator.name}: ${refusal}` });
    return;
  }
  try {
    const offloadCheck = plan.rig.kind === 'vm-pair' ? plan.rig.offloadCheck : null;
    if (mode === 'offload' && offloadCheck) {
      const check = { device: offloadCheck, netns: t.dut0.netns, objectPath: program.objectPath, programName: program.programName, ...(program.load ? { load: program.load } : {}), pinRoot: rig.pinRoot, stack, log: log.info.bind(log) };
      for (const c of await checkOffloadAttach(check, [...pending].map(common))) emit(c);
      pending.length = 0;
      return;
    }
    try {
      cx.attached = await attachDut(plan, rig, program, mode, stack);
    } catch (err) {
      if (!(err instanceof KernelRefusalError)) throw err;
      log.info(`${scenario.name}/${mode}: skipped: ${err.message}`);
      for (const size of pending) {
        emit({ ...common(size), state: 'skipped', reason: `the kernel refused ${mode} XDP on ${t.dut0.dev} (${rig.dutDriver}${rig.dutHost.kind === 'ssh' ? ` on ${rig.dutHost.name}` : ''}): ${err.message}`, kernelMessage: err.kernelMessage, errno: err.errno });
      }
      return;
    }
    if (scenario.proof === 'redirected-to-gen1' && program.redirectMapPin) {
      if (!t.dut1) throw new Error('the redirect scenario needs a second DUT port (port1)');
      await setDevmapPort(program.redirectMapPin, 0, t.dut1.netns, t.dut1.dev, rig.dutHost);
    }
    while (pending.length) {
      const size = pending[0]!;
      try {
        emit(await measureSize(plan, rig, cx, size, targetRate(plan, calibration.get(size)), signal, log, emit));
      } catch (err) {
        if (!(err instanceof GeneratorFailure)) throw err;
        emit({ ...common(size), state: 'failed', stage: 'traffic', reason: err.message });
      }
      pending.shift();
    }
  } catch (err) {
    // Interrupted, or results.json cannot be written: the run stops, the case is not a failure of its own.
    if (err instanceof InterruptedError || err instanceof OutputWriteError) throw err;
    // A Ctrl-C or hangup reaches the whole process group: a helper killed by it is the interruption, not a failure.
    if (signal.aborted) throw new InterruptedError(String(signal.reason));
    const reason = err instanceof Error ? err.message : String(err);
    for (const size of pending) emit({ ...common(size), state: 'failed', stage: 'measure', reason });
  } finally {
    const failures = await stack.releaseTo(mark);
    for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
  }
}

/** Consecutive cases of one scenario, and within them of one mode: one load and one attach each. */
export function groupCases(cases: readonly PlannedCase[]): { scenario: Scenario; modes: { mode: XdpMode; sizesBytes: number[] }[] }[] {
  const groups: { scenario: Scenario; modes: { mode: XdpMode; sizesBytes: number[] }[] }[] = [];
  for (const c of cases) {
    let g = groups.at(-1);
    if (!g || g.scenario !== c.scenario) groups.push((g = { scenario: c.scenario, modes: [] }));
    const m = g.modes.at(-1);
    if (m && m.mode === c.mode) m.sizesBytes.push(c.pktSizeBytes);
    else g.modes.push({ mode: c.mode, sizesBytes: [c.pktSizeBytes] });
  }
  return groups;
}

/** Why a run failed, for results.json: the stage where it stopped and the error's own words. */
function failureOf(err: unknown): RunFailure {
  const reason = (err instanceof Error && err.message) || String(err) || 'unknown error';
  return { stage: err instanceof RunAbortedError ? err.stage : 'run', reason };
}

/**
 * The full record did not fit (disk full): write the end state (failed, why)
 * over the cases already on disk, a file no bigger than the one there; if even
 * that fails, say what the file still claims.
 */
function saveEndStateOnly(outDir: string, results: RunResults, onDisk: RunResults | null, cause: Error, log: RunLog): void {
  const file = path.join(outDir, RESULTS_FILE);
  if (onDisk === null) {
    log.info(`${file} was never written (${cause.message})`);
    return;
  }
  try {
    // The record last written (calibration, lab, cases as they were then) with only the end state changed.
    const { state, finishedAt, failure } = results;
    writeResults(outDir, { ...onDisk, state, finishedAt, ...(failure ? { failure } : {}) });
    const lost = results.cases.length - onDisk.cases.length;
    log.info(`${file} says the run ${results.state}${lost ? `; ${lost} case(s) measured after the last write could not be recorded` : ''}`);
  } catch (err) {
    log.info(`${file} could not be updated (${(err as Error).message}): it still says state 'running' with ${onDisk.cases.length} case(s); the run ${results.state}`);
  }
}

export async function runBench(planned: PlannedRun, log: RunLog, signal: AbortSignal): Promise<RunResults> {
  const plan = executable(planned);
  const { runId } = plan;
  const lab = plan.rig.kind === 'lab' ? plan.rig.lab : undefined;
  const existingPair = plan.rig.kind === 'vm-pair' ? plan.rig.pair : undefined;
  const stack = new CleanupStack();
  const removed = await removeLeftovers(await findLeftovers(), (what, err) => log.info(`could not remove ${what}, left by a dead run: ${String(err)}`));
  if (removed.length) log.info(`removed leftovers of dead runs: ${removed.join(', ')}`);
  const results: RunResults = {
    schemaVersion: SCHEMA_VERSION,
    runId,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    state: 'running',
    parameters: {
      scenarios: plan.scenarios.map((s) => s.name),
      modes: plan.modes,
      trials: plan.trials,
      durationS: plan.durationMs / 1000,
      warmupS: plan.warmupMs / 1000,
      sampleIntervalMs: plan.sampleIntervalMs,
      generator: plan.generator.name,
      generatorReason: plan.generatorReason,
      pktSizeBytes: plan.pktSizesBytes[0]!,
      pktSizesBytes: plan.pktSizesBytes,
      flows: plan.flows,
      work: plan.work,
      rate: plan.rateText,
      decouple: plan.placement.dutNapiCpu !== null,
      ...(plan.threads ? { generatorThreads: plan.threads } : {}),
      topology: lab ? 'physical' : 'veth',
      agreementTolerance: plan.tolerance,
    },
    environment: {
      ...await collectEnvironment(existingPair?.driver ?? 'veth', plan.argv),
      // A lab's DUT is another machine: its sysctl is not read from here.
      ...findDistortions(plan.scenarios, lab ? undefined : readBpfStatsEnabled()),
    },
    calibration: [],
    cases: [],
  };
  for (const w of results.environment.warnings ?? []) log.info(`warning: ${w}`);
  throwIfAborted(signal); // stopped before anything was taken: the --out stays free
  try {
    mkdirSync(plan.outDir, { recursive: true });
  } catch (err) {
    throw new OutputWriteError(plan.outDir, err);
  }
  writeResults(plan.outDir, results, { first: true }); // refused (exit 2) if the directory holds a run: nothing else taken yet
  /** The record results.json holds: when the full record no longer fits (disk full), the end state goes on that one. */
  let onDisk: RunResults | null = structuredClone(results);
  let failed: unknown;
  const save = (r: RunResults) => {
    writeResults(plan.outDir, r);
    onDisk = structuredClone(r);
  };
  try {
    // Inside the try: a record that cannot be written still ends the run as failed in results.json.
    registerRun(runId);
    stack.push('run registry', async () => unregisterRun(runId));
    throwIfAborted(signal); // stopped before anything was built: say so, build nothing
    if (plan.progRunOnly) {
      results.progRun = await runProgRunPhase(plan.scenarios, plan.pktSizesBytes[0]!, log, plan.work, signal);
      results.state = 'complete';
      return results;
    }
    let rig: Rig;
    if (lab) {
      const labRig = await setUpLab(runId, lab, stack, log);
      rig = labRig.rig;
      results.lab = labRig.record;
      // The DUT host is the machine measured: its kernel and CPUs, not the controller's.
      const dutHost = labRig.record.hosts.find((h) => h.roles.includes('dut'))!;
      Object.assign(results.environment, { kernel: dutHost.kernel, hostname: dutHost.hostname, cpuCount: dutHost.cpuCount, driver: rig.dutDriver });
      save(results);
    } else {
      await ensureBpffs();
      const noTracefs = await ensureTracefs();
      if (noTracefs) log.info(`no XDP exception counts: ${noTracefs}`);
      rig = await setUpVethRig(runId, plan, stack, log);
    }
    const calibration = new Map<number, CalibrationRecord>();
    for (const size of plan.calibrationSizesBytes) {
      throwIfAborted(signal);
      const c = await calibrate(plan, rig, size, stack, signal, log);
      if (!c) continue;
      calibration.set(size, c);
      results.calibration.push(c);
    }
    save(results);
    const totalCases = plan.cases.length;
    const casesStartedMs = performance.now();
    const emit = (c: CaseResult) => {
      results.cases.push(c);
      save(results); // after every case: a crash loses nothing
      const done = results.cases.length;
      const perCaseMs = (performance.now() - casesStartedMs) / done;
      log.info(`progress: ${done}/${totalCases} cases${done < totalCases ? `, about ${Math.round((perCaseMs * (totalCases - done)) / 1000)} s left` : ''}`);
    };
    // The plan's cases in its order: a program is loaded once per run of cases with its scenario, attached once per mode.
    for (const [index, group] of groupCases(plan.cases).entries()) {
      const { scenario } = group;
      const mark = stack.size;
      try {
        const program = await loadScenarioProgram(rig, scenario, index + 1, plan.work);
        const sampler = await startSampler(plan, rig, program, results.lab);
        stack.push(`counter sampler of ${scenario.name}`, () => sampler.stop());
        const first = await sampler.sampleNow();
        if (first.exceptionsError) log.info(`${scenario.name}: no XDP exception counts (aborted, invalid actions, failed redirects): ${first.exceptionsError}`);
        for (const { mode, sizesBytes } of group.modes) {
          throwIfAborted(signal);
          await runScenarioMode(plan, rig, scenario, program, sampler, mode, sizesBytes, calibration, stack, signal, log, emit);
        }
      } finally {
        await stack.releaseTo(mark);
      }
    }
    if (plan.latency) {
      throwIfAborted(signal);
      if (!rig.veth) throw new Error('--latency runs on the veth topology only');
      results.latency = await runLatencyPhase({ topology: rig.veth, pinRoot: rig.pinRoot, scratchDir: rig.scratchDir, bench: rig.dut, stack }, plan.latency, log, signal);
    }
    results.state = 'complete';
  } catch (err) {
    // A helper killed by the same Ctrl-C/hangup fails first: the signal is the cause (its exit code), not a failure.
    failed = err instanceof InterruptedError || !signal.aborted ? err : new InterruptedError(String(signal.reason));
    if (failed instanceof InterruptedError) results.state = 'interrupted';
    else Object.assign(results, { state: 'failed', failure: failureOf(err) });
    throw failed;
  } finally {
    const failures = await stack.releaseAll();
    for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
    results.finishedAt = new Date().toISOString();
    try {
      save(results);
    } catch (err) {
      // A run that ended well but cannot record it has failed; a run that failed already keeps its first cause.
      if (failed === undefined) Object.assign(results, { state: 'failed', failure: failureOf(err) });
      if (err instanceof OutputWriteError) saveEndStateOnly(plan.outDir, results, onDisk, err, log);
      else log.info(`results.json could not be updated: ${(err as Error).message}`);
      if (failed === undefined) throw err;
    }
  }
  return results;
}
