#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-suite.sh SUITE - one in-VM suite, run by run-all inside
# tools/testing/vm/vm-run: "fabric" (fabric-tests.sh, targetcli and
# configfs), "driver" (run-tests.sh, vscsi-test's driver-level cases) or
# "race" (run-tests.sh 'race_*': the races race_inject.ko holds open; the
# VM needs two CPUs, VM_SMP=2).
# Each suite gets a fresh VM, so one module's failure cannot leave state
# behind that skews the next suite.  Case lines go to stdout and are
# appended to $VM_OUT/cases-$VHOST_SCSI_MODULE.txt for run-all's table.
# vm-suite.sh --list SUITE prints the names of the cases SUITE promises
# (on the host too: it runs nothing).
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=${VM_OUT:-/tmp}/cases-${VHOST_SCSI_MODULE:-ours}.txt

list=
if [ "${1:-}" = --list ]; then
	list=--list
	shift
fi
args=()
case "${1:-}" in
fabric) suite=fabric-tests.sh ;;
driver) suite=run-tests.sh ;;
race) suite=run-tests.sh; args=('race_*'); export VSCSI_RACE_SUITE=1 ;;
*) echo "usage: vm-suite.sh [--list] fabric|driver|race" >&2; exit 64 ;;
esac
[ -z "$list" ] || exec "$here/$suite" --list "${args[@]}"
"$here/$suite" "${args[@]}" | tee -a "$out"
exit "${PIPESTATUS[0]}"
