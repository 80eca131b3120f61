/* Small helpers shared by the userspace tools (xdpb.c, xdpb_lat.c):
 * JSON string output, entering a named network namespace, hex frames, and
 * failures reported as one JSON object with the kernel's own words. */
#ifndef XDPB_UTIL_H
#define XDPB_UTIL_H
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define EXIT_FAIL 1

static inline void json_str(FILE *f, const char *s)
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

/* Enters /run/netns/NAME for the calling thread; "" or NULL stays put. Returns -errno. */
static inline int enter_netns(const char *name)
{
	char path[256];
	int fd, err;

	if (!name || !*name)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

static inline int parse_hex(const char *hex, unsigned char *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (unsigned char)b;
	}
	*len = n / 2;
	return 0;
}

/* ---- libbpf log capture: the kernel's reasons arrive through it ---- */
static char libbpf_log[65536];
static size_t libbpf_log_len;

static inline int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
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
static inline const char *kernel_message(char *buf, size_t len)
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

/* Prints {"ok":false,...} and returns EXIT_FAIL. err is a positive errno. */
static inline int fail(const char *stage, int err, const char *detail)
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

/* Common start of the tools: libbpf's messages captured for fail(), strict
 * libbpf, and death with the harness so a killed run leaves no process. */
static inline void xdpb_tool_init(void)
{
	libbpf_set_print(capture_print);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

#endif
