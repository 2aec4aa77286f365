/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel types drivers/vhost/scsi_proto.[ch] use, for userspace. */
#ifndef _VHOST_SCSI_USER_TYPES_H_
#define _VHOST_SCSI_USER_TYPES_H_

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#endif
