#!/usr/bin/env bash
# Builds a local stand-in for the public node image when no registry can be reached:
# Debian bookworm (debootstrap minbase) + this machine's node, npm and node headers, laid out as
# in the official image (/usr/local/bin/node, /usr/local/lib/node_modules/npm, /usr/local/include/node).
# Usage: test/container/build-base.sh [tag]   (default localhost/node-local:20)
set -euo pipefail
TAG="${1:-localhost/node-local:20}"
for tool in podman debootstrap node npm; do
  command -v "$tool" >/dev/null || { echo "build-base: $tool is missing (apt-get install -y podman runc debootstrap)" >&2; exit 1; }
done
mirror="$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d /tmp/node-local-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "build-base: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -n 20 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
cp -r "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Headers, so node-gyp (re2) builds without downloading them (the official image ships them too).
node_prefix="$(dirname "$(dirname "$node_bin")")"
if [ -d "$node_prefix/include/node" ]; then cp -r "$node_prefix/include/node" "$rootfs/usr/local/include/node"; fi
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
tar -C "$rootfs" -c . | podman import --quiet - "$TAG" >/dev/null
echo "build-base: $TAG ($(chroot "$rootfs" /usr/local/bin/node --version))"
