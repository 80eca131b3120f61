// SPDX-License-Identifier: GPL-2.0
/* Device sampling of dev_source.h. A device that goes away later (topology
 * torn down, device replaced) is sampled as {"link":null,"error":WHY}: the
 * other sources stay valid, and the harness refuses to compute a rate from it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "dev_source.h"
#include "xdpb_util.h"

const char *netns_name(const char *netns)
{
	return *netns ? netns : "(the helper's own)";
}

static struct ifreq dev_ifreq(const struct dev_source *d, void *data)
{
	struct ifreq ifr = { .ifr_data = data };
	memcpy(ifr.ifr_name, d->dev, strlen(d->dev)); /* < IFNAMSIZ: checked at open */
	return ifr;
}

/* The device's number of ethtool stats now (0: it has none), or -errno. */
static long long ethtool_stats_count(struct dev_source *d)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 buf[1];
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ifreq ifr = dev_ifreq(d, &sset);
	if (ioctl(d->sock, SIOCETHTOOL, &ifr))
		return errno == EOPNOTSUPP ? 0 : -errno;
	return sset.hdr.sset_mask ? sset.hdr.data[0] : 0;
}

/* (Re)reads the names of n stats. The kernel writes as many names (and later
 * values) as the device has at that moment, whatever length we pass, so the
 * buffers keep room for twice as many: a count that grows between our query
 * and the read still fits, and a changed count is seen and read again. */
static int ethtool_names(struct dev_source *d, __u32 n)
{
	if (n > (1u << 20))
		return -E2BIG;
	if (n > d->cap_stats) {
		__u32 cap = 2 * n + 64;
		free(d->strings);
		free(d->stats);
		d->strings = calloc(1, sizeof(*d->strings) + (size_t)cap * ETH_GSTRING_LEN);
		d->stats = calloc(1, sizeof(*d->stats) + (size_t)cap * sizeof(__u64));
		d->cap_stats = d->strings && d->stats ? cap : 0;
		d->n_stats = 0;
		if (!d->cap_stats)
			return -ENOMEM;
	}
	d->strings->cmd = ETHTOOL_GSTRINGS;
	d->strings->string_set = ETH_SS_STATS;
	d->strings->len = n;
	struct ifreq ifr = dev_ifreq(d, d->strings);
	if (ioctl(d->sock, SIOCETHTOOL, &ifr))
		return -errno;
	if (d->strings->len != n)
		return -EAGAIN;
	d->n_stats = n;
	return 0;
}

/* ,"ethtool":{...} (nothing for a device without ethtool stats), or
 * ,"ethtool":null,"ethtoolError":WHY. */
static void emit_ethtool(struct dev_source *d)
{
	int err = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		long long n = ethtool_stats_count(d);
		if (n < 0) {
			err = (int)-n;
			break;
		}
		if (n == 0)
			return;
		if ((__u32)n != d->n_stats && (err = -ethtool_names(d, (__u32)n))) {
			if (err == EAGAIN)
				continue;
			break;
		}
		d->stats->cmd = ETHTOOL_GSTATS;
		d->stats->n_stats = d->n_stats;
		struct ifreq ifr = dev_ifreq(d, d->stats);
		if (ioctl(d->sock, SIOCETHTOOL, &ifr)) {
			err = errno;
			break;
		}
		if (d->stats->n_stats != d->n_stats) {
			err = EAGAIN; /* the device's stats changed between the names and the values */
			continue;
		}
		printf(",\"ethtool\":{");
		for (__u32 k = 0; k < d->n_stats; k++) {
			char name[ETH_GSTRING_LEN + 1] = {};
			memcpy(name, d->strings->data + k * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
			printf("%s", k ? "," : "");
			json_str(stdout, name);
			printf(":%llu", (unsigned long long)d->stats->data[k]);
		}
		printf("}");
		return;
	}
	char why[256];
	snprintf(why, sizeof(why), "ethtool stats of %s in netns %s: %s", d->dev, netns_name(d->netns), strerror(err));
	printf(",\"ethtool\":null,\"ethtoolError\":");
	json_str(stdout, why);
}

/* NULL if the device is the one opened; else why not (gone, or replaced by
 * another device of the same name, whose counters started again). */
static const char *device_changed(struct dev_source *d, char *why, size_t cap)
{
	struct ifreq ifr = dev_ifreq(d, NULL);
	if (ioctl(d->sock, SIOCGIFINDEX, &ifr)) {
		snprintf(why, cap, "device %s is gone from netns %s (%s)", d->dev, netns_name(d->netns), strerror(errno));
		return why;
	}
	if (ifr.ifr_ifindex != d->ifindex) {
		snprintf(why, cap, "device %s in netns %s was replaced (ifindex %d, now %d): its counters started again",
			 d->dev, netns_name(d->netns), d->ifindex, ifr.ifr_ifindex);
		return why;
	}
	return NULL;
}

/* The device's 16 counters from /proc/net/dev, which is read whole: it grows
 * with the number of interfaces (~130 bytes each). 0, or -errno and why. */
static int read_link_stats(struct dev_source *d, unsigned long long v[16], char *why, size_t cap)
{
	size_t len, dl = strlen(d->dev);
	int err = read_whole_fd(d->netdev_fd, &d->netdev_buf, &d->netdev_cap, &len);
	if (err) {
		snprintf(why, cap, "reading /proc/net/dev of netns %s: %s", netns_name(d->netns), strerror(-err));
		return err;
	}
	for (char *save = NULL, *line = strtok_r(d->netdev_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ')
			line++;
		if (strncmp(line, d->dev, dl) || line[dl] != ':')
			continue;
		if (sscanf(line + dl + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12],
			   &v[13], &v[14], &v[15]) != 16) {
			snprintf(why, cap, "unexpected /proc/net/dev line for %s: %.100s", d->dev, line);
			return -EPROTO;
		}
		return 0;
	}
	snprintf(why, cap, "device %s is not in /proc/net/dev of netns %s", d->dev, netns_name(d->netns));
	return -ENODEV;
}

void close_dev_source(struct dev_source *d)
{
	if (d->sock >= 0)
		close(d->sock);
	if (d->netdev_fd >= 0)
		close(d->netdev_fd);
	free(d->netdev_buf);
	free(d->strings);
	free(d->stats);
}

int open_dev_source(const char *spec, struct dev_source *d, int home_netns)
{
	/* LABEL=NETNS/IFNAME */
	const char *eq = strchr(spec, '='), *slash = eq ? strchr(eq, '/') : NULL;
	d->sock = d->netdev_fd = -1;
	if (!eq || !slash || eq == spec || (size_t)(eq - spec) >= sizeof(d->label) ||
	    (size_t)(slash - eq - 1) >= sizeof(d->netns) || !slash[1] || strlen(slash + 1) >= IFNAMSIZ) {
		fprintf(stderr, "xdpb: --dev-stats takes LABEL=NETNS/IFNAME (label < 64, netns < 128, name < %d bytes), got '%s'\n",
			IFNAMSIZ, spec);
		return EXIT_USAGE;
	}
	memcpy(d->label, spec, eq - spec);
	memcpy(d->netns, eq + 1, slash - eq - 1);
	memcpy(d->dev, slash + 1, strlen(slash + 1));

	int err = enter_netns(d->netns);
	if (err)
		return fail("enter-netns", -err, d->netns);
	d->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	err = d->sock < 0 ? errno : 0;
	d->netdev_fd = open("/proc/self/net/dev", O_RDONLY | O_CLOEXEC);
	err = err ? err : d->netdev_fd < 0 ? errno : 0;
	if (setns(home_netns, CLONE_NEWNET))
		return fail("leave-netns", errno, d->netns);
	if (err)
		return fail("open-device-counters", err, spec);

	char why[512]; /* spec, device and netns: all bounded above */
	struct ifreq ifr = dev_ifreq(d, NULL);
	if (ioctl(d->sock, SIOCGIFINDEX, &ifr)) {
		err = errno;
		snprintf(why, sizeof(why), "%s: no device %s in netns %s", spec, d->dev, netns_name(d->netns));
		return fail("resolve-device", err, why);
	}
	d->ifindex = ifr.ifr_ifindex;
	unsigned long long v[16];
	if ((err = read_link_stats(d, v, why, sizeof(why))))
		return fail("link-stats", -err, why);

	long long n = ethtool_stats_count(d);
	if (n < 0)
		return fail("ethtool-stats", (int)-n, d->dev);
	for (int attempt = 0; n > 0 && attempt < 3; attempt++) {
		if ((err = ethtool_names(d, (__u32)n)) != -EAGAIN)
			break;
		n = ethtool_stats_count(d);
	}
	if (n > 0 && err)
		return fail("ethtool-strings", -err, d->dev);
	return 0; /* no ethtool stats: link stats only */
}

/* "link":{...} and the ethtool stats, or "link":null,"error":WHY. */
void emit_device(struct dev_source *d)
{
	char why[320];
	unsigned long long v[16];
	if (device_changed(d, why, sizeof(why)) || read_link_stats(d, v, why, sizeof(why))) {
		printf("\"link\":null,\"error\":");
		json_str(stdout, why);
		return;
	}
	printf("\"link\":{\"rx_bytes\":%llu,\"rx_packets\":%llu,\"rx_errors\":%llu,\"rx_dropped\":%llu,"
	       "\"tx_bytes\":%llu,\"tx_packets\":%llu,\"tx_errors\":%llu,\"tx_dropped\":%llu}",
	       v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]);
	emit_ethtool(d);
}
