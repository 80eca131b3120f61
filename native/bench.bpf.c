// SPDX-License-Identifier: GPL-2.0
/* The DUT programs of the built-in scenarios. One object, one stats map: the
 * same compiled file is attached in every mode, offload included.
 *
 * Every action comes in one variant per work level (enum xdpb_work): the
 * no-touch variant keeps the plain name (xdp_drop), the others carry the
 * level as a suffix (xdp_drop__read_data, xdp_drop__parse_ip,
 * xdp_drop__swap_macs). The level is a compile-time constant, so each
 * variant's code is only its own path. There is deliberately no global data
 * (.rodata/.data/.bss): an offloaded program cannot reference any (offload
 * devices implement no direct map value access), and this object must load
 * unchanged on an offload device. xdp_tx always swaps MACs: it has no variants. */
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

static __always_inline void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* Returns XDP_ABORTED when the frame is too short for the requested work.
 * `work` is always a literal: the compiler keeps only that level's path. */
static __always_inline int do_work(struct xdp_md *ctx, const enum xdpb_work work)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (work == XDPB_WORK_NO_TOUCH)
		return 0;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (work == XDPB_WORK_READ_DATA) {
		volatile __u16 proto = eth->h_proto;
		(void)proto;
		return 0;
	}
	if (work == XDPB_WORK_PARSE_IP) {
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

static __always_inline int act_drop(struct xdp_md *ctx, const enum xdpb_work work)
{
	int err = do_work(ctx, work);
	return xdpb_count(ctx, err ? err : XDP_DROP);
}

static __always_inline int act_pass(struct xdp_md *ctx, const enum xdpb_work work)
{
	int err = do_work(ctx, work);
	return xdpb_count(ctx, err ? err : XDP_PASS);
}

static __always_inline int act_aborted(struct xdp_md *ctx, const enum xdpb_work work)
{
	do_work(ctx, work);
	return xdpb_count(ctx, XDP_ABORTED);
}

/* Forwards every frame to the egress port in xdpb_redirect_port[0]; a missing
 * entry makes the helper return XDP_ABORTED, which is counted as such. */
static __always_inline int act_redirect(struct xdp_md *ctx, const enum xdpb_work work)
{
	int err = do_work(ctx, work);
	if (err)
		return xdpb_count(ctx, err);
	return xdpb_count(ctx, bpf_redirect_map(&xdpb_redirect_port, 0, 0));
}

/* xdp_<action><suffix>: the suffix names the work level (harness/plan/work-variants.ts). */
#define XDPB_VARIANT(action, suffix, work)                   \
	SEC("xdp")                                           \
	int xdp_##action##suffix(struct xdp_md *ctx)         \
	{                                                    \
		return act_##action(ctx, work);              \
	}

#define XDPB_ALL_WORK(action)                                         \
	XDPB_VARIANT(action, , XDPB_WORK_NO_TOUCH)                    \
	XDPB_VARIANT(action, __read_data, XDPB_WORK_READ_DATA)        \
	XDPB_VARIANT(action, __parse_ip, XDPB_WORK_PARSE_IP)          \
	XDPB_VARIANT(action, __swap_macs, XDPB_WORK_SWAP_MACS)

XDPB_ALL_WORK(drop)
XDPB_ALL_WORK(pass)
XDPB_ALL_WORK(aborted)

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

XDPB_ALL_WORK(redirect)

char _license[] SEC("license") = "GPL";
