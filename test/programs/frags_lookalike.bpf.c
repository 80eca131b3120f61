// SPDX-License-Identifier: GPL-2.0
/* A section that starts like "xdp.frags" but is not it ("xdp.fragsX"):
 * libbpf cannot type it, so it loads as XDP, without frags. Passes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.fragsX")
int lookalike_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
