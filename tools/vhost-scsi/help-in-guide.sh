#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# help-in-guide.sh - `vscsi --help` and the copy the user guide quotes
# (Documentation/target/vhost-scsi.rst, between the vscsi-help-begin and
# vscsi-help-end comments) must agree; prints the difference otherwise.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
guide=$here/../../Documentation/target/vhost-scsi.rst
diff -u <(awk '/^\.\. vscsi-help-end/ { on = 0 } on && /^  / { sub(/^  /, ""); print }
	       /^\.\. vscsi-help-begin/ { on = 1 }' "$guide") \
	<("$here/vscsi" --help) &&
	echo "vscsi --help matches the guide"
