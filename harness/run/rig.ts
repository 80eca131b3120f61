/* What a run measures on: the gen0 -> dut0 link (and the redirect pair when
 * there is one), the hosts each side runs on, and the objects loaded there.
 * Built by the veth topology (this machine) or a lab (physical NICs, over SSH). */
import type { Host } from '../../drivers/host.ts';
import type { Endpoint, VethTopology } from '../../drivers/veth-topology.ts';
import type { LoadedObject } from '../../drivers/xdpb-helper.ts';

export interface LinkTopology {
  /** Namespace of the DUT's stack ('' = the host's own): where /proc/net/snmp is read. */
  dutNetns: string;
  gen0: Endpoint;
  dut0: Endpoint;
  /** The redirect scenario's pair: null when the lab has no port1. */
  gen1: Endpoint | null;
  dut1: Endpoint | null;
}

export interface Rig {
  topology: LinkTopology;
  /** The veth topology the harness created (latency needs it), null on a lab. */
  veth: VethTopology | null;
  genHost: Host;
  dutHost: Host;
  /** Existing NICs of a lab: never reconfigured (no GRO or threaded-NAPI changes). */
  physical: boolean;
  /** Driver of the DUT's ingress interface, for messages and generator refusals. */
  dutDriver: string;
  /** The built-in DUT object, loaded once on the DUT host. */
  dut: LoadedObject;
  /** label -> pinned stats map of a sink on the generator host. */
  sinkStatsPins: Record<string, string>;
  /** Pin directory of this run, the same path on every host. */
  pinRoot: string;
  /** A private local directory of the run (generator config files). */
  scratchDir: string;
}
