// SPDX-License-Identifier: GPL-2.0
/*
 * Our ABI header, compiled alone: nothing from the system's vhost headers
 * is in this translation unit, so every value below is ours.
 */
#include <stddef.h>
#include "../../../include/uapi/linux/vhost_scsi.h"
#include "abi.h"

const struct abi_values abi_ours = {
	.set_endpoint = VHOST_SCSI_SET_ENDPOINT,
	.clear_endpoint = VHOST_SCSI_CLEAR_ENDPOINT,
	.get_abi_version = VHOST_SCSI_GET_ABI_VERSION,
	.set_events_missed = VHOST_SCSI_SET_EVENTS_MISSED,
	.get_events_missed = VHOST_SCSI_GET_EVENTS_MISSED,
	.abi_version = VHOST_SCSI_ABI_VERSION,
	.target_size = sizeof(struct vhost_scsi_target),
	.off_abi_version = offsetof(struct vhost_scsi_target, abi_version),
	.off_wwpn = offsetof(struct vhost_scsi_target, vhost_wwpn),
	.wwpn_size = sizeof(((struct vhost_scsi_target *)0)->vhost_wwpn),
	.off_tpgt = offsetof(struct vhost_scsi_target, vhost_tpgt),
	.off_reserved = offsetof(struct vhost_scsi_target, reserved),
};
