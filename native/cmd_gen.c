// SPDX-License-Identifier: GPL-2.0
/* xdpb gen: the live-frame generator.
 * Each thread makes ONE long BPF_PROG_RUN call (the kernel sets up and tears
 * down a page pool per call, ~20 ms here, so short calls starve the link) and
 * is stopped by a signal at the deadline: the kernel checks for pending
 * signals between batches. What was sent is read from the program's own
 * per-CPU counters (XDP_TX = sent, XDP_DROP = held back by the rate cap). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "object_load.h"
#include "xdpb_stats.h"
#include "xdpb_util.h"

struct gen_args {
	const char *obj, *netns, *dev, *frame_hex, *cpus;
	struct opt_list knobs;
	long long duration_ms, rate_pps, flows, batch;
};

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
#define GEN_NEEDS "gen needs --obj, --dev, --frame-hex and --duration-ms 1..86400000"

/* Loads the generator object with the user's knobs and then its own (flows,
 * the per-thread rate): NULL with *status set when it cannot. */
static struct bpf_object *load_generator(const struct gen_args *a, int nthreads, int *status)
{
	char flows[64], rate[64];
	snprintf(flows, sizeof(flows), "xdpb_flows=%lld", a->flows);
	snprintf(rate, sizeof(rate), "xdpb_rate_pps_per_cpu=%lld", a->rate_pps / nthreads);
	struct load_opts o = { .obj = a->obj, .knobs.n = a->knobs.n + 2 };
	o.knobs.v = calloc((size_t)o.knobs.n, sizeof(*o.knobs.v));
	if (!o.knobs.v) {
		*status = fail("alloc", ENOMEM, NULL);
		return NULL;
	}
	for (int i = 0; i < a->knobs.n; i++)
		o.knobs.v[i] = a->knobs.v[i];
	o.knobs.v[a->knobs.n] = flows;
	o.knobs.v[a->knobs.n + 1] = rate;
	struct bpf_object *obj = open_and_load(&o, 0, NULL, NULL, status);
	free(o.knobs.v);
	return obj;
}

/* Runs one thread per CPU until the deadline or a stop; the first error of any, or 0. */
static int run_threads(struct gen_thread *th, const int *cpus, int ncpu, const struct gen_thread *proto,
		       int64_t deadline, int *started)
{
	int err = 0;
	for (*started = 0; *started < ncpu; (*started)++) {
		th[*started] = *proto;
		th[*started].cpu = cpus[*started];
		if ((err = pthread_create(&th[*started].tid, NULL, gen_main, &th[*started])))
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
	for (int i = 0; i < *started; i++)
		pthread_kill(th[i].tid, SIGUSR1);
	for (int i = 0; i < *started; i++) {
		pthread_join(th[i].tid, NULL);
		if (th[i].err && !err)
			err = th[i].err;
	}
	return err;
}

/* The sum over CPUs of xdpb_stats[action]: 0 or the exit status, the failure printed. */
static int sum_packets(int fd, __u32 action, const char *what, struct xdpb_action_stats *vals, int ncpus,
		       unsigned long long *sum)
{
	if (bpf_map_lookup_elem(fd, &action, vals))
		return fail("read-generator-stats", errno, what);
	*sum = 0;
	for (int c = 0; c < ncpus; c++)
		*sum += vals[c].packets;
	return 0;
}

static int run_gen(void *args)
{
	const struct gen_args *a = args;
	static unsigned char frame[4096];
	size_t frame_len;
	int ifindex, status, *cpus = NULL, ncpu = 0;
	int ncpus_possible = libbpf_num_possible_cpus();
	struct bpf_object *obj = NULL;
	struct gen_thread *th = NULL;
	struct xdpb_action_stats *vals = NULL;

	if (!a->obj || !a->dev || !a->frame_hex || a->duration_ms <= 0)
		return usage(GEN_NEEDS);
	if (parse_hex(a->frame_hex, frame, sizeof(frame), &frame_len) || frame_len < 42)
		return usage("--frame-hex must be an even-length hex Ethernet/IPv4/UDP frame of 42 to 4096 bytes");
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
	if ((status = resolve_dev(a->netns, a->dev, &ifindex)) || !(obj = load_generator(a, ncpu, &status)))
		goto out;
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "xdp_gen_tx");
	struct bpf_map *stats = bpf_object__find_map_by_name(obj, "xdpb_stats");
	if (!p || !stats) {
		status = fail("find-program", ENOENT, "xdp_gen_tx/xdpb_stats");
		goto out;
	}
	th = calloc(ncpu, sizeof(*th));
	vals = calloc(ncpus_possible, sizeof(*vals));
	if (!th || !vals) {
		status = fail("alloc", ENOMEM, NULL);
		goto out;
	}

	struct sigaction sa = { .sa_handler = on_wake }; /* no SA_RESTART: interrupts BPF_PROG_RUN */
	sigaction(SIGUSR1, &sa, NULL);
	const struct gen_thread proto = { .prog_fd = bpf_program__fd(p), .ifindex = ifindex, .frame = frame,
					  .frame_len = (__u32)frame_len, .batch = (__u32)a->batch };
	int started;
	int64_t start = now_ns();
	int err = run_threads(th, cpus, ncpu, &proto, start + a->duration_ms * 1000000LL, &started);
	int64_t elapsed = now_ns() - start;
	unsigned long long sent, held;
	int fd = bpf_map__fd(stats);
	if ((status = sum_packets(fd, XDP_TX, "xdpb_stats[XDP_TX]", vals, ncpus_possible, &sent)) ||
	    (status = sum_packets(fd, XDP_DROP, "xdpb_stats[XDP_DROP]", vals, ncpus_possible, &held)))
		goto out;
	if (err && !sent) {
		status = fail("generate", err, started < ncpu ? "pthread_create" : "BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES");
		goto out;
	}
	printf("{\"ok\":true,\"framesSent\":%llu,\"framesHeldByRateCap\":%llu,\"durationNs\":%" PRId64
	       ",\"errno\":%d,\"threads\":%d}\n", sent, held, elapsed, err, started);
out:
	bpf_object__close(obj);
	free(th);
	free(vals);
	free(cpus);
	return status;
}

#define G struct gen_args
static const struct opt_spec gen_opts[] = {
	OPT_S("--obj", G, obj, "F", .help = "gen.bpf.o (its program xdp_gen_tx and map xdpb_stats)"),
	OPT_S("--netns", G, netns, "NS", .help = "the device's network namespace (none: the helper's own)"),
	OPT_S("--dev", G, dev, "IF", .help = "the device the frames go out of"),
	OPT_S("--frame-hex", G, frame_hex, "HEX", .help = "the Ethernet/IPv4/UDP frame, 42..4096 bytes"),
	OPT_N("--duration-ms", G, duration_ms, "D", RANGE(1, GEN_DURATION_MAX_MS), .range_error = GEN_NEEDS,
	      .help = "how long to send"),
	OPT_S("--cpus", G, cpus, "0,1", .help = "one thread per listed CPU"),
	OPT_N("--rate-pps", G, rate_pps, "R", RANGE(0, LLONG_MAX),
	      .range_error = "--rate-pps must be >= 0 (0: no cap) and --flows 1..4294967295",
	      .help = "the rate cap over all threads (0: none)"),
	OPT_N("--flows", G, flows, "N", RANGE(1, UINT32_MAX), .num_default = 1,
	      .range_error = "--rate-pps must be >= 0 (0: no cap) and --flows 1..4294967295",
	      .help = "source ports cycled through"),
	OPT_N("--batch", G, batch, "N", RANGE(1, 256), .num_default = 64,
	      .range_error = "--batch must be 1..256 (the kernel's limit)", .help = "frames per BPF_PROG_RUN batch"),
	OPT_L("--set", G, knobs, "VAR=VAL", .help = "a const volatile knob of the object (xdpb_src_port_base=...)"),
	OPT_END,
};
const struct command cmd_gen = {
	.name = "gen",
	.synopsis = "--obj F --netns NS --dev IF --frame-hex HEX --duration-ms D --cpus 0,1 [--rate-pps R] [--flows N] "
		    "[--batch N] [--set VAR=VAL]...",
	.summary = "sends frames with BPF_PROG_RUN live frames; answers framesSent, framesHeldByRateCap, durationNs",
	.opts = gen_opts, .args_size = sizeof(G), .run = run_gen,
};
