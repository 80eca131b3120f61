/* A phase is one kind of measurement over units of the plan, with one
 * lifecycle (LNST's start/finish/collect/evaluate, hyperfine's scheduler and
 * executor): the runner (runPhase) walks the units in order and owns the
 * cleanup and interrupt policy; the phase only says what a unit takes, how it
 * is measured and what a unit's own failure records.
 *
 *   units(plan)              the units, from the plan alone (nothing taken)
 *   share(unit, cx)          resources consecutive units share (a scenario's
 *                            program and sampler), kept while shareKey stays
 *   prepare(unit, cx)        what the unit takes (an attach), released after it
 *   run(unit, state, cx, emit)  measures: each finished record goes to emit at
 *                            once (results.json is written then); collect and
 *                            judge (statistics, flags, notes) happen per record
 *   failed(unit, state, err, cx)  records for the unit's unfinished part after
 *                            a failure of its own; an interrupt, a results.json
 *                            that cannot be written, or no `failed` stop the run
 *
 * The next measurements are phases of this same shape: a loss-bounded search
 * (NDR/PDR: unit = scenario x mode x size, run = the binary search over
 * trafficWindow at rates), CPU cost (unit = case, run samples CPU time beside
 * the window) and queue scaling (unit = queue count, prepare sets the queues). */
import { InterruptedError, OutputWriteError } from '../../../ground/errors.ts';
import type { ExecutablePlan } from '../../plan/plan.ts';
import type { CleanupStack } from '../cleanup-stack.ts';
import type { Rig } from '../rig.ts';
import { throwIfAborted } from '../traffic-window.ts';

export interface PhaseLog {
  info(line: string): void;
}

export interface PhaseContext {
  plan: ExecutablePlan;
  stack: CleanupStack;
  signal: AbortSignal;
  log: PhaseLog;
}

export interface RigPhaseContext extends PhaseContext {
  rig: Rig;
}

export interface Phase<Unit, State, Rec, Cx extends PhaseContext = RigPhaseContext> {
  readonly name: string;
  units(plan: ExecutablePlan): Unit[];
  shareKey?(unit: Unit): unknown;
  share?(unit: Unit, cx: Cx): Promise<void>;
  prepare(unit: Unit, cx: Cx): Promise<State>;
  run(unit: Unit, state: State, cx: Cx, emit: (r: Rec) => void): Promise<void>;
  failed?(unit: Unit, state: State | undefined, err: unknown, cx: Cx): Rec[];
}

async function release(cx: PhaseContext, mark: number): Promise<void> {
  const failures = await cx.stack.releaseTo(mark);
  for (const f of failures) cx.log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
}

/** Runs every unit of `phase` in order; everything a unit takes is released after it, shared resources when their key changes. */
export async function runPhase<Unit, State, Rec, Cx extends PhaseContext>(phase: Phase<Unit, State, Rec, Cx>, cx: Cx, emit: (r: Rec) => void): Promise<void> {
  const phaseMark = cx.stack.size;
  let sharedKey: unknown = undefined;
  let sharing = false;
  try {
    for (const unit of phase.units(cx.plan)) {
      throwIfAborted(cx.signal);
      if (phase.share) {
        const key = phase.shareKey?.(unit);
        if (!sharing || key !== sharedKey) {
          await release(cx, phaseMark);
          sharing = true;
          sharedKey = key;
          await phase.share(unit, cx); // its failure stops the run, as a failing load always has
        }
      }
      const mark = cx.stack.size;
      let state: State | undefined;
      try {
        state = await phase.prepare(unit, cx);
        await phase.run(unit, state, cx, emit);
      } catch (err) {
        // Interrupted, or results.json cannot be written: the run stops, the unit is not a failure of its own.
        if (err instanceof InterruptedError || err instanceof OutputWriteError) throw err;
        // A Ctrl-C or hangup reaches the whole process group: a helper killed by it is the interruption, not a failure.
        if (cx.signal.aborted) throw new InterruptedError(String(cx.signal.reason));
        if (!phase.failed) throw err;
        for (const r of phase.failed(unit, state, err, cx)) emit(r);
      } finally {
        await release(cx, mark);
      }
    }
  } finally {
    await release(cx, phaseMark);
  }
}
