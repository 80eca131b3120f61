/* The built-in scenarios: declarative, no commands run here. */
import type { XdpAction } from '../harness/result-schema.ts';

export interface Scenario {
  name: string;
  doc: string;
  /** Program (by function name) in native/bench.bpf.c. */
  program: string;
  expectedAction: XdpAction;
  /**
   * Where frames that took the expected action must show up, beyond the
   * program's own counter: a sink program on a generator-side interface.
   */
  proof: 'none' | 'reflected-to-gen0' | 'redirected-to-gen1';
  /** Destination UDP port of the test frames. */
  dstPort: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'drop-all',
    doc: 'XDP_DROP every frame: the raw receive + program cost of the mode',
    program: 'xdp_drop',
    expectedAction: 'drop',
    proof: 'none',
    dstPort: 9,
  },
  {
    name: 'pass-all',
    doc: 'XDP_PASS every frame to the kernel stack (UDP to a closed port): stack cost included',
    program: 'xdp_pass',
    expectedAction: 'pass',
    proof: 'none',
    dstPort: 9,
  },
  {
    name: 'tx-reflect',
    doc: 'XDP_TX every frame back out of the ingress interface, MACs swapped; proven by a sink counter on the generator side',
    program: 'xdp_tx',
    expectedAction: 'tx',
    proof: 'reflected-to-gen0',
    dstPort: 9,
  },
  {
    name: 'redirect',
    doc: 'XDP_REDIRECT every frame through a devmap to a second interface; proven by a sink counter behind it',
    program: 'xdp_redirect',
    expectedAction: 'redirect',
    proof: 'redirected-to-gen1',
    dstPort: 9,
  },
  {
    name: 'aborted',
    doc: 'XDP_ABORTED every frame (the error path: dropped, with the xdp_exception tracepoint)',
    program: 'xdp_aborted',
    expectedAction: 'aborted',
    proof: 'none',
    dstPort: 9,
  },
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
