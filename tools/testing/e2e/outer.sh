#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# outer.sh - runs in the outer VM (tools/testing/vm/vm-run): configures a
# vhost target with targetcli, boots a nested guest on it with an
# unmodified QEMU (tools/testing/vm/guest-run) and runs guest.sh there,
# then tears the target down.  The guest's case lines are printed as they
# are; the target setup is case guest_target_setup, guest-run's exit
# status case guest_suite_exit (a guest that never booted, died or
# failed a case fails it).  Then reset.sh resets a small guest with
# writes in flight, again and again (e2e_guest_reset_under_io; E2E_PARTS
# "reset" runs it alone).  Then migrate.sh migrates another guest back
# and forth on the same target (the e2e_migrate_* cases).
# E2E_ONLY=migrate runs the migration cases alone.  --list prints the
# cases this run promises, the guests' included, and runs nothing.
#
# Then T10-PI (guest-pi.sh): a second guest, whose device has t10_pi=on, on
# a WWN of its own: TPG 1 with a ramdisk formatted with type 1 protection,
# TPG 2 with fabric_prot_type 1 over a plain ramdisk (cases
# guest_pi_target_setup, guest-pi.sh's, guest_pi_suite_exit).  TPG 1 also
# has a fileio LUN 1 that this script grows while that guest runs: what a
# QEMU 7.2 guest sees of a resize (guest_resize_after_rescan).
#
# LUN 2 is slow on purpose: a ramdisk behind dm-delay that holds every
# request for $E2E_SLOW_MS, longer than the short timeout the guest's error
# handling cases give their commands, so a command is reliably still in
# flight in the target when the guest aborts or resets it.  For the
# migration cases its delay drops to $E2E_MIGRATE_SLOW_MS (500): the
# migration guest keeps I/O in flight on it across every switch-over.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
WWPN=naa.5001405000000e2e
RD_MB=${E2E_RD_MB:-128}
FIO_MB=${E2E_FIO_MB:-128}
SLOW_MB=64
SLOW_MS=${E2E_SLOW_MS:-3000}
SLOW_DM=e2e-slow
log=${VM_OUT:-/tmp}/e2e-guest-${VHOST_SCSI_MODULE:-ours}.log
PI_WWPN=naa.5001405000000e2f
PI_MB=${E2E_PI_MB:-64}
CFS=/sys/kernel/config/target

tcli() { targetcli "$@" >/dev/null; }

# No udev in the VM: dmsetup makes the /dev/mapper node itself.
slow_setup() {
	modprobe brd rd_nr=1 rd_size=$((SLOW_MB << 10)) &&
	dmsetup create $SLOW_DM --noudevsync \
		--table "0 $((SLOW_MB << 11)) delay /dev/ram0 0 $SLOW_MS" &&
	dmsetup mknodes $SLOW_DM &&
	tcli /backstores/block create slow0 /dev/mapper/$SLOW_DM
}

# slow_delay MS: LUN 2's delay from now on (the table reloaded live; LIO
# keeps the device open).
slow_delay() {
	dmsetup suspend --noudevsync $SLOW_DM &&
	dmsetup reload $SLOW_DM \
		--table "0 $((SLOW_MB << 11)) delay /dev/ram0 0 $1" &&
	dmsetup resume --noudevsync $SLOW_DM
}

slow_teardown() {
	dmsetup remove $SLOW_DM 2>/dev/null
	modprobe -r brd 2>/dev/null
}

setup() {
	tcli /backstores/ramdisk create rd0 "${RD_MB}M" &&
	tcli /backstores/fileio create fio0 /tmp/e2e-fio0.img "${FIO_MB}M" &&
	tcli /vhost create $WWPN &&
	tcli /vhost/$WWPN/tpg1/luns create /backstores/ramdisk/rd0 &&
	tcli /vhost/$WWPN/tpg1/luns create /backstores/fileio/fio0 &&
	slow_setup &&
	tcli /vhost/$WWPN/tpg1/luns create /backstores/block/slow0 lun=2
}

main_guest() {
	local rc=0

	"$here/../vm/guest-run" -q --wwpn $WWPN --num-queues 2 --log "$log" \
		-e E2E_RD_MB="$RD_MB" -e E2E_FIO_MB="$FIO_MB" \
		-e E2E_SLOW_MS="$SLOW_MS" \
		-e E2E_BENCH="${E2E_BENCH:-0}" \
		-e E2E_BENCH_SECS="${E2E_BENCH_SECS:-20}" \
		-- "$here/guest.sh" || rc=$?
	tr -d '\r' <"$log" | grep -E '^(PASS|FAIL|SKIP|BENCH): '
	case $rc in
	0) ktest_pass guest_suite_exit ;;
	1) ktest_fail guest_suite_exit "expected guest.sh to exit 0, got status 1" ;;
	2) ktest_fail guest_suite_exit "expected a clean guest kernel log, got a bug or warning (see $log)" ;;
	*) ktest_fail guest_suite_exit "expected the guest to boot and finish, got guest-run status $rc (see $log)" ;;
	esac
	return $rc
}

# TPG $1 of PI_WWPN with ramdisk $2 as LUN 0: formatted with type 1
# protection if $3 is "disk", else in a TPG with fabric_prot_type 1.
# Raw configfs: fabric_prot_type is read when the nexus's session is made,
# and targetcli would make the nexus with the TPG.
pi_tpg() {
	local tpg=$CFS/vhost/$PI_WWPN/tpgt_$1 bs
	tcli /backstores/ramdisk create "$2" "${PI_MB}M" || return 1
	for bs in "$CFS"/core/rd_mcp_*/"$2"; do break; done
	if [ "$3" = disk ]; then
		echo 1 >"$bs/attrib/pi_prot_type" || return 1
	fi
	mkdir -p "$tpg" &&
		if [ "$3" = fabric ]; then
			echo 1 >"$tpg/attrib/fabric_prot_type"
		fi &&
		mkdir "$tpg/lun/lun_0" &&
		ln -s "$bs" "$tpg/lun/lun_0/$2" &&
		echo "naa.5001405000000e3$1" >"$tpg/nexus"
}

# The resize the PI guest waits for (guest-pi.sh, guest_resize_after_rescan):
# once it has read LUN 1's size it writes $1/chg-ready; the fileio
# backstore then grows from 16 to 32 MiB through LIO's configfs and
# $1/chg-resized says to how many 512-byte sectors.  Returns when the
# guest-run of pid $2 ends.
chg_resize() {
	local dir=$1 pid=$2 bs

	while kill -0 "$pid" 2>/dev/null; do
		if [ -e "$dir/chg-ready" ]; then
			for bs in "$CFS"/core/fileio_*/fiochg; do break; done
			echo "fd_dev_size=$((32 << 20))" >"$bs/control" &&
				echo $((32 << 11)) >"$dir/chg-resized"
			break
		fi
		sleep 1
	done
	wait "$pid"
}

pi_guest() {
	local pilog=${log%.log}-pi.log rc=0 dir=${VM_OUT:-/tmp}/guest

	if ! { pi_tpg 1 rdpi disk && pi_tpg 2 rdfab fabric &&
	       tcli /backstores/fileio create fiochg /tmp/e2e-chg.img 16M &&
	       tcli /vhost/$PI_WWPN/tpg1/luns create /backstores/fileio/fiochg lun=1; }; then
		ktest_fail guest_pi_target_setup "expected the T10-PI targets to be set up"
		return 1
	fi
	ktest_pass guest_pi_target_setup
	mkdir -p "$dir" && rm -f "$dir"/chg-*
	"$here/../vm/guest-run" -q --log "$pilog" --out "$dir" \
		--device "vhost-scsi-pci,wwpn=$PI_WWPN,num_queues=1,t10_pi=on" \
		-e E2E_PI_MB="$PI_MB" -e E2E_CHG_DIR="$dir" \
		-- "$here/guest-pi.sh" &
	chg_resize "$dir" $! || rc=$?
	rm -f /tmp/e2e-chg.img
	tr -d '\r' <"$pilog" | grep -E '^(PASS|FAIL|SKIP): '
	case $rc in
	0) ktest_pass guest_pi_suite_exit ;;
	*) ktest_fail guest_pi_suite_exit "expected the T10-PI guest to boot and pass, got guest-run status $rc (see $pilog)" ;;
	esac
	return $rc
}

# E2E_BACKEND=qemu (benchmark only): no vhost target; the guest's disk
# is QEMU's own userspace virtio-scsi (an iothread, aio=native) on a brd
# ramdisk of the same size as the LIO ramdisk, target 1 LUN 0 as there,
# so guest.sh finds it where it finds LUN 0.
qemu_disk() {
	modprobe brd rd_nr=1 rd_size=$((RD_MB << 10)) || return 1
	"$here/../vm/guest-run" -q --log "$log" \
		--qemu-arg -object --qemu-arg iothread,id=io0 \
		--device virtio-scsi-pci,id=vs0,num_queues=2,iothread=io0 \
		--qemu-arg -drive \
		--qemu-arg file=/dev/ram0,if=none,id=d0,format=raw,cache=none,aio=native \
		--device scsi-hd,bus=vs0.0,scsi-id=1,lun=0,drive=d0 \
		-e E2E_BENCH=only -e E2E_BENCH_SECS="${E2E_BENCH_SECS:-20}" \
		-e VHOST_SCSI_MODULE=qemu -- "$here/guest.sh"
	local rc=$?
	tr -d '\r' <"$log" | grep -E '^(PASS|FAIL|SKIP|BENCH): '
	modprobe -r brd
	return $rc
}

if [ "${1:-}" = --list ]; then
	echo guest_target_setup
	"$here/guest.sh" --list
	echo guest_suite_exit
	"$here/reset.sh" --list
	echo guest_pi_target_setup
	"$here/guest-pi.sh" --list
	echo guest_pi_suite_exit
	"$here/migrate.sh" --list
	exit 0
fi
if [ "${E2E_BACKEND:-vhost}" = qemu ]; then
	qemu_disk
	exit
fi
if ! setup; then
	ktest_fail guest_target_setup "expected targetcli setup to succeed"
	exit 1
fi
ktest_pass guest_target_setup
rc=0
# E2E_PARTS (default "main pi migrate") picks what to run, for a targeted
# run (E2E_ONLY=migrate: "migrate"); run-e2e (make check) runs all three.
parts=" ${E2E_PARTS:-main pi migrate} "
[ "${E2E_ONLY:-}" = migrate ] && parts=" migrate "
[ "${E2E_BENCH:-0}" = only ] && parts=" main "
if [[ $parts = *" main "* ]]; then
	main_guest || rc=$?
fi
# Part of "main"; "reset" runs it alone.
if [[ $parts = *" main "* || $parts = *" reset "* ]] && [ "${E2E_BENCH:-0}" != only ]; then
	"$here/reset.sh" $WWPN /tmp/e2e-fio0.img || rc=$?
fi
if [[ $parts = *" pi "* ]]; then
	pi_guest || rc=1
fi
if [[ $parts = *" migrate "* ]]; then
	# A few hundred ms: the migration guest keeps LUN 2 busy, so
	# commands are in flight whenever QEMU stops the source's device.
	if ! slow_delay "${E2E_MIGRATE_SLOW_MS:-500}"; then
		echo "outer.sh: LUN 2's dm-delay table did not reload, it stays at $SLOW_MS ms"
		rc=1
	fi
	"$here/migrate.sh" $WWPN /tmp/e2e-fio0.img || rc=$?
fi
targetcli clearconfig confirm=True >/dev/null
slow_teardown
rm -f /tmp/e2e-fio0.img
exit $rc
