// SPDX-License-Identifier: GPL-2.0
/* xdpb-lat: latency prober and per-packet program cost for xdp bench.
 *
 *   probe    --netns NS --dev IF --dst-ip A --dst-port P --count N --rate-pps R
 *            [--src-port S] [--timeout-ms T] [--payload-bytes B] [--cpu C] [--warmup W]
 *            [--hw-timestamps auto|off] [--udp-checksum on|off]
 *   prog-run --obj F --prog-name N --frame-hex HEX [--repeat R] [--runs K]
 *            [--cpu C] [--devmap MAP=IFNAME]
 *   list     --obj F
 *
 * Every answer is one JSON object on stdout; a failure is
 * {"ok":false,"stage":...,"errno":...,"error":...} (the shape of native/xdpb.c,
 * so drivers/xdpb-helper.ts parseHelperAnswer reads both).
 *
 * probe: a UDP socket inside /run/netns/NS sends N sequence-numbered probes at
 * R per second (absolute deadlines, no drift) to A:P and receives the replies
 * on the same socket, bounded by N and by T ms after the last send. Replies are
 * timestamped by the kernel (SO_TIMESTAMPING): hardware where IF offers it
 * (ethtool timestamping info, then SIOCSHWTSTAMP; restored at exit), else
 * software. TX timestamps come from the error queue (software: taken by the
 * driver at transmit, OPT_ID matches them to probes), else from
 * clock_gettime(CLOCK_REALTIME) just before sendto. Software timestamps are
 * CLOCK_REALTIME, so software and user timestamps can be mixed in one RTT;
 * hardware ones only with hardware ones. The answer says, per direction, which
 * source each probe used. `userRttNs` is the same RTT seen from user space
 * (clock_gettime around sendto/recvmsg): its excess over `rttNs` is what a
 * user-space prober would add. W warm-up probes (default 2) go first and are
 * left out of every figure. Payload: magic (0x58445060, which xdp_probe_sink in
 * latency.bpf.c lets through), nonce, seq, TX user time; all big endian.
 * UDP checksum 0 by default (SO_NO_CHECK): native XDP_TX on veth hands the
 * reply back without finishing an offloaded checksum, and the stack would drop
 * it (measured: UdpInCsumErrors, 0 replies with --udp-checksum on).
 *
 * prog-run: BPF_PROG_TEST_RUN of one program of an object on a built frame,
 * one unreported warm-up call, then K calls of R repeats each. The kernel
 * reports the mean ns per repeat of each call (opts.duration: whole ns,
 * truncated; it leaves out time the thread spent rescheduled). The user-space
 * wall time of the call / R is printed beside it: it also holds the call's own
 * set-up and tear-down (~20 ms per call here, so ~20 ns per packet at R = 1e6)
 * and any preemption. The loaded object's maps start empty; --devmap fills
 * slot 0 of a devmap so a redirecting program takes its real path. No device
 * traffic, no netns: it works where no traffic can be sent.
 *
 * Shared with native/xdpb.c (native/xdpb_util.h): json_str, enter_netns, parse_hex, fail.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define EXIT_USAGE 2
#define MAX_PROBES 1000000
#define PROBE_MAGIC 0x58445060u /* "XDP`" */
#define PAYLOAD_MIN 20

#include "xdpb_util.h"

static int usage(const char *msg)
{
	fprintf(stderr, "xdpb-lat: %s (see the header of native/xdpb_lat.c)\n", msg);
	return EXIT_USAGE;
}

struct args {
	const char *netns, *dev, *dst_ip, *hw, *udp_csum, *obj, *prog_name, *frame_hex, *devmap;
	long long dst_port, src_port, count, rate_pps, timeout_ms, payload_bytes, cpu, repeat, runs, warmup;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->timeout_ms = 1000;
	a->payload_bytes = PAYLOAD_MIN;
	a->cpu = -1;
	a->repeat = 1000000;
	a->runs = 10;
	a->warmup = 2;
	a->hw = "auto";
	a->udp_csum = "off";
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i];
		if (i + 1 >= argc)
			return usage("option without a value");
		const char *v = argv[++i];
#define STR(name, field) if (!strcmp(k, name)) { a->field = v; continue; }
#define NUM(name, field) if (!strcmp(k, name)) { char *e; errno = 0; a->field = strtoll(v, &e, 0); if (*e || !*v || errno) return usage("not a number"); continue; }
		STR("--netns", netns) STR("--dev", dev) STR("--dst-ip", dst_ip) STR("--hw-timestamps", hw)
		STR("--udp-checksum", udp_csum) STR("--obj", obj) STR("--prog-name", prog_name)
		STR("--frame-hex", frame_hex) STR("--devmap", devmap)
		NUM("--dst-port", dst_port) NUM("--src-port", src_port) NUM("--count", count)
		NUM("--rate-pps", rate_pps) NUM("--timeout-ms", timeout_ms) NUM("--payload-bytes", payload_bytes)
		NUM("--cpu", cpu) NUM("--repeat", repeat) NUM("--runs", runs) NUM("--warmup", warmup)
#undef STR
#undef NUM
		fprintf(stderr, "xdpb-lat: unknown option %s\n", k);
		return EXIT_USAGE;
	}
	if (a->cpu < -1 || a->cpu >= CPU_SETSIZE)
		return usage("--cpu must be a CPU number 0..1023");
	return 0;
}

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int pin_cpu(long long cpu)
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

/* ---- probe ---- */
enum ts_src { TS_NONE = 0, TS_USER = 1, TS_SOFTWARE = 2, TS_HARDWARE = 3 };
static const char *ts_name[] = { "none", "user", "software", "hardware" };

struct probe_rec {
	int64_t tx_user, tx_sw, tx_hw, rx_user, rx_sw, rx_hw;
	unsigned char sent, received;
};

struct hw_state {
	bool offered, enabled, restore;
	char detail[256];
	struct hwtstamp_config old;
	struct ifreq ifr;
};

/* Asks the device whether it timestamps in hardware and, if so, switches it
 * on (all RX frames, TX on); the previous configuration is restored at exit. */
static void try_hardware(int sock, const char *dev, const char *want, struct hw_state *hw)
{
	struct ethtool_ts_info info = { .cmd = ETHTOOL_GET_TS_INFO };
	struct ifreq ifr = {};

	memset(hw, 0, sizeof(*hw));
	if (!strcmp(want, "off")) {
		snprintf(hw->detail, sizeof(hw->detail), "not tried (--hw-timestamps off)");
		return;
	}
	if (!dev) {
		snprintf(hw->detail, sizeof(hw->detail), "not tried: no --dev");
		return;
	}
	memcpy(ifr.ifr_name, dev, strlen(dev)); /* < IFNAMSIZ: checked by cmd_probe */
	ifr.ifr_data = (void *)&info;
	if (ioctl(sock, SIOCETHTOOL, &ifr)) {
		snprintf(hw->detail, sizeof(hw->detail), "%s: ethtool timestamping info: %s", dev, strerror(errno));
		return;
	}
	const __u32 need = SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
	if ((info.so_timestamping & need) != need) {
		snprintf(hw->detail, sizeof(hw->detail), "%s offers no hardware timestamps (ethtool: %s)", dev,
			 (info.so_timestamping & SOF_TIMESTAMPING_RX_SOFTWARE) ? "software only" : "none");
		return;
	}
	hw->offered = true;
	hw->ifr = ifr;
	ifr.ifr_data = (void *)&hw->old;
	if (ioctl(sock, SIOCGHWTSTAMP, &ifr) == 0)
		hw->restore = true;
	struct hwtstamp_config cfg = { .tx_type = HWTSTAMP_TX_ON, .rx_filter = HWTSTAMP_FILTER_ALL };
	ifr.ifr_data = (void *)&cfg;
	if (ioctl(sock, SIOCSHWTSTAMP, &ifr)) {
		snprintf(hw->detail, sizeof(hw->detail), "%s: SIOCSHWTSTAMP (all RX, TX on) refused: %s", dev, strerror(errno));
		hw->restore = false;
		return;
	}
	hw->enabled = true;
	snprintf(hw->detail, sizeof(hw->detail), "%s: hardware timestamping on (PHC %d, rx_filter %d)", dev,
		 info.phc_index, cfg.rx_filter);
}

static void restore_hardware(int sock, struct hw_state *hw)
{
	if (!hw->enabled || !hw->restore)
		return;
	hw->ifr.ifr_data = (void *)&hw->old;
	ioctl(sock, SIOCSHWTSTAMP, &hw->ifr);
}

static void put_be32(unsigned char *p, uint32_t v) { v = htonl(v); memcpy(p, &v, 4); }
static uint32_t get_be32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return ntohl(v); }

struct probe_ctx {
	int sock;
	struct probe_rec *rec;
	uint32_t *key_seq; /* OPT_ID tskey -> seq */
	long long count, warmup, nkeys;
	bool keys_reliable;
	uint32_t nonce;
	struct in_addr dst;
	uint16_t dst_port;
	long long received, duplicates, reordered, foreign, max_seq_seen, tx_stamps;
	int64_t any_rx_sw;
};

static void read_stamps(struct msghdr *msg, int64_t *sw, int64_t *hw, struct sock_extended_err **ee)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
			struct scm_timestamping *t = (void *)CMSG_DATA(c);
			if (t->ts[0].tv_sec || t->ts[0].tv_nsec)
				*sw = ts_ns(&t->ts[0]);
			if (t->ts[2].tv_sec || t->ts[2].tv_nsec)
				*hw = ts_ns(&t->ts[2]);
		} else if (ee && c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) {
			*ee = (void *)CMSG_DATA(c);
		}
	}
}

static void drain_replies(struct probe_ctx *p)
{
	for (int guard = 0; guard < 4096; guard++) {
		unsigned char buf[2048];
		char ctrl[512];
		struct sockaddr_in from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				      .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
		ssize_t n = recvmsg(p->sock, &msg, MSG_DONTWAIT);
		int64_t now = clock_ns(CLOCK_REALTIME);
		if (n < 0)
			return; /* EAGAIN, or an error to retry on the next wake-up */
		if (n < PAYLOAD_MIN || from.sin_addr.s_addr != p->dst.s_addr || ntohs(from.sin_port) != p->dst_port ||
		    get_be32(buf) != PROBE_MAGIC || get_be32(buf + 4) != p->nonce) {
			p->foreign++;
			continue;
		}
		uint32_t seq = get_be32(buf + 8);
		if (seq >= p->count || !p->rec[seq].sent) {
			p->foreign++;
			continue;
		}
		struct probe_rec *r = &p->rec[seq];
		if (r->received) {
			if (seq >= p->warmup)
				p->duplicates++;
			continue;
		}
		r->received = 1;
		r->rx_user = now;
		read_stamps(&msg, &r->rx_sw, &r->rx_hw, NULL);
		p->received++;
		if ((long long)seq < p->max_seq_seen) {
			if (seq >= p->warmup)
				p->reordered++;
		} else {
			p->max_seq_seen = seq;
		}
	}
}

static void drain_errqueue(struct probe_ctx *p)
{
	for (int guard = 0; guard < 4096; guard++) {
		char ctrl[512], data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
		if (recvmsg(p->sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		int64_t sw = 0, hw = 0;
		struct sock_extended_err *ee = NULL;
		read_stamps(&msg, &sw, &hw, &ee);
		if (!ee || ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING || ee->ee_info != SCM_TSTAMP_SND || !p->keys_reliable)
			continue;
		if (ee->ee_data >= p->nkeys)
			continue;
		/* The first stamp is the generator side's transmit; veth keeps the
		 * socket on a frame it forwards, so a reflected frame going out of
		 * the peer (generic XDP_TX) may report a second one: ignored. */
		uint32_t seq = p->key_seq[ee->ee_data];
		struct probe_rec *r = &p->rec[seq];
		if ((sw && !r->tx_sw) || (hw && !r->tx_hw))
			p->tx_stamps += seq >= p->warmup && !r->tx_sw && !r->tx_hw;
		if (sw && !r->tx_sw)
			r->tx_sw = sw;
		if (hw && !r->tx_hw)
			r->tx_hw = hw;
	}
}

static void print_counts(const char *name, long long c[4])
{
	printf(",\"%s\":{\"hardware\":%lld,\"software\":%lld,\"user\":%lld}", name, c[TS_HARDWARE], c[TS_SOFTWARE], c[TS_USER]);
}

static int majority(long long c[4])
{
	int best = TS_USER;
	for (int i = TS_USER; i <= TS_HARDWARE; i++)
		if (c[i] > c[best])
			best = i;
	return best;
}

static int cmd_probe(struct args *a)
{
	struct probe_ctx p = { .sock = -1, .keys_reliable = true, .max_seq_seen = -1 };
	struct hw_state hw;
	struct timespec res;
	int err;

	if (!a->dst_ip || a->dst_port < 1 || a->dst_port > 65535 || a->count < 1 || a->count > MAX_PROBES ||
	    a->rate_pps < 1 || a->rate_pps > 1000000 || a->timeout_ms < 1 || a->timeout_ms > 600000 ||
	    a->src_port < 0 || a->src_port > 65535 || a->payload_bytes < PAYLOAD_MIN || a->payload_bytes > 1472 ||
	    a->warmup < 0 || a->warmup > 1000)
		return usage("probe needs --dst-ip, --dst-port 1..65535, --count 1..1000000, --rate-pps 1..1000000 "
			     "(--timeout-ms 1..600000, --payload-bytes 20..1472, --src-port 0..65535, --warmup 0..1000)");
	if (strcmp(a->hw, "auto") && strcmp(a->hw, "off"))
		return usage("--hw-timestamps takes auto or off");
	if (strcmp(a->udp_csum, "on") && strcmp(a->udp_csum, "off"))
		return usage("--udp-checksum takes on or off");
	if (inet_pton(AF_INET, a->dst_ip, &p.dst) != 1)
		return usage("--dst-ip must be an IPv4 address");
	if (a->dev && (!*a->dev || strlen(a->dev) >= IFNAMSIZ))
		return usage("--dev must be an interface name of 1..15 bytes"); /* a cut name is another device */
	p.dst_port = (uint16_t)a->dst_port;
	/* Warm-up probes go first and are left out of every figure: the first
	 * frames pay for route/neighbour lookups, and the kernel switches RX
	 * timestamping on for the first socket that asks with a deferred work
	 * item, so the very first replies may come without a kernel stamp. */
	p.warmup = a->warmup;
	p.count = a->count + a->warmup;
	const long long total = p.count;
	struct sigaction st = { .sa_handler = on_stop };
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);
	if ((err = pin_cpu(a->cpu)))
		return fail("pin-cpu", -err, NULL);
	if ((err = enter_netns(a->netns)))
		return fail("enter-netns", -err, a->netns);
	p.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p.sock < 0)
		return fail("socket", errno, NULL);
	/* Native XDP_TX on veth hands the reply over as a raw frame: a checksum
	 * left to offload (CHECKSUM_PARTIAL) would arrive unfinished and the
	 * stack would drop the reply. Checksum 0 ("none", valid for IPv4 UDP)
	 * avoids that; --udp-checksum on keeps the kernel's choice. */
	int one = 1;
	if (!strcmp(a->udp_csum, "off") && setsockopt(p.sock, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)))
		return fail("so-no-check", errno, NULL);
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons((uint16_t)a->src_port) };
	if (bind(p.sock, (struct sockaddr *)&src, sizeof(src)))
		return fail("bind", errno, NULL);
	socklen_t sl = sizeof(src);
	getsockname(p.sock, (struct sockaddr *)&src, &sl);

	try_hardware(p.sock, a->dev, a->hw, &hw);
	__u32 flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		      SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	if (hw.enabled)
		flags |= SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
	bool kernel_ts = setsockopt(p.sock, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0;
	int ts_errno = kernel_ts ? 0 : errno;

	p.rec = calloc((size_t)total, sizeof(*p.rec));
	p.key_seq = calloc((size_t)total, sizeof(*p.key_seq));
	unsigned char *payload = calloc(1, (size_t)a->payload_bytes);
	if (!p.rec || !p.key_seq || !payload)
		return fail("alloc", ENOMEM, NULL);
	p.nonce = (uint32_t)(getpid() ^ clock_ns(CLOCK_MONOTONIC));
	put_be32(payload, PROBE_MAGIC);
	put_be32(payload + 4, p.nonce);

	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(p.dst_port), .sin_addr = p.dst };
	const int64_t period = 1000000000LL / a->rate_pps, timeout = a->timeout_ms * 1000000LL;
	const int64_t start = clock_ns(CLOCK_MONOTONIC);
	/* Hard bound on the whole run, whatever happens. */
	const int64_t hard_end = start + total * period + timeout + 5000000000LL;
	int64_t next = start, last_send = start, max_late = 0;
	long long sent_all = 0, send_errors = 0, attempts = 0;
	int last_send_errno = 0;

	while (!stop_requested) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		if (now >= hard_end)
			break;
		if (attempts < total && now >= next) {
			uint32_t seq = (uint32_t)attempts++;
			if (now - next > max_late)
				max_late = now - next;
			int64_t tx_user = clock_ns(CLOCK_REALTIME);
			put_be32(payload + 8, seq);
			put_be32(payload + 12, (uint32_t)(tx_user >> 32));
			put_be32(payload + 16, (uint32_t)tx_user);
			p.rec[seq].tx_user = tx_user;
			if (sendto(p.sock, payload, (size_t)a->payload_bytes, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
				/* The kernel's OPT_ID counter may or may not have moved: stop
				 * trusting it rather than pair stamps with the wrong probe. */
				send_errors++;
				last_send_errno = errno;
				p.keys_reliable = false;
			} else {
				p.rec[seq].sent = 1;
				p.key_seq[p.nkeys++] = seq;
				sent_all++;
			}
			last_send = clock_ns(CLOCK_MONOTONIC);
			next += period;
			continue;
		}
		if (attempts >= total && (p.received >= sent_all || now >= last_send + timeout))
			break;
		int64_t wake = attempts < total ? next : last_send + timeout;
		if (wake > hard_end)
			wake = hard_end;
		int64_t left = wake - now;
		if (left < 0)
			left = 0;
		struct pollfd pfd = { .fd = p.sock, .events = POLLIN };
		struct timespec to = { left / 1000000000LL, left % 1000000000LL };
		int r = ppoll(&pfd, 1, &to, NULL);
		if (r > 0) {
			if (pfd.revents & POLLERR)
				drain_errqueue(&p);
			if (pfd.revents & POLLIN)
				drain_replies(&p);
		}
	}
	drain_errqueue(&p);
	drain_replies(&p);
	int64_t end = clock_ns(CLOCK_MONOTONIC);
	restore_hardware(p.sock, &hw);
	clock_getres(CLOCK_REALTIME, &res);

	/* RTT per received probe: hardware with hardware; otherwise the best of
	 * software and user on each side (all CLOCK_REALTIME). */
	long long rx_counts[4] = {}, tx_counts[4] = {}, pair_counts[4] = {}, sent = 0, received = 0;
	for (long long i = p.warmup; i < total; i++) {
		sent += p.rec[i].sent;
		received += p.rec[i].received;
	}
	printf("{\"ok\":true,\"netns\":");
	json_str(stdout, a->netns ? a->netns : "");
	printf(",\"dev\":");
	json_str(stdout, a->dev ? a->dev : "");
	printf(",\"dstIp\":");
	json_str(stdout, a->dst_ip);
	printf(",\"dstPort\":%u,\"srcPort\":%u,\"payloadBytes\":%lld,\"ratePps\":%lld,\"warmup\":%lld,\"requested\":%lld,\"sent\":%lld,"
	       "\"sendErrors\":%lld,\"lastSendErrno\":%d,\"received\":%lld,\"lost\":%lld,\"reordered\":%lld,\"duplicates\":%lld,"
	       "\"foreign\":%lld,\"interrupted\":%s,\"durationNs\":%" PRId64 ",\"maxSendLateNs\":%" PRId64 ",\"udpChecksum\":%s",
	       p.dst_port, ntohs(src.sin_port), a->payload_bytes, a->rate_pps, a->warmup, a->count, sent, send_errors,
	       last_send_errno, received, sent - received, p.reordered, p.duplicates, p.foreign, stop_requested ? "true" : "false",
	       end - start, max_late, strcmp(a->udp_csum, "on") ? "false" : "true");
	printf(",\"rttNs\":[");
	bool first = true;
	for (long long i = p.warmup; i < total; i++) {
		struct probe_rec *r = &p.rec[i];
		if (!r->received)
			continue;
		int64_t rtt;
		int rx_src, tx_src, pair;
		if (r->rx_hw && r->tx_hw) {
			rtt = r->rx_hw - r->tx_hw;
			rx_src = tx_src = pair = TS_HARDWARE;
		} else {
			rx_src = r->rx_sw ? TS_SOFTWARE : TS_USER;
			tx_src = r->tx_sw ? TS_SOFTWARE : TS_USER;
			rtt = (r->rx_sw ? r->rx_sw : r->rx_user) - (r->tx_sw ? r->tx_sw : r->tx_user);
			pair = rx_src == tx_src ? rx_src : TS_NONE;
		}
		rx_counts[rx_src]++;
		tx_counts[tx_src]++;
		pair_counts[pair]++;
		printf("%s%" PRId64, first ? "" : ",", rtt);
		first = false;
	}
	printf("],\"userRttNs\":[");
	first = true;
	for (long long i = p.warmup; i < total; i++) {
		struct probe_rec *r = &p.rec[i];
		if (!r->received)
			continue;
		printf("%s%" PRId64, first ? "" : ",", r->rx_user - r->tx_user);
		first = false;
	}
	printf("]");
	print_counts("rxTimestamps", rx_counts);
	print_counts("txTimestamps", tx_counts);
	const char *source = "none";
	if (received) {
		int rx = majority(rx_counts), tx = majority(tx_counts);
		if (pair_counts[TS_NONE] || rx_counts[rx] != received || tx_counts[tx] != received)
			source = "mixed";
		else
			source = ts_name[rx == tx ? rx : TS_NONE];
		if (!strcmp(source, "none"))
			source = "mixed";
		printf(",\"rxTimestampSource\":\"%s\",\"txTimestampSource\":\"%s\"", ts_name[rx], ts_name[tx]);
	} else {
		printf(",\"rxTimestampSource\":null,\"txTimestampSource\":null");
	}
	printf(",\"timestampSource\":\"%s\",\"kernelTimestamping\":%s,\"kernelTimestampingErrno\":%d,\"txStampsMatched\":%lld",
	       source, kernel_ts ? "true" : "false", ts_errno, p.tx_stamps);
	printf(",\"hardwareTimestamps\":{\"offered\":%s,\"enabled\":%s,\"detail\":", hw.offered ? "true" : "false",
	       hw.enabled ? "true" : "false");
	json_str(stdout, hw.detail);
	printf("},\"clock\":\"CLOCK_REALTIME\",\"clockResolutionNs\":%" PRId64 "}\n", ts_ns(&res));
	close(p.sock);
	free(p.rec);
	free(p.key_seq);
	free(payload);
	return 0;
}

/* ---- prog-run ---- */
static const char *action_name(__u32 r)
{
	static const char *names[] = { "aborted", "drop", "pass", "tx", "redirect" };
	return r < 5 ? names[r] : "unknown";
}

static int cmd_prog_run(struct args *a)
{
	static unsigned char frame[4096], out[4096 + 256];
	size_t frame_len;
	int err;

	if (!a->obj || !a->prog_name || !a->frame_hex)
		return usage("prog-run needs --obj, --prog-name and --frame-hex");
	if (parse_hex(a->frame_hex, frame, sizeof(frame), &frame_len) || frame_len < 14)
		return usage("--frame-hex must be an even-length hex Ethernet frame of 14 to 4096 bytes");
	if (a->repeat < 1 || a->repeat > 100000000 || a->runs < 1 || a->runs > 1000)
		return usage("--repeat must be 1..100000000 and --runs 1..1000");
	if ((err = pin_cpu(a->cpu)))
		return fail("pin-cpu", -err, NULL);
	struct sigaction st = { .sa_handler = on_stop };
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);

	char name[128];
	const char *eq = a->devmap ? strchr(a->devmap, '=') : NULL;
	if (a->devmap && (!eq || eq == a->devmap || (size_t)(eq - a->devmap) >= sizeof(name) || !eq[1]))
		return usage("--devmap takes MAP=IFNAME");
	struct bpf_object *obj = bpf_object__open_file(a->obj, NULL);
	long e = libbpf_get_error(obj);
	if (e)
		return fail("open-object", (int)-e, a->obj);
	int status = 0;
	if ((err = bpf_object__load(obj))) {
		status = fail("load-object", -err, a->obj);
		goto out;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, a->prog_name);
	if (!prog) {
		status = fail("find-program", ENOENT, a->prog_name);
		goto out;
	}
	if (a->devmap) {
		/* MAP=IFNAME: slot 0 of a devmap -> IFNAME (in this netns), so a
		 * redirecting program takes its real path instead of the miss. */
		memcpy(name, a->devmap, eq - a->devmap);
		name[eq - a->devmap] = 0;
		struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
		__u32 k = 0, v = m ? if_nametoindex(eq + 1) : 0;
		if (!m)
			status = fail("find-map", ENOENT, name);
		else if (!v)
			status = fail("resolve-device", errno, eq + 1);
		else if (bpf_map_update_elem(bpf_map__fd(m), &k, &v, BPF_ANY))
			status = fail("map-update", errno, name);
		if (status)
			goto out;
	}
	int fd = bpf_program__fd(prog);
	/* One unreported call first: the program's first runs pay for cold
	 * caches and the stats map's first touch. */
	{
		LIBBPF_OPTS(bpf_test_run_opts, warm, .data_in = frame, .data_size_in = (__u32)frame_len,
			    .data_out = out, .data_size_out = sizeof(out),
			    .repeat = (int)(a->repeat < 100000 ? a->repeat : 100000));
		if (bpf_prog_test_run_opts(fd, &warm)) {
			status = fail("prog-test-run", errno, a->prog_name);
			goto out;
		}
	}
	printf("{\"ok\":true,\"program\":");
	json_str(stdout, a->prog_name);
	printf(",\"object\":");
	json_str(stdout, a->obj);
	printf(",\"frameBytes\":%zu,\"repeat\":%lld,\"cpu\":%lld,\"runs\":[", frame_len, a->repeat, a->cpu);
	for (long long i = 0; i < a->runs && !stop_requested; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)frame_len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = (int)a->repeat);
		int64_t t0 = clock_ns(CLOCK_MONOTONIC);
		err = bpf_prog_test_run_opts(fd, &opts);
		int64_t t1 = clock_ns(CLOCK_MONOTONIC);
		if (err) {
			status = errno;
			break;
		}
		printf("%s{\"nsPerPacket\":%u,\"wallNsPerPacket\":%.4f,\"retval\":%u,\"action\":\"%s\",\"dataOutBytes\":%u}",
		       i ? "," : "", opts.duration, (double)(t1 - t0) / (double)a->repeat, opts.retval,
		       action_name(opts.retval), opts.data_size_out);
		fflush(stdout);
	}
	printf("],\"interrupted\":%s,\"errno\":%d,\"error\":", stop_requested ? "true" : "false", status);
	json_str(stdout, status ? strerror(status) : "");
	printf("}\n");
	status = status ? EXIT_FAIL : 0;
out:
	bpf_object__close(obj);
	return status;
}

static int cmd_list(struct args *a)
{
	if (!a->obj)
		return usage("list needs --obj");
	struct bpf_object *obj = bpf_object__open_file(a->obj, NULL);
	long e = libbpf_get_error(obj);
	if (e)
		return fail("open-object", (int)-e, a->obj);
	struct bpf_program *p;
	bool first = true;
	printf("{\"ok\":true,\"programs\":[");
	bpf_object__for_each_program(p, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(stdout, bpf_program__name(p));
		printf(",\"section\":");
		json_str(stdout, bpf_program__section_name(p));
		printf("}");
		first = false;
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	int r;

	if (argc < 2)
		return usage("missing subcommand");
	xdpb_tool_init();
	if ((r = parse_args(argc - 2, argv + 2, &a)))
		return r;
	const char *c = argv[1];
	if (!strcmp(c, "probe")) return cmd_probe(&a);
	if (!strcmp(c, "prog-run")) return cmd_prog_run(&a);
	if (!strcmp(c, "list")) return cmd_list(&a);
	return usage("unknown subcommand");
}
