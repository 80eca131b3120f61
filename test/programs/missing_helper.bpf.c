// SPDX-License-Identifier: GPL-2.0
/* Calls a helper id no kernel has (as an object built for a newer kernel
 * calls one this kernel lacks): the load must name the helper. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long (*xdpb_no_such_helper)(void) = (void *)9999;

SEC("xdp")
int calls_unknown_helper(struct xdp_md *ctx)
{
	return xdpb_no_such_helper() ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
