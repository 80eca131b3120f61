/* Calibration: unit = packet size. The generator's ceiling into native
 * XDP_DROP on this rig, what `--rate N%` refers to. A generator failure here
 * stops the run: without the ceiling nothing after it means anything. */
import type { RawSample, Sampler } from '../../../drivers/counter-sampler.ts';
import { GeneratorFailure } from '../../../drivers/traffic-driver.ts';
import { KernelRefusalError, RunAbortedError } from '../../../ground/errors.ts';
import type { CalibrationRecord } from '../../../ground/result-schema.ts';
import { findScenario } from '../../../scenarios/builtin.ts';
import { linkCounter, SOURCE } from '../../analysis/trial-analysis.ts';
import { trafficWindow, type Window } from '../traffic-window.ts';
import type { Phase } from './phase.ts';

/** null: the kernel refused native XDP (a lab NIC), and only --rate N% needs the ceiling. */
type State = { sampler: Sampler } | null;

export const calibrationPhase: Phase<number, State, CalibrationRecord> = {
  name: 'calibration',
  units: (plan) => plan.calibrationSizesBytes,
  async prepare(_size, cx) {
    const { rig, plan, log, stack } = cx;
    const drop = await rig.loadProgram(findScenario('drop-all')!, 0, 'no-touch');
    try {
      await rig.attach(drop, 'native');
    } catch (err) {
      if (!(err instanceof KernelRefusalError) || plan.rate.kind === 'fraction') throw err;
      log.info(`calibration skipped: the kernel refused native XDP on ${rig.topology.dut0.dev} (${rig.dutDriver}): ${err.message}`);
      return null;
    }
    const sampler = await rig.startSampler(drop);
    stack.push('calibration sampler', () => sampler.stop());
    return { sampler };
  },
  async run(pktSizeBytes, state, cx, emit) {
    if (!state) return;
    const { rig, plan, log, signal } = cx;
    let w: Window;
    try {
      w = await trafficWindow(rig, state.sampler, { ports: { srcPort: 1024, dstPort: 9 }, pktSizeBytes, ratePps: 0, settleMs: plan.settleMs, durationMs: plan.calibrationMs }, signal);
    } catch (err) {
      if (!(err instanceof GeneratorFailure)) throw err;
      throw new RunAbortedError('calibration', `the generator failed while calibrating (${pktSizeBytes} B into native XDP_DROP on ${rig.topology.dut0.dev}): ${err.message}; nothing was measured`, { cause: err });
    }
    const dt = (w.end.tNs - w.start.tNs) / 1e9;
    const field = (s: RawSample, f: 'tx_packets' | 'tx_dropped') => linkCounter(s, SOURCE.genDev, f);
    const offered = (field(w.end, 'tx_packets') + field(w.end, 'tx_dropped') - field(w.start, 'tx_packets') - field(w.start, 'tx_dropped')) / dt;
    log.info(`calibration: ${plan.generator.name} offers ${(offered / 1e6).toFixed(3)} Mpps at ${pktSizeBytes} B into native XDP_DROP`);
    emit({ pktSizeBytes, generator: plan.generator.name, offeredPps: offered, durationMs: dt * 1e3 });
  },
};
