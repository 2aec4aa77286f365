#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-migrate.sh - the guest side of the live migration cases
# (migrate.sh): runs as the migration guest's init, from its read-only
# root image, while the outer VM migrates it back and forth between
# QEMUs.  LUN 0 (ramdisk) takes fio, LUN 1 (fileio) the page-cache data;
# LUN 1's last 4 KiB block is the mailbox: migrate.sh writes "GO k",
# "DONE k" and "END" into the backing file, the guest reads the block
# with O_DIRECT.  The guest answers on its console, whichever QEMU runs
# it: MIGR-START, then per round "MIGR-WAIT k" (ready), "MIGR-READ k"
# (the page-cache data was read while round k's migration ran) and
# "MIGR-CHECK k ..." (compared after it), then its case lines.
#
# From "MIGR-WAIT k" to "GO k", the guest dirties 1 MiB of memory again
# and again at low priority, so QEMU (1 ms downtime limit) cannot finish
# the migration before the read starts.  Page cache, each round: $PC_MB
# MiB of fresh random data written to LUN 1 with O_DIRECT (so no guest
# page holds it), caches dropped; on "GO k" (the migration is running,
# half of RAM copied) read once through the page cache; on "DONE k" (the
# guest runs on the destination) read again and compared with the
# checksum.  The second read must come from the cache (the disk's read
# counter does not move; readahead may read a little past the data: less
# than half of it counts as cached): it checks the pages the device
# wrote during the migration, and a page the dirty log missed holds stale
# bytes there.  fio: $FIO_MB MiB randwrite with crc32c verify on LUN 0,
# again and again until "END", so commands are in flight in every round.
# Slow LUN: LUN 2 (dm-delay, every request held a few hundred ms in the
# target) takes fio rounds of $SLOW_MB MiB randwrite, 16 in flight, each
# round read back with crc32c verify (a fresh seed per round, so a block
# the last round wrote fails the header check), also until "END": commands
# are in flight there whenever QEMU stops the source's device, and they
# must be answered by the source before the destination runs.  A command
# never answered would hang its fio for good (a 6.1 virtio_scsi re-arms
# the timer of a timed-out command and never aborts it): after "END" the
# guest waits a bounded time for its fio loops, then counts the requests
# the block layer still has in flight on each LUN.
# --list prints the cases and runs nothing.
set -u

PC_MB=8
FIO_MB=16
SLOW_MB=4
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
KTEST_CASES="e2e_migrate_page_cache e2e_migrate_fio_verify
e2e_migrate_guest_dmesg_clean e2e_migrate_slow_lun_verify
e2e_migrate_slow_lun_no_loss"
if [ "${1:-}" = --list ]; then
	ktest_list
	exit 0
fi

export PATH=/bin:/usr/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
cd /tmp || exit 1

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

finish() {
	ktest_summary
	sync
	poweroff -f
}

echo MIGR-START
if ! RD=$(dev_of_lun 0) || ! PC=$(dev_of_lun 1) || ! SLOW=$(dev_of_lun 2); then
	ktest_fail e2e_migrate_page_cache "LUN 0, 1 and 2 of target 1, got: $(echo /sys/bus/scsi/devices/*)"
	finish
fi
mbox=$(($(cat /sys/block/"${PC#/dev/}"/size) / 8 - 1))
# The last close of a block device drops its page cache: hold it open.
exec 5<"$PC"

mailbox() {
	dd if="$PC" bs=4096 skip="$mbox" count=1 iflag=direct 2>/dev/null |
		tr -d '\0\n'
}

# Wait for mailbox word $1 (or END); prints what came.
wait_mailbox() {
	local m end=$((SECONDS + 900))
	while [ $SECONDS -lt $end ]; do
		m=$(mailbox)
		if [ "$m" = "$1" ] || [ "$m" = END ]; then
			echo "$m"
			return 0
		fi
		sleep 0.2
	done
	echo timeout
}

# Sectors read from the disk so far (field 3 of its stat).
sectors_read() { awk '{ print $3 }' /sys/block/"${PC#/dev/}"/stat; }

# fio_loop NAME DEV MIB BSRANGE IODEPTH: fio rounds on DEV until
# /tmp/stop, each a randwrite of MIB MiB then its crc32c verify, seeded
# with the round's number; /tmp/NAME-runs counts them, /tmp/NAME-bad
# lists the failed ones.
fio_loop() {
	local i=0
	while [ ! -e /tmp/stop ]; do
		i=$((i + 1))
		if ! fio --name="$1" --filename="$2" --direct=1 --ioengine=libaio \
			--rw=randwrite --bsrange="$4" --iodepth="$5" \
			--size="$3M" --randseed=$i --verify=crc32c \
			--verify_fatal=1 --do_verify=1 >"/tmp/$1.out" 2>&1; then
			echo "$i: $(grep -iE 'err|verify' "/tmp/$1.out" | head -2 | tr '\n' ';')" >>"/tmp/$1-bad"
		fi
		echo $i >"/tmp/$1-runs"
	done
}

# wait_jobs SECONDS PID...: wait for the jobs, at most SECONDS in all;
# fails if one still runs then (it is left running).
wait_jobs() {
	local end=$((SECONDS + $1)) p
	shift
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null; do
			[ $SECONDS -lt $end ] || return 1
			sleep 0.5
		done
		wait "$p" 2>/dev/null
	done
	return 0
}

# "sdX:N ..." for each LUN whose block layer has requests in flight.
stuck_requests() {
	local d r w
	for d in "$RD" "$PC" "$SLOW"; do
		read -r r w <"/sys/block/${d#/dev/}/inflight"
		[ $((r + w)) = 0 ] || printf '%s:%d ' "${d#/dev/}" $((r + w))
	done
}

fio_loop fio "$RD" $FIO_MB 4k-128k 8 &
fio_pid=$!
fio_loop slow "$SLOW" $SLOW_MB 4k-64k 16 &
slow_pid=$!
rounds=0 bad=
k=1
while :; do
	rm -f /tmp/pc
	head -c $((PC_MB << 20)) /dev/urandom >/tmp/pc
	sum=$(sha256sum </tmp/pc)
	dd if=/tmp/pc of="$PC" bs=1M oflag=direct 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	nice -n 19 bash -c 'while :; do head -c 1048576 /dev/zero >/tmp/dirty; done' &
	dirtier=$!
	echo "MIGR-WAIT $k"
	m=$(wait_mailbox "GO $k")
	kill $dirtier
	wait $dirtier 2>/dev/null
	[ "$m" = "GO $k" ] || break
	t=$SECONDS
	head -c $((PC_MB << 20)) "$PC" >/dev/null
	echo "MIGR-READ $k"
	echo "MIGR-INFO round $k: read $PC_MB MiB in $((SECONDS - t)) s"
	[ "$(wait_mailbox "DONE $k")" = "DONE $k" ] || { bad+="round $k: no DONE; "; break; }
	s0=$(sectors_read)
	got=$(head -c $((PC_MB << 20)) "$PC" | sha256sum)
	s1=$(sectors_read)
	if [ "$got" != "$sum" ]; then
		echo "MIGR-CHECK $k mismatch"
		bad+="round $k: the cached data differs on the destination; "
	elif [ $((s1 - s0)) -ge $((PC_MB << 10)) ]; then
		echo "MIGR-CHECK $k uncached $((s1 - s0)) sectors"
		bad+="round $k: read again from the disk ($((s1 - s0)) sectors), not from the cache; "
	else
		echo "MIGR-CHECK $k ok ($((s1 - s0)) sectors read again)"
	fi
	rounds=$k
	k=$((k + 1))
done
touch /tmp/stop
# A round of each loop is at most a few tens of seconds, even under TCG.
ended=yes
wait_jobs 150 $fio_pid $slow_pid || ended=no
stuck=$(stuck_requests)
runs=$(cat /tmp/fio-runs 2>/dev/null || echo 0)
sruns=$(cat /tmp/slow-runs 2>/dev/null || echo 0)
echo "MIGR-INFO rounds=$rounds page_cache_mib=$((rounds * PC_MB)) fio_runs=$runs fio_mib_verified=$((runs * FIO_MB)) slow_lun_runs=$sruns slow_lun_mib_verified=$((sruns * SLOW_MB)) fio_loops_ended=$ended"

if [ "$rounds" = 0 ]; then
	ktest_fail e2e_migrate_page_cache "at least one migration round, got none (${bad:-no GO})"
elif [ -n "$bad" ]; then
	ktest_fail e2e_migrate_page_cache "$PC_MB MiB read during each migration to match on the destination, got: $bad"
else
	ktest_pass e2e_migrate_page_cache
fi
if [ -s /tmp/fio-bad ]; then
	ktest_fail e2e_migrate_fio_verify "every fio crc32c verify across $rounds migrations to pass, got failures in runs: $(tr '\n' ' ' </tmp/fio-bad)"
elif [ "$runs" -lt 2 ]; then
	ktest_fail e2e_migrate_fio_verify "fio to run across the migrations, got $runs runs"
else
	ktest_pass e2e_migrate_fio_verify
fi
if [ -s /tmp/slow-bad ]; then
	ktest_fail e2e_migrate_slow_lun_verify "every fio crc32c verify on the slow LUN across $rounds migrations to pass, got failures in runs: $(tr '\n' ' ' </tmp/slow-bad)"
elif [ "$ended" != yes ]; then
	ktest_fail e2e_migrate_slow_lun_verify "the fio loops to end within 150 s of END, still running; requests in flight: ${stuck:-none}"
elif [ "$sruns" -lt 2 ]; then
	ktest_fail e2e_migrate_slow_lun_verify "fio to run on the slow LUN across the migrations, got $sruns runs"
else
	ktest_pass e2e_migrate_slow_lun_verify
fi
# virtio_scsi's aborts and resets, the SCSI layer's timeouts and errors.
lost=$(dmesg | grep -iE 'I/O error|virtscsi_abort|device reset|timing out|rejecting I/O|offlin' | head -3 | tr '\n' ';')
if [ -n "$stuck" ] || [ -n "$lost" ]; then
	ktest_fail e2e_migrate_slow_lun_no_loss "every request answered, none in flight after the fio loops and no SCSI error in the kernel log, got: in flight ${stuck:-none}; log: ${lost:-clean}"
else
	ktest_pass e2e_migrate_slow_lun_no_loss
fi
trace=$(dmesg | grep -E 'BUG|WARNING|Oops|Call Trace|blocked for more' | head -3 | tr '\n' ';')
if [ -n "$trace" ]; then
	ktest_fail e2e_migrate_guest_dmesg_clean "a clean guest kernel log, got: $trace"
else
	ktest_pass e2e_migrate_guest_dmesg_clean
fi
finish
