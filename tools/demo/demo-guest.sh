#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-guest.sh - the demo's guest side: Linux's own virtio_scsi driver
# finds the LUNs and does I/O through vhost_scsi.
set -eu

say() { printf '\n=== guest: %s\n' "$*"; }
run() { echo "# $*"; "$@"; }

for _ in $(seq 1 100); do
	[ -e /sys/bus/scsi/devices/0:0:1:1/block ] && break
	sleep 0.2
done
disk=/dev/$(ls /sys/bus/scsi/devices/0:0:1:1/block)
rd=/dev/$(ls /sys/bus/scsi/devices/0:0:1:0/block)

say "the disks virtio_scsi found"
echo "# lsscsi"
lsscsi | tee /tmp/demo-lsscsi.txt
# The demo is about these two LUNs: if lsscsi misses one, show what
# sysfs has instead of going on.
if [ "$(grep -c LIO-ORG /tmp/demo-lsscsi.txt)" -lt 2 ]; then
	echo "demo: lsscsi shows $(grep -c LIO-ORG /tmp/demo-lsscsi.txt) of the 2 LUNs; sysfs has:" >&2
	ls -l /sys/bus/scsi/devices/ /sys/bus/scsi/devices/*/block >&2
	exit 1
fi
run sg_inq "$rd"
run sg_readcap "$disk"

say "a file system on the file-backed LUN"
run mkfs.ext4 -q "$disk"
mkdir -p /mnt/demo
run mount "$disk" /mnt/demo
run dd if=/dev/urandom of=/mnt/demo/data bs=1M count=32 status=none
run sha256sum /mnt/demo/data
run umount /mnt/demo
run fsck.ext4 -fn "$disk"

say "fio with checksum verification on the ramdisk LUN, both request queues"
run fio --name=demo --filename="$rd" --direct=1 --ioengine=libaio \
	--rw=randrw --bsrange=4k-128k --iodepth=16 --numjobs=2 \
	--cpus_allowed=0-1 --cpus_allowed_policy=split --size=48M \
	--offset_increment=64M --verify=crc32c --verify_fatal=1 \
	--group_reporting | grep -E "IOPS|err=|verify"
say "done"
