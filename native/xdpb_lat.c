// SPDX-License-Identifier: GPL-2.0
/* xdpb-lat: latency prober and per-packet program cost for xdp bench.
 *
 *   probe, prog-run, list: `xdpb-lat help CMD` (or `xdpb-lat CMD --help`) lists a command's options.
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
 * The commands: lat_probe.c (probe), lat_prog_run.c (prog-run, list); their
 * options are parsed by args.c, shared with native/xdpb.c.
 */
#include "args.h"
#include "lat_commands.h"

static const struct command *const commands[] = { &cmd_probe, &cmd_prog_run, &cmd_list, NULL };

static const struct tool xdpb_lat = {
	.name = "xdpb-lat",
	.summary = "latency prober and BPF_PROG_TEST_RUN cost of xdp bench (one JSON answer per command on stdout)",
	.commands = commands,
};

int main(int argc, char **argv)
{
	return run_tool(&xdpb_lat, argc, argv);
}
