/* One run: topology up -> load the object once -> calibrate the generator
 * per packet size -> per scenario and mode: attach, decouple, then per size:
 * warm up, trials -> detach -> topology down. Results are written after every
 * case; everything taken is on the cleanup stack. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CounterSampler, type RawSample } from '../drivers/counter-sampler.ts';
import { decoupleDut, setThreadedNapi, type CpuPlacement } from '../drivers/napi-placement.ts';
import { GeneratorFailure, type RunningTraffic, type TrafficDriver } from '../drivers/traffic-driver.ts';
import { bringUpVeth, deleteNetns, planVethTopology, setGro, type VethTopology } from '../drivers/veth-topology.ts';
import { attachProgram, detachProgram, loadObject, setDevmapPort, type LoadedObject } from '../drivers/xdpb-helper.ts';
import type { Scenario } from '../scenarios/builtin.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { collectEnvironment } from './environment.ts';
import { InterruptedError, KernelRefusalError } from './errors.ts';
import { buildUdpFrame } from './frame.ts';
import { BENCH_OBJECT, BPFFS_ROOT } from './paths.ts';
import { ensureBpffs } from './preflight.ts';
import { SCHEMA_VERSION, type CalibrationRecord, type CaseResult, type RunResults, type TrialResult, type XdpMode } from './result-schema.ts';
import { findLeftovers, registerRun, removeLeftovers, resourcePrefix, unregisterRun } from './run-registry.ts';
import { summarize } from './statistics.ts';
import { analyseTrial, judgeCase, SOURCE } from './trial-analysis.ts';

/** Work the built-in DUT programs do per frame: values of the xdpb_work knob (native/xdpb_stats.h). */
export const WORK_KNOB = { 'no-touch': 0, 'read-data': 1, 'parse-ip': 2, 'swap-macs': 3 } as const;
export type Work = keyof typeof WORK_KNOB;

/** --rate: full speed, a fixed pps, or a fraction of the generator's calibrated ceiling. */
export type RateSpec = { kind: 'max' } | { kind: 'pps'; pps: number } | { kind: 'fraction'; fraction: number };

export interface RunPlan {
  scenarios: Scenario[];
  modes: XdpMode[];
  pktSizesBytes: number[];
  trials: number;
  durationMs: number;
  warmupMs: number;
  sampleIntervalMs: number;
  /** Time between starting the generator and the trial window (ramp-up excluded). */
  settleMs: number;
  calibrationMs: number;
  generator: TrafficDriver;
  generatorReason: string;
  /** CPUs for generator threads and the DUT's NAPI kthread; dutNapiCpu null = coupled. */
  placement: CpuPlacement;
  rate: RateSpec;
  rateText: string;
  flows: number;
  work: Work;
  outDir: string;
  tolerance: number;
  cvLimit: number;
  argv: string[];
}

export interface RunLog {
  info(line: string): void;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

const RESULTS_FILE = 'results.json';

export function writeResults(outDir: string, results: RunResults): void {
  writeFileAtomic(path.join(outDir, RESULTS_FILE), `${JSON.stringify(results, null, 2)}\n`);
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

interface Rig {
  topology: VethTopology;
  dut: LoadedObject;
  pinRoot: string;
  scratchDir: string;
  sampler: CounterSampler;
}

function pinOf(obj: LoadedObject, kind: 'prog' | 'map', name: string): string {
  const list = kind === 'prog' ? obj.programs : obj.maps;
  const found = list.find((x) => x.name === name);
  if (!found) throw new Error(`object has no ${kind === 'prog' ? 'program' : 'map'} "${name}"`);
  return found.pin;
}

async function setUpRig(runId: string, plan: RunPlan, stack: CleanupStack, log: RunLog): Promise<Rig> {
  const prefix = resourcePrefix(runId);
  const topology = planVethTopology(prefix);
  log.info(`topology: veth ${topology.gen0.dev} <-> ${topology.dut0.dev} in netns ${topology.genNetns} / ${topology.dutNetns}`);
  await bringUpVeth(topology, (ns) => stack.push(`netns ${ns}`, () => deleteNetns(ns)));

  const scratchDir = path.join(tmpdir(), prefix);
  mkdirSync(scratchDir, { recursive: true });
  stack.push(`scratch ${scratchDir}`, async () => rmSync(scratchDir, { recursive: true, force: true }));
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  mkdirSync(pinRoot, { recursive: true });
  stack.push(`bpffs ${pinRoot}`, async () => rmSync(pinRoot, { recursive: true, force: true }));
  // The DUT object is loaded once; its programs are attached in each mode.
  const dut = await loadObject(BENCH_OBJECT, path.join(pinRoot, 'dut'), { xdpb_work: WORK_KNOB[plan.work] });
  // Sinks on the generator side receive (and count) reflected and redirected frames:
  // a veth peer needs an XDP program for XDP-transmitted frames to arrive.
  const sinks: Record<string, LoadedObject> = {};
  for (const [label, end] of [[SOURCE.sinkGen0, topology.gen0], [SOURCE.sinkGen1, topology.gen1]] as const) {
    sinks[label] = await loadObject(BENCH_OBJECT, path.join(pinRoot, label));
    await attachProgram({ netns: end.netns, dev: end.dev, mode: 'native' }, { pin: pinOf(sinks[label]!, 'prog', 'xdp_drop') });
  }
  const sampler = await CounterSampler.start({
    intervalMs: plan.sampleIntervalMs,
    statsMaps: {
      [SOURCE.dutProgram]: pinOf(dut, 'map', 'xdpb_stats'),
      [SOURCE.sinkGen0]: pinOf(sinks[SOURCE.sinkGen0]!, 'map', 'xdpb_stats'),
      [SOURCE.sinkGen1]: pinOf(sinks[SOURCE.sinkGen1]!, 'map', 'xdpb_stats'),
    },
    devices: {
      [SOURCE.genDev]: { netns: topology.gen0.netns, dev: topology.gen0.dev },
      [SOURCE.dutDev]: { netns: topology.dut0.netns, dev: topology.dut0.dev },
    },
  });
  stack.push('counter sampler', () => sampler.stop());
  return { topology, dut, pinRoot, scratchDir, sampler };
}

async function startTraffic(plan: RunPlan, rig: Rig, dstPort: number, pktSizeBytes: number, ratePps: number, durationMs: number): Promise<RunningTraffic> {
  const t = rig.topology;
  const frame = buildUdpFrame({
    srcMac: t.gen0.mac, dstMac: t.dut0.mac, srcIp: t.gen0.ip, dstIp: t.dut0.ip,
    srcPort: 1024, dstPort, pktSizeBytes,
  });
  return plan.generator.start({
    netns: t.gen0.netns, dev: t.gen0.dev, frame, durationMs, cpus: plan.placement.generatorCpus,
    ratePps, flows: plan.flows, scratchDir: rig.scratchDir,
  });
}

interface Window {
  start: RawSample;
  end: RawSample;
  framesSent: number | null;
  genDurationMs: number | null;
}

/** Runs the generator, and samples a window of durationMs after settleMs. */
async function trafficWindow(plan: RunPlan, rig: Rig, dstPort: number, pktSizeBytes: number, ratePps: number, durationMs: number, signal: AbortSignal): Promise<Window> {
  const traffic = await startTraffic(plan, rig, dstPort, pktSizeBytes, ratePps, plan.settleMs + durationMs + 2000);
  const stopOnAbort = () => void traffic.stop().catch(() => undefined);
  signal.addEventListener('abort', stopOnAbort, { once: true });
  try {
    await pause(plan.settleMs, signal);
    const start = await rig.sampler.sampleNow();
    await pause(durationMs, signal);
    const end = await rig.sampler.sampleNow();
    const report = await traffic.stop();
    return { start, end, framesSent: report.framesSent, genDurationMs: report.durationMs };
  } catch (err) {
    await traffic.stop().catch(() => undefined);
    throw err;
  } finally {
    signal.removeEventListener('abort', stopOnAbort);
  }
}

/** Attaches the DUT program in `mode` and decouples it from the generator when planned. */
async function attachDut(plan: RunPlan, rig: Rig, program: string, scenarioName: string, mode: XdpMode, stack: CleanupStack): Promise<void> {
  const t = rig.topology;
  const target = { netns: t.dut0.netns, dev: t.dut0.dev, mode };
  if (mode === 'offload') {
    // An offloaded program is bound to its device at load time: same object file, own load.
    await attachProgram(target, { objectPath: BENCH_OBJECT, programName: program, pinDir: path.join(rig.pinRoot, `offload-${scenarioName}`) });
  } else {
    await attachProgram(target, { pin: pinOf(rig.dut, 'prog', program) });
  }
  stack.push(`detach ${mode} from ${t.dut0.dev}`, () => detachProgram(target));
  if (mode === 'generic') {
    // Without a native program, veth accepts XDP-transmitted frames only with GRO on.
    await setGro(t.dut0, true);
    stack.push(`gro off on ${t.dut0.dev}`, () => setGro(t.dut0, false));
  }
  if (plan.placement.dutNapiCpu !== null && mode !== 'offload') {
    await decoupleDut(t.dut0, plan.placement.dutNapiCpu);
    stack.push(`threaded NAPI off on ${t.dut0.dev}`, () => setThreadedNapi(t.dut0, false));
  }
}

/** The generator's ceiling into native XDP_DROP on this topology: what `--rate N%` refers to. */
async function calibrate(plan: RunPlan, rig: Rig, pktSizeBytes: number, stack: CleanupStack, signal: AbortSignal, log: RunLog): Promise<CalibrationRecord> {
  const mark = stack.size;
  try {
    await attachDut(plan, rig, 'xdp_drop', 'calibration', 'native', stack);
    const w = await trafficWindow(plan, rig, 9, pktSizeBytes, 0, plan.calibrationMs, signal);
    const dt = (w.end.tNs - w.start.tNs) / 1e9;
    const field = (s: RawSample, f: 'tx_packets' | 'tx_dropped') => s.dev[SOURCE.genDev]?.link?.[f] ?? 0;
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

async function measureSize(plan: RunPlan, rig: Rig, scenario: Scenario, mode: XdpMode, pktSizeBytes: number, ratePps: number, signal: AbortSignal, log: RunLog): Promise<CaseResult> {
  const common = { scenario: scenario.name, mode, pktSizeBytes, generator: plan.generator.name };
  const label = `${scenario.name}/${mode}/${pktSizeBytes}B`;
  // Warm-up: caches, JIT'd code and rings settle; not counted. Also proves frames arrive.
  if (plan.warmupMs > 0) {
    log.info(`${label}: warm-up ${plan.warmupMs / 1000} s`);
    const w = await trafficWindow(plan, rig, scenario.dstPort, pktSizeBytes, ratePps, plan.warmupMs, signal);
    const seen = (s: RawSample) => s.stats[SOURCE.dutProgram]!.packets.flat().reduce((a, b) => a + b, 0);
    if (seen(w.end) === seen(w.start)) {
      return { ...common, state: 'failed', stage: 'warm-up', reason: `no frame reached the ${mode} XDP program during warm-up (generator ${plan.generator.name} on ${rig.topology.gen0.dev})` };
    }
  }
  const trials: TrialResult[] = [];
  for (let i = 0; i < plan.trials; i++) {
    throwIfAborted(signal);
    const w = await trafficWindow(plan, rig, scenario.dstPort, pktSizeBytes, ratePps, plan.durationMs, signal);
    const trial = analyseTrial({
      index: i, mode, window: rig.sampler.between(w.start.tNs, w.end.tNs), proof: scenario.proof,
      genOwnFrames: w.framesSent, genOwnDurationMs: w.genDurationMs,
    });
    rig.sampler.forgetBefore(w.end.tNs);
    trials.push(trial);
    log.info(`${label}: trial ${i + 1}/${plan.trials}: ${(trial.xdpPps / 1e6).toFixed(3)} Mpps processed, ${(trial.offeredPps / 1e6).toFixed(3)} Mpps offered`);
  }
  const verdict = judgeCase({
    trials, expectedAction: scenario.expectedAction, generatorCpus: plan.placement.generatorCpus,
    tolerance: plan.tolerance, cvLimit: plan.cvLimit,
  });
  const stat = (f: (t: TrialResult) => number) => summarize(trials.map(f));
  return {
    ...common,
    state: 'ok',
    flags: verdict.flags,
    notes: verdict.notes,
    placement: { generatorCpus: plan.placement.generatorCpus, dutNapiCpu: mode === 'offload' ? null : plan.placement.dutNapiCpu },
    targetRatePps: ratePps,
    stats: {
      xdpPps: stat((t) => t.xdpPps),
      offeredPps: stat((t) => t.offeredPps),
      genTxPps: stat((t) => t.genTxPps),
      dutRxPps: stat((t) => t.dutRxPps),
      lostBeforeXdpPps: stat((t) => t.lostBeforeXdpPps),
    },
    trials,
  };
}

/**
 * One scenario in one mode, every packet size: a refused attach makes every
 * size `skipped` with the kernel's words; any other failure makes them `failed`.
 */
async function runScenarioMode(
  plan: RunPlan, rig: Rig, scenario: Scenario, mode: XdpMode, calibration: Map<number, CalibrationRecord>,
  stack: CleanupStack, signal: AbortSignal, log: RunLog, emit: (c: CaseResult) => void,
): Promise<void> {
  const t = rig.topology;
  const mark = stack.size;
  const pending = [...plan.pktSizesBytes];
  const common = (pktSizeBytes: number) => ({ scenario: scenario.name, mode, pktSizeBytes, generator: plan.generator.name });
  try {
    try {
      await attachDut(plan, rig, scenario.program, scenario.name, mode, stack);
    } catch (err) {
      if (!(err instanceof KernelRefusalError)) throw err;
      log.info(`${scenario.name}/${mode}: skipped: ${err.message}`);
      for (const size of pending) {
        emit({ ...common(size), state: 'skipped', reason: `the kernel refused ${mode} XDP on ${t.dut0.dev} (veth): ${err.message}`, kernelMessage: err.kernelMessage, errno: err.errno });
      }
      return;
    }
    if (scenario.proof === 'redirected-to-gen1') {
      await setDevmapPort(pinOf(rig.dut, 'map', 'xdpb_redirect_port'), 0, t.dut1.netns, t.dut1.dev);
    }
    while (pending.length) {
      const size = pending[0]!;
      try {
        emit(await measureSize(plan, rig, scenario, mode, size, targetRate(plan, calibration.get(size)), signal, log));
      } catch (err) {
        if (!(err instanceof GeneratorFailure)) throw err;
        emit({ ...common(size), state: 'failed', stage: 'traffic', reason: err.message });
      }
      pending.shift();
    }
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    for (const size of pending) emit({ ...common(size), state: 'failed', stage: 'measure', reason });
  } finally {
    const failures = await stack.releaseTo(mark);
    for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
  }
}

export async function runBench(plan: RunPlan, log: RunLog, signal: AbortSignal): Promise<RunResults> {
  const runId = newRunId();
  const stack = new CleanupStack();
  const removed = await removeLeftovers(await findLeftovers());
  if (removed.length) log.info(`removed leftovers of dead runs: ${removed.join(', ')}`);
  registerRun(runId);
  stack.push('run registry', async () => unregisterRun(runId));

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
      topology: 'veth',
      agreementTolerance: plan.tolerance,
    },
    environment: await collectEnvironment('veth', plan.argv),
    calibration: [],
    cases: [],
  };
  mkdirSync(plan.outDir, { recursive: true });
  writeResults(plan.outDir, results);
  try {
    await ensureBpffs();
    const rig = await setUpRig(runId, plan, stack, log);
    const calibration = new Map<number, CalibrationRecord>();
    for (const size of plan.pktSizesBytes) {
      throwIfAborted(signal);
      const c = await calibrate(plan, rig, size, stack, signal, log);
      calibration.set(size, c);
      results.calibration.push(c);
    }
    writeResults(plan.outDir, results);
    const emit = (c: CaseResult) => {
      results.cases.push(c);
      writeResults(plan.outDir, results); // after every case: a crash loses nothing
    };
    for (const scenario of plan.scenarios) {
      for (const mode of plan.modes) {
        throwIfAborted(signal);
        await runScenarioMode(plan, rig, scenario, mode, calibration, stack, signal, log, emit);
      }
    }
    results.state = 'complete';
  } catch (err) {
    results.state = err instanceof InterruptedError ? 'interrupted' : 'failed';
    throw err;
  } finally {
    const failures = await stack.releaseAll();
    for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
    results.finishedAt = new Date().toISOString();
    writeResults(plan.outDir, results);
  }
  return results;
}
