// SPDX-License-Identifier: GPL-2.0
/* Maps declared with max_entries 0, as xdp-bench's objects do (their loader
 * sizes them before load): a per-CPU counter array and a hash. Drops all. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
} rx_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
} seen_flows SEC(".maps");

SEC("xdp")
int drop_unsized(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&rx_cnt, &key);
	if (n)
		*n += 1;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
