/* The command table of a tool (xdpb, xdpb-lat) and the one option parser
 * both use. Each command names its options; an option is a field of the
 * command's own args struct, found by offset, so the parser fills any
 * command's struct from its spec alone. */
#ifndef XDPB_ARGS_H
#define XDPB_ARGS_H
#include <stdbool.h>
#include <stddef.h>

#define EXIT_USAGE 2

enum opt_kind {
	OPT_STR,  /* const char *: the value (the last one given) */
	OPT_NUM,  /* long long: a whole number, within [min, max] when ranged */
	OPT_LIST, /* struct opt_list: every value, in order (repeatable) */
	OPT_FLAG, /* bool: set by the option alone, no value */
};

/* A repeated option's values, as long as the command line: no cap to overflow. */
struct opt_list {
	const char **v;
	int n;
};

struct opt_spec {
	const char *name; /* "--obj" */
	enum opt_kind kind;
	size_t offset;     /* of the field in the command's args struct */
	const char *value; /* the value's name in help: "F", "LABEL=PIN" */
	const char *help;
	bool ranged;           /* OPT_NUM: values outside [min, max] are refused */
	long long min, max;
	long long num_default; /* OPT_NUM: when not given */
	const char *str_default; /* OPT_STR: when not given */
	const char *range_error; /* OPT_NUM: the usage message when out of range (NULL: "NAME must be MIN..MAX") */
};

/* Type-checked offset of a field: a spec can only point at a field of its kind's type. */
#define OPT_FIELD(type, field, ctype)                                                                             \
	(offsetof(type, field) + 0 * sizeof(struct {                                                              \
		 _Static_assert(__builtin_types_compatible_p(__typeof__(((type *)0)->field), ctype), #field " has the wrong type"); \
		 int x;                                                                                           \
	 }))
/* OPT_S("--obj", struct prog_args, obj, "F", .help = "..."): the rest are designated fields. */
#define OPT_S(opt, type, field, val, ...) \
	{ .name = opt, .kind = OPT_STR, .offset = OPT_FIELD(type, field, const char *), .value = val, __VA_ARGS__ }
#define OPT_N(opt, type, field, val, ...) \
	{ .name = opt, .kind = OPT_NUM, .offset = OPT_FIELD(type, field, long long), .value = val, __VA_ARGS__ }
#define OPT_L(opt, type, field, val, ...) \
	{ .name = opt, .kind = OPT_LIST, .offset = OPT_FIELD(type, field, struct opt_list), .value = val, __VA_ARGS__ }
#define OPT_F(opt, type, field, ...) \
	{ .name = opt, .kind = OPT_FLAG, .offset = OPT_FIELD(type, field, bool), __VA_ARGS__ }
#define RANGE(lo, hi) .ranged = true, .min = (lo), .max = (hi)
#define OPT_END { .name = NULL }

struct command {
	const char *name;
	const char *synopsis; /* the command line, options in brackets when optional */
	const char *summary;  /* what it does and answers */
	const struct opt_spec *opts; /* ends with OPT_END */
	size_t args_size;            /* of its args struct (zeroed, then defaults, then argv) */
	bool takes_rest;             /* "-- PROGRAM ARGS...": after the options, into the char ** at rest_offset */
	size_t rest_offset;
	int (*run)(void *args);
};

struct tool {
	const char *name; /* "xdpb" */
	const char *summary;
	const struct command *const *commands; /* NULL-terminated */
};

/* Parses argv[2..] for the command argv[1] and runs it; "help [CMD]" and
 * "CMD --help" print to stdout. Usage errors print to stderr and return EXIT_USAGE. */
int run_tool(const struct tool *tool, int argc, char **argv);

/* A usage error of the running command: "TOOL: MSG (see: TOOL help CMD)" on stderr; returns EXIT_USAGE. */
int usage(const char *msg);
/* The running tool's name, for messages printed without usage(). */
const char *tool_name(void);

#endif
