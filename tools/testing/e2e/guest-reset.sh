#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-reset.sh - the guest side of e2e_guest_reset_under_io (reset.sh):
# the init of the small guest (migrate.sh --build's image, e2e.script=
# guest-reset.sh), which reset.sh resets with QMP system_reset while its
# writes are in flight, again and again; every boot runs this script anew.
# LUN 0 ramdisk, LUN 1 fileio (its last 4 KiB block is the mailbox),
# LUN 2 slow (dm-delay, seconds a request: outer.sh).
#
# Boot b reads "BOOT b LAST" from the mailbox (reset.sh writes it before
# each reset) and prints "RESET-START b", then:
#   - reads back region j < b of LUN 2 for every earlier boot (fio
#     verify_only, crc32c): 1 MiB at j MiB, written by boot j and answered
#     GOOD before that boot said it was ready, so it must read back
#     whatever the resets cut later; "RESET-VERIFY b j ok|bad ...";
#   - boot b < LAST: writes and verifies region b, then starts fio
#     randwrite with no end on LUN 2 from 32 MiB and on LUN 0, 16 in
#     flight each, waits until the block layer has requests in flight on
#     LUN 2 and prints "RESET-IO b N" (N in flight): reset.sh resets it
#     there.  Those writes were never answered to fio: nothing is
#     expected of their blocks, only that they stay out of the regions;
#   - boot LAST: fresh fio write and crc32c verify runs over where the
#     cut writes went (LUN 2 from 32 MiB, LUN 0), then "RESET-FRESH ok|bad".
# Every boot checks its own kernel log before it says it is ready or done
# ("RESET-DMESG b clean|..."); the last powers off after "RESET-END".
# A boot that finds no mailbox word prints "RESET-ERROR ..." and powers
# off.
set -u

export PATH=/bin:/usr/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
cd /tmp || exit 1

dev_of_lun() {
	local d
	for _ in $(seq 1 100); do
		for d in /sys/bus/scsi/devices/*:0:1:"$1"/block/*; do
			[ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

end() {
	echo "RESET-END"
	sync
	poweroff -f
}

if ! RD=$(dev_of_lun 0) || ! PC=$(dev_of_lun 1) || ! SLOW=$(dev_of_lun 2); then
	echo "RESET-ERROR LUN 0, 1 and 2 of target 1, got: $(echo /sys/bus/scsi/devices/*)"
	end
fi
mbox=$(($(cat /sys/block/"${PC#/dev/}"/size) / 8 - 1))
m=$(dd if="$PC" bs=4096 skip="$mbox" count=1 iflag=direct 2>/dev/null |
	tr -d '\0\n')
read -r word b last <<<"$m"
if [ "${word:-}" != BOOT ]; then
	echo "RESET-ERROR mailbox 'BOOT b LAST', got '${word:-} ${b:-} ${last:-}'"
	end
fi
echo "RESET-START $b"

# region_fio J ARGS...: fio on region J of LUN 2 (1 MiB at J MiB, seed J+1).
region_fio() {
	local j=$1
	shift
	fio --filename="$SLOW" --direct=1 --ioengine=libaio \
		--rw=write --bs=64k --iodepth=16 --offset="${j}M" --size=1M \
		--randseed=$((j + 1)) --verify=crc32c --verify_fatal=1 "$@" \
		--name="region$j" >/tmp/region.out 2>&1
}

why() { grep -iE 'err|verify|bad' /tmp/"$1".out | head -2 | tr '\n' ';'; }

dmesg_check() {
	local t
	t=$(dmesg | grep -E 'BUG|WARNING|Oops|Call Trace|blocked for more|I/O error|virtscsi_abort|device reset' |
		head -3 | tr '\n' ';')
	echo "RESET-DMESG $b ${t:-clean}"
}

for j in $(seq 0 $((b - 1))); do
	if region_fio "$j" --verify_only; then
		echo "RESET-VERIFY $b $j ok"
	else
		echo "RESET-VERIFY $b $j bad: $(why region)"
	fi
done

if [ "$b" -ge "$last" ]; then
	fresh=ok
	# Options before the first --name apply to every job.
	fio --direct=1 --ioengine=libaio --rw=randwrite \
		--bsrange=4k-64k --iodepth=16 --randseed=$((b + 100)) \
		--verify=crc32c --verify_fatal=1 --do_verify=1 \
		--name=fresh --filename="$SLOW" --offset=32M --size=1M \
		--name=fresh0 --filename="$RD" --offset=0 --size=16M \
		>/tmp/fresh.out 2>&1 || fresh="bad: $(why fresh)"
	echo "RESET-FRESH $fresh"
	dmesg_check
	end
fi

if region_fio "$b" --do_verify=1; then
	echo "RESET-VERIFY $b $b written"
else
	echo "RESET-VERIFY $b $b bad: $(why region)"
fi
fio --direct=1 --ioengine=libaio --rw=randwrite \
	--bsrange=4k-64k --iodepth=16 --time_based --runtime=3600 \
	--name=cut --filename="$SLOW" --offset=32M --size=16M \
	--name=cut0 --filename="$RD" --offset=0 --size=16M \
	>/dev/null 2>&1 &
dmesg_check
for _ in $(seq 1 600); do
	read -r r w <"/sys/block/${SLOW#/dev/}/inflight"
	[ $((r + w)) = 0 ] || break
	sleep 0.1
done
echo "RESET-IO $b $((r + w))"
# reset.sh resets the guest now; should it not, it gives up in time.
sleep 3600
end
