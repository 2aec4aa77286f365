#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh - set up the LIO targets, run vscsi-test, tear down.
# Meant to run inside the VM rig as root, e.g.
#   tools/testing/vm/vm-run --stock -- tools/testing/vhost-scsi/run-tests.sh
# Arguments are passed to vscsi-test (case globs).  The exit status is
# vscsi-test's.
set -u

here=$(cd "$(dirname "$0")" && pwd)

if ! eval "$("$here/setup-targets.sh")"; then
	echo "run-tests: target setup failed" >&2
	"$here/teardown-targets.sh"
	exit 1
fi
export VSCSI_WWPN VSCSI_LUNS
"$here/vscsi-test" "$@"
status=$?
"$here/teardown-targets.sh"
exit $status
