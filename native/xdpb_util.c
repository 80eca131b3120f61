// SPDX-License-Identifier: GPL-2.0
/* The helpers of xdpb_util.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "xdpb_util.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int format_path(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 ? -EINVAL : (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int parse_ll(const char *s, long long *out)
{
	char *end;
	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno)
		return -errno;
	*out = v;
	return 0;
}

int read_whole_fd(int fd, char **buf, size_t *cap, size_t *len)
{
	*len = 0;
	for (;;) {
		if (!*buf || *cap - *len < 2) {
			size_t ncap = *cap ? *cap * 2 : 16384;
			if (ncap > XDPB_READ_MAX_BYTES + 1)
				ncap = XDPB_READ_MAX_BYTES + 1;
			if (ncap <= *cap)
				return -EFBIG;
			char *nb = realloc(*buf, ncap);
			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*cap = ncap;
		}
		ssize_t n = pread(fd, *buf + *len, *cap - *len - 1, (off_t)*len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	(*buf)[*len] = 0;
	return 0;
}

int read_whole_path(const char *path, char **buf, size_t *cap, size_t *len)
{
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = read_whole_fd(fd, buf, cap, len);
	close(fd);
	return err;
}

int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	if (!name || !*name)
		return 0;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if ((err = format_path(path, sizeof(path), "/run/netns/%s", name)))
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

int resolve_dev(const char *netns, const char *dev, int *ifindex)
{
	int err = enter_netns(netns);
	if (err)
		return fail("enter-netns", -err, netns);
	*ifindex = (int)if_nametoindex(dev);
	if (!*ifindex)
		return fail("resolve-device", errno, dev);
	return 0;
}

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int parse_hex(const char *hex, unsigned char *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* ---- libbpf log capture: the kernel's reasons arrive through it ---- */
static char libbpf_log[65536];
static size_t libbpf_log_len;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_log_len < sizeof(libbpf_log) - 1) {
		int n = vsnprintf(libbpf_log + libbpf_log_len, sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
		if (n > 0)
			libbpf_log_len += (size_t)n;
		if (libbpf_log_len > sizeof(libbpf_log) - 1)
			libbpf_log_len = sizeof(libbpf_log) - 1;
	}
	return 0;
}

/* The netlink extack text libbpf logs as "Kernel error message: ...". */
static const char *kernel_message(char *buf, size_t len)
{
	const char *p = strstr(libbpf_log, "Kernel error message: ");
	if (!p)
		return NULL;
	p += strlen("Kernel error message: ");
	size_t n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

int fail(const char *stage, int err, const char *detail)
{
	char kmsg[512];
	const char *km = kernel_message(kmsg, sizeof(kmsg));

	printf("{\"ok\":false,\"stage\":");
	json_str(stdout, stage);
	printf(",\"errno\":%d,\"error\":", err);
	json_str(stdout, err ? strerror(err) : "");
	if (km) {
		printf(",\"kernelMessage\":");
		json_str(stdout, km);
	}
	if (detail) {
		printf(",\"detail\":");
		json_str(stdout, detail);
	}
	if (libbpf_log_len) {
		/* The tail holds the verifier's verdict; the head is rarely useful. */
		const char *tail = libbpf_log_len > 4000 ? libbpf_log + libbpf_log_len - 4000 : libbpf_log;
		printf(",\"log\":");
		json_str(stdout, tail);
	}
	printf("}\n");
	return EXIT_FAIL;
}

int pin_cpu(long long cpu)
{
	cpu_set_t set;
	if (cpu == -1)
		return 0;
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL; /* (int)cpu would pin some other CPU, CPU_SET nothing */
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

volatile sig_atomic_t stop_requested;

void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void xdpb_tool_init(void)
{
	libbpf_set_print(capture_print);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}
