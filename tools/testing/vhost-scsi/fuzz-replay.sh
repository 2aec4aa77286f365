#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-replay.sh - replay or shrink a fuzz run inside the VM rig: set up
# the LIO targets as run-tests.sh does, run "vscsi fuzz" on them with the
# case fuzz_requests's device options (TPG VSCSI_TARGET, every LUN but
# the slow one) and the arguments given, tear the targets down.  E.g.
#   tools/testing/vm/vm-run -- tools/testing/vhost-scsi/fuzz-replay.sh \
#       --seed 1 --count 5000 --shrink
# prints the run, the shrinking trials and a "reproducer:" command line
# (--plan ...) that replays the smallest failing run found; replaying
# that with --plan prints the chain of the failing request.  The exit
# status is vscsi fuzz's (1: an invariant broke).
set -u

here=$(cd "$(dirname "$0")" && pwd)
if ! env=$("$here/setup-targets.sh") || ! eval "$env"; then
	echo "fuzz-replay: setup-targets.sh failed" >&2
	"$here/teardown-targets.sh"
	exit 2
fi
luns=
for l in ${VSCSI_LUNS//,/ }; do
	[ "$l" = "${VSCSI_SLOW_LUN:--1}" ] || luns=${luns:+$luns,}$l
done
"$here/../../vhost-scsi/vscsi" fuzz --wwpn "$VSCSI_WWPN" \
	--target "${VSCSI_TARGET:-1}" --luns "$luns" \
	--slow-lun "${VSCSI_SLOW_LUN:--1}" "$@"
status=$?
"$here/teardown-targets.sh"
exit $status
