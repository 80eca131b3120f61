/* --latency as a phase after the throughput cases: one unit (the latency
 * plan) on the veth rig's own topology (harness/run/latency-phase.ts). */
import type { LatencyRecord } from '../../../ground/result-schema.ts';
import { runLatencyPhase, type LatencyPlan } from '../latency-phase.ts';
import type { Phase } from './phase.ts';

export const latencyPhase: Phase<LatencyPlan, void, LatencyRecord[]> = {
  name: 'latency',
  units: (plan) => (plan.latency ? [plan.latency] : []),
  async prepare(_p, cx) {
    if (!cx.rig.veth) throw new Error('--latency runs on the veth topology only');
  },
  async run(p, _state, cx, emit) {
    const { rig } = cx;
    emit(await runLatencyPhase({ topology: rig.veth!, pinRoot: rig.pinRoot, scratchDir: rig.scratchDir, bench: rig.dut, stack: cx.stack }, p, cx.log, cx.signal));
  },
};
