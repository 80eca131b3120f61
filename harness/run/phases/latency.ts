/* --latency as a phase after the throughput cases: one unit (the latency
 * plan) on the veth rig's own topology (harness/run/latency-phase.ts). */
import type { LatencyRecord } from '../../../ground/result-schema.ts';
import { runLatencyPhase } from '../latency-phase.ts';
import type { LatencyPlan } from '../../plan/plan.ts';
import type { Phase } from './phase.ts';

export const latencyPhase: Phase<LatencyPlan, void, LatencyRecord[]> = {
  name: 'latency',
  units: (plan) => (plan.latency ? [plan.latency] : []),
  async prepare(_p, cx) {
    if (!cx.rig.veth) throw new Error('--latency runs on the veth topology only');
  },
  async run(p, _state, cx, emit) {
    const { rig } = cx;
    emit(await runLatencyPhase(rig, cx.stack, p, cx.log, cx.signal));
  },
};
