// SPDX-License-Identifier: GPL-2.0
/* Counts the frames of one XDP program that end in the kernel's exception
 * paths, per CPU, from the xdp tracepoints (as xdp-bench -e does):
 *   xdp:xdp_exception  — XDP_ABORTED, an action value that does not exist
 *                        (the kernel warns and drops it), and TX/REDIRECT
 *                        the driver could not carry out;
 *   xdp:xdp_redirect_err — a redirect that failed.
 * Both fire only on those paths, never for a frame that went well, so they
 * cost nothing on the fast path. `xdpb_prog_id` (set before load) picks the
 * program: other programs on this machine are not counted. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xdpb_trace.h"

const volatile __u32 xdpb_prog_id = 0;

/* include/trace/events/xdp.h, as /sys/kernel/tracing/events/xdp/<event>/format shows on 6.18. */
struct xdp_exception_args {
	__u64 common; /* common_type, flags, preempt_count, pid */
	int prog_id;
	__u32 act;
	int ifindex;
};

struct xdp_redirect_err_args {
	__u64 common;
	int prog_id;
	__u32 act;
	int ifindex;
	int err;
	int to_ifindex;
	__u32 map_id;
	int map_index;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPB_TRACE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} xdpb_exceptions SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&xdpb_exceptions, &slot);
	if (n)
		*n += 1;
}

SEC("tracepoint/xdp/xdp_exception")
int xdpb_on_xdp_exception(struct xdp_exception_args *ctx)
{
	if ((__u32)ctx->prog_id != xdpb_prog_id)
		return 0;
	count(ctx->act <= XDP_REDIRECT ? ctx->act : XDPB_TRACE_INVALID_ACTION);
	return 0;
}

SEC("tracepoint/xdp/xdp_redirect_err")
int xdpb_on_xdp_redirect_err(struct xdp_redirect_err_args *ctx)
{
	if ((__u32)ctx->prog_id == xdpb_prog_id)
		count(XDPB_TRACE_REDIRECT_ERR);
	return 0;
}

char _license[] SEC("license") = "GPL";
