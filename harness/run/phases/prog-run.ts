/* --prog-run as a phase: unit = scenario, no rig (BPF_PROG_TEST_RUN needs no NIC). */
import type { ProgRunRecord } from '../../../ground/result-schema.ts';
import type { Scenario } from '../../../scenarios/builtin.ts';
import { runProgRunOne } from '../prog-run-phase.ts';
import type { Phase, PhaseContext } from './phase.ts';

export const progRunPhase: Phase<Scenario, void, ProgRunRecord, PhaseContext> = {
  name: 'prog-run',
  units: (plan) => plan.scenarios,
  async prepare() {},
  async run(s, _state, cx, emit) {
    emit(await runProgRunOne(s, cx.plan.pktSizesBytes[0]!, cx.log, cx.plan.work));
  },
};
