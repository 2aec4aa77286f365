#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fabric-tests.sh - the "vhost" LIO fabric as targetcli-fb and configfs see
# it, and what an endpoint bound through /dev/vhost-scsi pins.
#
# Runs inside the VM rig as root with vhost_scsi loaded (ours or stock):
#   tools/testing/vm/vm-run -- tools/testing/vhost-scsi/fabric-tests.sh [CASE...]
# Prints "PASS: name" / "FAIL: name: expected X, got Y" per case and
# "N passed, M failed" (tools/testing/lib/ktest.sh); exit status 1 iff a
# case failed.  --list [CASE...] prints the names it would run, and runs
# nothing (run-all's list of what this suite promises).
# $FUNCNAME is the running case function's name, all these cases need.
# shellcheck disable=SC2128
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"
VSCSI=${VSCSI:-$here/../../vhost-scsi/vscsi}
CFS=/sys/kernel/config/target
WWPN=naa.5001405000000aa1
INIT=naa.5001405000000bb2

# A configfs removal that the module never lets return holds the
# fabric's locks, and every later case would queue behind it: each
# targetcli call and TPG removal gets LIMIT seconds, after which the
# running case fails and the suite ends.
LIMIT=60

# bounded CMD...: CMD's exit status, or 124 if it is still running after
# LIMIT seconds (then left behind: a task stuck in the kernel cannot be
# killed).
bounded() {
	local pid

	"$@" &
	pid=$!
	for _ in $(seq $((LIMIT * 5))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -0 "$pid" 2>/dev/null && return 124
	wait "$pid"
}

# stuck WHAT: WHAT did not return; fail the running case, end the suite.
stuck() {
	touch "$TMP/stop"	# ends any io_loop
	ktest_fail "$CASE" "expected $1 to return, got it still running after ${LIMIT}s (stuck in the kernel)"
	ktest_summary
	exit 1
}

tcli() {
	local rc=0

	bounded targetcli "$@" >"$TMP/tcli.out" 2>&1 || rc=$?
	[ "$rc" != 124 ] || stuck "targetcli $*"
	return "$rc"
}

# The cases call these with their function's name, case_<name>.
pass() { ktest_pass "${1#case_}"; }
fail() { ktest_fail "${1#case_}" "$2"; }
check() { ktest_check "${1#case_}" "$2" "$3"; }

# status of a configfs write, as "ok" or the errno text.
cfs_write() {
	local err
	if err=$( (printf '%s' "$2" >"$1") 2>&1); then echo ok; else
		echo "${err##*: }"
	fi
}

cfs_mkdir() {
	local err
	if err=$(mkdir "$1" 2>&1); then echo ok; else echo "${err##*: }"; fi
}

cfs_rmdir() {
	local err
	if err=$(rmdir "$1" 2>&1); then echo ok; else echo "${err##*: }"; fi
}

setup_backstores() {
	tcli /backstores/ramdisk create rd0 32M &&
	tcli /backstores/fileio create fio0 "$TMP/fio0.img" 16M
}

setup_target() {
	tcli /vhost create "$WWPN" &&
	tcli "/vhost/$WWPN/tpg1/luns" create /backstores/ramdisk/rd0 &&
	tcli "/vhost/$WWPN/tpg1/luns" create /backstores/fileio/fio0 &&
	tcli "/vhost/$WWPN/tpg1/acls" create "$INIT"
}

teardown_all() {
	tcli clearconfig confirm=True
}

case_targetcli_builds_tree() {
	local ls
	teardown_all
	if ! setup_backstores || ! setup_target; then
		fail "$FUNCNAME" "targetcli setup to succeed, got: $(tr '\n' ' ' <"$TMP/tcli.out")"
		return
	fi
	ls=$(targetcli ls / 2>&1)
	for want in "o- vhost" "$WWPN" "tpg1" "lun0" "lun1" "ramdisk/rd0" \
		    "fileio/fio0" "$INIT"; do
		if ! grep -qF -- "$want" <<<"$ls"; then
			fail "$FUNCNAME" "'$want' in targetcli ls, got: $ls"
			return
		fi
	done
	pass "$FUNCNAME"
}

case_configfs_layout() {
	local t=$CFS/vhost/$WWPN/tpgt_1 v
	v=$(cat "$CFS/vhost/version" 2>&1)
	case "${v,,}" in
	*vhost*) ;;
	*) fail "$FUNCNAME" "version naming the vhost fabric, got '$v'"; return ;;
	esac
	for p in "$t/nexus" "$t/lun/lun_0" "$t/lun/lun_1" "$t/acls/$INIT" \
		 "$t/attrib/fabric_prot_type"; do
		if [ ! -e "$p" ]; then
			fail "$FUNCNAME" "$p to exist, got nothing"
			return
		fi
	done
	check "$FUNCNAME" 0 "$(cat "$t/attrib/fabric_prot_type")"
}

case_nexus_created_by_targetcli() {
	local n
	n=$(cat "$CFS/vhost/$WWPN/tpgt_1/nexus" 2>&1)
	case "$n" in
	naa.*) pass "$FUNCNAME" ;;
	*) fail "$FUNCNAME" "an naa. initiator name, got '$n'" ;;
	esac
}

# rtslib-fb does not save a TPG's nexus; restoreconfig generates a new one.
tree() {
	targetcli ls / 2>/dev/null | sed 's/\[naa\.[0-9a-f]*, /[<nexus>, /'
}

case_saveconfig_restoreconfig_roundtrip() {
	local before after
	before=$(tree)
	if ! tcli saveconfig "$TMP/saved.json"; then
		fail "$FUNCNAME" "saveconfig to succeed, got: $(cat "$TMP/tcli.out")"
		return
	fi
	teardown_all
	if [ -e "$CFS/vhost/$WWPN" ]; then
		fail "$FUNCNAME" "clearconfig to remove $WWPN, got it still there"
		return
	fi
	if ! tcli restoreconfig "$TMP/saved.json"; then
		fail "$FUNCNAME" "restoreconfig to succeed, got: $(cat "$TMP/tcli.out")"
		return
	fi
	after=$(tree)
	if [ "$before" = "$after" ]; then
		pass "$FUNCNAME"
	else
		echo "$before" >"$TMP/before"
		echo "$after" >"$TMP/after"
		fail "$FUNCNAME" "the same tree after restore, got: $(diff "$TMP/before" "$TMP/after" | tr '\n' ' ')"
	fi
}

case_wwn_names_validated() {
	local got=
	got+="naa16:$(cfs_mkdir "$CFS/vhost/naa.5001405000000cc3") "
	got+="fc:$(cfs_mkdir "$CFS/vhost/fc.21000024ff3dd5a1") "
	got+="iqn:$(cfs_mkdir "$CFS/vhost/iqn.2003-01.org.example:vs") "
	got+="naa15:$(cfs_mkdir "$CFS/vhost/naa.500140500000cc3") "
	got+="junk:$(cfs_mkdir "$CFS/vhost/not-a-wwn")"
	rmdir "$CFS/vhost/naa.5001405000000cc3" "$CFS/vhost/fc.21000024ff3dd5a1" \
	      "$CFS/vhost/iqn.2003-01.org.example:vs" 2>/dev/null
	check "$FUNCNAME" "naa16:ok fc:ok iqn:ok naa15:Invalid argument junk:Invalid argument" "$got"
}

case_tpgt_limits() {
	local w=$CFS/vhost/naa.5001405000000cc4 got=
	mkdir "$w"
	got+="255:$(cfs_mkdir "$w/tpgt_255") "
	got+="256:$(cfs_mkdir "$w/tpgt_256") "
	got+="junk:$(cfs_mkdir "$w/tpgt_x")"
	rmdir "$w/tpgt_255" 2>/dev/null
	rmdir "$w"
	check "$FUNCNAME" "255:ok 256:Invalid argument junk:Invalid argument" "$got"
}

case_nexus_write_read_drop() {
	local w=$CFS/vhost/naa.5001405000000cc5 t got=
	t=$w/tpgt_3
	mkdir -p "$t"
	got+="empty:'$(cat "$t/nexus")' "
	got+="bad:$(cfs_write "$t/nexus" "iqn.nope") "
	got+="make:$(cfs_write "$t/nexus" "naa.5001405000000dd6") "
	got+="read:$(cat "$t/nexus") "
	got+="again:$(cfs_write "$t/nexus" "naa.5001405000000dd7") "
	got+="drop:$(cfs_write "$t/nexus" "NULL") "
	got+="gone:'$(cat "$t/nexus")' "
	got+="dropagain:$(cfs_write "$t/nexus" "NULL")"
	rmdir "$t" "$w"
	check "$FUNCNAME" "empty:'' bad:Invalid argument make:ok read:naa.5001405000000dd6 again:File exists drop:ok gone:'' dropagain:No such device" "$got"
}

# The nexus must really exist (written and read back) when the TPG goes,
# and the removal must end it without waiting forever.
case_tpg_with_nexus_removable() {
	local w=$CFS/vhost/naa.5001405000000cc6 got=
	mkdir -p "$w/tpgt_1"
	got+="nexus:$(cfs_write "$w/tpgt_1/nexus" naa.5001405000000dd8) "
	got+="read:$(cat "$w/tpgt_1/nexus" 2>&1) "
	bounded cfs_rmdir "$w/tpgt_1" >"$TMP/rmdir.out" || [ $? != 124 ] ||
		stuck "rmdir of a TPG with a nexus"
	got+="tpg:$(cat "$TMP/rmdir.out") wwn:$(cfs_rmdir "$w")"
	check "$FUNCNAME" "nexus:ok read:naa.5001405000000dd8 tpg:ok wwn:ok" "$got"
}

# hold CMD...: run CMD while an endpoint on $WWPN is bound.
hold() {
	"$VSCSI" endpoint hold "$WWPN" -- "$@"
}

case_bound_tpg_removal_refused() {
	local got
	got=$(hold sh -c "rmdir $CFS/vhost/$WWPN/tpgt_1 2>&1 | sed 's/.*: //'" 2>&1)
	check "$FUNCNAME" "Device or resource busy" "$got"
}

case_bound_nexus_drop_refused() {
	local got
	got=$(hold bash -c "(printf NULL >$CFS/vhost/$WWPN/tpgt_1/nexus) 2>&1 | sed 's/.*: //'" 2>&1)
	check "$FUNCNAME" "Device or resource busy" "$got"
}

# io_loop LUN LOG: 1 MiB WRITEs to LUN, one after the other until
# $TMP/stop exists, each through its own bound endpoint; each command's
# vscsi exit status (0 GOOD, 1 not GOOD, 124 hung for 60 s) goes to LOG.
io_loop() {
	while [ ! -e "$TMP/stop" ]; do
		timeout 60 "$VSCSI" write "$WWPN" --lun "$1" --lba 0 \
			--blocks 2048 --pattern 0x5a >/dev/null 2>&1
		echo $? >>"$2"
	done
}

# wait_for CMD...: until CMD succeeds (at most 60 s).
wait_for() {
	for _ in $(seq 300); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# more_lines FILE N: FILE has more than N lines.
more_lines() { [ "$(wc -l <"$1")" -gt "$2" ]; }

# good_io LUN: a WRITE to LUN answers GOOD (after at most 2 unit attentions).
good_io() {
	for _ in 1 2 3; do
		"$VSCSI" write "$WWPN" --lun "$1" --lba 0 --blocks 8 >/dev/null 2>&1 &&
			return 0
	done
	return 1
}

# Unlink LUN 1 while WRITEs to it run: the unlink succeeds, commands keep
# completing across it (none hangs), those after it are refused, LUN 0
# still works and LUN 1 can be linked again.
case_bound_lun_unlink_safe() {
	local log=$TMP/io.log got n0 n1 pid
	rm -f "$TMP/stop"
	: >"$log"
	io_loop 1 "$log" &
	pid=$!
	wait_for grep -qx 0 "$log"
	n0=$(wc -l <"$log")
	got=
	tcli "/vhost/$WWPN/tpg1/luns" delete lun1 && got=deleted
	n1=$(wc -l <"$log")
	# Two more: the second one surely started after the unlink.
	wait_for more_lines "$log" $((n1 + 1))
	touch "$TMP/stop"
	wait "$pid"
	got="unlink:${got:-failed} good-before:$(head -n "$n0" "$log" | grep -cx 0)"
	got+=" during:$((n1 > n0)) hung:$(grep -cx 124 "$log")"
	got+=" last:$(tail -n1 "$log") lun0:$(good_io 0 && echo ok)"
	case "$got" in
	"unlink:deleted good-before:"[1-9]*" during:1 hung:0 last:1 lun0:ok") ;;
	*)
		fail "$FUNCNAME" "unlink:deleted good-before:>0 during:1 hung:0 last:1 lun0:ok, got '$got'"
		return
		;;
	esac
	if ! tcli "/vhost/$WWPN/tpg1/luns" create /backstores/fileio/fio0; then
		fail "$FUNCNAME" "LUN re-create to succeed, got: $(cat "$TMP/tcli.out")"
		return
	fi
	pass "$FUNCNAME"
}

case_unbound_tpg_removal_succeeds() {
	if ! tcli /vhost delete "$WWPN"; then
		fail "$FUNCNAME" "/vhost delete after the endpoint closed to succeed, got: $(cat "$TMP/tcli.out")"
		return
	fi
	check "$FUNCNAME" absent "$([ -e "$CFS/vhost/$WWPN" ] && echo present || echo absent)"
}

case_clearconfig_leaves_nothing() {
	teardown_all
	# shellcheck disable=SC2010 # configfs names are plain words
	check "$FUNCNAME" "" "$(ls "$CFS/vhost" 2>/dev/null | grep -Ev '^(version|discovery_auth)$')"
}

KTEST_CASES="targetcli_builds_tree configfs_layout nexus_created_by_targetcli
saveconfig_restoreconfig_roundtrip wwn_names_validated tpgt_limits
nexus_write_read_drop tpg_with_nexus_removable bound_tpg_removal_refused
bound_nexus_drop_refused bound_lun_unlink_safe unbound_tpg_removal_succeeds
clearconfig_leaves_nothing"

# selected NAME [GLOB...]: is NAME one of the cases asked for?
selected() {
	local c=$1 g

	shift
	[ $# = 0 ] && return 0
	for g in "$@"; do
		# shellcheck disable=SC2053 # $g is a glob
		[[ $c == $g ]] && return 0
	done
	return 1
}

if [ "${1:-}" = --list ]; then
	shift
	for c in $KTEST_CASES; do
		selected "$c" "$@" && echo "$c"
	done
	exit 0
fi
TMP=$(mktemp -d)
mkdir -p /run/dbus
[ -S /run/dbus/system_bus_socket ] || dbus-daemon --system --fork
for c in $KTEST_CASES; do
	CASE=$c
	selected "$c" "$@" && "case_$c"
done
CASE=teardown
teardown_all
rm -rf "$TMP"
ktest_summary
