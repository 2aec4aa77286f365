// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of drivers/vhost/scsi_proto.c, the module's pure protocol
 * logic, compiled here under ASan and UBSan exactly as the module uses it.
 */
#include "../../../drivers/vhost/scsi_proto.h"
#include "check.h"

static char check_what[32];

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_le64(u8 *p, u64 v)
{
	put_le32(p, (u32)v);
	put_le32(p + 4, (u32)(v >> 32));
}

static void lun_decode_flat(void)
{
	const u8 f[8] = { 1, 5, 0x40, 0x07 };
	u8 t = 0xee;
	u16 l = 0xeeee;

	CHECK_EQ("result", vhost_scsi_decode_lun(f, &t, &l), VHOST_SCSI_LUN_OK);
	CHECK_EQ("target", t, 5);
	CHECK_EQ("lun", l, 7);
}

static void lun_decode_flat_max(void)
{
	const u8 f[8] = { 1, 255, 0x7f, 0xff };
	u8 t;
	u16 l;

	CHECK_EQ("result", vhost_scsi_decode_lun(f, &t, &l), VHOST_SCSI_LUN_OK);
	CHECK_EQ("target", t, 255);
	CHECK_EQ("lun", l, 16383);
}

static void lun_decode_peripheral(void)
{
	const u8 f[8] = { 1, 2, 0x00, 0x09 };
	u8 t;
	u16 l;

	CHECK_EQ("result", vhost_scsi_decode_lun(f, &t, &l), VHOST_SCSI_LUN_OK);
	CHECK_EQ("target", t, 2);
	CHECK_EQ("lun", l, 9);
}

static void lun_decode_rejects_byte0(void)
{
	const u8 f[8] = { 0, 1, 0x40, 0 };
	u8 t = 7;
	u16 l = 7;

	CHECK_EQ("result", vhost_scsi_decode_lun(f, &t, &l),
		 VHOST_SCSI_LUN_BAD_FORMAT);
	CHECK_EQ("target untouched", t, 7);
	CHECK_EQ("lun untouched", l, 7);
}

static void lun_decode_rejects_trailing_bytes(void)
{
	u8 f[8] = { 1, 1, 0x40, 0 };
	u8 t;
	u16 l;
	int i;

	for (i = 4; i < 8; i++) {
		f[i] = 1;
		CHECK_EQ("byte set", vhost_scsi_decode_lun(f, &t, &l),
			 VHOST_SCSI_LUN_BAD_FORMAT);
		f[i] = 0;
	}
}

static void lun_decode_rejects_bad_method(void)
{
	u8 f[8] = { 1, 1, 0x80, 0 };
	u8 t;
	u16 l;

	CHECK_EQ("method 2", vhost_scsi_decode_lun(f, &t, &l),
		 VHOST_SCSI_LUN_BAD_FORMAT);
	f[2] = 0xc1;
	CHECK_EQ("method 3 (well-known)", vhost_scsi_decode_lun(f, &t, &l),
		 VHOST_SCSI_LUN_BAD_FORMAT);
	f[2] = 0x01;
	CHECK_EQ("peripheral bus 1", vhost_scsi_decode_lun(f, &t, &l),
		 VHOST_SCSI_LUN_BAD_FORMAT);
}

static void lun_encode_roundtrip(void)
{
	static const u16 luns[] = { 0, 1, 255, 256, 4095, 16383 };
	size_t i;

	for (i = 0; i < sizeof(luns) / sizeof(luns[0]); i++) {
		u8 f[8];
		u8 t;
		u16 l;

		vhost_scsi_encode_lun(f, 3, luns[i]);
		CHECK_EQ("byte 0", f[0], 1);
		CHECK_EQ("method", f[2] >> 6, 1);
		CHECK_EQ("decodes", vhost_scsi_decode_lun(f, &t, &l),
			 VHOST_SCSI_LUN_OK);
		CHECK_EQ("target", t, 3);
		CHECK_EQ("lun", l, luns[i]);
	}
}

static void make_req(u8 *b, bool pi)
{
	const u8 lun[8] = { 1, 4, 0x40, 0x02 };
	size_t cdb = pi ? 27 : 19;
	int i;

	memset(b, 0, VHOST_SCSI_CMD_REQ_PI_SIZE);
	memcpy(b, lun, 8);
	put_le64(b + 8, 0x1122334455667788ULL);
	b[16] = 1;	/* ORDERED */
	b[17] = 9;
	b[18] = 3;
	if (pi) {
		put_le32(b + 19, 4096);
		put_le32(b + 23, 512);
	}
	for (i = 0; i < VHOST_SCSI_CDB_SIZE; i++)
		b[cdb + i] = (u8)(0xa0 + i);
}

static void cmd_req_parse(void)
{
	u8 b[VHOST_SCSI_CMD_REQ_PI_SIZE];
	struct vhost_scsi_cmd_req r;

	make_req(b, false);
	CHECK_EQ("ret", vhost_scsi_parse_cmd_req(b, VHOST_SCSI_CMD_REQ_SIZE,
						 false, true, &r), 0);
	CHECK_EQ("lun_ok", r.lun_ok, 1);
	CHECK_EQ("target", r.target, 4);
	CHECK_EQ("lun", r.lun, 2);
	CHECK_EQ("tag", r.tag, 0x1122334455667788ULL);
	CHECK_EQ("task_attr", r.task_attr, 1);
	CHECK_EQ("prio", r.prio, 9);
	CHECK_EQ("crn", r.crn, 3);
	CHECK_EQ("pi out", r.pi_bytesout, 0);
	CHECK_EQ("cdb[0]", r.cdb[0], 0xa0);
	CHECK_EQ("cdb[31]", r.cdb[31], 0xa0 + 31);
}

static void cmd_req_parse_pi(void)
{
	u8 b[VHOST_SCSI_CMD_REQ_PI_SIZE];
	struct vhost_scsi_cmd_req r;

	make_req(b, true);
	CHECK_EQ("ret", vhost_scsi_parse_cmd_req(b, sizeof(b), true, true, &r),
		 0);
	CHECK_EQ("pi out", r.pi_bytesout, 4096);
	CHECK_EQ("pi in", r.pi_bytesin, 512);
	CHECK_EQ("cdb[0]", r.cdb[0], 0xa0);
	CHECK_EQ("cdb[31]", r.cdb[31], 0xa0 + 31);
}

static void cmd_req_parse_big_endian(void)
{
	u8 b[VHOST_SCSI_CMD_REQ_PI_SIZE];
	struct vhost_scsi_cmd_req r;

	make_req(b, false);
	CHECK_EQ("ret", vhost_scsi_parse_cmd_req(b, VHOST_SCSI_CMD_REQ_SIZE,
						 false, false, &r), 0);
	CHECK_EQ("tag", r.tag, 0x8877665544332211ULL);
}

static void cmd_req_rejects_short(void)
{
	u8 b[VHOST_SCSI_CMD_REQ_PI_SIZE];
	struct vhost_scsi_cmd_req r = { .tag = 42 };

	make_req(b, true);
	CHECK_EQ("plain short", vhost_scsi_parse_cmd_req(b,
			VHOST_SCSI_CMD_REQ_SIZE - 1, false, true, &r), -EINVAL);
	CHECK_EQ("pi short", vhost_scsi_parse_cmd_req(b,
			VHOST_SCSI_CMD_REQ_PI_SIZE - 1, true, true, &r), -EINVAL);
	CHECK_EQ("untouched", r.tag, 42);
}

static void cmd_req_bad_lun_flagged(void)
{
	u8 b[VHOST_SCSI_CMD_REQ_PI_SIZE];
	struct vhost_scsi_cmd_req r;

	make_req(b, false);
	b[0] = 2;
	CHECK_EQ("ret", vhost_scsi_parse_cmd_req(b, VHOST_SCSI_CMD_REQ_SIZE,
						 false, true, &r), 0);
	CHECK_EQ("lun_ok", r.lun_ok, 0);
	CHECK_EQ("target", r.target, 0);
}

static void cdb_len_by_group(void)
{
	u8 cdb[VHOST_SCSI_CDB_SIZE] = { 0 };

	cdb[0] = 0x00;	/* TEST UNIT READY */
	CHECK_EQ("group 0", vhost_scsi_cdb_len(cdb), 6);
	cdb[0] = 0x28;	/* READ(10) */
	CHECK_EQ("group 1", vhost_scsi_cdb_len(cdb), 10);
	cdb[0] = 0x5a;	/* MODE SENSE(10) */
	CHECK_EQ("group 2", vhost_scsi_cdb_len(cdb), 10);
	cdb[0] = 0x88;	/* READ(16) */
	CHECK_EQ("group 4", vhost_scsi_cdb_len(cdb), 16);
	cdb[0] = 0xa0;	/* REPORT LUNS */
	CHECK_EQ("group 5", vhost_scsi_cdb_len(cdb), 12);
}

static void cdb_len_variable(void)
{
	u8 cdb[VHOST_SCSI_CDB_SIZE] = { 0x7f };

	cdb[7] = 0x18;
	CHECK_EQ("32-byte variable CDB", vhost_scsi_cdb_len(cdb), 32);
	cdb[7] = 0x19;
	CHECK_EQ("33-byte variable CDB", vhost_scsi_cdb_len(cdb), 33);
	cdb[7] = 0xff;
	CHECK_EQ("largest", vhost_scsi_cdb_len(cdb), 263);
}

/* Direction of @op (service action @sa in byte 1) for the given buffers. */
static enum vhost_scsi_dir dir_of(u8 op, u8 sa, bool in, bool out)
{
	u8 cdb[VHOST_SCSI_CDB_SIZE] = { op, sa };

	return vhost_scsi_data_dir(cdb, in, out);
}

static enum vhost_scsi_dir dir_of32(u16 sa, bool in, bool out)
{
	u8 cdb[VHOST_SCSI_CDB_SIZE] = { 0x7f };

	cdb[7] = 0x18;
	cdb[8] = sa >> 8;
	cdb[9] = sa & 0xff;
	return vhost_scsi_data_dir(cdb, in, out);
}

/* Each of @ops must map (in, out, nothing) to @in, @out and @none. */
static void check_ops(const u8 *ops, size_t n, enum vhost_scsi_dir in,
		      enum vhost_scsi_dir out, enum vhost_scsi_dir none)
{
	size_t i;

	for (i = 0; i < n && !check_failed; i++) {
		snprintf(check_what, sizeof(check_what), "opcode 0x%02x", ops[i]);
		CHECK_EQ(check_what, dir_of(ops[i], 0, true, false), in);
		CHECK_EQ(check_what, dir_of(ops[i], 0, false, true), out);
		CHECK_EQ(check_what, dir_of(ops[i], 0, false, false), none);
	}
}

/* INQUIRY, MODE SENSE, REPORT LUNS, READ CAPACITY, READ: in or nothing. */
static void dir_reads_take_data_in_only(void)
{
	static const u8 ops[] = { 0x12, 0x1a, 0x5a, 0xa0, 0x25, 0x28, 0x88,
				  0x08, 0xa8, 0x03, 0x4d, 0x3c };

	check_ops(ops, sizeof(ops), VHOST_SCSI_DIR_IN, VHOST_SCSI_DIR_REFUSED,
		  VHOST_SCSI_DIR_NONE);
}

/*
 * Write-class commands: never a data-in buffer; with no buffer still
 * data-out, so the target core's write-protect check applies.
 */
static void dir_writes_refuse_data_in(void)
{
	static const u8 ops[] = { 0x0a, 0x2a, 0xaa, 0x8a, 0x41, 0x93, 0x42,
				  0x89, 0x2e, 0x8e, 0x04, 0x3b, 0x5f, 0x15,
				  0x55, 0x50, 0x51, 0x53, 0x8b, 0x9c, 0x83,
				  0x07, 0x3f, 0x48, 0x4c, 0xa4, 0x9f, 0xa1 };

	check_ops(ops, sizeof(ops), VHOST_SCSI_DIR_REFUSED, VHOST_SCSI_DIR_OUT,
		  VHOST_SCSI_DIR_OUT);
}

/* No-data commands and VERIFY (BYTCHK): nothing, or data-out. */
static void dir_nodata_and_verify(void)
{
	static const u8 ops[] = { 0x00, 0x1b, 0x1e, 0x35, 0x91, 0x2f, 0x8f,
				  0xaf, 0x13, 0x90 };

	check_ops(ops, sizeof(ops), VHOST_SCSI_DIR_REFUSED, VHOST_SCSI_DIR_OUT,
		  VHOST_SCSI_DIR_NONE);
}

/* Unknown and vendor codes fail closed: never data-in, always a write. */
static void dir_unknown_fails_closed(void)
{
	static const u8 ops[] = { 0x02, 0x06, 0x0c, 0x20, 0x60, 0xc0, 0xd5,
				  0xff, 0xf0, 0x9d, 0x82 };

	check_ops(ops, sizeof(ops), VHOST_SCSI_DIR_REFUSED, VHOST_SCSI_DIR_OUT,
		  VHOST_SCSI_DIR_OUT);
}

static void dir_both_buffers_refused(void)
{
	CHECK_EQ("READ(10)", dir_of(0x28, 0, true, true),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("WRITE(10)", dir_of(0x2a, 0, true, true),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("TUR", dir_of(0x00, 0, true, true), VHOST_SCSI_DIR_REFUSED);
}

/* PR IN, SERVICE ACTION IN(16), MAINTENANCE IN: known actions only. */
static void dir_service_actions(void)
{
	u8 sa;

	for (sa = 0; sa <= 3; sa++)
		CHECK_EQ("PR IN", dir_of(0x5e, sa, true, false),
			 VHOST_SCSI_DIR_IN);
	CHECK_EQ("PR IN unknown", dir_of(0x5e, 0x1f, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("PR IN unknown, none", dir_of(0x5e, 0x1f, false, false),
		 VHOST_SCSI_DIR_OUT);
	CHECK_EQ("PR OUT", dir_of(0x5f, 0, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("READ CAPACITY(16)", dir_of(0x9e, 0x10, true, false),
		 VHOST_SCSI_DIR_IN);
	CHECK_EQ("GET LBA STATUS", dir_of(0x9e, 0x12, true, false),
		 VHOST_SCSI_DIR_IN);
	CHECK_EQ("SAI(16) unknown", dir_of(0x9e, 0x1e, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("SAI(16) service action bits only",
		 dir_of(0x9e, 0xf0, true, false), VHOST_SCSI_DIR_IN);
	CHECK_EQ("REPORT TARGET PORT GROUPS", dir_of(0xa3, 0x0a, true, false),
		 VHOST_SCSI_DIR_IN);
	CHECK_EQ("REPORT SUPPORTED OPCODES", dir_of(0xa3, 0x0c, true, false),
		 VHOST_SCSI_DIR_IN);
	CHECK_EQ("MAINTENANCE IN 0 (SEND KEY)", dir_of(0xa3, 0, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("SEND KEY data-out", dir_of(0xa3, 0, false, true),
		 VHOST_SCSI_DIR_OUT);
	CHECK_EQ("MAINTENANCE OUT", dir_of(0xa4, 0x06, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("READ MEDIA SERIAL NUMBER", dir_of(0xab, 0x01, true, false),
		 VHOST_SCSI_DIR_IN);
	CHECK_EQ("SAI(12) unknown", dir_of(0xab, 0x02, true, false),
		 VHOST_SCSI_DIR_REFUSED);
}

static void dir_variable_length(void)
{
	CHECK_EQ("READ(32)", dir_of32(0x0009, true, false), VHOST_SCSI_DIR_IN);
	CHECK_EQ("READ(32) out", dir_of32(0x0009, false, true),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("WRITE(32) in", dir_of32(0x000b, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("WRITE SAME(32) in", dir_of32(0x000d, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("WRITE SAME(32) none", dir_of32(0x000d, false, false),
		 VHOST_SCSI_DIR_OUT);
	CHECK_EQ("VERIFY(32) none", dir_of32(0x000a, false, false),
		 VHOST_SCSI_DIR_NONE);
	CHECK_EQ("VERIFY(32) in", dir_of32(0x000a, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("unknown(32) in", dir_of32(0x1234, true, false),
		 VHOST_SCSI_DIR_REFUSED);
	CHECK_EQ("unknown(32) none", dir_of32(0x1234, false, false),
		 VHOST_SCSI_DIR_OUT);
}

/* Commands whose buffer is logical blocks, for alignment checks. */
static void xfer_blocks(void)
{
	u8 cdb[VHOST_SCSI_CDB_SIZE] = { 0x2a };

	CHECK_EQ("WRITE(10)", vhost_scsi_cdb_xfer(cdb) & VHOST_SCSI_XFER_BLOCKS,
		 VHOST_SCSI_XFER_BLOCKS);
	cdb[0] = 0x93;
	CHECK_EQ("WRITE SAME(16)",
		 vhost_scsi_cdb_xfer(cdb) & VHOST_SCSI_XFER_BLOCKS,
		 VHOST_SCSI_XFER_BLOCKS);
	cdb[0] = 0x12;
	CHECK_EQ("INQUIRY", vhost_scsi_cdb_xfer(cdb) & VHOST_SCSI_XFER_BLOCKS,
		 0);
	cdb[0] = 0x42;
	CHECK_EQ("UNMAP", vhost_scsi_cdb_xfer(cdb) & VHOST_SCSI_XFER_BLOCKS, 0);
}

/* Every opcode: a data-in buffer only where "none" is not a write. */
static void dir_in_never_for_writes(void)
{
	u8 cdb[VHOST_SCSI_CDB_SIZE] = { 0 };
	unsigned int op;

	for (op = 0; op < 256; op++) {
		unsigned int x;

		cdb[0] = op;
		x = vhost_scsi_cdb_xfer(cdb);
		CHECK_EQ("in and write", (x & VHOST_SCSI_XFER_IN) &&
			 (x & VHOST_SCSI_XFER_WRITE), 0);
		CHECK_EQ("in and out", (x & VHOST_SCSI_XFER_IN) &&
			 (x & VHOST_SCSI_XFER_OUT), 0);
	}
}

static void task_attr_mapping(void)
{
	CHECK_EQ("simple", vhost_scsi_task_attr(0), 0x20);
	CHECK_EQ("ordered runs as simple", vhost_scsi_task_attr(1), 0x20);
	CHECK_EQ("head", vhost_scsi_task_attr(2), 0x21);
	CHECK_EQ("aca", vhost_scsi_task_attr(3), 0x24);
	CHECK_EQ("unknown", vhost_scsi_task_attr(4), -EINVAL);
}

static void cmd_resp_layout(void)
{
	u8 sense[200];
	u8 buf[VHOST_SCSI_CMD_RESP_SIZE];
	struct vhost_scsi_cmd_resp r = {
		.response = 3, .status = 2, .status_qualifier = 0x1234,
		.resid = 0x01020304, .sense = sense, .sense_len = 18,
	};

	memset(sense, 0x5a, sizeof(sense));
	memset(buf, 0xff, sizeof(buf));
	vhost_scsi_build_cmd_resp(buf, true, &r);
	CHECK_EQ("sense_len", buf[0] | buf[1] << 8 | buf[2] << 16, 18);
	CHECK_EQ("resid", buf[4] | buf[5] << 8 | buf[6] << 16 |
		 (u32)buf[7] << 24, 0x01020304);
	CHECK_EQ("status_qualifier", buf[8] | buf[9] << 8, 0x1234);
	CHECK_EQ("status", buf[10], 2);
	CHECK_EQ("response", buf[11], 3);
	CHECK_MEM("sense", buf + 12, sense, 18);
	CHECK_EQ("sense padding zeroed", buf[12 + 18], 0);
	CHECK_EQ("last byte zeroed", buf[sizeof(buf) - 1], 0);
}

static void cmd_resp_sense_clamped(void)
{
	u8 sense[200];
	u8 buf[VHOST_SCSI_CMD_RESP_SIZE];
	struct vhost_scsi_cmd_resp r = { .sense = sense, .sense_len = 200 };

	memset(sense, 0x5a, sizeof(sense));
	vhost_scsi_build_cmd_resp(buf, true, &r);
	CHECK_EQ("sense_len", buf[0], 96);
	CHECK_EQ("last sense byte", buf[sizeof(buf) - 1], 0x5a);
	r.sense = NULL;
	vhost_scsi_build_cmd_resp(buf, true, &r);
	CHECK_EQ("no sense buffer", buf[0], 0);
}

static void tmf_parse(void)
{
	u8 b[VHOST_SCSI_TMF_REQ_SIZE] = { 0 };
	struct vhost_scsi_tmf_req r;

	put_le32(b, 0);			/* VIRTIO_SCSI_T_TMF */
	put_le32(b + 4, 6);		/* QUERY_TASK_SET... any subtype */
	b[8] = 1;
	b[9] = 7;
	b[10] = 0x40;
	b[11] = 3;
	put_le64(b + 16, 0xabcdef);
	CHECK_EQ("type", vhost_scsi_ctrl_type(b, true), 0);
	vhost_scsi_parse_tmf_req(b, true, &r);
	CHECK_EQ("subtype", r.subtype, 6);
	CHECK_EQ("lun_ok", r.lun_ok, 1);
	CHECK_EQ("target", r.target, 7);
	CHECK_EQ("lun", r.lun, 3);
	CHECK_EQ("tag", r.tag, 0xabcdef);
	b[8] = 0;
	vhost_scsi_parse_tmf_req(b, true, &r);
	CHECK_EQ("bad lun flagged", r.lun_ok, 0);
}

static void an_parse_and_answer(void)
{
	u8 b[VHOST_SCSI_AN_REQ_SIZE] = { 0 };
	u8 resp[VHOST_SCSI_AN_RESP_SIZE];
	struct vhost_scsi_an_req r;

	put_le32(b, 2);			/* VIRTIO_SCSI_T_AN_SUBSCRIBE */
	b[4] = 1;
	b[5] = 255;
	b[6] = 0x7f;
	b[7] = 0xff;
	put_le32(b + 12, 0x54);
	vhost_scsi_parse_an_req(b, true, &r);
	CHECK_EQ("type", r.type, 2);
	CHECK_EQ("lun_ok", r.lun_ok, 1);
	CHECK_EQ("target", r.target, 255);
	CHECK_EQ("lun", r.lun, 16383);
	CHECK_EQ("event_requested", r.event_requested, 0x54);
	vhost_scsi_build_an_resp(resp, true, 0x10, 3);
	CHECK_EQ("event_actual", resp[0], 0x10);
	CHECK_EQ("response", resp[4], 3);
}

static void event_layout(void)
{
	u8 b[VHOST_SCSI_EVENT_SIZE];

	vhost_scsi_build_event(b, true, 0x80000001u, 2, 300, 1);
	CHECK_EQ("event", b[0] | b[1] << 8 | b[2] << 16 | (u32)b[3] << 24,
		 0x80000001u);
	CHECK_EQ("lun[0]", b[4], 1);
	CHECK_EQ("target", b[5], 2);
	CHECK_EQ("lun hi", b[6], 0x40 | (300 >> 8));
	CHECK_EQ("lun lo", b[7], 300 & 0xff);
	CHECK_EQ("reason", b[12], 1);
}

static void tmf_actions(void)
{
	CHECK_EQ("ABORT_TASK", vhost_scsi_tmf_action(0),
		 VHOST_SCSI_TMF_ABORT_TASK);
	CHECK_EQ("ABORT_TASK_SET", vhost_scsi_tmf_action(1),
		 VHOST_SCSI_TMF_ABORT_SET);
	CHECK_EQ("CLEAR_ACA", vhost_scsi_tmf_action(2), VHOST_SCSI_TMF_NOP);
	CHECK_EQ("CLEAR_TASK_SET", vhost_scsi_tmf_action(3),
		 VHOST_SCSI_TMF_ABORT_SET);
	CHECK_EQ("I_T_NEXUS_RESET", vhost_scsi_tmf_action(4),
		 VHOST_SCSI_TMF_NEXUS_RESET);
	CHECK_EQ("LOGICAL_UNIT_RESET", vhost_scsi_tmf_action(5),
		 VHOST_SCSI_TMF_LUN_RESET);
	CHECK_EQ("QUERY_TASK", vhost_scsi_tmf_action(6),
		 VHOST_SCSI_TMF_QUERY_TASK);
	CHECK_EQ("QUERY_TASK_SET", vhost_scsi_tmf_action(7),
		 VHOST_SCSI_TMF_QUERY_SET);
	CHECK_EQ("unknown 8", vhost_scsi_tmf_action(8), VHOST_SCSI_TMF_REJECT);
	CHECK_EQ("unknown ~0", vhost_scsi_tmf_action(0xffffffffu),
		 VHOST_SCSI_TMF_REJECT);
}

static void tmr_responses(void)
{
	CHECK_EQ("complete", vhost_scsi_tmr_to_virtio(
			VHOST_SCSI_TMR_FUNCTION_COMPLETE), 0);
	CHECK_EQ("no such task is complete", vhost_scsi_tmr_to_virtio(
			VHOST_SCSI_TMR_TASK_DOES_NOT_EXIST), 0);
	CHECK_EQ("no such lun", vhost_scsi_tmr_to_virtio(
			VHOST_SCSI_TMR_LUN_DOES_NOT_EXIST), 12);
	CHECK_EQ("not supported", vhost_scsi_tmr_to_virtio(
			VHOST_SCSI_TMR_NOT_SUPPORTED), 11);
	CHECK_EQ("rejected", vhost_scsi_tmr_to_virtio(
			VHOST_SCSI_TMR_FUNCTION_REJECTED), 11);
	CHECK_EQ("failed", vhost_scsi_tmr_to_virtio(
			VHOST_SCSI_TMR_FUNCTION_FAILED), 9);
}

static int wwn(const char *s, u8 *proto)
{
	return vhost_scsi_parse_wwn(s, strlen(s), proto);
}

static void wwn_accepts_valid_names(void)
{
	u8 p = 0xff;

	CHECK_EQ("naa 16", wwn("naa.5001405e1b2c3d4f", &p), 0);
	CHECK_EQ("naa proto SAS", p, VHOST_SCSI_PROTO_SAS);
	CHECK_EQ("naa 32", wwn("naa.6001405e1b2c3d4f6001405e1b2c3d4f", &p), 0);
	CHECK_EQ("fc", wwn("fc.21000024ff3dd5a1", &p), 0);
	CHECK_EQ("fc proto FCP", p, VHOST_SCSI_PROTO_FCP);
	CHECK_EQ("iqn", wwn("iqn.2003-01.org.linux-iscsi.host:sn.1", &p), 0);
	CHECK_EQ("iqn proto iSCSI", p, VHOST_SCSI_PROTO_ISCSI);
}

static void wwn_rejects_invalid_names(void)
{
	char longname[300];
	u8 p = 0xff;

	CHECK_EQ("naa 15 digits", wwn("naa.5001405e1b2c3d4", &p), -EINVAL);
	CHECK_EQ("naa non-hex", wwn("naa.5001405e1b2c3d4g", &p), -EINVAL);
	CHECK_EQ("naa empty", wwn("naa.", &p), -EINVAL);
	CHECK_EQ("fc short", wwn("fc.21000024ff3dd5a", &p), -EINVAL);
	CHECK_EQ("iqn no date", wwn("iqn.org.example", &p), -EINVAL);
	CHECK_EQ("iqn space", wwn("iqn.2003-01.org.ex ample", &p), -EINVAL);
	CHECK_EQ("unknown prefix", wwn("eui.0123456789abcdef", &p), -EINVAL);
	CHECK_EQ("empty", wwn("", &p), -EINVAL);
	memcpy(longname, "iqn.2003-01.org.", 16);
	memset(longname + 16, 'a', sizeof(longname) - 17);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_EQ("too long", wwn(longname, &p), -EINVAL);
	CHECK_EQ("proto untouched", p, 0xff);
}

static void tpgt_parse(void)
{
	u16 t = 0;

	CHECK_EQ("tpgt_0", vhost_scsi_parse_tpgt("tpgt_0", &t), 0);
	CHECK_EQ("value 0", t, 0);
	CHECK_EQ("tpgt_255", vhost_scsi_parse_tpgt("tpgt_255", &t), 0);
	CHECK_EQ("value 255", t, 255);
	CHECK_EQ("tpgt_256", vhost_scsi_parse_tpgt("tpgt_256", &t), -EINVAL);
	CHECK_EQ("tpgt_", vhost_scsi_parse_tpgt("tpgt_", &t), -EINVAL);
	CHECK_EQ("tpgt_01", vhost_scsi_parse_tpgt("tpgt_01", &t), -EINVAL);
	CHECK_EQ("tpgt_1a", vhost_scsi_parse_tpgt("tpgt_1a", &t), -EINVAL);
	CHECK_EQ("tpg_1", vhost_scsi_parse_tpgt("tpg_1", &t), -EINVAL);
	CHECK_EQ("huge", vhost_scsi_parse_tpgt("tpgt_99999999999999", &t),
		 -EINVAL);
	CHECK_EQ("value kept", t, 255);
}

static const struct check_case cases[] = {
	CASE(lun_decode_flat),
	CASE(lun_decode_flat_max),
	CASE(lun_decode_peripheral),
	CASE(lun_decode_rejects_byte0),
	CASE(lun_decode_rejects_trailing_bytes),
	CASE(lun_decode_rejects_bad_method),
	CASE(lun_encode_roundtrip),
	CASE(cmd_req_parse),
	CASE(cmd_req_parse_pi),
	CASE(cmd_req_parse_big_endian),
	CASE(cmd_req_rejects_short),
	CASE(cmd_req_bad_lun_flagged),
	CASE(cdb_len_by_group),
	CASE(cdb_len_variable),
	CASE(dir_reads_take_data_in_only),
	CASE(dir_writes_refuse_data_in),
	CASE(dir_nodata_and_verify),
	CASE(dir_unknown_fails_closed),
	CASE(dir_both_buffers_refused),
	CASE(dir_service_actions),
	CASE(dir_variable_length),
	CASE(xfer_blocks),
	CASE(dir_in_never_for_writes),
	CASE(task_attr_mapping),
	CASE(cmd_resp_layout),
	CASE(cmd_resp_sense_clamped),
	CASE(tmf_parse),
	CASE(an_parse_and_answer),
	CASE(event_layout),
	CASE(tmf_actions),
	CASE(tmr_responses),
	CASE(wwn_accepts_valid_names),
	CASE(wwn_rejects_invalid_names),
	CASE(tpgt_parse),
};

int main(int argc, char **argv)
{
	return check_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
