/* What a run measures on, as the runner and every phase see it: a Rig loads a
 * scenario's program, attaches it in a mode, starts the counter sampler and
 * the generator, and goes down. Nothing else of the topology is theirs: GRO
 * and threaded-NAPI changes of a veth rig happen inside its attach, never on a
 * lab's NICs. Implementations: harness/run/rigs/veth-rig.ts (also the VM
 * guest's vm-pair), harness/run/rigs/lab-rig.ts; upRig in harness/run/rigs/up-rig.ts. */
import type { Sampler } from '../../drivers/counter-sampler.ts';
import type { Host } from '../../drivers/host.ts';
import type { RunningTraffic } from '../../drivers/traffic-driver.ts';
import type { VethTopology } from '../../drivers/veth-topology.ts';
import type { LoadedObject, LoadOptions } from '../../drivers/xdpb-helper.ts';
import type { AttachedCase, CaseCommon, LabRecord, ProgramRef, SkippedCase, XdpMode } from '../../ground/result-schema.ts';
import type { Scenario } from '../../scenarios/builtin.ts';
import type { ExecutablePlan, RigSpec } from '../plan/plan.ts';
import type { Work } from '../plan/work-variants.ts';
import type { CleanupStack } from './cleanup-stack.ts';
import type { LinkTopology } from './link-topology.ts';

export type { LinkTopology } from './link-topology.ts';

/** The program a scenario attaches, loaded and ready, with its counters. */
export interface LoadedProgram {
  scenario: Scenario;
  programPin: string;
  /** For offload, which needs its own device-bound load of the same file. */
  objectPath: string;
  programName: string;
  /** The loaded program's id: whose exceptions the xdp tracepoints count. */
  progId: number;
  /** A user's object: how it was loaded (map sizes, untyped section), again for the offload load. */
  load?: LoadOptions;
  /** The built-in program's own stats map; null for a user's object. */
  statsPin: string | null;
  redirectMapPin: string | null;
  info: ProgramRef | undefined;
}

/** A program attached in a mode; detach is idempotent and also on the run's cleanup stack. */
export interface Attachment {
  mode: XdpMode;
  progId: number;
  progTag: string;
  detach(): Promise<void>;
}

/** UDP ports of the test frames: the scenario's destination, and the first source port. */
export interface Ports {
  srcPort: number;
  dstPort: number;
}

/** One generator run; the frame is built from the rig's own addresses. */
export interface TrafficRequest {
  ports: Ports;
  pktSizeBytes: number;
  /** 0 = as fast as the generator goes. */
  ratePps: number;
  durationMs: number;
}

export interface Rig {
  readonly kind: RigSpec['kind'];
  /** Interface names and addresses, for messages and the frame; nothing to reconfigure. */
  readonly topology: LinkTopology;
  readonly genHost: Host;
  readonly dutHost: Host;
  /** Driver of the DUT's ingress interface, for messages and generator refusals. */
  readonly dutDriver: string;
  /** The lab's record for results.json (hosts, interfaces, lock, clock alignment); null off a lab. */
  readonly labRecord: LabRecord | null;
  /** The veth topology the harness created (the latency phase needs it); null on a lab. */
  readonly veth: VethTopology | null;
  /** The built-in DUT object, loaded once on the DUT host. */
  readonly dut: LoadedObject;
  /** Pin directory of this run, the same path on every host. */
  readonly pinRoot: string;
  /** A private local directory of the run (generator config files). */
  readonly scratchDir: string;
  /** Built-in programs come from the object loaded once (the --work variant); a user's object is loaded here. */
  loadProgram(scenario: Scenario, index: number, work: Work): Promise<LoadedProgram>;
  /** Attaches on dut0 (a KernelRefusalError when the kernel refuses the mode); everything taken is on the run's stack. */
  attach(program: LoadedProgram, mode: XdpMode): Promise<Attachment>;
  /** An offload rig without a datapath (netdevsim): the cases become attach checks; null = offload is measured as any mode. */
  readonly checkOffload: ((program: LoadedProgram, cases: CaseCommon[]) => Promise<(AttachedCase | SkippedCase)[]>) | null;
  /** One sampler for everything on one host; on a lab, one per host, lined up on the DUT's clock. */
  startSampler(program: LoadedProgram): Promise<Sampler>;
  startTraffic(spec: TrafficRequest): Promise<RunningTraffic>;
  /** Releases what the rig took (also done by the run's cleanup stack). */
  down(): Promise<void>;
}

export interface RigLog {
  info(line: string): void;
}

export interface RigContext {
  plan: ExecutablePlan;
  /** The run's stack: the rig pushes everything it takes. */
  stack: CleanupStack;
  log: RigLog;
}

/** Brings a rig up; runBench takes another one (a fake) in its options. */
export type UpRig = (spec: RigSpec, cx: RigContext) => Promise<Rig>;
