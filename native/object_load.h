/* Opening and loading a BPF object the way the scenario asks: map sizes,
 * untyped programs loaded as XDP, one program only, `const volatile` knobs,
 * and offload binding. Used by load/attach (cmd_prog.c), gen and sample's trace source. */
#ifndef XDPB_OBJECT_LOAD_H
#define XDPB_OBJECT_LOAD_H
#include <stdbool.h>
#include <bpf/libbpf.h>

#include "args.h"

struct load_opts {
	const char *obj;
	const char *prog_name;      /* only this program is loaded (NULL: all) */
	const char *as_xdp;         /* load this untyped program as XDP */
	struct opt_list map_sizes;  /* MAP=N */
	struct opt_list knobs;      /* VAR=VAL into .rodata */
	long long offload_max_entries; /* offload: cap every map's max_entries (0: no cap) */
};

/* What a load found in its pin dir before it ran, so that undoing it removes
 * only what it made: libbpf pins LIBBPF_PIN_BY_NAME maps (and creates the
 * dir) during the load, and reuses a by-name pin that was already there. */
enum { PIN_NOT_BY_NAME, PIN_BY_NAME_NEW, PIN_BY_NAME_REUSED };

struct pin_undo {
	bool dir_existed;
	int nmaps;
	unsigned char *by_name; /* per map, in object order: PIN_NOT_BY_NAME, PIN_BY_NAME_NEW or _REUSED */
};

/* Sets a `const volatile` global in .rodata before load: "NAME=VALUE". 0 or -errno. */
int set_rodata(struct bpf_object *obj, const char *assign);

/* Opens o->obj with maps pinned by name (LIBBPF_PIN_BY_NAME) under pin_root
 * (NULL: such maps are not pinned at all, never at the root of /sys/fs/bpf),
 * applies the options, optionally binds every program to an offload device
 * (offload_ifindex), records in undo (may be NULL) what the pin dir held, and
 * loads it. NULL with *status set (the failure printed) when it cannot. */
struct bpf_object *open_and_load(const struct load_opts *o, int offload_ifindex, const char *pin_root,
				 struct pin_undo *undo, int *status);

#endif
