// SPDX-License-Identifier: GPL-2.0
/* An XDP program in SEC("prog"), a section name libbpf cannot type (the
 * iproute2 convention many real programs still use): ip(8) loads it as XDP. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("prog")
int legacy_prog(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
