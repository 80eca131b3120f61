// SPDX-License-Identifier: GPL-2.0
/* The latency scenario's programs: `xdp_reflect` on the DUT, `xdp_probe_sink`
 * on the generator side (see below).
 *
 * xdp_reflect is a UDP reflector. Every IPv4/UDP frame is
 * sent back out of the interface it came in on (XDP_TX) as the reply its
 * sender expects: MACs, IPv4 addresses and UDP ports swapped. Swapping
 * addresses and ports leaves the IPv4 header checksum and the UDP checksum
 * unchanged (both are one's-complement sums, order does not matter).
 *
 * Anything that is not IPv4/UDP goes to the stack (XDP_PASS); a frame too short
 * for the headers it announces is XDP_ABORTED. Both programs count in the same per-CPU
 * `xdpb_stats` layout as bench.bpf.c (native/xdpb_stats.h), so the sampler
 * reads it unchanged. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpb_stats.bpf.h"

/* Finds the UDP header of an IPv4/UDP frame. Anything else gets its action:
 * XDP_PASS for other protocols (to the stack), XDP_ABORTED when the frame is
 * shorter than the headers it announces. */
static __always_inline struct udphdr *udp_header(struct xdp_md *ctx, struct ethhdr **eth_out, struct iphdr **iph_out, __u32 *action)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct udphdr *udph;

	*action = XDP_ABORTED;
	if ((void *)(eth + 1) > data_end)
		return NULL;
	*action = XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	iph = (void *)(eth + 1);
	*action = XDP_ABORTED;
	if ((void *)(iph + 1) > data_end)
		return NULL;
	*action = XDP_PASS;
	if (iph->protocol != IPPROTO_UDP || iph->ihl < 5)
		return NULL;
	udph = (void *)iph + iph->ihl * 4;
	*action = XDP_ABORTED;
	if ((void *)(udph + 1) > data_end)
		return NULL;
	*eth_out = eth;
	*iph_out = iph;
	return udph;
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udph;
	unsigned char mac[ETH_ALEN];
	__be32 addr;
	__be16 port;
	__u32 action;

	udph = udp_header(ctx, &eth, &iph, &action);
	if (!udph)
		return xdpb_count(ctx, action);

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	addr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	port = udph->source;
	udph->source = udph->dest;
	udph->dest = port;
	return xdpb_count(ctx, XDP_TX);
}

/* First four UDP payload bytes of every probe of `xdpb-lat probe` (big endian). */
#define XDPB_PROBE_MAGIC 0x58445060

/* For the generator-side interface of the latency scenario. On veth, frames a
 * native XDP program sends back with XDP_TX reach the peer only when the peer
 * has an XDP program of its own: veth schedules the peer's NAPI after XDP_TX
 * only then (GRO alone leaves them in the peer's ring). This program is that
 * peer program: probe replies (UDP whose payload starts with the probe magic)
 * and anything that is not IPv4/UDP go on to the stack (XDP_PASS); everything
 * else, i.e. the reflected background load, is counted and dropped
 * (XDP_DROP), so it never loads the generator side's stack. */
SEC("xdp")
int xdp_probe_sink(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udph;
	__be32 *magic;
	__u32 action;

	udph = udp_header(ctx, &eth, &iph, &action);
	if (!udph)
		return xdpb_count(ctx, action);
	magic = (void *)(udph + 1);
	if ((void *)(magic + 1) > data_end)
		return xdpb_count(ctx, XDP_DROP);
	return xdpb_count(ctx, *magic == bpf_htonl(XDPB_PROBE_MAGIC) ? XDP_PASS : XDP_DROP);
}

char _license[] SEC("license") = "GPL";
