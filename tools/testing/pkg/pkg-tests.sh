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
#   pkg_guest_verified_io       targetcli sets up a ramdisk LUN 0 and a
#                               fileio LUN 1; a nested KVM guest
#                               (tools/testing/vm/guest-run) sees both and
#                               fio verify=crc32c passes on each
#                               (pkg-guest.sh io)
#   pkg_libvirtd_start          Debian's libvirtd, started by the test
#                               with the rig's qemu.conf (libvirt_conf)
#   pkg_libvirt_start           virsh define + start of a domain with a
#                               <hostdev type='scsi_host'> on the same
#                               target (direct kernel boot of the rig's
#                               kernel and root, vm-init's guest role)
#   pkg_libvirt_vhostfd         QEMU got /dev/vhost-scsi from libvirt:
#                               its -device has vhostfd=N and its fd N
#                               is /dev/vhost-scsi
#   pkg_libvirt_guest_io        the domain's guest sees LUN 0 and 1, fio
#                               verify passes, and the <qemu:override> of
#                               num_queues (1) is what the guest got
#   pkg_tracepoint_histogram    the guide's bpftrace one-liner, attached
#                               before virsh start and ended after the
#                               guest's I/O, printed a latency histogram
#                               of vhost_scsi_cmd_complete for LUN 0 and
#                               LUN 1, and its total is the domain's
#                               device's completed count (debugfs)
#   pkg_libvirt_hotplug         virsh attach-device of a second hostdev
#                               (another WWPN): the guest finds its disk
#                               and reads back what it wrote; virsh
#                               detach-device removes it from the guest,
#                               and its TPG can then be deleted
#   pkg_libvirt_destroy_frees_tpg  virsh destroy of the running domain:
#                               QEMU is gone and targetcli deletes the
#                               TPG (it refuses while one is bound)
#   pkg_remove_stock_back       removing the package brings Debian's back
#
# The VM half also writes the operator's view of it, the commands and
# their (abridged) output, to $VM_OUT/pkg/operator-flow.txt.
# --list host|vm prints a half's case names and runs nothing.  Cases
# depend on the ones before them: after a failure the rest fail with "not
# reached".  The commands' output is left in $VM_OUT/pkg (VM) or DIR.
# $FUNCNAME is the running case function's name, all these cases need;
# lv_guest sets vm-lib.sh's globals (VM_OUT among them) in a subshell on
# purpose.
# shellcheck disable=SC2128,SC2030,SC2031
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
# vm_initramfs, vm_write_ctl, vm_qemu_args and VM_INFRA_RE for the
# libvirt guest (guest-run's pieces).
# shellcheck source=../vm/vm-lib.sh
. "$here/../vm/vm-lib.sh"
HOST_CASES="pkg_dkms_build pkg_mismatch_fails_loudly"
VM_CASES="pkg_install pkg_dkms_installed pkg_modinfo_updates
	pkg_modprobe_loads_ours pkg_tcm_vhost_alias pkg_targetcli_io
	pkg_udev_rule pkg_guest_verified_io pkg_libvirtd_start
	pkg_libvirt_start pkg_libvirt_vhostfd pkg_libvirt_guest_io
	pkg_tracepoint_histogram pkg_libvirt_hotplug pkg_libvirt_destroy_frees_tpg
	pkg_remove_stock_back"
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
WWPN2=naa.5001405000000d6c
LV_NAME=pkg-vscsi
TMP=$(mktemp -d)
export DEBIAN_FRONTEND=noninteractive

pass() { ktest_pass "${1#case_}"; }
fail() { ktest_fail "${1#case_}" "$2"; return 1; }
check() { ktest_check "${1#case_}" "$2" "$3"; [ "$2" = "$3" ]; }

ver=$(dpkg-deb -f "$DEB" Version)
src=$(dpkg-query -W -f='${Version}' linux-source-6.1)
stock_ko=/lib/modules/$KVER/kernel/drivers/vhost/vhost_scsi.ko
ours_ko=/lib/modules/$KVER/updates/dkms/vhost_scsi.ko
# Where the nested guests' logs, the domain XML and the transcript go;
# LV_OUT is the libvirt guest's share (control directory, hot-plug
# handshake files).
PKG_OUT=${VM_OUT:-$TMP}/pkg
FLOW=$PKG_OUT/operator-flow.txt
LV_OUT=$PKG_OUT/libvirt
LV_LOG=$PKG_OUT/libvirt-console.log

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
		{ echo "# apt-get install ./${DEB##*/}   (last lines)"; tail -n 4 "$TMP/apt.out"; } >>"$FLOW"
		check "$FUNCNAME" "install ok installed" \
			"$(dpkg-query -W -f='${Status}' vhost-scsi-dkms)"
	fi
}

case_pkg_dkms_installed() {
	flow dkms status >/dev/null
	check "$FUNCNAME" "vhost-scsi/$ver, $KVER, x86_64: installed" \
		"$(dkms status -m vhost-scsi -k "$KVER" 2>&1)"
}

case_pkg_modinfo_updates() {
	flow modinfo -n vhost_scsi >/dev/null
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

# flow CMD...: run CMD as the operator would, appending "# CMD" and its
# output to the operator-flow transcript; CMD's output is also printed
# and its status returned.
flow() {
	local out rc=0 shown="$*"

	out=$("$@" 2>&1) || rc=$?
	{ echo "# ${shown/#lv /virsh }"; printf '%s\n' "$out"; } >>"$FLOW"
	printf '%s\n' "$out"
	return $rc
}

# The target of the nested guests: TPG 1 of $WWPN with a ramdisk as LUN 0
# and a file as LUN 1.
guest_target() {
	flow targetcli /backstores/ramdisk create pkgrd0 32M &&
	flow targetcli /backstores/fileio create pkgfio0 /tmp/pkgfio0.img 32M &&
	flow targetcli /vhost create $WWPN &&
	flow targetcli /vhost/$WWPN/tpg1/luns create /backstores/ramdisk/pkgrd0 &&
	flow targetcli /vhost/$WWPN/tpg1/luns create /backstores/fileio/pkgfio0
}

# guest_failed LOG: pkg-guest.sh's failure line in LOG, or its last lines.
guest_failed() {
	tr -d '\r' <"$1" | grep -a 'pkg-guest: FAIL' | head -n 1 | grep . ||
		tr -d '\r' <"$1" | tail -n 5 | tr '\n' ';'
}

case_pkg_guest_verified_io() {
	local rc=0 log=$PKG_OUT/guest-run.log

	if ! guest_target >"$TMP/guest-target.out"; then
		fail "$FUNCNAME" "expected targetcli to configure $WWPN, got: $(tail -3 "$TMP/guest-target.out")"
		return
	fi
	"$here/../vm/guest-run" -q --wwpn $WWPN --num-queues 2 --log "$log" \
		--out "$PKG_OUT/guest" -- "$here/pkg-guest.sh" io || rc=$?
	if [ "$rc" != 0 ]; then
		fail "$FUNCNAME" "expected the guest's verified I/O to pass, got guest-run status $rc: $(guest_failed "$log")"
	else
		check "$FUNCNAME" "pkg-guest: io ok" \
			"$(tr -d '\r' <"$log" | grep -a '^pkg-guest: io ok')"
	fi
}

lv() { virsh -q -c qemu:///system "$@"; }

# What the rig's libvirtd needs beyond Debian's defaults (the guide's
# libvirt section says what an ordinary host needs: nothing of this):
#   user/group root   the guest's root is this machine's whole root,
#                     exported read-only over 9p (security_model=none),
#                     and its results go to root's share: QEMU as
#                     libvirt-qemu could read neither all of it nor write
#   dynamic_ownership 0 and remember_owner 0: libvirt would chown (and
#                     tag with xattrs) the kernel, initramfs and shared
#                     directories, which live on the read-only 9p root
#   security_driver   "none": the rig's kernel runs without AppArmor
#   stdio_handler     "file": QEMU's output goes straight to
#                     /var/log/libvirt/qemu, no virtlogd daemon to start
#   namespaces        []: QEMU stays in the machine's mount namespace,
#                     whose /dev is vm-init's devtmpfs
libvirt_conf() {
	cat >>/etc/libvirt/qemu.conf <<-'CONF'
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	stdio_handler = "file"
	namespaces = [ ]
	CONF
}

case_pkg_libvirtd_start() {
	local i

	# The histogram compiles (slow under TCG) while libvirtd starts; a
	# failure is pkg_tracepoint_histogram's.
	bpf_start "$BPF_HIST" "$BPF_OUT"
	modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	libvirt_conf
	# Debian's default network wants dnsmasq, which the rig lacks.
	rm -f /etc/libvirt/qemu/networks/autostart/default.xml
	mkdir -p /var/log/libvirt/qemu
	LIBVIRT_LOG_OUTPUTS="3:file:$PKG_OUT/libvirtd.log" libvirtd -d ||
		{ fail "$FUNCNAME" "libvirtd -d failed"; return; }
	# Its first start probes QEMU's capabilities: slow under TCG.
	for i in $(seq 1 120); do
		lv version >/dev/null 2>&1 && break
		sleep 1
	done
	flow lv version >/dev/null
	check "$FUNCNAME" "qemu:///system" "$(lv uri 2>&1)"
}

# lv_guest CMD...: the control directory (vm-lib.sh) for a guest that runs
# CMD in vm-init's guest role; prints "ID INITRD APPEND" (APPEND last,
# it has spaces).
lv_guest() (
	VM_TOOL=pkg-libvirt
	VM_OUT=$LV_OUT VM_APPEND='' VM_SMP=2 VM_MEM=1024
	VM_CACHE=${VM_CACHE:-$REPO/.vm-cache} VM_KERNEL=/boot/vmlinuz-$KVER
	VM_GUEST_ENV=("PKG_SYNC=$LV_OUT")
	mkdir -p "$VM_OUT" && VM_CTL=$(mktemp -d "$VM_OUT/.ctl.XXXXXX") || exit 1
	VM_RUN_ID=${VM_CTL##*/.ctl.}
	initrd=$(vm_initramfs) || exit 1
	vm_write_ctl guest "$@"
	vm_qemu_args "$initrd"
	for ((i = 0; i < ${#VM_QEMU[@]}; i++)); do
		[ "${VM_QEMU[i]}" != -append ] || echo "$VM_RUN_ID $initrd ${VM_QEMU[i + 1]}"
	done
)

# hostdev WWPN ALIAS: the <hostdev> an operator writes for a vhost target.
hostdev() {
	cat <<-XML
	<hostdev mode='subsystem' type='scsi_host' managed='no'>
	  <source protocol='vhost' wwpn='$1'/>
	  <alias name='$2'/>
	</hostdev>
	XML
}

# lv_domain ID INITRD APPEND: the domain.  The guest is guest-run's: the
# same kernel, initramfs and command line, the machine's root and the
# share over 9p, -cpu host without XSAVE, the console on the first serial
# port (a file).  The 9p shares and the HBA take root ports 1 to 3 (libvirt
# fills the ports the XML names first), port 4 takes the hot-plugged HBA
# (hot-plug on q35 needs an empty PCIe root port); the
# override gives the HBA one request queue where QEMU would give one
# per vCPU (2), so that the guest shows whether it applied.
lv_domain() {
	cat <<-XML
	<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
	  <name>$LV_NAME</name>
	  <memory unit='MiB'>1024</memory>
	  <vcpu>2</vcpu>
	  <os>
	    <type arch='x86_64' machine='q35'>hvm</type>
	    <kernel>/boot/vmlinuz-$KVER</kernel>
	    <initrd>$2</initrd>
	    <cmdline>$3</cmdline>
	  </os>
	  <features><acpi/></features>
	  <cpu mode='host-passthrough'><feature policy='disable' name='xsave'/></cpu>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <filesystem type='mount' accessmode='squash' multidevs='remap'>
	      <source dir='/'/>
	      <target dir='root'/>
	      <readonly/>
	    </filesystem>
	    <filesystem type='mount' accessmode='squash' multidevs='remap'>
	      <source dir='$LV_OUT'/>
	      <target dir='vmout'/>
	    </filesystem>
	$(hostdev $WWPN ua-vscsi0 | sed 's/^/    /')
	    <controller type='usb' model='none'/>
$(for i in 1 2 3 4; do
		echo "    <controller type='pci' index='$i' model='pcie-root-port'/>"
	  done)
	    <serial type='file'>
	      <source path='$LV_LOG'/>
	      <target port='0'/>
	    </serial>
	    <memballoon model='none'/>
	  </devices>
	  <qemu:override>
	    <qemu:device alias='ua-vscsi0'>
	      <qemu:frontend>
	        <qemu:property name='num_queues' type='unsigned' value='1'/>
	      </qemu:frontend>
	    </qemu:device>
	  </qemu:override>
	</domain>
	XML
}

# lv_log_has ERE: the domain's console shows a line matching ERE.
lv_log_has() { tr -d '\r' <"$LV_LOG" 2>/dev/null | grep -aqE "$1"; }

# lv_wait ERE SECONDS: wait for ERE on the console, giving up early when
# pkg-guest.sh failed or the guest ended.
lv_wait() {
	local i

	for i in $(seq 1 $(($2 * 2))); do
		lv_log_has "$1" && return 0
		lv_log_has "pkg-guest: FAIL|VMRUN-RESULT id=$LV_ID " && return 1
		sleep 0.5
	done
	return 1
}

# lv_boot: virsh start until the guest reaches vm-init.  As in vm-lib.sh's
# vm_boot, only a boot that shows a known emulation failure before the
# start marker is tried again (up to 3 boots, each logged in
# boot-retries.txt); a silent hang with the HBA attached is not.
lv_boot() {
	local attempt i

	for attempt in 1 2 3; do
		: >"$LV_LOG"
		flow lv start $LV_NAME >"$TMP/virsh-start.out" || return 1
		for i in $(seq 1 360); do
			lv_log_has "VMRUN-START id=$LV_ID " && return 0
			lv_log_has "$VM_INFRA_RE" && break
			sleep 0.5
		done
		lv_log_has "$VM_INFRA_RE" || { echo "no start marker in 180 s"; return 1; }
		echo "pkg-tests libvirt: console shows '$(tr -d '\r' <"$LV_LOG" | grep -aoE "$VM_INFRA_RE" | head -n 1)'" \
			>>"${VM_OUT:-/tmp}/boot-retries.txt"
		lv destroy $LV_NAME >/dev/null 2>&1
	done
	echo "no boot reached vm-init in 3 attempts"
	return 1
}

# The guide's per-LUN latency histogram (Monitoring).
BPF_HIST='tracepoint:vhost_scsi:vhost_scsi_cmd_complete /args->latency/ { @ns[args->lun] = hist(args->latency); }'
BPF_OUT=$PKG_OUT/bpftrace.out
BPF_PID=
BPF_ERR=

# bpf_start PROGRAM OUT: bpftrace PROGRAM in the background, its output
# in OUT, until its -c command, a sleep, ends (bpf_stop).  Not until a
# SIGINT: bpftrace 0.17 sets a flag on SIGINT and its event loop reads it
# only when epoll_wait fails with EINTR, so a SIGINT that arrives while it
# is not asleep there (waiting for a CPU after its 100 ms poll timeout:
# most of the time on a busy TCG VM running a nested guest) is lost and
# it runs on.  Whether its command is alive it checks at every turn.
bpf_start() {
	mountpoint -q /sys/kernel/tracing ||
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	bpftrace -c "$(command -v sleep) 1800" -e "$1" >"$2" 2>&1 &
	BPF_PID=$!
}

# bpf_gone PID: PID has exited (gone or a zombie).
bpf_gone() {
	case $(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) in
	""|Z) return 0 ;;
	esac
	return 1
}

# bpf_attached OUT: wait (up to 240 s: bpftrace compiles the program
# first) until bpftrace attached its probe; otherwise end it, clear
# BPF_PID and return 1.
bpf_attached() {
	local end=$((SECONDS + 240))

	[ -n "$BPF_PID" ] || return 1
	while [ $SECONDS -lt $end ]; do
		grep -q '^Attaching' "$1" && return 0
		bpf_gone "$BPF_PID" && break
		sleep 1
	done
	bpf_kill
	return 1
}

# bpf_end_cmd: end bpftrace's sleep.
bpf_end_cmd() {
	local c

	for c in $(pgrep -P "$BPF_PID" -x sleep); do
		kill "$c"
	done
}

# bpf_kill: no bpftrace (nor its sleep) left behind.
bpf_kill() {
	local end=$((SECONDS + 10))

	[ -n "$BPF_PID" ] || return 0
	bpf_end_cmd
	kill -KILL "$BPF_PID" 2>/dev/null
	while [ $SECONDS -lt $end ]; do
		bpf_gone "$BPF_PID" && break
		sleep 0.5
	done
	bpf_gone "$BPF_PID" && wait "$BPF_PID" 2>/dev/null
	BPF_PID=
}

# bpf_stop: end bpftrace's sleep; bpftrace then prints its maps and exits.
# Gives it 60 s; after that BPF_ERR says what it was doing, it is killed
# and bpf_stop returns 1 (a failed case, never a hung VM).
bpf_stop() {
	local end=$((SECONDS + 60))

	bpf_end_cmd
	while [ $SECONDS -lt $end ]; do
		if bpf_gone "$BPF_PID"; then
			wait "$BPF_PID"
			BPF_PID=
			return 0
		fi
		sleep 0.5
	done
	BPF_ERR="bpftrace still running 60 s after its command ended: $(grep '^State' "/proc/$BPF_PID/status"), wchan $(cat "/proc/$BPF_PID/wchan" 2>/dev/null)"
	bpf_kill
	return 1
}

# bpf_counts OUT: "KEY COUNT" for each histogram @ns[KEY] in OUT, COUNT
# the sum of its buckets.
bpf_counts() {
	awk '/^@ns\[[0-9]+\]:/ { k = $1; gsub(/[^0-9]/, "", k); n[k] = 0; next }
	     /^\[/ && k != "" { sub(/ *\|.*$/, ""); n[k] += $NF; next }
	     { k = "" }
	     END { for (k in n) print k, n[k] }' "$1" | sort -n
}

# bpf_check OUT BEFORE AFTER: OUT has a histogram with completions for
# LUN 0 and LUN 1, and its total lies between the device's completed
# count before bpftrace ended (BEFORE) and after (AFTER); prints what is
# wrong otherwise.
bpf_check() {
	local counts total

	counts=$(bpf_counts "$1")
	total=$(awk '{ t += $2 } END { print t + 0 }' <<<"$counts")
	if ! grep -qE '^0 [1-9]' <<<"$counts" || ! grep -qE '^1 [1-9]' <<<"$counts"; then
		echo "expected completions in histograms @ns[0] and @ns[1], got '$(tr '\n' ',' <<<"$counts")': $(head -n 3 "$1" | tr '\n' ';')"
	elif [ "$total" -lt "$2" ] || [ "$total" -gt "$3" ]; then
		echo "expected the histograms' $total completions ($(tr '\n' ',' <<<"$counts")) to be the device's completed count, $2 before bpftrace ended, $3 after"
	fi
}

# dev_completed DIR: the completed count in a device's debugfs stats.
dev_completed() { awk '$1 == "completed" { print $2 }' "$1/stats" 2>/dev/null; }

case_pkg_libvirt_start() {
	local g

	rm -rf "$LV_OUT" && mkdir -p "$LV_OUT"
	if ! g=$(lv_guest "$here/pkg-guest.sh" io-hotplug 1 2>"$TMP/lv-guest.out"); then
		fail "$FUNCNAME" "cannot prepare the guest's initramfs and control directory: $(cat "$TMP/lv-guest.out")"
		return
	fi
	read -r LV_ID LV_INITRD LV_APPEND <<<"$g"
	lv_domain "$LV_ID" "$LV_INITRD" "$LV_APPEND" >"$PKG_OUT/domain.xml"
	{ echo "# domain.xml (abridged)"; grep -E 'hostdev|source protocol|qemu:property' "$PKG_OUT/domain.xml"; } >>"$FLOW"
	# Attached before QEMU opens /dev/vhost-scsi: it sees every command.
	bpf_attached "$BPF_OUT"
	if ! flow lv define "$PKG_OUT/domain.xml" >"$TMP/virsh-define.out"; then
		fail "$FUNCNAME" "expected virsh define to succeed, got: $(cat "$TMP/virsh-define.out")"
	elif ! lv_boot >"$TMP/boot.out"; then
		fail "$FUNCNAME" "expected virsh start to boot the guest, got: $(cat "$TMP/boot.out" "$TMP/virsh-start.out") $(tail -3 "/var/log/libvirt/qemu/$LV_NAME.log" 2>/dev/null)"
	else
		flow lv list >/dev/null
		pass "$FUNCNAME"
	fi
}

# "FD TARGET" of each vhostfd=FD on QEMU's command line (JSON -device or
# key=value), TARGET being where QEMU's fd FD points.
vhostfds() {
	local pid=$1 fd

	for fd in $(tr '\0' '\n' <"/proc/$pid/cmdline" | grep 'vhost-scsi-pci' |
		    grep -oE 'vhostfd(":"|=)[0-9]+' | grep -oE '[0-9]+$'); do
		echo "$fd $(readlink "/proc/$pid/fd/$fd")"
	done
}

case_pkg_libvirt_vhostfd() {
	local pid f

	pid=$(cat "/run/libvirt/qemu/$LV_NAME.pid" 2>/dev/null)
	if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then
		fail "$FUNCNAME" "expected QEMU's pid in /run/libvirt/qemu/$LV_NAME.pid, got '$pid'"
		return
	fi
	{ printf '%s\n' "# tr '\\0' '\\n' </proc/$pid/cmdline | grep vhost-scsi-pci"
	  tr '\0' '\n' <"/proc/$pid/cmdline" | grep 'vhost-scsi-pci'
	  echo "# readlink /proc/$pid/fd/* | grep vhost"
	  for f in "/proc/$pid/fd/"*; do
		echo "$f -> $(readlink "$f")"
	  done | grep vhost; } >>"$FLOW"
	check "$FUNCNAME" "/dev/vhost-scsi" "$(vhostfds "$pid" | awk '{ print $2 }' | sort -u | tr '\n' ' ' | sed 's/ $//')"
}

case_pkg_libvirt_guest_io() {
	if ! lv_wait '^pkg-guest: io ok' 600; then
		fail "$FUNCNAME" "expected the libvirt guest's verified I/O to pass, got: $(guest_failed "$LV_LOG")"
	else
		{ echo "# (guest console)"; tr -d '\r' <"$LV_LOG" | grep -a '^pkg-guest:'
		  echo "# cat /sys/kernel/debug/vhost_scsi/stats"
		  cat /sys/kernel/debug/vhost_scsi/stats; } >>"$FLOW"
		pass "$FUNCNAME"
	fi
}

case_pkg_tracepoint_histogram() {
	local pid dev before after msg

	pid=$(cat "/run/libvirt/qemu/$LV_NAME.pid" 2>/dev/null)
	dev=$(echo "/sys/kernel/debug/vhost_scsi/dev-$pid-"*)
	if [ -z "$BPF_PID" ]; then
		fail "$FUNCNAME" "expected bpftrace to attach to vhost_scsi:vhost_scsi_cmd_complete, got: $(tail -3 "$BPF_OUT" | tr '\n' ';')"
		return
	elif [ ! -f "$dev/stats" ]; then
		bpf_kill
		fail "$FUNCNAME" "expected QEMU's ($pid) device in debugfs, got: $(ls /sys/kernel/debug/vhost_scsi)"
		return
	fi
	before=$(dev_completed "$dev")
	if ! bpf_stop; then
		fail "$FUNCNAME" "$BPF_ERR; its output: $(tr '\n' ';' <"$BPF_OUT")"
		return
	fi
	after=$(dev_completed "$dev")
	{ echo "# bpftrace -e '$BPF_HIST' -c 'sleep 1800'"
	  echo "#   (attached before virsh start; ended after the guest's I/O by ending its sleep)"
	  cat "$BPF_OUT"
	  echo "# cat $dev/info $dev/stats"
	  cat "$dev/info" "$dev/stats"; } >>"$FLOW"
	msg=$(bpf_check "$BPF_OUT" "$before" "$after")
	if [ -n "$msg" ]; then
		fail "$FUNCNAME" "$msg"
	else
		pass "$FUNCNAME"
	fi
}

# The second HBA: TPG 1 of $WWPN2 with a ramdisk LUN 0.
hot_target() {
	flow targetcli /backstores/ramdisk create pkgrd1 16M &&
	flow targetcli /vhost create $WWPN2 &&
	flow targetcli /vhost/$WWPN2/tpg1/luns create /backstores/ramdisk/pkgrd1
}

case_pkg_libvirt_hotplug() {
	local msg

	hostdev $WWPN2 ua-vscsi1 >"$PKG_OUT/hot.xml"
	if ! hot_target >"$TMP/hot-target.out"; then
		fail "$FUNCNAME" "expected targetcli to configure $WWPN2, got: $(tail -3 "$TMP/hot-target.out")"
		echo failed >"$LV_OUT/hot-attached"
	elif ! msg=$(flow lv attach-device $LV_NAME "$PKG_OUT/hot.xml" --live); then
		echo failed >"$LV_OUT/hot-attached"
		fail "$FUNCNAME" "expected virsh attach-device to hot-plug $WWPN2, got: $msg"
	elif ! { echo ok >"$LV_OUT/hot-attached"; lv_wait '^pkg-guest: hot io ok' 120; }; then
		fail "$FUNCNAME" "expected the guest to write and read back the hot-plugged disk, got: $(guest_failed "$LV_LOG")"
	elif ! msg=$(flow lv detach-device $LV_NAME "$PKG_OUT/hot.xml" --live); then
		fail "$FUNCNAME" "expected virsh detach-device to remove $WWPN2, got: $msg"
	elif ! { touch "$LV_OUT/hot-detached"; lv_wait '^pkg-guest: hot gone' 120; }; then
		fail "$FUNCNAME" "expected the HBA to leave the guest, got: $(guest_failed "$LV_LOG")"
	elif [ "$(endpoint_busy $WWPN2)" != free ]; then
		fail "$FUNCNAME" "expected detach-device to release $WWPN2's TPG, vscsi cannot bind it"
	elif ! msg=$(flow targetcli /vhost delete $WWPN2); then
		fail "$FUNCNAME" "expected the detached TPG to be deletable, got: $msg"
	else
		{ echo "# (guest console)"; tr -d '\r' <"$LV_LOG" | grep -a '^pkg-guest: hot'; } >>"$FLOW"
		pass "$FUNCNAME"
	fi
}

# endpoint_busy WWPN: "busy" while a vhost device holds WWPN's TPGs (a
# second binding fails: one device per TPG), "free" once vscsi can bind.
endpoint_busy() {
	if "$VSCSI" endpoint set "$1" >/dev/null 2>&1; then
		echo free
	else
		echo busy
	fi
}

case_pkg_libvirt_destroy_frees_tpg() {
	local pid msg

	pid=$(cat "/run/libvirt/qemu/$LV_NAME.pid" 2>/dev/null)
	# The guest holds on (pkg-guest.sh) until destroyed.
	if ! lv_wait '^pkg-guest: holding' 60; then
		fail "$FUNCNAME" "expected the guest to be running, got: $(guest_failed "$LV_LOG")"
	elif [ "$(endpoint_busy $WWPN)" != busy ]; then
		fail "$FUNCNAME" "expected the running domain to hold $WWPN's TPG, vscsi could bind it"
	elif ! msg=$(flow lv destroy $LV_NAME); then
		fail "$FUNCNAME" "expected virsh destroy to succeed, got: $msg"
	elif [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
		fail "$FUNCNAME" "expected QEMU ($pid) to be gone after virsh destroy"
	elif [ "$(endpoint_busy $WWPN)" != free ]; then
		fail "$FUNCNAME" "expected virsh destroy to release $WWPN's TPG, vscsi cannot bind it"
	elif ! msg=$(flow targetcli /vhost/$WWPN delete 1); then
		fail "$FUNCNAME" "expected the TPG to be deletable after virsh destroy, got: $msg"
	else
		check "$FUNCNAME" "gone" \
			"$([ -d /sys/kernel/config/target/vhost/$WWPN/tpgt_1 ] && echo there || echo gone)"
	fi
	lv undefine $LV_NAME >/dev/null 2>&1
	targetcli clearconfig confirm=True >/dev/null 2>&1
	kill "$(cat /run/libvirtd.pid 2>/dev/null)" 2>/dev/null
}

case_pkg_remove_stock_back() {
	# targetcli leaves the fabric's configfs group, which pins the module.
	rmdir /sys/kernel/config/target/vhost 2>/dev/null
	if ! rmmod vhost_scsi; then
		fail "$FUNCNAME" "rmmod vhost_scsi failed: refcnt $(cat /sys/module/vhost_scsi/refcnt)"
	elif ! apt-get remove -y -q vhost-scsi-dkms >"$TMP/remove.out" 2>&1; then
		fail "$FUNCNAME" "expected apt-get remove to succeed, got: $(tail -3 "$TMP/remove.out")"
	elif ! { { echo "# apt-get remove vhost-scsi-dkms   (last lines)"
		   tail -n 4 "$TMP/remove.out"; } >>"$FLOW"
		 flow modinfo -n vhost_scsi >/dev/null; }; then
		fail "$FUNCNAME" "expected modinfo to find vhost_scsi"
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
	mkdir -p "$PKG_OUT" && : >"$FLOW"
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
bpf_kill
# apt's, dkms's and the tools' output, for the failure messages' details.
if [ $half = vm ] && [ -n "${VM_OUT:-}" ]; then
	mkdir -p "$VM_OUT/pkg" && cp "$TMP"/*.out "$VM_OUT/pkg/" 2>/dev/null
fi
rm -rf "$TMP"
ktest_summary
