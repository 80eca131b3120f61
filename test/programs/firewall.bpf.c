// SPDX-License-Identifier: GPL-2.0
/* A small firewall, written the way a user would, for the bring-your-own-
 * program tests: drops UDP to any destination port listed in the
 * `blocked_ports` hash map, passes everything else. No xdp bench headers. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);   /* destination port, host byte order */
	__type(value, __u8);  /* 1 = blocked */
} blocked_ports SEC(".maps");

SEC("xdp")
int udp_port_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct udphdr *udph;
	__u16 port;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->protocol != IPPROTO_UDP || iph->ihl != 5)
		return XDP_PASS;
	udph = (void *)(iph + 1);
	if ((void *)(udph + 1) > data_end)
		return XDP_PASS;
	port = bpf_ntohs(udph->dest);
	if (bpf_map_lookup_elem(&blocked_ports, &port))
		return XDP_DROP;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
