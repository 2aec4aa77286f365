#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Locate the Debian kernel we build for and make sure its pieces match.
#
#   scripts/kernel-env.sh kver              print the kernel release to build for
#   scripts/kernel-env.sh vhost-h DIR       extract drivers/vhost/vhost.h into DIR
#   scripts/kernel-env.sh checkpatch DIR    extract checkpatch.pl and its data into DIR
#
# KVER defaults to the release of the installed linux-headers-*-amd64 package,
# not to `uname -r`: the build machine's own kernel is not Debian's.  The
# vhost core's private header is not shipped in linux-headers, so it comes from
# /usr/src/linux-source-6.1.tar.xz, which must be the same Debian version as the
# headers and the image; otherwise struct vhost_virtqueue may not match the
# vhost.ko we link against and we refuse to build.
set -eu

SRC_TARBALL=${SRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}

die() { echo "kernel-env: $*" >&2; exit 1; }

pkg_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

default_kver() {
	local d best=
	for d in /usr/src/linux-headers-*-amd64; do
		[ -f "$d/Makefile" ] || continue
		best=${d#/usr/src/linux-headers-}
	done
	[ -n "$best" ] || die "no linux-headers-*-amd64 installed (run: make deps)"
	echo "$best"
}

kver() { echo "${KVER:-$(default_kver)}"; }

check_versions() {
	local k hv iv sv
	k=$(kver)
	hv=$(pkg_version "linux-headers-$k")
	iv=$(pkg_version "linux-image-$k")
	[ -n "$iv" ] || iv=$(pkg_version "linux-image-$k-unsigned")
	sv=$(pkg_version linux-source-6.1)
	[ -n "$hv" ] || die "linux-headers-$k is not installed (run: make deps)"
	[ -n "$sv" ] || die "linux-source-6.1 is not installed (run: make deps)"
	[ -f "$SRC_TARBALL" ] || die "$SRC_TARBALL missing (reinstall linux-source-6.1)"
	if [ "$sv" != "$hv" ]; then
		die "version mismatch: linux-source-6.1 is $sv but linux-headers-$k is $hv; install matching packages (apt-get install linux-source-6.1=$hv)"
	fi
	if [ -n "$iv" ] && [ "$iv" != "$hv" ]; then
		die "version mismatch: linux-image-$k is $iv but linux-headers-$k is $hv"
	fi
}

extract() {
	local dir=$1; shift
	mkdir -p "$dir"
	tar -xJf "$SRC_TARBALL" -C "$dir" --strip-components=1 \
		"${@/#/linux-source-6.1/}" || die "cannot extract $* from $SRC_TARBALL"
}

case "${1:-}" in
kver)
	kver
	;;
vhost-h)
	[ $# -eq 2 ] || die "usage: $0 vhost-h DIR"
	check_versions
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	extract "$tmp" drivers/vhost/vhost.h
	cp "$tmp/drivers/vhost/vhost.h" "$2/vhost.h"
	echo "$(pkg_version linux-source-6.1)" > "$2/.vhost.h.version"
	;;
checkpatch)
	[ $# -eq 2 ] || die "usage: $0 checkpatch DIR"
	[ -f "$SRC_TARBALL" ] || die "$SRC_TARBALL missing (run: make deps)"
	extract "$2" scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch
	;;
*)
	die "usage: $0 kver | vhost-h DIR | checkpatch DIR"
	;;
esac
