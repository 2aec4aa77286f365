# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # it sets variables for the scripts that source it
#
# Shared code of vm-run (host -> outer VM) and guest-run (outer VM ->
# nested guest): the cached initramfs, the run's control directory, the
# QEMU command line, and one boot watched for its markers, retried only
# when the machine never reached vm-init for a reason that cannot be the
# module under test (see vm_boot).  Sourced, never executed.
#
# A run's control directory lives in the writable 9p share, so the guest
# reads its orders from it and leaves its result there:
#   env      shell assignments sourced by vm-init (role, module, paths)
#   cmd      the COMMAND, shell-quoted
#   result   the VMRUN-RESULT line, written before it is printed
#   dmesg    the guest's kernel log at the end of the run
#   kmemleak kmemleak's suspects, on a kernel that has kmemleak
# Every marker carries the run id, so markers from a nested guest that
# show up in the outer console are never taken for the outer run's.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../../.." && pwd)

# Exit codes, shared by vm-run and guest-run.
VM_EXIT_OK=0
VM_EXIT_CMD=1		# COMMAND exited non-zero
VM_EXIT_DMESG=2		# the kernel log shows a bug, warning or oops
VM_EXIT_CRASH=3		# the machine died or never produced a result
VM_EXIT_TIMEOUT=4	# the run hit --timeout
VM_EXIT_RMMOD=5		# vhost_scsi would not unload after COMMAND
VM_EXIT_SETUP=6		# vm-init could not load or set up the modules
VM_EXIT_USAGE=64

# Console lines that mean the machine broke before it reached vm-init:
# a kernel that cannot boot, not a test that failed.  They are looked for
# only until the start marker, and vm-init loads vhost_scsi after it, so
# none of them can be the module's.  The debug kernel under a loaded
# host's TCG has been seen to take an interrupt while it identified the
# boot CPU, before its interrupt descriptors were ready, and KASAN to
# report that (wild-memory-access in do_raw_spin_lock from
# handle_edge_irq, at 0.004 s, before the first line of our code): a
# broken boot, which also turns lockdep off for the whole run.
VM_INFRA_RE='double fault|self-detected stall|detected stalls on CPU|RCU stall|Kernel panic|BUG: KASAN'

# 1: a boot that shows no start marker in time but no signature either may
# be retried too, because nothing before vm-init drives vhost_scsi (the
# outer VM loads it after the marker).  A nested guest's QEMU and firmware
# drive the outer vhost_scsi before the guest's marker, so guest-run sets
# 0 when it attaches a device: a silent hang there may be the module's.
VM_RETRY_SILENT=${VM_RETRY_SILENT:-1}
# Why the last boot is worth another one (set by vm_boot_once).
VM_RETRY_WHY=

vm_say() {
	echo "${VM_TOOL:-vm}: $*" >&2
}

# Newest installed Debian kernel; KVER overrides.
vm_default_kver() {
	local k

	k=$(find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' | sort -V | tail -n 1)
	[ -n "$k" ] || return 1
	echo "${k#/boot/vmlinuz-}"
}

# Create DIR, ignored by git without touching any shared .gitignore.
vm_mkdir_ignored() {
	mkdir -p "$1"
	[ -e "$1/.gitignore" ] || echo '*' >"$1/.gitignore"
}

# Modules the initramfs needs to mount a 9p root under an overlay, as
# paths relative to /lib/modules/$KVER, in load order, once each.  None
# when the kernel has them built in (the debug kernel does).
vm_initramfs_modules() {
	local deps

	deps=$(modprobe -d "${VM_MOD_ROOT:-/}" -S "$KVER" -a --show-depends \
		virtio_pci 9pnet_virtio 9p overlay) || return 1
	echo "$deps" |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		sed "s|^${VM_MOD_ROOT:-}/*lib/modules/$KVER/||"
}

# Print the path of the initramfs for $KVER, packing it unless a copy
# with the same inputs (init script, busybox, module files) is cached.
vm_initramfs() {
	local mdir mods key out stage m f

	mdir=${VM_MOD_ROOT:-}/lib/modules/$KVER
	mods=$(vm_initramfs_modules) ||
		{ vm_say "cannot resolve the root file system's modules for $KVER"; return 1; }
	key=$( {
		echo "$KVER"
		cat "$VM_DIR/initramfs-init" "$VM_DIR/vm-lib.sh"
		stat -L -c '%n %s %Y' /bin/busybox
		for m in $mods; do
			stat -L -c '%n %s %Y' "$mdir/$m"
		done
	} | sha256sum | cut -c1-16) || return 1
	out=$VM_CACHE/initramfs-$KVER-$key.cpio.gz
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi

	vm_mkdir_ignored "$VM_CACHE"
	stage=$(mktemp -d "$VM_CACHE/stage.XXXXXX")
	mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" \
		"$stage/lib/modules"
	cp /bin/busybox "$stage/bin/busybox"
	cp "$VM_DIR/initramfs-init" "$stage/init"
	: >"$stage/modules.order"
	for m in $mods; do
		f=$(basename "$m")
		case "$f" in
		*.ko.xz) xz -dc "$mdir/$m" >"$stage/lib/modules/${f%.xz}" ;;
		*.ko.zst) zstd -qdc "$mdir/$m" >"$stage/lib/modules/${f%.zst}" ;;
		*.ko.gz) gzip -dc "$mdir/$m" >"$stage/lib/modules/${f%.gz}" ;;
		*) cp "$mdir/$m" "$stage/lib/modules/$f" ;;
		esac
		echo "${f%.ko*}.ko" >>"$stage/modules.order"
	done
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp.$$"
	rm -rf "$stage"
	# Drop stale images of this kernel; a QEMU still reading one keeps it.
	find "$VM_CACHE" -maxdepth 1 -name "initramfs-$KVER-*.cpio.gz" -delete
	mv -f "$out.tmp.$$" "$out"
	echo "$out"
}

# Boot a kernel built by tools/testing/debug-kernel/build in DIR: its
# bzImage, with its modules in DIR/root/lib/modules/RELEASE (VM_MOD_ROOT
# is DIR/root).  This machine's /lib/modules is left alone: two builds of
# the same release (another debug.config) may be in use by two runs at
# once, so the VM's vm-init links its own /lib/modules/RELEASE, in its
# overlay, to DIR's modules.
vm_use_kernel_dir() {
	local dir=$1

	if [ ! -r "$dir/release" ] || [ ! -r "$dir/bzImage" ]; then
		vm_say "$dir is not a built kernel directory (tools/testing/debug-kernel/build)"
		return 1
	fi
	KVER=$(cat "$dir/release")
	VM_KERNEL=$dir/bzImage
	VM_MOD_ROOT=$dir/root
}

# Fill the defaults every front end shares.  Call after option parsing.
vm_setup_env() {
	if [ -n "${VM_KERNEL_DIR:-}" ]; then
		vm_use_kernel_dir "$VM_KERNEL_DIR" || return 1
	fi
	KVER=${KVER:-$(vm_default_kver || uname -r)}
	VM_KERNEL=${VM_KERNEL:-/boot/vmlinuz-$KVER}
	VM_CACHE=${VM_CACHE:-$REPO/.vm-cache}
	[ -r "$VM_KERNEL" ] || { vm_say "cannot read kernel $VM_KERNEL"; return 1; }
	[ -d "${VM_MOD_ROOT:-}/lib/modules/$KVER" ] ||
		{ vm_say "no ${VM_MOD_ROOT:-}/lib/modules/$KVER"; return 1; }
	vm_mkdir_ignored "$VM_OUT"
	VM_OUT=$(cd "$VM_OUT" && pwd)
	# Both travel on the kernel command line, which splits at spaces.
	case "$VM_OUT$VM_DIR" in
	*[[:space:]]*) vm_say "paths with spaces are not supported: $VM_OUT $VM_DIR"; return 1 ;;
	esac
	VM_LOG=${VM_LOG:-$VM_OUT/$VM_TOOL.log}
	: >"$VM_LOG"
	VM_CTL=$(mktemp -d "$VM_OUT/.ctl.XXXXXX")
	VM_RUN_ID=${VM_CTL##*/.ctl.}
	trap 'rm -rf "$VM_CTL"' EXIT
	trap 'vm_kill_qemu; exit 130' INT TERM
}

# vm_write_ctl ROLE COMMAND...: the orders vm-init reads.  The command
# runs in the caller's directory when the guest can see it.
vm_write_ctl() {
	local role=$1 v
	shift
	{
		printf 'export VMRUN_ID=%q VMRUN_ROLE=%q\n' "$VM_RUN_ID" "$role"
		printf 'export REPO=%q VM_OUT=%q KVER=%q\n' "$REPO" "$VM_OUT" "$KVER"
		printf 'export VM_KERNEL_DIR=%q\n' "${VM_KERNEL_DIR:-}"
		printf 'export VHOST_SCSI_MODULE=%q\n' "${VHOST_SCSI_MODULE:-none}"
		printf 'VHOST_SCSI_KO=%q VMRUN_RMMOD=%q VMRUN_CWD=%q\n' \
			"${VHOST_SCSI_KO:-}" "${VM_RMMOD:-0}" "$PWD"
		printf 'VMRUN_DMESG_IGNORE=%q\n' "${VM_DMESG_IGNORE:-}"
		# teardown-cycle.sh reloads the module --ko named, not the tree's.
		[ -z "${VHOST_SCSI_KO:-}" ] ||
			printf 'export VSCSI_KO=%q\n' "$VHOST_SCSI_KO"
		for v in "${VM_GUEST_ENV[@]}"; do
			printf 'export %q\n' "$v"
		done
	} >"$VM_CTL/env"
	printf 'exec' >"$VM_CTL/cmd"
	printf ' %q' "$@" >>"$VM_CTL/cmd"
	echo >>"$VM_CTL/cmd"
}

# Arguments common to both machines; the caller adds accel, cpu and
# devices.  Sets the array VM_QEMU.
vm_qemu_args() {
	local initrd=$1 append

	append="console=ttyS0 panic=-1 quiet vmrun.init=$VM_DIR/vm-init"
	append+=" vmrun.out=$VM_OUT vmrun.ctl=$VM_CTL ${VM_APPEND:-}"
	# shellcheck disable=SC2054 # the commas belong to QEMU options
	VM_QEMU=(qemu-system-x86_64 -nographic -no-reboot -nic none
		-smp "$VM_SMP" -m "$VM_MEM"
		-kernel "$VM_KERNEL" -initrd "$initrd" -append "$append"
		-virtfs local,path=/,mount_tag=root,readonly=on,multidevs=remap,security_model=none
		-virtfs "local,path=$VM_OUT,mount_tag=vmout,multidevs=remap,security_model=none"
		-pidfile "$VM_CTL/qemu.pid")
}

# Does this attempt's part of the log (from byte $1) match grep args?
vm_log_has() {
	local off=$1
	shift
	tail -c "+$((off + 1))" "$VM_LOG" | grep -aq "$@"
}

vm_kill_qemu() {
	local pid

	pid=$(cat "$VM_CTL/qemu.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
}

vm_log_tail() {
	vm_say "last console lines ($VM_LOG):"
	tail -c "+$(($1 + 1))" "$VM_LOG" | tail -n "${VM_TAIL_LINES:-40}" >&2
}

# The VMRUN-RESULT fields of this run, from the control directory or,
# failing that, from the console.
vm_result_line() {
	local re="VMRUN-RESULT id=$VM_RUN_ID status=[0-9]* setup=[a-z]* dmesg=[a-z]* rmmod=[a-z]*"

	{ cat "$VM_CTL/result" 2>/dev/null; tail -c "+$(($1 + 1))" "$VM_LOG"; } |
		grep -ao "$re" | head -n 1
}

# Map a result line to an exit code, explaining anything but success.
vm_result_code() {
	local line=$1 status setup dmesg rmmod

	status=${line#* status=} status=${status%% *}
	setup=${line#* setup=} setup=${setup%% *}
	dmesg=${line#* dmesg=} dmesg=${dmesg%% *}
	rmmod=${line##* rmmod=}
	if [ "$dmesg" != ok ]; then
		vm_say "kernel log shows a bug or warning (see above)"
		return $VM_EXIT_DMESG
	elif [ "$setup" != ok ]; then
		vm_say "vm-init could not set the machine up (see above)"
		return $VM_EXIT_SETUP
	elif [ "$status" != 0 ]; then
		vm_say "command exited with status $status"
		return $VM_EXIT_CMD
	elif [ "$rmmod" = bad ]; then
		vm_say "vhost_scsi did not unload after the command"
		return $VM_EXIT_RMMOD
	fi
	return $VM_EXIT_OK
}

# vm_boot_failed OFF QEMU_STATUS SILENT: the machine never reached
# vm-init.  Returns 100 (boot again, VM_RETRY_WHY says why) when the
# console shows a known emulation failure, or when it shows nothing and
# VM_RETRY_SILENT allows that; else VM_EXIT_CRASH: a hang or exit before
# the marker while the module is already in use is the module's failure.
vm_boot_failed() {
	local sig why=${3:-"QEMU exited with status $2 before the start marker"}

	sig=$(tail -c "+$(($1 + 1))" "$VM_LOG" | grep -aoE "$VM_INFRA_RE" | head -n 1)
	if [ -n "$sig" ]; then
		VM_RETRY_WHY="console shows '$sig'"
		return 100
	fi
	if [ "$VM_RETRY_SILENT" = 1 ]; then
		VM_RETRY_WHY="$why, before vhost_scsi was loaded"
		return 100
	fi
	vm_say "$why and no emulation failure on the console: not retried," \
		"vhost_scsi was already in use"
	return "$VM_EXIT_CRASH"
}

# One boot.  Returns an exit code, or 100 when the machine never reached
# vm-init for a reason worth another boot (vm_boot_failed).
vm_boot_once() {
	local off pid tailpid='' rc started=0 t0=$SECONDS line silent=

	off=$(stat -c %s "$VM_LOG")
	rm -f "$VM_CTL/result" "$VM_CTL/dmesg" "$VM_CTL/kmemleak" \
		"$VM_CTL/qemu.pid" "${VM_LOG%.log}.kmemleak"
	(
		set -o pipefail
		timeout -k 10 "$VM_TIMEOUT" "${VM_QEMU[@]}" </dev/null 2>&1 |
			sed -u 's/\r//g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' >>"$VM_LOG"
	) &
	pid=$!
	if [ "$VM_QUIET" = 0 ]; then
		tail -c "+$((off + 1))" -f --pid="$pid" "$VM_LOG" |
			sed -u "s/^/${VM_PREFIX:-}/" &
		tailpid=$!
	fi
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$started" = 0 ]; then
			if vm_log_has "$off" -F "VMRUN-START id=$VM_RUN_ID"; then
				started=1
			elif vm_log_has "$off" -E "$VM_INFRA_RE"; then
				vm_say "boot failure signature on the console"
				vm_kill_qemu
			elif [ $((SECONDS - t0)) -ge "$VM_BOOT_TIMEOUT" ]; then
				vm_say "no start marker within ${VM_BOOT_TIMEOUT}s"
				silent="no start marker within ${VM_BOOT_TIMEOUT}s"
				vm_kill_qemu
			fi
		fi
		sleep 0.5
	done
	rc=0
	wait "$pid" || rc=$?
	[ -z "$tailpid" ] || wait "$tailpid"
	[ -s "$VM_CTL/dmesg" ] && cp "$VM_CTL/dmesg" "${VM_LOG%.log}.dmesg"
	[ -s "$VM_CTL/kmemleak" ] && cp "$VM_CTL/kmemleak" "${VM_LOG%.log}.kmemleak"

	if ! vm_log_has "$off" -F "VMRUN-START id=$VM_RUN_ID"; then
		vm_log_tail "$off"
		vm_boot_failed "$off" "$rc" "$silent"
		return
	fi
	if [ "$rc" = 124 ]; then
		vm_say "timed out after ${VM_TIMEOUT}s"
		vm_log_tail "$off"
		return $VM_EXIT_TIMEOUT
	fi
	line=$(vm_result_line "$off")
	if [ -z "$line" ]; then
		vm_say "machine died before reporting a result (qemu status $rc)"
		vm_log_tail "$off"
		return $VM_EXIT_CRASH
	fi
	vm_say "$line"
	rc=0
	vm_result_code "$line" || rc=$?
	# A quiet run has not shown vm-init's explanation yet.
	[ "$rc" = 0 ] || [ "$VM_QUIET" = 0 ] || vm_log_tail "$off"
	return "$rc"
}

# Boot until the machine reaches vm-init, at most VM_BOOT_ATTEMPTS times.
# A run that reached vm-init is never repeated, whatever its outcome.
# Each retry is logged with its reason in $VM_OUT/boot-retries.txt, which
# run-all's summary counts.
vm_boot() {
	local attempt=1 rc

	while :; do
		vm_say "boot attempt $attempt/$VM_BOOT_ATTEMPTS"
		rc=0
		vm_boot_once || rc=$?
		[ "$rc" = 100 ] || break
		if [ "$attempt" -ge "$VM_BOOT_ATTEMPTS" ]; then
			vm_say "machine never reached vm-init; giving up"
			rc=$VM_EXIT_CRASH
			break
		fi
		attempt=$((attempt + 1))
		vm_say "infrastructure failure ($VM_RETRY_WHY); booting again"
		echo "$VM_TOOL ${VM_LOG##*/}: $VM_RETRY_WHY" >>"$VM_OUT/boot-retries.txt"
	done
	return "$rc"
}
