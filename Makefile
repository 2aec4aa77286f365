# SPDX-License-Identifier: GPL-2.0
#
# vhost-scsi out of tree.  `make` builds drivers/vhost/vhost_scsi.ko for the
# installed Debian kernel; `make check` runs every test; see README.md.

KVER ?= $(shell scripts/kernel-env.sh kver 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KVER)
VHOST_H := drivers/vhost/vhost.h
BUILD := .build

# Exactly the Debian packages the build, the VM rig, the tests (libvirt
# among them) and the guide's monitoring examples (bpftrace, trace-cmd,
# perf) use.
DEPS := linux-image-amd64 linux-headers-amd64 linux-source-6.1 \
	qemu-system-x86 targetcli-fb python3-rtslib-fb dbus busybox-static \
	cpio kmod fio sg3-utils lsscsi e2fsprogs make gcc libc6-dev xz-utils \
	perl libubsan1 libasan8 dmsetup sparse shellcheck \
	flex bison bc libelf-dev libssl-dev gnuplot-nox \
	dkms dh-dkms debhelper dpkg-dev fakeroot udev bpftrace trace-cmd \
	linux-perf libvirt-daemon-system libvirt-clients

.PHONY: all module deps check-deps unit check checkpatch sparse shellcheck \
	demo bench bench-e2e clean tools debug-kernel mutants deb

all: module tools

check-deps:
	@missing=; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "missing packages:$$missing (installing)"; \
		$(MAKE) --no-print-directory deps; \
	fi

deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEPS)

$(VHOST_H): scripts/kernel-env.sh
	KVER=$(KVER) scripts/kernel-env.sh vhost-h drivers/vhost

module: $(VHOST_H)
	@test -n "$(KVER)" || { echo "no Debian kernel headers: run make deps" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_VHOST_SCSI=m W=$(W) modules

# Every source file through sparse (C=2 checks even what is up to date).
sparse: $(VHOST_H)
	@mkdir -p $(BUILD)
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_VHOST_SCSI=m C=2 modules 2>&1 | \
		tee $(BUILD)/sparse.log
	@! grep -E ': (warning|error):' $(BUILD)/sparse.log

tools:
	$(MAKE) -C tools/vhost-scsi
	$(MAKE) -C tools/testing/vhost-scsi
	$(MAKE) -C tools/testing/unit

unit:
	$(MAKE) -C tools/testing/unit run


check: check-deps
	@$(MAKE) --no-print-directory module W=1 KCFLAGS=-Werror
	@$(MAKE) --no-print-directory tools
	tools/testing/run-all $(CHECK_FLAGS)

# The debug kernel of run-all's debug lane (KASAN, lockdep, kmemleak, ...),
# built once per source version and configuration under
# /var/cache/vhost-scsi/debug-kernel, and this tree's module built for it
# in $(BUILD)/debug.  `make check CHECK_FLAGS=--no-debug-kernel` skips the
# lane; tools/testing/debug-kernel/README tells how to run one case on it.
debug-kernel: check-deps
	@kdir=$$(tools/testing/debug-kernel/build) && \
	ko=$$(tools/testing/debug-kernel/module --kernel-dir "$$kdir") && \
	echo "kernel: $$kdir" && echo "module: $$ko"

# Mutation testing (not part of check): each tools/testing/mutants/*.patch
# is one deliberate defect, built out of tree under $(BUILD)/mutants and run
# against the driver suite (or, for a "Suite: fabric" mutant, the fabric
# suite) in its own VM, after the unpatched module, which must pass every
# case of each suite used; fails if a mutant survives.
# `make mutants MUTANTS="never-signal tmf-no-lio"` runs only those.
mutants: check-deps
	@$(MAKE) --no-print-directory tools
	BUILD=$(BUILD) KVER=$(KVER) tools/testing/mutants/run --baseline $(MUTANTS)

demo: check-deps
	@$(MAKE) --no-print-directory module tools
	tools/demo/demo

# Ours vs Debian's vhost_scsi.ko, side by side in one VM (not part of check).
# bench: the userspace initiator in a 1-CPU icount VM; prints the table and
# writes .vm-out/bench.json and .vm-out/bench.png (see "Benchmarking" in
# Documentation/target/vhost-scsi.rst).
bench: check-deps
	@$(MAKE) --no-print-directory module tools
	tools/testing/bench/run-bench

# fio in a nested guest, ours vs Debian's (the real-world figure).
bench-e2e: check-deps
	@$(MAKE) --no-print-directory module tools
	tools/testing/e2e/run-e2e bench

# The Debian DKMS package vhost-scsi-dkms_$(VERSION)_all.deb, in
# $(BUILD): the module's source, its dkms.conf and udev rule, built in a
# staging copy so that debhelper leaves the tree alone.  The version is
# the module's MODULE_VERSION.  Install with apt install ./$(BUILD)/...deb.
VERSION := $(shell sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' drivers/vhost/scsi_main.c)
DEB_STAGE := $(BUILD)/deb/vhost-scsi-$(VERSION)
DEB_SOURCES := Kbuild scripts/kernel-env.sh scripts/dkms-build \
	include/uapi/linux/vhost_scsi.h drivers/vhost/Makefile \
	$(filter-out $(VHOST_H) %.mod.c,$(wildcard drivers/vhost/*.[ch]))

deb:
	@test -n "$(VERSION)" || { echo "no MODULE_VERSION in drivers/vhost/scsi_main.c" >&2; exit 1; }
	rm -rf $(BUILD)/deb $(BUILD)/vhost-scsi-dkms_*.deb
	mkdir -p $(DEB_STAGE)
	cp -a packaging/debian $(DEB_STAGE)/
	tar -cf - $(DEB_SOURCES) | tar -xf - -C $(DEB_STAGE)
	printf '%s\n' 'vhost-scsi ($(VERSION)) unstable; urgency=medium' '' \
		'  * Built from the source tree by make deb.' '' \
		' -- vhost-scsi developers <vhost-scsi@localhost>  $(shell date -R)' \
		>$(DEB_STAGE)/debian/changelog
	cd $(DEB_STAGE) && dpkg-buildpackage -b -us -uc -tc
	cp $(BUILD)/deb/vhost-scsi-dkms_$(VERSION)_all.deb $(BUILD)/
	@echo "built $(BUILD)/vhost-scsi-dkms_$(VERSION)_all.deb"

$(BUILD)/checkpatch/scripts/checkpatch.pl:
	scripts/kernel-env.sh checkpatch $(BUILD)/checkpatch

CHECKPATCH_FILES := $(filter-out %.mod.c,$(wildcard drivers/vhost/*.[ch])) \
	include/uapi/linux/vhost_scsi.h \
	tools/testing/vhost-scsi/race-inject/race_inject.c \
	tools/testing/vhost-scsi/race-inject/vhost_work.h \
	tools/testing/vhost-scsi/cases-race.c

checkpatch: $(BUILD)/checkpatch/scripts/checkpatch.pl
	$(BUILD)/checkpatch/scripts/checkpatch.pl --no-tree --strict \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $(filter-out $(VHOST_H),$(CHECKPATCH_FILES))

# Every shell script in tools/ and .ci/: the *.sh files (sourced
# libraries included) and the files that start with a sh or bash #!.
SHELL_SCRIPTS = $(sort $(shell find tools .ci -name '*.sh' -type f) \
	$(shell grep -rlI --exclude='*.[ch]' -m1 -E '^\#!/bin/(ba|busybox )?sh' tools .ci))

shellcheck:
	shellcheck $(SHELL_SCRIPTS)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -f $(VHOST_H) drivers/vhost/.vhost.h.version
	-$(MAKE) -C tools/vhost-scsi clean
	-$(MAKE) -C tools/testing/vhost-scsi clean
	-$(MAKE) -C tools/testing/unit clean
