/* --work: what the built-in DUT programs do per frame. Each level is its own
 * program in native/bench.bpf.c (xdp_drop, xdp_drop__read_data, ...): the
 * level is compiled in, not a load-time knob, because a knob is global data
 * and an offloaded program cannot have any. */

/** Program-name suffix per work level (the XDPB_ALL_WORK macro of native/bench.bpf.c). */
export const WORK_SUFFIX = { 'no-touch': '', 'read-data': '__read_data', 'parse-ip': '__parse_ip', 'swap-macs': '__swap_macs' } as const;
export type Work = keyof typeof WORK_SUFFIX;
export const WORK_LEVELS = Object.keys(WORK_SUFFIX) as Work[];

/** Built-in programs without work variants: xdp_tx always swaps MACs (it reflects the frame). */
const NO_VARIANTS: ReadonlySet<string> = new Set(['xdp_tx']);

export function isWork(s: string): s is Work {
  return Object.hasOwn(WORK_SUFFIX, s);
}

/** The bench.bpf.o program that does `work` for a built-in scenario program (xdp_drop + parse-ip -> xdp_drop__parse_ip). */
export function workVariant(program: string, work: Work): string {
  return NO_VARIANTS.has(program) ? program : `${program}${WORK_SUFFIX[work]}`;
}
