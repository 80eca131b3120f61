// SPDX-License-Identifier: GPL-2.0
/* xdpb sample: program stats, link stats, ethtool stats, a namespace's
 * IP/UDP counters and the xdp tracepoints' exception counters at one
 * instant, one JSON line per sample on a fixed-rate schedule. A source that
 * cannot be opened (no such map, netns or device) fails the command before
 * the first sample; a device gone later is "link":null with "error" (dev_source.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "dev_source.h"
#include "object_load.h"
#include "xdpb_stats.h"
#include "xdpb_trace.h"
#include "xdpb_util.h"

struct sample_args {
	struct opt_list stats, devs, snmps;
	const char *trace_obj;
	long long interval_ms, max_samples, trace_prog_id;
};

struct stats_source {
	char label[64];
	int map_fd;
};

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

static void open_trace_source(const struct sample_args *a, struct trace_source *t)
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

/* Everything one sample reads, opened before the first. */
struct sources {
	struct stats_source *ss;
	struct dev_source *ds;
	struct snmp_source *sn;
	int nss, nds, nsn; /* opened (or half-opened: released all the same) */
	struct trace_source trace;
	bool tracing;
	int ncpus, home; /* home: the helper's own netns */
	struct xdpb_action_stats *vals;
};

static void emit_stats(struct sources *s)
{
	struct stats_source *ss = s->ss;
	struct xdpb_action_stats *vals = s->vals;
	int nss = s->nss, ncpus = s->ncpus;

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
}

/* ,"snmp":{...} and, for those that could not be read, ,"snmpErrors":{LABEL:WHY}. */
static void emit_snmps(struct snmp_source *sn, int nsn)
{
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
	if (!nerr)
		return;
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

static void emit_sample(struct sources *s)
{
	printf("{\"tNs\":%" PRId64 ",\"stats\":{", now_ns());
	emit_stats(s);
	printf("},\"dev\":{");
	for (int i = 0; i < s->nds; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, s->ds[i].label);
		printf(":{");
		emit_device(&s->ds[i]);
		printf("}");
	}
	printf("}");
	if (s->nsn)
		emit_snmps(s->sn, s->nsn);
	if (s->tracing)
		emit_trace(&s->trace, s->ncpus);
	printf("}\n");
	fflush(stdout);
}

#define SAMPLE_INTERVAL_MAX_MS 86400000LL /* a day: the schedule's arithmetic stays far from overflow */
#define SAMPLE_NEEDS "sample needs --interval-ms 1..86400000, --max-samples >= 0 (0: until stopped) and at least one " \
	"--stats, --dev-stats or --snmp"

/* LABEL=PINNED_MAP of an xdpb_stats map: 0 or the exit status, the failure printed. */
static int open_stats_source(const char *spec, struct stats_source *src)
{
	const char *eq = strchr(spec, '=');
	src->map_fd = -1;
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(src->label) || !eq[1]) {
		fprintf(stderr, "xdpb: --stats takes LABEL=PINNED_MAP (label < 64 bytes), got '%s'\n", spec);
		return EXIT_USAGE;
	}
	memcpy(src->label, spec, eq - spec);
	src->map_fd = bpf_obj_get(eq + 1);
	if (src->map_fd < 0)
		return fail("open-stats-map", errno, eq + 1);
	return check_stats_map(src->map_fd, eq + 1);
}

/* Opens every source in command-line order; a failure stops at it (what
 * was opened, the failed one included, is released by close_sources). */
static int open_sources(const struct sample_args *a, struct sources *s)
{
	int status;
	s->ncpus = libbpf_num_possible_cpus();
	s->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	s->ss = calloc(a->stats.n + 1, sizeof(*s->ss));
	s->ds = calloc(a->devs.n + 1, sizeof(*s->ds));
	s->sn = calloc(a->snmps.n + 1, sizeof(*s->sn));
	s->vals = s->ncpus > 0 ? calloc((size_t)s->ncpus * XDPB_ACTION_COUNT, sizeof(*s->vals)) : NULL;
	if (s->ncpus <= 0 || s->home < 0 || !s->ss || !s->ds || !s->sn || !s->vals)
		return fail("sample-setup", s->ncpus <= 0 ? -s->ncpus : s->home < 0 ? errno : ENOMEM, NULL);
	for (; s->nss < a->stats.n; s->nss++)
		if ((status = open_stats_source(a->stats.v[s->nss], &s->ss[s->nss]))) {
			s->nss++; /* its half-open state is released by close_sources */
			return status;
		}
	for (; s->nds < a->devs.n; s->nds++)
		if ((status = open_dev_source(a->devs.v[s->nds], &s->ds[s->nds], s->home))) {
			s->nds++;
			return status;
		}
	for (; s->nsn < a->snmps.n; s->nsn++)
		if ((status = open_snmp_source(a->snmps.v[s->nsn], &s->sn[s->nsn], s->home))) {
			s->nsn++;
			return status;
		}
	if (a->trace_obj && a->trace_prog_id <= 0)
		return usage("--trace-obj needs --trace-prog-id ID (the XDP program whose exceptions to count)");
	if (a->trace_obj)
		open_trace_source(a, &s->trace);
	s->tracing = a->trace_obj != NULL;
	return 0;
}

static void close_sources(struct sources *s)
{
	close_trace_source(&s->trace);
	for (int i = 0; s->ss && i < s->nss; i++)
		if (s->ss[i].map_fd >= 0)
			close(s->ss[i].map_fd);
	for (int i = 0; s->ds && i < s->nds; i++)
		close_dev_source(&s->ds[i]);
	for (int i = 0; s->sn && i < s->nsn; i++) {
		if (s->sn[i].fd >= 0)
			close(s->sn[i].fd);
		free(s->sn[i].buf);
	}
	free(s->ss);
	free(s->ds);
	free(s->sn);
	free(s->vals);
	if (s->home >= 0)
		close(s->home);
}

/* Waits for the next deadline; any input on stdin samples at once, EOF stops. */
static void wait_until(const struct timespec *next)
{
	for (;;) {
		int64_t left_ns = (int64_t)next->tv_sec * 1000000000LL + next->tv_nsec - now_ns();
		if (left_ns <= 0 || stop_requested)
			return;
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		struct timespec to = { left_ns / 1000000000LL, left_ns % 1000000000LL };
		if (ppoll(&pfd, 1, &to, NULL) > 0) {
			char c[64];
			if (read(0, c, sizeof(c)) <= 0)
				stop_requested = 1; /* parent went away */
			return; /* any input: sample now */
		}
	}
}

static int run_sample(void *args)
{
	const struct sample_args *a = args;
	struct sources s = { .home = -1, .trace = { .map_fd = -1 } };
	int status;

	if (!a->stats.n && !a->devs.n && !a->snmps.n)
		return usage(SAMPLE_NEEDS);
	if ((status = open_sources(a, &s)))
		goto out;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	/* Fixed-rate schedule on absolute deadlines, so the interval does not
	 * drift by the time a sample takes. Stops on signal, stdin EOF, or count. */
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long long n = 0; !stop_requested && (!a->max_samples || n < a->max_samples); n++) {
		emit_sample(&s);
		next.tv_nsec += (a->interval_ms % 1000) * 1000000L;
		next.tv_sec += a->interval_ms / 1000 + next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		wait_until(&next);
	}
	/* A last sample when stopped, so the final counters are never lost. */
	emit_sample(&s);
out:
	close_sources(&s);
	return status;
}

#define S struct sample_args
static const struct opt_spec sample_opts[] = {
	OPT_N("--interval-ms", S, interval_ms, "N", RANGE(1, SAMPLE_INTERVAL_MAX_MS), .num_default = 250,
	      .range_error = SAMPLE_NEEDS, .help = "time between samples"),
	OPT_N("--max-samples", S, max_samples, "N", RANGE(0, LLONG_MAX), .range_error = SAMPLE_NEEDS,
	      .help = "stop after N samples and a last one (0: until stopped: signal or stdin EOF)"),
	OPT_L("--stats", S, stats, "LABEL=PIN", .help = "a pinned xdpb_stats map: packets per action and CPU"),
	OPT_L("--dev-stats", S, devs, "LABEL=NS/IF", .help = "a device's link and ethtool counters"),
	OPT_L("--snmp", S, snmps, "LABEL=NS", .help = "a namespace's Ip and Udp counters (/proc/net/snmp)"),
	OPT_S("--trace-obj", S, trace_obj, "F", .help = "trace.bpf.o: exceptions and redirect errors from the xdp tracepoints"),
	OPT_N("--trace-prog-id", S, trace_prog_id, "ID", .help = "the XDP program whose exceptions --trace-obj counts"),
	OPT_END,
};
const struct command cmd_sample = {
	.name = "sample",
	.synopsis = "--interval-ms N [--max-samples N] [--stats LABEL=PIN]... [--dev-stats LABEL=NS/IF]... "
		    "[--snmp LABEL=NS]... [--trace-obj F --trace-prog-id ID]",
	.summary = "samples counters on a fixed schedule, one JSON line each (input on stdin: sample now; EOF: stop)",
	.opts = sample_opts, .args_size = sizeof(S), .run = run_sample,
};
