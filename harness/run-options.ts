/* Validates `bench run` options before anything is created. Every problem is
 * reported at once, each naming its flag and what it accepts. */
import { existsSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { findScenario, SCENARIOS, type Scenario } from '../scenarios/builtin.ts';
import { GENERATOR_NAMES } from '../drivers/generators.ts';
import { UsageError } from './errors.ts';
import { MAX_PKT_SIZE_BYTES, MIN_PKT_SIZE_BYTES } from './frame.ts';
import { ALL_MODES, type XdpMode } from './result-schema.ts';

export interface RawRunOptions {
  modes: string;
  trials: string;
  duration: string;
  warmup: string;
  interval: string;
  generator: string;
  size: string;
  rate: string;
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
  pktSizeBytes: number;
  ratePps: number;
  outDir: string;
  tolerance: number;
}

export const LIMITS = {
  trials: [1, 100],
  durationS: [0.2, 3600],
  warmupS: [0, 600],
  intervalMs: [10, 10_000],
} as const;

function num(value: string, flag: string, lo: number, hi: number, errors: string[], integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < lo || n > hi) {
    errors.push(`${flag} ${JSON.stringify(value)}: expected ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
    return Number.NaN;
  }
  return n;
}

/** Nearest existing ancestor of dir must be a writable directory; dir itself, if present, too. */
function checkOutDir(dir: string, errors: string[]): void {
  let probe = path.resolve(dir);
  if (existsSync(probe) && !statSync(probe).isDirectory()) {
    errors.push(`--out ${dir}: exists and is not a directory`);
    return;
  }
  while (!existsSync(probe)) probe = path.dirname(probe);
  try {
    if (!statSync(probe).isDirectory()) throw new Error('not a directory');
    // access(W_OK) says yes to root everywhere; only a real create proves it (removed at once).
    rmdirSync(mkdtempSync(path.join(probe, '.xdpb-probe-')));
  } catch {
    errors.push(`--out ${dir}: ${probe} is not a writable directory; choose another --out`);
  }
}

export function defaultOutDir(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  return path.join('results', stamp);
}

export function validateRunOptions(scenarioNames: string[], raw: RawRunOptions): ValidRunOptions {
  const errors: string[] = [];
  const scenarios: Scenario[] = [];
  if (scenarioNames.length === 0) errors.push(`missing scenario: give one or more of ${SCENARIOS.map((s) => s.name).join(', ')}`);
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
  const pktSizeBytes = num(raw.size, '--size', MIN_PKT_SIZE_BYTES, MAX_PKT_SIZE_BYTES, errors, true);
  const ratePps = num(raw.rate, '--rate', 0, 1e9, errors);
  const tolerance = num(raw.tolerance, '--tolerance', 0.001, 0.5, errors);
  if (!(GENERATOR_NAMES as readonly string[]).includes(raw.generator)) {
    errors.push(`--generator "${raw.generator}": expected one of ${GENERATOR_NAMES.join(', ')}`);
  }
  if (Number.isFinite(intervalMs) && Number.isFinite(durationS) && intervalMs > durationS * 1000) {
    errors.push(`--interval ${intervalMs} ms is longer than --duration ${durationS} s: a trial needs at least one sampling interval`);
  }
  const outDir = raw.out ?? defaultOutDir();
  checkOutDir(outDir, errors);
  if (errors.length) throw new UsageError(errors.join('\n'));
  return {
    scenarios, modes, trials, durationMs: durationS * 1000, warmupMs: warmupS * 1000,
    sampleIntervalMs: intervalMs, generatorName: raw.generator, pktSizeBytes, ratePps, outDir, tolerance,
  };
}
