#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reset.sh - e2e_guest_reset_under_io, in the outer VM (outer.sh's main
# part, once the target is configured):
#   reset.sh --list              the case it promises
#   reset.sh WWPN FILEIO_IMAGE
#
# The small guest of the migration cases (migrate.sh --build's image, run
# through qemu-lib.sh without -no-reboot) runs guest-reset.sh on the
# target's TPG 1; $E2E_RESETS times (default 2), once the guest says its
# writes are in flight ("RESET-IO b"), this writes "BOOT b+1 LAST" into
# the mailbox and resets it with QMP system_reset, as a host admin or a
# watchdog would; the guest boots again, verifies what it had written and
# seen answered before each reset, and on its last boot writes and
# verifies afresh where the cut writes went (guest-reset.sh says how).
#
# Each reset must take the guest's vhost device through CLEAR_ENDPOINT
# (QEMU stops vhost when the virtio device resets, with commands in
# flight on the slow LUN) and SET_ENDPOINT again (the new driver starts
# it): a kprobe on the module's ioctl handler counts both from the
# guest's QEMU.  The outer VM's kernel log must gain no report.  A boot
# that never prints "RESET-START b" but shows a known emulation failure
# (vm-lib.sh's VM_INFRA_RE) is reset once more, logged in
# $VM_OUT/boot-retries.txt; a failed check is never retried.  The counts
# go out as "RESET: ..." lines; logs in $VM_OUT/reset-*.
set -u

here=$(cd "$(dirname "$0")" && pwd)
VM_TOOL=reset
# shellcheck source=../vm/vm-lib.sh
. "$here/../vm/vm-lib.sh"
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
# shellcheck source=qemu-lib.sh
. "$here/qemu-lib.sh"
KTEST_CASES=e2e_guest_reset_under_io
if [ "${1:-}" = --list ]; then
	ktest_list
	exit 0
fi
N=${E2E_RESETS:-2}
MEM=256
GUEST_SCRIPT=guest-reset.sh
START_MARKER="RESET-START 0"
NO_REBOOT=0
build=${VM_OUT:-/tmp}/migrate
run=/tmp/e2e-reset
T=/sys/kernel/tracing
KP=e2e_vhost_ioctl
# _IOW(0xaf, 0x40 / 0x41, struct vhost_scsi_target): 232 bytes.
SET_EP=0x40e8af40
CLEAR_EP=0x40e8af41
REPORT_RE='BUG|WARNING|Oops|Call Trace|blocked for more|circular locking|general protection'

# Count vhost_scsi_ioctl() calls, with their command, in the trace buffer.
kprobe_on() {
	[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
	echo "p:$KP vhost_scsi_ioctl ioctl=%si:x32" >>$T/kprobe_events &&
		echo 1 >$T/events/kprobes/$KP/enable
}

kprobe_off() {
	echo 0 >$T/events/kprobes/$KP/enable 2>/dev/null
	echo "-:$KP" >>$T/kprobe_events 2>/dev/null
}

# ep_count CMD: CMD ioctls traced since the last clear (by the guest's
# QEMU: no other runs meanwhile; the trace names threads, not processes).
ep_count() {
	grep -c -- " $KP: .* ioctl=$1\$" $T/trace
}

# reset_once B: guest boot B-1 has writes in flight; reset it into boot B.
reset_once() {
	local b=$1 tries sig='' sets clears n mark t=$SECONDS t1
	if ! wait_io $((b - 1)); then
		why="boot $((b - 1)) to start its writes (RESET-IO $((b - 1)))"
		return 1
	fi
	t1=$SECONDS
	mailbox "BOOT $b $N"
	: >$T/trace
	for tries in $(seq 1 "${GUEST_BOOT_ATTEMPTS:-3}"); do
		mark=$(wc -l <"$run/serial-0.log")
		qmp "$run/qmp-0.sock" '{"execute": "system_reset"}' >/dev/null
		resets=$((resets + 1))
		wait_line "RESET-START $b" "${GUEST_BOOT_TIMEOUT:-180}" "$qpid" && break
		sig=$(tail -n +"$mark" "$run/serial-0.log" | tr -d '\r' |
			grep -aoE "$VM_INFRA_RE" | head -n 1)
		if [ -z "$sig" ] || ! kill -0 "$qpid" 2>/dev/null; then
			why="boot $b after the reset (RESET-START $b), got: $(tail -n 3 "$run/serial-0.log" | tr -d '\r' | tr '\n' ';')"
			return 1
		fi
		echo "reset serial-0.log: console shows '$sig'" >>"${VM_OUT:-/tmp}/boot-retries.txt"
	done
	seen "RESET-START $b" ||
		{ why="boot $b after $tries resets, each showing an emulation failure: $sig"; return 1; }
	sets=$(ep_count $SET_EP)
	clears=$(ep_count $CLEAR_EP)
	n=$(tr -d '\r' <"$run/serial-0.log" | grep -c "^RESET-IO $((b - 1)) ")
	echo "RESET: reset $b: $(tr -d '\r' <"$run/serial-0.log" | grep "^RESET-IO $((b - 1)) " | sed 's/.* /requests in flight on LUN 2 in the guest: /'), CLEAR_ENDPOINT $clears, SET_ENDPOINT $sets by the time boot $b started; $((t1 - t)) s from the boot's start to the writes in flight, $((SECONDS - t1)) s from the reset to the next boot's start"
	[ "$n" = 1 ] || { why="one RESET-IO $((b - 1)), got $n"; return 1; }
	if [ "$clears" = 0 ] || [ "$sets" = 0 ]; then
		why="reset $b to go through CLEAR_ENDPOINT and SET_ENDPOINT, got $clears and $sets"
		return 1
	fi
}

# wait_io B: until boot B prints "RESET-IO B N".
wait_io() {
	local end=$((SECONDS + 600))
	while [ $SECONDS -lt $end ]; do
		tr -d '\r' <"$run/serial-0.log" | grep -q "^RESET-IO $1 " && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# The guest's own verdicts: every region read back, the fresh run passed,
# every boot's kernel log clean, no error line, the last boot ended.
guest_verdict() {
	local lines bad
	lines=$(tr -d '\r' <"$run/serial-0.log")
	bad=$(echo "$lines" | grep -E '^RESET-(ERROR|VERIFY .* bad|FRESH bad|DMESG [0-9]+ [^c])' |
		head -3 | tr '\n' ';')
	[ -z "$bad" ] || { why="the guest's checks to pass, got: $bad"; return 1; }
	[ "$(echo "$lines" | grep -c '^RESET-VERIFY .* ok$')" = $((N * (N + 1) / 2)) ] ||
		{ why="$((N * (N + 1) / 2)) regions read back across the boots, got: $(echo "$lines" | grep -c '^RESET-VERIFY .* ok$')"; return 1; }
	echo "$lines" | grep -qx 'RESET-FRESH ok' ||
		{ why="the fresh write and verify after the last reset, got none"; return 1; }
	[ "$(echo "$lines" | grep -c '^RESET-START ')" = $((N + 1)) ] ||
		{ why="$((N + 1)) boots, got $(echo "$lines" | grep -c '^RESET-START ') (a reboot of its own?)"; return 1; }
}

main() {
	local b rc
	if [ ! -s "$build/root.img" ]; then
		why="the guest image in $build (run-e2e builds it)"
		return 1
	fi
	[ -c /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	kprobe_on || { why="a kprobe on vhost_scsi_ioctl"; return 1; }
	mailbox "BOOT 0 $N"
	boot_source || return 1
	qpid=${QPID[0]}
	for b in $(seq 1 "$N"); do
		reset_once "$b" || return 1
	done
	wait_line RESET-END 600 "$qpid" || { why="the last boot to end (RESET-END)"; return 1; }
	for _ in $(seq 1 60); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.5
	done
	rc=0
	kill -0 "$qpid" 2>/dev/null && { why="QEMU to exit after the guest powered off"; return 1; }
	wait "$qpid" || rc=$?
	[ $rc = 0 ] || { why="QEMU to exit 0, got $rc"; return 1; }
	guest_verdict
}

wwpn=${1:?} img=${2:?}
mbox=$(($(stat -c %s "$img") / 4096 - 1))
rm -rf "$run" && mkdir -p "$run"
why='' resets=0 qpid=
t0=$SECONDS
dmesg0=$(dmesg | wc -l)
rc=0
main || rc=1
[ -z "$qpid" ] || { kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
kprobe_off
report=$(dmesg | tail -n +$((dmesg0 + 1)) | grep -E "$REPORT_RE" | head -n 3 | tr '\n' ';')
echo "RESET: $resets system_reset in $((SECONDS - t0)) s; guest: $(tr -d '\r' <"$run/serial-0.log" 2>/dev/null | grep -E '^RESET-(VERIFY|FRESH)' | tr '\n' ';')"
if [ $rc != 0 ]; then
	ktest_fail e2e_guest_reset_under_io "$N resets under I/O, each verified: expected $why"
elif [ -n "$report" ]; then
	ktest_fail e2e_guest_reset_under_io "no kernel report in the outer VM across $N resets, got: $report"
else
	ktest_pass e2e_guest_reset_under_io
fi
for f in "$run"/*.log "$run"/*.err; do
	[ -e "$f" ] && cp "$f" "${VM_OUT:-/tmp}/reset-${f##*/}"
done
[ "$KTEST_FAILED" = 0 ]
