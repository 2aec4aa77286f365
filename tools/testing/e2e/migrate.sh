#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# migrate.sh - live migration cases, in the outer VM (called by outer.sh
# once the target is configured).
#   migrate.sh --build DIR   on the host (run-e2e): pack the migration
#                            guest's initramfs (migrate-init) and its
#                            read-only root image (guest-migrate.sh, bash,
#                            fio, busybox) into DIR
#   migrate.sh --list        the cases it promises
#   migrate.sh WWPN FILEIO_IMAGE
#
# One guest (256 MiB, 1 vCPU) runs guest-migrate.sh under QEMU 7.2 with
# -device vhost-scsi-pci,wwpn=WWPN,num_queues=2,migratable=on and is
# migrated $E2E_MIGRATIONS times (default 3), each time to a fresh QEMU
# with the same command line plus -incoming unix:SOCKET, driven over QMP:
# migrate at 16 MiB/s with a 1 ms downtime limit (it may complete only
# when less than 16 KiB is left dirty, and the guest keeps dirtying
# memory), wait until the first pass has copied half of the RAM, tell
# the guest "GO k" through the mailbox (LUN 1's last block, in
# FILEIO_IMAGE): it reads its page-cache data, about half of it into
# pages the migration already copied, while the migration goes on (under
# TCG the read is slow, the migration may complete before it ends: the
# guest then finishes reading on the destination).  Once it has read, lift the
# limits, wait for "completed", quit the source, tell the guest "DONE
# k".  Each QEMU's serial port goes to its own file; the case lines are
# collected from all of them.  QEMU starts the
# destination's vhost device (SET_ENDPOINT) only when the guest resumes
# there, after it stopped the source's (CLEAR_ENDPOINT), so each switch
# goes through the "one device per TPG" rule.
#
# Cases: e2e_migrate_round_trips (every migration completed and the guest
# answered on each destination), e2e_migrate_busy_tpg (a second QEMU on
# the WWPN the guest holds exits with an error, fast), and the guest's.
# e2e_migrate_slow_lun_drained: the guest keeps LUN 2 (dm-delay, outer.sh)
# busy, and the source's device must have answered every command it sent
# to the target core before the destination starts: once the source says
# "completed" (its device stopped, CLEAR_ENDPOINT returned, the
# destination not yet resumed), its debugfs counters (our module only)
# must show as many commands completed as submitted and none in flight;
# commands must have been seen in flight while the migration ran, or the
# case proves nothing.
# Only a boot that never reached the guest's start marker and shows a
# known emulation failure is booted again (GUEST_BOOT_ATTEMPTS); a
# migration is never retried.  Logs: $VM_OUT/migrate-serial-N.log (the
# guest's console under QEMU N) and migrate-qemu-N.err.
set -u

here=$(cd "$(dirname "$0")" && pwd)
VM_TOOL=migrate
# shellcheck source=../vm/vm-lib.sh
. "$here/../vm/vm-lib.sh"
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
# shellcheck source=qemu-lib.sh
. "$here/qemu-lib.sh"
START_MARKER=MIGR-START
KTEST_CASES="e2e_migrate_busy_tpg e2e_migrate_round_trips
e2e_migrate_slow_lun_drained"
GUEST_CASES=$("$here/guest-migrate.sh" --list)
N=${E2E_MIGRATIONS:-3}
MEM=${E2E_MIGRATE_MEM:-256}
# Migration parameters while the guest reads, and for the switch-over.
SLOW="\"max-bandwidth\": $((16 << 20)), \"downtime-limit\": 1"
FAST="\"max-bandwidth\": $((1 << 30)), \"downtime-limit\": 300"
build=${VM_OUT:-/tmp}/migrate
run=/tmp/e2e-migrate

# Copy the files and libraries of the programs $2... into root $1.
copy_progs() {
	local root=$1 p f
	shift
	for p in "$@"; do
		for f in $(ldd "$p" | awk '/=> \// { print $3 } /^\t\// { print $1 }') "$p"; do
			mkdir -p "$root$(dirname "$f")"
			cp -L "$f" "$root$f"
		done
	done
}

build() {
	local dir=$1 st mods m f a size
	KVER=${KVER:-$(vm_default_kver)} || return 1
	rm -rf "$dir" && vm_mkdir_ignored "$dir"
	st=$dir/stage
	mkdir -p "$st/init/bin" "$st/init/dev" "$st/init/proc" \
		"$st/init/sys" "$st/init/lib/modules"
	cp /bin/busybox "$st/init/bin/" && cp "$here/migrate-init" "$st/init/init"
	mods=$(modprobe -S "$KVER" -a --show-depends virtio_pci virtio_blk \
		ext4 virtio_scsi sd_mod | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
	for m in $mods; do
		f=$(basename "$m")
		case "$f" in
		*.ko.xz) xz -dc "$m" >"$st/init/lib/modules/${f%.xz}" ;;
		*.ko.zst) zstd -qdc "$m" >"$st/init/lib/modules/${f%.zst}" ;;
		*) cp "$m" "$st/init/lib/modules/$f" ;;
		esac
		echo "${f%.ko*}.ko" >>"$st/init/modules.order"
	done
	(cd "$st/init" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.gz" ||
		return 1

	mkdir -p "$st/root/bin" "$st/root/e2e" "$st/root/lib" "$st/root/tmp" \
		"$st/root/proc" "$st/root/sys" "$st/root/dev"
	copy_progs "$st/root" /bin/busybox /usr/bin/fio /usr/bin/bash /usr/bin/dd \
		/usr/bin/nice
	for a in $(busybox --list); do
		[ -e "$st/root/bin/$a" ] || ln -s /bin/busybox "$st/root/bin/$a"
	done
	# busybox's dd has no iflag=direct, and it has no nice.
	ln -sf /usr/bin/dd "$st/root/bin/dd"
	ln -sf /usr/bin/nice "$st/root/bin/nice"
	ln -sf /usr/bin/bash "$st/root/bin/bash"
	cp "$here/guest-migrate.sh" "$here/guest-reset.sh" "$st/root/e2e/"
	cp "$here/../lib/ktest.sh" "$st/root/lib/"
	size=$(($(du -sm "$st/root" | cut -f1) * 5 / 4 + 16))
	mke2fs -q -t ext4 -O ^has_journal -d "$st/root" "$dir/root.img" "${size}M" ||
		return 1
	echo "$KVER" >"$dir/kver"
	rm -rf "$st"
}

mig_status() {
	qmp "$run/qmp-$1.sock" '{"execute": "query-migrate"}' |
		sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p'
}

# "STATUS REMAINING TOTAL": RAM bytes not yet copied in this pass.
mig_progress() {
	qmp "$run/qmp-$1.sock" '{"execute": "query-migrate"}' | python3 -c '
import json, sys
r = json.load(sys.stdin)["return"]
ram = r.get("ram", {})
print(r.get("status", "none"), ram.get("remaining", 0), ram.get("total", 1))'
}

set_params() {
	qmp "$run/qmp-$1.sock" "{\"execute\": \"migrate-set-parameters\", \"arguments\": {$2}}" >/dev/null
}

# note_inflight PID: the most commands seen in flight at once (max_inflight).
note_inflight() {
	local c d i
	read -r c d i <<<"$(dev_stats "$1")"
	[ "${i:-0}" -le "$max_inflight" ] || max_inflight=$i
}

# A second QEMU on the WWPN the guest holds: its firmware's virtio-scsi
# probe makes QEMU start vhost, SET_ENDPOINT must refuse, QEMU must exit.
case_busy_tpg() {
	local name=e2e_migrate_busy_tpg pid rc=124 i err
	qemu-system-x86_64 -machine q35 -enable-kvm -cpu host,xsave=off \
		-m 64 -nodefaults -display none -no-reboot \
		-device "vhost-scsi-pci,wwpn=$wwpn,num_queues=2" \
		</dev/null >"$run/qemu-busy.err" 2>&1 &
	pid=$!
	for i in $(seq 1 240); do
		kill -0 $pid 2>/dev/null || { rc=0; wait $pid || rc=$?; break; }
		sleep 0.25
	done
	[ $rc != 124 ] || { kill $pid; wait $pid; }
	err=$(tr '\n' ';' <"$run/qemu-busy.err")
	if [ $rc = 124 ]; then
		ktest_fail $name "a second QEMU on $wwpn to fail while the guest holds it, still running after 60 s"
	elif [ $rc = 0 ] || ! grep -q 'unable to start vhost-scsi' "$run/qemu-busy.err"; then
		ktest_fail $name "the second QEMU to exit with 'unable to start vhost-scsi', got status $rc: $err"
	else
		echo "MIGRATE: busy TPG: second QEMU exited $rc after ${i}x0.25 s: $err"
		ktest_pass $name
	fi
}

# migrate_once K: from QEMU K-1 to a fresh QEMU K.
migrate_once() {
	local k=$1 src=$(($1 - 1)) st i during t0=$SECONDS info gostatus left total
	local drained c d
	wait_line "MIGR-WAIT $k" 300 "${QPID[$src]}" ||
		{ why="migration $k: the guest to get ready (MIGR-WAIT $k)"; return 1; }
	if ! start_qemu "$k" -incoming "unix:$run/mig-$k.sock" ||
	   ! wait_file "$run/mig-$k.sock"; then
		why="migration $k: the destination QEMU to listen, got: $(tr '\n' ';' <"$run/qemu-$k.err")"
		return 1
	fi
	set_params $src "$SLOW"
	qmp "$run/qmp-$src.sock" "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"unix:$run/mig-$k.sock\"}}" >/dev/null
	for i in $(seq 1 600); do
		read -r st left total <<<"$(mig_progress $src)"
		[ "$st" = active ] && [ $((left * 2)) -lt "$total" ] && break
		case "$st" in completed|failed|cancelled) break ;; esac
		note_inflight "${QPID[$src]}"
		sleep 0.5
	done
	# Should a migration complete before half its first pass was seen,
	# the guest reads on the destination, which checks nothing: counted,
	# and round_trips needs one round that overlapped.
	case "$st" in
	active) overlaps=$((overlaps + 1)) ;;
	completed) ;;
	*) why="migration $k: active after its first pass, got '$st'"; return 1 ;;
	esac
	gostatus=$st
	mailbox "GO $k"
	wait_line "MIGR-READ $k" 300 "${QPID[$src]}" ||
		{ why="migration $k: the guest to read its data (MIGR-READ $k)"; return 1; }
	during=$(mig_status $src)
	set_params $src "$FAST"
	for i in $(seq 1 600); do
		st=$(mig_status $src)
		case "$st" in completed|failed|cancelled) break ;; esac
		note_inflight "${QPID[$src]}"
		sleep 0.5
	done
	info=$(qmp "$run/qmp-$src.sock" '{"execute": "query-migrate"}' |
		grep -oE '"(total-time|downtime|dirty-sync-count)": [0-9]+' | tr -d '"' | tr '\n' ' ')
	[ "$st" = completed ] ||
		{ why="migration $k: status completed, got '$st': $(tr '\n' ';' <"$run/qemu-$src.err")"; return 1; }
	# The source's device is stopped, the destination not yet resumed.
	drained=$(dev_stats "${QPID[$src]}") || drained=
	read -r c d i <<<"$drained"
	if [ -z "$drained" ]; then
		drain_bad+="migration $k: no counters for QEMU $src; "
	else
		drain_checked=$((drain_checked + 1))
		if [ "$c" != "$d" ] || [ "$i" != 0 ]; then
			drain_bad+="migration $k: QEMU $src's device stopped with $c commands submitted, $d answered, $i in flight; "
		fi
	fi
	stop_qemu $src
	mailbox "DONE $k"
	for i in $(seq 1 240); do
		cat "$run"/serial-*.log | tr -d '\r' | grep -q "^MIGR-CHECK $k " && break
		kill -0 "${QPID[$k]}" 2>/dev/null || break
		sleep 0.5
	done
	echo "MIGRATE: migration $k: QEMU $src -> $k, status at GO: $gostatus, when the guest had read: $during, $info, $((SECONDS - t0)) s, source device at the end (cmds completed inflight): ${drained:-none}, guest: $(cat "$run"/serial-*.log | tr -d '\r' | grep "^MIGR-CHECK $k ")"
	cat "$run"/serial-*.log | tr -d '\r' | grep -q "^MIGR-CHECK $k " ||
		{ why="migration $k: the guest to answer on the destination (MIGR-CHECK $k)"; return 1; }
}

round_trips() {
	local k last=0 rc
	mailbox ""
	if ! boot_source; then
		return 1
	fi
	wait_line "MIGR-WAIT 1" 120 "${QPID[0]}" || { why="the guest to get ready (MIGR-WAIT 1)"; return 1; }
	case_busy_tpg
	busy=1
	for k in $(seq 1 "$N"); do
		migrate_once "$k" || return 1
		last=$k
	done
	[ "$overlaps" -gt 0 ] ||
		{ why="the guest to read during at least one of $N migrations, got none (each completed before its first pass was seen)"; return 1; }
	mailbox END
	rc=0
	# The guest gives its fio loops up to 150 s to end.
	for k in $(seq 1 400); do
		kill -0 "${QPID[$last]}" 2>/dev/null || break
		sleep 0.5
	done
	kill -0 "${QPID[$last]}" 2>/dev/null && { why="the guest to finish after END"; return 1; }
	wait "${QPID[$last]}" || rc=$?
	[ $rc = 0 ] || { why="the last QEMU to exit 0, got $rc"; return 1; }
}

case "${1:-}" in
--list)
	ktest_list
	echo "$GUEST_CASES"
	exit 0
	;;
--build)
	build "${2:?}"
	exit
	;;
esac
wwpn=${1:?} img=${2:?}
mbox=$(($(stat -c %s "$img") / 4096 - 1))
rm -rf "$run" && mkdir -p "$run"
why='' busy=0 overlaps=0 max_inflight=0 drain_bad='' drain_checked=0
busy_done() { [ "$busy" = 1 ]; }
t0=$SECONDS
if [ ! -s "$build/root.img" ]; then
	why="the migration guest image in $build (run-e2e builds it)"
	false
elif [ ! -c /dev/kvm ]; then
	modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
fi
if [ -z "$why" ] && round_trips; then
	ktest_pass e2e_migrate_round_trips
else
	ktest_fail e2e_migrate_round_trips "$N migrations, each completed and answered by the guest: expected ${why:-?}"
fi
for p in "${QPID[@]}"; do
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
lines=$(cat "$run"/serial-*.log 2>/dev/null | tr -d '\r')
echo "$lines" | grep -E '^MIGR-INFO' | sed 's/^MIGR-INFO/MIGRATE:/'
echo "MIGRATE: total $((SECONDS - t0)) s, $overlaps of $N migrations still active when the guest started reading"
busy_done || ktest_fail e2e_migrate_busy_tpg "the guest to boot first: $why"
echo "MIGRATE: slow LUN: $drain_checked stopped sources checked, at most $max_inflight commands seen in flight in a source's device during the switch-overs"
if [ "${VHOST_SCSI_MODULE:-ours}" = stock ]; then
	ktest_skip e2e_migrate_slow_lun_drained "Debian's module has no per-device counters"
elif [ -n "$drain_bad" ]; then
	ktest_fail e2e_migrate_slow_lun_drained "each source device to answer every command before the destination starts, got: $drain_bad"
elif [ "$drain_checked" = 0 ]; then
	ktest_fail e2e_migrate_slow_lun_drained "a migration to complete, got none: $why"
elif [ "$max_inflight" = 0 ]; then
	ktest_fail e2e_migrate_slow_lun_drained "commands in flight in the source's device while a migration ran, saw none"
else
	ktest_pass e2e_migrate_slow_lun_drained
fi
for c in $GUEST_CASES; do
	l=$(echo "$lines" | grep -E "^(PASS|FAIL|SKIP): $c(:|$)" | head -n 1)
	if [ -n "$l" ]; then
		echo "$l"
	else
		ktest_fail "$c" "a result from the migrated guest, got none"
	fi
done
for f in "$run"/*.log "$run"/*.err; do
	[ -e "$f" ] && cp "$f" "${VM_OUT:-/tmp}/migrate-${f##*/}"
done
[ "$KTEST_FAILED" = 0 ] && ! echo "$lines" | grep -qE '^FAIL: e2e_migrate_'
