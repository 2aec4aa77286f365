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
# and TPG 2 (target id 2), one LUN:
#   LUN 0  fileio  fiowp 8M of bytes 0x55 (in $VSCSI_FIO_DIR), UNMAP and
#                        WRITE SAME with UNMAP enabled, mapped write-protected
#                        through an explicit node ACL named as TPG 2's
#                        nexus; VSCSI_WP=0 leaves TPG 2 out and the
#                        write-protect cases skip
# TPG 5 (target id 5), LUN 0: ramdisk rdpi (16M) formatted with T10-PI
#                        type 1 (attrib/pi_prot_type); VSCSI_PI=0 leaves
#                        TPGs 5 and 6 out and the protection cases skip
# TPG 6 (target id 6), fabric_prot_type 1, LUN 0: ramdisk rdfab (16M)
#                        without protection: the target core makes and
#                        checks the tuples for the initiator
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
WP=${VSCSI_WP:-1}
WP_INIT=naa.5001405000000099	# TPG 2's nexus and the name of its ACL
PI=${VSCSI_PI:-1}
CFS=/sys/kernel/config/target

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

# TPG 2 with fiowp as a write-protected LUN 0.  Write protection is a
# property of a node ACL's mapped LUN, so the ACL must exist before the
# nexus with its name is made: a nexus made first gets a demo-mode ACL.
# targetcli gives a new vhost TPG a nexus at once, hence raw configfs.
setup_wp_tpg() {
	local tpg=$CFS/vhost/$WWPN/tpgt_2 acl bs
	acl=$tpg/acls/$WP_INIT
	[ "$WP" = 1 ] || return 1
	head -c 8M /dev/zero | tr '\0' '\125' >"$FIO_DIR/fiowp.img" &&
		tcli /backstores/fileio create fiowp "$FIO_DIR/fiowp.img" 8M &&
		tcli /backstores/fileio/fiowp set attribute emulate_tpu=1 \
			emulate_tpws=1 || return 1
	for bs in "$CFS"/core/fileio_*/fiowp; do break; done
	mkdir "$tpg" "$tpg/lun/lun_0" &&
		ln -s "$bs" "$tpg/lun/lun_0/fiowp" &&
		mkdir "$acl" "$acl/lun_0" &&
		ln -s "$tpg/lun/lun_0" "$acl/lun_0/fiowp" &&
		echo 1 >"$acl/lun_0/write_protect" &&
		echo "$WP_INIT" >"$tpg/nexus"
}

# TPG @1 with ramdisk @2 (16M) as LUN 0 and a nexus.  fabric_prot_type
# is read when the nexus's session is made, so it (@3) is written first;
# targetcli would make the nexus with the TPG, hence raw configfs.
setup_pi_tpg() {
	local tpg=$CFS/vhost/$WWPN/tpgt_$1 bs
	tcli /backstores/ramdisk create "$2" 16M || return 1
	for bs in "$CFS"/core/rd_mcp_*/"$2"; do break; done
	[ "$2" = rdpi ] && { echo 1 >"$bs/attrib/pi_prot_type" || return 1; }
	mkdir "$tpg" &&
		echo "$3" >"$tpg/attrib/fabric_prot_type" &&
		mkdir "$tpg/lun/lun_0" &&
		ln -s "$bs" "$tpg/lun/lun_0/$2" &&
		echo "naa.50014050000000$1$1" >"$tpg/nexus"
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

if setup_wp_tpg >&2; then
	echo "VSCSI_WP_TARGET=2"
elif [ "$WP" = 1 ]; then
	echo "setup-targets: no write-protected TPG 2, its cases will skip" >&2
fi

if [ "$PI" = 1 ] && setup_pi_tpg 5 rdpi 0 >&2 &&
   setup_pi_tpg 6 rdfab 1 >&2; then
	echo "VSCSI_PI_TARGET=5"
	echo "VSCSI_FABRIC_PI_TARGET=6"
elif [ "$PI" = 1 ]; then
	echo "setup-targets: no protection TPGs 5 and 6, their cases will skip" >&2
fi

echo "VSCSI_WWPN=$WWPN"
echo "VSCSI_LUNS=$luns"
for d in /sys/kernel/config/target/core/rd_mcp_*/rd0; do
	[ -d "$d" ] && echo "VSCSI_HOTPLUG_BACKSTORE=$d" && break
done
exit 0
