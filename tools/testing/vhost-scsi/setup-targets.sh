#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-targets.sh - create the LIO vhost target the vscsi tests expect.
#
# One vhost WWPN, TPG 1, three LUNs:
#   LUN 0  ramdisk rd0   ($VSCSI_RD_SIZE, default 64M)
#   LUN 1  fileio  fio0  ($VSCSI_FIO_SIZE, default 32M, backing file in
#                         $VSCSI_FIO_DIR, default /tmp)
#   LUN 2  block   slow0 a dm-delay device over a 64 MiB brd ramdisk that
#                        holds every I/O for $VSCSI_SLOW_MS (default 2000)
#                        ms, so commands stay in flight long enough for task
#                        management; VSCSI_SLOW=0 (or no brd, dm-delay or
#                        dmsetup) leaves it out and those cases skip
# Prints the environment the tests read (VSCSI_WWPN, VSCSI_LUNS, ...),
# including VSCSI_HOTPLUG_BACKSTORE, rd0's configfs directory, which the
# event cases link as extra LUNs.
# Needs root, configfs and targetcli; starts a system D-Bus if none runs.
set -eu

WWPN=${VSCSI_WWPN:-naa.5001405000000001}
RD_SIZE=${VSCSI_RD_SIZE:-64M}
FIO_SIZE=${VSCSI_FIO_SIZE:-32M}
FIO_DIR=${VSCSI_FIO_DIR:-/tmp}
SLOW=${VSCSI_SLOW:-1}
SLOW_MS=${VSCSI_SLOW_MS:-2000}
SLOW_SECTORS=131072	# 64 MiB, the size of brd's /dev/ram0 below

start_dbus() {
	[ -S /run/dbus/system_bus_socket ] && return 0
	mkdir -p /run/dbus
	dbus-daemon --system --fork
}

tcli() {
	targetcli "$@" >/dev/null
}

# The slow device: brd ramdisk under dm-delay.  Reused if it exists.
# Without udev (the VM rig) dmsetup makes no device node: mknodes does.
setup_slow_dev() {
	[ "$SLOW" = 1 ] && command -v dmsetup >/dev/null || return 1
	if ! dmsetup info slow >/dev/null 2>&1; then
		modprobe brd rd_nr=1 rd_size=$((SLOW_SECTORS / 2)) &&
			modprobe dm-delay &&
			dmsetup create slow --table \
				"0 $SLOW_SECTORS delay /dev/ram0 0 $SLOW_MS" ||
			return 1
	fi
	dmsetup mknodes slow && [ -b /dev/mapper/slow ]
}

start_dbus
modprobe target_core_mod 2>/dev/null || true
tcli /backstores/ramdisk create rd0 "$RD_SIZE"
tcli /backstores/fileio create fio0 "$FIO_DIR/fio0.img" "$FIO_SIZE"
tcli /vhost create "$WWPN"
tcli "/vhost/$WWPN/tpg1/luns" create /backstores/ramdisk/rd0
tcli "/vhost/$WWPN/tpg1/luns" create /backstores/fileio/fio0
luns=0,1
if setup_slow_dev >&2 &&
   tcli /backstores/block create slow0 /dev/mapper/slow &&
   tcli "/vhost/$WWPN/tpg1/luns" create /backstores/block/slow0 lun=2; then
	luns=0,1,2
	echo "VSCSI_SLOW_LUN=2"
	echo "VSCSI_SLOW_MS=$SLOW_MS"
elif [ "$SLOW" = 1 ]; then
	echo "setup-targets: no dm-delay device, in-flight TMF cases will skip" >&2
fi

# vhost_scsi only binds a TPG that has an I_T nexus; targetcli makes one
# when the TPG is created, but say so loudly if that ever changes.
nexus=/sys/kernel/config/target/vhost/$WWPN/tpgt_1/nexus
if [ ! -s "$nexus" ]; then
	echo "setup-targets: no nexus in $nexus" >&2
	exit 1
fi

echo "VSCSI_WWPN=$WWPN"
echo "VSCSI_LUNS=$luns"
for d in /sys/kernel/config/target/core/rd_mcp_*/rd0; do
	[ -d "$d" ] && echo "VSCSI_HOTPLUG_BACKSTORE=$d" && break
done
exit 0
