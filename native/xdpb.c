// SPDX-License-Identifier: GPL-2.0
/* xdpb: the small libbpf helper of xdp bench.
 *
 * One binary, one subcommand per job; every answer is one JSON object on
 * stdout (`sample` prints one per line). Errors carry errno, strerror and the
 * kernel's own message (netlink extack or verifier log) when there is one;
 * usage errors go to stderr with exit status 2. `xdpb help` lists the
 * commands, `xdpb help CMD` (or `xdpb CMD --help`) a command's options.
 *
 * The commands live in their families' files: cmd_prog.c (load, attach,
 * prog-info, detach, query, devmap-set, inspect, map-update), cmd_sample.c,
 * cmd_gen.c, cmd_exec.c, cmd_guard.c; args.c parses each one's options.
 */
#include "args.h"
#include "commands.h"

static const struct command *const commands[] = {
	&cmd_load, &cmd_attach, &cmd_prog_info, &cmd_detach, &cmd_query, &cmd_devmap_set, &cmd_sample, &cmd_gen,
	&cmd_exec, &cmd_inspect, &cmd_map_update, &cmd_guard, NULL,
};

static const struct tool xdpb = {
	.name = "xdpb",
	.summary = "the libbpf helper of xdp bench (one JSON answer per command on stdout)",
	.commands = commands,
};

int main(int argc, char **argv)
{
	return run_tool(&xdpb, argc, argv);
}
