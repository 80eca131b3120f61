/* Validates `bench run` options before anything is created. Every problem is
 * reported at once, each naming its flag and what it accepts. */
import os from 'node:os';
import path from 'node:path';
import { findScenario, SCENARIOS, type Scenario } from '../../scenarios/builtin.ts';
import { GENERATOR_NAMES } from '../../drivers/generators.ts';
import { UsageError } from '../../ground/errors.ts';
import { checkOutDir } from '../run/out-dir.ts';
import { MAX_PKT_SIZE_BYTES, MIN_PKT_SIZE_BYTES } from '../../ground/frame.ts';
import { ALL_MODES, type XdpMode } from '../../ground/result-schema.ts';
import { parseDecimal, parseRate, type RateSpec } from '../../ground/values.ts';
import { isWork, WORK_LEVELS, type Work } from './work-variants.ts';
import { FIXED } from './defaults.ts';
import type { LatencyPlan } from '../run/latency-phase.ts';

export interface RawRunOptions {
  modes: string;
  trials: string;
  duration: string;
  warmup: string;
  interval: string;
  generator: string;
  sizes: string;
  rate: string;
  flows: string;
  work: string;
  decouple: boolean;
  /** --threads: generator threads (one per CPU); absent: the generator's default. */
  threads?: string;
  progRun?: boolean;
  latency?: boolean;
  latencyLoads: string;
  probes: string;
  probeRate: string;
  out?: string;
  tolerance: string;
}

export interface ValidRunOptions {
  scenarios: Scenario[];
  modes: XdpMode[];
  trials: number;
  durationMs: number;
  warmupMs: number;
  sampleIntervalMs: number;
  generatorName: string;
  pktSizesBytes: number[];
  rate: RateSpec;
  flows: number;
  work: Work;
  decouple: boolean;
  /** Generator threads asked for (--threads); null: the generator's default. */
  threads: number | null;
  progRunOnly: boolean;
  latency: LatencyPlan | null;
  outDir: string;
  tolerance: number;
}

/** xdpb gen runs one thread per listed CPU, at most 16. */
export const MAX_GENERATOR_THREADS = 16;

export const LIMITS = {
  trials: [1, 100],
  durationS: [0.2, 3600],
  warmupS: [0, 600],
  intervalMs: [10, 10_000],
} as const;

function num(value: string, flag: string, lo: number, hi: number, errors: string[], integer = false): number {
  const n = parseDecimal(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < lo || n > hi) {
    errors.push(`${flag} ${JSON.stringify(value)}: expected ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
    return Number.NaN;
  }
  return n;
}

export function defaultOutDir(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  return path.join('results', stamp);
}

/** `otherScenarios`: how many scenarios come from files or --program (checked elsewhere). */
export function validateRunOptions(scenarioNames: string[], raw: RawRunOptions, otherScenarios = 0, cpuCount = os.cpus().length): ValidRunOptions {
  const errors: string[] = [];
  const scenarios: Scenario[] = [];
  if (scenarioNames.length === 0 && otherScenarios === 0) {
    errors.push(`missing scenario: give one or more of ${SCENARIOS.map((s) => s.name).join(', ')}, a scenario file (.yaml), or --program FILE.o`);
  }
  for (const name of scenarioNames) {
    const s = findScenario(name);
    if (s) scenarios.push(s);
    else errors.push(`unknown scenario "${name}": expected one of ${SCENARIOS.map((x) => x.name).join(', ')}`);
  }
  let modes: XdpMode[] = [];
  if (raw.modes === 'all') modes = [...ALL_MODES];
  else {
    for (const m of raw.modes.split(',').map((x) => x.trim())) {
      if ((ALL_MODES as readonly string[]).includes(m)) {
        if (!modes.includes(m as XdpMode)) modes.push(m as XdpMode);
      } else errors.push(`--modes: unknown mode "${m}": expected a comma-separated list of ${ALL_MODES.join(', ')}, or all`);
    }
  }
  const trials = num(raw.trials, '--trials', LIMITS.trials[0], LIMITS.trials[1], errors, true);
  const durationS = num(raw.duration, '--duration', LIMITS.durationS[0], LIMITS.durationS[1], errors);
  const warmupS = num(raw.warmup, '--warmup', LIMITS.warmupS[0], LIMITS.warmupS[1], errors);
  const intervalMs = num(raw.interval, '--interval', LIMITS.intervalMs[0], LIMITS.intervalMs[1], errors, true);
  const pktSizesBytes: number[] = [];
  for (const part of raw.sizes.split(',')) {
    const size = num(part.trim(), '--sizes', MIN_PKT_SIZE_BYTES, MAX_PKT_SIZE_BYTES, errors, true);
    if (Number.isFinite(size) && !pktSizesBytes.includes(size)) pktSizesBytes.push(size);
  }
  const rate = parseRate(raw.rate, errors);
  const flows = num(raw.flows, '--flows', 1, 65_535, errors, true);
  if (!isWork(raw.work)) errors.push(`--work "${raw.work}": expected one of ${WORK_LEVELS.join(', ')}`);
  const tolerance = num(raw.tolerance, '--tolerance', 0.001, 0.5, errors);
  // One generator thread per CPU (xdpb gen takes at most 16 CPUs).
  const threads = raw.threads === undefined ? null : num(raw.threads, '--threads', 1, Math.min(MAX_GENERATOR_THREADS, cpuCount), errors, true);
  if (!(GENERATOR_NAMES as readonly string[]).includes(raw.generator)) {
    errors.push(`--generator "${raw.generator}": expected one of ${GENERATOR_NAMES.join(', ')}`);
  }
  let latency: LatencyPlan | null = null;
  if (raw.latency) {
    const loadFractions: number[] = [];
    for (const part of raw.latencyLoads.split(',')) {
      const pct = num(part.trim().replace(/%$/, ''), '--latency-loads', 0, 99, errors);
      if (Number.isFinite(pct) && !loadFractions.includes(pct / 100)) loadFractions.push(pct / 100);
    }
    const probes = num(raw.probes, '--probes', 10, 100_000, errors, true);
    const probeRatePps = num(raw.probeRate, '--probe-rate', 1, 100_000, errors);
    latency = { modes: [], loadFractions, probes, probeRatePps, maxMeasureMs: FIXED.latencyMaxMeasureMs };
  }
  if (raw.latency && raw.progRun) errors.push('--latency and --prog-run: choose one (--prog-run runs no traffic at all)');
  if (Number.isFinite(intervalMs) && Number.isFinite(durationS) && intervalMs > durationS * 1000) {
    errors.push(`--interval ${intervalMs} ms is longer than --duration ${durationS} s: a trial needs at least one sampling interval`);
  }
  const outDir = raw.out ?? defaultOutDir();
  checkOutDir(outDir, { flag: '--out', ownFiles: [] }, errors);
  if (errors.length) throw new UsageError(errors.join('\n'));
  return {
    scenarios, modes, trials, durationMs: durationS * 1000, warmupMs: warmupS * 1000,
    sampleIntervalMs: intervalMs, generatorName: raw.generator, pktSizesBytes, rate, flows,
    work: raw.work as Work, decouple: raw.decouple, threads, outDir, tolerance,
    progRunOnly: raw.progRun === true,
    latency: latency && { ...latency, modes },
  };
}
