#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkg-guest.sh - runs in a nested guest of pkg-tests.sh (guest-run or a
# libvirt domain), on the packaged vhost_scsi of the outer VM:
#
#   pkg-guest.sh io [QUEUES]
#       LUN 0 and LUN 1 of target 1 (TPG tag 1) appear; fio writes each
#       with crc32c checksums and verifies them; with QUEUES, the disk of
#       LUN 0 has that many blk-mq hardware queues (virtio_scsi makes one
#       per request queue the device offers, up to the vCPU count).
#       Prints "pkg-guest: io ok" last; any failure prints
#       "pkg-guest: FAIL ..." and exits 1.
#   pkg-guest.sh io-hotplug QUEUES
#       io, then the hot-plug handshake with pkg-tests.sh through files
#       in $PKG_SYNC (the shared directory): touch hot-ready, wait for
#       hot-attached, find the disk of a SCSI host that was not there
#       before, write and read back 4 MiB with a checksum ("pkg-guest:
#       hot io ok"), touch hot-io-done, wait for hot-detached, and see the
#       host go away ("pkg-guest: hot gone").  hot-attached holding
#       "failed" ends the handshake there ("pkg-guest: hot skipped").
#       Then the kernel log is checked ("pkg-guest: dmesg clean") and the
#       guest holds on ("pkg-guest: holding") for virsh destroy.
set -u

say() { echo "pkg-guest: $*"; }
die() { say "FAIL $*"; exit 1; }

# dev_of HCTL_GLOB: the block device of the first SCSI device matching
# the glob, waiting up to 20 s for the asynchronous scan.
# shellcheck disable=SC2231 # $1 is a glob
dev_of() {
	local d

	for _ in $(seq 1 100); do
		for d in /sys/bus/scsi/devices/$1/block/*; do
			[ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

# wait_file NAME SECONDS: $PKG_SYNC/NAME appears in time.
wait_file() {
	for _ in $(seq 1 $(($2 * 2))); do
		[ -e "$PKG_SYNC/$1" ] && return 0
		sleep 0.5
	done
	return 1
}

fio_verify() {
	local out

	out=$(fio --name=pkgverify --filename="$1" --direct=1 --ioengine=libaio \
		  --rw=randwrite --bsrange=4k-64k --iodepth=8 --size=16M \
		  --verify=crc32c --verify_fatal=1 --do_verify=1 2>&1) ||
		die "fio verify on $1: $(echo "$out" | grep -iE 'err|verify' | head -3 | tr '\n' ';')"
	say "fio verify=crc32c 16M on $1 ok"
}

io() {
	local rd fio_dev nq

	if ! rd=$(dev_of '*:0:1:0') || ! fio_dev=$(dev_of '*:0:1:1'); then
		die "LUN 0 and 1 of target 1, got: $(lsscsi 2>&1 | tr '\n' ';')"
	fi
	say "LUNs: $(lsscsi | tr -s ' ' | tr '\n' ';')"
	fio_verify "$rd"
	fio_verify "$fio_dev"
	if [ -n "${1:-}" ]; then
		nq=$(find "/sys/block/${rd#/dev/}/mq" -mindepth 1 -maxdepth 1 | wc -l)
		[ "$nq" = "$1" ] || die "$1 hardware queues on $rd, got $nq"
		say "$rd has $nq hardware queues"
	fi
	say "io ok"
}

hosts() { ls /sys/class/scsi_host; }

hotplug() {
	local before dev h sum1 sum2

	before=$(hosts)
	touch "$PKG_SYNC/hot-ready"
	wait_file hot-attached 300 || die "no hot-attached from the host in 300 s"
	if grep -q failed "$PKG_SYNC/hot-attached"; then
		say "hot skipped"
		return 0
	fi
	for h in $(seq 1 100); do
		h=$(hosts | grep -vxF "$before" | head -n 1)
		[ -n "$h" ] && break
		sleep 0.2
	done
	[ -n "$h" ] || die "a new SCSI host after attach-device, got: $(hosts | tr '\n' ' ')"
	dev=$(dev_of "${h#host}:0:1:0") || die "a disk behind the hot-plugged $h"
	head -c 4M /dev/urandom >/tmp/hot.in
	sum1=$(md5sum </tmp/hot.in)
	dd if=/tmp/hot.in of="$dev" bs=1M oflag=direct 2>/dev/null ||
		die "dd write to $dev"
	sum2=$(dd if="$dev" bs=1M count=4 iflag=direct 2>/dev/null | md5sum)
	[ "$sum1" = "$sum2" ] || die "4 MiB read back from $dev unchanged"
	say "hot io ok ($h, $dev, md5 ${sum1%% *})"
	touch "$PKG_SYNC/hot-io-done"
	wait_file hot-detached 300 || die "no hot-detached from the host in 300 s"
	for _ in $(seq 1 150); do
		[ -e "/sys/class/scsi_host/$h" ] || { say "hot gone"; return 0; }
		sleep 0.2
	done
	die "$h gone after detach-device, still there after 30 s"
}

# The guest's kernel log shows no bug, warning or oops (vm-init's check
# runs only if the command ends, and this guest is destroyed instead).
dmesg_clean() {
	local bad

	bad=$(dmesg | grep -E 'BUG:|WARNING:|Oops|Call Trace|general protection') &&
		die "kernel log: $(echo "$bad" | head -3 | tr '\n' ';')"
	say "dmesg clean"
}

case "${1:-}" in
io) io "${2:-}" ;;
io-hotplug)
	io "$2" && hotplug && dmesg_clean
	say holding
	sleep 1800 ;;
*) echo "usage: pkg-guest.sh io [QUEUES] | io-hotplug QUEUES" >&2; exit 64 ;;
esac
