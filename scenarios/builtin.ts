/* The built-in scenarios: declarative, no commands run here. */
import type { XdpAction } from '../ground/result-schema.ts';

/** What the program should do with the scenario's traffic. */
export type Expectation =
  | { kind: 'action'; action: XdpAction }
  /** Fractions of frames per action (they sum to 1), checked within the run's tolerance. */
  | { kind: 'mix'; fractions: Partial<Record<XdpAction, number>> }
  /** Any mix: nothing to check. */
  | { kind: 'mixed' };

/** A compiled object the user brought (scenario file or --program). */
export interface UserObject {
  path: string;
  /** Content hash: two builds of the same program are never confused. */
  sha256: string;
}

/** How a user's object is loaded the way its own loader would (harness/plan/user-program.ts). */
export interface UserObjectLoad {
  /** Maps sized before load: which map, what size, why. */
  mapSizes: { map: string; maxEntries: number; reason: string }[];
  /** The picked program's section libbpf cannot type: loaded as XDP (frags: the section is xdp.frags...). */
  asXdp?: { section: string; frags: boolean };
  /** Helpers the program calls that distort throughput figures (bpf_trace_printk, ...). */
  slowHelpers: { helper: string; why: string; where: string }[];
}

/** Entries written into a named map of the user's object before the run. */
export interface MapPreload {
  map: string;
  entries: { keyHex: string; valueHex: string }[];
}

export interface Scenario {
  name: string;
  doc: string;
  /** Program (by function name) in native/bench.bpf.c, or in `object` when given. */
  program: string;
  object?: UserObject;
  /** With `object`: how it is loaded. */
  load?: UserObjectLoad;
  maps?: MapPreload[];
  expect: Expectation;
  /**
   * Where frames that took the expected action must show up, beyond the
   * program's own counter: a sink program on a generator-side interface.
   */
  proof: 'none' | 'reflected-to-gen0' | 'redirected-to-gen1';
  /** Destination UDP port of the test frames. */
  dstPort: number;
  /** Source UDP port (the first one, with several flows); default 1024. */
  srcPort?: number;
  /** Where the scenario came from: built-in, or the YAML file. */
  source: 'builtin' | string;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'drop-all',
    doc: 'XDP_DROP every frame: the raw receive + program cost of the mode',
    program: 'xdp_drop',
    expect: { kind: 'action', action: 'drop' },
    proof: 'none',
    dstPort: 9,
    source: 'builtin',
  },
  {
    name: 'pass-all',
    doc: 'XDP_PASS every frame to the kernel stack (UDP to a closed port): stack cost included',
    program: 'xdp_pass',
    expect: { kind: 'action', action: 'pass' },
    proof: 'none',
    dstPort: 9,
    source: 'builtin',
  },
  {
    name: 'tx-reflect',
    doc: 'XDP_TX every frame back out of the ingress interface, MACs swapped; proven by a sink counter on the generator side',
    program: 'xdp_tx',
    expect: { kind: 'action', action: 'tx' },
    proof: 'reflected-to-gen0',
    dstPort: 9,
    source: 'builtin',
  },
  {
    name: 'redirect',
    doc: 'XDP_REDIRECT every frame through a devmap to a second interface; proven by a sink counter behind it',
    program: 'xdp_redirect',
    expect: { kind: 'action', action: 'redirect' },
    proof: 'redirected-to-gen1',
    dstPort: 9,
    source: 'builtin',
  },
  {
    name: 'aborted',
    doc: 'XDP_ABORTED every frame (the error path: dropped, with the xdp_exception tracepoint)',
    program: 'xdp_aborted',
    expect: { kind: 'action', action: 'aborted' },
    proof: 'none',
    dstPort: 9,
    source: 'builtin',
  },
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
