/* One run: the rig up -> the phases in order (calibration per packet size,
 * throughput per scenario and mode, latency; or prog-run alone) -> the rig
 * down. The runner owns the orchestration only: the results record and its
 * writing after every case, the cleanup stack, and the error and interrupt
 * policy. The rig (harness/run/rig.ts) is injectable: tests give a fake. */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { InterruptedError, OutputWriteError } from '../../ground/errors.ts';
import type { CalibrationRecord, CaseResult, RunResults } from '../../ground/result-schema.ts';
import { executable, type RunPlan } from '../plan/plan.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { calibrationPhase } from './phases/calibration.ts';
import { latencyPhase } from './phases/latency.ts';
import { runPhase } from './phases/phase.ts';
import { progRunPhase } from './phases/prog-run.ts';
import { throughputPhase } from './phases/throughput.ts';
import { failureOf, newResults, saveEndStateOnly, writeResults } from './results-record.ts';
import type { UpRig } from './rig.ts';
import { upRig as realUpRig } from './rigs/up-rig.ts';
import { findLeftovers, registerRun, removeLeftovers, unregisterRun } from './run-registry.ts';
import { throwIfAborted } from './traffic-window.ts';

export { writeResults } from './results-record.ts';
export { groupCases } from './phases/throughput.ts';
export type { Work } from '../plan/work-variants.ts';

export interface RunLog {
  info(line: string): void;
}

/** The machine-wide record of live runs (/run/xdp-bench) and the sweep of dead runs' leftovers. */
export interface RunRegistry {
  sweepLeftovers(log: RunLog): Promise<void>;
  register(runId: string): void;
  unregister(runId: string): void;
}

const machineRegistry: RunRegistry = {
  async sweepLeftovers(log) {
    const removed = await removeLeftovers(await findLeftovers(), (what, err) => log.info(`could not remove ${what}, left by a dead run: ${String(err)}`));
    if (removed.length) log.info(`removed leftovers of dead runs: ${removed.join(', ')}`);
  },
  register: registerRun,
  unregister: unregisterRun,
};

export interface RunDeps {
  /** Brings the plan's rig up; default: the real veth, vm-pair or lab rig. */
  upRig?: UpRig;
  /** Default: this machine's registry (needs root); tests without root give their own. */
  registry?: RunRegistry;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export async function runBench(planned: RunPlan, log: RunLog, signal: AbortSignal, deps: RunDeps = {}): Promise<RunResults> {
  const plan = executable(planned);
  const { runId } = plan;
  const upRig = deps.upRig ?? realUpRig;
  const registry = deps.registry ?? machineRegistry;
  const stack = new CleanupStack();
  await registry.sweepLeftovers(log);
  const results = await newResults(plan);
  for (const w of results.environment.warnings ?? []) log.info(`warning: ${w}`);
  throwIfAborted(signal); // stopped before anything was taken: the --out stays free
  try {
    mkdirSync(plan.outDir, { recursive: true });
  } catch (err) {
    throw new OutputWriteError(plan.outDir, err);
  }
  writeResults(plan.outDir, results, { first: true }); // refused (exit 2) if the directory holds a run: nothing else taken yet
  /** The record results.json holds: when the full record no longer fits (disk full), the end state goes on that one. */
  let onDisk: RunResults | null = structuredClone(results);
  let failed: unknown;
  const save = (r: RunResults) => {
    writeResults(plan.outDir, r);
    onDisk = structuredClone(r);
  };
  try {
    // Inside the try: a record that cannot be written still ends the run as failed in results.json.
    registry.register(runId);
    stack.push('run registry', async () => registry.unregister(runId));
    throwIfAborted(signal); // stopped before anything was built: say so, build nothing
    if (plan.progRunOnly) {
      const progRun: NonNullable<RunResults['progRun']> = [];
      await runPhase(progRunPhase, { plan, stack, signal, log }, (r) => progRun.push(r));
      results.progRun = progRun;
      results.state = 'complete';
      return results;
    }
    const rig = await upRig(plan.rig, { plan, stack, log });
    if (rig.labRecord) {
      results.lab = rig.labRecord;
      // The DUT host is the machine measured: its kernel and CPUs, not the controller's.
      const dutHost = rig.labRecord.hosts.find((h) => h.roles.includes('dut'))!;
      Object.assign(results.environment, { kernel: dutHost.kernel, hostname: dutHost.hostname, cpuCount: dutHost.cpuCount, driver: rig.dutDriver });
      save(results);
    }
    const cx = { plan, rig, stack, signal, log };
    const calibration = new Map<number, CalibrationRecord>();
    await runPhase(calibrationPhase, cx, (c) => {
      calibration.set(c.pktSizeBytes, c);
      results.calibration.push(c);
    });
    save(results);
    const totalCases = plan.cases.length;
    const casesStartedMs = performance.now();
    await runPhase(throughputPhase(calibration), cx, (c: CaseResult) => {
      results.cases.push(c);
      save(results); // after every case: a crash loses nothing
      const done = results.cases.length;
      const perCaseMs = (performance.now() - casesStartedMs) / done;
      log.info(`progress: ${done}/${totalCases} cases${done < totalCases ? `, about ${Math.round((perCaseMs * (totalCases - done)) / 1000)} s left` : ''}`);
    });
    await runPhase(latencyPhase, cx, (records) => {
      results.latency = records;
    });
    await rig.down();
    results.state = 'complete';
  } catch (err) {
    // A helper killed by the same Ctrl-C/hangup fails first: the signal is the cause (its exit code), not a failure.
    failed = err instanceof InterruptedError || !signal.aborted ? err : new InterruptedError(String(signal.reason));
    if (failed instanceof InterruptedError) results.state = 'interrupted';
    else Object.assign(results, { state: 'failed', failure: failureOf(err) });
    throw failed;
  } finally {
    const failures = await stack.releaseAll();
    for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
    results.finishedAt = new Date().toISOString();
    try {
      save(results);
    } catch (err) {
      // A run that ended well but cannot record it has failed; a run that failed already keeps its first cause.
      if (failed === undefined) Object.assign(results, { state: 'failed', failure: failureOf(err) });
      if (err instanceof OutputWriteError) saveEndStateOnly(plan.outDir, results, onDisk, err, log);
      else log.info(`results.json could not be updated: ${(err as Error).message}`);
      if (failed === undefined) throw err;
    }
  }
  return results;
}
