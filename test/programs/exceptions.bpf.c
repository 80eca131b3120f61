// SPDX-License-Identifier: GPL-2.0
/* Programs whose frames end in the kernel's XDP exception path
 * (trace_xdp_exception): one returns XDP_ABORTED, one returns an action
 * value that does not exist (the kernel warns and drops the frame). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int returns_aborted(struct xdp_md *ctx)
{
	return XDP_ABORTED;
}

SEC("xdp")
int returns_invalid_action(struct xdp_md *ctx)
{
	return 7; /* not an XDP action: bpf_warn_invalid_xdp_action, then dropped */
}

char _license[] SEC("license") = "GPL";
