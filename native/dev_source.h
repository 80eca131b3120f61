/* A device sampled by `xdpb sample --dev-stats LABEL=NETNS/IFNAME`: its link
 * counters (/proc/net/dev of its netns) and ethtool stats, read from the
 * helper's own netns through a socket and a file opened inside the device's. */
#ifndef XDPB_DEV_SOURCE_H
#define XDPB_DEV_SOURCE_H
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/types.h>
#include <stddef.h>

struct dev_source {
	char label[64], netns[128], dev[IFNAMSIZ];
	int ifindex;   /* at open: a device made later under the same name is another device */
	int sock;      /* created inside the device's netns */
	int netdev_fd; /* /proc/self/net/dev opened inside the device's netns */
	char *netdev_buf;
	size_t netdev_cap;
	struct ethtool_gstrings *strings;
	struct ethtool_stats *stats;
	__u32 n_stats;   /* names held in strings */
	__u32 cap_stats; /* room in strings and stats */
};

/* Opens LABEL=NETNS/IFNAME, entering NETNS and coming back to home_netns.
 * 0, or the exit status with the failure printed; close_dev_source releases
 * what was opened either way. */
int open_dev_source(const char *spec, struct dev_source *d, int home_netns);
void close_dev_source(struct dev_source *d);

/* "link":{...} and the ethtool stats, or "link":null,"error":WHY (gone, replaced). */
void emit_device(struct dev_source *d);

/* NETNS, or a name for the helper's own (""). */
const char *netns_name(const char *netns);

#endif
