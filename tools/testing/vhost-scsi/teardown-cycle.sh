#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teardown-cycle.sh [--targets-up] - the teardown sequence after
# event-queue and TMF activity, repeated $VSCSI_TEARDOWN_CYCLES (3) times
# in one VM:
#
#   1. setup-targets.sh (not in the first cycle with --targets-up: then the
#      targets a test suite just used, and the VSCSI_* environment it got
#      from setup-targets.sh, are torn down first)
#   2. a client with reads in flight on the slow LUN, an ABORT TASK and a
#      QUERY TASK SET unanswered, no event buffers and hotplug events still
#      coming closes /dev/vhost-scsi (vscsi-test's
#      teardown_close_with_events_queued)
#   3. a LUN unlinked with targetcli
#   4. targetcli clearconfig confirm=True, then teardown-targets.sh
#   5. rmmod vhost_scsi, load it again ($VHOST_SCSI_MODULE: "ours" insmods
#      $VSCSI_KO, default <repo>/drivers/vhost/vhost_scsi.ko; "stock"
#      modprobes Debian's)
#
# Every step must finish within $VSCSI_STEP_LIMIT (120) s and leave the
# kernel log free of bugs, warnings and oopses.  Prints one case line,
# "PASS: teardown_cycle" or "FAIL: teardown_cycle: expected X, got Y"
# (tools/testing/lib/ktest.sh), and exits 1 at the first failure.
#
# A module that oopses here (Debian's 6.1 module takes a general
# protection fault in vhost_scsi_port_unlink) dies holding locks, and
# every later configfs or rmmod step, the rig's own teardown included,
# then hangs until the rig's timeout.  So after an oops or a hung step the
# script prints its FAIL line and ends the VM with a sysrq crash: the rig
# reports the VM as crashed at once, and the console log keeps the trace.
# Run it last, so that no other case loses its result.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
targets_up=0
[ "${1:-}" = --targets-up ] && targets_up=1
repo=$(cd "$here/../../.." && pwd)
cycles=${VSCSI_TEARDOWN_CYCLES:-3}
ko=${VSCSI_KO:-$repo/drivers/vhost/vhost_scsi.ko}
limit=${VSCSI_STEP_LIMIT:-120}
name=teardown_cycle
bad='BUG:|WARNING:|Oops|general protection fault|KASAN|UBSAN|kernel BUG|list_del corruption|refcount_t'
fatal='BUG:|Oops|general protection fault|kernel BUG'
mark=$(dmesg | wc -l)
cycle=0
tmp=$(mktemp -d)
vars=$tmp/vars
trap 'rm -rf "$tmp"' EXIT

fail() {
	ktest_fail "$name" "$*"
	exit 1
}

# What the kernel logged since this script started.
kernel_log() {
	dmesg | tail -n +$((mark + 1))
}

# The kernel can no longer be trusted to tear down: say so and end the VM.
fail_fatal() {
	ktest_fail "$name" "$*"
	echo "# $name: ending the VM, its kernel is wedged (see the console log)" >&2
	sync
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
	exit 1
}

# step WHAT COMMAND...: COMMAND must succeed within $limit s and leave the
# kernel log clean.  It runs in the background so that one stuck in the
# kernel cannot stop the script.
step() {
	local what=$1 pid rc ticks=0 new
	shift
	echo "# $name: cycle $cycle: $what" >&2
	"$@" >"$tmp/out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && [ $ticks -lt $((limit * 5)) ]; do
		sleep 0.2
		ticks=$((ticks + 1))
		# Once the kernel has oopsed, waiting longer only wastes time.
		[ $((ticks % 5)) = 0 ] && kernel_log | grep -qE "$fatal" && break
	done
	new=$(kernel_log | grep -E "$bad" | head -n 3 | tr "\n" " ")
	if kill -0 "$pid" 2>/dev/null; then
		fail_fatal "expected $what in cycle $cycle to finish, got it stuck${new:+ after: }$new"
	fi
	wait "$pid"
	rc=$?
	if grep -qE "$fatal" <<<"$new"; then
		fail_fatal "expected a clean kernel log after $what in cycle $cycle, got: $new"
	fi
	[ -z "$new" ] ||
		fail "expected a clean kernel log after $what in cycle $cycle, got: $new"
	[ "$rc" = 0 ] ||
		fail "expected $what in cycle $cycle to succeed, got status $rc: $(tr '\n' ' ' <"$tmp/out" | tail -c 300)"
}

setup() {
	"$here/setup-targets.sh" >"$vars"
}

client() {
	local out
	out=$("$here/vscsi-test" teardown_close_with_events_queued)
	echo "$out"
	grep -q '^PASS: ' <<<"$out"
}

unlink_lun() {
	targetcli "/vhost/$VSCSI_WWPN/tpg1/luns" delete lun0
}

# TPG 2's nexus is bound to an explicit ACL, which clearconfig removes
# before the nexus: see teardown-targets.sh.
clear_all() {
	"$here/teardown-targets.sh" --wp-tpg-only
	targetcli clearconfig confirm=True && "$here/teardown-targets.sh"
}

unload() {
	rmdir /sys/kernel/config/target/vhost 2>/dev/null
	rmmod vhost_scsi
}

load() {
	local dev=/sys/class/misc/vhost-scsi/dev
	case "${VHOST_SCSI_MODULE:-ours}" in
	stock) modprobe vhost_scsi ;;
	*) insmod "$ko" ;;
	esac || return 1
	rm -f /dev/vhost-scsi
	mknod /dev/vhost-scsi c "$(cut -d: -f1 $dev)" "$(cut -d: -f2 $dev)"
}

for cycle in $(seq 1 "$cycles"); do
	if [ "$cycle" -gt 1 ] || [ "$targets_up" = 0 ]; then
		step "target setup" setup
		unset VSCSI_SLOW_LUN VSCSI_SLOW_MS VSCSI_HOTPLUG_BACKSTORE \
			VSCSI_WP_TARGET VSCSI_PI_TARGET VSCSI_FABRIC_PI_TARGET
		eval "$(cat "$vars")"
		export VSCSI_WWPN VSCSI_LUNS VSCSI_SLOW_LUN VSCSI_SLOW_MS \
			VSCSI_HOTPLUG_BACKSTORE VSCSI_WP_TARGET VSCSI_PI_TARGET \
			VSCSI_FABRIC_PI_TARGET
	fi
	step "the client's close" client
	step "LUN unlink" unlink_lun
	step "clearconfig" clear_all
	step "rmmod vhost_scsi" unload
	step "loading vhost_scsi again" load
done
ktest_pass "$name"
