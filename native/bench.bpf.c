// SPDX-License-Identifier: GPL-2.0
/* The DUT programs of the built-in scenarios. One object, five programs, one
 * stats map: the same compiled file is attached in every mode. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpb_stats.bpf.h"

/* Egress port of the redirect scenario: key 0 -> ifindex, set by the harness. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpb_redirect_port SEC(".maps");

const volatile __u32 xdpb_work = XDPB_WORK_NO_TOUCH;

static __always_inline void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* Returns XDP_ABORTED when the frame is too short for the requested work. */
static __always_inline int do_work(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (xdpb_work == XDPB_WORK_NO_TOUCH)
		return 0;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (xdpb_work == XDPB_WORK_READ_DATA) {
		volatile __u16 proto = eth->h_proto;
		(void)proto;
		return 0;
	}
	if (xdpb_work == XDPB_WORK_PARSE_IP) {
		if (eth->h_proto == bpf_htons(ETH_P_IP)) {
			struct iphdr *iph = (void *)(eth + 1);
			if ((void *)(iph + 1) > data_end)
				return XDP_ABORTED;
			volatile __u8 p = iph->protocol;
			(void)p;
		} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
			struct ipv6hdr *ip6h = (void *)(eth + 1);
			if ((void *)(ip6h + 1) > data_end)
				return XDP_ABORTED;
			volatile __u8 p = ip6h->nexthdr;
			(void)p;
		}
		return 0;
	}
	swap_macs(eth);
	return 0;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	int err = do_work(ctx);
	return xdpb_count(ctx, err ? err : XDP_DROP);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	int err = do_work(ctx);
	return xdpb_count(ctx, err ? err : XDP_PASS);
}

SEC("xdp")
int xdp_aborted(struct xdp_md *ctx)
{
	do_work(ctx);
	return xdpb_count(ctx, XDP_ABORTED);
}

/* Reflects the frame out of the interface it came in on (MACs swapped). */
SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return xdpb_count(ctx, XDP_ABORTED);
	swap_macs(eth);
	return xdpb_count(ctx, XDP_TX);
}

/* Forwards every frame to the egress port in xdpb_redirect_port[0]; a missing
 * entry makes the helper return XDP_ABORTED, which is counted as such. */
SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	int err = do_work(ctx);
	if (err)
		return xdpb_count(ctx, err);
	return xdpb_count(ctx, bpf_redirect_map(&xdpb_redirect_port, 0, 0));
}

char _license[] SEC("license") = "GPL";
