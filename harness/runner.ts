/* One run: topology up -> load the object once -> per scenario and mode:
 * attach, warm up, trials, detach -> topology down. Results are written
 * after every case; everything taken is on the cleanup stack. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CounterSampler } from '../drivers/counter-sampler.ts';
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
import { SCHEMA_VERSION, type CaseResult, type RunResults, type TrialResult, type XdpMode } from './result-schema.ts';
import { findLeftovers, registerRun, removeLeftovers, resourcePrefix, unregisterRun } from './run-registry.ts';
import { summarize } from './statistics.ts';
import { analyseTrial, judgeCase, SOURCE } from './trial-analysis.ts';
import { ensureBpffs } from './preflight.ts';

export interface RunPlan {
  scenarios: Scenario[];
  modes: XdpMode[];
  trials: number;
  durationMs: number;
  warmupMs: number;
  sampleIntervalMs: number;
  /** Time between starting the generator and the trial window (ramp-up excluded). */
  settleMs: number;
  generator: TrafficDriver;
  generatorCpus: number[];
  ratePps: number;
  pktSizeBytes: number;
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
  log.info(`topology: veth pairs in netns ${topology.genNetns} and ${topology.dutNetns}`);
  await bringUpVeth(topology, (ns) => stack.push(`netns ${ns}`, () => deleteNetns(ns)));

  const scratchDir = path.join(tmpdir(), prefix);
  mkdirSync(scratchDir, { recursive: true });
  stack.push(`scratch ${scratchDir}`, async () => rmSync(scratchDir, { recursive: true, force: true }));
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  mkdirSync(pinRoot, { recursive: true });
  stack.push(`bpffs ${pinRoot}`, async () => rmSync(pinRoot, { recursive: true, force: true }));
  // The DUT object is loaded once; its programs are attached in each mode.
  const dut = await loadObject(BENCH_OBJECT, path.join(pinRoot, 'dut'));
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

async function runTraffic(plan: RunPlan, rig: Rig, scenario: Scenario, durationMs: number): Promise<RunningTraffic> {
  const t = rig.topology;
  const frame = buildUdpFrame({
    srcMac: t.gen0.mac, dstMac: t.dut0.mac, srcIp: t.gen0.ip, dstIp: t.dut0.ip,
    srcPort: 9, dstPort: scenario.dstPort, pktSizeBytes: plan.pktSizeBytes,
  });
  return plan.generator.start({
    netns: t.gen0.netns, dev: t.gen0.dev, frame, durationMs, cpus: plan.generatorCpus,
    ratePps: plan.ratePps, scratchDir: rig.scratchDir,
  });
}

async function measureCase(plan: RunPlan, rig: Rig, scenario: Scenario, mode: XdpMode, signal: AbortSignal, log: RunLog): Promise<CaseResult> {
  const common = { scenario: scenario.name, mode, pktSizeBytes: plan.pktSizeBytes, generator: plan.generator.name };
  const label = `${scenario.name}/${mode}`;
  // Warm-up: caches, JIT'd code and rings settle; not counted. Also proves frames arrive.
  log.info(`${label}: warm-up ${plan.warmupMs / 1000} s`);
  const before = await rig.sampler.sampleNow();
  const warm = await runTraffic(plan, rig, scenario, plan.warmupMs + 2000);
  try {
    await pause(plan.warmupMs, signal);
  } finally {
    await warm.stop().catch(() => undefined); // a warm-up report is not needed
  }
  const after = await rig.sampler.sampleNow();
  const seen = (s: typeof after) => s.stats[SOURCE.dutProgram]!.packets.flat().reduce((a, b) => a + b, 0);
  if (seen(after) === seen(before)) {
    return { ...common, state: 'failed', stage: 'warm-up', reason: `no frame reached the ${mode} XDP program during warm-up (generator ${plan.generator.name} on ${rig.topology.gen0.dev})` };
  }

  const trials: TrialResult[] = [];
  for (let i = 0; i < plan.trials; i++) {
    throwIfAborted(signal);
    const traffic = await runTraffic(plan, rig, scenario, plan.settleMs + plan.durationMs + 2000);
    const stopOnAbort = () => void traffic.stop().catch(() => undefined);
    signal.addEventListener('abort', stopOnAbort, { once: true });
    try {
      await pause(plan.settleMs, signal);
      const start = await rig.sampler.sampleNow();
      await pause(plan.durationMs, signal);
      const end = await rig.sampler.sampleNow();
      const report = await traffic.stop();
      const trial = analyseTrial({
        index: i, mode, window: rig.sampler.between(start.tNs, end.tNs), proof: scenario.proof,
        genOwnFrames: report.framesSent, genOwnDurationMs: report.durationMs,
      });
      rig.sampler.forgetBefore(end.tNs);
      trials.push(trial);
      log.info(`${label}: trial ${i + 1}/${plan.trials}: ${(trial.xdpPps / 1e6).toFixed(3)} Mpps processed, ${(trial.genTxPps / 1e6).toFixed(3)} Mpps sent`);
    } catch (err) {
      await traffic.stop().catch(() => undefined);
      if (err instanceof GeneratorFailure) {
        return { ...common, state: 'failed', stage: `trial ${i + 1}`, reason: err.message };
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', stopOnAbort);
    }
  }
  const verdict = judgeCase({
    trials, expectedAction: scenario.expectedAction, generatorCpus: plan.generatorCpus,
    tolerance: plan.tolerance, cvLimit: plan.cvLimit,
  });
  return {
    ...common,
    state: 'ok',
    flags: verdict.flags,
    notes: verdict.notes,
    stats: {
      xdpPps: summarize(trials.map((t) => t.xdpPps)),
      genTxPps: summarize(trials.map((t) => t.genTxPps)),
      dutRxPps: summarize(trials.map((t) => t.dutRxPps)),
      lostBeforeXdpPps: summarize(trials.map((t) => t.lostBeforeXdpPps)),
    },
    trials,
  };
}

/** Attaches the scenario's program in `mode`; a refusal becomes a skipped case with the kernel's words. */
async function runCase(plan: RunPlan, rig: Rig, scenario: Scenario, mode: XdpMode, stack: CleanupStack, signal: AbortSignal, log: RunLog): Promise<CaseResult> {
  const common = { scenario: scenario.name, mode, pktSizeBytes: plan.pktSizeBytes, generator: plan.generator.name };
  const t = rig.topology;
  const target = { netns: t.dut0.netns, dev: t.dut0.dev, mode };
  const mark = stack.size;
  try {
    try {
      if (mode === 'offload') {
        // An offloaded program is bound to its device at load time: same object file, own load.
        await attachProgram(target, { objectPath: BENCH_OBJECT, programName: scenario.program, pinDir: path.join(rig.pinRoot, `offload-${scenario.name}`) });
      } else {
        await attachProgram(target, { pin: pinOf(rig.dut, 'prog', scenario.program) });
      }
    } catch (err) {
      if (err instanceof KernelRefusalError) {
        log.info(`${scenario.name}/${mode}: skipped: ${err.message}`);
        return { ...common, state: 'skipped', reason: `the kernel refused ${mode} XDP on ${t.dut0.dev} (veth): ${err.message}`, kernelMessage: err.kernelMessage, errno: err.errno };
      }
      throw err;
    }
    stack.push(`detach ${mode} from ${t.dut0.dev}`, () => detachProgram(target));
    if (mode === 'generic') {
      // Without a native program, veth accepts XDP-transmitted frames only with GRO on.
      await setGro(t.dut0, true);
      stack.push(`gro off on ${t.dut0.dev}`, () => setGro(t.dut0, false));
    }
    if (scenario.proof === 'redirected-to-gen1') {
      await setDevmapPort(pinOf(rig.dut, 'map', 'xdpb_redirect_port'), 0, t.dut1.netns, t.dut1.dev);
    }
    return await measureCase(plan, rig, scenario, mode, signal, log);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    return { ...common, state: 'failed', stage: 'measure', reason };
  } finally {
    const failures = await stack.releaseTo(mark);
    for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
  }
}

export async function runBench(plan: RunPlan, log: RunLog, signal: AbortSignal): Promise<RunResults> {
  const runId = newRunId();
  const stack = new CleanupStack();
  const stale = await findLeftovers();
  const removed = await removeLeftovers(stale);
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
      pktSizeBytes: plan.pktSizeBytes,
      topology: 'veth',
      agreementTolerance: plan.tolerance,
    },
    environment: await collectEnvironment('veth', plan.argv),
    cases: [],
  };
  mkdirSync(plan.outDir, { recursive: true });
  writeResults(plan.outDir, results);
  try {
    await ensureBpffs();
    const rig = await setUpRig(runId, plan, stack, log);
    for (const scenario of plan.scenarios) {
      for (const mode of plan.modes) {
        throwIfAborted(signal);
        results.cases.push(await runCase(plan, rig, scenario, mode, stack, signal, log));
        writeResults(plan.outDir, results); // after every case: a crash loses nothing
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
