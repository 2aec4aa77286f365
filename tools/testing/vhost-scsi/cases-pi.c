// SPDX-License-Identifier: GPL-2.0
/*
 * T10-PI with real protection bytes: LUNs whose tuples the target core
 * keeps and checks (setup-targets.sh: TPG 5, a ramdisk formatted with
 * type 1 protection; TPG 6, fabric_prot_type 1 over a plain ramdisk).
 * Every tuple is 8 bytes per 512-byte block: guard tag (CRC-T10DIF of
 * the block, big endian), application tag, reference tag (the LBA's low
 * 32 bits for type 1), as the initiator lays them out in the protection
 * buffer that leads the data.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi-test.h"

#define BLK		512
#define TUPLE		8
#define APP_TAG		0x1234
#define PROTECT_1	(1 << 5)	/* WRPROTECT/RDPROTECT 001b in byte 1 */
#define SENSE_ABORTED	0x0b
#define ASC_PI_ERROR	0x10		/* ASCQ 01 guard, 03 reference tag */

/* CRC-T10DIF: polynomial 0x8bb7, initial value 0, no reflection. */
static uint16_t crc_t10dif(const uint8_t *p, size_t len)
{
	static uint16_t table[256];
	uint16_t crc = 0;
	unsigned int i, b;

	if (!table[1])
		for (i = 0; i < 256; i++) {
			crc = i << 8;
			for (b = 0; b < 8; b++)
				crc = crc & 0x8000 ? (crc << 1) ^ 0x8bb7 :
				      crc << 1;
			table[i] = crc;
		}
	for (crc = 0; len; len--)
		crc = (crc << 8) ^ table[((crc >> 8) ^ *p++) & 0xff];
	return crc;
}

static void put_be(uint8_t *p, uint32_t v, unsigned int bytes)
{
	while (bytes--) {
		p[bytes] = v & 0xff;
		v >>= 8;
	}
}

/* The tuples of @blocks blocks of @data at @lba into @pi. */
static void pi_fill(uint8_t *pi, const uint8_t *data, uint32_t blocks,
		    uint64_t lba)
{
	uint32_t i;

	for (i = 0; i < blocks; i++, pi += TUPLE) {
		put_be(pi, crc_t10dif(data + (size_t)i * BLK, BLK), 2);
		put_be(pi + 2, APP_TAG, 2);
		put_be(pi + 4, (uint32_t)(lba + i), 4);
	}
}

/*
 * One WRITE(16) or READ(16) of @blocks at @lba to LUN 0 of @target,
 * PROTECT field @protect, @buf holding @pi protection bytes and then the
 * data, through @sp.  0 and @res, or a FAIL if it was not answered.
 */
struct pi_io {
	unsigned int target;
	bool write;
	uint8_t protect;
	uint64_t lba;
	uint32_t blocks;
	uint8_t *buf;
	uint32_t pi;
	const struct vscsi_split *sp;
	struct vscsi_result res;
};

static int pi_run(struct tctx *t, struct pi_io *io)
{
	uint32_t len = io->pi + io->blocks * BLK;
	struct vscsi_cmd cmd;
	uint8_t cdb[16];
	int ret;

	cmd_init(t, &cmd, 0);
	cmd.target = io->target;
	cmd.cdb = cdb;
	cmd.split = io->sp;
	cmd.timeout_ms = 60000;
	if (io->write) {
		cmd.cdb_len = scsi_cdb_write16(cdb, io->lba, io->blocks);
		cmd.data_out = io->buf;
		cmd.data_out_len = len;
		cmd.pi_bytesout = io->pi;
	} else {
		cmd.cdb_len = scsi_cdb_read16(cdb, io->lba, io->blocks);
		cmd.data_in = io->buf;
		cmd.data_in_len = len;
		cmd.pi_bytesin = io->pi;
	}
	cdb[1] |= io->protect;
	ret = vscsi_cmd_run(t->dev, &cmd, &io->res);
	if (ret)
		return tfail(t, "expected %s to LBA %llu answered, got %s",
			     io->write ? "WRITE(16)" : "READ(16)",
			     (unsigned long long)io->lba, err_name(ret));
	return T_PASS;
}

/* pi_run(), which must be answered GOOD. */
static int pi_good(struct tctx *t, struct pi_io *io, const char *what)
{
	int ret = pi_run(t, io);

	return ret ? ret : expect_good(t, what, &io->res);
}

/* Attach with T10-PI acked; skip without the TPG @target. */
static int pi_attach(struct tctx *t, unsigned int target)
{
	if (!target)
		return tskip(t, "VSCSI_PI_TARGET/VSCSI_FABRIC_PI_TARGET not set "
			     "(no protection TPGs from setup-targets.sh)");
	return attach_pi(t);
}

/* A buffer of @blocks blocks of pattern @seed led by their tuples. */
static uint8_t *pi_buf(uint64_t lba, uint32_t blocks, unsigned int seed)
{
	uint8_t *b = malloc((size_t)blocks * (BLK + TUPLE));

	if (b) {
		fill_pattern(b + blocks * TUPLE, (size_t)blocks * BLK, lba,
			     seed);
		pi_fill(b, b + blocks * TUPLE, blocks, lba);
	}
	return b;
}

/*
 * Read @blocks at @lba back with RDPROTECT 1: @want's data and tuples,
 * their application tags only if @app (the target core's own tuples
 * carry none).
 */
static int pi_expect(struct tctx *t, unsigned int target, uint64_t lba,
		     uint32_t blocks, const uint8_t *want, bool app,
		     const struct vscsi_split *sp)
{
	uint32_t pi = blocks * TUPLE, i;
	uint8_t *in = malloc(pi + (size_t)blocks * BLK);
	struct pi_io io = {
		.target = target, .protect = PROTECT_1, .lba = lba,
		.blocks = blocks, .buf = in, .pi = pi, .sp = sp,
	};
	int ret = in ? T_PASS : tfail(t, "expected test memory");

	if (!ret) {
		memset(in, 0xa5, pi);
		ret = pi_good(t, &io, "READ(16) with RDPROTECT 1");
	}
	if (!ret && memcmp(in + pi, want + pi, (size_t)blocks * BLK))
		ret = tfail(t, "expected the data at LBA %llu as written, got "
			    "other bytes", (unsigned long long)lba);
	for (i = 0; !ret && i < blocks; i++) {
		const uint8_t *g = in + i * TUPLE, *w = want + i * TUPLE;

		if (memcmp(g, w, 2) || memcmp(g + 4, w + 4, 4) ||
		    (app && memcmp(g + 2, w + 2, 2)))
			ret = tfail(t, "expected block %u's tuple %02x%02x "
				    "%02x%02x %02x%02x%02x%02x, got %02x%02x "
				    "%02x%02x %02x%02x%02x%02x", i, w[0], w[1],
				    w[2], w[3], w[4], w[5], w[6], w[7], g[0],
				    g[1], g[2], g[3], g[4], g[5], g[6], g[7]);
	}
	free(in);
	return ret;
}

/* Protected WRITE of correct tuples, protected READ: both unchanged. */
static int pi_tuples_round_trip(struct tctx *t)
{
	uint8_t *out = pi_buf(64, 8, 21);
	struct pi_io io = {
		.target = t->cfg->pi_target, .write = true,
		.protect = PROTECT_1, .lba = 64, .blocks = 8, .buf = out,
		.pi = 8 * TUPLE,
	};
	int ret = pi_attach(t, t->cfg->pi_target);

	if (!ret && !out)
		ret = tfail(t, "expected test memory");
	if (!ret)
		ret = pi_good(t, &io, "WRITE(16) with WRPROTECT 1");
	if (!ret)
		ret = pi_expect(t, io.target, 64, 8, out, true, NULL);
	free(out);
	return ret;
}

/*
 * Good data and tuples at @lba, then a protected WRITE whose block 3
 * tuple has @byte flipped: CHECK CONDITION ABORTED COMMAND 10/@ascq, and
 * the first data and tuples read back.
 */
static int pi_bad_tuple(struct tctx *t, unsigned int target, uint64_t lba,
			unsigned int byte, uint8_t ascq)
{
	uint8_t *old = pi_buf(lba, 8, 31), *bad = pi_buf(lba, 8, 32);
	struct pi_io io = {
		.target = target, .write = true, .protect = PROTECT_1,
		.lba = lba, .blocks = 8, .buf = old, .pi = 8 * TUPLE,
	};
	int ret = pi_attach(t, target);

	if (!ret && (!old || !bad))
		ret = tfail(t, "expected test memory");
	if (!ret)
		ret = pi_good(t, &io, "the first WRITE(16)");
	if (!ret) {
		bad[3 * TUPLE + byte] ^= 0x40;
		io.buf = bad;
		ret = pi_run(t, &io);
	}
	if (!ret)
		ret = expect_sense(t, "WRITE(16) with a bad tuple", &io.res,
				   SENSE_ABORTED, ASC_PI_ERROR, ascq);
	if (!ret)
		ret = pi_expect(t, target, lba, 8, old, true, NULL);
	free(old);
	free(bad);
	return ret;
}

static int pi_bad_guard_check_condition(struct tctx *t)
{
	return pi_bad_tuple(t, t->cfg->pi_target, 128, 0, 0x01);
}

static int pi_bad_ref_check_condition(struct tctx *t)
{
	return pi_bad_tuple(t, t->cfg->pi_target, 192, 6, 0x03);
}

/*
 * fabric_prot_type: the backstore keeps no tuples; the target core checks
 * the initiator's on the way in (a bad guard is 10/01)...
 */
static int pi_fabric_bad_guard_check_condition(struct tctx *t)
{
	uint8_t *bad = pi_buf(256, 8, 33);
	struct pi_io io = {
		.target = t->cfg->fabric_pi_target, .write = true,
		.protect = PROTECT_1, .lba = 256, .blocks = 8, .buf = bad,
		.pi = 8 * TUPLE,
	};
	int ret = pi_attach(t, io.target);

	if (!ret && !bad)
		ret = tfail(t, "expected test memory");
	if (!ret) {
		bad[2 * TUPLE] ^= 0x40;
		ret = pi_run(t, &io);
	}
	if (!ret)
		ret = expect_sense(t, "WRITE(16) with a bad guard tag", &io.res,
				   SENSE_ABORTED, ASC_PI_ERROR, 0x01);
	free(bad);
	return ret;
}

/*
 * ... and makes them for a protected READ; and for a LUN formatted with
 * protection, it makes the tuples of a WRITE that brings none (what a
 * Linux initiator without DIX sends, WRPROTECT 0).  Either way the READ
 * returns guard tag = CRC of the data written, reference tag = LBA.
 */
static int pi_generated(struct tctx *t, unsigned int target, uint64_t lba)
{
	uint8_t *out = pi_buf(lba, 8, 34);
	struct pi_io io = {
		.target = target, .write = true, .lba = lba, .blocks = 8,
	};
	int ret = pi_attach(t, target);

	if (!ret && !out)
		ret = tfail(t, "expected test memory");
	if (!ret) {
		io.buf = out + 8 * TUPLE;
		ret = pi_good(t, &io, "WRITE(16) without protection bytes");
	}
	if (!ret) {
		io.write = false;
		io.buf = malloc(8 * BLK);
		ret = io.buf ? pi_good(t, &io, "READ(16) without protection") :
			       tfail(t, "expected test memory");
		free(io.buf);
	}
	if (!ret)
		ret = pi_expect(t, target, lba, 8, out, false, NULL);
	free(out);
	return ret;
}

static int pi_fabric_read_generates(struct tctx *t)
{
	return pi_generated(t, t->cfg->fabric_pi_target, 320);
}

static int pi_unprotected_write_generates(struct tctx *t)
{
	return pi_generated(t, t->cfg->pi_target, 384);
}

/*
 * The largest transfer the module maps, 8 MiB (16384 blocks), with its
 * 128 KiB of tuples in 256 descriptors of 512 bytes, as a guest's
 * per-bio protection buffers come: written and read back unchanged.
 */
static int pi_max_transfer_split(struct tctx *t)
{
	const uint32_t blocks = 16384, pi = blocks * TUPLE;
	uint8_t *out = pi_buf(0, blocks, 35);
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_CUTS, .indirect = true };
	struct pi_io io = {
		.target = t->cfg->pi_target, .write = true,
		.protect = PROTECT_1, .blocks = blocks, .buf = out, .pi = pi,
		.sp = &sp,
	};
	int ret = pi_attach(t, io.target);
	uint32_t hdr, i;

	if (!ret && !out)
		ret = tfail(t, "expected test memory");
	if (ret)
		goto out;
	hdr = VSCSI_REQ_FIXED_SIZE + 8 + t->dev->cdb_size;
	sp.n_out_cuts = sp.n_in_cuts = VSCSI_MAX_CUTS;
	for (i = 0; i < VSCSI_MAX_CUTS; i++) {
		sp.out_cuts[i] = hdr + i * (pi / VSCSI_MAX_CUTS);
		sp.in_cuts[i] = VSCSI_RESP_SIZE + i * (pi / VSCSI_MAX_CUTS);
	}
	ret = pi_good(t, &io, "WRITE(16) of 8 MiB with 256 PI descriptors");
	if (!ret)
		ret = pi_expect(t, io.target, 0, blocks, out, true, &sp);
out:
	free(out);
	return ret;
}

/*
 * Whole tuples split across descriptors inside a tuple (3 + 61 bytes):
 * the target core's DIF code reads each tuple from one segment, so this
 * must not reach it.  CHECK CONDITION INVALID FIELD IN COMMAND
 * INFORMATION UNIT, as for protection bytes that are not whole tuples,
 * and the data on the LUN unchanged.
 */
static int pi_tuple_split_check_condition(struct tctx *t)
{
	uint8_t *old = pi_buf(448, 8, 36), *new = pi_buf(448, 8, 37);
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_CUTS, .n_out_cuts = 2 };
	struct pi_io io = {
		.target = t->cfg->pi_target, .write = true,
		.protect = PROTECT_1, .lba = 448, .blocks = 8, .buf = old,
		.pi = 8 * TUPLE,
	};
	int ret = pi_attach(t, io.target);

	if (!ret && (!old || !new))
		ret = tfail(t, "expected test memory");
	if (!ret)
		ret = pi_good(t, &io, "the first WRITE(16)");
	if (!ret) {
		sp.out_cuts[0] = VSCSI_REQ_FIXED_SIZE + 8 + t->dev->cdb_size;
		sp.out_cuts[1] = sp.out_cuts[0] + 3;
		io.buf = new;
		io.sp = &sp;
		ret = pi_run(t, &io);
	}
	if (!ret)
		ret = expect_sense(t, "WRITE(16) with a tuple split at byte 3",
				   &io.res, SCSI_SENSE_ILLEGAL_REQUEST, 0x0e,
				   0x03);
	if (!ret)
		ret = pi_expect(t, io.target, 448, 8, old, true, NULL);
	free(old);
	free(new);
	return ret;
}

const struct tcase pi_cases[] = {
	{ "pi_tuples_round_trip", pi_tuples_round_trip },
	{ "pi_bad_guard_check_condition", pi_bad_guard_check_condition },
	{ "pi_bad_ref_check_condition", pi_bad_ref_check_condition },
	{ "pi_unprotected_write_generates", pi_unprotected_write_generates },
	{ "pi_fabric_bad_guard_check_condition",
	  pi_fabric_bad_guard_check_condition },
	{ "pi_fabric_read_generates", pi_fabric_read_generates },
	{ "pi_max_transfer_split", pi_max_transfer_split },
	/* Last: the unfixed module hands LIO a misaligned tuple. */
	{ "pi_tuple_split_check_condition", pi_tuple_split_check_condition },
	{ NULL, NULL },
};
