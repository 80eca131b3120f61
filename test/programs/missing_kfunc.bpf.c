// SPDX-License-Identifier: GPL-2.0
/* Calls a kfunc no kernel has (as xdp-flowtable calls bpf_xdp_flow_lookup,
 * which this kernel lacks): the load must say which kfunc is missing. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int xdpb_no_such_kfunc(struct xdp_md *ctx) __ksym;

SEC("xdp")
int needs_missing_kfunc(struct xdp_md *ctx)
{
	return xdpb_no_such_kfunc(ctx) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
