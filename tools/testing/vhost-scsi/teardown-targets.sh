#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teardown-targets.sh - remove what setup-targets.sh created, so that
# vhost_scsi and the LIO modules can be unloaded.  Safe to run twice.
# --wp-tpg-only: only take TPG 2's nexus and LUN away (before clearconfig).
set -u

WWPN=${VSCSI_WWPN:-naa.5001405000000001}
FIO_DIR=${VSCSI_FIO_DIR:-/tmp}

# TPG 2's nexus uses its explicit node ACL, and removing an ACL a session
# uses waits forever (the fabric cannot close a session): drop the nexus
# first.  Debian's module keeps a nexus while its TPG has a LUN, so the LUN
# goes before it.
drop_wp_tpg() {
	local tpg=/sys/kernel/config/target/vhost/$WWPN/tpgt_2 acl
	[ -d "$tpg" ] || return 0
	for acl in "$tpg"/acls/*/lun_0; do
		rm -f "$acl"/fiowp 2>/dev/null
		rmdir "$acl" 2>/dev/null
	done
	rm -f "$tpg/lun/lun_0/fiowp" 2>/dev/null
	rmdir "$tpg/lun/lun_0" 2>/dev/null
	printf NULL >"$tpg/nexus" 2>/dev/null
}

drop_wp_tpg
[ "${1:-}" = --wp-tpg-only ] && exit 0
targetcli /vhost delete "$WWPN" >/dev/null 2>&1
targetcli /backstores/ramdisk delete rd0 >/dev/null 2>&1
targetcli /backstores/fileio delete fio0 >/dev/null 2>&1
targetcli /backstores/fileio delete fiowp >/dev/null 2>&1
targetcli /backstores/block delete slow0 >/dev/null 2>&1
targetcli /backstores/ramdisk delete rdpi >/dev/null 2>&1
targetcli /backstores/ramdisk delete rdfab >/dev/null 2>&1
rm -f "$FIO_DIR/fio0.img" "$FIO_DIR/fiowp.img"
if [ -b /dev/mapper/slow ]; then
	dmsetup remove slow >/dev/null 2>&1
	modprobe -r brd 2>/dev/null
fi
exit 0
