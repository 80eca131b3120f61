/* A throwaway veth topology for the latency pieces (the benchmark script and
 * the e2e tests), and one latency measurement on it: reflector on dut0 in a
 * mode, optional rate-capped background load from the live generator, the
 * prober, percentiles. Meant to be lifted into the runner: nothing here knows
 * about scenarios or results.json.
 *
 * Layout: gen0 <-> dut0 from drivers/veth-topology.ts; latency.bpf.o loaded
 * once and pinned under /sys/fs/bpf/<prefix>; `xdp_probe_sink` on gen0 in
 * native mode for the whole life of the lab (see drivers/latency-prober.ts for
 * why gen0 needs it); the DUT program attached per measurement. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LATENCY_OBJECT, PROBE_SINK_PROGRAM, REFLECT_PROGRAM, runProbe, type ProbeOptions, type ProbeReport } from '../../drivers/latency-prober.ts';
import { summarizeLatency } from '../analysis/latency-summary.ts';
import type { LatencySummary } from '../../ground/result-schema.ts';
import { liveGenerator } from '../../drivers/live-generator.ts';
import type { GeneratorReport, RunningTraffic } from '../../drivers/traffic-driver.ts';
import { bringUpVeth, deleteNetns, planVethTopology, setGro, type VethTopology } from '../../drivers/veth-topology.ts';
import { attachProgram, detachProgram, loadObject, pinOf, type LoadedObject } from '../../drivers/xdpb-helper.ts';
import { CleanupStack, type CleanupFailure } from './cleanup-stack.ts';
import { buildUdpFrame } from '../../ground/frame.ts';
import { BENCH_OBJECT, BPFFS_ROOT } from '../../ground/paths.ts';
import { ensureBpffs } from './preflight.ts';
import type { XdpMode } from '../../ground/result-schema.ts';

export const PROBE_PORT = 7777;
/** Background load goes to another port, so its reflections never reach the prober's socket. */
export const LOAD_PORT = 9;
/** CPU of the load generator thread; the prober runs on the other one. */
export const LOAD_CPU = 0;
export const PROBE_CPU = 1;

export interface LatencyLab {
  prefix: string;
  topology: VethTopology;
  pinDir: string;
  scratchDir: string;
  stack: CleanupStack;
  latency: LoadedObject;
  /** bench.bpf.o, for xdp_drop in place of the reflector. */
  bench: LoadedObject;
}


/**
 * Builds the topology and loads the programs; everything is on lab.stack, so
 * closeLatencyLab (or a failure half-way, which releases what was taken)
 * leaves nothing behind.
 */
export async function openLatencyLab(prefix: string): Promise<LatencyLab> {
  if (!/^xdpb-[a-z0-9-]{1,20}$/.test(prefix)) throw new RangeError(`lab prefix must look like xdpb-lat1a2b3c, got ${prefix}`);
  const stack = new CleanupStack();
  try {
    const topology = planVethTopology(prefix);
    await bringUpVeth(topology, (ns) => stack.push(`netns ${ns}`, () => deleteNetns(ns)));
    await ensureBpffs();
    const pinDir = path.join(BPFFS_ROOT, prefix);
    mkdirSync(pinDir, { mode: 0o700 });
    stack.push(`pins ${pinDir}`, async () => rmSync(pinDir, { recursive: true, force: true }));
    const scratchDir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
    stack.push(`scratch ${scratchDir}`, async () => rmSync(scratchDir, { recursive: true, force: true }));
    const latency = await loadObject(LATENCY_OBJECT, path.join(pinDir, 'latency'));
    const bench = await loadObject(BENCH_OBJECT, path.join(pinDir, 'bench'));
    const sinkTarget = { netns: topology.gen0.netns, dev: topology.gen0.dev, mode: 'native' as const };
    await attachProgram(sinkTarget, { pin: pinOf(latency, 'prog', PROBE_SINK_PROGRAM) });
    stack.push(`${PROBE_SINK_PROGRAM} on gen0`, () => detachProgram(sinkTarget));
    return { prefix, topology, pinDir, scratchDir, stack, latency, bench };
  } catch (error) {
    await stack.releaseAll();
    throw error;
  }
}

export async function closeLatencyLab(lab: LatencyLab): Promise<CleanupFailure[]> {
  return lab.stack.releaseAll();
}

/** xdp_reflect from latency.bpf.o, or a bench.bpf.o program in its place (xdp_drop: every probe lost; xdp_tx: MACs swapped only). */
export type DutProgram = 'xdp_reflect' | 'xdp_drop' | 'xdp_pass' | 'xdp_tx' | 'xdp_aborted';

/** Attaches the DUT program to dut0 in `mode`; returns the detach (also pushed on the lab's stack). */
export async function attachDut(lab: LatencyLab, program: DutProgram, mode: XdpMode): Promise<() => Promise<void>> {
  const t = lab.topology.dut0;
  const target = { netns: t.netns, dev: t.dev, mode };
  const pin = program === REFLECT_PROGRAM ? pinOf(lab.latency, 'prog', program) : pinOf(lab.bench, 'prog', program);
  // Generic XDP on veth: GRO on the receiving side lets the live generator's frames in.
  if (mode === 'generic') await setGro(t, true);
  await attachProgram(target, { pin });
  let attached = true;
  const detach = async () => {
    if (!attached) return;
    attached = false;
    await detachProgram(target);
  };
  lab.stack.push(`${program} on dut0 (${mode})`, detach);
  return detach;
}

/** The background load frame: gen0 -> dut0, UDP to LOAD_PORT, 64 bytes on the wire by default. */
export function loadFrame(t: VethTopology, pktSizeBytes = 64): Buffer {
  return buildUdpFrame({ srcMac: t.gen0.mac, dstMac: t.dut0.mac, srcIp: t.gen0.ip, dstIp: t.dut0.ip, srcPort: LOAD_PORT, dstPort: LOAD_PORT, pktSizeBytes });
}

function startGenerator(lab: LatencyLab, ratePps: number, durationMs: number): Promise<RunningTraffic> {
  return liveGenerator.start({
    netns: lab.topology.gen0.netns, dev: lab.topology.gen0.dev, frame: loadFrame(lab.topology), durationMs,
    cpus: [LOAD_CPU], ratePps, flows: 1, scratchDir: lab.scratchDir,
  });
}

/** Starts the rate-capped live generator on LOAD_CPU (`xdpb gen ... --rate-pps R`); ratePps must be > 0 (0 would mean unlimited). */
export async function startLoad(lab: LatencyLab, ratePps: number, durationMs: number): Promise<RunningTraffic> {
  if (!(ratePps > 0)) throw new RangeError(`background load needs a positive rate, got ${ratePps}`);
  return startGenerator(lab, ratePps, durationMs);
}

/** The uncapped live generator for `durationMs` through the DUT program now attached: the maximum to take fractions of. */
export async function measureMaxPps(lab: LatencyLab, durationMs = 500): Promise<number> {
  const gen = await startGenerator(lab, 0, durationMs);
  const report = await gen.finished;
  if (!report.framesSent || !report.durationMs) throw new Error(`the generator reported no frames (${report.message ?? 'no message'})`);
  return report.framesSent / (report.durationMs / 1000);
}

export interface LatencyMeasurement {
  mode: XdpMode;
  program: DutProgram;
  loadPps: number;
  load: GeneratorReport | null;
  /** What the generator really sent over its own run (it starts before and stops after the probes). */
  loadAchievedPps: number | null;
  report: ProbeReport;
  summary: LatencySummary;
}

export interface MeasureOptions {
  mode: XdpMode;
  program?: DutProgram;
  /** 0: no background load. */
  loadPps: number;
  probes: number;
  probeRatePps: number;
  timeoutMs?: number;
  /** Time between starting the load generator and the first probe (it loads its object first; default 400). */
  loadSettleMs?: number;
}

/** One case: attach, (load), probe, detach. */
export async function measureLatency(lab: LatencyLab, o: MeasureOptions): Promise<LatencyMeasurement> {
  const program = o.program ?? REFLECT_PROGRAM;
  const detach = await attachDut(lab, program, o.mode);
  let load: RunningTraffic | null = null;
  try {
    const probe: ProbeOptions = {
      netns: lab.topology.gen0.netns, dev: lab.topology.gen0.dev, dstIp: lab.topology.dut0.ip, dstPort: PROBE_PORT,
      count: o.probes, ratePps: o.probeRatePps, timeoutMs: o.timeoutMs ?? 500, cpu: PROBE_CPU,
    };
    if (o.loadPps > 0) {
      const settle = o.loadSettleMs ?? 400;
      const probeMs = ((o.probes + 2) / o.probeRatePps) * 1000 + (probe.timeoutMs ?? 500);
      load = await startLoad(lab, o.loadPps, settle + probeMs + 1000);
      await sleep(settle);
    }
    const report = await runProbe(probe);
    const loadReport = load ? await load.stop() : null;
    load = null;
    const loadAchievedPps = loadReport?.framesSent && loadReport.durationMs ? loadReport.framesSent / (loadReport.durationMs / 1000) : null;
    return { mode: o.mode, program, loadPps: o.loadPps, load: loadReport, loadAchievedPps, report, summary: summarizeLatency(report) };
  } finally {
    if (load) await load.stop().catch(() => undefined);
    await detach();
  }
}
