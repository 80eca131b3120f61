/* Pinning a loaded object's programs and maps under a dir, and undoing
 * exactly what a load pinned (load and attach, cmd_prog.c). */
#ifndef XDPB_PINS_H
#define XDPB_PINS_H
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "object_load.h"

/* The kernel's program tag (bpf_prog_info.tag): a hash of the instructions
 * with map references zeroed, so the same program has the same tag in every
 * load, native, generic or offloaded. */
void tag_hex(const struct bpf_prog_info *info, char out[BPF_TAG_SIZE * 2 + 1]);

/* Undoes the first nprogs/nmaps pins of pin_all (in its order), the by-name
 * pins the load made, and DIR if the load made it: a failed load leaves nothing
 * behind, and never removes pins it did not make. obj NULL: only DIR. */
void unpin_first(struct bpf_object *obj, const char *dir, const struct pin_undo *undo, int nprogs, int nmaps);

/* Pins every program and map under DIR; prints the load answer to `out` (NULL: silent).
 * On failure it prints the failure, undoes its own pins and returns EXIT_FAIL. */
int pin_all(struct bpf_object *obj, const char *dir, const struct pin_undo *undo, FILE *out);

#endif
