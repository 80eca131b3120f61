/* The run's record: results.json as it starts (parameters, environment), its
 * writing (validated; the first write claims the out dir) and, when the full
 * record no longer fits (disk full), the end state alone over what is on disk. */
import path from 'node:path';
import { writeFileAtomic } from '../../ground/atomic-write.ts';
import { RunAbortedError } from '../../ground/errors.ts';
import { SCHEMA_VERSION, type RunFailure, type RunResults } from '../../ground/result-schema.ts';
import type { ExecutablePlan } from '../plan/plan.ts';
import { assertValidResults } from '../results/results-io.ts';
import { findDistortions, readBpfStatsEnabled } from './distortions.ts';
import { collectEnvironment } from './environment.ts';
import { claimOutDir } from './out-dir.ts';

export const RESULTS_FILE = 'results.json';

export function writeResults(outDir: string, results: RunResults, opts: { first?: boolean } = {}): void {
  assertValidResults(results); // harness/results/results.schema.json: never write a file readers would refuse
  const text = `${JSON.stringify(results, null, 2)}\n`;
  if (opts.first) claimOutDir(outDir, text); // never over another run's results.json
  else writeFileAtomic(path.join(outDir, RESULTS_FILE), text);
}

/** The record before anything is measured: state running, no cases. */
export async function newResults(plan: ExecutablePlan): Promise<RunResults> {
  const lab = plan.rig.kind === 'lab';
  const existingPair = plan.rig.kind === 'vm-pair' ? plan.rig.pair : undefined;
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: plan.runId,
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
}

/** Why a run failed, for results.json: the stage where it stopped and the error's own words. */
export function failureOf(err: unknown): RunFailure {
  const reason = (err instanceof Error && err.message) || String(err) || 'unknown error';
  return { stage: err instanceof RunAbortedError ? err.stage : 'run', reason };
}

/**
 * The full record did not fit (disk full): write the end state (failed, why)
 * over the cases already on disk, a file no bigger than the one there; if even
 * that fails, say what the file still claims.
 */
export function saveEndStateOnly(outDir: string, results: RunResults, onDisk: RunResults | null, cause: Error, log: { info(line: string): void }): void {
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
