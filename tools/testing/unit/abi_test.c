// SPDX-License-Identifier: GPL-2.0
/*
 * Pins include/uapi/linux/vhost_scsi.h against the system's
 * <linux/vhost.h>: QEMU is built against the latter, so any difference
 * would break an unmodified QEMU.
 */
#include <stddef.h>
#include <linux/vhost.h>
#include "abi.h"
#include "check.h"

#define SYS_OFF(f) offsetof(struct vhost_scsi_target, f)

static void ioctl_numbers_match(void)
{
	CHECK_EQ("SET_ENDPOINT", abi_ours.set_endpoint, VHOST_SCSI_SET_ENDPOINT);
	CHECK_EQ("CLEAR_ENDPOINT", abi_ours.clear_endpoint,
		 VHOST_SCSI_CLEAR_ENDPOINT);
	CHECK_EQ("GET_ABI_VERSION", abi_ours.get_abi_version,
		 VHOST_SCSI_GET_ABI_VERSION);
	CHECK_EQ("SET_EVENTS_MISSED", abi_ours.set_events_missed,
		 VHOST_SCSI_SET_EVENTS_MISSED);
	CHECK_EQ("GET_EVENTS_MISSED", abi_ours.get_events_missed,
		 VHOST_SCSI_GET_EVENTS_MISSED);
}

static void ioctl_numbers_are_the_known_values(void)
{
	/* _IOW(0xAF, 0x40..0x44, ...) as shipped since Linux 3.6. */
	CHECK_EQ("SET_ENDPOINT", abi_ours.set_endpoint, 0x40e8af40);
	CHECK_EQ("CLEAR_ENDPOINT", abi_ours.clear_endpoint, 0x40e8af41);
	CHECK_EQ("GET_ABI_VERSION", abi_ours.get_abi_version, 0x4004af42);
	CHECK_EQ("SET_EVENTS_MISSED", abi_ours.set_events_missed, 0x4004af43);
	CHECK_EQ("GET_EVENTS_MISSED", abi_ours.get_events_missed, 0x4004af44);
}

static void abi_header_version_is_1(void)
{
	CHECK_EQ("ours", abi_ours.abi_version, 1);
	CHECK_EQ("system", VHOST_SCSI_ABI_VERSION, 1);
}

static void target_struct_layout_matches(void)
{
	CHECK_EQ("sizeof", abi_ours.target_size,
		 sizeof(struct vhost_scsi_target));
	CHECK_EQ("sizeof is 232", abi_ours.target_size, 232);
	CHECK_EQ("abi_version", abi_ours.off_abi_version, SYS_OFF(abi_version));
	CHECK_EQ("vhost_wwpn", abi_ours.off_wwpn, SYS_OFF(vhost_wwpn));
	CHECK_EQ("vhost_wwpn size", abi_ours.wwpn_size,
		 sizeof(((struct vhost_scsi_target *)0)->vhost_wwpn));
	CHECK_EQ("vhost_tpgt", abi_ours.off_tpgt, SYS_OFF(vhost_tpgt));
	CHECK_EQ("reserved", abi_ours.off_reserved, SYS_OFF(reserved));
}

static const struct check_case cases[] = {
	CASE(ioctl_numbers_match),
	CASE(ioctl_numbers_are_the_known_values),
	CASE(abi_header_version_is_1),
	CASE(target_struct_layout_matches),
};

int main(int argc, char **argv)
{
	return check_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
