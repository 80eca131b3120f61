// SPDX-License-Identifier: GPL-2.0
/* xdpb exec: runs a tool inside a netns (optionally pinned to a CPU), dying
 * with its parent: a killed run leaves no tcpdump or iperf behind. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "commands.h"
#include "xdpb_util.h"

struct exec_args {
	const char *netns;
	long long cpu;
	char **rest; /* after "--" */
};

static int run_exec(void *args)
{
	const struct exec_args *a = args;
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


/* --cpu is range-checked here, not by the parser: after PR_SET_PDEATHSIG and with exec's own message. */
static const struct opt_spec exec_opts[] = {
	OPT_S("--netns", struct exec_args, netns, "NS", .help = "the network namespace to run in (none: the helper's own)"),
	OPT_N("--cpu", struct exec_args, cpu, "N", .num_default = -1, .help = "pin the program to CPU N (-1: not pinned)"),
	OPT_END,
};
const struct command cmd_exec = {
	.name = "exec", .synopsis = "--netns NS [--cpu N] -- PROGRAM ARGS...",
	.summary = "runs PROGRAM inside NS, killed when the helper's parent dies",
	.opts = exec_opts, .args_size = sizeof(struct exec_args), .run = run_exec,
	.takes_rest = true, .rest_offset = offsetof(struct exec_args, rest),
};
