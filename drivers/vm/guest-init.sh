#!/bin/bash
# PID 1 of the xdp bench VM (started by the initramfs with switch_root).
# Runs the one job described by files in the job dir $1 (a 9p share mounted at
# the same path as on the host), writes its output and exit code back there,
# and powers the VM off. Nothing here is built from input: the command is read
# as a NUL-separated argv and run without a shell.
#
#   in:  argv (NUL-separated), env (NUL-separated KEY=VALUE), cwd, timeout-s,
#        out-dir (empty, or a host dir shared read-write at the same path)
#   out: guest-kernel, started/ended (guest clock, ns), stdout, stderr, exit-code (written last)
set -u
JOB=$1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8

say() { echo "xdpb-guest: $*" > /dev/console; }
power_off() {
  sync
  echo 1 > /proc/sys/kernel/sysrq
  echo o > /proc/sysrq-trigger
  sleep 30
  exit 1 # PID 1 exiting panics the kernel: panic=-1 + qemu -no-reboot end the VM anyway
}
trap power_off EXIT

mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The host's /run (netns files, locks, run registry) and /tmp (other runs'
# scratch dirs) must not show through: the guest has its own. The job's working
# directory (this repository, e.g. a CI clone under /tmp) is carried over them.
CWD=$(< "$JOB/cwd")
mkdir -p /.xdpb-cwd
mount --bind "$CWD" /.xdpb-cwd 2>> "$JOB/init-errors"
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /run/lock
mount -t tmpfs -o mode=1777 tmpfs /tmp
case "$CWD" in
  /tmp/*|/run/*) mkdir -p "$CWD" && mount --move /.xdpb-cwd "$CWD" 2>> "$JOB/init-errors" ;;
  *) umount /.xdpb-cwd 2>/dev/null ;;
esac
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname xdpb-vm
ip link set lo up

uname -r > "$JOB/guest-kernel"
OUT=$(< "$JOB/out-dir")
if [ -n "$OUT" ]; then
  mkdir -p "$OUT"
  mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=262144 xdpbout "$OUT" 2>> "$JOB/init-errors" ||
    { echo "guest: cannot mount the out dir $OUT" > "$JOB/stderr"; echo 125 > "$JOB/exit-code"; exit 0; }
fi
export XDPB_VM=1 XDPB_VM_OUT=$OUT
# No udev here: load the drivers of the devices qemu gave us.
modprobe virtio_net 2>> "$JOB/init-errors"

mapfile -d '' -t ARGV < "$JOB/argv"
mapfile -d '' -t ENVV < "$JOB/env"
TIMEOUT_S=$(< "$JOB/timeout-s")
say "running the job (${#ARGV[@]} args, limit ${TIMEOUT_S} s)"
date +%s%N > "$JOB/started"
cd "$CWD" || { echo "guest: cannot cd to $CWD" > "$JOB/stderr"; echo 126 > "$JOB/exit-code"; exit 0; }
timeout -k 5 "$TIMEOUT_S" env -- "${ENVV[@]}" "${ARGV[@]}" < /dev/null > "$JOB/stdout" 2> "$JOB/stderr"
rc=$?
date +%s%N > "$JOB/ended"
echo "$rc" > "$JOB/exit-code.tmp"
mv "$JOB/exit-code.tmp" "$JOB/exit-code"
say "job exited $rc"
exit 0
