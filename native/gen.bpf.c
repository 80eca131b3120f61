// SPDX-License-Identifier: GPL-2.0
/* The live-frame generator's program, run by BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES: each run sends the frame out of the ingress
 * interface with XDP_TX. With more than one flow it rewrites the UDP source
 * port per frame (the page is recycled, so the rewrite must happen each time). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpb_stats.bpf.h"

const volatile __u32 xdpb_flows = 1;
const volatile __u16 xdpb_src_port_base = 9;
/* Per-CPU rate cap in frames per second (0: unlimited). Over the cap the
 * frame is not sent (XDP_DROP, counted as such), so the TX count is exact. */
const volatile __u64 xdpb_rate_pps_per_cpu = 0;

struct token_bucket {
	__u64 last_ns;
	__u64 credit_nanoframes; /* frames x 1e9, to stay in integers */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct token_bucket);
} xdpb_rate_state SEC(".maps");

static __always_inline int rate_allows(void)
{
	__u32 key = 0;
	struct token_bucket *tb;
	__u64 now, burst = 64 * 1000000000ULL;

	if (!xdpb_rate_pps_per_cpu)
		return 1;
	tb = bpf_map_lookup_elem(&xdpb_rate_state, &key);
	if (!tb)
		return 0;
	now = bpf_ktime_get_ns();
	if (tb->last_ns)
		tb->credit_nanoframes += (now - tb->last_ns) * xdpb_rate_pps_per_cpu;
	tb->last_ns = now;
	if (tb->credit_nanoframes > burst)
		tb->credit_nanoframes = burst;
	if (tb->credit_nanoframes < 1000000000ULL)
		return 0;
	tb->credit_nanoframes -= 1000000000ULL;
	return 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpb_flow_cursor SEC(".maps");

SEC("xdp")
int xdp_gen_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = 0, action = XDP_TX;

	if (!rate_allows()) {
		action = XDP_DROP;
	} else if (xdpb_flows > 1) {
		struct ethhdr *eth = data;
		struct iphdr *iph = (void *)(eth + 1);
		struct udphdr *udph = (void *)(iph + 1);
		__u32 *cursor = bpf_map_lookup_elem(&xdpb_flow_cursor, &key);

		if ((void *)(udph + 1) > data_end || !cursor) {
			action = XDP_ABORTED;
		} else {
			udph->source = bpf_htons(xdpb_src_port_base + *cursor);
			udph->check = 0; /* IPv4 UDP: checksum optional */
			*cursor = *cursor + 1 >= xdpb_flows ? 0 : *cursor + 1;
		}
	}
	return xdpb_count(ctx, action);
}

char _license[] SEC("license") = "GPL";
