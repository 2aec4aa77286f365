// SPDX-License-Identifier: GPL-2.0
/*
 * Pure SCSI helpers: CDB builders (SPC/SBC), sense data parsing and
 * virtio-scsi response names.  No I/O, no allocation.
 */
#include <errno.h>
#include <string.h>

#include "vscsi.h"

void scsi_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void scsi_put_be32(uint8_t *p, uint32_t v)
{
	scsi_put_be16(p, v >> 16);
	scsi_put_be16(p + 2, v);
}

void scsi_put_be64(uint8_t *p, uint64_t v)
{
	scsi_put_be32(p, v >> 32);
	scsi_put_be32(p + 4, v);
}

uint16_t scsi_get_be16(const uint8_t *p)
{
	return (uint16_t)p[0] << 8 | p[1];
}

uint32_t scsi_get_be32(const uint8_t *p)
{
	return (uint32_t)scsi_get_be16(p) << 16 | scsi_get_be16(p + 2);
}

uint64_t scsi_get_be64(const uint8_t *p)
{
	return (uint64_t)scsi_get_be32(p) << 32 | scsi_get_be32(p + 4);
}

size_t scsi_cdb_tur(uint8_t *cdb)
{
	memset(cdb, 0, 6);
	return 6;
}

size_t scsi_cdb_inquiry(uint8_t *cdb, bool evpd, uint8_t page,
			uint16_t alloc_len)
{
	memset(cdb, 0, 6);
	cdb[0] = 0x12;
	cdb[1] = evpd ? 1 : 0;
	cdb[2] = evpd ? page : 0;
	scsi_put_be16(cdb + 3, alloc_len);
	return 6;
}

size_t scsi_cdb_report_luns(uint8_t *cdb, uint32_t alloc_len)
{
	memset(cdb, 0, 12);
	cdb[0] = 0xa0;
	scsi_put_be32(cdb + 6, alloc_len);
	return 12;
}

size_t scsi_cdb_read_capacity10(uint8_t *cdb)
{
	memset(cdb, 0, 10);
	cdb[0] = 0x25;
	return 10;
}

size_t scsi_cdb_read_capacity16(uint8_t *cdb, uint32_t alloc_len)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x9e;		/* SERVICE ACTION IN (16) */
	cdb[1] = 0x10;		/* READ CAPACITY (16) */
	scsi_put_be32(cdb + 10, alloc_len);
	return 16;
}

static size_t cdb_rw10(uint8_t *cdb, uint8_t op, uint32_t lba,
		       uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	scsi_put_be32(cdb + 2, lba);
	scsi_put_be16(cdb + 7, blocks);
	return 10;
}

static size_t cdb_rw16(uint8_t *cdb, uint8_t op, uint64_t lba,
		       uint32_t blocks)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	scsi_put_be64(cdb + 2, lba);
	scsi_put_be32(cdb + 10, blocks);
	return 16;
}

size_t scsi_cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t blocks)
{
	return cdb_rw10(cdb, 0x28, lba, blocks);
}

size_t scsi_cdb_write10(uint8_t *cdb, uint32_t lba, uint16_t blocks)
{
	return cdb_rw10(cdb, 0x2a, lba, blocks);
}

size_t scsi_cdb_read16(uint8_t *cdb, uint64_t lba, uint32_t blocks)
{
	return cdb_rw16(cdb, 0x88, lba, blocks);
}

size_t scsi_cdb_write16(uint8_t *cdb, uint64_t lba, uint32_t blocks)
{
	return cdb_rw16(cdb, 0x8a, lba, blocks);
}

/* Descriptor format (SPC-4 4.5.2): key/asc/ascq at bytes 1..3. */
static int sense_parse_descriptor(const uint8_t *s, size_t len,
				  struct scsi_sense *out)
{
	if (len < 4)
		return -EINVAL;
	out->descriptor = true;
	out->key = s[1] & 0x0f;
	out->asc = s[2];
	out->ascq = s[3];
	return 0;
}

/* Fixed format (SPC-4 4.5.3): key at 2, asc/ascq at 12/13. */
static int sense_parse_fixed(const uint8_t *s, size_t len,
			     struct scsi_sense *out)
{
	if (len < 3)
		return -EINVAL;
	out->key = s[2] & 0x0f;
	if (len >= 14) {
		out->asc = s[12];
		out->ascq = s[13];
	}
	return 0;
}

int scsi_sense_parse(const uint8_t *sense, size_t len, struct scsi_sense *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!len)
		return -ENODATA;
	switch (sense[0] & 0x7f) {
	case 0x70:
	case 0x71:
		ret = sense_parse_fixed(sense, len, out);
		break;
	case 0x72:
	case 0x73:
		ret = sense_parse_descriptor(sense, len, out);
		break;
	default:
		return -EINVAL;
	}
	out->valid = !ret;
	return ret;
}

const char *vscsi_response_name(uint8_t response)
{
	static const char *const names[] = {
		[VIRTIO_SCSI_S_OK] = "OK",
		[VIRTIO_SCSI_S_OVERRUN] = "OVERRUN",
		[VIRTIO_SCSI_S_ABORTED] = "ABORTED",
		[VIRTIO_SCSI_S_BAD_TARGET] = "BAD_TARGET",
		[VIRTIO_SCSI_S_RESET] = "RESET",
		[VIRTIO_SCSI_S_BUSY] = "BUSY",
		[VIRTIO_SCSI_S_TRANSPORT_FAILURE] = "TRANSPORT_FAILURE",
		[VIRTIO_SCSI_S_TARGET_FAILURE] = "TARGET_FAILURE",
		[VIRTIO_SCSI_S_NEXUS_FAILURE] = "NEXUS_FAILURE",
		[VIRTIO_SCSI_S_FAILURE] = "FAILURE",
		[VIRTIO_SCSI_S_FUNCTION_SUCCEEDED] = "FUNCTION_SUCCEEDED",
		[VIRTIO_SCSI_S_FUNCTION_REJECTED] = "FUNCTION_REJECTED",
		[VIRTIO_SCSI_S_INCORRECT_LUN] = "INCORRECT_LUN",
	};

	if (response == 0xff)
		return "NOT_WRITTEN";
	if (response < sizeof(names) / sizeof(names[0]) && names[response])
		return names[response];
	return "UNKNOWN";
}
