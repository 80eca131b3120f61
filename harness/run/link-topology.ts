/* The addresses a run measures between: the gen0 -> dut0 link (and the
 * redirect pair when there is one). Built by the veth topology or a lab; its
 * own file so the lab (which the plan names) needs nothing of the Rig. */
import type { Endpoint } from '../../drivers/veth-topology.ts';

export interface LinkTopology {
  /** Namespace of the DUT's stack ('' = the host's own): where /proc/net/snmp is read. */
  dutNetns: string;
  gen0: Endpoint;
  dut0: Endpoint;
  /** The redirect scenario's pair: null when the lab has no port1. */
  gen1: Endpoint | null;
  dut1: Endpoint | null;
}
