/* The XDP attach modes and program actions, by the names the results use. */

export type XdpMode = 'native' | 'generic' | 'offload';
export const ALL_MODES: readonly XdpMode[] = ['native', 'generic', 'offload'];

export type XdpAction = 'aborted' | 'drop' | 'pass' | 'tx' | 'redirect';
/* Index = the kernel's XDP action value (XDP_ABORTED=0 .. XDP_REDIRECT=4). */
export const XDP_ACTIONS: readonly XdpAction[] = ['aborted', 'drop', 'pass', 'tx', 'redirect'];
