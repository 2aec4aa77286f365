#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-suite.sh SUITE - one in-VM suite, run by run-all inside
# tools/testing/vm/vm-run: "fabric" (fabric-tests.sh, targetcli and
# configfs) or "driver" (run-tests.sh, vscsi-test's driver-level cases).
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
case "${1:-}" in
fabric) suite=fabric-tests.sh ;;
driver) suite=run-tests.sh ;;
*) echo "usage: vm-suite.sh [--list] fabric|driver" >&2; exit 64 ;;
esac
[ -z "$list" ] || exec "$here/$suite" --list
"$here/$suite" | tee -a "$out"
exit "${PIPESTATUS[0]}"
