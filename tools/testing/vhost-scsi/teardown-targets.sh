#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teardown-targets.sh - remove what setup-targets.sh created, so that
# vhost_scsi and the LIO modules can be unloaded.  Safe to run twice.
set -u

WWPN=${VSCSI_WWPN:-naa.5001405000000001}
FIO_DIR=${VSCSI_FIO_DIR:-/tmp}

# TPG 2's nexus uses its explicit node ACL; removing that ACL first would
# wait forever for the session (the fabric cannot close one), so drop it.
printf NULL >"/sys/kernel/config/target/vhost/$WWPN/tpgt_2/nexus" 2>/dev/null
targetcli /vhost delete "$WWPN" >/dev/null 2>&1
targetcli /backstores/ramdisk delete rd0 >/dev/null 2>&1
targetcli /backstores/fileio delete fio0 >/dev/null 2>&1
targetcli /backstores/fileio delete fiowp >/dev/null 2>&1
targetcli /backstores/block delete slow0 >/dev/null 2>&1
rm -f "$FIO_DIR/fio0.img" "$FIO_DIR/fiowp.img"
if [ -b /dev/mapper/slow ]; then
	dmsetup remove slow >/dev/null 2>&1
	modprobe -r brd 2>/dev/null
fi
exit 0
