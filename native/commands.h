/* The commands of xdpb, one table entry each, defined by their family's file. */
#ifndef XDPB_COMMANDS_H
#define XDPB_COMMANDS_H
#include "args.h"

/* cmd_prog.c: programs and maps */
extern const struct command cmd_load, cmd_attach, cmd_prog_info, cmd_detach, cmd_query, cmd_devmap_set, cmd_inspect,
	cmd_map_update;
extern const struct command cmd_sample; /* cmd_sample.c */
extern const struct command cmd_gen;    /* cmd_gen.c */
extern const struct command cmd_exec;   /* cmd_exec.c */
extern const struct command cmd_guard;  /* cmd_guard.c */

#endif
