/* Throughput: unit = a scenario x mode group of the plan's cases. One load and
 * one sampler per run of a scenario's cases (shared), one attach per unit,
 * then per packet size: warm-up, trials, statistics and verdict; one
 * CaseResult per case. A refused attach makes every size `skipped` with the
 * kernel's words; any other failure of the unit makes the rest `failed`. */
import type { RawSample, Sampler } from '../../../drivers/counter-sampler.ts';
import { GeneratorFailure } from '../../../drivers/traffic-driver.ts';
import { InterruptedError, KernelRefusalError } from '../../../ground/errors.ts';
import type { CalibrationRecord, CaseCommon, CaseResult, CounterSource, InterruptedCase, OkCase, TrialResult, XdpMode } from '../../../ground/result-schema.ts';
import type { Scenario } from '../../../scenarios/builtin.ts';
import { summarize } from '../../analysis/statistics.ts';
import { actionCounts, analyseTrial, judgeCase } from '../../analysis/trial-analysis.ts';
import type { ExecutablePlan, PlannedCase } from '../../plan/plan.ts';
import type { Attachment, LoadedProgram, Ports } from '../rig.ts';
import { throwIfAborted, trafficWindow, type Window } from '../traffic-window.ts';
import type { Phase, RigPhaseContext } from './phase.ts';

export interface ThroughputUnit {
  scenario: Scenario;
  /** 1-based run of the scenario's cases (names a user object's pin dir). */
  scenarioRun: number;
  mode: XdpMode;
  sizesBytes: number[];
}

/** Consecutive cases of one scenario, and within them of one mode: one load and one attach each. */
export function groupCases(cases: readonly PlannedCase[]): { scenario: Scenario; modes: { mode: XdpMode; sizesBytes: number[] }[] }[] {
  const groups: { scenario: Scenario; modes: { mode: XdpMode; sizesBytes: number[] }[] }[] = [];
  for (const c of cases) {
    let g = groups.at(-1);
    if (!g || g.scenario !== c.scenario) groups.push((g = { scenario: c.scenario, modes: [] }));
    const m = g.modes.at(-1);
    if (m && m.mode === c.mode) m.sizesBytes.push(c.pktSizeBytes);
    else g.modes.push({ mode: c.mode, sizesBytes: [c.pktSizeBytes] });
  }
  return groups;
}

export function portsOf(s: Scenario): Ports {
  return { srcPort: s.srcPort ?? 1024, dstPort: s.dstPort };
}

/** Built-in programs count themselves; a user's program is counted by the driver (native) or by where frames went. */
function counterSourceFor(program: LoadedProgram, mode: XdpMode): CounterSource {
  if (program.statsPin) return 'program';
  return mode === 'generic' ? 'effects' : 'driver';
}

export function targetRate(plan: ExecutablePlan, calibration: CalibrationRecord | undefined): number {
  if (plan.rate.kind === 'max') return 0;
  if (plan.rate.kind === 'pps') return plan.rate.pps;
  if (!calibration) throw new Error('a rate given as a fraction needs the calibration');
  return plan.rate.fraction * calibration.offeredPps;
}

/** Statistics of the per-trial figures of a case. */
function caseStats(trials: TrialResult[]): OkCase['stats'] {
  const stat = (f: (t: TrialResult) => number) => summarize(trials.map(f));
  return {
    xdpPps: stat((t) => t.xdpPps),
    offeredPps: stat((t) => t.offeredPps),
    genTxPps: stat((t) => t.genTxPps),
    dutRxPps: stat((t) => t.dutRxPps),
    lostBeforeXdpPps: stat((t) => t.lostBeforeXdpPps),
  };
}

interface UnitState {
  program: LoadedProgram;
  sampler: Sampler;
  counters: CounterSource;
  /** Sizes not yet emitted, in plan order. */
  pending: number[];
  /** Why the unit is not measured: every pending size is emitted as this. */
  skip: ((common: CaseCommon) => CaseResult) | null;
  attachment: Attachment | null;
}

export function throughputPhase(calibration: ReadonlyMap<number, CalibrationRecord>): Phase<ThroughputUnit, UnitState, CaseResult> {
  let shared: { program: LoadedProgram; sampler: Sampler } | null = null;
  const common = (cx: RigPhaseContext, program: LoadedProgram, u: ThroughputUnit, pktSizeBytes: number): CaseCommon => ({
    scenario: u.scenario.name, program: program.info, mode: u.mode, pktSizeBytes, generator: cx.plan.generator.name,
  });

  /** Warm-up, trials, statistics and verdict of one size; interrupted after some trials, emits them as `interrupted`. */
  async function measureSize(u: ThroughputUnit, s: UnitState, cx: RigPhaseContext, pktSizeBytes: number, emit: (c: CaseResult) => void): Promise<CaseResult> {
    const { plan, rig, signal, log } = cx;
    const { mode, scenario } = u;
    const { sampler } = s;
    const head = { ...common(cx, s.program, u, pktSizeBytes), progId: s.attachment!.progId, progTag: s.attachment!.progTag };
    const ratePps = targetRate(plan, calibration.get(pktSizeBytes));
    const label = `${scenario.name}/${mode}/${pktSizeBytes}B`;
    const window = (durationMs: number) => trafficWindow(rig, sampler, { ports: portsOf(scenario), pktSizeBytes, ratePps, settleMs: plan.settleMs, durationMs }, signal);
    // Warm-up: caches, JIT'd code and rings settle; not counted. Also proves frames arrive.
    if (plan.warmupMs > 0) {
      log.info(`${label}: warm-up ${plan.warmupMs / 1000} s`);
      const w = await window(plan.warmupMs);
      const seen = (x: RawSample) => actionCounts(s.counters, x).reduce((a, b) => a + b, 0);
      if (seen(w.end) === seen(w.start)) {
        return { ...head, state: 'failed', stage: 'warm-up', reason: `no frame reached the ${mode} XDP program during warm-up (generator ${plan.generator.name} on ${rig.topology.gen0.dev})` };
      }
    }
    const trials: TrialResult[] = [];
    const dutNapiCpu = mode === 'offload' ? null : plan.placement.dutNapiCpu;
    const placement = { generatorCpus: plan.placement.generatorCpus, dutNapiCpu };
    for (let i = 0; i < plan.trials; i++) {
      let w: Window;
      try {
        throwIfAborted(signal);
        w = await window(plan.durationMs);
      } catch (err) {
        if (err instanceof InterruptedError && trials.length > 0) {
          const partial: InterruptedCase = {
            ...head, state: 'interrupted', reason: `interrupted by ${err.signal} after ${trials.length} of ${plan.trials} trials`, trialsPlanned: plan.trials,
            placement, counterSource: s.counters, targetRatePps: ratePps, stats: caseStats(trials), trials,
          };
          try {
            emit(partial);
          } catch (writeErr) {
            // A full disk too: the interruption stays the cause (its exit code), the write failure is said.
            log.info(`the finished trials of ${label} could not be recorded: ${(writeErr as Error).message}`);
          }
        }
        throw err;
      }
      // collect: the trial's figures from the samples of its window
      const trial = analyseTrial({
        index: i, mode, counters: s.counters, window: sampler.between(w.start.tNs, w.end.tNs), proof: scenario.proof,
        genOwnFrames: w.framesSent, genOwnDurationMs: w.genDurationMs,
      });
      sampler.forgetBefore(w.end.tNs);
      trials.push(trial);
      log.info(`${label}: trial ${i + 1}/${plan.trials}: ${(trial.xdpPps / 1e6).toFixed(3)} Mpps processed, ${(trial.offeredPps / 1e6).toFixed(3)} Mpps offered`);
    }
    // judge: agreement of the counters, spread, placement
    const verdict = judgeCase({
      trials, expect: scenario.expect, generatorCpus: plan.placement.generatorCpus, dutNapiCpu,
      tolerance: plan.tolerance, cvLimit: plan.cvLimit, sameHost: rig.genHost === rig.dutHost,
    });
    return { ...head, state: 'ok', flags: verdict.flags, notes: verdict.notes, placement, counterSource: s.counters, targetRatePps: ratePps, stats: caseStats(trials), trials };
  }

  return {
    name: 'throughput',
    units: (plan) => groupCases(plan.cases).flatMap((g, i) => g.modes.map((m) => ({ scenario: g.scenario, scenarioRun: i + 1, mode: m.mode, sizesBytes: m.sizesBytes }))),
    shareKey: (u) => u.scenarioRun,
    async share(u, cx) {
      shared = null;
      const program = await cx.rig.loadProgram(u.scenario, u.scenarioRun, cx.plan.work);
      const sampler = await cx.rig.startSampler(program);
      cx.stack.push(`counter sampler of ${u.scenario.name}`, () => sampler.stop());
      const first = await sampler.sampleNow();
      if (first.exceptionsError) cx.log.info(`${u.scenario.name}: no XDP exception counts (aborted, invalid actions, failed redirects): ${first.exceptionsError}`);
      shared = { program, sampler };
    },
    async prepare(u, cx) {
      const { program, sampler } = shared!;
      const s: UnitState = { program, sampler, counters: counterSourceFor(program, u.mode), pending: [...u.sizesBytes], skip: null, attachment: null };
      const { rig, plan, log } = cx;
      const refusal = plan.generator.refusesMode?.(u.mode, rig.dutDriver) ?? null;
      if (refusal) {
        log.info(`${u.scenario.name}/${u.mode}: skipped: ${refusal}`);
        s.skip = (c) => ({ ...c, state: 'skipped', reason: `generator ${plan.generator.name}: ${refusal}` });
        return s;
      }
      if (u.mode === 'offload' && rig.checkOffload) return s; // an attach check, in run
      try {
        s.attachment = await rig.attach(program, u.mode);
      } catch (err) {
        if (!(err instanceof KernelRefusalError)) throw err;
        log.info(`${u.scenario.name}/${u.mode}: skipped: ${err.message}`);
        const where = `${rig.topology.dut0.dev} (${rig.dutDriver}${rig.dutHost.kind === 'ssh' ? ` on ${rig.dutHost.name}` : ''})`;
        s.skip = (c) => ({ ...c, state: 'skipped', reason: `the kernel refused ${u.mode} XDP on ${where}: ${err.message}`, kernelMessage: err.kernelMessage, errno: err.errno });
      }
      return s;
    },
    async run(u, s, cx, emit) {
      if (s.skip) {
        for (const size of s.pending) emit(s.skip(common(cx, s.program, u, size)));
        s.pending.length = 0;
        return;
      }
      if (!s.attachment) {
        const checked = await cx.rig.checkOffload!(s.program, s.pending.map((size) => common(cx, s.program, u, size)));
        s.pending.length = 0;
        for (const c of checked) emit(c);
        return;
      }
      while (s.pending.length) {
        const size = s.pending[0]!;
        try {
          emit(await measureSize(u, s, cx, size, emit));
        } catch (err) {
          if (!(err instanceof GeneratorFailure)) throw err;
          emit({ ...common(cx, s.program, u, size), state: 'failed', stage: 'traffic', reason: err.message });
        }
        s.pending.shift();
      }
    },
    failed(u, s, err, cx) {
      const reason = err instanceof Error ? err.message : String(err);
      return (s?.pending ?? u.sizesBytes).map((size) => ({ ...common(cx, shared!.program, u, size), state: 'failed', stage: 'measure', reason }));
    },
  };
}
