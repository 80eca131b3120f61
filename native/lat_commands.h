/* The commands of xdpb-lat, one table entry each. */
#ifndef XDPB_LAT_COMMANDS_H
#define XDPB_LAT_COMMANDS_H
#include "args.h"

extern const struct command cmd_probe;              /* lat_probe.c */
extern const struct command cmd_prog_run, cmd_list; /* lat_prog_run.c */

#endif
