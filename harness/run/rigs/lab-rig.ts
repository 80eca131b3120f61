/* The lab rig: a hardware lab's hosts and existing NICs (harness/lab/lab-rig.ts
 * takes the lock, the guards, the pins and the sinks). Its attach changes
 * nothing on the NICs (no GRO or threaded-NAPI changes): they are used as they are. */
import path from 'node:path';
import { BPFFS_ROOT } from '../../../ground/paths.ts';
import { setUpLabRig } from '../../lab/lab-rig.ts';
import type { RigSpec } from '../../plan/plan.ts';
import type { Rig, RigContext } from '../rig.ts';
import { resourcePrefix } from '../run-registry.ts';
import { attachOnDut, loadScenarioProgram, scratchDirFor, startRigSampler, startRigTraffic, type RigParts } from './rig-common.ts';

export async function upLabRig(spec: Extract<RigSpec, { kind: 'lab' }>, cx: RigContext): Promise<Rig> {
  const { plan, stack, log } = cx;
  const upMark = stack.size;
  const prefix = resourcePrefix(plan.runId);
  const scratchDir = scratchDirFor(prefix, stack);
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  const r = await setUpLabRig(plan.runId, pinRoot, spec.lab, stack, log);
  log.info(`topology: physical ${r.topology.gen0.dev} on ${r.genHost.name} -> ${r.topology.dut0.dev} (${r.dutDriver}) on ${r.dutHost.name}`);
  const parts: RigParts = {
    plan, topology: r.topology, genHost: r.genHost, dutHost: r.dutHost, dut: r.dut, sinkStatsPins: r.sinkStatsPins, pinRoot, scratchDir, stack, labRecord: r.record,
  };
  return {
    kind: 'lab', topology: r.topology, genHost: r.genHost, dutHost: r.dutHost, dutDriver: r.dutDriver, labRecord: r.record,
    veth: null, dut: r.dut, pinRoot, scratchDir,
    loadProgram: (scenario, index, work) => loadScenarioProgram(parts, scenario, index, work),
    attach: (program, mode) => attachOnDut(parts, program, mode),
    checkOffload: null,
    startSampler: (program) => startRigSampler(parts, program),
    startTraffic: (s) => startRigTraffic(parts, s),
    down: async () => {
      const failures = await stack.releaseTo(upMark);
      for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
    },
  };
}
