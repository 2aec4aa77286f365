#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-bench.sh - the userspace-initiator benchmark, our vhost_scsi against
# Debian's, inside one VM.  Runs under
#   tools/testing/vm/vm-run --none --icount -e BENCH_OUT=FILE -- vm-bench.sh
# (no vhost_scsi loaded by the rig; this script loads and unloads the
# modules itself).  -icount shift=0,sleep=off makes guest time count
# instructions, so "ns per I/O" is instructions per I/O of the whole path:
# initiator, vhost core, module and LIO.
#
# Target, configured through configfs (targetcli is too slow under TCG):
#   LUN 0  rd_mcp "rdnull", rd_nullio=1: no data copy, the path alone
#   LUN 1  rd_mcp "rdref", a normal 64 MiB ramdisk, for reference
# Sessions (module load, target, every configuration, unload):
#   aa-1, aa-2   ours twice: the A/A pair that measures the spread
#   1..ROUNDS    stock, ours and ours with other module parameters
#                ("ours:submit_direct=1", parameters separated by commas),
#                the order reversed every other round
# then the memory probe (vscsi memprobe) for ours and, last, stock.
#
# Environment: BENCH_OUT (JSON lines, required), BENCH_ROUNDS (4),
# BENCH_N (I/Os of a QD1 configuration; the others run a multiple of it,
# see CONFIGS), BENCH_MEM (1: run the memory probe), BENCH_ONLY (a
# regular expression: only the configurations it matches), BENCH_MODULES
# ("aa stock ours": which sessions; add e.g. ours:submit_direct=1, or
# "base": VHOST_SCSI_KO_BASE, another build of ours, e.g. the previous
# tree's, to measure a change),
# BENCH_ARGS (more vscsi bench options, e.g. --threads), VHOST_SCSI_KO,
# BENCH_PERF (1: profile instead of measure: each run under perf record,
# sampling the guest clock, which -icount makes an instruction count, so
# the samples say where the instructions go; needs highres=on, and the
# sampling inflates ns_per_io, so a profile run is not a measurement).
# Only the measured phase is sampled (vscsi bench --perf-ctl), every
# PERF_PERIOD ns of guest time (instructions); each task's and symbol's
# samples go to
# BENCH_OUT's directory as perf-<module>-<round>-<config>.txt, which
# profile.py sums into instructions per I/O by part of the path and by
# kind of task.
# Each result is one line {"module":..,"round":..,"config":..,"run":{..}}
# where run is vscsi bench's (or memprobe's) JSON object.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
vscsi=$repo/tools/vhost-scsi/vscsi
ko=${VHOST_SCSI_KO:-$repo/drivers/vhost/vhost_scsi.ko}
out=${BENCH_OUT:?BENCH_OUT must name the results file}
rounds=${BENCH_ROUNDS:-4}
n=${BENCH_N:-8000}
only=${BENCH_ONLY:-.}
sessions=${BENCH_MODULES:-aa stock ours}
WWPN=naa.5001405000000b01
NEXUS=naa.5001405000000b02
CFS=/sys/kernel/config/target
RD_PAGES=16384		# 64 MiB in 4 KiB pages; vscsi bench stays below 32 MiB

# name|vscsi bench arguments|multiple of BENCH_N
CONFIGS=(
	"tur-qd1|--rw tur --qd 1|1"
	"tur-qd32|--rw tur --qd 32|4"
	"read4k-qd1|--rw read --bs 4096 --qd 1|1"
	"read4k-qd32|--rw read --bs 4096 --qd 32|4"
	"write4k-qd1|--rw write --bs 4096 --qd 1|1"
	"write4k-qd32|--rw write --bs 4096 --qd 32|4"
	"read64k-qd32|--rw read --bs 65536 --qd 32|2"
	"read4k-2q-qd16|--rw read --bs 4096 --queues 2 --qd 16|4"
	"read4k-4q-qd16|--rw read --bs 4096 --queues 4 --qd 16|4"
	"rdref-read4k-qd32|--rw read --bs 4096 --qd 32 --lun 1|2"
)

say() { echo "BENCH: $*"; }

backstore() {
	local d=$CFS/core/rd_mcp_0/$1

	[ -d "$d" ] && return 0
	mkdir -p "$d" && echo "rd_pages=$RD_PAGES,rd_nullio=$2" >"$d/control" &&
		echo 1 >"$d/enable"
}

fabric_up() {
	local tpg=$CFS/vhost/$WWPN/tpgt_1 i=0 bs

	mkdir -p "$tpg" || return 1
	for bs in rdnull rdref; do
		mkdir "$tpg/lun/lun_$i" &&
			ln -s "$CFS/core/rd_mcp_0/$bs" "$tpg/lun/lun_$i/$bs" || return 1
		i=$((i + 1))
	done
	echo "$NEXUS" >"$tpg/nexus"
}

fabric_down() {
	local tpg=$CFS/vhost/$WWPN/tpgt_1 l

	echo NULL >"$tpg/nexus" 2>/dev/null
	for l in "$tpg"/lun/lun_*; do
		[ -d "$l" ] || continue
		find "$l" -maxdepth 1 -type l -delete
		rmdir "$l"
	done
	rmdir "$tpg" "$CFS/vhost/$WWPN" "$CFS/vhost" 2>/dev/null
}

load() {
	local dev=/sys/class/misc/vhost-scsi/dev

	case $1 in
	stock) modprobe vhost_scsi ;;
	ours) insmod "$ko" ;;
	base) insmod "${VHOST_SCSI_KO_BASE:?base needs VHOST_SCSI_KO_BASE}" ;;
	ours:*)
		# shellcheck disable=SC2046 # one word per parameter
		insmod "$ko" $(tr ',' ' ' <<<"${1#ours:}") ;;
	*) false ;;
	esac || return 1
	[ -c /dev/vhost-scsi ] ||
		mknod /dev/vhost-scsi c "$(cut -d: -f1 "$dev")" "$(cut -d: -f2 "$dev")"
}

unload() {
	fabric_down
	rmmod vhost_scsi || { say "vhost_scsi will not unload"; exit 1; }
}

emit() {	# module round config json
	echo "{\"module\":\"$1\",\"round\":\"$2\",\"config\":\"$3\",\"run\":$4}" >>"$out"
}

# One module load: every configuration once.
session() {
	local m=$1 r=$2 c name args mult json t0

	if ! { load "$m" && fabric_up; }; then
		say "cannot set up $m"
		exit 1
	fi
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r name args mult <<<"$c"
		[[ $name =~ $only ]] || continue
		t0=$SECONDS
		# shellcheck disable=SC2086 # args is a word list
		json=$(${perf:+"${perf[@]}"} "$vscsi" bench $args ${BENCH_ARGS:-} \
			${perf:+--perf-ctl "$pctl"} --count $((n * mult)) \
			--warmup $((n * mult / 10)) --label "$m" "$WWPN")
		[ -z "${perf:-}" ] || profile "$m" "$r" "$name"
		emit "$m" "$r" "$name" "${json:-null}"
		say "$m round $r $name: $(sed -n 's/.*"ns_per_io":\([0-9.]*\).*"kicks_per_io":\([0-9.]*\).*/ns_per_io=\1 kicks_per_io=\2/p' <<<"$json") ($((SECONDS - t0)) s)"
	done
	unload
}

# profile MODULE ROUND CONFIG: summarise the perf record of the last run.
profile() {
	local f
	f=$(dirname "$out")/perf-${1//:/_}-$2-$3.txt

	perf report -i "$pdata" --stdio -n --sort comm,sym -q >"$f" 2>/dev/null
	say "$1 round $2 $3: profile in $f"
}

# Three probes of each size (the report takes the median), one of the
# largest (Debian's module fills most of the VM's memory with it); a
# first, unrecorded one warms up whatever the path allocates lazily.
memprobe() {
	local m=$1 q r i json reps

	if ! { load "$m" && fabric_up; }; then
		say "cannot set up $m"
		exit 1
	fi
	"$vscsi" memprobe --queues 1 --ring 128 "$WWPN" >/dev/null
	for q in 1 4 16; do
		for r in 128 1024; do
			reps="1 2 3"
			[ "$q$r" = 161024 ] && reps=1
			for i in $reps; do
				json=$("$vscsi" memprobe --queues $q --ring $r \
					--label "$m" "$WWPN")
				emit "$m" "mem-$i" "mem-q$q-r$r" "${json:-null}"
			done
			say "$m memprobe q=$q ring=$r: $json"
		done
	done
	unload
}

: >"$out" || exit 1
perf=
if [ "${BENCH_PERF:-0}" = 1 ]; then
	pdata=/tmp/bench-perf.data
	pctl=/tmp/bench-perf.ctl
	rm -f "$pctl" && mkfifo "$pctl" || exit 1
	perf=(perf record -q -a -e cpu-clock -c "${PERF_PERIOD:-20000}" -D -1
	      --control "fifo:$pctl" -o "$pdata" --)
fi
if ! { backstore rdnull 1 && backstore rdref 0; }; then
	say "backstores failed"
	exit 1
fi
say "start $(date +%s) n=$n rounds=$rounds sessions: $sessions"
mods=()
for s in $sessions; do
	if [ "$s" = aa ]; then
		session ours aa-1
		session ours aa-2
	else
		mods+=("$s")
	fi
done
for r in $(seq 1 "$rounds"); do
	for i in "${!mods[@]}"; do
		[ $((r % 2)) = 1 ] || i=$((${#mods[@]} - 1 - i))
		session "${mods[$i]}" "$r"
	done
done
if [ "${BENCH_MEM:-1}" = 1 ]; then
	memprobe ours
	[[ " $sessions " == *" base "* ]] && memprobe base
	memprobe stock
fi
say "done $(date +%s)"
