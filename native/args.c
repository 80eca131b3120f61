// SPDX-License-Identifier: GPL-2.0
/* The option parser and command dispatch of args.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "xdpb_util.h"

static const struct tool *cur_tool;
static const struct command *cur_cmd;

const char *tool_name(void)
{
	return cur_tool ? cur_tool->name : "xdpb";
}

int usage(const char *msg)
{
	if (cur_cmd)
		fprintf(stderr, "%s: %s (see: %s help %s)\n", tool_name(), msg, tool_name(), cur_cmd->name);
	else
		fprintf(stderr, "%s: %s (see: %s help)\n", tool_name(), msg, tool_name());
	return EXIT_USAGE;
}

static const struct command *find_command(const struct tool *t, const char *name)
{
	for (const struct command *const *c = t->commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

static const struct opt_spec *find_opt(const struct command *c, const char *name)
{
	for (const struct opt_spec *o = c->opts; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static void print_tool_help(const struct tool *t)
{
	printf("%s: %s\n\ncommands:\n", t->name, t->summary);
	for (const struct command *const *c = t->commands; *c; c++)
		printf("  %-11s %s\n", (*c)->name, (*c)->summary);
	printf("\n%s help CMD (or %s CMD --help) lists a command's options.\n", t->name, t->name);
}

static void print_command_help(const struct tool *t, const struct command *c)
{
	printf("usage: %s %s %s\n  %s\n", t->name, c->name, c->synopsis, c->summary);
	if (c->opts->name)
		printf("options:\n");
	for (const struct opt_spec *o = c->opts; o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "%s%s%s%s", o->name, o->value ? " " : "", o->value ? o->value : "",
			 o->kind == OPT_LIST ? " ..." : "");
		printf("  %-28s %s", left, o->help ? o->help : "");
		if (o->kind == OPT_NUM && o->ranged && o->max == LLONG_MAX)
			printf(" (>= %lld)", o->min);
		else if (o->kind == OPT_NUM && o->ranged)
			printf(" (%lld..%lld)", o->min, o->max);
		if (o->kind == OPT_NUM && o->num_default)
			printf(" [default %lld]", o->num_default);
		if (o->kind == OPT_STR && o->str_default)
			printf(" [default %s]", o->str_default);
		if (o->kind == OPT_LIST)
			printf(" (repeatable)");
		printf("\n");
	}
	if (c->takes_rest)
		printf("  -- PROGRAM ARGS...             the program to run, and its arguments\n");
}

static void *field(void *args, const struct opt_spec *o)
{
	return (char *)args + o->offset;
}

static void free_lists(const struct command *c, void *args)
{
	for (const struct opt_spec *o = c->opts; o->name; o++)
		if (o->kind == OPT_LIST)
			free(((struct opt_list *)field(args, o))->v);
}

/* Appends v; the array keeps one NULL past the end. 0 or -ENOMEM. */
static int list_append(struct opt_list *l, const char *v)
{
	const char **nv = realloc(l->v, ((size_t)l->n + 2) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[l->n++] = v;
	nv[l->n] = NULL;
	l->v = nv;
	return 0;
}

/* One value of an option into args: 0, or EXIT_USAGE/EXIT_FAIL with the reason printed. */
static int take_value(const struct opt_spec *o, const char *v, void *args)
{
	switch (o->kind) {
	case OPT_STR:
		*(const char **)field(args, o) = v;
		return 0;
	case OPT_NUM: {
		long long n;
		if (parse_ll(v, &n)) {
			fprintf(stderr, "%s: %s takes an integer, got '%s'\n", tool_name(), o->name, v);
			return EXIT_USAGE;
		}
		if (o->ranged && (n < o->min || n > o->max)) {
			if (o->range_error)
				return usage(o->range_error);
			fprintf(stderr, "%s: %s must be %lld..%lld, got %lld (see: %s help %s)\n", tool_name(), o->name,
				o->min, o->max, n, tool_name(), cur_cmd->name);
			return EXIT_USAGE;
		}
		*(long long *)field(args, o) = n;
		return 0;
	}
	case OPT_LIST:
		if (list_append(field(args, o), v)) {
			fprintf(stderr, "%s: out of memory\n", tool_name());
			return EXIT_FAIL;
		}
		return 0;
	case OPT_FLAG:
		break;
	}
	return EXIT_FAIL;
}

#define HELP_SHOWN (-1)

static int unknown_command(const char *name)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "unknown subcommand %.80s", name);
	return usage(msg);
}

/* Fills args (args_size bytes, zeroed here) from the command's defaults and argv. */
static int parse_command_args(const struct command *c, int argc, char **argv, void *args)
{
	for (const struct opt_spec *o = c->opts; o->name; o++) {
		if (o->kind == OPT_NUM)
			*(long long *)field(args, o) = o->num_default;
		else if (o->kind == OPT_STR)
			*(const char **)field(args, o) = o->str_default;
	}
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i];
		if (!strcmp(k, "--")) {
			if (!c->takes_rest) {
				fprintf(stderr, "%s: %s takes no -- PROGRAM ARGS (see: %s help %s)\n", tool_name(), c->name,
					tool_name(), c->name);
				return EXIT_USAGE;
			}
			*(char ***)((char *)args + c->rest_offset) = &argv[i + 1];
			return 0;
		}
		if (!strcmp(k, "--help")) {
			print_command_help(cur_tool, c);
			return HELP_SHOWN;
		}
		const struct opt_spec *o = find_opt(c, k);
		if (!o) {
			fprintf(stderr, "%s: unknown option %s for %s (see: %s help %s)\n", tool_name(), k, c->name,
				tool_name(), c->name);
			return EXIT_USAGE;
		}
		if (o->kind == OPT_FLAG) {
			*(bool *)field(args, o) = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: option %s without a value\n", tool_name(), k);
			return EXIT_USAGE;
		}
		int r = take_value(o, argv[++i], args);
		if (r)
			return r;
	}
	return 0;
}

int run_tool(const struct tool *t, int argc, char **argv)
{
	cur_tool = t;
	if (argc < 2)
		return usage("missing subcommand");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		if (argc < 3) {
			print_tool_help(t);
			return 0;
		}
		const struct command *c = find_command(t, argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		print_command_help(t, c);
		return 0;
	}
	const struct command *c = find_command(t, argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	cur_cmd = c;
	xdpb_tool_init();
	void *args = calloc(1, c->args_size);
	if (!args) {
		fprintf(stderr, "%s: out of memory\n", t->name);
		return EXIT_FAIL;
	}
	int r = parse_command_args(c, argc - 2, argv + 2, args);
	if (!r)
		r = c->run(args);
	free_lists(c, args);
	free(args);
	return r == HELP_SHOWN ? 0 : r;
}
