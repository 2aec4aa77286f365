#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh - end-to-end cases inside a nested Linux guest whose virtio_scsi
# driver talks to the outer VM's vhost_scsi through an unmodified QEMU.
# outer.sh configures, in TPG 1 (the guest's SCSI target 1):
#   LUN 0  ramdisk rd0, $E2E_RD_MB MiB
#   LUN 1  fileio fio0, $E2E_FIO_MB MiB
#   LUN 2  block slow0: a ramdisk behind dm-delay, $E2E_SLOW_MS ms a request
# The error handling cases load eh-inject/eh_inject.ko (built by run-e2e),
# which sends LUN 2's timed-out commands to the SCSI error handler; a 6.1
# virtio_scsi would otherwise just re-arm the timer and never abort.
# Prints PASS/FAIL lines and "N passed, M failed" (tools/testing/lib/
# ktest.sh); --list prints the cases it promises and runs nothing.
# E2E_BENCH=1 adds the fio
# benchmark after the cases, E2E_BENCH=only runs just the benchmark; either
# prints "BENCH: <module> <workload> iops=N".
# pass() never fails, so "A && pass || fail" is an if-then-else; sysfs
# names are plain words, fit for ls.
# shellcheck disable=SC2015,SC2012
set -u

RD_MB=${E2E_RD_MB:-128}
FIO_MB=${E2E_FIO_MB:-128}
SLOW_MS=${E2E_SLOW_MS:-3000}
M=${VHOST_SCSI_MODULE:-ours}
here=$(cd "$(dirname "$0")" && pwd)
EH_KO=$here/eh-inject/eh_inject.ko
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
KTEST_CASES="guest_luns_visible guest_inquiry_lio_org guest_readcap_size
guest_queues_used guest_ext4_write_fsck guest_fio_verify guest_lun_reset
guest_eh_abort_no_escalation guest_sg_reset_device_then_io
guest_fio_verify_after_resets"

pass() { ktest_pass "$1"; }
fail() { ktest_fail "$1" "$2"; }
skip() { ktest_skip "$1" "$2"; }

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

# irq_counts: "NAME TOTAL" for each of virtio_scsi's request-queue
# interrupts in /proc/interrupts (one line per queue with per-queue MSI-X
# vectors, "virtioN-request"), TOTAL summed over the CPUs.
irq_counts() {
	awk '$NF ~ /^virtio[0-9]+-request$/ {
		n = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++)
			n += $i
		print $1, n
	}' /proc/interrupts
}

# Both request queues signal completions: READs from each vCPU in turn
# (virtio_scsi maps each CPU to its own queue) raise the interrupt count of
# every request virtqueue.
case_guest_queues_used() {
	local name=guest_queues_used before after cpu got
	before=$(irq_counts)
	for cpu in 0 1; do
		taskset -c $cpu dd if="$RD" of=/dev/null bs=64k count=64 \
			iflag=direct 2>/dev/null
	done
	after=$(irq_counts)
	# One stream, "before" lines, a "--" line, "after" lines: the guest
	# has no /dev/fd for process substitution.
	got=$(printf '%s\n--\n%s\n' "$before" "$after" |
		awk '$0 == "--" { after = 1; next }
		     !after { b[$1] = $2; next }
		     { q++; n += $2 > b[$1] }
		     END { print q + 0 " queues, " n + 0 " interrupted" }')
	if [ "$got" = "2 queues, 2 interrupted" ]; then
		pass $name
	else
		fail $name "2 queues, 2 interrupted (per-virtqueue lines in /proc/interrupts), got '$got': $(grep -E 'virtio' /proc/interrupts | tr -s ' ' | tr '\n' ';')"
	fi
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

# The kernel log from here to kmsg_end's mark, for one case to read.
kmsg_begin() { echo "e2e: begin $1" >/dev/kmsg; }
kmsg_end() {
	echo "e2e: end $1" >/dev/kmsg
	dmesg | sed -n "/e2e: begin $1\$/,/e2e: end $1\$/p"
}

# Wait up to $2 seconds for background job $1: its status, or 124 if it is
# still running (it is left behind; a command the target never answers
# leaves it in D state for good).
wait_deadline() {
	local i
	for i in $(seq 1 $(($2 * 5))); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
		sleep 0.2
	done
	return 124
}

# "H:C:T:L" of the SCSI device behind block device $1.
hctl_of() { basename "$(readlink -f /sys/block/"${1#/dev/}"/device)"; }

# What the error handler did, one line per step, from its log (level 4 and
# up shows the midlayer's recovery steps) and virtio_scsi's own messages.
eh_steps() {
	grep -oE 'abort scheduled|aborting command| tag#[0-9]+ abort$|cmd abort (failed|not send)|previous abort failed|(retry|finish) aborted command|eh timeout, not (aborting|retrying aborted command)|Sending (BDR|target reset|BRST|HRST)|: device reset$|Device offlined.*|rejecting I/O to offline device' |
		sed 's/^ tag#[0-9]* //; s/^: //' | tr '\n' ';'
}

# One READ of LUN 2 with a 1 s timeout: the target holds it for $SLOW_MS,
# the timeout fires, eh_inject hands it to the error handler, whose abort
# must succeed at the first level.  It goes through the sg driver, which
# gives it no retries (so it is aborted once and finished with DID_TIME_OUT)
# and, unlike SG_IO on the disk, does not raise timeouts to 7 s.
case_guest_eh_abort_no_escalation() {
	local name=guest_eh_abort_no_escalation hctl sg hits log steps lvl state
	local want="abort scheduled;aborting command;abort;finish aborted command;"
	if [ ! -f "$EH_KO" ]; then
		skip $name "$EH_KO not built"
		return
	fi
	hctl=$(hctl_of "$SLOW")
	sg=$(ls /sys/bus/scsi/devices/"$hctl"/scsi_generic 2>/dev/null)
	if [ -z "$sg" ]; then
		fail $name "an sg node for LUN 2 ($hctl), got none"
		return
	fi
	if ! insmod "$EH_KO" sdev="$hctl"; then
		fail $name "eh_inject.ko to load for $hctl"
		return
	fi
	lvl=$(cat /proc/sys/dev/scsi/logging_level)
	echo 4 >/proc/sys/dev/scsi/logging_level
	kmsg_begin $name
	sg_raw -t 1 -r 512 /dev/"$sg" 28 00 00 00 00 00 00 00 01 00 >/dev/null 2>&1
	hits=$(cat /sys/module/eh_inject/parameters/hits)
	rmmod eh_inject
	echo "$lvl" >/proc/sys/dev/scsi/logging_level
	log=$(kmsg_end $name)
	steps=$(echo "$log" | eh_steps)
	state=$(cat /sys/block/"${SLOW#/dev/}"/device/state)

	if [ "$hits" -lt 1 ]; then
		fail $name "the READ to time out into the error handler, got $hits timeouts (${SLOW_MS} ms delay, 1 s timeout)"
	elif [ "$steps" != "$want" ]; then
		fail $name "the error handler's steps '$want' (the abort succeeds, no reset), got '$steps'"
	elif [ "$state" != running ]; then
		fail $name "LUN 2 to stay running, got $state"
	elif ! dd if="$SLOW" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; then
		fail $name "a READ after the abort to succeed"
	else
		pass $name
	fi
}

# A LOGICAL UNIT RESET with a READ in flight on that LUN: the reset succeeds
# without escalating, the READ is answered (sd retries it after the reset),
# and new I/O works.
case_guest_sg_reset_device_then_io() {
	local name=guest_sg_reset_device_then_io pid out rc
	dd if="$SLOW" of=/dev/null bs=4k count=1 skip=1 iflag=direct 2>/dev/null &
	pid=$!
	sleep 1
	if ! out=$(sg_reset -N -d "$SLOW" 2>&1); then
		fail $name "sg_reset -N -d to succeed, got: $out"
		wait_deadline $pid 30
		return
	fi
	rc=0
	wait_deadline $pid 30 || rc=$?
	if [ $rc = 124 ]; then
		fail $name "the READ in flight during the reset to be answered, still waiting after 30 s"
	elif [ $rc != 0 ]; then
		fail $name "the READ in flight during the reset to complete, got dd status $rc"
	elif ! dd if="$SLOW" of=/dev/null bs=4k count=1 skip=2 iflag=direct 2>/dev/null; then
		fail $name "a READ after the reset to succeed"
	elif ! dd if="$RD" of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null; then
		fail $name "I/O to LUN 0 to continue"
	else
		pass $name
	fi
}

# Data written across LUN resets reads back intact: while fio writes LUN 0
# (rate-limited, so it runs for at least 16 s), LUN 0 itself is reset
# five times, each reset issued while fio is still running and each
# answered SUCCESS; then fio verifies what it wrote.
case_guest_fio_verify_after_resets() {
	local name=guest_fio_verify_after_resets out pid end want=5 resets=0
	local args=(--filename="$RD" --direct=1 --ioengine=libaio --rw=randwrite
		    --bsrange=4k-128k --iodepth=8 --size=32M --verify=crc32c
		    --verify_fatal=1 --randseed=2718)
	fio --name=write "${args[@]}" --rate=2m --do_verify=0 \
		>/tmp/e2e-fio-w.out 2>&1 &
	pid=$!
	sleep 1
	while [ $resets -lt $want ] && kill -0 $pid 2>/dev/null; do
		if ! out=$(sg_reset -N -d "$RD" 2>&1); then
			fail $name "sg_reset -N -d of LUN 0 under fio to succeed, got: $out"
			kill $pid
			wait $pid
			return
		fi
		resets=$((resets + 1))
		sleep 1
	done
	# The last reset was issued while fio ran only if fio is still going.
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		fail $name "$want LUN 0 resets while fio writes it, got $resets before fio finished"
		return
	fi
	end=$((SECONDS + 120))
	while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $end ]; do
		sleep 0.5
	done
	if kill -0 $pid 2>/dev/null; then
		fail $name "fio write of 32 MiB to finish within 120 s of the resets, still running"
		kill $pid
		wait $pid
		return
	fi
	if ! wait $pid; then
		fail $name "fio write across $resets resets to succeed, got: $(grep -iE 'err' /tmp/e2e-fio-w.out | head -2 | tr '\n' ';')"
		return
	fi
	if ! out=$(fio --name=write "${args[@]}" --verify_only 2>&1); then
		fail $name "fio verify after $resets LUN 0 resets under fio to pass, got: $(echo "$out" | grep -iE 'err|verify' | head -3 | tr '\n' ';')"
		return
	fi
	pass $name
}

# Interrupts of the virtio-scsi request queues so far, all CPUs.
request_irqs() {
	awk '/virtio[0-9]+-request/ {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
	} END { print n + 0 }' /proc/interrupts
}

# fio's terse line: field 6 is KiB read, 8 read IOPS.  Interrupts per
# I/O stay countable when IOPS are noisy.
bench() {
	local line kib iops i0 i1
	i0=$(request_irqs)
	line=$(fio --name=bench --filename="$RD" --direct=1 --ioengine=libaio \
		   --rw=randread --bs=4k --iodepth=32 --numjobs=2 \
		   --cpus_allowed=0-1 --cpus_allowed_policy=split \
		   --time_based --runtime="${E2E_BENCH_SECS:-20}" \
		   --group_reporting --output-format=terse --terse-version=3 2>/dev/null)
	i1=$(request_irqs)
	kib=$(awk -F';' '{ print $6 }' <<<"$line")
	iops=$(awk -F';' '{ print $8 }' <<<"$line")
	echo "BENCH: $M randread-4k-qd32x2 iops=$iops irqs_per_io=$(awk -v d=$((i1 - i0)) -v k="${kib:-0}" 'BEGIN { printf "%.3f", k ? d / (k / 4) : 0 }')"
}

if [ "${1:-}" = --list ]; then
	ktest_list
	exit 0
elif [ "${E2E_BENCH:-0}" = only ]; then
	# LUN 0 alone: QEMU's userspace virtio-scsi (E2E_BACKEND=qemu) has
	# no other.
	if RD=$(dev_of_lun 0); then
		bench
	else
		fail guest_luns_visible "LUN 0 of target 1, got: $(lsscsi 2>&1 | tr '\n' ';')"
	fi
elif case_guest_luns_visible; then
	case_guest_inquiry_lio_org
	case_guest_readcap_size
	case_guest_queues_used
	case_guest_ext4_write_fsck
	case_guest_fio_verify
	case_guest_lun_reset
	if SLOW=$(dev_of_lun 2); then
		case_guest_eh_abort_no_escalation
		case_guest_sg_reset_device_then_io
		case_guest_fio_verify_after_resets
	else
		fail guest_slow_lun_visible "LUN 2 of target 1, got: $(lsscsi 2>&1 | tr '\n' ';')"
	fi
	[ "${E2E_BENCH:-0}" = 1 ] && bench
fi
ktest_summary
