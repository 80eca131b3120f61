// SPDX-License-Identifier: GPL-2.0
/* The smallest program a device can take in offload mode: no maps (netdevsim,
 * like real offload NICs, offloads only plain ARRAY/HASH maps without flags,
 * so bench.bpf.o's per-CPU stats map and devmap cannot go). Compiled by
 * test/vm/offload.test.ts with clang -target bpf at test time. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
