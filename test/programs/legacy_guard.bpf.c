// SPDX-License-Identifier: GPL-2.0
/* Two XDP programs in sections libbpf cannot type, picked by --section:
 * "xdp/guard" (plain XDP) and "xdp.frags/guard" (XDP that takes
 * multi-buffer frames: loaded with BPF_F_XDP_HAS_FRAGS). Both pass. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp/guard")
int guard_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp.frags/guard")
int guard_frags_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
