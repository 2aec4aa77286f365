#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh - end-to-end cases inside a nested Linux guest whose virtio_scsi
# driver talks to the outer VM's vhost_scsi through an unmodified QEMU.
# outer.sh configures, in TPG 1 (the guest's SCSI target 1):
#   LUN 0  ramdisk rd0, $E2E_RD_MB MiB
#   LUN 1  fileio fio0, $E2E_FIO_MB MiB
# Prints PASS/FAIL lines and "N passed, M failed".  E2E_BENCH=1 adds the fio
# benchmark after the cases, E2E_BENCH=only runs just the benchmark; either
# prints "BENCH: <module> <workload> iops=N".
set -u

RD_MB=${E2E_RD_MB:-128}
FIO_MB=${E2E_FIO_MB:-128}
M=${VHOST_SCSI_MODULE:-ours}
passed=0
failed=0

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }

# The block device of LUN $1 behind target 1, waiting for the async scan.
dev_of_lun() {
	local i d
	for i in $(seq 1 100); do
		for d in /sys/bus/scsi/devices/*:0:1:"$1"/block/*; do
			[ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

case_guest_luns_visible() {
	RD=$(dev_of_lun 0) && FIO=$(dev_of_lun 1)
	if [ -z "${RD:-}" ] || [ -z "${FIO:-}" ]; then
		fail guest_luns_visible "LUN 0 and 1 of target 1, got: $(lsscsi 2>&1 | tr '\n' ';')"
		return 1
	fi
	pass guest_luns_visible
}

case_guest_inquiry_lio_org() {
	local v
	v=$(sg_inq "$RD" 2>&1 | sed -n 's/^ *Vendor identification: *\(.*[^ ]\) *$/\1/p')
	[ "$v" = LIO-ORG ] && pass guest_inquiry_lio_org ||
		fail guest_inquiry_lio_org "vendor LIO-ORG, got '$v'"
}

case_guest_readcap_size() {
	local got=
	got="rd:$(sg_readcap -b "$RD" 2>/dev/null | awk '{ print $1 * $2 }') "
	got+="fio:$(sg_readcap -b "$FIO" 2>/dev/null | awk '{ print $1 * $2 }')"
	local want="rd:$((RD_MB << 20)) fio:$((FIO_MB << 20))"
	[ "$got" = "$want" ] && pass guest_readcap_size ||
		fail guest_readcap_size "bytes '$want', got '$got'"
}

case_guest_ext4_write_fsck() {
	local mnt=/mnt/e2e sum1 sum2 out
	mkdir -p $mnt
	if ! out=$(mkfs.ext4 -q -F "$FIO" 2>&1); then
		fail guest_ext4_write_fsck "mkfs.ext4 to succeed, got: $out"
		return
	fi
	mount "$FIO" $mnt || { fail guest_ext4_write_fsck "mount to succeed"; return; }
	for i in 1 2 3 4; do
		head -c $((3 << 20)) /dev/urandom >$mnt/f$i
	done
	mkdir -p $mnt/dir && cp $mnt/f1 $mnt/dir/copy
	sum1=$(cd $mnt && md5sum f1 f2 f3 f4 dir/copy)
	umount $mnt
	if ! out=$(fsck.ext4 -fn "$FIO" 2>&1); then
		fail guest_ext4_write_fsck "fsck.ext4 -fn clean, got: $(echo "$out" | tail -3 | tr '\n' ';')"
		return
	fi
	echo 3 >/proc/sys/vm/drop_caches
	mount -o ro "$FIO" $mnt
	sum2=$(cd $mnt && md5sum f1 f2 f3 f4 dir/copy)
	umount $mnt
	[ "$sum1" = "$sum2" ] && pass guest_ext4_write_fsck ||
		fail guest_ext4_write_fsck "the files read back unchanged after remount"
}

# Both request queues: one job per vCPU, and virtio_scsi maps each CPU to
# its own queue.
case_guest_fio_verify() {
	local out
	if out=$(fio --name=verify --filename="$RD" --direct=1 --ioengine=libaio \
		     --rw=randrw --bsrange=4k-256k --iodepth=16 --numjobs=2 \
		     --cpus_allowed=0-1 --cpus_allowed_policy=split \
		     --size=$((RD_MB / 2))M --offset_increment=$((RD_MB / 2))M \
		     --verify=crc32c --verify_fatal=1 --do_verify=1 \
		     --group_reporting 2>&1); then
		pass guest_fio_verify
	else
		fail guest_fio_verify "fio verify to pass, got: $(echo "$out" | grep -iE 'err|verify' | head -3 | tr '\n' ';')"
	fi
}

case_guest_queues_used() {
	local q
	q=$(ls -d /sys/block/"${RD#/dev/}"/mq/* 2>/dev/null | wc -l)
	[ "$q" -ge 2 ] && pass guest_queues_used ||
		fail guest_queues_used "2 blk-mq hardware queues, got $q"
}

case_guest_lun_reset() {
	local out
	if ! out=$(sg_reset -d "$RD" 2>&1); then
		fail guest_lun_reset "sg_reset -d to succeed, got: $out"
		return
	fi
	if ! dd if="$RD" of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null; then
		fail guest_lun_reset "I/O to continue after the reset"
		return
	fi
	pass guest_lun_reset
}

bench() {
	local iops
	iops=$(fio --name=bench --filename="$RD" --direct=1 --ioengine=libaio \
		   --rw=randread --bs=4k --iodepth=32 --numjobs=2 \
		   --cpus_allowed=0-1 --cpus_allowed_policy=split \
		   --time_based --runtime="${E2E_BENCH_SECS:-20}" \
		   --group_reporting --output-format=terse --terse-version=3 2>/dev/null |
		awk -F';' '{ print $8 }')
	echo "BENCH: $M randread-4k-qd32x2 iops=$iops"
}

if [ "${E2E_BENCH:-0}" = only ]; then
	case_guest_luns_visible && bench
elif case_guest_luns_visible; then
	case_guest_inquiry_lio_org
	case_guest_readcap_size
	case_guest_queues_used
	case_guest_ext4_write_fsck
	case_guest_fio_verify
	case_guest_lun_reset
	[ "${E2E_BENCH:-0}" = 1 ] && bench
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
