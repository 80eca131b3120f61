// SPDX-License-Identifier: GPL-2.0
/* The object loader of object_load.h. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "object_load.h"
#include "xdpb_util.h"

/* "x=abc" is not 0, "x=300" does not fit a u8: the whole value or nothing. */
static int parse_knob_value(const char *s, long long *sval, unsigned long long *val)
{
	char *end;
	errno = 0;
	if (s[0] == '-') {
		if (parse_ll(s, sval))
			return -EINVAL;
		*val = (unsigned long long)*sval;
		return 0;
	}
	*val = strtoull(s, &end, 0);
	if (!s[0] || *end || errno || isspace((unsigned char)s[0]) || s[0] == '+')
		return -EINVAL;
	return 0;
}

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *map, *ro = NULL;
	bpf_object__for_each_map(map, obj) {
		const char *n = bpf_map__name(map);
		size_t l = strlen(n);
		if (l >= 7 && !strcmp(n + l - 7, ".rodata"))
			ro = map;
	}
	return ro;
}

int set_rodata(struct bpf_object *obj, const char *assign)
{
	char name[128];
	const char *eq = strchr(assign, '=');

	if (!eq || (size_t)(eq - assign) >= sizeof(name))
		return -EINVAL;
	memcpy(name, assign, eq - assign);
	name[eq - assign] = 0;
	long long sval = 0;
	unsigned long long val;
	if (parse_knob_value(eq + 1, &sval, &val))
		return -EINVAL;

	struct bpf_map *ro = rodata_map(obj);
	struct btf *btf = bpf_object__btf(obj);
	if (!ro || !btf)
		return -ENOENT;
	int sec_id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (sec_id < 0)
		return -ENOENT;
	const struct btf_type *sec = btf__type_by_id(btf, sec_id);
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	size_t size;
	char *data = (char *)bpf_map__initial_value(ro, &size);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if (!data || vs->offset + vs->size > size)
			return -EINVAL;
		if (vs->size < 8 && (eq[1] == '-' ? sval < -(1LL << (8 * vs->size - 1)) : val >> (8 * vs->size)))
			return -ERANGE;
		switch (vs->size) {
		case 1: { __u8 v = (__u8)val; memcpy(data + vs->offset, &v, 1); break; }
		case 2: { __u16 v = (__u16)val; memcpy(data + vs->offset, &v, 2); break; }
		case 4: { __u32 v = (__u32)val; memcpy(data + vs->offset, &v, 4); break; }
		case 8: { __u64 v = (__u64)val; memcpy(data + vs->offset, &v, 8); break; }
		default: return -EINVAL;
		}
		return 0;
	}
	return -ENOENT;
}

/* --map-size MAP=N: the size a loader gives a map declared with max_entries 0
 * (xdp-bench's objects), or any other size the scenario asks for. */
static int apply_map_sizes(struct bpf_object *obj, const struct load_opts *o)
{
	for (int i = 0; i < o->map_sizes.n; i++) {
		char name[128], *end;
		const char *spec = o->map_sizes.v[i], *eq = strchr(spec, '=');
		if (!eq || (size_t)(eq - spec) >= sizeof(name))
			return fail("map-size", EINVAL, spec);
		memcpy(name, spec, eq - spec);
		name[eq - spec] = 0;
		unsigned long long n = strtoull(eq + 1, &end, 0);
		if (*end || !n || n > UINT32_MAX)
			return fail("map-size", EINVAL, spec);
		struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
		if (!m)
			return fail("map-size", ENOENT, name);
		int err = bpf_map__set_max_entries(m, (__u32)n);
		if (err)
			return fail("map-size", -err, spec);
	}
	return 0;
}

/* --as-xdp PROG: a program in a section libbpf cannot type (SEC("prog"),
 * SEC("xdp_prog"), SEC("xdp/guard"), ...) is loaded as XDP, as ip(8) and
 * libxdp do; "xdp.frags..." sections say the program handles multi-buffer
 * frames. Other untyped programs are not loaded (libbpf cannot load them). */
static int apply_as_xdp(struct bpf_object *obj, const char *as_xdp)
{
	struct bpf_program *p;
	bool found = false;
	if (!as_xdp)
		return 0;
	bpf_object__for_each_program(p, obj) {
		if (!strcmp(bpf_program__name(p), as_xdp)) {
			int err = bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
			if (!err)
				err = bpf_program__set_expected_attach_type(p, BPF_XDP);
			const char *sec = bpf_program__section_name(p);
			if (!err && (!strcmp(sec, "xdp.frags") || !strncmp(sec, "xdp.frags/", 10)))
				err = bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_XDP_HAS_FRAGS);
			if (err)
				return fail("as-xdp", -err, as_xdp);
			found = true;
		} else if (bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC) {
			bpf_program__set_autoload(p, false);
		}
	}
	if (!found)
		return fail("as-xdp", ENOENT, as_xdp);
	return 0;
}

/* --prog-name N: only that program is loaded, as ip(8) loads one section:
 * an object's other programs (xdp-bench's tp_btf counters, which this
 * kernel cannot load; an offload device's one program) are left out. */
static int load_only(struct bpf_object *obj, const char *prog_name)
{
	struct bpf_program *p;
	bool found = false;
	if (!prog_name)
		return 0;
	bpf_object__for_each_program(p, obj) {
		if (strcmp(bpf_program__name(p), prog_name))
			bpf_program__set_autoload(p, false);
		else
			found = true;
	}
	return found ? 0 : fail("find-program", ENOENT, prog_name);
}

static int apply_knobs(struct bpf_object *obj, const struct load_opts *o)
{
	for (int i = 0; i < o->knobs.n; i++) {
		int err = set_rodata(obj, o->knobs.v[i]);
		if (err)
			return fail("set-knob", -err, o->knobs.v[i]);
	}
	return 0;
}

/* Offload devices take only plain array/hash maps (netdevsim, nfp): load
 * just the program asked for, its per-CPU counters as a plain array (the
 * device has no CPUs of ours), and skip maps only other programs use
 * (devmaps). The object file stays the same. */
static void bind_to_offload_device(struct bpf_object *obj, int ifindex, long long max_entries)
{
	struct bpf_program *p;
	struct bpf_map *m;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_ifindex(p, ifindex);
	bpf_object__for_each_map(m, obj) {
		enum bpf_map_type t = bpf_map__type(m);
		if (t == BPF_MAP_TYPE_PERCPU_ARRAY)
			bpf_map__set_type(m, BPF_MAP_TYPE_ARRAY);
		else if (t == BPF_MAP_TYPE_PERCPU_HASH)
			bpf_map__set_type(m, BPF_MAP_TYPE_HASH);
		else if (t == BPF_MAP_TYPE_DEVMAP || t == BPF_MAP_TYPE_DEVMAP_HASH || t == BPF_MAP_TYPE_CPUMAP)
			bpf_map__set_autocreate(m, false);
		/* A device's own map size limit (netdevsim: 2 entries). Only
		 * the maps shrink; the program's instructions stay the same. */
		if (max_entries > 0 && bpf_map__max_entries(m) > (__u32)max_entries)
			bpf_map__set_max_entries(m, (__u32)max_entries);
		bpf_map__set_ifindex(m, ifindex);
	}
}

static int record_pins(struct bpf_object *obj, struct pin_undo *undo, const char *path)
{
	struct bpf_map *m;
	int n = 0;
	bpf_object__for_each_map(m, obj)
		n++;
	undo->by_name = calloc(n ? n : 1, 1);
	if (!undo->by_name)
		return fail("load-object", ENOMEM, path);
	undo->nmaps = n;
	n = 0;
	bpf_object__for_each_map(m, obj) {
		const char *pp = bpf_map__pin_path(m);
		undo->by_name[n++] = !pp ? PIN_NOT_BY_NAME : access(pp, F_OK) ? PIN_BY_NAME_NEW : PIN_BY_NAME_REUSED;
	}
	return 0;
}

struct bpf_object *open_and_load(const struct load_opts *o, int offload_ifindex, const char *pin_root,
				 struct pin_undo *undo, int *status)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_root);
	struct bpf_object *obj = bpf_object__open_file(o->obj, &oo);
	long e = libbpf_get_error(obj);
	if (e) {
		*status = fail("open-object", (int)-e, o->obj);
		return NULL;
	}
	struct bpf_map *pm;
	if (!pin_root)
		bpf_object__for_each_map(pm, obj)
			bpf_map__set_pin_path(pm, NULL);
	if ((*status = apply_map_sizes(obj, o)) || (*status = apply_as_xdp(obj, o->as_xdp)) ||
	    (*status = load_only(obj, o->prog_name)) || (*status = apply_knobs(obj, o)))
		goto fail;
	if (offload_ifindex)
		bind_to_offload_device(obj, offload_ifindex, o->offload_max_entries);
	if (undo && (*status = record_pins(obj, undo, o->obj)))
		goto fail;
	int err = bpf_object__load(obj);
	if (err) {
		/* libbpf unpins the by-name maps it pinned; the dir it made stays */
		*status = fail("load-object", -err, o->obj);
		goto fail;
	}
	return obj;
fail:
	bpf_object__close(obj);
	return NULL;
}
