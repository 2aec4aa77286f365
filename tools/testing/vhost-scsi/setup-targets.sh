#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-targets.sh - create the LIO vhost target the vscsi tests expect.
#
# One vhost WWPN, TPG 1, two LUNs:
#   LUN 0  ramdisk rd0   ($VSCSI_RD_SIZE, default 64M)
#   LUN 1  fileio  fio0  ($VSCSI_FIO_SIZE, default 32M, backing file in
#                         $VSCSI_FIO_DIR, default /tmp)
# Prints the environment the tests read (VSCSI_WWPN, VSCSI_LUNS, ...).
# Needs root, configfs and targetcli; starts a system D-Bus if none runs.
set -eu

WWPN=${VSCSI_WWPN:-naa.5001405000000001}
RD_SIZE=${VSCSI_RD_SIZE:-64M}
FIO_SIZE=${VSCSI_FIO_SIZE:-32M}
FIO_DIR=${VSCSI_FIO_DIR:-/tmp}

start_dbus() {
	[ -S /run/dbus/system_bus_socket ] && return 0
	mkdir -p /run/dbus
	dbus-daemon --system --fork
}

tcli() {
	targetcli "$@" >/dev/null
}

start_dbus
modprobe target_core_mod 2>/dev/null || true
tcli /backstores/ramdisk create rd0 "$RD_SIZE"
tcli /backstores/fileio create fio0 "$FIO_DIR/fio0.img" "$FIO_SIZE"
tcli /vhost create "$WWPN"
tcli "/vhost/$WWPN/tpg1/luns" create /backstores/ramdisk/rd0
tcli "/vhost/$WWPN/tpg1/luns" create /backstores/fileio/fio0

# vhost_scsi only binds a TPG that has an I_T nexus; targetcli makes one
# when the TPG is created, but say so loudly if that ever changes.
nexus=/sys/kernel/config/target/vhost/$WWPN/tpgt_1/nexus
if [ ! -s "$nexus" ]; then
	echo "setup-targets: no nexus in $nexus" >&2
	exit 1
fi

echo "VSCSI_WWPN=$WWPN"
echo "VSCSI_LUNS=0,1"
