#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - our vhost_scsi against Debian's, side by side in one VM run.
# Runs in the outer VM under `vm-run --none` (no vhost_scsi loaded): for
# each of E2E_BENCH_ROUNDS rounds, loads Debian's module, boots the nested
# guest and runs fio's 4 KiB random read (2 jobs x queue depth 32, one per
# request queue) against a ramdisk LUN, unloads it, and does the same with
# ours.  The modules alternate so that drift in the emulated machine hits
# both alike.  Prints every figure and, last, the medians and their ratio:
#   BENCH-RESULT stock=<iops> ours=<iops> ratio=<ours/stock>
# Under TCG only the ratio means anything, and only on an otherwise idle
# machine: run it alone.
set -u

here=$(cd "$(dirname "$0")" && pwd)
ko=${VHOST_SCSI_KO:-$REPO/drivers/vhost/vhost_scsi.ko}
rounds=${E2E_BENCH_ROUNDS:-2}
declare -A figs=([stock]="" [ours]="")

median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# E2E_OURS_PARAMS: module parameters for ours, e.g. "submit_direct=1".
load() {
	if [ "$1" = stock ]; then
		modprobe vhost_scsi
	else
		# shellcheck disable=SC2086
		insmod "$ko" ${E2E_OURS_PARAMS:-}
	fi
}

for r in $(seq 1 "$rounds"); do
	for m in stock ours; do
		load $m || { echo "bench: cannot load the $m module" >&2; exit 1; }
		out=$(VHOST_SCSI_MODULE=$m E2E_BENCH=only E2E_RD_MB=256 \
			"$here/outer.sh" 2>&1)
		# The fabric's configfs group outlives clearconfig and pins it.
		rmdir /sys/kernel/config/target/vhost 2>/dev/null
		rmmod vhost_scsi || { echo "bench: $m module will not unload" >&2; exit 1; }
		iops=$(sed -n "s/^BENCH: $m .* iops=\([0-9]*\)$/\1/p" <<<"$out")
		if [ -z "$iops" ]; then
			echo "bench: round $r, $m: no figure; guest said:" >&2
			echo "$out" >&2
			exit 1
		fi
		echo "BENCH: round $r $m randread-4k-qd32x2 iops=$iops"
		figs[$m]+=" $iops"
	done
done
s=$(median "${figs[stock]}")
o=$(median "${figs[ours]}")
echo "BENCH-RESULT stock=$s ours=$o ratio=$(awk -v o="$o" -v s="$s" 'BEGIN { printf "%.2f", s ? o / s : 0 }')"
