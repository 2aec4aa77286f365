#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkg-tests.sh - the vhost-scsi-dkms package (make deb) as an operator
# meets it.  Two halves, because a DKMS build of the module takes 5 to 15
# minutes in the rig's TCG VM and 15 seconds on the host:
#
# pkg-tests.sh --host DEB DIR   on the host, DKMS's own build of the
#                               package's source with its dkms.conf, into
#                               a private DKMS tree under DIR:
#   pkg_dkms_build              dkms build succeeds: scripts/dkms-build
#                               extracts vhost.h and builds vhost_scsi.ko
#   pkg_mismatch_fails_loudly   with dpkg believing linux-source-6.1 is of
#                               another version than the headers, dkms
#                               build fails and make.log names both
#                               versions and the retry commands
#
# pkg-tests.sh DEB [DIR]        in a rig VM without a vhost_scsi of the
#                               rig's (tools/testing/vm/vm-run --none):
#                               the VM's root is an overlay over this
#                               machine's, so apt and DKMS install into
#                               memory and vanish with the VM:
#   pkg_install                 apt-get install ./DEB; with DIR, DKMS's
#                               automatic build is held off
#                               (/etc/dkms/no-autoinstall) and the module
#                               --host built is put in DKMS's tree before
#                               dkms install; without DIR, the package's
#                               postinst builds it in the VM (slow)
#   pkg_dkms_installed          dkms status: installed for this kernel
#   pkg_modinfo_updates         modinfo -n vhost_scsi is updates/dkms's
#   pkg_modprobe_loads_ours     modprobe vhost_scsi loads that file (its
#                               version and srcversion; Debian's has neither)
#   pkg_tcm_vhost_alias         modprobe tcm_vhost (rtslib-fb) loads ours too
#   pkg_targetcli_io            targetcli configures the fabric; a write and
#                               a read through /dev/vhost-scsi return the data
#   pkg_udev_rule               udev gives /dev/vhost-scsi kvm, 0660
#   pkg_remove_stock_back       removing the package brings Debian's back
#
# --list host|vm prints a half's case names and runs nothing.  Cases
# depend on the ones before them: after a failure the rest fail with "not
# reached".  The commands' output is left in $VM_OUT/pkg (VM) or DIR.
# $FUNCNAME is the running case function's name, all these cases need.
# shellcheck disable=SC2128
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
HOST_CASES="pkg_dkms_build pkg_mismatch_fails_loudly"
VM_CASES="pkg_install pkg_dkms_installed pkg_modinfo_updates
	pkg_modprobe_loads_ours pkg_tcm_vhost_alias pkg_targetcli_io
	pkg_udev_rule pkg_remove_stock_back"
usage() {
	echo "usage: pkg-tests.sh --list host|vm | --host DEB DIR | DEB [DIR]" >&2
	exit 64
}

half=vm
case "${1:-}" in
--list)
	case "${2:-}" in
	host) KTEST_CASES=$HOST_CASES ;;
	vm) KTEST_CASES=$VM_CASES ;;
	*) usage ;;
	esac
	ktest_list
	exit 0
	;;
--host) half=host; shift ;;
"") usage ;;
esac
DEB=$(realpath "${1:-}")
[ -f "$DEB" ] || usage
DIR=${2:-}
[ $half = vm ] || [ -n "$DIR" ] || usage
VSCSI=${VSCSI:-$here/../../vhost-scsi/vscsi}
KVER=${KVER:-$("$here/../../../scripts/kernel-env.sh" kver)}
WWPN=naa.5001405000000d6b
TMP=$(mktemp -d)
export DEBIAN_FRONTEND=noninteractive

pass() { ktest_pass "${1#case_}"; }
fail() { ktest_fail "${1#case_}" "$2"; return 1; }
check() { ktest_check "${1#case_}" "$2" "$3"; [ "$2" = "$3" ]; }

ver=$(dpkg-deb -f "$DEB" Version)
src=$(dpkg-query -W -f='${Version}' linux-source-6.1)
stock_ko=/lib/modules/$KVER/kernel/drivers/vhost/vhost_scsi.ko
ours_ko=/lib/modules/$KVER/updates/dkms/vhost_scsi.ko

# host_dkms TREE [dkms args]: dkms on the package's source (DIR/src) with
# a DKMS tree of its own, so that the host's /var/lib/dkms stays as it is.
host_dkms() {
	local tree=$1

	shift
	dkms "$@" --dkmstree "$tree" --sourcetree "$DIR/src" \
		-m vhost-scsi -v "$ver" -k "$KVER"
}

case_pkg_dkms_build() {
	if ! { rm -rf "$DIR" && mkdir -p "$DIR/src" "$DIR/tree" &&
	       dpkg-deb -x "$DEB" "$TMP/deb" &&
	       cp -a "$TMP/deb/usr/src/vhost-scsi-$ver" "$DIR/src/"; }; then
		fail "$FUNCNAME" "cannot unpack $DEB into $DIR"
		return
	fi
	if ! host_dkms "$DIR/tree" build >"$DIR/build.out" 2>&1; then
		fail "$FUNCNAME" "expected dkms build to succeed, got: $(tail -5 "$DIR/build.out")"
	else
		check "$FUNCNAME" "$ver" \
			"$(modinfo -F version "$DIR/tree/vhost-scsi/$ver/$KVER/x86_64/module/vhost_scsi.ko")"
	fi
}

# dkms-build asks dpkg for the versions: a copy of dpkg's database with
# linux-source-6.1 at another version (DPKG_ADMINDIR) stands for a kernel
# update whose headers came first.
case_pkg_mismatch_fails_loudly() {
	local db=$TMP/dpkg tree=$DIR/tree-mismatch rc=0
	local log=$tree/vhost-scsi/$ver/build/make.log

	if ! { mkdir -p "$db/updates" "$tree" &&
	       awk -v v="$src+other" '/^Package: / { p = $2 }
			p == "linux-source-6.1" && /^Version: / { $0 = "Version: " v } 1' \
			/var/lib/dpkg/status >"$db/status"; }; then
		fail "$FUNCNAME" "cannot make the dpkg database copy"
		return
	fi
	DPKG_ADMINDIR=$db host_dkms "$tree" build >"$DIR/mismatch.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		fail "$FUNCNAME" "expected dkms build to fail on mismatched versions, it succeeded"
	elif ! grep -q "Bad return status for module build" "$DIR/mismatch.out"; then
		fail "$FUNCNAME" "expected DKMS to report the failed build, got: $(tail -3 "$DIR/mismatch.out")"
	elif ! grep -q "version mismatch: linux-source-6.1 is $src+other" "$log" ||
	     ! grep -q "dkms install vhost-scsi/$ver -k $KVER" "$log"; then
		fail "$FUNCNAME" "expected make.log to name both versions and the retry, got: $(cat "$log")"
	else
		pass "$FUNCNAME"
	fi
}

# modinfo_path: the file modprobe would load for vhost_scsi.
modinfo_path() { modinfo -k "$KVER" -n vhost_scsi 2>&1; }

# loaded_version: the version of the loaded vhost_scsi, "none" without one.
loaded_version() { cat /sys/module/vhost_scsi/version 2>/dev/null || echo none; }

# The prebuilt module goes where dkms build would have left it.
install_prebuilt() {
	local built=$DIR/tree/vhost-scsi/$ver/$KVER/x86_64

	[ -f "$built/module/vhost_scsi.ko" ] || { echo "no module in $built"; return 1; }
	dkms add -m vhost-scsi -v "$ver" &&
		mkdir -p "/var/lib/dkms/vhost-scsi/$ver/$KVER" &&
		cp -a "$built" "/var/lib/dkms/vhost-scsi/$ver/$KVER/" &&
		dkms install -m vhost-scsi -v "$ver" -k "$KVER"
}

case_pkg_install() {
	local rc=0

	[ -z "$DIR" ] || touch /etc/dkms/no-autoinstall
	apt-get install -y -q --no-install-recommends "$DEB" >"$TMP/apt.out" 2>&1 || rc=$?
	rm -f /etc/dkms/no-autoinstall
	if [ "$rc" != 0 ]; then
		fail "$FUNCNAME" "expected apt-get install to succeed, got: $(tail -5 "$TMP/apt.out")"
	elif [ -n "$DIR" ] && ! install_prebuilt >"$TMP/dkms.out" 2>&1; then
		fail "$FUNCNAME" "expected dkms add and install to succeed, got: $(tail -5 "$TMP/dkms.out")"
	else
		check "$FUNCNAME" "install ok installed" \
			"$(dpkg-query -W -f='${Status}' vhost-scsi-dkms)"
	fi
}

case_pkg_dkms_installed() {
	check "$FUNCNAME" "vhost-scsi/$ver, $KVER, x86_64: installed" \
		"$(dkms status -m vhost-scsi -k "$KVER" 2>&1)"
}

case_pkg_modinfo_updates() {
	check "$FUNCNAME" "$ours_ko" "$(modinfo_path)"
}

case_pkg_modprobe_loads_ours() {
	local want got

	modprobe vhost_scsi || { fail "$FUNCNAME" "modprobe vhost_scsi failed"; return; }
	want="$ver $(modinfo -F srcversion "$ours_ko")"
	got="$(loaded_version) $(cat /sys/module/vhost_scsi/srcversion 2>/dev/null)"
	check "$FUNCNAME" "$want" "$got"
}

case_pkg_tcm_vhost_alias() {
	rmmod vhost_scsi || { fail "$FUNCNAME" "rmmod vhost_scsi failed"; return; }
	modprobe tcm_vhost || { fail "$FUNCNAME" "modprobe tcm_vhost failed"; return; }
	check "$FUNCNAME" "$ver" "$(loaded_version)"
}

# 8 blocks of 0x3c at LBA 16 of a ramdisk, read back: every byte shown
# must be 0x3c (a fresh ramdisk reads zeros).
case_pkg_targetcli_io() {
	local dump

	if ! { targetcli /backstores/ramdisk create pkgrd0 16M &&
	       targetcli /vhost create $WWPN &&
	       targetcli /vhost/$WWPN/tpg1/luns create /backstores/ramdisk/pkgrd0; } \
	       >"$TMP/tcli.out" 2>&1; then
		fail "$FUNCNAME" "expected targetcli to configure the fabric, got: $(tail -3 "$TMP/tcli.out")"
	elif ! "$VSCSI" write $WWPN --lba 16 --blocks 8 --pattern 0x3c >"$TMP/io.out" 2>&1 ||
	     ! dump=$("$VSCSI" read $WWPN --lba 16 --blocks 8 2>&1); then
		fail "$FUNCNAME" "expected the write and the read to succeed, got: $(cat "$TMP/io.out") $dump"
	else
		dump=$(printf '%s\n' "$dump" | grep -E '^([0-9a-f]{2} )*[0-9a-f]{2}$' |
			tr ' ' '\n' | sort | uniq -c | awk '{ print $2 "x" $1 }')
		check "$FUNCNAME" "3cx256" "$dump"
	fi
	targetcli clearconfig confirm=True >/dev/null 2>&1
}

# No udevd runs in the rig: start one for this case, replay the device's
# add event, stop it.
case_pkg_udev_rule() {
	local pid

	/lib/systemd/systemd-udevd >"$TMP/udevd.out" 2>&1 &
	pid=$!
	sleep 2
	chown root:root /dev/vhost-scsi && chmod 600 /dev/vhost-scsi
	udevadm trigger --action=add --sysname-match=vhost-scsi --settle >/dev/null 2>&1 ||
		udevadm settle -t 30
	kill "$pid" && wait "$pid" 2>/dev/null
	check "$FUNCNAME" "kvm 660" "$(stat -c '%G %a' /dev/vhost-scsi)"
}

case_pkg_remove_stock_back() {
	# targetcli leaves the fabric's configfs group, which pins the module.
	rmdir /sys/kernel/config/target/vhost 2>/dev/null
	if ! rmmod vhost_scsi; then
		fail "$FUNCNAME" "rmmod vhost_scsi failed: refcnt $(cat /sys/module/vhost_scsi/refcnt)"
	elif ! apt-get remove -y -q vhost-scsi-dkms >"$TMP/remove.out" 2>&1; then
		fail "$FUNCNAME" "expected apt-get remove to succeed, got: $(tail -3 "$TMP/remove.out")"
	elif [ "$(modinfo_path)" != "$stock_ko" ]; then
		fail "$FUNCNAME" "expected modinfo -n to show $stock_ko, got $(modinfo_path)"
	elif [ -n "$(dkms status -m vhost-scsi 2>&1)" ]; then
		fail "$FUNCNAME" "expected dkms status to be empty, got $(dkms status -m vhost-scsi 2>&1)"
	elif ! modprobe vhost_scsi; then
		fail "$FUNCNAME" "modprobe vhost_scsi of the stock module failed"
	else
		check "$FUNCNAME" "none" "$(loaded_version)"
	fi
}

if [ $half = host ]; then
	KTEST_CASES=$HOST_CASES
else
	KTEST_CASES=$VM_CASES
	# The rig's devtmpfs has no /dev/fd, which dkms's <(...) needs (a
	# booted Debian gets it from systemd).
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
fi
ok=1
for c in $KTEST_CASES; do
	t0=$SECONDS
	if [ $ok = 1 ]; then
		"case_$c" || ok=0
	else
		ktest_fail "$c" "not reached: an earlier case failed"
	fi
	echo "($c: $((SECONDS - t0)) s)"
done
# apt's, dkms's and the tools' output, for the failure messages' details.
if [ $half = vm ] && [ -n "${VM_OUT:-}" ]; then
	mkdir -p "$VM_OUT/pkg" && cp "$TMP"/*.out "$VM_OUT/pkg/" 2>/dev/null
fi
rm -rf "$TMP"
ktest_summary
