// SPDX-License-Identifier: GPL-2.0
/* Fails the verifier on purpose: reads the packet without a bounds check. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int reads_past_the_end(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[20] == 0x11 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
