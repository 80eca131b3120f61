// SPDX-License-Identifier: GPL-2.0
/* xdpb: the small libbpf helper of xdp bench.
 *
 * One binary, one subcommand per job; every answer is one JSON object on
 * stdout (`sample` prints one per line). Errors carry errno, strerror and the
 * kernel's own message (netlink extack or verifier log) when there is one.
 *
 *   load     --obj F --pin-dir D [--set VAR=VAL]... [--map-size MAP=N]... [--as-xdp PROG] [--prog-name N]
 *            (programs with id and tag; maps, pinned-by-name ones under D; --prog-name: only that program)
 *   attach   (--prog PIN | --obj F --prog-name N [--pin-dir D]) --netns NS --dev IF --mode M
 *            [--offload-max-entries N]   (offload only: caps every map's max_entries at N)
 *            answers ifindex, progId, progTag
 *   prog-info --id N                                         (name, tag, offload device)
 *   detach   --netns NS --dev IF --mode native|generic|offload
 *   query    --netns NS --dev IF
 *   devmap-set --map PIN --key K --netns NS --dev IF   (slot K -> IF, resolved inside NS)
 *   sample   --interval-ms N [--max-samples N] [--stats LABEL=PIN]... [--dev-stats LABEL=NS/IF]...
 *            [--snmp LABEL=NS] [--trace-obj trace.bpf.o --trace-prog-id ID]
 *            (a source that cannot be opened fails; a device gone later is "link":null
 *            with "error": see the sampling section; --trace-*: exceptions and redirect
 *            errors of program ID, from the xdp tracepoints)
 *   gen      --obj F --netns NS --dev IF --frame-hex HEX --duration-ms D
 *            [--cpus 0,1] [--rate-pps R] [--flows N] [--batch N]
 *   exec     --netns NS [--cpu N] -- PROGRAM ARGS...
 *   inspect  --obj F                   (programs with helper ids, maps, BTF; nothing loaded)
 *   map-update --map PIN --key-hex HEX --value-hex HEX
 *   guard    --pin-dir D --guard-dev IF... --idle-timeout-ms N [--kill-matching S]...
 *            (a lab host's cleanup when the controller goes away: see cmd_guard)
 *
 * Devices live in network namespaces (/run/netns/NS); the helper enters them
 * with setns() itself, so bpffs stays visible (ip netns exec remounts /sys).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "xdpb_stats.h"
#include "xdpb_trace.h"
#include "xdpb_util.h"

#define EXIT_USAGE 2

static int usage(const char *msg)
{
	fprintf(stderr, "xdpb: %s (see the header of native/xdpb.c for the subcommands)\n", msg);
	return EXIT_USAGE;
}

/* ---- argument helpers ---- */
/* Repeated options (--set, --stats, ...) are lists as long as the command
 * line: no fixed cap to overflow or to drop options at. */
struct args {
	const char **guard_devs, **kills;
	int nguard_devs, nkills;
	long long idle_timeout_ms;
	const char *obj, *pin_dir, *prog, *prog_name, *netns, *dev, *mode, *map, *frame_hex, *cpus, *key_hex, *value_hex;
	const char **sets; /* room for 2 more: gen appends its own knobs */
	int nsets;
	const char **stats;
	int nstats;
	const char **devs;
	int ndevs;
	const char **snmps;
	int nsnmps;
	const char **map_sizes;
	int nmap_sizes;
	const char *as_xdp, *trace_obj;
	long long trace_prog_id;
	long long key, interval_ms, max_samples, duration_ms, rate_pps, flows, batch, cpu, offload_max_entries, id;
	char **rest;
};

/* The lists' storage: one block, released at exit. */
static const char **arg_lists;
static void free_arg_lists(void) { free(arg_lists); }

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->key = -1;
	a->interval_ms = 250;
	a->flows = 1;
	a->batch = 64;
	a->cpu = -1;
	size_t per_list = (size_t)argc / 2 + 3;
	arg_lists = calloc(7 * per_list, sizeof(*arg_lists));
	if (!arg_lists || atexit(free_arg_lists)) {
		fprintf(stderr, "xdpb: out of memory\n");
		return EXIT_FAIL;
	}
	a->guard_devs = arg_lists;
	a->kills = arg_lists + per_list;
	a->sets = arg_lists + 2 * per_list;
	a->stats = arg_lists + 3 * per_list;
	a->devs = arg_lists + 4 * per_list;
	a->snmps = arg_lists + 5 * per_list;
	a->map_sizes = arg_lists + 6 * per_list;
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i];
		if (!strcmp(k, "--")) {
			a->rest = &argv[i + 1];
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "xdpb: option %s without a value\n", k);
			return EXIT_USAGE;
		}
		const char *v = argv[++i];
#define STR(name, field) if (!strcmp(k, name)) { a->field = v; continue; }
#define NUM(name, field) if (!strcmp(k, name)) { if (parse_ll(v, &a->field)) { \
		fprintf(stderr, "xdpb: %s takes an integer, got '%s'\n", k, v); return EXIT_USAGE; } continue; }
#define LIST(name, field, n) if (!strcmp(k, name)) { a->field[a->n++] = v; continue; }
		STR("--obj", obj) STR("--pin-dir", pin_dir) STR("--prog", prog) STR("--prog-name", prog_name)
		STR("--netns", netns) STR("--dev", dev) STR("--mode", mode) STR("--map", map)
		STR("--frame-hex", frame_hex) STR("--cpus", cpus) STR("--key-hex", key_hex) STR("--value-hex", value_hex)
		STR("--as-xdp", as_xdp) STR("--trace-obj", trace_obj) NUM("--trace-prog-id", trace_prog_id)
		NUM("--key", key) NUM("--interval-ms", interval_ms)
		NUM("--max-samples", max_samples) NUM("--duration-ms", duration_ms) NUM("--rate-pps", rate_pps)
		NUM("--flows", flows) NUM("--batch", batch) NUM("--cpu", cpu)
		NUM("--offload-max-entries", offload_max_entries) NUM("--id", id)
		NUM("--idle-timeout-ms", idle_timeout_ms)
		LIST("--set", sets, nsets) LIST("--stats", stats, nstats) LIST("--dev-stats", devs, ndevs)
		LIST("--snmp", snmps, nsnmps) LIST("--guard-dev", guard_devs, nguard_devs) LIST("--kill-matching", kills, nkills)
		LIST("--map-size", map_sizes, nmap_sizes)
#undef STR
#undef NUM
#undef LIST
		fprintf(stderr, "xdpb: unknown option %s\n", k);
		return EXIT_USAGE;
	}
	return 0;
}


static int resolve_dev(const char *netns, const char *dev, int *ifindex)
{
	int err = enter_netns(netns);
	if (err)
		return fail("enter-netns", -err, netns);
	*ifindex = (int)if_nametoindex(dev);
	if (!*ifindex)
		return fail("resolve-device", errno, dev);
	return 0;
}

static int mode_flag(const char *mode, __u32 *flag)
{
	if (!mode)
		return -1;
	if (!strcmp(mode, "native"))
		*flag = XDP_FLAGS_DRV_MODE;
	else if (!strcmp(mode, "generic"))
		*flag = XDP_FLAGS_SKB_MODE;
	else if (!strcmp(mode, "offload"))
		*flag = XDP_FLAGS_HW_MODE;
	else
		return -1;
	return 0;
}

/* Sets a `const volatile` global in .rodata before load: "NAME=VALUE". */
static int set_rodata(struct bpf_object *obj, const char *assign)
{
	char name[128];
	const char *eq = strchr(assign, '=');
	struct bpf_map *map, *ro = NULL;

	if (!eq || (size_t)(eq - assign) >= sizeof(name))
		return -EINVAL;
	memcpy(name, assign, eq - assign);
	name[eq - assign] = 0;
	/* The whole value or nothing: "x=abc" is not 0, "x=300" does not fit a u8. */
	long long sval = 0;
	unsigned long long val;
	char *end;
	errno = 0;
	if (eq[1] == '-') {
		if (parse_ll(eq + 1, &sval))
			return -EINVAL;
		val = (unsigned long long)sval;
	} else {
		val = strtoull(eq + 1, &end, 0);
		if (!eq[1] || *end || errno || isspace((unsigned char)eq[1]) || eq[1] == '+')
			return -EINVAL;
	}

	bpf_object__for_each_map(map, obj) {
		const char *n = bpf_map__name(map);
		size_t l = strlen(n);
		if (l >= 7 && !strcmp(n + l - 7, ".rodata"))
			ro = map;
	}
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
static int apply_map_sizes(struct bpf_object *obj, const struct args *a)
{
	for (int i = 0; i < a->nmap_sizes; i++) {
		char name[128], *end;
		const char *spec = a->map_sizes[i], *eq = strchr(spec, '=');
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
static int apply_as_xdp(struct bpf_object *obj, const struct args *a)
{
	struct bpf_program *p;
	bool found = false;
	bpf_object__for_each_program(p, obj) {
		if (a->as_xdp && !strcmp(bpf_program__name(p), a->as_xdp)) {
			int err = bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
			if (!err)
				err = bpf_program__set_expected_attach_type(p, BPF_XDP);
			const char *sec = bpf_program__section_name(p);
			if (!err && (!strcmp(sec, "xdp.frags") || !strncmp(sec, "xdp.frags/", 10)))
				err = bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_XDP_HAS_FRAGS);
			if (err)
				return fail("as-xdp", -err, a->as_xdp);
			found = true;
		} else if (a->as_xdp && bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC) {
			bpf_program__set_autoload(p, false);
		}
	}
	if (a->as_xdp && !found)
		return fail("as-xdp", ENOENT, a->as_xdp);
	return 0;
}

/* What a load found in its pin dir before it ran, so that undoing it removes
 * only what it made: libbpf pins LIBBPF_PIN_BY_NAME maps (and creates the
 * dir) during the load, and reuses a by-name pin that was already there. */
enum { PIN_NOT_BY_NAME, PIN_BY_NAME_NEW, PIN_BY_NAME_REUSED };

struct pin_undo {
	bool dir_existed;
	int nmaps;
	unsigned char *by_name; /* per map, in object order: PIN_NOT_BY_NAME, PIN_BY_NAME_NEW or _REUSED */
};

/* Opens F with maps pinned by name (LIBBPF_PIN_BY_NAME) under pin_root
 * (NULL: such maps are not pinned at all, never at the root of /sys/fs/bpf),
 * applies --set knobs, map sizes and --as-xdp, optionally binds every program
 * to an offload device, and loads it. */
static struct bpf_object *open_and_load(const struct args *a, int offload_ifindex, const char *pin_root,
					struct pin_undo *undo, int *status)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_root);
	struct bpf_object *obj = bpf_object__open_file(a->obj, &oo);
	long e = libbpf_get_error(obj);
	if (e) {
		*status = fail("open-object", (int)-e, a->obj);
		return NULL;
	}
	struct bpf_map *pm;
	if (!pin_root)
		bpf_object__for_each_map(pm, obj)
			bpf_map__set_pin_path(pm, NULL);
	if ((*status = apply_map_sizes(obj, a)) || (*status = apply_as_xdp(obj, a))) {
		bpf_object__close(obj);
		return NULL;
	}
	/* --prog-name N: only that program is loaded, as ip(8) loads one section:
	 * an object's other programs (xdp-bench's tp_btf counters, which this
	 * kernel cannot load; an offload device's one program) are left out. */
	struct bpf_program *only;
	bool found_only = false;
	bpf_object__for_each_program(only, obj) {
		if (a->prog_name && strcmp(bpf_program__name(only), a->prog_name))
			bpf_program__set_autoload(only, false);
		else if (a->prog_name)
			found_only = true;
	}
	if (a->prog_name && !found_only) {
		*status = fail("find-program", ENOENT, a->prog_name);
		bpf_object__close(obj);
		return NULL;
	}
	for (int i = 0; i < a->nsets; i++) {
		int err = set_rodata(obj, a->sets[i]);
		if (err) {
			*status = fail("set-knob", -err, a->sets[i]);
			bpf_object__close(obj);
			return NULL;
		}
	}
	if (offload_ifindex) {
		/* Offload devices take only plain array/hash maps (netdevsim, nfp):
		 * load just the program asked for, its per-CPU counters as a plain
		 * array (the device has no CPUs of ours), and skip maps only other
		 * programs use (devmaps). The object file stays the same. */
		struct bpf_program *p;
		struct bpf_map *m;
		bpf_object__for_each_program(p, obj)
			bpf_program__set_ifindex(p, offload_ifindex);
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
			if (a->offload_max_entries > 0 && bpf_map__max_entries(m) > (__u32)a->offload_max_entries)
				bpf_map__set_max_entries(m, (__u32)a->offload_max_entries);
			bpf_map__set_ifindex(m, offload_ifindex);
		}
	}
	if (undo) {
		struct bpf_map *m;
		int n = 0;
		bpf_object__for_each_map(m, obj)
			n++;
		undo->by_name = calloc(n ? n : 1, 1);
		if (!undo->by_name) {
			*status = fail("load-object", ENOMEM, a->obj);
			bpf_object__close(obj);
			return NULL;
		}
		undo->nmaps = n;
		n = 0;
		bpf_object__for_each_map(m, obj) {
			const char *pp = bpf_map__pin_path(m);
			undo->by_name[n++] = !pp ? PIN_NOT_BY_NAME : access(pp, F_OK) ? PIN_BY_NAME_NEW : PIN_BY_NAME_REUSED;
		}
	}
	int err = bpf_object__load(obj);
	if (err) {
		/* libbpf unpins the by-name maps it pinned; the dir it made stays */
		*status = fail("load-object", -err, a->obj);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

/* The kernel's program tag (bpf_prog_info.tag): a hash of the instructions
 * with map references zeroed, so the same program has the same tag in every
 * load, native, generic or offloaded. */
static void tag_hex(const struct bpf_prog_info *info, char out[BPF_TAG_SIZE * 2 + 1])
{
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		sprintf(out + 2 * i, "%02x", info->tag[i]);
}

/* Undoes the first nprogs/nmaps pins of pin_all (in its order), the by-name
 * pins the load made, and DIR if the load made it: a failed load leaves nothing
 * behind, and never removes pins it did not make. obj NULL: only DIR. */
static void unpin_first(struct bpf_object *obj, const char *dir, const struct pin_undo *undo, int nprogs, int nmaps)
{
	char path[PATH_MAX];
	struct bpf_program *p;
	struct bpf_map *m;
	int i = 0;

	if (obj)
		bpf_object__for_each_program(p, obj) {
			if (nprogs <= 0)
				break;
			if (bpf_program__fd(p) < 0)
				continue;
			if (!format_path(path, sizeof(path), "%s/prog_%s", dir, bpf_program__name(p)))
				unlink(path);
			nprogs--;
		}
	if (obj)
		bpf_object__for_each_map(m, obj) {
			int by_name = i < undo->nmaps ? undo->by_name[i] : PIN_BY_NAME_REUSED; /* unknown: keep */
			i++;
			if (strchr(bpf_map__name(m), '.') || bpf_map__fd(m) < 0)
				continue;
			if (by_name == PIN_BY_NAME_NEW) {
				bpf_map__unpin(m, NULL);
			} else if (by_name == PIN_NOT_BY_NAME && nmaps > 0) {
				if (!format_path(path, sizeof(path), "%s/map_%s", dir, bpf_map__name(m)))
					unlink(path);
				nmaps--;
			}
		}
	if (!undo->dir_existed)
		rmdir(dir);
}

/* Pins every program and map under DIR; prints the load answer to `out` (NULL: silent). */
static int pin_all(struct bpf_object *obj, const char *dir, const struct pin_undo *undo, FILE *out)
{
	char path[PATH_MAX]; /* the kernel's limit; longer is refused (ENAMETOOLONG), never cut */
	struct bpf_program *p;
	struct bpf_map *m;
	int err, status, nprogs = 0, nmaps = 0;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		status = fail("pin", errno, dir);
		unpin_first(obj, dir, undo, 0, 0);
		return status;
	}
	/* The answer is built in memory: a failure half-way prints only the failure. */
	char *buf = NULL;
	size_t buf_len = 0;
	FILE *o = open_memstream(&buf, &buf_len);
	if (!o) {
		status = fail("pin", errno, dir);
		goto undo;
	}
	fprintf(o, "{\"ok\":true,\"programs\":[");
	bool first = true;
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		char tag[BPF_TAG_SIZE * 2 + 1];
		if (bpf_program__fd(p) < 0)
			continue; /* not loaded (an offload load takes one program) */
		if ((err = format_path(path, sizeof(path), "%s/prog_%s", dir, bpf_program__name(p))) ||
		    (err = bpf_program__pin(p, path))) {
			status = fail("pin-program", -err, path);
			goto undo;
		}
		nprogs++;
		bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len);
		tag_hex(&info, tag);
		fprintf(o, "%s{\"name\":", first ? "" : ",");
		json_str(o, bpf_program__name(p));
		fprintf(o, ",\"id\":%u,\"tag\":\"%s\",\"pin\":", info.id, tag);
		json_str(o, path);
		fprintf(o, "}");
		first = false;
	}
	fprintf(o, "],\"maps\":[");
	first = true;
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		if (strchr(n, '.') || bpf_map__fd(m) < 0)
			continue; /* .rodata/.bss: internal, not pinned; or not created (offload) */
		bool by_name = bpf_map__is_pinned(m); /* LIBBPF_PIN_BY_NAME: pinned at load, under dir */
		if (by_name)
			err = format_path(path, sizeof(path), "%s", bpf_map__pin_path(m));
		else if (!(err = format_path(path, sizeof(path), "%s/map_%s", dir, n)))
			err = bpf_map__pin(m, path);
		if (err) {
			status = fail("pin-map", -err, path);
			goto undo;
		}
		nmaps += !by_name; /* by-name pins are the load's: undone by what it found before */
		fprintf(o, "%s{\"name\":", first ? "" : ",");
		json_str(o, n);
		fprintf(o, ",\"pin\":");
		json_str(o, path);
		fprintf(o, ",\"pinnedByName\":%s,\"maxEntries\":%u}", by_name ? "true" : "false", bpf_map__max_entries(m));
		first = false;
	}
	fprintf(o, "]}\n");
	fclose(o);
	if (out)
		fputs(buf, out);
	free(buf);
	return 0;
undo:
	if (o)
		fclose(o);
	free(buf);
	unpin_first(obj, dir, undo, nprogs, nmaps);
	return status;
}

static int cmd_load(struct args *a)
{
	int status = 0;
	if (!a->obj || !a->pin_dir)
		return usage("load needs --obj and --pin-dir");
	struct pin_undo undo = { .dir_existed = access(a->pin_dir, F_OK) == 0 };
	struct bpf_object *obj = open_and_load(a, 0, a->pin_dir, &undo, &status);
	if (!obj)
		unpin_first(NULL, a->pin_dir, &undo, 0, 0);
	else
		status = pin_all(obj, a->pin_dir, &undo, stdout);
	bpf_object__close(obj);
	free(undo.by_name);
	return status;
}

static int cmd_attach(struct args *a)
{
	__u32 flag;
	int ifindex, prog_fd, status = 0, err;
	struct bpf_object *obj = NULL;

	if (mode_flag(a->mode, &flag) || !a->dev)
		return usage("attach needs --dev and --mode native|generic|offload");
	if (a->offload_max_entries && (flag != XDP_FLAGS_HW_MODE || a->prog || a->offload_max_entries < 1))
		return usage("--offload-max-entries N (N >= 1) applies to an offload load only (--obj, --mode offload)");
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)))
		return status;
	struct pin_undo undo = { .dir_existed = a->pin_dir && access(a->pin_dir, F_OK) == 0 };
	bool pinned = false;
	if (a->prog) {
		prog_fd = bpf_obj_get(a->prog);
		if (prog_fd < 0)
			return fail("open-pinned-program", errno, a->prog);
	} else if (a->obj && a->prog_name) {
		/* Offload needs its own load: the kernel binds an offloaded
		 * program to the device when it is loaded. */
		obj = open_and_load(a, flag == XDP_FLAGS_HW_MODE ? ifindex : 0, a->pin_dir, a->pin_dir ? &undo : NULL,
				    &status);
		if (!obj)
			goto out;
		struct bpf_program *p = bpf_object__find_program_by_name(obj, a->prog_name);
		if (!p) {
			status = fail("find-program", ENOENT, a->prog_name);
			goto out;
		}
		prog_fd = bpf_program__fd(p);
		if (a->pin_dir) {
			if ((status = pin_all(obj, a->pin_dir, &undo, NULL)))
				goto out_undone; /* pin_all undid its own pins */
			pinned = true;
		}
	} else {
		return usage("attach needs --prog PIN, or --obj and --prog-name");
	}
	/* UPDATE_IF_NOEXIST: never replace a program someone else attached. */
	err = bpf_xdp_attach(ifindex, prog_fd, flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		status = fail("attach", -err, a->dev);
		goto out;
	}
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char tag[BPF_TAG_SIZE * 2 + 1] = "";
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0)
		tag_hex(&info, tag);
	printf("{\"ok\":true,\"ifindex\":%d,\"progId\":%u,\"progTag\":\"%s\"}\n", ifindex, info.id, tag);
	goto out_undone; /* the attachment keeps the program alive; the pins stay */
out:
	if (a->pin_dir && a->obj)
		unpin_first(obj, a->pin_dir, &undo, pinned ? INT_MAX : 0, pinned ? INT_MAX : 0);
out_undone:
	bpf_object__close(obj);
	free(undo.by_name);
	return status;
}

static int cmd_detach(struct args *a)
{
	__u32 flag;
	int ifindex, status;
	if (mode_flag(a->mode, &flag) || !a->dev)
		return usage("detach needs --dev and --mode");
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)))
		return status;
	int err = bpf_xdp_detach(ifindex, flag, NULL);
	if (err)
		return fail("detach", -err, a->dev);
	printf("{\"ok\":true}\n");
	return 0;
}

static int cmd_query(struct args *a)
{
	int ifindex, status;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	if (!a->dev)
		return usage("query needs --dev");
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)))
		return status;
	int err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return fail("query", -err, a->dev);
	printf("{\"ok\":true,\"native\":%u,\"generic\":%u,\"offload\":%u}\n", q.drv_prog_id, q.skb_prog_id,
	       q.hw_prog_id);
	return 0;
}

/* A loaded program by id: name, tag, and the device it is bound to (offload):
 * its ifindex and the inode of that device's network namespace (0 = none). */
static int cmd_prog_info(struct args *a)
{
	if (a->id <= 0 || a->id > UINT32_MAX)
		return usage("prog-info needs --id N (1..4294967295)");
	int fd = bpf_prog_get_fd_by_id((__u32)a->id);
	if (fd < 0)
		return fail("open-program", errno, NULL);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int e = errno;
		close(fd);
		return fail("program-info", e, NULL);
	}
	close(fd);
	char tag[BPF_TAG_SIZE * 2 + 1];
	tag_hex(&info, tag);
	printf("{\"ok\":true,\"id\":%u,\"name\":", info.id);
	json_str(stdout, info.name);
	printf(",\"tag\":\"%s\",\"type\":%u,\"offloadIfindex\":%u,\"offloadNetnsIno\":%llu}\n", tag, info.type,
	       info.ifindex, (unsigned long long)info.netns_ino);
	return 0;
}

/* Points a devmap slot at a device. The kernel resolves the ifindex in the
 * caller's netns, so the update runs inside the device's namespace: done from
 * the root namespace it would redirect to an unrelated root-namespace device. */
static int cmd_devmap_set(struct args *a)
{
	int ifindex, status;
	if (!a->map || a->key < 0 || a->key > UINT32_MAX || !a->dev || !a->netns)
		return usage("devmap-set needs --map, --key 0..4294967295, --netns and --dev");
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)))
		return status;
	int fd = bpf_obj_get(a->map);
	if (fd < 0)
		return fail("open-pinned-map", errno, a->map);
	__u32 k = (__u32)a->key, v = (__u32)ifindex;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		return fail("map-update", errno, a->map);
	printf("{\"ok\":true,\"ifindex\":%d}\n", ifindex);
	return 0;
}

/* ---- bring-your-own program support ---- */

/* Lists what an object holds without loading it: programs (name, section,
 * type) and maps (name, type, key/value sizes), and whether it has BTF. */
static int cmd_inspect(struct args *a)
{
	if (!a->obj)
		return usage("inspect needs --obj");
	struct bpf_object *obj = bpf_object__open_file(a->obj, NULL);
	long e = libbpf_get_error(obj);
	if (e)
		return fail("open-object", (int)-e, a->obj);
	printf("{\"ok\":true,\"btf\":%s,\"programs\":[", bpf_object__btf(obj) ? "true" : "false");
	struct bpf_program *p;
	bool first = true;
	bpf_object__for_each_program(p, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(stdout, bpf_program__name(p));
		printf(",\"section\":");
		json_str(stdout, bpf_program__section_name(p));
		printf(",\"type\":");
		json_str(stdout, libbpf_bpf_prog_type_str(bpf_program__type(p)));
		/* Helper ids its own instructions call (BPF_CALL, src_reg 0): for
		 * warnings about per-packet helpers that distort figures. */
		printf(",\"helperIds\":[");
		const struct bpf_insn *insn = bpf_program__insns(p);
		size_t ninsn = bpf_program__insn_cnt(p);
		bool first_id = true;
		for (size_t i = 0; insn && i < ninsn; i++) {
			if (insn[i].code == (BPF_JMP | BPF_CALL) && insn[i].src_reg == 0) {
				printf("%s%d", first_id ? "" : ",", insn[i].imm);
				first_id = false;
			}
		}
		printf("]}");
		first = false;
	}
	printf("],\"maps\":[");
	struct bpf_map *m;
	first = true;
	bpf_object__for_each_map(m, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(stdout, bpf_map__name(m));
		printf(",\"type\":");
		json_str(stdout, libbpf_bpf_map_type_str(bpf_map__type(m)));
		printf(",\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"pinByName\":%s}", bpf_map__key_size(m),
		       bpf_map__value_size(m), bpf_map__max_entries(m), bpf_map__pin_path(m) ? "true" : "false");
		first = false;
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}

/* Hex into a new buffer (hex digits only); 0, or -1 with nothing allocated. */
static int parse_hex_alloc(const char *hex, unsigned char **out, size_t *len)
{
	*out = calloc(1, strlen(hex) / 2 + 1);
	if (!*out || parse_hex(hex, *out, strlen(hex) / 2, len)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Writes one entry (raw bytes, hex) into a pinned map, checking sizes first. */
static int cmd_map_update(struct args *a)
{
	unsigned char *key = NULL, *val = NULL;
	size_t klen, vlen;
	char detail[256];
	int fd = -1, status;

	if (!a->map || !a->key_hex || !a->value_hex)
		return usage("map-update needs --map, --key-hex and --value-hex");
	if (parse_hex_alloc(a->key_hex, &key, &klen) || parse_hex_alloc(a->value_hex, &val, &vlen)) {
		free(key);
		return usage("--key-hex/--value-hex must be even-length hex");
	}
	fd = bpf_obj_get(a->map);
	if (fd < 0) {
		status = fail("open-pinned-map", errno, a->map);
		goto out;
	}
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		status = fail("map-info", errno, a->map);
		goto out;
	}
	/* A per-CPU map takes one value per possible CPU, each rounded up to 8 bytes:
	 * the kernel reads that much from our buffer. */
	bool percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
		      info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH || info.type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
	int ncpus = libbpf_num_possible_cpus();
	size_t want = percpu ? ((size_t)info.value_size + 7) / 8 * 8 * (size_t)(ncpus > 0 ? ncpus : 0) : info.value_size;
	if (klen != info.key_size || vlen != want) {
		snprintf(detail, sizeof(detail), "map %s has %u-byte keys and %zu-byte values%s; got %zu and %zu bytes",
			 info.name, info.key_size, want, percpu ? " (one per possible CPU)" : "", klen, vlen);
		status = fail("map-update", EINVAL, detail);
		goto out;
	}
	if (bpf_map_update_elem(fd, key, val, BPF_ANY)) {
		status = fail("map-update", errno, a->map);
		goto out;
	}
	printf("{\"ok\":true}\n");
	status = 0;
out:
	if (fd >= 0)
		close(fd);
	free(key);
	free(val);
	return status;
}

/* ---- sampling: program stats, link stats and ethtool stats at one instant ----
 * A source that cannot be opened (no such map, netns or device) fails the
 * command before the first sample. A device that goes away later (topology
 * torn down, device replaced) is sampled as {"link":null,"error":WHY}: the
 * other sources stay valid, and the harness refuses to compute a rate from it. */
struct dev_source {
	char label[64], netns[128], dev[IFNAMSIZ];
	int ifindex;   /* at open: a device made later under the same name is another device */
	int sock;      /* created inside the device's netns */
	int netdev_fd; /* /proc/self/net/dev opened inside the device's netns */
	char *netdev_buf;
	size_t netdev_cap;
	struct ethtool_gstrings *strings;
	struct ethtool_stats *stats;
	__u32 n_stats;   /* names held in strings */
	__u32 cap_stats; /* room in strings and stats */
};

struct stats_source {
	char label[64];
	int map_fd;
};

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { stop_requested = 1; }

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *netns_name(const char *netns)
{
	return *netns ? netns : "(the helper's own)";
}

static struct ifreq dev_ifreq(const struct dev_source *d, void *data)
{
	struct ifreq ifr = { .ifr_data = data };
	memcpy(ifr.ifr_name, d->dev, strlen(d->dev)); /* < IFNAMSIZ: checked at open */
	return ifr;
}

/* The device's number of ethtool stats now (0: it has none), or -errno. */
static long long ethtool_stats_count(struct dev_source *d)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 buf[1];
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ifreq ifr = dev_ifreq(d, &sset);
	if (ioctl(d->sock, SIOCETHTOOL, &ifr))
		return errno == EOPNOTSUPP ? 0 : -errno;
	return sset.hdr.sset_mask ? sset.hdr.data[0] : 0;
}

/* (Re)reads the names of n stats. The kernel writes as many names (and later
 * values) as the device has at that moment, whatever length we pass, so the
 * buffers keep room for twice as many: a count that grows between our query
 * and the read still fits, and a changed count is seen and read again. */
static int ethtool_names(struct dev_source *d, __u32 n)
{
	if (n > (1u << 20))
		return -E2BIG;
	if (n > d->cap_stats) {
		__u32 cap = 2 * n + 64;
		free(d->strings);
		free(d->stats);
		d->strings = calloc(1, sizeof(*d->strings) + (size_t)cap * ETH_GSTRING_LEN);
		d->stats = calloc(1, sizeof(*d->stats) + (size_t)cap * sizeof(__u64));
		d->cap_stats = d->strings && d->stats ? cap : 0;
		d->n_stats = 0;
		if (!d->cap_stats)
			return -ENOMEM;
	}
	d->strings->cmd = ETHTOOL_GSTRINGS;
	d->strings->string_set = ETH_SS_STATS;
	d->strings->len = n;
	struct ifreq ifr = dev_ifreq(d, d->strings);
	if (ioctl(d->sock, SIOCETHTOOL, &ifr))
		return -errno;
	if (d->strings->len != n)
		return -EAGAIN;
	d->n_stats = n;
	return 0;
}

/* ,"ethtool":{...} (nothing for a device without ethtool stats), or
 * ,"ethtool":null,"ethtoolError":WHY. */
static void emit_ethtool(struct dev_source *d)
{
	int err = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		long long n = ethtool_stats_count(d);
		if (n < 0) {
			err = (int)-n;
			break;
		}
		if (n == 0)
			return;
		if ((__u32)n != d->n_stats && (err = -ethtool_names(d, (__u32)n))) {
			if (err == EAGAIN)
				continue;
			break;
		}
		d->stats->cmd = ETHTOOL_GSTATS;
		d->stats->n_stats = d->n_stats;
		struct ifreq ifr = dev_ifreq(d, d->stats);
		if (ioctl(d->sock, SIOCETHTOOL, &ifr)) {
			err = errno;
			break;
		}
		if (d->stats->n_stats != d->n_stats) {
			err = EAGAIN; /* the device's stats changed between the names and the values */
			continue;
		}
		printf(",\"ethtool\":{");
		for (__u32 k = 0; k < d->n_stats; k++) {
			char name[ETH_GSTRING_LEN + 1] = {};
			memcpy(name, d->strings->data + k * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
			printf("%s", k ? "," : "");
			json_str(stdout, name);
			printf(":%llu", (unsigned long long)d->stats->data[k]);
		}
		printf("}");
		return;
	}
	char why[256];
	snprintf(why, sizeof(why), "ethtool stats of %s in netns %s: %s", d->dev, netns_name(d->netns), strerror(err));
	printf(",\"ethtool\":null,\"ethtoolError\":");
	json_str(stdout, why);
}

/* NULL if the device is the one opened; else why not (gone, or replaced by
 * another device of the same name, whose counters started again). */
static const char *device_changed(struct dev_source *d, char *why, size_t cap)
{
	struct ifreq ifr = dev_ifreq(d, NULL);
	if (ioctl(d->sock, SIOCGIFINDEX, &ifr)) {
		snprintf(why, cap, "device %s is gone from netns %s (%s)", d->dev, netns_name(d->netns), strerror(errno));
		return why;
	}
	if (ifr.ifr_ifindex != d->ifindex) {
		snprintf(why, cap, "device %s in netns %s was replaced (ifindex %d, now %d): its counters started again",
			 d->dev, netns_name(d->netns), d->ifindex, ifr.ifr_ifindex);
		return why;
	}
	return NULL;
}

/* The device's 16 counters from /proc/net/dev, which is read whole: it grows
 * with the number of interfaces (~130 bytes each). 0, or -errno and why. */
static int read_link_stats(struct dev_source *d, unsigned long long v[16], char *why, size_t cap)
{
	size_t len, dl = strlen(d->dev);
	int err = read_whole_fd(d->netdev_fd, &d->netdev_buf, &d->netdev_cap, &len);
	if (err) {
		snprintf(why, cap, "reading /proc/net/dev of netns %s: %s", netns_name(d->netns), strerror(-err));
		return err;
	}
	for (char *save = NULL, *line = strtok_r(d->netdev_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ')
			line++;
		if (strncmp(line, d->dev, dl) || line[dl] != ':')
			continue;
		if (sscanf(line + dl + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12],
			   &v[13], &v[14], &v[15]) != 16) {
			snprintf(why, cap, "unexpected /proc/net/dev line for %s: %.100s", d->dev, line);
			return -EPROTO;
		}
		return 0;
	}
	snprintf(why, cap, "device %s is not in /proc/net/dev of netns %s", d->dev, netns_name(d->netns));
	return -ENODEV;
}

static void close_dev_source(struct dev_source *d)
{
	if (d->sock >= 0)
		close(d->sock);
	if (d->netdev_fd >= 0)
		close(d->netdev_fd);
	free(d->netdev_buf);
	free(d->strings);
	free(d->stats);
}

static int open_dev_source(const char *spec, struct dev_source *d, int home_netns)
{
	/* LABEL=NETNS/IFNAME */
	const char *eq = strchr(spec, '='), *slash = eq ? strchr(eq, '/') : NULL;
	d->sock = d->netdev_fd = -1;
	if (!eq || !slash || eq == spec || (size_t)(eq - spec) >= sizeof(d->label) ||
	    (size_t)(slash - eq - 1) >= sizeof(d->netns) || !slash[1] || strlen(slash + 1) >= IFNAMSIZ) {
		fprintf(stderr, "xdpb: --dev-stats takes LABEL=NETNS/IFNAME (label < 64, netns < 128, name < %d bytes), got '%s'\n",
			IFNAMSIZ, spec);
		return EXIT_USAGE;
	}
	memcpy(d->label, spec, eq - spec);
	memcpy(d->netns, eq + 1, slash - eq - 1);
	memcpy(d->dev, slash + 1, strlen(slash + 1));

	int err = enter_netns(d->netns);
	if (err)
		return fail("enter-netns", -err, d->netns);
	d->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	err = d->sock < 0 ? errno : 0;
	d->netdev_fd = open("/proc/self/net/dev", O_RDONLY | O_CLOEXEC);
	err = err ? err : d->netdev_fd < 0 ? errno : 0;
	if (setns(home_netns, CLONE_NEWNET))
		return fail("leave-netns", errno, d->netns);
	if (err)
		return fail("open-device-counters", err, spec);

	char why[512]; /* spec, device and netns: all bounded above */
	struct ifreq ifr = dev_ifreq(d, NULL);
	if (ioctl(d->sock, SIOCGIFINDEX, &ifr)) {
		err = errno;
		snprintf(why, sizeof(why), "%s: no device %s in netns %s", spec, d->dev, netns_name(d->netns));
		return fail("resolve-device", err, why);
	}
	d->ifindex = ifr.ifr_ifindex;
	unsigned long long v[16];
	if ((err = read_link_stats(d, v, why, sizeof(why))))
		return fail("link-stats", -err, why);

	long long n = ethtool_stats_count(d);
	if (n < 0)
		return fail("ethtool-stats", (int)-n, d->dev);
	for (int attempt = 0; n > 0 && attempt < 3; attempt++) {
		if ((err = ethtool_names(d, (__u32)n)) != -EAGAIN)
			break;
		n = ethtool_stats_count(d);
	}
	if (n > 0 && err)
		return fail("ethtool-strings", -err, d->dev);
	return 0; /* no ethtool stats: link stats only */
}

/* "link":{...} and the ethtool stats, or "link":null,"error":WHY. */
static void emit_device(struct dev_source *d)
{
	char why[320];
	unsigned long long v[16];
	if (device_changed(d, why, sizeof(why)) || read_link_stats(d, v, why, sizeof(why))) {
		printf("\"link\":null,\"error\":");
		json_str(stdout, why);
		return;
	}
	printf("\"link\":{\"rx_bytes\":%llu,\"rx_packets\":%llu,\"rx_errors\":%llu,\"rx_dropped\":%llu,"
	       "\"tx_bytes\":%llu,\"tx_packets\":%llu,\"tx_errors\":%llu,\"tx_dropped\":%llu}",
	       v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]);
	emit_ethtool(d);
}

/* A namespace's IP/UDP counters (/proc/net/snmp): what the stack received,
 * which is how a foreign program's XDP_PASS shows up without a program counter. */
struct snmp_source {
	char label[64], netns[128];
	int fd; /* /proc/self/net/snmp opened inside the namespace */
	char *buf;
	size_t cap;
};

static int open_snmp_source(const char *spec, struct snmp_source *src, int home_netns)
{
	const char *eq = strchr(spec, '=');
	src->fd = -1;
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(src->label) || strlen(eq + 1) >= sizeof(src->netns)) {
		fprintf(stderr, "xdpb: --snmp takes LABEL=NETNS (label < 64, netns < 128 bytes), got '%s'\n", spec);
		return EXIT_USAGE;
	}
	memcpy(src->label, spec, eq - spec);
	memcpy(src->netns, eq + 1, strlen(eq + 1));
	int err = enter_netns(src->netns);
	if (err)
		return fail("enter-netns", -err, src->netns);
	src->fd = open("/proc/self/net/snmp", O_RDONLY | O_CLOEXEC);
	err = src->fd < 0 ? errno : 0;
	if (setns(home_netns, CLONE_NEWNET))
		return fail("leave-netns", errno, src->netns);
	if (err)
		return fail("open-snmp", err, spec);
	return 0;
}

/* Prints "Ip":{...},"Udp":{...} from the header/value line pairs of /proc/net/snmp;
 * 0, or -errno (nothing printed) when it cannot be read. */
static int emit_snmp(struct snmp_source *src)
{
	size_t len;
	int err = read_whole_fd(src->fd, &src->buf, &src->cap, &len);
	if (err)
		return err;
	bool first_group = true;
	char *save = NULL;
	for (char *hdr = strtok_r(src->buf, "\n", &save), *val = hdr ? strtok_r(NULL, "\n", &save) : NULL; hdr && val;
	     hdr = strtok_r(NULL, "\n", &save), val = hdr ? strtok_r(NULL, "\n", &save) : NULL) {
		const char *group = NULL;
		if (!strncmp(hdr, "Ip: ", 4))
			group = "Ip";
		else if (!strncmp(hdr, "Udp: ", 5))
			group = "Udp";
		if (!group)
			continue;
		printf("%s\"%s\":{", first_group ? "" : ",", group);
		first_group = false;
		char *hs = NULL, *vs = NULL;
		char *h = strtok_r(hdr, " ", &hs), *v = strtok_r(val, " ", &vs);
		bool first = true;
		for (h = strtok_r(NULL, " ", &hs), v = strtok_r(NULL, " ", &vs); h && v;
		     h = strtok_r(NULL, " ", &hs), v = strtok_r(NULL, " ", &vs)) {
			printf("%s", first ? "" : ",");
			json_str(stdout, h);
			printf(":%s", v);
			first = false;
		}
		printf("}");
	}
	return 0;
}

/* Per-CPU values of every action of an xdpb_stats map, into vals[action * ncpus + cpu]: 0 or errno. */
static int read_program_stats(struct stats_source *src, int ncpus, struct xdpb_action_stats *vals)
{
	for (__u32 act = 0; act < XDPB_ACTION_COUNT; act++) {
		memset(vals + act * ncpus, 0, sizeof(*vals) * ncpus);
		if (bpf_map_lookup_elem(src->map_fd, &act, vals + act * ncpus))
			return errno;
	}
	return 0;
}

/* Refuses a pinned map that is not an xdpb_stats map: the kernel copies value
 * size x CPUs bytes into our buffer, so its shape must be the one we size for. */
static int check_stats_map(int fd, const char *pin)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char detail[PATH_MAX + 160];
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("stats-map-info", errno, pin);
	if ((info.type != BPF_MAP_TYPE_PERCPU_ARRAY && info.type != BPF_MAP_TYPE_ARRAY) || info.key_size != 4 ||
	    info.value_size != sizeof(struct xdpb_action_stats) || info.max_entries < XDPB_ACTION_COUNT) {
		snprintf(detail, sizeof(detail), "%s is not an xdpb_stats map (type %u, %u-byte keys, %u-byte values, %u entries)",
			 pin, info.type, info.key_size, info.value_size, info.max_entries);
		return fail("open-stats-map", EINVAL, detail);
	}
	return 0;
}

/* The xdp tracepoint counters of one program (native/trace.bpf.c), or why there are none. */
#define TRACE_MAX_LINKS 4

struct trace_source {
	struct bpf_object *obj;
	struct bpf_link *links[TRACE_MAX_LINKS];
	int nlinks;
	int map_fd; /* -1: not counting */
	char error[256];
};

/* Detaches the tracepoint programs and frees the object (also on every early return). */
static void close_trace_source(struct trace_source *t)
{
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	if (t->obj && !libbpf_get_error(t->obj))
		bpf_object__close(t->obj);
	t->obj = NULL;
	t->map_fd = -1;
}

static void open_trace_source(const struct args *a, struct trace_source *t)
{
	char knob[64];
	struct bpf_program *p;
	t->map_fd = -1;
	t->obj = bpf_object__open_file(a->trace_obj, NULL);
	int err = (int)libbpf_get_error(t->obj);
	snprintf(knob, sizeof(knob), "xdpb_prog_id=%lld", a->trace_prog_id);
	if (err || (err = set_rodata(t->obj, knob)) || (err = bpf_object__load(t->obj))) {
		char why[128];
		libbpf_strerror(err, why, sizeof(why)); /* also libbpf's own errors (4000+), which strerror cannot name */
		snprintf(t->error, sizeof(t->error), "loading %s: %s", a->trace_obj, why);
		close_trace_source(t);
		return;
	}
	/* The links live as long as this process (never pinned): nothing is left attached after it. */
	bpf_object__for_each_program(p, t->obj) {
		struct bpf_link *l = bpf_program__attach(p);
		if ((err = (int)libbpf_get_error(l)) || t->nlinks >= TRACE_MAX_LINKS) {
			char why[128];
			libbpf_strerror(err ? err : -E2BIG, why, sizeof(why));
			snprintf(t->error, sizeof(t->error), "attaching %s to its tracepoint: %s", bpf_program__section_name(p),
				 why);
			if (!err)
				bpf_link__destroy(l);
			close_trace_source(t);
			return;
		}
		t->links[t->nlinks++] = l;
	}
	struct bpf_map *m = bpf_object__find_map_by_name(t->obj, "xdpb_exceptions");
	if (!m || bpf_map__fd(m) < 0) {
		snprintf(t->error, sizeof(t->error), "%s has no loaded map xdpb_exceptions", a->trace_obj);
		close_trace_source(t);
		return;
	}
	t->map_fd = bpf_map__fd(m);
}

static void emit_trace(struct trace_source *t, int ncpus)
{
	if (t->map_fd < 0) {
		printf(",\"exceptionsError\":");
		json_str(stdout, t->error);
		return;
	}
	/* All slots are read before anything is printed: a failed read gives this
	 * sample the reason, never zeros (the next sample's delta would go negative). */
	__u64 *vals = calloc((size_t)ncpus * XDPB_TRACE_SLOTS, sizeof(*vals));
	char why[160] = "";
	if (!vals)
		snprintf(why, sizeof(why), "reading xdpb_exceptions: %s", strerror(ENOMEM));
	for (__u32 slot = 0; vals && slot < XDPB_TRACE_SLOTS && !why[0]; slot++)
		if (bpf_map_lookup_elem(t->map_fd, &slot, vals + (size_t)slot * ncpus))
			snprintf(why, sizeof(why), "reading xdpb_exceptions slot %u: %s", slot, strerror(errno));
	if (why[0]) {
		printf(",\"exceptionsError\":");
		json_str(stdout, why);
		free(vals);
		return;
	}
	printf(",\"exceptions\":[");
	for (__u32 slot = 0; slot < XDPB_TRACE_SLOTS; slot++) {
		printf("%s[", slot ? "," : "");
		for (int c = 0; c < ncpus; c++)
			printf("%s%llu", c ? "," : "", (unsigned long long)vals[(size_t)slot * ncpus + c]);
		printf("]");
	}
	printf("]");
	free(vals);
}

static void emit_sample(struct stats_source *ss, int nss, struct dev_source *ds, int nds, struct snmp_source *sn,
			int nsn, struct trace_source *tr, int ncpus, struct xdpb_action_stats *vals)
{
	printf("{\"tNs\":%" PRId64 ",\"stats\":{", now_ns());
	for (int i = 0; i < nss; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, ss[i].label);
		int err = read_program_stats(&ss[i], ncpus, vals);
		if (err) {
			printf(":{\"packets\":null,\"error\":");
			json_str(stdout, strerror(err));
			printf("}");
			continue;
		}
		printf(":{\"packets\":[");
		/* one row per action, one column per CPU */
		for (int act = 0; act < XDPB_ACTION_COUNT; act++) {
			printf("%s[", act ? "," : "");
			for (int c = 0; c < ncpus; c++)
				printf("%s%llu", c ? "," : "", (unsigned long long)vals[act * ncpus + c].packets);
			printf("]");
		}
		printf("]}");
	}
	printf("},\"dev\":{");
	for (int i = 0; i < nds; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, ds[i].label);
		printf(":{");
		emit_device(&ds[i]);
		printf("}");
	}
	printf("}");
	if (nsn) {
		int errs[nsn];
		int nerr = 0;
		printf(",\"snmp\":{");
		for (int i = 0; i < nsn; i++) {
			printf("%s", i ? "," : "");
			json_str(stdout, sn[i].label);
			printf(":{");
			errs[i] = emit_snmp(&sn[i]);
			nerr += errs[i] != 0;
			printf("}");
		}
		printf("}");
		if (nerr) {
			printf(",\"snmpErrors\":{");
			for (int i = 0, first = 1; i < nsn; i++) {
				if (!errs[i])
					continue;
				printf("%s", first ? "" : ",");
				json_str(stdout, sn[i].label);
				printf(":");
				json_str(stdout, strerror(-errs[i]));
				first = 0;
			}
			printf("}");
		}
	}
	if (tr)
		emit_trace(tr, ncpus);
	printf("}\n");
	fflush(stdout);
}

#define SAMPLE_INTERVAL_MAX_MS 86400000LL /* a day: the schedule's arithmetic stays far from overflow */

static int cmd_sample(struct args *a)
{
	int ncpus = libbpf_num_possible_cpus(), status = 0;
	struct stats_source *ss = calloc(a->nstats + 1, sizeof(*ss));
	struct dev_source *ds = calloc(a->ndevs + 1, sizeof(*ds));
	struct snmp_source *sn = calloc(a->nsnmps + 1, sizeof(*sn));
	struct xdpb_action_stats *vals = ncpus > 0 ? calloc((size_t)ncpus * XDPB_ACTION_COUNT, sizeof(*vals)) : NULL;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nss = 0, nds = 0, nsn = 0;
	struct trace_source trace = { .map_fd = -1 };

	if (a->interval_ms < 1 || a->interval_ms > SAMPLE_INTERVAL_MAX_MS || a->max_samples < 0 ||
	    (!a->nstats && !a->ndevs && !a->nsnmps)) {
		status = usage("sample needs --interval-ms 1..86400000, --max-samples >= 0 (0: until stopped) and at least one "
			       "--stats, --dev-stats or --snmp");
		goto out;
	}
	if (ncpus <= 0 || home < 0 || !ss || !ds || !sn || !vals) {
		status = fail("sample-setup", ncpus <= 0 ? -ncpus : home < 0 ? errno : ENOMEM, NULL);
		goto out;
	}
	for (; nss < a->nstats; nss++) {
		const char *spec = a->stats[nss], *eq = strchr(spec, '=');
		struct stats_source *src = &ss[nss];
		src->map_fd = -1;
		if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(src->label) || !eq[1]) {
			fprintf(stderr, "xdpb: --stats takes LABEL=PINNED_MAP (label < 64 bytes), got '%s'\n", spec);
			status = EXIT_USAGE;
			goto out;
		}
		memcpy(src->label, spec, eq - spec);
		src->map_fd = bpf_obj_get(eq + 1);
		if (src->map_fd < 0) {
			status = fail("open-stats-map", errno, eq + 1);
			goto out;
		}
		if ((status = check_stats_map(src->map_fd, eq + 1)))
			goto out;
	}
	for (; nds < a->ndevs; nds++)
		if ((status = open_dev_source(a->devs[nds], &ds[nds], home))) {
			nds++; /* its half-open state is released below */
			goto out;
		}
	for (; nsn < a->nsnmps; nsn++)
		if ((status = open_snmp_source(a->snmps[nsn], &sn[nsn], home))) {
			nsn++;
			goto out;
		}

	if (a->trace_obj && a->trace_prog_id <= 0) {
		status = usage("--trace-obj needs --trace-prog-id ID (the XDP program whose exceptions to count)");
		goto out;
	}
	if (a->trace_obj)
		open_trace_source(a, &trace);

	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	/* Fixed-rate schedule on absolute deadlines, so the interval does not
	 * drift by the time a sample takes. Stops on signal, stdin EOF, or count. */
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long long n = 0; !stop_requested && (!a->max_samples || n < a->max_samples); n++) {
		emit_sample(ss, nss, ds, nds, sn, nsn, a->trace_obj ? &trace : NULL, ncpus, vals);
		next.tv_nsec += (a->interval_ms % 1000) * 1000000L;
		next.tv_sec += a->interval_ms / 1000 + next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		for (;;) {
			int64_t left_ns = (int64_t)next.tv_sec * 1000000000LL + next.tv_nsec - now_ns();
			if (left_ns <= 0 || stop_requested)
				break;
			struct pollfd pfd = { .fd = 0, .events = POLLIN };
			struct timespec to = { left_ns / 1000000000LL, left_ns % 1000000000LL };
			int r = ppoll(&pfd, 1, &to, NULL);
			if (r > 0) {
				char c[64];
				if (read(0, c, sizeof(c)) <= 0)
					stop_requested = 1; /* parent went away */
				else
					break; /* any input: sample now */
			}
		}
	}
	/* A last sample when stopped, so the final counters are never lost. */
	emit_sample(ss, nss, ds, nds, sn, nsn, a->trace_obj ? &trace : NULL, ncpus, vals);
out:
	close_trace_source(&trace);
	for (int i = 0; ss && i < nss; i++)
		if (ss[i].map_fd >= 0)
			close(ss[i].map_fd);
	for (int i = 0; ds && i < nds; i++)
		close_dev_source(&ds[i]);
	for (int i = 0; sn && i < nsn; i++) {
		if (sn[i].fd >= 0)
			close(sn[i].fd);
		free(sn[i].buf);
	}
	free(ss);
	free(ds);
	free(sn);
	free(vals);
	if (home >= 0)
		close(home);
	return status;
}

/* ---- live-frame generator ----
 * Each thread makes ONE long BPF_PROG_RUN call (the kernel sets up and tears
 * down a page pool per call, ~20 ms here, so short calls starve the link) and
 * is stopped by a signal at the deadline: the kernel checks for pending
 * signals between batches. What was sent is read from the program's own
 * per-CPU counters (XDP_TX = sent, XDP_DROP = held back by the rate cap). */
struct gen_thread {
	pthread_t tid;
	int cpu, prog_fd, ifindex, err;
	const unsigned char *frame;
	__u32 frame_len, batch;
};

static void on_wake(int sig) { (void)sig; }

static void *gen_main(void *arg)
{
	struct gen_thread *t = arg;
	cpu_set_t set;

	if (t->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
			t->err = EINVAL;
			return NULL;
		}
	}
	struct xdp_md ctx = { .data_end = t->frame_len, .ingress_ifindex = (__u32)t->ifindex };
	while (!stop_requested) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = t->frame, .data_size_in = t->frame_len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = UINT32_MAX,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = t->batch);
		if (bpf_prog_test_run_opts(t->prog_fd, &opts) && errno != EINTR) {
			t->err = errno;
			break;
		}
	}
	return NULL;
}


/* "0,1,3" -> CPUs, each 0..ncpus-1 (the possible CPUs). 0 or EXIT_USAGE with the reason on stderr. */
static int parse_cpu_list(const char *list, int ncpus, int **out, int *n)
{
	*n = 0;
	*out = calloc(strlen(list) / 2 + 1, sizeof(**out));
	if (!*out)
		return EXIT_FAIL;
	for (const char *t = list;; t++) {
		char tok[32];
		size_t len = strcspn(t, ",");
		long long cpu;
		if (len >= sizeof(tok))
			goto bad;
		memcpy(tok, t, len);
		tok[len] = 0;
		if (parse_ll(tok, &cpu) || cpu < 0 || cpu >= ncpus || cpu >= CPU_SETSIZE)
			goto bad;
		(*out)[(*n)++] = (int)cpu;
		t += len;
		if (!*t)
			return 0;
	}
bad:
	fprintf(stderr, "xdpb: --cpus takes a comma-separated list of CPUs 0..%d, got '%s'\n", ncpus - 1, list);
	free(*out);
	*out = NULL;
	return EXIT_USAGE;
}

#define GEN_DURATION_MAX_MS 86400000LL

static int cmd_gen(struct args *a)
{
	static unsigned char frame[4096];
	size_t frame_len;
	int ifindex, status, *cpus = NULL, ncpu = 0;
	int ncpus_possible = libbpf_num_possible_cpus();
	struct bpf_object *obj = NULL;
	struct gen_thread *th = NULL;
	struct xdpb_action_stats *vals = NULL;
	bool pinned = false;

	if (!a->obj || !a->dev || !a->frame_hex || a->duration_ms <= 0 || a->duration_ms > GEN_DURATION_MAX_MS)
		return usage("gen needs --obj, --dev, --frame-hex and --duration-ms 1..86400000");
	if (parse_hex(a->frame_hex, frame, sizeof(frame), &frame_len) || frame_len < 42)
		return usage("--frame-hex must be an even-length hex Ethernet/IPv4/UDP frame of 42 to 4096 bytes");
	if (a->batch < 1 || a->batch > 256)
		return usage("--batch must be 1..256 (the kernel's limit)");
	if (a->rate_pps < 0 || a->flows < 1 || a->flows > UINT32_MAX)
		return usage("--rate-pps must be >= 0 (0: no cap) and --flows 1..4294967295");
	if (ncpus_possible <= 0)
		return fail("possible-cpus", -ncpus_possible, NULL);
	if (!a->cpus)
		return usage("gen needs --cpus (one thread per listed CPU)");
	if ((status = parse_cpu_list(a->cpus, ncpus_possible, &cpus, &ncpu)))
		return status;
	/* Stop requests may come while the object is still loading. */
	struct sigaction st = { .sa_handler = on_stop };
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)))
		goto out;
	char flows[64], rate[64];
	snprintf(flows, sizeof(flows), "xdpb_flows=%lld", a->flows);
	snprintf(rate, sizeof(rate), "xdpb_rate_pps_per_cpu=%lld", a->rate_pps / ncpu);
	a->sets[a->nsets++] = flows; /* parse_args left room for these two */
	a->sets[a->nsets++] = rate;
	obj = open_and_load(a, 0, NULL, NULL, &status);
	if (!obj)
		goto out;
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "xdp_gen_tx");
	struct bpf_map *stats = bpf_object__find_map_by_name(obj, "xdpb_stats");
	if (!p || !stats) {
		status = fail("find-program", ENOENT, "xdp_gen_tx/xdpb_stats");
		goto out;
	}
	if (a->pin_dir) {
		int err = bpf_map__pin(stats, a->pin_dir); /* lets `sample` read the generator live */
		if (err) {
			status = fail("pin-map", -err, a->pin_dir);
			goto out;
		}
		pinned = true;
	}
	th = calloc(ncpu, sizeof(*th));
	vals = calloc(ncpus_possible, sizeof(*vals));
	if (!th || !vals) {
		status = fail("alloc", ENOMEM, NULL);
		goto out;
	}

	struct sigaction sa = { .sa_handler = on_wake }; /* no SA_RESTART: interrupts BPF_PROG_RUN */
	sigaction(SIGUSR1, &sa, NULL);
	int64_t start = now_ns(), deadline = start + a->duration_ms * 1000000LL;
	int started = 0, err = 0;
	for (; started < ncpu; started++) {
		th[started] = (struct gen_thread){ .cpu = cpus[started], .prog_fd = bpf_program__fd(p), .ifindex = ifindex,
						   .frame = frame, .frame_len = (__u32)frame_len, .batch = (__u32)a->batch };
		if ((err = pthread_create(&th[started].tid, NULL, gen_main, &th[started])))
			break;
	}
	while (!stop_requested && !err) {
		int64_t left = deadline - now_ns();
		if (left <= 0)
			break;
		struct timespec ts = { left / 1000000000LL, left % 1000000000LL };
		nanosleep(&ts, NULL);
	}
	stop_requested = 1;
	for (int i = 0; i < started; i++)
		pthread_kill(th[i].tid, SIGUSR1);
	for (int i = 0; i < started; i++) {
		pthread_join(th[i].tid, NULL);
		if (th[i].err && !err)
			err = th[i].err;
	}
	int64_t elapsed = now_ns() - start;
	unsigned long long sent = 0, held = 0;
	__u32 k_tx = XDP_TX, k_drop = XDP_DROP;
	int fd = bpf_map__fd(stats);
	if (bpf_map_lookup_elem(fd, &k_tx, vals)) {
		status = fail("read-generator-stats", errno, "xdpb_stats[XDP_TX]");
		goto out;
	}
	for (int c = 0; c < ncpus_possible; c++)
		sent += vals[c].packets;
	if (bpf_map_lookup_elem(fd, &k_drop, vals)) {
		status = fail("read-generator-stats", errno, "xdpb_stats[XDP_DROP]");
		goto out;
	}
	for (int c = 0; c < ncpus_possible; c++)
		held += vals[c].packets;
	if (err && !sent) {
		status = fail("generate", err, started < ncpu ? "pthread_create" : "BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES");
		goto out;
	}
	printf("{\"ok\":true,\"framesSent\":%llu,\"framesHeldByRateCap\":%llu,\"durationNs\":%" PRId64
	       ",\"errno\":%d,\"threads\":%d}\n", sent, held, elapsed, err, started);
	status = 0;
out:
	if (pinned)
		unlink(a->pin_dir);
	bpf_object__close(obj);
	free(th);
	free(vals);
	free(cpus);
	return status;
}

/* ---- exec: run a tool inside a netns, dying with its parent ---- */
static int cmd_exec(struct args *a)
{
	if (!a->rest || !a->rest[0])
		return usage("exec needs -- PROGRAM ARGS...");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return EXIT_FAIL; /* parent already gone */
	if (a->cpu < -1 || a->cpu >= CPU_SETSIZE) {
		fprintf(stderr, "xdpb exec: --cpu must be a CPU number 0..%d, got %lld\n", CPU_SETSIZE - 1, a->cpu);
		return EXIT_USAGE;
	}
	int err = enter_netns(a->netns);
	if (err) {
		fprintf(stderr, "xdpb exec: cannot enter netns %s: %s\n", a->netns, strerror(-err));
		return EXIT_FAIL;
	}
	if (a->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)a->cpu, &set);
		/* Unpinned would be measured as pinned: refuse instead. */
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "xdpb exec: cannot pin to CPU %lld: %s\n", a->cpu, strerror(errno));
			return EXIT_FAIL;
		}
	}
	execvp(a->rest[0], a->rest);
	fprintf(stderr, "xdpb exec: %s: %s\n", a->rest[0], strerror(errno));
	return 127;
}

/* ---- guard ---- */

static volatile sig_atomic_t guard_signalled;

static void guard_on_signal(int sig)
{
	(void)sig;
	guard_signalled = 1;
}

static int guard_remove_errno; /* the first removal that failed */

static int guard_remove(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	if (remove(path) && errno != ENOENT && !guard_remove_errno)
		guard_remove_errno = errno;
	return 0; /* go on: remove what can be removed */
}

/* One process of the scan. */
struct proc_entry {
	pid_t pid, ppid;
	signed char hit; /* 1: to kill, 0: not, -1: not decided yet (descendant search) */
};

static int by_pid(const void *x, const void *y)
{
	pid_t a = ((const struct proc_entry *)x)->pid, b = ((const struct proc_entry *)y)->pid;
	return (a > b) - (a < b);
}

/* Whether p or an ancestor of it in the table is to be killed (memoised in hit). */
static bool hit_or_ancestor(struct proc_entry *t, size_t n, struct proc_entry *p)
{
	/* Walk up to a decided ancestor; the walk is bounded by the table's size
	 * (a ppid loop, from pids reused during the scan, cannot trap it). */
	struct proc_entry *q = p;
	size_t steps = 0;
	while (q->hit < 0 && steps++ < n) {
		struct proc_entry key = { .pid = q->ppid };
		struct proc_entry *parent = q->ppid > 1 ? bsearch(&key, t, n, sizeof(*t), by_pid) : NULL;
		if (!parent)
			break;
		q = parent;
	}
	bool hit = q->hit > 0;
	/* Everything on the path gets the answer. */
	for (struct proc_entry *r = p; r->hit < 0;) {
		r->hit = hit;
		struct proc_entry key = { .pid = r->ppid };
		struct proc_entry *parent = r->ppid > 1 ? bsearch(&key, t, n, sizeof(*t), by_pid) : NULL;
		if (!parent)
			break;
		r = parent;
	}
	return hit;
}

/*
 * SIGKILLs the processes (not this one, not its parent) whose command line
 * contains a needle, and their descendants: a holder may have exec'd into a
 * command that names nothing (the DUT lock's `sleep`). Every process is
 * scanned (the table grows as needed) and every command line read whole.
 * Returns how many were killed, or -errno if /proc could not be scanned.
 */
static int kill_matching(const char *const *needles, int n)
{
	struct proc_entry *table = NULL;
	size_t count = 0, cap = 0, buf_cap = 0, len = 0;
	char *buf = NULL;
	int killed = 0, err = 0;
	pid_t self = getpid(), parent = getppid();
	struct dirent *e;

	if (!n)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			err = errno; /* 0 at the end */
			break;
		}
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end || v <= 1 || v > INT_MAX || (pid_t)v == self || (pid_t)v == parent)
			continue;
		pid_t pid = (pid_t)v;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/stat", pid); /* fits: an int */
		if (read_whole_path(path, &buf, &buf_cap, &len))
			continue; /* exited meanwhile */
		char *paren = strrchr(buf, ')');
		int ppid = 0;
		if (!paren || sscanf(paren + 1, " %*c %d", &ppid) != 1)
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct proc_entry *nt = realloc(table, ncap * sizeof(*nt));
			if (!nt) {
				err = ENOMEM;
				break;
			}
			table = nt;
			cap = ncap;
		}
		struct proc_entry *p = &table[count++];
		*p = (struct proc_entry){ .pid = pid, .ppid = ppid, .hit = -1 };
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		if (read_whole_path(path, &buf, &buf_cap, &len))
			continue; /* exited, or a kernel thread: a descendant at most */
		for (size_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		/* Another guard names the same strings (two lab "hosts" on one machine): never one of ours. */
		if (strstr(buf, " guard --pin-dir ")) {
			p->hit = 0;
			continue;
		}
		for (int k = 0; k < n && p->hit < 0; k++)
			if (strstr(buf, needles[k]))
				p->hit = 1;
	}
	closedir(d);
	free(buf);
	if (err) {
		free(table);
		return -err;
	}
	qsort(table, count, sizeof(*table), by_pid);
	for (size_t i = 0; i < count; i++)
		if (hit_or_ancestor(table, count, &table[i]))
			killed += !kill(table[i].pid, SIGKILL);
	free(table);
	return killed;
}

/*
 * The remote half of a lab run's cleanup stack (harness/lab/lab-rig.ts). The
 * controller writes a heartbeat byte to stdin every second. At EOF (the
 * controller closed it, or its SSH session ended), after --idle-timeout-ms
 * without a byte (the link died, which sshd may not notice for many minutes
 * while it has output queued), or on SIGTERM/SIGINT: detach every XDP mode
 * from each --guard-dev, remove --pin-dir, and kill the run's processes
 * (command lines containing a --kill-matching string). Idempotent: after a
 * normal run the controller has released everything and this finds nothing.
 */
static int cmd_guard(struct args *a)
{
	static const __u32 flags[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_HW_MODE };
	struct sigaction sa = { .sa_handler = guard_on_signal };
	const char *why = NULL;
	char buf[256];
	int detached = 0;

	if (!a->pin_dir || !*a->pin_dir || !a->nguard_devs || a->idle_timeout_ms < 100)
		return usage("guard needs --pin-dir, --guard-dev and --idle-timeout-ms (>= 100)");
	/* It removes a whole tree: only ever a run's own directory in bpffs. */
	if (strncmp(a->pin_dir, "/sys/fs/bpf/xdpb-", 17) || strstr(a->pin_dir, ".."))
		return usage("guard: --pin-dir must be a run's directory /sys/fs/bpf/xdpb-*");
	/* No SA_RESTART: a signal ends poll() with EINTR. SIGHUP/SIGPIPE: a lost session must not stop the cleanup. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	printf("{\"ok\":true,\"guarding\":%d}\n", a->nguard_devs);
	fflush(stdout);
	while (!why) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		int r = poll(&p, 1, (int)a->idle_timeout_ms);
		if (guard_signalled)
			why = "signal";
		else if (r == 0)
			why = "idle";
		else if (r < 0 && errno != EINTR)
			why = "poll-error";
		else if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			why = "eof";
	}
	for (int i = 0; i < a->nguard_devs; i++) {
		int ifindex = (int)if_nametoindex(a->guard_devs[i]);
		for (size_t f = 0; ifindex && f < sizeof(flags) / sizeof(flags[0]); f++) {
			__u32 id = 0;
			if (!bpf_xdp_query_id(ifindex, flags[f], &id) && id && !bpf_xdp_detach(ifindex, flags[f], NULL))
				detached++;
		}
	}
	int remove_errno = nftw(a->pin_dir, guard_remove, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT ? errno : 0;
	if (!remove_errno)
		remove_errno = guard_remove_errno;
	int killed = kill_matching(a->kills, a->nkills);
	/* Whatever could not be done is said, not hidden in a count. */
	printf("{\"ok\":%s,\"reason\":\"%s\",\"detached\":%d,\"killed\":%d", remove_errno || killed < 0 ? "false" : "true",
	       why, detached, killed < 0 ? 0 : killed);
	if (remove_errno) {
		printf(",\"stage\":\"remove-pins\",\"errno\":%d,\"error\":", remove_errno);
		json_str(stdout, strerror(remove_errno));
	} else if (killed < 0) {
		printf(",\"stage\":\"kill-matching\",\"errno\":%d,\"error\":", -killed);
		json_str(stdout, strerror(-killed));
	}
	printf("}\n");
	return remove_errno || killed < 0 ? EXIT_FAIL : 0;
}

int main(int argc, char **argv)
{
	struct args a;
	int r;

	if (argc < 2)
		return usage("missing subcommand");
	xdpb_tool_init();
	if ((r = parse_args(argc - 2, argv + 2, &a)))
		return r;
	const char *c = argv[1];
	if (!strcmp(c, "load")) return cmd_load(&a);
	if (!strcmp(c, "attach")) return cmd_attach(&a);
	if (!strcmp(c, "detach")) return cmd_detach(&a);
	if (!strcmp(c, "query")) return cmd_query(&a);
	if (!strcmp(c, "prog-info")) return cmd_prog_info(&a);
	if (!strcmp(c, "devmap-set")) return cmd_devmap_set(&a);
	if (!strcmp(c, "sample")) return cmd_sample(&a);
	if (!strcmp(c, "inspect")) return cmd_inspect(&a);
	if (!strcmp(c, "map-update")) return cmd_map_update(&a);
	if (!strcmp(c, "gen")) return cmd_gen(&a);
	if (!strcmp(c, "exec")) return cmd_exec(&a);
	if (!strcmp(c, "guard")) return cmd_guard(&a);
	return usage("unknown subcommand");
}
