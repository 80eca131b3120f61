/* Shared between the XDP programs and userspace (native/xdpb.c).
 * One per-CPU array map `xdpb_stats`, indexed by the XDP action the program
 * returned (XDP_ABORTED=0 .. XDP_REDIRECT=4), so userspace can prove which
 * action was taken and on which CPU. */
#ifndef XDPB_STATS_H
#define XDPB_STATS_H

#define XDPB_ACTION_COUNT 5 /* XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT */

struct xdpb_action_stats {
	__u64 packets;
	__u64 bytes;
};

/* Work the DUT program does on each frame before returning its action. Each
 * level is compiled into its own program (native/bench.bpf.c: xdp_drop,
 * xdp_drop__read_data, ...), never a load-time knob: a knob is global data,
 * which an offloaded program cannot reference. */
enum xdpb_work {
	XDPB_WORK_NO_TOUCH = 0,  /* never reads the frame */
	XDPB_WORK_READ_DATA = 1, /* reads the Ethernet header */
	XDPB_WORK_PARSE_IP = 2,  /* parses Ethernet + IPv4/IPv6 header */
	XDPB_WORK_SWAP_MACS = 3, /* swaps source and destination MAC */
};

#endif
