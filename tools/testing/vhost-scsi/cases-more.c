// SPDX-License-Identifier: GPL-2.0
/*
 * More data-path cases: requests that need both directions, the most
 * segments one request may carry, and the response written across many
 * descriptors while the data moves.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi-test.h"

/* Data-out and data-in together without VIRTIO_SCSI_F_INOUT: S_FAILURE. */
static int inout_rejected_without_feature(struct tctx *t)
{
	uint8_t out[512], in[512], cdb[16];
	struct vscsi_cmd cmd;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	memset(out, 0x5a, sizeof(out));
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = scsi_cdb_write10(cdb, 0, 1);
	cmd.data_out = out;
	cmd.data_out_len = sizeof(out);
	cmd.data_in = in;
	cmd.data_in_len = sizeof(in);
	return expect_refused(t, &cmd, VIRTIO_SCSI_S_FAILURE,
			      "WRITE(10) with data-in too");
}

/* See vscsi-test.h.  Up to 8 MiB: a minute before it counts as lost. */
int rw16(struct tctx *t, bool write, uint64_t lba, void *buf, uint32_t bytes,
	 uint32_t pi, const struct vscsi_split *sp)
{
	const char *what = write ? "WRITE(16)" : "READ(16)";
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[16];
	int ret;

	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	if (write) {
		cmd.cdb_len = scsi_cdb_write16(cdb, lba, bytes / 512);
		cmd.data_out = buf;
		cmd.data_out_len = pi + bytes;
		cmd.pi_bytesout = pi;
	} else {
		cmd.cdb_len = scsi_cdb_read16(cdb, lba, bytes / 512);
		cmd.data_in = buf;
		cmd.data_in_len = pi + bytes;
		cmd.pi_bytesin = pi;
	}
	cmd.split = sp;
	cmd.timeout_ms = 60000;
	ret = run_cmd(t, &cmd, what, &res);
	if (!ret)
		ret = expect_good(t, what, &res);
	if (!ret && res.resid)
		ret = tfail(t, "expected %s resid 0, got %u", what, res.resid);
	return ret;
}

/*
 * Write @bytes at @lba with @sp and read them back with @sp.  Another
 * pattern goes there first (natural layout), so that a WRITE that moves
 * no data reads back the old bytes and fails; data-in starts zeroed, so
 * a READ that moves none fails too.
 */
static int rw_split(struct tctx *t, uint64_t lba, unsigned int seed,
		    uint32_t bytes, const struct vscsi_split *sp)
{
	uint8_t *out = malloc(bytes), *in = malloc(bytes);
	int ret;

	if (!out || !in) {
		ret = tfail(t, "expected %u bytes of test memory", bytes);
		goto out;
	}
	fill_pattern(out, bytes, lba, seed + 1000);
	ret = rw16(t, true, lba, out, bytes, 0, NULL);
	if (ret)
		goto out;
	fill_pattern(out, bytes, lba, seed);
	memset(in, 0, bytes);
	ret = rw16(t, true, lba, out, bytes, 0, sp);
	if (!ret)
		ret = rw16(t, false, lba, in, bytes, 0, sp);
	if (!ret && memcmp(out, in, bytes))
		ret = tfail(t, "expected the data read back as written, got "
			    "different bytes");
out:
	free(out);
	free(in);
	return ret;
}

/* 4 MiB as 1024 descriptors of 4 KiB in one indirect table: vhost's limit. */
static int rw_max_segments_indirect(struct tctx *t)
{
	struct vscsi_opts opts = { .mem_size = 64 << 20 };
	struct vscsi_split sp = {
		.mode = VSCSI_SPLIT_EVERY, .every = 4096, .indirect = true,
	};
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	/* The header and response take a descriptor each, data the rest. */
	return rw_split(t, 2048, 77, (1024 - 2) * 4096, &sp);
}

/* 256 KiB in 512-byte descriptors: many segments per page, none aligned. */
static int rw_sector_segments(struct tctx *t)
{
	struct vscsi_opts opts = { .mem_size = 64 << 20 };
	struct vscsi_split sp = {
		.mode = VSCSI_SPLIT_EVERY, .every = 512, .indirect = true,
	};
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	return rw_split(t, 16384, 78, 256 << 10, &sp);
}

/* 8 MiB with header and data in one descriptor per direction (ANY_LAYOUT). */
static int rw_8m_merged_layout(struct tctx *t)
{
	struct vscsi_opts opts = { .mem_size = 64 << 20 };
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_MERGED };
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	if (t->cfg->lun_bytes[0] && t->cfg->lun_bytes[0] < (20u << 20))
		return tfail(t, "expected LUN %u of 20 MiB or more", lun0(t));
	return rw_split(t, 20480, 79, 8 << 20, &sp);
}

/*
 * Page counts on either side of the scatterlist a command holds inline (32
 * entries) and of the first chained chunk after it (31 + 128), each
 * written and read back unchanged; then 32 pages cut 512 bytes in, which
 * take 33 entries.
 */
static int rw_inline_sgl_edges(struct tctx *t)
{
	static const uint32_t pages[] = { 1, 31, 32, 33, 159, 160 };
	struct vscsi_opts opts = { .mem_size = 64 << 20 };
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_CUTS,
				  .n_out_cuts = 1, .n_in_cuts = 1 };
	unsigned int i;
	int ret = fix_attach(t, &opts);

	for (i = 0; !ret && i < sizeof(pages) / sizeof(pages[0]); i++) {
		ret = rw_split(t, 98304, 81 + i, pages[i] * 4096, NULL);
		if (ret)
			tnote(t, "failed with %u pages", pages[i]);
	}
	if (ret)
		return ret;
	sp.out_cuts[0] = VSCSI_REQ_FIXED_SIZE + VSCSI_CDB_SIZE + 512;
	sp.in_cuts[0] = VSCSI_RESP_SIZE + 512;
	ret = rw_split(t, 98304, 90, 32 * 4096, &sp);
	if (ret)
		tnote(t, "failed with 32 pages cut at 512 bytes");
	return ret;
}

/*
 * One page more than a command may map (VHOST_SCSI_DATA_SGL, 2,112
 * entries) is answered S_FAILURE without reaching the target core, and the
 * queue goes on.
 */
static int rw_over_max_pages_failure(struct tctx *t)
{
	const uint32_t bytes = (2048 + 64 + 1) * 4096;
	struct vscsi_opts opts = { .mem_size = 64 << 20 };
	uint8_t *in = malloc(bytes), cdb[16];
	struct vscsi_cmd cmd;
	int ret = fix_attach(t, &opts);

	if (!ret && !in)
		ret = tfail(t, "expected %u bytes of test memory", bytes);
	if (ret)
		goto out;
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = scsi_cdb_read16(cdb, 0, bytes / 512);
	cmd.data_in = in;
	cmd.data_in_len = bytes;
	ret = expect_refused(t, &cmd, VIRTIO_SCSI_S_FAILURE,
			     "READ(16) of 2,113 pages");
out:
	free(in);
	return ret;
}

/* Ack VIRTIO_SCSI_F_T10_PI: requests then carry virtio_scsi_cmd_req_pi. */
int attach_pi(struct tctx *t)
{
	struct vscsi_opts opts = {
		.features_given = true,
		.features = VSCSI_DEFAULT_FEATURES | (1ULL << VIRTIO_SCSI_F_T10_PI),
	};
	uint64_t offered;
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	if (vscsi_get_features(t->dev, &offered) ||
	    !(offered & (1ULL << VIRTIO_SCSI_F_T10_PI)))
		return tfail(t, "expected VIRTIO_SCSI_F_T10_PI offered");
	return T_PASS;
}

/* The _pi header layout with no protection bytes: data moves as usual. */
static int t10_pi_header_rw(struct tctx *t)
{
	int ret = attach_pi(t);

	return ret ? ret : rw_split(t, 40960, 80, 64 << 10, NULL);
}

/*
 * Write @data bytes led by 8 protection bytes per block, read them back
 * the same way, and compare the data.
 */
static int rw_pi(struct tctx *t, uint32_t data)
{
	const uint32_t pi = data / 512 * 8;
	uint8_t *out = calloc(1, pi + data), *in = malloc(pi + data);
	int ret;

	if (!out || !in) {
		ret = tfail(t, "expected %u bytes of test memory", pi + data);
	} else {
		fill_pattern(out + pi, data, 4096, 13);
		ret = rw16(t, true, 4096, out, data, pi, NULL);
	}
	if (!ret)
		ret = rw16(t, false, 4096, in, data, pi, NULL);
	if (!ret && memcmp(out + pi, in + pi, data))
		ret = tfail(t, "expected the data read back unchanged, got different bytes");
	if (ret)
		tnote(t, "failed with %u data bytes and %u PI bytes", data, pi);
	free(out);
	free(in);
	return ret;
}

/*
 * Protection bytes in one page, in two (the inline entries a T10-PI pool
 * has) and in four (chained), with data inline and chained.
 */
static int rw_pi_sizes(struct tctx *t)
{
	static const uint32_t data[] = { 4096, 128 << 10, 512 << 10,
					 1 << 20 };
	unsigned int i;
	int ret = T_PASS;

	for (i = 0; !ret && i < sizeof(data) / sizeof(data[0]); i++)
		ret = rw_pi(t, data[i]);
	return ret;
}

static int t10_pi_inline_and_chained(struct tctx *t)
{
	int ret = attach_pi(t);

	return ret ? ret : rw_pi_sizes(t);
}

/*
 * T10-PI acked only after SET_ENDPOINT: the pool was made without inline
 * protection entries, so every protection buffer is chained.
 */
static int t10_pi_acked_after_endpoint(struct tctx *t)
{
	struct vscsi_opts opts = { .mem_size = 64 << 20 };
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	ret = vscsi_set_features(t->dev, VSCSI_DEFAULT_FEATURES |
				 (1ULL << VIRTIO_SCSI_F_T10_PI));
	if (ret)
		return tfail(t, "expected SET_FEATURES with T10_PI to succeed, got %s",
			     err_name(ret));
	return rw_pi_sizes(t);
}

/* See vscsi-test.h. */
int pi_write_block(struct tctx *t, const uint8_t *out, uint32_t len,
		   uint32_t pi, struct vscsi_result *res)
{
	struct vscsi_cmd cmd;
	uint8_t cdb[10];

	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = scsi_cdb_write10(cdb, PI_LBA, 1);
	cmd.data_out = out;
	cmd.data_out_len = len;
	cmd.pi_bytesout = pi;
	return run_cmd(t, &cmd, "WRITE(10) with protection bytes", res);
}

/* pi_bytesout larger than the data-out buffer: S_FAILURE, device fine. */
static int t10_pi_bytes_beyond_data_failure(struct tctx *t)
{
	uint8_t out[512] = { 0 };
	struct vscsi_result res;
	int ret = attach_pi(t);

	if (!ret)
		ret = pi_write_block(t, out, sizeof(out), 4096, &res);
	if (!ret)
		ret = expect_response(t, "WRITE(10) with 4096 PI bytes in 512",
				      &res, VIRTIO_SCSI_S_FAILURE);
	return ret ? ret : run_tur(t, vscsi_req_vq(t->dev, 0),
				   "TUR afterwards");
}

#define POOL_RING	1024	/* the module's pool stops at 1024 commands */
#define POOL_MAX_CMDS	1100

/*
 * @n one-block READs of the dm-delay LUN, all in flight at once on the
 * first request queue of a ring of @ring entries (one indirect descriptor
 * each), then every answer: @good GOOD, @full TASK SET FULL; anything else
 * fails the case.
 */
static int pool_fill(struct tctx *t, unsigned int ring, unsigned int n,
		     unsigned int *good, unsigned int *full)
{
	struct vscsi_opts opts = { .queue_size = ring, .mem_size = 64 << 20 };
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_NATURAL,
				  .indirect = true };
	static struct vscsi_req reqs[POOL_MAX_CMDS];
	static uint8_t data[POOL_MAX_CMDS][512];
	unsigned int i, other = 0;
	struct vscsi_vq *vq;
	uint8_t cdb[16];
	int ret;

	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)");
	ret = fix_attach(t, &opts);
	if (ret)
		return ret;
	vq = vscsi_req_vq(t->dev, 0);
	scsi_cdb_read10(cdb, 0, 1);
	for (i = 0; i < n; i++) {
		struct vscsi_cmd cmd;

		cmd_init(t, &cmd, t->cfg->slow_lun);
		cmd.cdb = cdb;
		cmd.cdb_len = 10;
		cmd.data_in = data[i];
		cmd.data_in_len = sizeof(data[i]);
		cmd.split = &sp;
		ret = vscsi_req_submit(t->dev, vq, &reqs[i], &cmd, i == n - 1);
		if (ret)
			return tfail(t, "expected command %u submitted, got %s",
				     i, err_name(ret));
	}
	*good = *full = 0;
	for (i = 0; i < n; i++) {
		ret = vscsi_req_wait(t->dev, &reqs[i],
				     10 * (int)t->cfg->slow_ms + 10000);
		if (ret)
			return tfail(t, "expected command %u answered, got %s",
				     i, err_name(ret));
		if (reqs[i].res.response != VIRTIO_SCSI_S_OK)
			other++;
		else if (reqs[i].res.status == SCSI_STATUS_TASK_SET_FULL)
			(*full)++;
		else if (reqs[i].res.status == SCSI_STATUS_GOOD)
			(*good)++;
		else
			other++;
	}
	if (other)
		return tfail(t, "expected only GOOD and TASK SET FULL, got %u GOOD, %u TASK SET FULL, %u other",
			     *good, *full, other);
	return T_PASS;
}

/*
 * A 1024-entry ring keeps 1024 commands in flight: the pool grows from its
 * 128 commands, 64 at a time (14 chunks), and once the queue drains, two
 * seconds (the slow LUN's delay) after it last grew, it shrinks back.
 */
static int pool_grows_to_ring(struct tctx *t)
{
	long long grown = vhost_stat("pool_grown");
	long long shrunk = vhost_stat("pool_shrunk");
	unsigned int good, full;
	int ret;

	if (grown < 0 || shrunk < 0)
		return tfail(t, "expected pool_grown and pool_shrunk in %s",
			     VHOST_STATS);
	ret = pool_fill(t, POOL_RING, POOL_RING, &good, &full);
	if (ret)
		return ret;
	if (full)
		return tfail(t, "expected %u GOOD, got %u GOOD, %u TASK SET FULL",
			     POOL_RING, good, full);
	grown = vhost_stat("pool_grown") - grown;
	shrunk = vhost_stat("pool_shrunk") - shrunk;
	if (grown != (POOL_RING - 128) / 64 || shrunk != 1)
		return tfail(t, "expected the pool grown by %u chunks and shrunk once, got %lld and %lld",
			     (POOL_RING - 128) / 64, grown, shrunk);
	tnote(t, "%u GOOD, pool grown by %lld chunks, shrunk %lld time",
	      good, grown, shrunk);
	return run_tur(t, vscsi_req_vq(t->dev, 0), "TUR afterwards");
}

/*
 * More commands in flight than the pool may hold (a ring larger than the
 * module's 1024-command cap): the excess is answered at once with SAM
 * status TASK SET FULL (the guest retries), never dropped, and the rest
 * complete GOOD.
 */
static int pool_exhausted_task_set_full(struct tctx *t)
{
	unsigned int good, full;
	int ret = pool_fill(t, 2 * POOL_RING, POOL_MAX_CMDS, &good, &full);

	if (ret)
		return ret;
	if (full < POOL_MAX_CMDS - POOL_RING || good + full != POOL_MAX_CMDS)
		return tfail(t, "expected at least %u TASK SET FULL and the rest GOOD, got %u GOOD, %u TASK SET FULL",
			     POOL_MAX_CMDS - POOL_RING, good, full);
	tnote(t, "%u GOOD, %u TASK SET FULL", good, full);
	return T_PASS;
}

const struct tcase more_cases[] = {
	{ "inout_rejected_without_feature", inout_rejected_without_feature },
	{ "rw_max_segments_indirect", rw_max_segments_indirect },
	{ "rw_sector_segments", rw_sector_segments },
	{ "rw_8m_merged_layout", rw_8m_merged_layout },
	{ "rw_inline_sgl_edges", rw_inline_sgl_edges },
	{ "rw_over_max_pages_failure", rw_over_max_pages_failure },
	{ "pool_grows_to_ring", pool_grows_to_ring },
	{ "pool_exhausted_task_set_full", pool_exhausted_task_set_full },
	{ "t10_pi_header_rw", t10_pi_header_rw },
	{ "t10_pi_inline_and_chained", t10_pi_inline_and_chained },
	{ "t10_pi_acked_after_endpoint", t10_pi_acked_after_endpoint },
	{ "t10_pi_bytes_beyond_data_failure", t10_pi_bytes_beyond_data_failure },
	{ NULL, NULL },
};
