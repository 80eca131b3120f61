/* What the veth and lab rigs do alike: find pins in a loaded object, load a
 * scenario's program, attach it (with its own undo list on the run's stack),
 * start the sampler and the generator from the rig's addresses. */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CounterSampler, MultiHostSampler, type Sampler } from '../../../drivers/counter-sampler.ts';
import type { Host } from '../../../drivers/host.ts';
import type { RunningTraffic } from '../../../drivers/traffic-driver.ts';
import { attachProgram, detachProgram, idOf, loadObject, pinOf, setDevmapPort, updateMap, type LoadedObject } from '../../../drivers/xdpb-helper.ts';
export { idOf, pinOf } from '../../../drivers/xdpb-helper.ts';
import { buildUdpFrame } from '../../../ground/frame.ts';
import { TRACE_OBJECT } from '../../../ground/paths.ts';
import type { LabRecord, ProgramRef, XdpMode } from '../../../ground/result-schema.ts';
import type { Scenario } from '../../../scenarios/builtin.ts';
import { SOURCE } from '../../analysis/trial-analysis.ts';
import type { ExecutablePlan } from '../../plan/plan.ts';
import { loadOptionsOf } from '../../plan/user-program.ts';
import { workVariant, type Work } from '../../plan/work-variants.ts';
import { CleanupStack } from '../cleanup-stack.ts';
import type { Attachment, LinkTopology, LoadedProgram, TrafficRequest } from '../rig.ts';


export function scratchDirFor(prefix: string, stack: CleanupStack): string {
  const scratchDir = path.join(tmpdir(), prefix);
  mkdirSync(scratchDir, { recursive: true });
  stack.push(`scratch ${scratchDir}`, async () => rmSync(scratchDir, { recursive: true, force: true }));
  return scratchDir;
}

/** What the results say about a user's object: which file, and how it was loaded. */
function userProgramRef(scenario: Scenario, loaded: LoadedObject): ProgramRef {
  const pinned = loaded.maps.filter((m) => m.pinnedByName).map((m) => m.name);
  return {
    name: scenario.program, file: path.basename(scenario.object!.path), sha256: scenario.object!.sha256,
    ...(scenario.load?.mapSizes.length ? { mapSizes: scenario.load.mapSizes } : {}),
    ...(scenario.load?.asXdp ? { loadedAsXdp: scenario.load.asXdp } : {}),
    ...(pinned.length ? { pinnedByName: pinned } : {}),
  };
}

/** The rig's parts the shared code needs. */
export interface RigParts {
  plan: ExecutablePlan;
  topology: LinkTopology;
  genHost: Host;
  dutHost: Host;
  dut: LoadedObject;
  sinkStatsPins: Record<string, string>;
  pinRoot: string;
  scratchDir: string;
  stack: CleanupStack;
  labRecord: LabRecord | null;
}

/** Built-in programs come from the object loaded once (the --work variant); a user's object is loaded (and its maps preloaded) here. */
export async function loadScenarioProgram(r: RigParts, scenario: Scenario, index: number, work: Work): Promise<LoadedProgram> {
  if (!scenario.object) {
    const name = workVariant(scenario.program, work);
    return {
      scenario, programPin: pinOf(r.dut, 'prog', name), objectPath: r.dutHost.benchObject, programName: name, progId: idOf(r.dut, name),
      statsPin: pinOf(r.dut, 'map', 'xdpb_stats'), redirectMapPin: pinOf(r.dut, 'map', 'xdpb_redirect_port'), info: undefined,
    };
  }
  if (r.dutHost.kind !== 'local') throw new Error(`scenario ${scenario.name}: a program of your own runs on a local DUT only (it is not copied to lab hosts)`);
  const load = scenario.load ? loadOptionsOf(scenario.program, scenario.load) : {};
  const loaded = await loadObject(scenario.object.path, path.join(r.pinRoot, `user-${index}`), load);
  for (const preload of scenario.maps ?? []) {
    const pin = pinOf(loaded, 'map', preload.map);
    for (const e of preload.entries) await updateMap(pin, e.keyHex, e.valueHex);
  }
  return {
    scenario, programPin: pinOf(loaded, 'prog', scenario.program), objectPath: scenario.object.path, programName: scenario.program, load, progId: idOf(loaded, scenario.program),
    statsPin: null, redirectMapPin: null,
    info: userProgramRef(scenario, loaded),
  };
}

let offloadLoads = 0;

/**
 * Attaches on dut0 in `mode`; `after` takes the rig's own changes (GRO,
 * threaded NAPI) onto the attachment's undo list. The list is one entry on the
 * run's stack: a failure half-way releases what was taken.
 */
export async function attachOnDut(r: RigParts, program: LoadedProgram, mode: XdpMode, after?: (undo: CleanupStack) => Promise<void>): Promise<Attachment> {
  const t = r.topology;
  const host = r.dutHost;
  const target = { netns: t.dut0.netns, dev: t.dut0.dev, mode };
  const undo = new CleanupStack();
  let released = false;
  const detach = async () => {
    if (released) return;
    released = true;
    const failures = await undo.releaseAll();
    // One failure keeps its own error (the stack entry names the detach); more are listed.
    if (failures.length === 1) throw failures[0]!.error;
    if (failures.length) throw new Error(failures.map((f) => `${f.what}: ${String(f.error)}`).join('; '));
  };
  const where = `${t.dut0.dev}${host.kind === 'ssh' ? ` on ${host.name}` : ''}`;
  r.stack.push(`detach ${mode} from ${where}`, detach);
  let attached;
  if (mode === 'offload') {
    // An offloaded program is bound to its device at load time: same object file, own load.
    const pinDir = path.join(r.pinRoot, `offload-${++offloadLoads}-${path.basename(program.programPin)}`); // scenarios may share a program name
    attached = await attachProgram(target, { objectPath: program.objectPath, programName: program.programName, pinDir, ...(program.load ? { load: program.load } : {}) }, host);
  } else {
    attached = await attachProgram(target, { pin: program.programPin }, host);
  }
  undo.push(`detach ${mode} from ${where}`, () => detachProgram(target, host));
  if (after) await after(undo);
  if (program.scenario.proof === 'redirected-to-gen1' && program.redirectMapPin) {
    if (!t.dut1) throw new Error('the redirect scenario needs a second DUT port (port1)');
    await setDevmapPort(program.redirectMapPin, 0, t.dut1.netns, t.dut1.dev, host);
  }
  return { mode, progId: attached.progId, progTag: attached.progTag, detach };
}

/** One sampler for everything on one host; on a lab, one per host, lined up on the DUT's clock. */
export async function startRigSampler(r: RigParts, program: LoadedProgram): Promise<Sampler> {
  const t = r.topology;
  const intervalMs = r.plan.sampleIntervalMs;
  const dutStats: Record<string, string> = program.statsPin ? { [SOURCE.dutProgram]: program.statsPin } : {};
  const genDevice = { [SOURCE.genDev]: { netns: t.gen0.netns, dev: t.gen0.dev } };
  const dutDevice = { [SOURCE.dutDev]: { netns: t.dut0.netns, dev: t.dut0.dev } };
  const snmp = { [SOURCE.dutStack]: t.dutNetns };
  // The xdp tracepoints fire only on exception paths (aborted, invalid action, failed redirect), not per frame on the fast path. Local DUT only (trace.bpf.o is not copied to lab hosts).
  const trace = r.dutHost.kind === 'local' ? { trace: { object: TRACE_OBJECT, progId: program.progId } } : {};
  if (r.genHost === r.dutHost) {
    return CounterSampler.start({ intervalMs, statsMaps: { ...dutStats, ...r.sinkStatsPins }, devices: { ...genDevice, ...dutDevice }, snmp, ...trace }, r.dutHost);
  }
  const dut = await CounterSampler.start({ intervalMs, statsMaps: dutStats, devices: dutDevice, snmp, ...trace }, r.dutHost);
  let gen: CounterSampler;
  try {
    gen = await CounterSampler.start({ intervalMs, statsMaps: r.sinkStatsPins, devices: genDevice }, r.genHost);
  } catch (err) {
    await dut.stop();
    throw err;
  }
  const multi = await MultiHostSampler.start({ name: r.dutHost.name, sampler: dut }, [{ name: r.genHost.name, sampler: gen }]);
  if (r.labRecord) r.labRecord.clockAlignment = multi.alignment;
  return multi;
}

export function startRigTraffic(r: RigParts, s: TrafficRequest): Promise<RunningTraffic> {
  const t = r.topology;
  const frame = buildUdpFrame({
    srcMac: t.gen0.mac, dstMac: t.dut0.mac, srcIp: t.gen0.ip, dstIp: t.dut0.ip,
    ...s.ports, pktSizeBytes: s.pktSizeBytes,
  });
  return r.plan.generator.start({
    netns: t.gen0.netns, dev: t.gen0.dev, frame, durationMs: s.durationMs, cpus: r.plan.placement.generatorCpus,
    ratePps: s.ratePps, flows: r.plan.flows, scratchDir: r.scratchDir, host: r.genHost,
  });
}
