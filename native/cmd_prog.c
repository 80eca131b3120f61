// SPDX-License-Identifier: GPL-2.0
/* xdpb's program and map commands: load, attach, prog-info, detach, query,
 * devmap-set, inspect, map-update. Devices live in network namespaces
 * (/run/netns/NS); the helper enters them with setns() itself, so bpffs stays
 * visible (ip netns exec remounts /sys). */
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "object_load.h"
#include "pins.h"
#include "xdpb_util.h"

/* The options of this family; each command's spec says which it takes. */
struct prog_args {
	struct load_opts load; /* --obj, --prog-name, --as-xdp, --map-size; --offload-max-entries */
	const char *pin_dir, *prog, *netns, *dev, *mode, *map, *key_hex, *value_hex;
	long long key, id;
};

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

static int run_load(void *args)
{
	struct prog_args *a = args;
	int status = 0;
	if (!a->load.obj || !a->pin_dir)
		return usage("load needs --obj and --pin-dir");
	struct pin_undo undo = { .dir_existed = access(a->pin_dir, F_OK) == 0 };
	struct bpf_object *obj = open_and_load(&a->load, 0, a->pin_dir, &undo, &status);
	if (!obj)
		unpin_first(NULL, a->pin_dir, &undo, 0, 0);
	else
		status = pin_all(obj, a->pin_dir, &undo, stdout);
	bpf_object__close(obj);
	free(undo.by_name);
	return status;
}

static int run_attach(void *args)
{
	struct prog_args *a = args;
	__u32 flag;
	int ifindex, prog_fd, status = 0, err;
	struct bpf_object *obj = NULL;

	if (mode_flag(a->mode, &flag) || !a->dev)
		return usage("attach needs --dev and --mode native|generic|offload");
	if (a->load.offload_max_entries && (flag != XDP_FLAGS_HW_MODE || a->prog || a->load.offload_max_entries < 1))
		return usage("--offload-max-entries N (N >= 1) applies to an offload load only (--obj, --mode offload)");
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)))
		return status;
	struct pin_undo undo = { .dir_existed = a->pin_dir && access(a->pin_dir, F_OK) == 0 };
	bool pinned = false;
	if (a->prog) {
		prog_fd = bpf_obj_get(a->prog);
		if (prog_fd < 0)
			return fail("open-pinned-program", errno, a->prog);
	} else if (a->load.obj && a->load.prog_name) {
		/* Offload needs its own load: the kernel binds an offloaded
		 * program to the device when it is loaded. */
		obj = open_and_load(&a->load, flag == XDP_FLAGS_HW_MODE ? ifindex : 0, a->pin_dir, a->pin_dir ? &undo : NULL,
				    &status);
		if (!obj)
			goto out;
		struct bpf_program *p = bpf_object__find_program_by_name(obj, a->load.prog_name);
		if (!p) {
			status = fail("find-program", ENOENT, a->load.prog_name);
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
	if (a->pin_dir && a->load.obj)
		unpin_first(obj, a->pin_dir, &undo, pinned ? INT_MAX : 0, pinned ? INT_MAX : 0);
out_undone:
	bpf_object__close(obj);
	free(undo.by_name);
	return status;
}

static int run_detach(void *args)
{
	struct prog_args *a = args;
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

static int run_query(void *args)
{
	struct prog_args *a = args;
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
static int run_prog_info(void *args)
{
	struct prog_args *a = args;
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
static int run_devmap_set(void *args)
{
	struct prog_args *a = args;
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

/* Lists what an object holds without loading it: programs (name, section,
 * type) and maps (name, type, key/value sizes), and whether it has BTF. */
static int run_inspect(void *args)
{
	struct prog_args *a = args;
	if (!a->load.obj)
		return usage("inspect needs --obj");
	struct bpf_object *obj = bpf_object__open_file(a->load.obj, NULL);
	long e = libbpf_get_error(obj);
	if (e)
		return fail("open-object", (int)-e, a->load.obj);
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
static int run_map_update(void *args)
{
	struct prog_args *a = args;
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

/* ---- the table entries ---- */
#define P struct prog_args
#define OBJ_OPT(what) OPT_S("--obj", P, load.obj, "F", .help = what)
#define NETNS_OPT OPT_S("--netns", P, netns, "NS", .help = "the device's network namespace (/run/netns/NS; none: the helper's own)")
#define DEV_OPT OPT_S("--dev", P, dev, "IF", .help = "the device (an interface name in NS)")
#define LOAD_OPTS                                                                                                   \
	OPT_L("--map-size", P, load.map_sizes, "MAP=N", .help = "max_entries of MAP before the load"),              \
	OPT_S("--as-xdp", P, load.as_xdp, "PROG", .help = "load PROG, in a section libbpf cannot type, as XDP")

static const struct opt_spec load_opts[] = {
	OBJ_OPT("the BPF object file"),
	OPT_S("--pin-dir", P, pin_dir, "D", .help = "pins programs (prog_NAME) and maps (map_NAME) here"),
	LOAD_OPTS,
	OPT_S("--prog-name", P, load.prog_name, "N", .help = "load only program N"),
	OPT_END,
};
const struct command cmd_load = {
	.name = "load", .synopsis = "--obj F --pin-dir D [--map-size MAP=N]... [--as-xdp PROG] [--prog-name N]",
	.summary = "loads an object and pins it; answers its programs (id, tag) and maps (pinned by name ones under D)",
	.opts = load_opts, .args_size = sizeof(P), .run = run_load,
};

static const struct opt_spec attach_opts[] = {
	OPT_S("--prog", P, prog, "PIN", .help = "a pinned program"),
	OBJ_OPT("or: load this object for the one program --prog-name"),
	OPT_S("--prog-name", P, load.prog_name, "N", .help = "the program of --obj to attach (only it is loaded)"),
	OPT_S("--pin-dir", P, pin_dir, "D", .help = "with --obj: pin its programs and maps here"),
	LOAD_OPTS,
	NETNS_OPT,
	DEV_OPT,
	OPT_S("--mode", P, mode, "M", .help = "native, generic or offload"),
	OPT_N("--offload-max-entries", P, load.offload_max_entries, "N", RANGE(1, UINT32_MAX),
	      .help = "offload only: caps every map's max_entries at N"),
	OPT_END,
};
const struct command cmd_attach = {
	.name = "attach",
	.synopsis = "(--prog PIN | --obj F --prog-name N [--pin-dir D]) --netns NS --dev IF --mode M [--offload-max-entries N]",
	.summary = "attaches a program to a device (never replacing one); answers ifindex, progId, progTag",
	.opts = attach_opts, .args_size = sizeof(P), .run = run_attach,
};

static const struct opt_spec prog_info_opts[] = {
	OPT_N("--id", P, id, "N", RANGE(1, UINT32_MAX), .range_error = "prog-info needs --id N (1..4294967295)",
	      .help = "the program's id"),
	OPT_END,
};
const struct command cmd_prog_info = {
	.name = "prog-info", .synopsis = "--id N",
	.summary = "a loaded program's name, tag, type and offload device",
	.opts = prog_info_opts, .args_size = sizeof(P), .run = run_prog_info,
};

static const struct opt_spec detach_opts[] = {
	NETNS_OPT,
	DEV_OPT,
	OPT_S("--mode", P, mode, "M", .help = "native, generic or offload"),
	OPT_END,
};
const struct command cmd_detach = {
	.name = "detach", .synopsis = "--netns NS --dev IF --mode native|generic|offload",
	.summary = "detaches the program of one XDP mode from a device",
	.opts = detach_opts, .args_size = sizeof(P), .run = run_detach,
};

static const struct opt_spec query_opts[] = { NETNS_OPT, DEV_OPT, OPT_END };
const struct command cmd_query = {
	.name = "query", .synopsis = "--netns NS --dev IF",
	.summary = "the ids of the programs attached to a device, per mode (0: none)",
	.opts = query_opts, .args_size = sizeof(P), .run = run_query,
};

static const struct opt_spec devmap_set_opts[] = {
	OPT_S("--map", P, map, "PIN", .help = "a pinned devmap"),
	OPT_N("--key", P, key, "K", RANGE(0, UINT32_MAX), .num_default = -1,
	      .range_error = "devmap-set needs --map, --key 0..4294967295, --netns and --dev", .help = "the slot"),
	NETNS_OPT,
	DEV_OPT,
	OPT_END,
};
const struct command cmd_devmap_set = {
	.name = "devmap-set", .synopsis = "--map PIN --key K --netns NS --dev IF",
	.summary = "points devmap slot K at IF (its ifindex resolved inside NS)",
	.opts = devmap_set_opts, .args_size = sizeof(P), .run = run_devmap_set,
};

static const struct opt_spec inspect_opts[] = { OBJ_OPT("the BPF object file"), OPT_END };
const struct command cmd_inspect = {
	.name = "inspect", .synopsis = "--obj F",
	.summary = "an object's programs (with helper ids), maps and BTF; nothing is loaded",
	.opts = inspect_opts, .args_size = sizeof(P), .run = run_inspect,
};

static const struct opt_spec map_update_opts[] = {
	OPT_S("--map", P, map, "PIN", .help = "a pinned map"),
	OPT_S("--key-hex", P, key_hex, "HEX", .help = "the key's bytes"),
	OPT_S("--value-hex", P, value_hex, "HEX", .help = "the value's bytes (per-CPU maps: one per possible CPU)"),
	OPT_END,
};
const struct command cmd_map_update = {
	.name = "map-update", .synopsis = "--map PIN --key-hex HEX --value-hex HEX",
	.summary = "writes one entry into a pinned map, its sizes checked first",
	.opts = map_update_opts, .args_size = sizeof(P), .run = run_map_update,
};
