/* Benchmark of the latency pieces, on a throwaway veth topology it creates
 * (xdpb-lat<8 hex>-gen / -dut, 198.18.0.0/15 only) and removes in finally and
 * on SIGINT/SIGTERM:
 *
 *   node --import tsx benchmarks/bench-latency.ts [--no-load] [--cpu N] [--json FILE]
 *
 * Prints
 *  1. the prober's timestamp source and clock resolution, and its overhead
 *     (median user-space RTT minus kernel-timestamped RTT);
 *  2. p50 RTT of three repeated idle runs with xdp_reflect in native mode,
 *     and their spread (target: within 10 % of each other);
 *  3. BPF_PROG_TEST_RUN ns/packet and CV for every program of bench.bpf.o and
 *     for xdp_reflect / xdp_probe_sink (target: CV <= 2 %), with the Mpps per
 *     core that cost alone would allow;
 *  4. unless --no-load: RTT percentiles per mode at 0/10/50/90 % of the
 *     reflector's measured maximum (live generator on CPU 0, prober on CPU 1).
 * Exit code 0 whatever the figures; 1 when something failed to run. */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DEFAULT_LOAD_FRACTIONS, LATENCY_OBJECT, loadRatesPps } from '../drivers/latency-prober.ts';
import { listPrograms, runProgRun } from '../drivers/prog-run.ts';
import type { LatencySummary, ProgRunSummary } from '../ground/result-schema.ts';
import { summarizeProgRun } from '../harness/analysis/prog-run-summary.ts';
import { buildUdpFrame } from '../ground/frame.ts';
import { attachDut, closeLatencyLab, measureLatency, measureMaxPps, openLatencyLab, type LatencyLab } from '../harness/run/latency-lab.ts';
import { BENCH_OBJECT } from '../ground/paths.ts';
import { median, relativeDifference } from '../harness/analysis/statistics.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const withLoad = !flag('--no-load');
const progRunCpu = Number(value('--cpu') ?? 0);
const jsonOut = value('--json');

const IDLE_RUNS = 3;
const IDLE_PROBES = 2000;
const PROBE_RATE_PPS = 1000;
const LOADED_PROBES = 1000;
const us = (ns: number | null) => (ns === null ? '-' : `${(ns / 1000).toFixed(2)} us`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

const prefix = `xdpb-lat${randomBytes(4).toString('hex')}`;
let lab: LatencyLab | undefined;
let closing: Promise<unknown> | undefined;
const close = () => (closing ??= lab ? closeLatencyLab(lab) : Promise.resolve([]));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: with no listener left, a second Ctrl-C would kill the process mid-cleanup.
  process.on(sig, () => {
    if (closing) return;
    console.error(`\n${sig}: removing ${prefix}-*`);
    void close()
      .then((failures) => {
        for (const f of failures as { what: string; error: unknown }[]) console.error(`cleanup: ${f.what}: ${String(f.error)}`);
      })
      .finally(() => process.exit(130));
  });
}

const results: Record<string, unknown> = { prefix };
try {
  lab = await openLatencyLab(prefix);
  const t = lab.topology;
  console.log(`topology ${t.genNetns} / ${t.dutNetns}: ${t.gen0.dev} ${t.gen0.ip} <-> ${t.dut0.dev} ${t.dut0.ip}, xdp_probe_sink on ${t.gen0.dev}\n`);

  // 1 + 2: idle runs on native.
  const idle: LatencySummary[] = [];
  for (let i = 0; i < IDLE_RUNS; i++) {
    idle.push((await measureLatency(lab, { mode: 'native', loadPps: 0, probes: IDLE_PROBES, probeRatePps: PROBE_RATE_PPS })).summary);
  }
  const s0 = idle[0]!;
  console.log('prober');
  console.log(`  timestamp source   ${s0.timestampSource} (rx ${s0.rxTimestampSource}, tx ${s0.txTimestampSource}); hardware: ${s0.hardwareTimestamps.detail}`);
  console.log(`  clock resolution   ${s0.clockResolutionNs} ns (CLOCK_REALTIME, clock_getres)`);
  console.log(`  overhead           user-space RTT - kernel RTT, median: ${idle.map((s) => us(s.userOverheadP50Ns)).join(', ')}`);
  const p50s = idle.map((s) => s.p50Ns!);
  const spread = relativeDifference(Math.max(...p50s), Math.min(...p50s));
  console.log(`\nidle RTT, xdp_reflect native, ${IDLE_PROBES} probes at ${PROBE_RATE_PPS}/s, ${IDLE_RUNS} runs`);
  for (const [i, s] of idle.entries()) {
    console.log(`  run ${i + 1}: p50 ${us(s.p50Ns)}  p90 ${us(s.p90Ns)}  p99 ${us(s.p99Ns)}  p99.9 ${us(s.p999Ns)}  max ${us(s.maxNs)}  lost ${s.lost}  reordered ${s.reordered}`);
  }
  console.log(`  p50 spread (max-min)/max: ${pct(spread)} ${spread <= 0.1 ? '(within 10 %)' : '(NOT within 10 %)'}`);
  results.idle = { runs: idle, p50SpreadRelative: spread };

  // 3: prog-run.
  const frame = buildUdpFrame({ srcMac: t.gen0.mac, dstMac: t.dut0.mac, srcIp: t.gen0.ip, dstIp: t.dut0.ip, srcPort: 9, dstPort: 9, pktSizeBytes: 64 });
  console.log(`\nprog-run (BPF_PROG_TEST_RUN, 60-byte UDP frame, 15 calls x 1e6 repeats, CPU ${progRunCpu})`);
  console.log('  program          action    ns/packet (median)  CV      min-max   Mpps/core  1 ns is');
  const progRuns: ProgRunSummary[] = [];
  for (const objectPath of [BENCH_OBJECT, LATENCY_OBJECT]) {
    // The no-touch programs only: the work variants (NAME__LEVEL) are --work's business.
    for (const { name } of (await listPrograms(objectPath)).filter((p) => !p.name.includes('__'))) {
      const devmap = name === 'xdp_redirect' ? { map: 'xdpb_redirect_port', dev: 'lo' } : undefined;
      const s = summarizeProgRun(await runProgRun({ objectPath, programName: name, frame, repeat: 1_000_000, runs: 15, cpu: progRunCpu, devmap }));
      progRuns.push(s);
      console.log(`  ${name.padEnd(16)} ${s.action.padEnd(9)} ${String(s.nsPerPacket.median).padStart(10)}          ${pct(s.nsPerPacket.cv).padStart(6)}  ${s.nsPerPacket.min}-${s.nsPerPacket.max}`.padEnd(70) +
        `${s.mppsPerCore.toFixed(1).padStart(5)}      ${pct(s.resolutionRelative)}${s.nsPerPacket.cv > 0.02 ? '  CV above 2 %' : ''}`);
    }
  }
  results.progRun = progRuns;

  // 4: under load.
  if (withLoad) {
    results.loaded = [];
    for (const mode of ['native', 'generic'] as const) {
      const detach = await attachDut(lab, 'xdp_reflect', mode);
      const maxPps = await measureMaxPps(lab, 1000);
      await detach();
      console.log(`\n${mode}: reflector maximum ${(maxPps / 1e6).toFixed(2)} Mpps (live generator, 1 thread, uncapped); ${LOADED_PROBES} probes at ${PROBE_RATE_PPS}/s per level`);
      console.log('  load      asked       achieved     p50        p99        p99.9      max         lost  reordered');
      for (const { fraction, ratePps } of loadRatesPps(maxPps, DEFAULT_LOAD_FRACTIONS)) {
        const m = await measureLatency(lab, { mode, loadPps: ratePps, probes: LOADED_PROBES, probeRatePps: PROBE_RATE_PPS });
        const s = m.summary;
        (results.loaded as unknown[]).push({ mode, fraction, maxPps, askedPps: ratePps, achievedPps: m.loadAchievedPps, summary: s });
        console.log(`  ${pct(fraction).padStart(6)}  ${(ratePps / 1e6).toFixed(2).padStart(6)} Mpps  ${((m.loadAchievedPps ?? 0) / 1e6).toFixed(2).padStart(6)} Mpps  ` +
          `${us(s.p50Ns).padStart(9)}  ${us(s.p99Ns).padStart(9)}  ${us(s.p999Ns).padStart(9)}  ${us(s.maxNs).padStart(10)}  ${String(s.lost).padStart(4)}  ${String(s.reordered).padStart(5)}`);
      }
    }
    console.log(`  (median p50 over all levels: ${us(median((results.loaded as { summary: LatencySummary }[]).map((x) => x.summary.p50Ns ?? Number.NaN)))})`);
  }
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
} catch (error) {
  console.error(`bench-latency: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  const failures = (await close()) as { what: string; error: unknown }[];
  for (const f of failures) console.error(`cleanup: ${f.what}: ${String(f.error)}`);
  if (failures.length) process.exitCode = 1;
}
