/* npm run bench:generators: the generator and harness performance figures of
 * the generators issue, measured in one run on the veth topology, printed.
 *   1. live (1 thread, 1 per core) and trafgen offered pps into native and
 *      generic XDP_DROP, coupled placement (the generator's own ceiling), and
 *      the live/trafgen ratio;
 *   2. sampling overhead: DUT pps with sampling at the default interval over
 *      DUT pps with counters read only at the window edges, alternated;
 *   3. the harness's RSS during a >= 60 s run, sampled every second.
 * Nothing here is asserted: it prints what it measured, with the goals beside. */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liveGenerator } from '../drivers/live-generator.ts';
import { planDecoupled } from '../drivers/napi-placement.ts';
import { trafgenGenerator } from '../drivers/trafgen.ts';
import type { TrafficDriver } from '../drivers/traffic-driver.ts';
import { findScenario } from '../scenarios/builtin.ts';
import { assertRequired, runChecks } from '../harness/run/preflight.ts';
import { REPO_ROOT } from '../ground/paths.ts';
import type { OkCase, XdpMode } from '../ground/result-schema.ts';
import { newRunId, runBench } from '../harness/run/runner.ts';
import { planRun, type RunPlan } from '../harness/plan/plan.ts';
import { RUN_DEFAULTS } from '../harness/plan/defaults.ts';
import type { ValidRunOptions } from '../harness/plan/run-options.ts';
import type { CpuPlacement } from '../drivers/napi-placement.ts';
import { median } from '../harness/analysis/statistics.ts';

const DEFAULT_INTERVAL_MS = RUN_DEFAULTS.intervalMs;
const cpuCount = os.cpus().length;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-generators-'));
const abort = new AbortController();
process.on('SIGINT', () => abort.abort('SIGINT'));
process.on('SIGTERM', () => abort.abort('SIGTERM'));

/** A drop-all run through the same planner as `bench run`, with this benchmark's generator, placement and modes. */
function plan(over: { generator: TrafficDriver; modes: XdpMode[]; placement: CpuPlacement; sampleIntervalMs?: number; warmupMs?: number }): RunPlan {
  const options: ValidRunOptions = {
    scenarios: [findScenario('drop-all')!], modes: over.modes, pktSizesBytes: [...RUN_DEFAULTS.sizesBytes], trials: RUN_DEFAULTS.trials,
    durationMs: RUN_DEFAULTS.durationS * 1000, warmupMs: over.warmupMs ?? RUN_DEFAULTS.warmupS * 1000, sampleIntervalMs: over.sampleIntervalMs ?? RUN_DEFAULTS.intervalMs,
    generatorName: over.generator.name, rate: { kind: 'max' }, flows: RUN_DEFAULTS.flows, work: RUN_DEFAULTS.work, decouple: over.placement.dutNapiCpu !== null,
    threads: null, progRunOnly: false, latency: null, outDir: mkdtempSync(path.join(scratch, 'run-')), tolerance: RUN_DEFAULTS.tolerance,
  };
  return planRun(options, {
    runId: newRunId(), argv: ['npm', 'run', 'bench:generators'], rig: { kind: 'veth' }, rateText: RUN_DEFAULTS.rate,
    generator: { driver: over.generator, why: 'bench:generators' }, placement: { placement: over.placement, why: 'bench:generators' },
  });
}

const quiet = { info: () => undefined };

async function okCases(p: RunPlan): Promise<OkCase[]> {
  const r = await runBench(p, quiet, abort.signal);
  return r.cases.filter((c): c is OkCase => c.state === 'ok');
}

const mpps = (pps: number) => `${(pps / 1e6).toFixed(2)} Mpps`;

async function generatorCeilings(): Promise<void> {
  console.log('1. Generators into XDP_DROP on veth, coupled (the receiving NAPI runs on the sending CPU), 64 B, 3 x 2 s');
  const rows: { name: string; mode: XdpMode; offered: number; processed: number }[] = [];
  const all = Array.from({ length: cpuCount }, (_, i) => i);
  const setups: [string, TrafficDriver, number[]][] = [
    ['live, 1 thread', liveGenerator, [0]],
    [`live, ${cpuCount} threads`, liveGenerator, all],
    ['trafgen', trafgenGenerator, [0]],
  ];
  for (const [name, generator, cpus] of setups) {
    const cases = await okCases(plan({ generator, modes: ['native', 'generic'], placement: { generatorCpus: cpus, dutNapiCpu: null } }));
    for (const c of cases) rows.push({ name, mode: c.mode, offered: c.stats.offeredPps.median, processed: c.stats.xdpPps.median });
  }
  console.log(`   ${'generator'.padEnd(18)} ${'mode'.padEnd(8)} ${'offered'.padStart(12)} ${'processed'.padStart(12)}`);
  for (const r of rows) console.log(`   ${r.name.padEnd(18)} ${r.mode.padEnd(8)} ${mpps(r.offered).padStart(12)} ${mpps(r.processed).padStart(12)}`);
  const get = (name: string, mode: XdpMode) => rows.find((r) => r.name === name && r.mode === mode)?.offered ?? Number.NaN;
  const trafgen = get('trafgen', 'native');
  const one = get('live, 1 thread', 'native');
  const perCore = get(`live, ${cpuCount} threads`, 'native');
  console.log(`   live 1 thread / trafgen (native): ${(one / trafgen).toFixed(1)}x   (goal >= 10x)`);
  console.log(`   live ${cpuCount} threads / trafgen (native): ${(perCore / trafgen).toFixed(1)}x; live ${cpuCount} threads offered ${mpps(perCore)} (goal >= 12 Mpps on 2 cores)`);
}

async function samplingOverhead(): Promise<void> {
  console.log(`\n2. Sampling overhead: native XDP_DROP, decoupled placement, DUT pps with sampling every ${DEFAULT_INTERVAL_MS} ms vs edges only`);
  const placement = planDecoupled(cpuCount) ?? { generatorCpus: [0], dutNapiCpu: null };
  const sampled: number[] = [];
  const edges: number[] = [];
  for (let round = 0; round < 3; round++) {
    // An interval longer than the run: the sampler only reads at the window edges (on demand).
    for (const [interval, sink] of [[DEFAULT_INTERVAL_MS, sampled], [3_600_000, edges]] as const) {
      const cases = await okCases(plan({ generator: liveGenerator, modes: ['native'], placement, sampleIntervalMs: interval, warmupMs: 500 }));
      sink.push(...cases.flatMap((c) => c.trials.map((t) => t.xdpPps)));
    }
  }
  const ratio = median(sampled) / median(edges);
  console.log(`   with sampling: median ${mpps(median(sampled))} over ${sampled.length} trials; edges only: median ${mpps(median(edges))} over ${edges.length} trials`);
  console.log(`   ratio ${ratio.toFixed(4)}   (goal >= 0.99)`);
}

function rssKiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: get('VmRSS'), hwm: get('VmHWM') };
  } catch {
    return null;
  }
}

async function memoryOverLongRun(): Promise<void> {
  console.log('\n3. Harness RSS during a 60 s run (bench run drop-all --modes native --trials 25 --duration 2), sampled every 1 s');
  const out = path.join(scratch, 'long');
  const child = execa(path.join(REPO_ROOT, 'bench'), ['run', 'drop-all', '--modes', 'native', '--trials', '25', '--duration', '2', '--out', out], { reject: false });
  const series: number[] = [];
  let hwm = 0;
  const started = Date.now();
  while (child.exitCode === null && Date.now() - started < 180_000) {
    await new Promise((r) => setTimeout(r, 1000));
    const m = child.pid ? rssKiB(child.pid) : null;
    if (m) {
      series.push(m.rss);
      hwm = Math.max(hwm, m.hwm);
    }
  }
  const r = await child;
  const third = Math.max(1, Math.floor(series.length / 3));
  const firstMax = Math.max(...series.slice(0, third));
  const lastMax = Math.max(...series.slice(-third));
  console.log(`   run took ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${r.exitCode}); ${series.length} RSS samples`);
  console.log(`   RSS min ${(Math.min(...series) / 1024).toFixed(1)} MB, max ${(Math.max(...series) / 1024).toFixed(1)} MB, peak (VmHWM) ${(hwm / 1024).toFixed(1)} MB   (goal < 150 MB)`);
  console.log(`   max RSS first third ${(firstMax / 1024).toFixed(1)} MB, last third ${(lastMax / 1024).toFixed(1)} MB (flat if close)`);
}

try {
  assertRequired(await runChecks());
  console.log(`bench:generators on ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${cpuCount}, kernel ${os.release()}\n`);
  await generatorCeilings();
  await samplingOverhead();
  await memoryOverLongRun();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
