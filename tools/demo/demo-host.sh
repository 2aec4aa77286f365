#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-host.sh - the demo's KVM host side, inside the VM: targetcli
# configures our "vhost" fabric, then QEMU starts a guest on it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
WWPN=naa.5001405000000de0

say() { printf '\n=== %s\n' "$*"; }
run() { echo "# $*"; "$@"; }

say "module: $(modinfo -F description "$REPO/drivers/vhost/vhost_scsi.ko")"
run ls -l /dev/vhost-scsi

say "targetcli: a ramdisk and a file-backed disk behind one vhost WWN"
run targetcli /backstores/ramdisk create rd0 128M
run targetcli /backstores/fileio create disk0 /tmp/disk0.img 256M
run targetcli /vhost create $WWPN
run targetcli /vhost/$WWPN/tpg1/luns create /backstores/ramdisk/rd0
run targetcli /vhost/$WWPN/tpg1/luns create /backstores/fileio/disk0
run targetcli ls /vhost

say "QEMU: qemu-system-x86_64 -enable-kvm ... -device vhost-scsi-pci,wwpn=$WWPN,num_queues=2"
rc=0
"$REPO/tools/testing/vm/guest-run" --wwpn $WWPN --num-queues 2 \
	-- "$here/demo-guest.sh" || rc=$?

say "the module's counters after the guest's I/O"
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
run cat /sys/kernel/debug/vhost_scsi/stats
run targetcli clearconfig confirm=True
rm -f /tmp/disk0.img
exit $rc
