// SPDX-License-Identifier: GPL-2.0
/* xdpb-lat probe: UDP round trips through an XDP_TX reflector, timestamped by
 * the kernel (hardware where the device offers it), as described in the
 * header of native/xdpb_lat.c. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lat_commands.h"
#include "xdpb_util.h"

#define MAX_PROBES 1000000
#define PROBE_MAGIC 0x58445060u /* "XDP`" */
#define PAYLOAD_MIN 20

struct probe_args {
	const char *netns, *dev, *dst_ip, *hw, *udp_csum;
	long long dst_port, src_port, count, rate_pps, timeout_ms, payload_bytes, cpu, warmup;
};

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
	memcpy(ifr.ifr_name, dev, strlen(dev)); /* < IFNAMSIZ: checked by check_probe_args */
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

#define PROBE_NEEDS "probe needs --dst-ip, --dst-port 1..65535, --count 1..1000000, --rate-pps 1..1000000 " \
	"(--timeout-ms 1..600000, --payload-bytes 20..1472, --src-port 0..65535, --warmup 0..1000)"

/* The checks the option ranges cannot make: 0 or EXIT_USAGE. */
static int check_probe_args(const struct probe_args *a, struct in_addr *dst)
{
	if (!a->dst_ip || !a->dst_port || !a->count || !a->rate_pps)
		return usage(PROBE_NEEDS);
	if (strcmp(a->hw, "auto") && strcmp(a->hw, "off"))
		return usage("--hw-timestamps takes auto or off");
	if (strcmp(a->udp_csum, "on") && strcmp(a->udp_csum, "off"))
		return usage("--udp-checksum takes on or off");
	if (inet_pton(AF_INET, a->dst_ip, dst) != 1)
		return usage("--dst-ip must be an IPv4 address");
	if (a->dev && (!*a->dev || strlen(a->dev) >= IFNAMSIZ))
		return usage("--dev must be an interface name of 1..15 bytes"); /* a cut name is another device */
	return 0;
}

/* The probe socket inside NETNS, bound to --src-port (its port into *src):
 * 0, or EXIT_FAIL with the failure printed (p->sock closed by the caller). */
static int open_probe_socket(const struct probe_args *a, struct probe_ctx *p, struct sockaddr_in *src)
{
	int err;
	if ((err = pin_cpu(a->cpu)))
		return fail("pin-cpu", -err, NULL);
	if ((err = enter_netns(a->netns)))
		return fail("enter-netns", -err, a->netns);
	p->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->sock < 0)
		return fail("socket", errno, NULL);
	/* Native XDP_TX on veth hands the reply over as a raw frame: a checksum
	 * left to offload (CHECKSUM_PARTIAL) would arrive unfinished and the
	 * stack would drop the reply. Checksum 0 ("none", valid for IPv4 UDP)
	 * avoids that; --udp-checksum on keeps the kernel's choice. */
	int one = 1;
	if (!strcmp(a->udp_csum, "off") && setsockopt(p->sock, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)))
		return fail("so-no-check", errno, NULL);
	*src = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)a->src_port) };
	if (bind(p->sock, (struct sockaddr *)src, sizeof(*src)))
		return fail("bind", errno, NULL);
	socklen_t sl = sizeof(*src);
	getsockname(p->sock, (struct sockaddr *)src, &sl);
	return 0;
}

/* What the send/receive loop saw, beside the per-probe records. */
struct probe_run {
	int64_t start, end, max_late;
	long long sent_all, send_errors;
	int last_send_errno;
};

/* Sends every probe on its deadline and receives replies until all came
 * back, T ms passed after the last send, a stop, or the hard bound. */
static void send_and_receive(const struct probe_args *a, struct probe_ctx *p, unsigned char *payload,
			     struct probe_run *run)
{
	const long long total = p->count;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(p->dst_port), .sin_addr = p->dst };
	const int64_t period = 1000000000LL / a->rate_pps, timeout = a->timeout_ms * 1000000LL;
	const int64_t start = clock_ns(CLOCK_MONOTONIC);
	/* Hard bound on the whole run, whatever happens. */
	const int64_t hard_end = start + total * period + timeout + 5000000000LL;
	int64_t next = start, last_send = start;
	long long attempts = 0;

	*run = (struct probe_run){ .start = start };
	while (!stop_requested) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		if (now >= hard_end)
			break;
		if (attempts < total && now >= next) {
			uint32_t seq = (uint32_t)attempts++;
			if (now - next > run->max_late)
				run->max_late = now - next;
			int64_t tx_user = clock_ns(CLOCK_REALTIME);
			put_be32(payload + 8, seq);
			put_be32(payload + 12, (uint32_t)(tx_user >> 32));
			put_be32(payload + 16, (uint32_t)tx_user);
			p->rec[seq].tx_user = tx_user;
			if (sendto(p->sock, payload, (size_t)a->payload_bytes, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
				/* The kernel's OPT_ID counter may or may not have moved: stop
				 * trusting it rather than pair stamps with the wrong probe. */
				run->send_errors++;
				run->last_send_errno = errno;
				p->keys_reliable = false;
			} else {
				p->rec[seq].sent = 1;
				p->key_seq[p->nkeys++] = seq;
				run->sent_all++;
			}
			last_send = clock_ns(CLOCK_MONOTONIC);
			next += period;
			continue;
		}
		if (attempts >= total && (p->received >= run->sent_all || now >= last_send + timeout))
			break;
		int64_t wake = attempts < total ? next : last_send + timeout;
		if (wake > hard_end)
			wake = hard_end;
		int64_t left = wake - now;
		if (left < 0)
			left = 0;
		struct pollfd pfd = { .fd = p->sock, .events = POLLIN };
		struct timespec to = { left / 1000000000LL, left % 1000000000LL };
		int r = ppoll(&pfd, 1, &to, NULL);
		if (r > 0) {
			if (pfd.revents & POLLERR)
				drain_errqueue(p);
			if (pfd.revents & POLLIN)
				drain_replies(p);
		}
	}
	drain_errqueue(p);
	drain_replies(p);
	run->end = clock_ns(CLOCK_MONOTONIC);
}

/* ,"rttNs":[...],"userRttNs":[...] of the received probes after the warm-up,
 * counting which timestamp source each side used. */
static void print_rtts(const struct probe_ctx *p, long long rx_counts[4], long long tx_counts[4],
		       long long pair_counts[4])
{
	printf(",\"rttNs\":[");
	bool first = true;
	for (long long i = p->warmup; i < p->count; i++) {
		const struct probe_rec *r = &p->rec[i];
		if (!r->received)
			continue;
		int64_t rtt;
		int rx_src, tx_src, pair;
		/* Hardware with hardware; otherwise the best of software and user
		 * on each side (all CLOCK_REALTIME). */
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
	for (long long i = p->warmup; i < p->count; i++) {
		const struct probe_rec *r = &p->rec[i];
		if (!r->received)
			continue;
		printf("%s%" PRId64, first ? "" : ",", r->rx_user - r->tx_user);
		first = false;
	}
	printf("]");
}

/* How the RTTs were taken: per direction the majority source, overall one
 * source or "mixed". */
static void print_sources(long long received, long long rx_counts[4], long long tx_counts[4], long long pair_counts[4],
			  const char **source)
{
	print_counts("rxTimestamps", rx_counts);
	print_counts("txTimestamps", tx_counts);
	*source = "none";
	if (!received) {
		printf(",\"rxTimestampSource\":null,\"txTimestampSource\":null");
		return;
	}
	int rx = majority(rx_counts), tx = majority(tx_counts);
	if (pair_counts[TS_NONE] || rx_counts[rx] != received || tx_counts[tx] != received)
		*source = "mixed";
	else
		*source = ts_name[rx == tx ? rx : TS_NONE];
	if (!strcmp(*source, "none"))
		*source = "mixed";
	printf(",\"rxTimestampSource\":\"%s\",\"txTimestampSource\":\"%s\"", ts_name[rx], ts_name[tx]);
}

struct kernel_ts {
	bool on;
	int err;
};

static void print_probe_answer(const struct probe_args *a, const struct probe_ctx *p, const struct sockaddr_in *src,
			       const struct probe_run *run, const struct hw_state *hw, struct kernel_ts kts)
{
	struct timespec res;
	clock_getres(CLOCK_REALTIME, &res);
	long long rx_counts[4] = {}, tx_counts[4] = {}, pair_counts[4] = {}, sent = 0, received = 0;
	for (long long i = p->warmup; i < p->count; i++) {
		sent += p->rec[i].sent;
		received += p->rec[i].received;
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
	       p->dst_port, ntohs(src->sin_port), a->payload_bytes, a->rate_pps, a->warmup, a->count, sent, run->send_errors,
	       run->last_send_errno, received, sent - received, p->reordered, p->duplicates, p->foreign,
	       stop_requested ? "true" : "false", run->end - run->start, run->max_late,
	       strcmp(a->udp_csum, "on") ? "false" : "true");
	print_rtts(p, rx_counts, tx_counts, pair_counts);
	const char *source;
	print_sources(received, rx_counts, tx_counts, pair_counts, &source);
	printf(",\"timestampSource\":\"%s\",\"kernelTimestamping\":%s,\"kernelTimestampingErrno\":%d,\"txStampsMatched\":%lld",
	       source, kts.on ? "true" : "false", kts.err, p->tx_stamps);
	printf(",\"hardwareTimestamps\":{\"offered\":%s,\"enabled\":%s,\"detail\":", hw->offered ? "true" : "false",
	       hw->enabled ? "true" : "false");
	json_str(stdout, hw->detail);
	printf("},\"clock\":\"CLOCK_REALTIME\",\"clockResolutionNs\":%" PRId64 "}\n", ts_ns(&res));
}

static int run_probe(void *args)
{
	const struct probe_args *a = args;
	struct probe_ctx p = { .sock = -1, .keys_reliable = true, .max_seq_seen = -1 };
	struct hw_state hw;
	struct sockaddr_in src;
	struct probe_run run;
	unsigned char *payload = NULL;
	int status;

	if ((status = check_probe_args(a, &p.dst)))
		return status;
	p.dst_port = (uint16_t)a->dst_port;
	/* Warm-up probes go first and are left out of every figure: the first
	 * frames pay for route/neighbour lookups, and the kernel switches RX
	 * timestamping on for the first socket that asks with a deferred work
	 * item, so the very first replies may come without a kernel stamp. */
	p.warmup = a->warmup;
	p.count = a->count + a->warmup;
	struct sigaction st = { .sa_handler = on_stop };
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);
	if ((status = open_probe_socket(a, &p, &src)))
		goto out;

	try_hardware(p.sock, a->dev, a->hw, &hw);
	__u32 flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		      SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	if (hw.enabled)
		flags |= SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
	struct kernel_ts kts = { .on = setsockopt(p.sock, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0 };
	kts.err = kts.on ? 0 : errno;

	p.rec = calloc((size_t)p.count, sizeof(*p.rec));
	p.key_seq = calloc((size_t)p.count, sizeof(*p.key_seq));
	payload = calloc(1, (size_t)a->payload_bytes);
	if (!p.rec || !p.key_seq || !payload) {
		restore_hardware(p.sock, &hw);
		status = fail("alloc", ENOMEM, NULL);
		goto out;
	}
	p.nonce = (uint32_t)(getpid() ^ clock_ns(CLOCK_MONOTONIC));
	put_be32(payload, PROBE_MAGIC);
	put_be32(payload + 4, p.nonce);

	send_and_receive(a, &p, payload, &run);
	restore_hardware(p.sock, &hw);
	print_probe_answer(a, &p, &src, &run, &hw, kts);
out:
	if (p.sock >= 0)
		close(p.sock);
	free(p.rec);
	free(p.key_seq);
	free(payload);
	return status;
}

#define PA struct probe_args
static const struct opt_spec probe_opts[] = {
	OPT_S("--netns", PA, netns, "NS", .help = "the namespace the probes are sent from (none: the prober's own)"),
	OPT_S("--dev", PA, dev, "IF", .help = "the device they leave by (hardware timestamps are tried on it)"),
	OPT_S("--dst-ip", PA, dst_ip, "A", .help = "the reflector's IPv4 address"),
	OPT_N("--dst-port", PA, dst_port, "P", RANGE(1, 65535), .range_error = PROBE_NEEDS, .help = "its UDP port"),
	OPT_N("--count", PA, count, "N", RANGE(1, MAX_PROBES), .range_error = PROBE_NEEDS, .help = "probes measured"),
	OPT_N("--rate-pps", PA, rate_pps, "R", RANGE(1, 1000000), .range_error = PROBE_NEEDS, .help = "probes per second"),
	OPT_N("--src-port", PA, src_port, "S", RANGE(0, 65535), .range_error = PROBE_NEEDS,
	      .help = "the source port (0: the kernel's choice)"),
	OPT_N("--timeout-ms", PA, timeout_ms, "T", RANGE(1, 600000), .num_default = 1000, .range_error = PROBE_NEEDS,
	      .help = "how long replies are awaited after the last send"),
	OPT_N("--payload-bytes", PA, payload_bytes, "B", RANGE(PAYLOAD_MIN, 1472), .num_default = PAYLOAD_MIN,
	      .range_error = PROBE_NEEDS, .help = "UDP payload size"),
	OPT_N("--cpu", PA, cpu, "C", RANGE(-1, CPU_SETSIZE - 1), .num_default = -1,
	      .range_error = "--cpu must be a CPU number 0..1023", .help = "pin the prober to CPU C (-1: not pinned)"),
	OPT_N("--warmup", PA, warmup, "W", RANGE(0, 1000), .num_default = 2, .range_error = PROBE_NEEDS,
	      .help = "probes sent first and left out of every figure"),
	OPT_S("--hw-timestamps", PA, hw, "auto|off", .str_default = "auto", .help = "try the device's hardware timestamps"),
	OPT_S("--udp-checksum", PA, udp_csum, "on|off", .str_default = "off",
	      .help = "off: checksum 0 (native XDP_TX on veth drops unfinished ones)"),
	OPT_END,
};
const struct command cmd_probe = {
	.name = "probe",
	.synopsis = "--netns NS --dev IF --dst-ip A --dst-port P --count N --rate-pps R [--src-port S] [--timeout-ms T] "
		    "[--payload-bytes B] [--cpu C] [--warmup W] [--hw-timestamps auto|off] [--udp-checksum on|off]",
	.summary = "UDP round trips through a reflector, kernel-timestamped; answers rttNs, userRttNs and their sources",
	.opts = probe_opts, .args_size = sizeof(PA), .run = run_probe,
};
