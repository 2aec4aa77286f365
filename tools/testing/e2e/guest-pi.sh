#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-pi.sh - T10-PI end to end, and what a resize looks like, inside a
# nested Linux guest whose QEMU device is vhost-scsi-pci with t10_pi=on.
# outer.sh configures, on a WWN of its own:
#   target 1 (TPG 1), LUN 0  ramdisk formatted with type 1 protection
#                            (LIO attrib pi_prot_type=1): LIO keeps the
#                            tuples and checks them
#   target 1 (TPG 1), LUN 1  fileio, 16 MiB, grown to 32 MiB by outer.sh
#                            while this runs (guest_resize_after_rescan)
#   target 2 (TPG 2), LUN 0  plain ramdisk, TPG fabric_prot_type=1: LIO
#                            checks the tuples and strips them on writes,
#                            generates them on reads
# Both read as type 1 protected disks, so the guest's sd registers an
# integrity profile and its block layer generates the tuples of every
# write (DIX) and verifies those of every read; the tuples travel in
# virtio-scsi's pi_bytesout/pi_bytesin through the module.  A tuple that
# the module lost, shifted or mixed up with data fails LIO's check on the
# write (an I/O error in the guest) or the guest's check on the read.
# Prints PASS/FAIL lines (tools/testing/lib/ktest.sh); --list prints the
# cases it promises and runs nothing.
# shellcheck disable=SC2015
set -u

PI_MB=${E2E_PI_MB:-64}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
KTEST_CASES="guest_pi_feature_negotiated guest_pi_integrity_profiles
guest_pi_fio_verify_dif guest_pi_fio_verify_fabric
guest_change_not_negotiated guest_resize_after_rescan"

pass() { ktest_pass "$1"; }
fail() { ktest_fail "$1" "$2"; }

# The block device of LUN ${2:-0} behind target $1, waiting for the
# async scan.
dev_of_target() {
	local d
	for _ in $(seq 1 100); do
		for d in /sys/bus/scsi/devices/*:0:"$1":"${2:-0}"/block/*; do
			[ -e "$d" ] && { echo "${d##*/}"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

# Virtio-scsi feature bit $1 as the guest's driver negotiated it, for
# each virtio-scsi device (sysfs prints one character per bit, bit 0
# first).
scsi_feature() {
	local d f got=
	for d in /sys/bus/virtio/devices/*; do
		[ "$(cat "$d/device")" = 0x0008 ] || continue	# SCSI host
		f=$(cat "$d/features")
		got+="${f:$1:1}"
	done
	echo "$got"
}

# Bit 3, VIRTIO_SCSI_F_T10_PI.
case_guest_pi_feature_negotiated() {
	local got
	got=$(scsi_feature 3)
	[ "$got" = 1 ] && pass guest_pi_feature_negotiated ||
		fail guest_pi_feature_negotiated "one virtio-scsi device with VIRTIO_SCSI_F_T10_PI negotiated, got '$got'"
}

# Bit 2, VIRTIO_SCSI_F_CHANGE: the module offers it, but QEMU 7.2's
# vhost-scsi-pci does not pass it on to the guest.
case_guest_change_not_negotiated() {
	local got
	got=$(scsi_feature 2)
	[ "$got" = 0 ] && pass guest_change_not_negotiated ||
		fail guest_change_not_negotiated "VIRTIO_SCSI_F_CHANGE not negotiated under QEMU 7.2, got '$got'"
}

# What such a guest sees when the host grows a LUN (outer.sh chg_resize):
# no event and no unit attention tell it, so the disk keeps its old size
# until someone rescans the SCSI device; then it has the new one.
case_guest_resize_after_rescan() {
	local name=guest_resize_after_rescan d before want='' still after
	if ! d=$(dev_of_target 1 1) || [ -z "${E2E_CHG_DIR:-}" ]; then
		fail $name "LUN 1 of target 1 and E2E_CHG_DIR"
		return
	fi
	before=$(cat /sys/block/"$d"/size)
	echo "$before" >"$E2E_CHG_DIR/chg-ready"
	for _ in $(seq 1 300); do
		[ -s "$E2E_CHG_DIR/chg-resized" ] && break
		sleep 0.2
	done
	want=$(cat "$E2E_CHG_DIR/chg-resized" 2>/dev/null)
	# A command to the disk, which a unit attention would answer.
	dd if=/dev/"$d" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
	sleep 1
	still=$(cat /sys/block/"$d"/size)
	echo 1 >/sys/block/"$d"/device/rescan
	after=$(cat /sys/block/"$d"/size)
	[ -n "$want" ] && [ "$still" = "$before" ] && [ "$after" = "$want" ] &&
		pass $name ||
		fail $name "sectors $before, still $before before the rescan, $want after it; got $still before and $after after (resized to '$want')"
}

# Each LUN reads as type 1 protected and its disk has the block layer's
# T10-DIF type 1 profile, generating on write and verifying on read.
case_guest_pi_integrity_profiles() {
	local t d got=
	for t in 1 2; do
		if ! d=$(dev_of_target $t); then
			got+="target $t: no disk;"
			continue
		fi
		got+="$d:$(cat /sys/block/"$d"/integrity/format)"
		got+=",$(cat /sys/block/"$d"/integrity/write_generate)"
		got+=",$(cat /sys/block/"$d"/integrity/read_verify)"
		got+=",$(cat /sys/block/"$d"/device/scsi_disk/*/protection_type);"
		eval "PI_DEV$t=/dev/$d"
	done
	local want
	want="${PI_DEV1#/dev/}:T10-DIF-TYPE1-CRC,1,1,1;"
	want+="${PI_DEV2#/dev/}:T10-DIF-TYPE1-CRC,1,1,1;"
	[ "$got" = "$want" ] && pass guest_pi_integrity_profiles ||
		fail guest_pi_integrity_profiles "format,write_generate,read_verify,protection_type '$want', got '$got'"
}

# fio with verify on LUN 0 of target $2 (case $1): direct I/O of 4 KiB to
# 256 KiB, each write with the tuples the guest generated, each read
# checked by the guest against the tuples that came back.
pi_fio() {
	local name=$1 dev=$2 out
	if [ -z "$dev" ]; then
		fail "$name" "a protected disk (see guest_pi_integrity_profiles)"
		return
	fi
	if out=$(fio --name=pi --filename="$dev" --direct=1 --ioengine=libaio \
		     --rw=randrw --bsrange=4k-256k --iodepth=16 \
		     --size=$((PI_MB / 2))M --verify=crc32c --verify_fatal=1 \
		     --do_verify=1 2>&1); then
		pass "$name"
	else
		fail "$name" "fio verify to pass, got: $(echo "$out" | grep -iE 'err|verify' | head -3 | tr '\n' ';')"
	fi
}

if [ "${1:-}" = --list ]; then
	ktest_list
	exit 0
fi
PI_DEV1="" PI_DEV2=""
case_guest_pi_feature_negotiated
case_guest_pi_integrity_profiles
pi_fio guest_pi_fio_verify_dif "$PI_DEV1"
pi_fio guest_pi_fio_verify_fabric "$PI_DEV2"
case_guest_change_not_negotiated
case_guest_resize_after_rescan
ktest_summary
