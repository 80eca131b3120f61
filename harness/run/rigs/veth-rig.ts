/* The veth rig: netns + veth pairs this run creates (kind `veth`), or the VM
 * guest's existing NIC pair moved into them (kind `vm-pair`, with the offload
 * attach check on netdevsim). Its attach turns GRO on for generic mode and
 * decouples the DUT's NAPI when planned: these are the run's own interfaces. */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { localHost } from '../../../drivers/host.ts';
import { decoupleDut, setThreadedNapi } from '../../../drivers/napi-placement.ts';
import { bringUpVeth, deleteNetns, planVethTopology, setGro } from '../../../drivers/veth-topology.ts';
import { attachProgram, loadObject } from '../../../drivers/xdpb-helper.ts';
import { BENCH_OBJECT, BPFFS_ROOT } from '../../../ground/paths.ts';
import { SOURCE } from '../../analysis/trial-analysis.ts';
import type { RigSpec } from '../../plan/plan.ts';
import { checkOffloadAttach } from '../offload-attach-check.ts';
import { ensureBpffs, ensureTracefs } from '../preflight.ts';
import type { Rig, RigContext } from '../rig.ts';
import { resourcePrefix } from '../run-registry.ts';
import { attachOnDut, loadScenarioProgram, pinOf, scratchDirFor, startRigSampler, startRigTraffic, type RigParts } from './rig-common.ts';

export async function upVethRig(spec: Extract<RigSpec, { kind: 'veth' | 'vm-pair' }>, cx: RigContext): Promise<Rig> {
  const { plan, stack, log } = cx;
  const upMark = stack.size;
  await ensureBpffs();
  const noTracefs = await ensureTracefs();
  if (noTracefs) log.info(`no XDP exception counts: ${noTracefs}`);
  const prefix = resourcePrefix(plan.runId);
  const topology = planVethTopology(prefix);
  log.info(`topology: veth ${topology.gen0.dev} <-> ${topology.dut0.dev} in netns ${topology.genNetns} / ${topology.dutNetns}`);
  const existingPair = spec.kind === 'vm-pair' ? spec.pair : undefined;
  await bringUpVeth(topology, (ns) => stack.push(`netns ${ns}`, () => deleteNetns(ns)), existingPair);

  const scratchDir = scratchDirFor(prefix, stack);
  const pinRoot = path.join(BPFFS_ROOT, prefix);
  mkdirSync(pinRoot, { recursive: true });
  stack.push(`bpffs ${pinRoot}`, async () => rmSync(pinRoot, { recursive: true, force: true }));
  // The DUT object is loaded once; its programs are attached in each mode. --work picks a program, not a knob.
  const dut = await loadObject(BENCH_OBJECT, path.join(pinRoot, 'dut'));
  // Sinks on the generator side receive (and count) reflected and redirected frames:
  // a veth peer needs an XDP program for XDP-transmitted frames to arrive.
  const sinkStatsPins: Record<string, string> = {};
  for (const [label, end] of [[SOURCE.sinkGen0, topology.gen0], [SOURCE.sinkGen1, topology.gen1]] as const) {
    const sink = await loadObject(BENCH_OBJECT, path.join(pinRoot, label));
    await attachProgram({ netns: end.netns, dev: end.dev, mode: 'native' }, { pin: pinOf(sink, 'prog', 'xdp_drop') });
    sinkStatsPins[label] = pinOf(sink, 'map', 'xdpb_stats');
  }
  const parts: RigParts = { plan, topology, genHost: localHost, dutHost: localHost, dut, sinkStatsPins, pinRoot, scratchDir, stack, labRecord: null };
  const dut0 = topology.dut0;
  const offloadCheck = spec.kind === 'vm-pair' ? spec.offloadCheck : null;
  return {
    kind: spec.kind, topology, genHost: localHost, dutHost: localHost, dutDriver: existingPair?.driver ?? 'veth', labRecord: null,
    veth: topology, dut, pinRoot, scratchDir,
    loadProgram: (scenario, index, work) => loadScenarioProgram(parts, scenario, index, work),
    attach: (program, mode) => attachOnDut(parts, program, mode, async (undo) => {
      if (mode === 'generic') {
        // Without a native program, veth accepts XDP-transmitted frames only with GRO on.
        await setGro(dut0, true);
        undo.push(`gro off on ${dut0.dev}`, () => setGro(dut0, false));
      }
      if (plan.placement.dutNapiCpu !== null && mode !== 'offload') {
        await decoupleDut(dut0, plan.placement.dutNapiCpu);
        undo.push(`threaded NAPI off on ${dut0.dev}`, () => setThreadedNapi(dut0, false));
      }
    }),
    checkOffload: offloadCheck && ((program, cases) => {
      const check = {
        device: offloadCheck, netns: dut0.netns, objectPath: program.objectPath, programName: program.programName,
        ...(program.load ? { load: program.load } : {}), pinRoot, stack, log: log.info.bind(log),
      };
      return checkOffloadAttach(check, cases);
    }),
    startSampler: (program) => startRigSampler(parts, program),
    startTraffic: (s) => startRigTraffic(parts, s),
    down: async () => {
      const failures = await stack.releaseTo(upMark);
      for (const f of failures) log.info(`cleanup of ${f.what} failed: ${String(f.error)}`);
    },
  };
}
