/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VHOST_SCSI_ABI_TEST_H_
#define _VHOST_SCSI_ABI_TEST_H_

/* Every ABI value of the vhost-scsi ioctls, from one header or the other. */
struct abi_values {
	unsigned long set_endpoint;
	unsigned long clear_endpoint;
	unsigned long get_abi_version;
	unsigned long set_events_missed;
	unsigned long get_events_missed;
	int abi_version;
	size_t target_size;
	size_t off_abi_version;
	size_t off_wwpn;
	size_t wwpn_size;
	size_t off_tpgt;
	size_t off_reserved;
};

extern const struct abi_values abi_ours;

#endif
