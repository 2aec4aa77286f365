// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: pure virtio-scsi protocol helpers (see scsi_proto.h).
 *
 * Field offsets follow the wire layouts of the virtio specification,
 * "SCSI Host Device"; every structure there is packed.
 */
#include "scsi_proto.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

/* Virtio constants we need; <linux/virtio_scsi.h> is not in every libc. */
#define VS_S_SIMPLE	0
#define VS_S_ORDERED	1
#define VS_S_HEAD	2
#define VS_S_ACA	3

#define VS_S_OK				0
#define VS_S_FAILURE			9
#define VS_S_FUNCTION_REJECTED		11
#define VS_S_INCORRECT_LUN		12

static u16 get16(const u8 *p, bool le)
{
	return le ? (u16)(p[0] | p[1] << 8) : (u16)(p[1] | p[0] << 8);
}

static u32 get32(const u8 *p, bool le)
{
	return le ? (u32)get16(p, le) | (u32)get16(p + 2, le) << 16 :
		    (u32)get16(p + 2, le) | (u32)get16(p, le) << 16;
}

static u64 get64(const u8 *p, bool le)
{
	return le ? (u64)get32(p, le) | (u64)get32(p + 4, le) << 32 :
		    (u64)get32(p + 4, le) | (u64)get32(p, le) << 32;
}

static void put16(u8 *p, bool le, u16 v)
{
	p[le ? 0 : 1] = v & 0xff;
	p[le ? 1 : 0] = v >> 8;
}

static void put32(u8 *p, bool le, u32 v)
{
	put16(p + (le ? 0 : 2), le, v & 0xffff);
	put16(p + (le ? 2 : 0), le, v >> 16);
}

/**
 * vhost_scsi_decode_lun() - decode the 8-byte virtio-scsi LUN field
 * @field:	the field as the guest sent it
 * @target:	out: byte 1, the target (our TPG tag)
 * @lun:	out: the single-level LUN from bytes 2-3
 *
 * The spec fixes byte 0 to 1 and bytes 4-7 to 0.  Bytes 2-3 are a SAM
 * single-level LUN: flat space addressing (method 01b, 14 bits) as Linux
 * sends it, or peripheral device addressing (method 00b, bus 0, LUN < 256).
 *
 * Return: VHOST_SCSI_LUN_OK, or VHOST_SCSI_LUN_BAD_FORMAT with @target and
 * @lun untouched.
 */
enum vhost_scsi_lun_result vhost_scsi_decode_lun(const u8 *field, u8 *target,
						 u16 *lun)
{
	u8 method = field[2] >> 6;

	if (field[0] != 1 || field[4] || field[5] || field[6] || field[7])
		return VHOST_SCSI_LUN_BAD_FORMAT;
	if (method == 0 && field[2] != 0)
		return VHOST_SCSI_LUN_BAD_FORMAT;
	if (method > 1)
		return VHOST_SCSI_LUN_BAD_FORMAT;
	*target = field[1];
	*lun = (u16)((field[2] & 0x3f) << 8 | field[3]);
	return VHOST_SCSI_LUN_OK;
}

/* The inverse, for events: always flat space addressing. */
void vhost_scsi_encode_lun(u8 *field, u8 target, u16 lun)
{
	field[0] = 1;
	field[1] = target;
	field[2] = 0x40 | ((lun >> 8) & 0x3f);
	field[3] = lun & 0xff;
	field[4] = 0;
	field[5] = 0;
	field[6] = 0;
	field[7] = 0;
}

/**
 * vhost_scsi_parse_cmd_req() - parse a virtio_scsi_cmd_req or _req_pi
 * @buf:	the header bytes, gathered from however many buffers held them
 * @len:	bytes available in @buf
 * @pi:		VIRTIO_SCSI_F_T10_PI was negotiated: the _pi layout is in use
 * @le:		guest fields are little endian (always true for VERSION_1)
 * @req:	out: the request in CPU order
 *
 * Return: 0, or -EINVAL if @len is shorter than the header; then @req is
 * left untouched.
 */
int vhost_scsi_parse_cmd_req(const u8 *buf, size_t len, bool pi, bool le,
			     struct vhost_scsi_cmd_req *req)
{
	size_t cdb_off = pi ? 27 : 19;
	enum vhost_scsi_lun_result r;

	if (len < (pi ? VHOST_SCSI_CMD_REQ_PI_SIZE : VHOST_SCSI_CMD_REQ_SIZE))
		return -EINVAL;
	r = vhost_scsi_decode_lun(buf, &req->target, &req->lun);
	if (r != VHOST_SCSI_LUN_OK) {
		req->target = 0;
		req->lun = 0;
	}
	req->lun_ok = r == VHOST_SCSI_LUN_OK;
	req->tag = get64(buf + 8, le);
	req->task_attr = buf[16];
	req->prio = buf[17];
	req->crn = buf[18];
	req->pi_bytesout = pi ? get32(buf + 19, le) : 0;
	req->pi_bytesin = pi ? get32(buf + 23, le) : 0;
	memcpy(req->cdb, buf + cdb_off, VHOST_SCSI_CDB_SIZE);
	return 0;
}

/**
 * vhost_scsi_cdb_len() - length of a CDB from its operation code
 * @cdb:	at least VHOST_SCSI_CDB_SIZE bytes
 *
 * Follows SPC's group codes the way the SCSI midlayer's scsi_command_size()
 * does, so a variable-length CDB (0x7f) reports its additional length + 8.
 *
 * Return: the CDB length in bytes; may exceed VHOST_SCSI_CDB_SIZE.
 */
unsigned int vhost_scsi_cdb_len(const u8 *cdb)
{
	static const u8 group_len[8] = { 6, 10, 10, 12, 16, 12, 10, 10 };

	if (cdb[0] == 0x7f)
		return cdb[7] + 8u;
	return group_len[cdb[0] >> 5];
}

/**
 * vhost_scsi_task_attr() - map a virtio task attribute to the SAM code
 * @virtio_attr: VIRTIO_SCSI_S_{SIMPLE,ORDERED,HEAD,ACA}
 *
 * ORDERED is handed to the target core as SIMPLE.  The 6.1 target core
 * counts a SIMPLE or HEAD OF QUEUE command it aborted after starting it
 * as running forever (target_handle_abort() skips the task-attribute
 * bookkeeping), and an ORDERED command waits for that count to reach 0:
 * after any abort that caught a command at the backstore, the next
 * ORDERED command on that backstore, and every command behind it from
 * any initiator, would never run, and the guest's device close would
 * wait for them forever.
 *
 * Return: the VHOST_SCSI_SAM_*_TAG to submit, or -EINVAL for an unknown
 * value.
 */
int vhost_scsi_task_attr(u8 virtio_attr)
{
	switch (virtio_attr) {
	case VS_S_SIMPLE:
	case VS_S_ORDERED:
		return VHOST_SCSI_SAM_SIMPLE_TAG;
	case VS_S_HEAD:
		return VHOST_SCSI_SAM_HEAD_TAG;
	case VS_S_ACA:
		return VHOST_SCSI_SAM_ACA_TAG;
	default:
		return -EINVAL;
	}
}

/**
 * vhost_scsi_build_cmd_resp() - lay out a virtio_scsi_cmd_resp
 * @buf:	VHOST_SCSI_CMD_RESP_SIZE bytes
 * @le:		guest byte order is little endian
 * @resp:	what to report
 *
 * The sense bytes beyond @resp->sense_len are zeroed; sense_len on the wire
 * is clamped to the sense area (the spec's "bytes actually written").
 */
void vhost_scsi_build_cmd_resp(u8 *buf, bool le,
			       const struct vhost_scsi_cmd_resp *resp)
{
	u32 sense_len = resp->sense_len;

	if (sense_len > VHOST_SCSI_SENSE_SIZE)
		sense_len = VHOST_SCSI_SENSE_SIZE;
	if (!resp->sense)
		sense_len = 0;
	memset(buf, 0, VHOST_SCSI_CMD_RESP_SIZE);
	put32(buf, le, sense_len);
	put32(buf + 4, le, resp->resid);
	put16(buf + 8, le, resp->status_qualifier);
	buf[10] = resp->status;
	buf[11] = resp->response;
	if (sense_len)
		memcpy(buf + VHOST_SCSI_CMD_RESP_HDR_SIZE, resp->sense,
		       sense_len);
}

/* The first field of every control request: its type. */
u32 vhost_scsi_ctrl_type(const u8 *buf, bool le)
{
	return get32(buf, le);
}

/**
 * vhost_scsi_tmf_action() - how to carry out a VIRTIO_SCSI_T_TMF subtype
 * @subtype:	VIRTIO_SCSI_T_TMF_*, from the guest
 *
 * The target core implements ABORT TASK and LOGICAL UNIT RESET; the task
 * set and nexus functions are built from ABORT TASK over the commands we
 * track, and the queries are answered from that tracking alone.
 */
enum vhost_scsi_tmf_action vhost_scsi_tmf_action(u32 subtype)
{
	switch (subtype) {
	case 0:		/* ABORT_TASK */
		return VHOST_SCSI_TMF_ABORT_TASK;
	case 1:		/* ABORT_TASK_SET */
	case 3:		/* CLEAR_TASK_SET: one nexus per TPG, so the same */
		return VHOST_SCSI_TMF_ABORT_SET;
	case 2:		/* CLEAR_ACA */
		return VHOST_SCSI_TMF_NOP;
	case 4:		/* I_T_NEXUS_RESET */
		return VHOST_SCSI_TMF_NEXUS_RESET;
	case 5:		/* LOGICAL_UNIT_RESET */
		return VHOST_SCSI_TMF_LUN_RESET;
	case 6:		/* QUERY_TASK */
		return VHOST_SCSI_TMF_QUERY_TASK;
	case 7:		/* QUERY_TASK_SET */
		return VHOST_SCSI_TMF_QUERY_SET;
	default:
		return VHOST_SCSI_TMF_REJECT;
	}
}

/**
 * vhost_scsi_tmr_to_virtio() - map the target core's TMR response
 * @tmr_response: VHOST_SCSI_TMR_*
 *
 * SAM: aborting a task that no longer exists has still completed the
 * function, so TASK DOES NOT EXIST is FUNCTION_COMPLETE.
 *
 * Return: the VIRTIO_SCSI_S_* response for the guest.
 */
u8 vhost_scsi_tmr_to_virtio(u8 tmr_response)
{
	switch (tmr_response) {
	case VHOST_SCSI_TMR_FUNCTION_COMPLETE:
	case VHOST_SCSI_TMR_TASK_DOES_NOT_EXIST:
		return VS_S_OK;
	case VHOST_SCSI_TMR_LUN_DOES_NOT_EXIST:
		return VS_S_INCORRECT_LUN;
	case VHOST_SCSI_TMR_NOT_SUPPORTED:
	case VHOST_SCSI_TMR_FUNCTION_REJECTED:
		return VS_S_FUNCTION_REJECTED;
	default:
		return VS_S_FAILURE;
	}
}

/* @buf holds VHOST_SCSI_TMF_REQ_SIZE bytes. */
void vhost_scsi_parse_tmf_req(const u8 *buf, bool le,
			      struct vhost_scsi_tmf_req *req)
{
	req->subtype = get32(buf + 4, le);
	req->target = 0;
	req->lun = 0;
	req->lun_ok = vhost_scsi_decode_lun(buf + 8, &req->target, &req->lun) ==
		      VHOST_SCSI_LUN_OK;
	req->tag = get64(buf + 16, le);
}

/* @buf holds VHOST_SCSI_AN_REQ_SIZE bytes. */
void vhost_scsi_parse_an_req(const u8 *buf, bool le,
			     struct vhost_scsi_an_req *req)
{
	req->type = get32(buf, le);
	req->target = 0;
	req->lun = 0;
	req->lun_ok = vhost_scsi_decode_lun(buf + 4, &req->target, &req->lun) ==
		      VHOST_SCSI_LUN_OK;
	req->event_requested = get32(buf + 12, le);
}

/* @buf has room for VHOST_SCSI_AN_RESP_SIZE bytes. */
void vhost_scsi_build_an_resp(u8 *buf, bool le, u32 event_actual, u8 response)
{
	put32(buf, le, event_actual);
	buf[4] = response;
}

/* @buf has room for VHOST_SCSI_EVENT_SIZE bytes. */
void vhost_scsi_build_event(u8 *buf, bool le, u32 event, u8 target, u16 lun,
			    u32 reason)
{
	put32(buf, le, event);
	vhost_scsi_encode_lun(buf + 4, target, lun);
	put32(buf + 12, le, reason);
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

/* iqn.yyyy-mm.<reversed domain>[:<anything printable>] */
static bool valid_iqn(const char *s, size_t len)
{
	size_t i;

	if (len < 12 || memcmp(s, "iqn.", 4))
		return false;
	for (i = 4; i < 11; i++)
		if (i == 8 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return false;
	if (s[11] != '.')
		return false;
	for (i = 12; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return len > 12;
}

/**
 * vhost_scsi_parse_wwn() - validate a WWN as a target or initiator name
 * @name:	"naa." + 16 or 32 hex digits, "fc." + 16 hex digits, or an iqn
 * @len:	length of @name, a trailing newline excluded by the caller
 * @proto_id:	out: the SPC-4 protocol identifier the prefix stands for
 *
 * Return: 0, or -EINVAL for anything else (including names that do not fit
 * the target core's VHOST_SCSI_WWN_LEN).
 */
int vhost_scsi_parse_wwn(const char *name, size_t len, u8 *proto_id)
{
	if (len >= VHOST_SCSI_WWN_LEN)
		return -EINVAL;
	if (len > 4 && !memcmp(name, "naa.", 4) &&
	    (len == 4 + 16 || len == 4 + 32) && all_hex(name + 4, len - 4)) {
		*proto_id = VHOST_SCSI_PROTO_SAS;
		return 0;
	}
	if (len == 3 + 16 && !memcmp(name, "fc.", 3) &&
	    all_hex(name + 3, 16)) {
		*proto_id = VHOST_SCSI_PROTO_FCP;
		return 0;
	}
	if (valid_iqn(name, len)) {
		*proto_id = VHOST_SCSI_PROTO_ISCSI;
		return 0;
	}
	return -EINVAL;
}

/**
 * vhost_scsi_parse_tpgt() - parse a "tpgt_N" directory name
 * @name:	NUL-terminated directory name
 * @tpgt:	out: N, which must be a decimal below 256 without leading zeros
 *		since the guest names the TPG in one byte of its LUN field
 *
 * Return: 0 or -EINVAL.
 */
int vhost_scsi_parse_tpgt(const char *name, u16 *tpgt)
{
	unsigned int v = 0;
	const char *p;

	if (strncmp(name, "tpgt_", 5) || !name[5])
		return -EINVAL;
	if (name[5] == '0' && name[6])
		return -EINVAL;
	for (p = name + 5; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > VHOST_SCSI_MAX_TARGET)
			return -EINVAL;
	}
	*tpgt = (u16)v;
	return 0;
}

/*
 * Data buffers per operation code, from T10's operation code list (SPC-4,
 * SBC-3, and the common MMC-6 and SSC-4 codes).  A code that means a read
 * in one command set and a write in another is a write here; 0 is an
 * unknown code, which vhost_scsi_cdb_xfer() treats as a write.
 */
#define XF_NODATA	VHOST_SCSI_XFER_OUT	/* nothing, or tolerated data-out */
#define XF_RD		VHOST_SCSI_XFER_IN
#define XF_WR		(VHOST_SCSI_XFER_OUT | VHOST_SCSI_XFER_WRITE)
#define XF_RD_BLK	(XF_RD | VHOST_SCSI_XFER_BLOCKS)
#define XF_WR_BLK	(XF_WR | VHOST_SCSI_XFER_BLOCKS)
#define XF_VERIFY	(XF_NODATA | VHOST_SCSI_XFER_BLOCKS)	/* BYTCHK */
#define XF_BY_SA	0x80	/* decided by the service action */

static const u8 xfer_by_opcode[256] = {
	[0x00] = XF_NODATA,	/* TEST UNIT READY */
	[0x01] = XF_NODATA,	/* REZERO UNIT / REWIND */
	[0x03] = XF_RD,		/* REQUEST SENSE */
	[0x04] = XF_WR,		/* FORMAT UNIT */
	[0x05] = XF_RD,		/* READ BLOCK LIMITS */
	[0x07] = XF_WR,		/* REASSIGN BLOCKS */
	[0x08] = XF_RD_BLK,	/* READ(6) */
	[0x0a] = XF_WR_BLK,	/* WRITE(6) */
	[0x0b] = XF_NODATA,	/* SEEK(6) */
	[0x0f] = XF_RD_BLK,	/* READ REVERSE(6) */
	[0x10] = XF_WR,		/* WRITE FILEMARKS(6) */
	[0x11] = XF_NODATA,	/* SPACE(6) */
	[0x12] = XF_RD,		/* INQUIRY */
	[0x13] = XF_VERIFY,	/* VERIFY(6) */
	[0x14] = XF_RD,		/* RECOVER BUFFERED DATA */
	[0x15] = XF_WR,		/* MODE SELECT(6) */
	[0x16] = XF_NODATA,	/* RESERVE(6) */
	[0x17] = XF_NODATA,	/* RELEASE(6) */
	[0x19] = XF_WR,		/* ERASE(6) */
	[0x1a] = XF_RD,		/* MODE SENSE(6) */
	[0x1b] = XF_NODATA,	/* START STOP UNIT / LOAD UNLOAD */
	[0x1c] = XF_RD,		/* RECEIVE DIAGNOSTIC RESULTS */
	[0x1d] = XF_WR,		/* SEND DIAGNOSTIC */
	[0x1e] = XF_NODATA,	/* PREVENT ALLOW MEDIUM REMOVAL */
	[0x23] = XF_RD,		/* READ FORMAT CAPACITIES */
	[0x25] = XF_RD,		/* READ CAPACITY(10) */
	[0x28] = XF_RD_BLK,	/* READ(10) */
	[0x2a] = XF_WR_BLK,	/* WRITE(10) */
	[0x2b] = XF_NODATA,	/* SEEK(10) / LOCATE(10) */
	[0x2e] = XF_WR_BLK,	/* WRITE AND VERIFY(10) */
	[0x2f] = XF_VERIFY,	/* VERIFY(10) */
	[0x34] = XF_RD,		/* PRE-FETCH(10) / READ POSITION */
	[0x35] = XF_NODATA,	/* SYNCHRONIZE CACHE(10) */
	[0x36] = XF_NODATA,	/* LOCK UNLOCK CACHE(10) */
	[0x37] = XF_RD,		/* READ DEFECT DATA(10) */
	[0x3b] = XF_WR,		/* WRITE BUFFER */
	[0x3c] = XF_RD,		/* READ BUFFER(10) */
	[0x3e] = XF_RD,		/* READ LONG(10) */
	[0x3f] = XF_WR,		/* WRITE LONG(10) */
	[0x41] = XF_WR_BLK,	/* WRITE SAME(10) */
	[0x42] = XF_WR,		/* UNMAP; MMC READ SUB-CHANNEL */
	[0x43] = XF_RD,		/* READ TOC/PMA/ATIP */
	[0x44] = XF_RD,		/* REPORT DENSITY SUPPORT / READ HEADER */
	[0x45] = XF_NODATA,	/* PLAY AUDIO(10) */
	[0x46] = XF_RD,		/* GET CONFIGURATION */
	[0x47] = XF_NODATA,	/* PLAY AUDIO MSF */
	[0x48] = XF_WR,		/* SANITIZE */
	[0x4a] = XF_RD,		/* GET EVENT STATUS NOTIFICATION */
	[0x4b] = XF_NODATA,	/* PAUSE/RESUME */
	[0x4c] = XF_WR,		/* LOG SELECT */
	[0x4d] = XF_RD,		/* LOG SENSE */
	[0x4e] = XF_NODATA,	/* STOP PLAY/SCAN */
	[0x50] = XF_WR,		/* XDWRITE(10) */
	[0x51] = XF_WR,		/* XPWRITE(10); MMC READ DISC INFORMATION */
	[0x52] = XF_RD,		/* XDREAD(10) / READ TRACK INFORMATION */
	[0x53] = XF_WR,		/* XDWRITEREAD(10); MMC RESERVE TRACK */
	[0x54] = XF_WR,		/* SEND OPC INFORMATION */
	[0x55] = XF_WR,		/* MODE SELECT(10) */
	[0x56] = XF_NODATA,	/* RESERVE(10) */
	[0x57] = XF_NODATA,	/* RELEASE(10) */
	[0x58] = XF_WR,		/* REPAIR TRACK */
	[0x5a] = XF_RD,		/* MODE SENSE(10) */
	[0x5b] = XF_WR,		/* CLOSE TRACK/SESSION */
	[0x5c] = XF_RD,		/* READ BUFFER CAPACITY */
	[0x5d] = XF_WR,		/* SEND CUE SHEET */
	[0x5e] = XF_BY_SA,	/* PERSISTENT RESERVE IN */
	[0x5f] = XF_WR,		/* PERSISTENT RESERVE OUT */
	[0x7f] = XF_BY_SA,	/* variable length CDB */
	[0x83] = XF_WR,		/* EXTENDED COPY (THIRD-PARTY COPY OUT) */
	[0x84] = XF_RD,		/* RECEIVE COPY RESULTS (THIRD-PARTY COPY IN) */
	[0x86] = XF_RD,		/* ACCESS CONTROL IN */
	[0x87] = XF_WR,		/* ACCESS CONTROL OUT */
	[0x88] = XF_RD_BLK,	/* READ(16) */
	[0x89] = XF_WR_BLK,	/* COMPARE AND WRITE */
	[0x8a] = XF_WR_BLK,	/* WRITE(16) */
	[0x8b] = XF_WR_BLK,	/* ORWRITE(16) */
	[0x8c] = XF_RD,		/* READ ATTRIBUTE */
	[0x8d] = XF_WR,		/* WRITE ATTRIBUTE */
	[0x8e] = XF_WR_BLK,	/* WRITE AND VERIFY(16) */
	[0x8f] = XF_VERIFY,	/* VERIFY(16) */
	[0x90] = XF_NODATA,	/* PRE-FETCH(16) */
	[0x91] = XF_NODATA,	/* SYNCHRONIZE CACHE(16) / SPACE(16) */
	[0x92] = XF_NODATA,	/* LOCK UNLOCK CACHE(16) / LOCATE(16) */
	[0x93] = XF_WR_BLK,	/* WRITE SAME(16) / ERASE(16) */
	[0x9c] = XF_WR_BLK,	/* WRITE ATOMIC(16) */
	[0x9e] = XF_BY_SA,	/* SERVICE ACTION IN(16) */
	[0x9f] = XF_WR,		/* SERVICE ACTION OUT(16) */
	[0xa0] = XF_RD,		/* REPORT LUNS */
	[0xa1] = XF_WR,		/* ATA PASS-THROUGH(12); MMC BLANK */
	[0xa2] = XF_RD,		/* SECURITY PROTOCOL IN */
	[0xa3] = XF_BY_SA,	/* MAINTENANCE IN; MMC SEND KEY */
	[0xa4] = XF_WR,		/* MAINTENANCE OUT; MMC REPORT KEY */
	[0xa5] = XF_NODATA,	/* PLAY AUDIO(12) */
	[0xa6] = XF_NODATA,	/* LOAD/UNLOAD MEDIUM */
	[0xa8] = XF_RD_BLK,	/* READ(12) */
	[0xa9] = XF_WR,		/* SERVICE ACTION OUT(12) */
	[0xaa] = XF_WR_BLK,	/* WRITE(12) */
	[0xab] = XF_BY_SA,	/* SERVICE ACTION IN(12) */
	[0xac] = XF_RD,		/* GET PERFORMANCE */
	[0xad] = XF_RD,		/* READ DISC STRUCTURE */
	[0xae] = XF_WR_BLK,	/* WRITE AND VERIFY(12) */
	[0xaf] = XF_VERIFY,	/* VERIFY(12) */
	[0xb5] = XF_WR,		/* SECURITY PROTOCOL OUT */
	[0xb6] = XF_WR,		/* SET STREAMING */
	[0xb7] = XF_RD,		/* READ DEFECT DATA(12) */
	[0xb9] = XF_RD,		/* READ CD MSF */
	[0xbb] = XF_NODATA,	/* SET CD SPEED */
	[0xbd] = XF_RD,		/* MECHANISM STATUS */
	[0xbe] = XF_RD,		/* READ CD */
	[0xbf] = XF_WR,		/* SEND DISC STRUCTURE */
};

/* Codes that name several commands, told apart by their service action. */
static u8 xfer_by_service_action(const u8 *cdb)
{
	u16 sa = cdb[1] & 0x1f;

	switch (cdb[0]) {
	case 0x5e:	/* READ KEYS ... READ FULL STATUS */
		return sa <= 0x03 ? XF_RD : 0;
	case 0x9e:	/* READ CAPACITY(16) ... GET STREAM STATUS */
		return (sa >= 0x10 && sa <= 0x13) || sa == 0x16 ? XF_RD : 0;
	case 0xa3:	/* REPORT IDENTIFYING INFO ... MANAGEMENT PROTOCOL IN;
			 * MMC SEND KEY (a write) has 0 there
			 */
		return sa == 0x05 || (sa >= 0x0a && sa <= 0x10) ? XF_RD : 0;
	case 0xab:	/* READ MEDIA SERIAL NUMBER */
		return sa == 0x01 ? XF_RD : 0;
	}
	/* 0x7f: the service action is bytes 8-9. */
	switch ((u16)(cdb[8] << 8 | cdb[9])) {
	case 0x0003:	/* XDREAD(32) */
	case 0x0009:	/* READ(32) */
		return XF_RD_BLK;
	case 0x000a:	/* VERIFY(32) */
		return XF_VERIFY;
	case 0x000b:	/* WRITE(32) */
	case 0x000c:	/* WRITE AND VERIFY(32) */
	case 0x000d:	/* WRITE SAME(32) */
	case 0x000e:	/* ORWRITE(32) */
		return XF_WR_BLK;
	}
	return 0;
}

/**
 * vhost_scsi_cdb_xfer() - which data buffer a CDB may come with
 * @cdb:	at least VHOST_SCSI_CDB_SIZE bytes
 *
 * Fail closed: a command not known to return data to the initiator never
 * gets VHOST_SCSI_XFER_IN, and one not known to leave the medium alone is
 * VHOST_SCSI_XFER_WRITE, so that the target core's write-protect check
 * sees it as data-out.
 *
 * Return: VHOST_SCSI_XFER_* flags.
 */
unsigned int vhost_scsi_cdb_xfer(const u8 *cdb)
{
	u8 x = xfer_by_opcode[cdb[0]];

	if (x == XF_BY_SA)
		x = xfer_by_service_action(cdb);
	return x ? x : XF_WR;
}

/**
 * vhost_scsi_data_dir() - the direction to hand a request to the target core
 * @cdb:	at least VHOST_SCSI_CDB_SIZE bytes
 * @in:		the request has a data-in buffer (device-writable bytes
 *		after the response)
 * @out:	the request has a data-out buffer (bytes after the header)
 *
 * The direction comes from the CDB; the buffers may only agree with it.
 * Both buffers at once (bidirectional commands) are refused.
 *
 * Return: VHOST_SCSI_DIR_*.
 */
enum vhost_scsi_dir vhost_scsi_data_dir(const u8 *cdb, bool in, bool out)
{
	unsigned int x = vhost_scsi_cdb_xfer(cdb);

	if (in && out)
		return VHOST_SCSI_DIR_REFUSED;
	if (in)
		return x & VHOST_SCSI_XFER_IN ? VHOST_SCSI_DIR_IN :
						VHOST_SCSI_DIR_REFUSED;
	if (out)
		return x & VHOST_SCSI_XFER_OUT ? VHOST_SCSI_DIR_OUT :
						 VHOST_SCSI_DIR_REFUSED;
	return x & VHOST_SCSI_XFER_WRITE ? VHOST_SCSI_DIR_OUT :
					   VHOST_SCSI_DIR_NONE;
}
