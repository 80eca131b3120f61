/* Validates `bench run` options before anything is created, with one zod
 * schema (runOptionsSchema). Every problem is reported at once, each naming
 * its flag and what it accepts. */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { findScenario, SCENARIOS, type Scenario } from '../../scenarios/builtin.ts';
import { GENERATOR_NAMES } from '../../drivers/generators.ts';
import { UsageError } from '../../ground/errors.ts';
import { checkOutDir } from '../run/out-dir.ts';
import { MAX_PKT_SIZE_BYTES, MIN_PKT_SIZE_BYTES } from '../../ground/frame.ts';
import { ALL_MODES, type XdpMode } from '../../ground/result-schema.ts';
import type { RateSpec } from '../../ground/values.ts';
import { flagChoice, flagList, flagNumber, flagRate, reissue, report, validate } from '../../ground/validation.ts';
import { WORK_LEVELS, type Work } from './work-variants.ts';
import { FIXED } from './defaults.ts';
import type { LatencyPlan } from './phase-plans.ts';

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

export function defaultOutDir(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  return path.join('results', stamp);
}

const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

/** The options' schema (zod, pieces from ground/validation.ts); every message names its flag. `cpuCount` bounds --threads. */
export function runOptionsSchema(cpuCount: number) {
  const scenario = z.string().transform((name, ctx): Scenario => {
    const s = findScenario(name);
    return s ?? (report(ctx, `unknown scenario "${name}": expected one of ${SCENARIO_NAMES.join(', ')}`), z.NEVER);
  });
  const mode = z.string().transform((m, ctx): XdpMode =>
    (ALL_MODES as readonly string[]).includes(m) ? (m as XdpMode) : (report(ctx, `--modes: unknown mode "${m}": expected a comma-separated list of ${ALL_MODES.join(', ')}, or all`), z.NEVER));
  const modeList = flagList(mode);
  const flag = (name: string, lim: readonly [number, number], integer = false) => flagNumber(name, lim[0], lim[1], { integer });
  return z.object({
    scenarioNames: z.array(scenario),
    modes: z.string().transform((text, ctx): XdpMode[] => {
      if (text === 'all') return [...ALL_MODES];
      const r = modeList.safeParse(text);
      return r.success ? r.data : (reissue(ctx, r.error), z.NEVER);
    }),
    trials: flag('--trials', LIMITS.trials, true),
    duration: flag('--duration', LIMITS.durationS),
    warmup: flag('--warmup', LIMITS.warmupS),
    interval: flag('--interval', LIMITS.intervalMs, true),
    sizes: flagList(flag('--sizes', [MIN_PKT_SIZE_BYTES, MAX_PKT_SIZE_BYTES], true)),
    rate: flagRate(),
    flows: flag('--flows', [1, 65_535], true),
    work: flagChoice('--work', WORK_LEVELS as [Work, ...Work[]]),
    tolerance: flag('--tolerance', [0.001, 0.5]),
    // One generator thread per CPU (xdpb gen takes at most 16 CPUs).
    threads: flag('--threads', [1, Math.min(MAX_GENERATOR_THREADS, cpuCount)], true).optional(),
    generator: flagChoice('--generator', GENERATOR_NAMES),
    latency: z.object({
      loads: flagList(flag('--latency-loads', [0, 99]).transform((pct) => pct / 100), (p) => p.trim().replace(/%$/, '')),
      probes: flag('--probes', [10, 100_000], true),
      probeRate: flag('--probe-rate', [1, 100_000]),
    }).optional(),
  });
}

/** `otherScenarios`: how many scenarios come from files or --program (checked elsewhere). */
export function validateRunOptions(scenarioNames: string[], raw: RawRunOptions, otherScenarios = 0, cpuCount = os.cpus().length): ValidRunOptions {
  const errors: string[] = [];
  if (scenarioNames.length === 0 && otherScenarios === 0) {
    errors.push(`missing scenario: give one or more of ${SCENARIO_NAMES.join(', ')}, a scenario file (.yaml), or --program FILE.o`);
  }
  const result = validate(runOptionsSchema(cpuCount), {
    ...raw,
    scenarioNames,
    latency: raw.latency ? { loads: raw.latencyLoads, probes: raw.probes, probeRate: raw.probeRate } : undefined,
  });
  // Each message names its flag: the field path inside the schema is not what the user typed.
  if (!result.ok) errors.push(...result.problems.map((p) => p.message));
  const v = result.ok ? result.value : undefined;
  if (raw.latency && raw.progRun) errors.push('--latency and --prog-run: choose one (--prog-run runs no traffic at all)');
  if (v && v.interval > v.duration * 1000) {
    errors.push(`--interval ${v.interval} ms is longer than --duration ${v.duration} s: a trial needs at least one sampling interval`);
  }
  const outDir = raw.out ?? defaultOutDir();
  checkOutDir(outDir, { flag: '--out', ownFiles: [] }, errors);
  if (errors.length || !v) throw new UsageError(errors.join('\n'));
  return {
    scenarios: v.scenarioNames, modes: v.modes, trials: v.trials, durationMs: v.duration * 1000, warmupMs: v.warmup * 1000,
    sampleIntervalMs: v.interval, generatorName: v.generator, pktSizesBytes: v.sizes, rate: v.rate, flows: v.flows,
    work: v.work, decouple: raw.decouple, threads: v.threads ?? null, outDir, tolerance: v.tolerance,
    progRunOnly: raw.progRun === true,
    latency: v.latency ? { modes: v.modes, loadFractions: v.latency.loads, probes: v.latency.probes, probeRatePps: v.latency.probeRate, maxMeasureMs: FIXED.latencyMaxMeasureMs } : null,
  };
}
