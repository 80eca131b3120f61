// SPDX-License-Identifier: GPL-2.0
/* Prints a line to the trace buffer for every packet, then drops it: a
 * per-packet bpf_trace_printk that distorts any throughput figure. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int drop_with_printk(struct xdp_md *ctx)
{
	bpf_printk("xdpb test: frame of %u bytes", (unsigned int)(ctx->data_end - ctx->data));
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
