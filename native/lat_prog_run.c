// SPDX-License-Identifier: GPL-2.0
/* xdpb-lat prog-run (BPF_PROG_TEST_RUN cost of one program, as described in
 * the header of native/xdpb_lat.c) and list (an object's programs). */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lat_commands.h"
#include "xdpb_util.h"

#define MAP_NAME_CAP 128

struct prog_run_args {
	const char *obj, *prog_name, *frame_hex, *devmap;
	long long repeat, runs, cpu;
};

static const char *action_name(__u32 r)
{
	static const char *names[] = { "aborted", "drop", "pass", "tx", "redirect" };
	return r < 5 ? names[r] : "unknown";
}

/* MAP=IFNAME: slot 0 of a devmap -> IFNAME (in this netns), so a
 * redirecting program takes its real path instead of the miss. 0 or EXIT_FAIL. */
static int fill_devmap(struct bpf_object *obj, const char *devmap)
{
	char name[MAP_NAME_CAP];
	const char *eq = strchr(devmap, '='); /* checked by run_prog_run */
	memcpy(name, devmap, eq - devmap);
	name[eq - devmap] = 0;
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	__u32 k = 0, v = m ? if_nametoindex(eq + 1) : 0;
	if (!m)
		return fail("find-map", ENOENT, name);
	if (!v)
		return fail("resolve-device", errno, eq + 1);
	if (bpf_map_update_elem(bpf_map__fd(m), &k, &v, BPF_ANY))
		return fail("map-update", errno, name);
	return 0;
}

/* The answer: K calls of R repeats, printed as they come; stops early on a
 * signal (interrupted) or a failed call (its errno). 0 or EXIT_FAIL. */
static int measure(const struct prog_run_args *a, int fd, unsigned char *frame, size_t frame_len, unsigned char *out,
		   size_t out_cap)
{
	int status = 0;
	printf("{\"ok\":true,\"program\":");
	json_str(stdout, a->prog_name);
	printf(",\"object\":");
	json_str(stdout, a->obj);
	printf(",\"frameBytes\":%zu,\"repeat\":%lld,\"cpu\":%lld,\"runs\":[", frame_len, a->repeat, a->cpu);
	for (long long i = 0; i < a->runs && !stop_requested; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)frame_len,
			    .data_out = out, .data_size_out = (__u32)out_cap, .repeat = (int)a->repeat);
		int64_t t0 = now_ns();
		int err = bpf_prog_test_run_opts(fd, &opts);
		int64_t t1 = now_ns();
		if (err) {
			status = errno;
			break;
		}
		printf("%s{\"nsPerPacket\":%u,\"wallNsPerPacket\":%.4f,\"retval\":%u,\"action\":\"%s\",\"dataOutBytes\":%u}",
		       i ? "," : "", opts.duration, (double)(t1 - t0) / (double)a->repeat, opts.retval,
		       action_name(opts.retval), opts.data_size_out);
		fflush(stdout);
	}
	printf("],\"interrupted\":%s,\"errno\":%d,\"error\":", stop_requested ? "true" : "false", status);
	json_str(stdout, status ? strerror(status) : "");
	printf("}\n");
	return status ? EXIT_FAIL : 0;
}

static int run_prog_run(void *args)
{
	const struct prog_run_args *a = args;
	static unsigned char frame[4096], out[4096 + 256];
	size_t frame_len;
	int err;

	if (!a->obj || !a->prog_name || !a->frame_hex)
		return usage("prog-run needs --obj, --prog-name and --frame-hex");
	if (parse_hex(a->frame_hex, frame, sizeof(frame), &frame_len) || frame_len < 14)
		return usage("--frame-hex must be an even-length hex Ethernet frame of 14 to 4096 bytes");
	if ((err = pin_cpu(a->cpu)))
		return fail("pin-cpu", -err, NULL);
	struct sigaction st = { .sa_handler = on_stop };
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);

	const char *eq = a->devmap ? strchr(a->devmap, '=') : NULL;
	if (a->devmap && (!eq || eq == a->devmap || (size_t)(eq - a->devmap) >= MAP_NAME_CAP || !eq[1]))
		return usage("--devmap takes MAP=IFNAME");
	struct bpf_object *obj = bpf_object__open_file(a->obj, NULL);
	long e = libbpf_get_error(obj);
	if (e)
		return fail("open-object", (int)-e, a->obj);
	int status = 0;
	if ((err = bpf_object__load(obj))) {
		status = fail("load-object", -err, a->obj);
		goto out;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, a->prog_name);
	if (!prog) {
		status = fail("find-program", ENOENT, a->prog_name);
		goto out;
	}
	if (a->devmap && (status = fill_devmap(obj, a->devmap)))
		goto out;
	int fd = bpf_program__fd(prog);
	/* One unreported call first: the program's first runs pay for cold
	 * caches and the stats map's first touch. */
	LIBBPF_OPTS(bpf_test_run_opts, warm, .data_in = frame, .data_size_in = (__u32)frame_len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = (int)(a->repeat < 100000 ? a->repeat : 100000));
	if (bpf_prog_test_run_opts(fd, &warm)) {
		status = fail("prog-test-run", errno, a->prog_name);
		goto out;
	}
	status = measure(a, fd, frame, frame_len, out, sizeof(out));
out:
	bpf_object__close(obj);
	return status;
}

static int run_list(void *args)
{
	const struct prog_run_args *a = args;
	if (!a->obj)
		return usage("list needs --obj");
	struct bpf_object *obj = bpf_object__open_file(a->obj, NULL);
	long e = libbpf_get_error(obj);
	if (e)
		return fail("open-object", (int)-e, a->obj);
	struct bpf_program *p;
	bool first = true;
	printf("{\"ok\":true,\"programs\":[");
	bpf_object__for_each_program(p, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(stdout, bpf_program__name(p));
		printf(",\"section\":");
		json_str(stdout, bpf_program__section_name(p));
		printf("}");
		first = false;
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}

#define PR struct prog_run_args
static const struct opt_spec prog_run_opts[] = {
	OPT_S("--obj", PR, obj, "F", .help = "the BPF object file (loaded whole; its maps start empty)"),
	OPT_S("--prog-name", PR, prog_name, "N", .help = "the program to run"),
	OPT_S("--frame-hex", PR, frame_hex, "HEX", .help = "the Ethernet frame, 14..4096 bytes"),
	OPT_N("--repeat", PR, repeat, "R", RANGE(1, 100000000), .num_default = 1000000,
	      .range_error = "--repeat must be 1..100000000 and --runs 1..1000", .help = "repeats per call"),
	OPT_N("--runs", PR, runs, "K", RANGE(1, 1000), .num_default = 10,
	      .range_error = "--repeat must be 1..100000000 and --runs 1..1000", .help = "calls reported"),
	OPT_N("--cpu", PR, cpu, "C", RANGE(-1, CPU_SETSIZE - 1), .num_default = -1,
	      .range_error = "--cpu must be a CPU number 0..1023", .help = "pin to CPU C (-1: not pinned)"),
	OPT_S("--devmap", PR, devmap, "MAP=IFNAME", .help = "slot 0 of devmap MAP -> IFNAME"),
	OPT_END,
};
const struct command cmd_prog_run = {
	.name = "prog-run",
	.synopsis = "--obj F --prog-name N --frame-hex HEX [--repeat R] [--runs K] [--cpu C] [--devmap MAP=IFNAME]",
	.summary = "BPF_PROG_TEST_RUN of one program on a frame; answers the kernel's and the wall ns per packet of each call",
	.opts = prog_run_opts, .args_size = sizeof(PR), .run = run_prog_run,
};

static const struct opt_spec list_opts[] = {
	OPT_S("--obj", PR, obj, "F", .help = "the BPF object file"),
	OPT_END,
};
const struct command cmd_list = {
	.name = "list", .synopsis = "--obj F",
	.summary = "an object's programs (name, section); nothing is loaded",
	.opts = list_opts, .args_size = sizeof(PR), .run = run_list,
};
