#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2154,SC2034 # the caller's variables, see below
#
# qemu-lib.sh - sourced by migrate.sh and reset.sh, in the outer VM: run
# the small guest that migrate.sh --build packs (migrate-init, a read-only
# root image with bash, fio and the guest scripts) under QEMU 7.2 on the
# vhost target, drive it over QMP and talk to it through its console and
# a mailbox.  The caller sets:
#   run           a scratch directory: QMP sockets, consoles (serial-N.log)
#   build         the directory migrate.sh --build filled
#   wwpn          the WWPN of the guest's vhost-scsi-pci device
#   img, mbox     the fileio image behind LUN 1 and its last 4 KiB block,
#                 the mailbox the guest reads with O_DIRECT
#   MEM           the guest's RAM in MiB
#   GUEST_SCRIPT  the guest's script in /e2e (default guest-migrate.sh)
#   START_MARKER  the console line that says the script started
#   NO_REBOOT     1 (default): QEMU runs with -no-reboot; 0 lets a
#                 system_reset reboot the guest instead of ending QEMU

# qmp SOCKET JSON: send one command, print its reply as one JSON line.
qmp() {
	python3 - "$1" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
def reply():
    while True:
        m = json.loads(f.readline())
        if "event" not in m:
            return m
reply()
f.write('{"execute": "qmp_capabilities"}\n'); f.flush(); reply()
f.write(sys.argv[2] + "\n"); f.flush()
print(json.dumps(reply()))
EOF
}

# Has any guest console printed line $1?
seen() {
	cat "$run"/serial-*.log 2>/dev/null | tr -d '\r' | grep -qxF -- "$1"
}

# wait_line LINE SECONDS PID: until the guest prints LINE; fails when
# QEMU PID (the one running the guest) exits or time runs out.
wait_line() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt "$end" ]; do
		seen "$1" && return 0
		kill -0 "$3" 2>/dev/null || { seen "$1"; return; }
		sleep 0.5
	done
	return 1
}

wait_file() {
	local i
	for i in $(seq 1 120); do
		[ -e "$1" ] && return 0
		sleep 0.25
	done
	return 1
}

mailbox() {
	printf '%s\n' "$1" | dd of="$img" bs=4096 seek="$mbox" count=1 \
		conv=notrunc,sync 2>/dev/null
}

# start_qemu IDX [-incoming URI]: one QEMU (of the migration), in the
# background; its pid in QPID[IDX].  init_on_alloc=0: Debian's kernel
# zeroes every page it allocates, which marks a page-cache page dirty
# (a CPU write) just before the device fills it, so a device write the
# dirty log misses would mostly go unseen; without it, only the device
# writes the page.
declare -A QPID
start_qemu() {
	local i=$1 reboot=()
	shift
	[ "${NO_REBOOT:-1}" = 0 ] || reboot=(-no-reboot)
	rm -f "$run/qmp-$i.sock"
	# shellcheck disable=SC2054 # the commas belong to QEMU options
	qemu-system-x86_64 -machine q35 -enable-kvm -cpu host,xsave=off \
		-smp 1 -m "$MEM" -nodefaults -display none "${reboot[@]}" \
		-serial "file:$run/serial-$i.log" \
		-qmp "unix:$run/qmp-$i.sock,server=on,wait=off" \
		-kernel "/boot/vmlinuz-$(cat "$build/kver")" -initrd "$build/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet init_on_alloc=0 e2e.script=${GUEST_SCRIPT:-guest-migrate.sh}" \
		-drive "file=$build/root.img,if=virtio,format=raw,readonly=on,file.locking=off" \
		-device "vhost-scsi-pci,wwpn=$wwpn,num_queues=2,migratable=on" \
		"$@" </dev/null >"$run/qemu-$i.err" 2>&1 &
	QPID[$i]=$!
	wait_file "$run/qmp-$i.sock"
}

stop_qemu() {
	qmp "$run/qmp-$1.sock" '{"execute": "quit"}' >/dev/null 2>&1
	wait "${QPID[$1]}" 2>/dev/null
}

# Boot the source; again only when the console shows an emulation failure
# before the start marker (vm-lib.sh's VM_INFRA_RE).
boot_source() {
	local sig
	for _ in $(seq 1 "${GUEST_BOOT_ATTEMPTS:-3}"); do
		: >"$run/serial-0.log"
		start_qemu 0
		if wait_line "$START_MARKER" "${GUEST_BOOT_TIMEOUT:-180}" "${QPID[0]}"; then
			return 0
		fi
		sig=$(tr -d '\r' <"$run/serial-0.log" | grep -aoE "$VM_INFRA_RE" | head -n 1)
		kill "${QPID[0]}" 2>/dev/null
		wait "${QPID[0]}" 2>/dev/null
		[ -n "$sig" ] || break
		echo "$VM_TOOL serial-0.log: console shows '$sig'" >>"${VM_OUT:-/tmp}/boot-retries.txt"
	done
	why="the guest to boot ($START_MARKER), got: $(tr -d '\r' <"$run/serial-0.log" | tail -n 3 | tr '\n' ';') $(tail -n 2 "$run/qemu-0.err" | tr '\n' ';')"
	return 1
}

# dev_stats PID: "CMDS COMPLETED INFLIGHT" of QEMU PID's vhost-scsi device
# (debugfs), nothing without them (the stock module).
dev_stats() {
	local f
	for f in /sys/kernel/debug/vhost_scsi/dev-"$1"-*/stats; do
		[ -r "$f" ] || return 1
		awk '$1 == "cmds" { c = $2 } $1 == "completed" { d = $2 }
		     $1 == "inflight" { i = $2 } END { print c, d, i }' "$f"
		return
	done
}

