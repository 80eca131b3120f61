/* Small helpers shared by the userspace tools (xdpb, xdpb-lat): JSON string
 * output, entering a named network namespace, hex frames, whole-file reads,
 * and failures reported as one JSON object with the kernel's own words.
 * One translation unit (xdpb_util.c): libbpf's captured log must be a single
 * buffer for every file of a tool. */
#ifndef XDPB_UTIL_H
#define XDPB_UTIL_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_FAIL 1

void json_str(FILE *f, const char *s);

/* snprintf that refuses to cut: -ENAMETOOLONG when the result does not fit. */
int format_path(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A whole integer (base 0: 10, 0x.., 0..) or -EINVAL; out of long long: -ERANGE. */
int parse_ll(const char *s, long long *out);

/* Kernel files of unbounded size (/proc/net/dev grows with the interfaces,
 * /proc/PID/cmdline with the arguments) are read whole, up to this. */
#define XDPB_READ_MAX_BYTES (16u << 20)

/* Reads fd from offset 0 to EOF into *buf (grown as needed, kept for the next
 * call, NUL-terminated); *len is the length. 0 or -errno (-EFBIG past the cap). */
int read_whole_fd(int fd, char **buf, size_t *cap, size_t *len);
/* read_whole_fd of a path; -errno of open() when it cannot be opened. */
int read_whole_path(const char *path, char **buf, size_t *cap, size_t *len);

/* Enters /run/netns/NAME for the calling thread; "" or NULL stays put. Returns -errno
 * (-EINVAL for a name with '/', which would lead out of /run/netns). */
int enter_netns(const char *name);

/* Enters NETNS and resolves DEV there: 0, or EXIT_FAIL with the failure printed
 * (enter-netns, resolve-device). The thread stays in NETNS. */
int resolve_dev(const char *netns, const char *dev, int *ifindex);

/* Hex digits only (sscanf's %x would also take a sign, spaces and "0x"): 0 or -1. */
int parse_hex(const char *hex, unsigned char *out, size_t cap, size_t *len);

/* Prints {"ok":false,...} and returns EXIT_FAIL. err is a positive errno. */
int fail(const char *stage, int err, const char *detail);

/* Pins the calling thread to CPU (-1: leaves it be): 0 or -errno (-EINVAL outside 0..CPU_SETSIZE-1). */
int pin_cpu(long long cpu);

/* CLOCK_MONOTONIC in ns. */
int64_t now_ns(void);

/* Set by on_stop (SIGTERM/SIGINT of a long command: sample, gen, probe, prog-run). */
extern volatile sig_atomic_t stop_requested;
void on_stop(int sig);

/* Common start of the tools: libbpf's messages captured for fail(), strict
 * libbpf, and death with the harness so a killed run leaves no process. */
void xdpb_tool_init(void);

#endif
