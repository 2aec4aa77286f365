#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - our vhost_scsi against Debian's and against QEMU's own
# userspace virtio-scsi, side by side in one VM run.  Runs in the outer VM
# under `vm-run --none` (no vhost_scsi loaded): for each of
# E2E_BENCH_ROUNDS rounds, for each backend of E2E_BENCH_MODULES (default
# "stock ours qemu"): loads that vhost_scsi (none for qemu), boots the
# nested guest and runs fio's 4 KiB random read (2 jobs x queue depth 32,
# one per request queue) against a ramdisk LUN (LIO's ramdisk; for qemu a
# brd ramdisk of the same size behind virtio-scsi-pci with an iothread and
# aio=native), then unloads it.  The backends alternate so that drift in
# the emulated machine hits all alike.  Prints every figure with the
# guest's request-queue interrupts per I/O and, last, the medians and the
# ratios of ours to the others:
#   BENCH-RESULT stock=<iops> ours=<iops> qemu=<iops> ratio=<ours/stock>
#   ours/qemu=<ratio>
# Under TCG only the ratios mean anything, and only on an otherwise idle
# machine: run it alone.
set -u

here=$(cd "$(dirname "$0")" && pwd)
ko=${VHOST_SCSI_KO:-$REPO/drivers/vhost/vhost_scsi.ko}
rounds=${E2E_BENCH_ROUNDS:-2}
backends=${E2E_BENCH_MODULES:-stock ours qemu}
declare -A figs=([stock]="" [ours]="" [qemu]="")

median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'
}

# E2E_OURS_PARAMS: module parameters for ours, e.g. "submit_direct=1".
load() {
	# shellcheck disable=SC2086 # the parameters are a word list
	case $1 in
	stock) modprobe vhost_scsi ;;
	ours) insmod "$ko" ${E2E_OURS_PARAMS:-} ;;
	qemu) true ;;
	*) false ;;
	esac
}

unload() {
	[ "$1" = qemu ] && return 0
	# The fabric's configfs group outlives clearconfig and pins it.
	rmdir /sys/kernel/config/target/vhost 2>/dev/null
	rmmod vhost_scsi
}

for r in $(seq 1 "$rounds"); do
	for m in $backends; do
		load "$m" || { echo "bench: cannot load the $m module" >&2; exit 1; }
		be=vhost
		[ "$m" = qemu ] && be=qemu
		out=$(VHOST_SCSI_MODULE=$m E2E_BENCH=only E2E_RD_MB=256 \
			E2E_BACKEND=$be "$here/outer.sh" 2>&1)
		unload "$m" || { echo "bench: $m module will not unload" >&2; exit 1; }
		fig=$(sed -n "s/^BENCH: $m .* \(iops=[0-9]* irqs_per_io=[0-9.]*\)$/\1/p" <<<"$out")
		if [ -z "$fig" ]; then
			echo "bench: round $r, $m: no figure; guest said:" >&2
			echo "$out" >&2
			exit 1
		fi
		echo "BENCH: round $r $m randread-4k-qd32x2 $fig"
		fig=${fig#iops=}
		figs[$m]+=" ${fig%% *}"
	done
done
s=$(median "${figs[stock]}")
o=$(median "${figs[ours]}")
q=$(median "${figs[qemu]}")
echo "BENCH-RESULT stock=$s ours=$o qemu=${q:-none} ratio=$(ratio "$o" "$s") ours/qemu=$(ratio "$o" "${q:-0}")"
