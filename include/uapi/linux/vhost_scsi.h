/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The vhost-scsi ABI between the kernel and its userspace client (QEMU).
 *
 * These values are fixed by the kernels and QEMU releases already in the
 * field: the ioctl numbers, the layout of struct vhost_scsi_target and ABI
 * version 1.  tools/testing/unit/abi_test.c compiles this header on its own
 * and checks every value against the system's <linux/vhost.h>.
 *
 * ABI version 1: SET_ENDPOINT binds every target portal group of the named
 * WWPN; vhost_tpgt is ignored.  The guest addresses a TPG by its tag in byte 1
 * of the virtio-scsi LUN field.
 */
#ifndef _UAPI_LINUX_VHOST_SCSI_H
#define _UAPI_LINUX_VHOST_SCSI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#ifndef VHOST_VIRTIO
#define VHOST_VIRTIO 0xAF
#endif

#define VHOST_SCSI_ABI_VERSION	1

/* TRANSPORT_IQN_LEN in the target core: the longest WWPN plus its NUL. */
#define VHOST_SCSI_WWPN_LEN	224

/*
 * <linux/vhost_types.h> defines the same structure; when it has been
 * included already, its definition is the one in force.
 */
#ifndef _LINUX_VHOST_TYPES_H
struct vhost_scsi_target {
	int abi_version;
	char vhost_wwpn[224];
	unsigned short vhost_tpgt;
	unsigned short reserved;
};
#endif

#define VHOST_SCSI_SET_ENDPOINT _IOW(VHOST_VIRTIO, 0x40, struct vhost_scsi_target)
#define VHOST_SCSI_CLEAR_ENDPOINT _IOW(VHOST_VIRTIO, 0x41, struct vhost_scsi_target)
/*
 * Declared _IOW for historical reasons although the kernel writes the
 * version to the int pointed to.
 */
#define VHOST_SCSI_GET_ABI_VERSION _IOW(VHOST_VIRTIO, 0x42, int)
#define VHOST_SCSI_SET_EVENTS_MISSED _IOW(VHOST_VIRTIO, 0x43, __u32)
#define VHOST_SCSI_GET_EVENTS_MISSED _IOW(VHOST_VIRTIO, 0x44, __u32)

#endif /* _UAPI_LINUX_VHOST_SCSI_H */
