/* BPF side of xdpb_stats.h: the per-CPU action counter map every xdp bench
 * program carries, and the helper that counts a frame under its action. */
#ifndef XDPB_STATS_BPF_H
#define XDPB_STATS_BPF_H
#include "xdpb_stats.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPB_ACTION_COUNT);
	__type(key, __u32);
	__type(value, struct xdpb_action_stats);
} xdpb_stats SEC(".maps");

static __always_inline int xdpb_count(struct xdp_md *ctx, __u32 action)
{
	struct xdpb_action_stats *rec = bpf_map_lookup_elem(&xdpb_stats, &action);

	if (rec) {
		/* Per-CPU slot: no other CPU writes it, plain adds are exact. */
		rec->packets++;
		rec->bytes += ctx->data_end - ctx->data;
	}
	return action;
}

#endif
