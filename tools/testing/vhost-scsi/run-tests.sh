#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh - set up the LIO targets, run vscsi-test, then tear the
# targets down through teardown-cycle.sh, which repeats that teardown
# after more event-queue and TMF activity and reloads vhost_scsi in
# between.  Meant to run inside the VM rig as root, e.g.
#   tools/testing/vm/vm-run --stock -- tools/testing/vhost-scsi/run-tests.sh
# Arguments are passed to vscsi-test (case globs); with arguments, or with
# VSCSI_TEARDOWN_CYCLES=0, the targets are simply torn down instead, as
# they are after a failure with VSCSI_FAIL_FAST=1 (make mutants: vscsi-test
# then stops at its first failing case).  The exit status is 1 if anything
# failed.  The target setup is a case of its own, target_setup.  --list
# [GLOB...] prints the names of the cases the same arguments would run, and
# runs nothing.
#
# The teardown comes last because it is the sequence most likely to crash
# a module (Debian's does): by then every other case has reported.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/ktest.sh
. "$here/../lib/ktest.sh"

# Is the teardown cycle part of a run with these arguments?
cycles() {
	[ $# = 0 ] && [ "${VSCSI_TEARDOWN_CYCLES:-3}" != 0 ]
}

# teardown_* is teardown-cycle.sh's client step, not a case of its own;
# race_* need two CPUs and race_inject.ko: the race suite sets
# VSCSI_RACE_SUITE=1 (vm-suite.sh).
excl=(-x 'teardown_*')
[ "${VSCSI_RACE_SUITE:-0}" = 1 ] || excl+=(-x 'race_*')

if [ "${1:-}" = --list ]; then
	shift
	echo target_setup
	"$here/vscsi-test" -l "${excl[@]}" "$@" || exit
	if cycles "$@"; then echo teardown_cycle; fi
	exit 0
fi

env=$("$here/setup-targets.sh")
status=$?
if [ $status != 0 ] || ! eval "$env"; then
	ktest_fail target_setup "expected setup-targets.sh to succeed, got status $status"
	"$here/teardown-targets.sh"
	exit 1
fi
ktest_pass target_setup
export VSCSI_WWPN VSCSI_LUNS VSCSI_SLOW_LUN VSCSI_SLOW_MS \
	VSCSI_HOTPLUG_BACKSTORE VSCSI_WP_TARGET VSCSI_PI_TARGET \
	VSCSI_FABRIC_PI_TARGET
"$here/vscsi-test" "${excl[@]}" "$@"
status=$?
if [ "${VSCSI_FAIL_FAST:-0}" = 1 ] && [ $status != 0 ]; then
	"$here/teardown-targets.sh"
elif cycles "$@"; then
	"$here/teardown-cycle.sh" --targets-up || status=1
else
	"$here/teardown-targets.sh"
fi
exit $status
