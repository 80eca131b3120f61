// SPDX-License-Identifier: GPL-2.0
/* The pinning of pins.h. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pins.h"
#include "xdpb_util.h"

void tag_hex(const struct bpf_prog_info *info, char out[BPF_TAG_SIZE * 2 + 1])
{
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		sprintf(out + 2 * i, "%02x", info->tag[i]);
}

void unpin_first(struct bpf_object *obj, const char *dir, const struct pin_undo *undo, int nprogs, int nmaps)
{
	char path[PATH_MAX];
	struct bpf_program *p;
	struct bpf_map *m;
	int i = 0;

	if (obj)
		bpf_object__for_each_program(p, obj) {
			if (nprogs <= 0)
				break;
			if (bpf_program__fd(p) < 0)
				continue;
			if (!format_path(path, sizeof(path), "%s/prog_%s", dir, bpf_program__name(p)))
				unlink(path);
			nprogs--;
		}
	if (obj)
		bpf_object__for_each_map(m, obj) {
			int by_name = i < undo->nmaps ? undo->by_name[i] : PIN_BY_NAME_REUSED; /* unknown: keep */
			i++;
			if (strchr(bpf_map__name(m), '.') || bpf_map__fd(m) < 0)
				continue;
			if (by_name == PIN_BY_NAME_NEW) {
				bpf_map__unpin(m, NULL);
			} else if (by_name == PIN_NOT_BY_NAME && nmaps > 0) {
				if (!format_path(path, sizeof(path), "%s/map_%s", dir, bpf_map__name(m)))
					unlink(path);
				nmaps--;
			}
		}
	if (!undo->dir_existed)
		rmdir(dir);
}

int pin_all(struct bpf_object *obj, const char *dir, const struct pin_undo *undo, FILE *out)
{
	char path[PATH_MAX]; /* the kernel's limit; longer is refused (ENAMETOOLONG), never cut */
	struct bpf_program *p;
	struct bpf_map *m;
	int err, status, nprogs = 0, nmaps = 0;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		status = fail("pin", errno, dir);
		unpin_first(obj, dir, undo, 0, 0);
		return status;
	}
	/* The answer is built in memory: a failure half-way prints only the failure. */
	char *buf = NULL;
	size_t buf_len = 0;
	FILE *o = open_memstream(&buf, &buf_len);
	if (!o) {
		status = fail("pin", errno, dir);
		goto undo;
	}
	fprintf(o, "{\"ok\":true,\"programs\":[");
	bool first = true;
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		char tag[BPF_TAG_SIZE * 2 + 1];
		if (bpf_program__fd(p) < 0)
			continue; /* not loaded (an offload load takes one program) */
		if ((err = format_path(path, sizeof(path), "%s/prog_%s", dir, bpf_program__name(p))) ||
		    (err = bpf_program__pin(p, path))) {
			status = fail("pin-program", -err, path);
			goto undo;
		}
		nprogs++;
		bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len);
		tag_hex(&info, tag);
		fprintf(o, "%s{\"name\":", first ? "" : ",");
		json_str(o, bpf_program__name(p));
		fprintf(o, ",\"id\":%u,\"tag\":\"%s\",\"pin\":", info.id, tag);
		json_str(o, path);
		fprintf(o, "}");
		first = false;
	}
	fprintf(o, "],\"maps\":[");
	first = true;
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		if (strchr(n, '.') || bpf_map__fd(m) < 0)
			continue; /* .rodata/.bss: internal, not pinned; or not created (offload) */
		bool by_name = bpf_map__is_pinned(m); /* LIBBPF_PIN_BY_NAME: pinned at load, under dir */
		if (by_name)
			err = format_path(path, sizeof(path), "%s", bpf_map__pin_path(m));
		else if (!(err = format_path(path, sizeof(path), "%s/map_%s", dir, n)))
			err = bpf_map__pin(m, path);
		if (err) {
			status = fail("pin-map", -err, path);
			goto undo;
		}
		nmaps += !by_name; /* by-name pins are the load's: undone by what it found before */
		fprintf(o, "%s{\"name\":", first ? "" : ",");
		json_str(o, n);
		fprintf(o, ",\"pin\":");
		json_str(o, path);
		fprintf(o, ",\"pinnedByName\":%s,\"maxEntries\":%u}", by_name ? "true" : "false", bpf_map__max_entries(m));
		first = false;
	}
	fprintf(o, "]}\n");
	fclose(o);
	if (out)
		fputs(buf, out);
	free(buf);
	return 0;
undo:
	if (o)
		fclose(o);
	free(buf);
	unpin_first(obj, dir, undo, nprogs, nmaps);
	return status;
}
