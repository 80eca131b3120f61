/* --latency: RTT through the XDP_TX reflector (latency.bpf.o xdp_reflect) per
 * mode, idle and under background load at fractions of the reflector's
 * measured maximum. Runs on the run's own topology after the throughput
 * cases: gen0's sink is replaced by xdp_probe_sink, which lets probe replies
 * into the stack and drops the reflected load. */
import path from 'node:path';
import { CounterSampler } from '../../drivers/counter-sampler.ts';
import { LATENCY_OBJECT, PROBE_SINK_PROGRAM, REFLECT_PROGRAM } from '../../drivers/latency-prober.ts';
import { attachProgram, detachProgram, loadObject, pinOf } from '../../drivers/xdpb-helper.ts';
import { InterruptedError, KernelRefusalError } from '../../ground/errors.ts';
import type { CleanupStack } from './cleanup-stack.ts';
import type { LatencyPlan } from '../plan/plan.ts';
import type { Rig } from './rig.ts';
import { attachDut as attachLabDut, LOAD_CPU, loadFrame, measureLatency, type LatencyLab } from './latency-lab.ts';
import { liveGenerator } from '../../drivers/live-generator.ts';
import type { CaptureCheck, LatencyRecord, XdpMode } from '../../ground/result-schema.ts';
import { startCapture, verifyCaptureFile, type RunningCapture } from '../../drivers/pcap-capture.ts';
import { actionCounts, SOURCE } from '../analysis/trial-analysis.ts';

/** The reflector's processed maximum in `mode`: its own XDP_TX counter over maxMeasureMs of unlimited load. */
async function measureReflectorMax(lab: LatencyLab, statsPin: string, mode: XdpMode, ms: number): Promise<number> {
  const t = lab.topology;
  const detach = await attachLabDut(lab, REFLECT_PROGRAM, mode);
  const sampler = await CounterSampler.start({ intervalMs: 3_600_000, statsMaps: { [SOURCE.dutProgram]: statsPin }, devices: {} });
  try {
    const gen = await liveGenerator.start({
      netns: t.gen0.netns, dev: t.gen0.dev, frame: loadFrame(t), durationMs: ms + 1500, cpus: [LOAD_CPU], ratePps: 0, flows: 1, scratchDir: lab.scratchDir,
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const a = await sampler.sampleNow();
      await new Promise((r) => setTimeout(r, ms));
      const b = await sampler.sampleNow();
      const tx = (s: typeof a) => actionCounts('program', s)[3]!; // XDP_TX; throws if the map could not be read
      return (tx(b) - tx(a)) / ((b.tNs - a.tNs) / 1e9);
    } finally {
      await gen.stop().catch(() => undefined);
    }
  } finally {
    await sampler.stop();
    await detach();
  }
}

/** A bounded tcpdump sample on gen0 (classic microsecond pcap, UDP only) while probes run. */
async function startProbeCapture(lab: LatencyLab, mode: XdpMode, probes: number): Promise<{ file: string; running: RunningCapture }> {
  const file = path.join(lab.scratchDir, `latency-${mode}.pcap`);
  const running = await startCapture({
    netns: lab.topology.gen0.netns, dev: lab.topology.gen0.dev, file, maxFrames: Math.min(400, 2 * (probes + 2)), filter: ['udp'], timeoutMs: 60_000,
  });
  return { file, running };
}

/** Stops the capture and checks it: UDP only, replies are the probes with MACs, IPs and ports swapped. */
async function finishProbeCapture(lab: LatencyLab, c: { file: string; running: RunningCapture }): Promise<CaptureCheck> {
  await c.running.stop();
  const v = await verifyCaptureFile(c.file, { localMac: lab.topology.gen0.mac, protocol: 'udp', reflected: true, minFrames: 4 });
  return { ok: v.ok, mismatches: v.mismatches, frames: v.frames, sent: v.sent, received: v.received, flows: v.sentFlows };
}

/** Ctrl-C between measurements stops the phase (the run is then interrupted), never recorded as a failed load. */
function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(String(signal.reason));
}

/** On the run's own veth rig (its topology, pin dir, scratch dir and DUT object); what it takes goes on `stack`. */
export async function runLatencyPhase(rig: Rig, stack: CleanupStack, p: LatencyPlan, log: { info(line: string): void }, signal?: AbortSignal): Promise<LatencyRecord[]> {
  if (!rig.veth) throw new Error('--latency runs on the veth topology only');
  const t = rig.veth;
  const latency = await loadObject(LATENCY_OBJECT, path.join(rig.pinRoot, 'latency'));
  const gen0 = { netns: t.gen0.netns, dev: t.gen0.dev, mode: 'native' as const };
  await detachProgram(gen0); // the throughput sink drops everything, replies included
  await attachProgram(gen0, { pin: pinOf(latency, 'prog', PROBE_SINK_PROGRAM) });
  const lab: LatencyLab = { prefix: path.basename(rig.pinRoot), topology: t, pinDir: rig.pinRoot, scratchDir: rig.scratchDir, stack, latency, bench: rig.dut };
  const statsPin = pinOf(latency, 'map', 'xdpb_stats');
  const records: LatencyRecord[] = [];
  for (const mode of p.modes) {
    stopIfAborted(signal);
    let maxPps: number;
    try {
      maxPps = await measureReflectorMax(lab, statsPin, mode, p.maxMeasureMs);
    } catch (err) {
      stopIfAborted(signal); // a helper killed by the same Ctrl-C is the interruption
      const refused = err instanceof KernelRefusalError;
      for (const loadFraction of p.loadFractions) {
        records.push({ mode, state: refused ? 'skipped' : 'failed', reason: (err as Error).message, loadFraction, maxPps: null, targetLoadPps: 0, achievedLoadPps: null });
      }
      log.info(`latency/${mode}: ${refused ? 'skipped' : 'failed'}: ${(err as Error).message}`);
      continue;
    }
    log.info(`latency/${mode}: reflector maximum ${(maxPps / 1e6).toFixed(3)} Mpps`);
    for (const loadFraction of p.loadFractions) {
      stopIfAborted(signal);
      const targetLoadPps = Math.round(maxPps * loadFraction);
      try {
        // Idle: every probe and reply is visible to tcpdump on gen0; check what really went over the wire.
        const capture = loadFraction === 0 ? await startProbeCapture(lab, mode, p.probes) : null;
        const m = await measureLatency(lab, { mode, loadPps: targetLoadPps, probes: p.probes, probeRatePps: p.probeRatePps });
        const s = m.summary;
        const verdict = capture ? await finishProbeCapture(lab, capture) : undefined;
        records.push({ mode, state: 'ok', loadFraction, maxPps, targetLoadPps, achievedLoadPps: m.loadAchievedPps, summary: s, ...(verdict ? { capture: verdict } : {}) });
        if (verdict && !verdict.ok) log.info(`latency/${mode}: capture check MISMATCH: ${verdict.mismatches.join('; ')}`);
        const us = (ns: number | null) => (ns === null ? '-' : `${(ns / 1e3).toFixed(1)} us`);
        log.info(`latency/${mode} at ${Math.round(loadFraction * 100)} % load: p50 ${us(s.p50Ns)}, p99 ${us(s.p99Ns)}, max ${us(s.maxNs)}, lost ${s.lost}/${s.sent} (${s.timestampSource} timestamps)`);
      } catch (err) {
        stopIfAborted(signal);
        records.push({ mode, state: 'failed', reason: (err as Error).message, loadFraction, maxPps, targetLoadPps, achievedLoadPps: null });
      }
    }
  }
  return records;
}
