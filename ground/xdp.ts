/* The XDP attach modes and program actions, by the names the results use. */

/** As tuples for the results model's enums (ground/result-schema.ts). */
export const XDP_MODE_NAMES = ['native', 'generic', 'offload'] as const;
export type XdpMode = (typeof XDP_MODE_NAMES)[number];
export const ALL_MODES: readonly XdpMode[] = XDP_MODE_NAMES;

/* Index = the kernel's XDP action value (XDP_ABORTED=0 .. XDP_REDIRECT=4). */
export const XDP_ACTION_NAMES = ['aborted', 'drop', 'pass', 'tx', 'redirect'] as const;
export type XdpAction = (typeof XDP_ACTION_NAMES)[number];
export const XDP_ACTIONS: readonly XdpAction[] = XDP_ACTION_NAMES;
