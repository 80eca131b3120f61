// SPDX-License-Identifier: GPL-2.0
/* xdpb guard: a lab host's cleanup when the controller goes away (see run_guard). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "xdpb_util.h"

struct guard_args {
	const char *pin_dir;
	struct opt_list devs, kills;
	long long idle_timeout_ms;
};

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

/* Waits for the end of the controller: "signal", "idle", "poll-error" or "eof". */
static const char *wait_for_end(long long idle_timeout_ms)
{
	char buf[256];
	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		int r = poll(&p, 1, (int)idle_timeout_ms);
		if (guard_signalled)
			return "signal";
		if (r == 0)
			return "idle";
		if (r < 0 && errno != EINTR)
			return "poll-error";
		if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			return "eof";
	}
}

/* Detaches every XDP mode's program from each device; how many were detached. */
static int detach_all(const struct opt_list *devs)
{
	static const __u32 flags[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_HW_MODE };
	int detached = 0;
	for (int i = 0; i < devs->n; i++) {
		int ifindex = (int)if_nametoindex(devs->v[i]);
		for (size_t f = 0; ifindex && f < sizeof(flags) / sizeof(flags[0]); f++) {
			__u32 id = 0;
			if (!bpf_xdp_query_id(ifindex, flags[f], &id) && id && !bpf_xdp_detach(ifindex, flags[f], NULL))
				detached++;
		}
	}
	return detached;
}

#define GUARD_NEEDS "guard needs --pin-dir, --guard-dev and --idle-timeout-ms (>= 100)"

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
static int run_guard(void *args)
{
	const struct guard_args *a = args;
	struct sigaction sa = { .sa_handler = guard_on_signal };

	if (!a->pin_dir || !*a->pin_dir || !a->devs.n || a->idle_timeout_ms < 100)
		return usage(GUARD_NEEDS);
	/* It removes a whole tree: only ever a run's own directory in bpffs. */
	if (strncmp(a->pin_dir, "/sys/fs/bpf/xdpb-", 17) || strstr(a->pin_dir, ".."))
		return usage("guard: --pin-dir must be a run's directory /sys/fs/bpf/xdpb-*");
	/* No SA_RESTART: a signal ends poll() with EINTR. SIGHUP/SIGPIPE: a lost session must not stop the cleanup. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	printf("{\"ok\":true,\"guarding\":%d}\n", a->devs.n);
	fflush(stdout);
	const char *why = wait_for_end(a->idle_timeout_ms);
	int detached = detach_all(&a->devs);
	int remove_errno = nftw(a->pin_dir, guard_remove, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT ? errno : 0;
	if (!remove_errno)
		remove_errno = guard_remove_errno;
	int killed = kill_matching(a->kills.v, a->kills.n);
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

#define GA struct guard_args
static const struct opt_spec guard_opts[] = {
	OPT_S("--pin-dir", GA, pin_dir, "D", .help = "the run's pin dir (/sys/fs/bpf/xdpb-*): removed"),
	OPT_L("--guard-dev", GA, devs, "IF", .help = "a device whose XDP programs are detached (every mode)"),
	OPT_N("--idle-timeout-ms", GA, idle_timeout_ms, "N", RANGE(100, INT_MAX),
	      .help = "clean up after N ms without a heartbeat byte on stdin"),
	OPT_L("--kill-matching", GA, kills, "S", .help = "kill processes whose command line contains S, and their descendants"),
	OPT_END,
};
const struct command cmd_guard = {
	.name = "guard", .synopsis = "--pin-dir D --guard-dev IF... --idle-timeout-ms N [--kill-matching S]...",
	.summary = "waits for stdin EOF, silence or a signal, then detaches, removes the pins and kills the run's processes",
	.opts = guard_opts, .args_size = sizeof(GA), .run = run_guard,
};
