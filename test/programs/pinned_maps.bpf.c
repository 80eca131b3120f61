// SPDX-License-Identifier: GPL-2.0
/* Maps pinned by name, as xdp-filter declares them (LIBBPF_PIN_BY_NAME):
 * libbpf pins them under its pin root at load. Counts frames per action in a
 * pinned per-CPU array and drops everything. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpb_test_stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpb_test_filter_ports SEC(".maps");

SEC("xdp")
int drop_counted_pinned(struct xdp_md *ctx)
{
	__u32 key = XDP_DROP;
	__u64 *n = bpf_map_lookup_elem(&xdpb_test_stats_map, &key);
	if (n)
		*n += 1;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
