// SPDX-License-Identifier: GPL-2.0
/*
 * Data-path cases with well-formed requests: discovery commands, reads and
 * writes under every descriptor layout, several queues in flight, and the
 * addressing errors the spec gives a response for.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi-test.h"

/* Run a data-in command on @lun; the result must be OK/GOOD. */
static int run_in(struct tctx *t, unsigned int lun, const uint8_t *cdb,
		  size_t cdb_len, uint8_t *buf, uint32_t len, const char *what)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	int ret;

	cmd_init(t, &cmd, lun);
	cmd.cdb = cdb;
	cmd.cdb_len = cdb_len;
	cmd.data_in = buf;
	cmd.data_in_len = len;
	ret = vscsi_cmd_run(t->dev, &cmd, &res);
	if (ret)
		return tfail(t, "expected %s to complete, got %s", what,
			     err_name(ret));
	return expect_good(t, what, &res);
}

static int tur_ok(struct tctx *t)
{
	int ret = fix_attach(t, NULL);

	return ret ? ret : run_tur(t, vscsi_req_vq(t->dev, 0), "TEST UNIT READY");
}

/*
 * used.len is what the device wrote: the response, plus the data-in a
 * READ returned.  A driver may ignore bytes past it (virtio 1.x, 2.7.8),
 * so a device that reports less loses the guest its data.
 */
static int used_len_counts_bytes_written(struct tctx *t)
{
	static uint8_t buf[4096];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[10];
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = tur_on(t, vscsi_req_vq(t->dev, 0), lun0(t), &res, NULL);
	if (!ret && res.used_len != res.want_used_len)
		return tfail(t, "expected TUR used.len %u, got %u",
			     res.want_used_len, res.used_len);
	if (ret)
		return tfail(t, "expected TUR to complete, got %s",
			     err_name(ret));
	read10_cmd_init(t, &cmd, lun0(t), cdb, 0, sizeof(buf) / 512, buf,
			sizeof(buf));
	ret = run_cmd(t, &cmd, "READ(10)", &res);
	if (ret)
		return ret;
	if (res.used_len != res.want_used_len)
		return tfail(t, "expected READ(10) used.len %u (response + "
			     "4096), got %u", res.want_used_len, res.used_len);
	return expect_good(t, "READ(10)", &res);
}

static int inquiry_std_lio_org(struct tctx *t)
{
	uint8_t cdb[6], buf[96];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = run_in(t, lun0(t), cdb, scsi_cdb_inquiry(cdb, false, 0, 96),
		     buf, sizeof(buf), "INQUIRY");
	if (ret)
		return ret;
	if ((buf[0] & 0xe0) != 0)
		return tfail(t, "expected peripheral qualifier 0, got %u",
			     buf[0] >> 5);
	if (buf[4] < 31)
		return tfail(t, "expected additional length >= 31, got %u",
			     buf[4]);
	if (memcmp(buf + 8, "LIO-ORG ", 8))
		return tfail(t, "expected vendor 'LIO-ORG ', got '%.8s'",
			     buf + 8);
	return T_PASS;
}

static int inquiry_vpd(struct tctx *t, uint8_t page, uint8_t *buf,
		       uint16_t len)
{
	uint8_t cdb[6];
	char what[32];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	snprintf(what, sizeof(what), "INQUIRY VPD 0x%02x", page);
	ret = run_in(t, lun0(t), cdb, scsi_cdb_inquiry(cdb, true, page, len),
		     buf, len, what);
	if (ret)
		return ret;
	if (buf[1] != page)
		return tfail(t, "expected page code 0x%02x, got 0x%02x", page,
			     buf[1]);
	if (!scsi_get_be16(buf + 2))
		return tfail(t, "expected nonzero page length, got 0");
	return T_PASS;
}

static int inquiry_vpd80(struct tctx *t)
{
	uint8_t buf[256];
	int ret = inquiry_vpd(t, 0x80, buf, sizeof(buf));

	if (ret)
		return ret;
	if (buf[4] == ' ' || buf[4] == 0)
		return tfail(t, "expected a unit serial number, got blank");
	return T_PASS;
}

/* An NAA designator (type 3) associated with the LU must be present. */
static int inquiry_vpd83(struct tctx *t)
{
	uint8_t buf[512];
	unsigned int off, end;
	int ret = inquiry_vpd(t, 0x83, buf, sizeof(buf));

	if (ret)
		return ret;
	end = 4 + scsi_get_be16(buf + 2);
	if (end > sizeof(buf))
		end = sizeof(buf);
	for (off = 4; off + 4 <= end; off += 4 + buf[off + 3]) {
		bool naa = (buf[off + 1] & 0x0f) == 3;
		bool lu = (buf[off + 1] & 0x30) == 0;

		if (naa && lu)
			return T_PASS;
	}
	return tfail(t, "expected an NAA designator for the LU, got none in "
		     "%u bytes", end);
}

static bool lun_listed(const uint8_t *buf, uint32_t n, unsigned int lun)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *e = buf + 8 + 8 * i;

		if ((((e[0] & 0x3fu) << 8) | e[1]) == lun)
			return true;
	}
	return false;
}

static int report_luns(struct tctx *t)
{
	uint8_t cdb[12], buf[8 + 8 * 64];
	uint32_t n, i;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = run_in(t, lun0(t), cdb, scsi_cdb_report_luns(cdb, sizeof(buf)),
		     buf, sizeof(buf), "REPORT LUNS");
	if (ret)
		return ret;
	n = scsi_get_be32(buf) / 8;
	if (n != t->cfg->nluns)
		return tfail(t, "expected %u LUNs, got %u", t->cfg->nluns, n);
	if (n > 64)
		n = 64;
	for (i = 0; i < t->cfg->nluns; i++)
		if (!lun_listed(buf, n, t->cfg->luns[i]))
			return tfail(t, "expected LUN %u listed, got it missing",
				     t->cfg->luns[i]);
	return T_PASS;
}

/* READ CAPACITY(10|16) of LUN 0; checks against VSCSI_LUN_BYTES. */
static int readcap(struct tctx *t, bool use16)
{
	uint8_t cdb[16], buf[32];
	uint64_t last, want = t->cfg->lun_bytes[0];
	uint32_t bs;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	if (use16)
		ret = run_in(t, lun0(t), cdb, scsi_cdb_read_capacity16(cdb, 32),
			     buf, 32, "READ CAPACITY(16)");
	else
		ret = run_in(t, lun0(t), cdb, scsi_cdb_read_capacity10(cdb),
			     buf, 8, "READ CAPACITY(10)");
	if (ret)
		return ret;
	last = use16 ? scsi_get_be64(buf) : scsi_get_be32(buf);
	bs = scsi_get_be32(buf + (use16 ? 8 : 4));
	if (bs != 512)
		return tfail(t, "expected block size 512, got %u", bs);
	if (want && (last + 1) * bs != want)
		return tfail(t, "expected %" PRIu64 " bytes, got %" PRIu64,
			     want, (last + 1) * bs);
	return T_PASS;
}

static int readcap10(struct tctx *t)
{
	return readcap(t, false);
}

static int readcap16(struct tctx *t)
{
	return readcap(t, true);
}

static int rw_pattern(struct tctx *t, uint32_t bytes, bool use16,
		      uint64_t mem)
{
	struct vscsi_opts opts = { .mem_size = mem };
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	if (t->cfg->lun_bytes[0] && t->cfg->lun_bytes[0] < 2 * bytes)
		return tskip(t, "LUN %u has %" PRIu64 " bytes, need %u",
			     lun0(t), t->cfg->lun_bytes[0], 2 * bytes);
	/* Start one transfer in, so LBA 0 is not the only one exercised. */
	return write_read_verify(t, vscsi_req_vq(t->dev, 0), bytes / 512,
				 bytes, use16, NULL, NULL, bytes);
}

static int rw10_pattern_512(struct tctx *t)
{
	return rw_pattern(t, 512, false, 0);
}

static int rw10_pattern_4k(struct tctx *t)
{
	return rw_pattern(t, 4096, false, 0);
}

static int rw10_pattern_64k(struct tctx *t)
{
	return rw_pattern(t, 65536, false, 0);
}

static int rw10_pattern_1m(struct tctx *t)
{
	return rw_pattern(t, 1 << 20, false, 0);
}

static int rw16_pattern_8m(struct tctx *t)
{
	return rw_pattern(t, 8 << 20, true, 64 << 20);
}

/*
 * Header and response cut at every byte offset (one cut each), then every
 * byte a descriptor of its own, then seeded random cuts through the whole
 * request including the payload.
 */
static int rw_split_every_byte_header(struct tctx *t)
{
	struct vscsi_opts opts = { .queue_size = 256 };
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_CUTS };
	struct vscsi_vq *vq;
	unsigned int k, i, n;
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	vq = vscsi_req_vq(t->dev, 0);
	for (k = 1; k < VSCSI_RESP_SIZE; k++) {
		sp.n_out_cuts = sp.n_in_cuts = 1;
		sp.out_cuts[0] = k < VSCSI_REQ_FIXED_SIZE + VSCSI_CDB_SIZE ?
				 k : 1;
		sp.in_cuts[0] = k;
		ret = write_read_verify(t, vq, 8, 1024, false, &sp, &sp, k);
		if (ret) {
			tnote(t, "failed with the cut at byte %u", k);
			return ret;
		}
	}
	/* Every header and response byte in a descriptor of its own. */
	sp.n_out_cuts = VSCSI_REQ_FIXED_SIZE + VSCSI_CDB_SIZE;
	for (k = 0; k < sp.n_out_cuts; k++)
		sp.out_cuts[k] = k + 1;
	sp.n_in_cuts = VSCSI_RESP_SIZE;
	for (k = 0; k < sp.n_in_cuts; k++)
		sp.in_cuts[k] = k + 1;
	ret = write_read_verify(t, vq, 16, 512, false, &sp, &sp, 1);
	if (ret) {
		tnote(t, "failed with every header/response byte split");
		return ret;
	}
	srand(20240601);
	for (i = 0; i < 64; i++) {
		sp = (struct vscsi_split){ .mode = VSCSI_SPLIT_CUTS };
		n = 1 + rand() % 8;
		for (k = 0; k < n; k++) {
			sp.out_cuts[k] = 1 + rand() % (51 + 2048 - 1);
			sp.in_cuts[k] = 1 + rand() % (108 + 2048 - 1);
		}
		/* plan_cuts wants ascending cuts: sort the few we drew */
		for (k = 1; k < n; k++) {
			uint32_t o = sp.out_cuts[k], in = sp.in_cuts[k];
			int j;

			for (j = k - 1; j >= 0 && sp.out_cuts[j] > o; j--)
				sp.out_cuts[j + 1] = sp.out_cuts[j];
			sp.out_cuts[j + 1] = o;
			for (j = k - 1; j >= 0 && sp.in_cuts[j] > in; j--)
				sp.in_cuts[j + 1] = sp.in_cuts[j];
			sp.in_cuts[j + 1] = in;
		}
		sp.n_out_cuts = sp.n_in_cuts = n;
		ret = write_read_verify(t, vq, 32 + i * 4, 2048, i & 1, &sp,
					&sp, 100 + i);
		if (ret)
			return ret;
	}
	return T_PASS;
}

static int rw_indirect(struct tctx *t)
{
	static const struct vscsi_split plans[] = {
		{ .mode = VSCSI_SPLIT_NATURAL, .indirect = true },
		{ .mode = VSCSI_SPLIT_MERGED, .indirect = true },
		{ .mode = VSCSI_SPLIT_EVERY, .every = 4096, .indirect = true },
		{ .mode = VSCSI_SPLIT_EVERY, .every = 7, .indirect = true },
	};
	unsigned int i;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	if (!vscsi_has_feature(t->dev, VIRTIO_RING_F_INDIRECT_DESC))
		return tskip(t, "device does not offer RING_F_INDIRECT_DESC");
	for (i = 0; i < 4; i++) {
		ret = write_read_verify(t, vscsi_req_vq(t->dev, 0), 256 + i * 128,
					i == 3 ? 4096 : 65536, false, &plans[i],
					&plans[i], i);
		if (ret)
			return ret;
	}
	return T_PASS;
}

#define MQ_QUEUES	4
#define MQ_PER_QUEUE	32
#define MQ_BYTES	4096

static int mq_submit_all(struct tctx *t, struct vscsi_req *reqs,
			 uint8_t *bufs, uint8_t (*cdbs)[16])
{
	struct vscsi_cmd cmd;
	unsigned int q, i, n;
	int ret;

	for (q = 0; q < MQ_QUEUES; q++) {
		for (i = 0; i < MQ_PER_QUEUE; i++) {
			n = q * MQ_PER_QUEUE + i;
			fill_pattern(bufs + n * MQ_BYTES, MQ_BYTES, 4096 + n * 8, 7);
			cmd_init(t, &cmd, lun0(t));
			cmd.cdb = cdbs[n];
			cmd.cdb_len = scsi_cdb_write10(cdbs[n], 4096 + n * 8, 8);
			cmd.data_out = bufs + n * MQ_BYTES;
			cmd.data_out_len = MQ_BYTES;
			ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, q),
					       &reqs[n], &cmd, false);
			if (ret)
				return tfail(t, "expected submit %u to succeed, "
					     "got %s", n, err_name(ret));
		}
		vscsi_vq_kick(vscsi_req_vq(t->dev, q));
	}
	return T_PASS;
}

/* Reap in whatever order the device completes, matching by head id. */
static int mq_reap_all(struct tctx *t, unsigned int *out_of_order)
{
	unsigned int q, got, last;
	struct vscsi_req *req;
	struct vscsi_vq *vq;
	int head, ret;

	*out_of_order = 0;
	for (q = 0; q < MQ_QUEUES; q++) {
		vq = vscsi_req_vq(t->dev, q);
		last = 0;
		for (got = 0; got < MQ_PER_QUEUE; got++) {
			head = vscsi_vq_wait_any(vq, VSCSI_DEFAULT_TIMEOUT_MS);
			if (head < 0)
				return tfail(t, "expected %u completions on "
					     "queue %u, got %u then %s",
					     MQ_PER_QUEUE, q, got,
					     err_name(head));
			req = vq->slots[head].owner;
			vscsi_req_finish(t->dev, req);
			if (req->cmd.tag < last)
				(*out_of_order)++;
			last = req->cmd.tag;
			ret = expect_good(t, "queued WRITE", &req->res);
			if (ret)
				return ret;
		}
	}
	return T_PASS;
}

/* Read back what the queued writes put down, one request at a time. */
static int mq_verify(struct tctx *t, const uint8_t *bufs)
{
	uint8_t *in = malloc(MQ_BYTES), cdb[16];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	unsigned int n;
	int ret = T_PASS;

	for (n = 0; !ret && n < MQ_QUEUES * MQ_PER_QUEUE; n++) {
		cmd_init(t, &cmd, lun0(t));
		cmd.cdb = cdb;
		cmd.cdb_len = scsi_cdb_read10(cdb, 4096 + n * 8, 8);
		cmd.data_in = in;
		cmd.data_in_len = MQ_BYTES;
		ret = vscsi_cmd_run(t->dev, &cmd, &res);
		if (ret)
			ret = tfail(t, "expected read-back %u to complete, got %s",
				    n, err_name(ret));
		else
			ret = expect_good(t, "read-back READ", &res);
		if (!ret && memcmp(in, bufs + n * MQ_BYTES, MQ_BYTES))
			ret = tfail(t, "expected queued write %u on disk, got "
				    "different data", n);
	}
	free(in);
	return ret;
}

static int multiqueue_inflight(struct tctx *t)
{
	struct vscsi_opts opts = { .req_queues = MQ_QUEUES };
	unsigned int total = MQ_QUEUES * MQ_PER_QUEUE, ooo;
	struct vscsi_req *reqs = calloc(total, sizeof(*reqs));
	uint8_t *bufs = malloc(total * MQ_BYTES), (*cdbs)[16];
	int ret;

	cdbs = calloc(total, sizeof(*cdbs));
	ret = fix_attach(t, &opts);
	if (!ret)
		ret = mq_submit_all(t, reqs, bufs, cdbs);
	if (!ret)
		ret = mq_reap_all(t, &ooo);
	if (!ret) {
		tnote(t, "%u completions arrived out of submission order", ooo);
		ret = mq_verify(t, bufs);
	}
	free(reqs);
	free(bufs);
	free(cdbs);
	return ret;
}

/* A TUR addressed where no TPG answers: BAD_TARGET, the queue goes on. */
struct bad_addr {
	bool lun_byte0;		/* lun[0] = 2, not 1; else a missing target */
	const char *what;
};

static const struct bad_addr bad_byte0 = { true, "TUR with lun[0]=2" };
static const struct bad_addr bad_target = { false, "TUR to missing target" };

static int bad_address(struct tctx *t)
{
	const struct bad_addr *spec = t->arg;
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	if (spec->lun_byte0) {
		cmd.raw_lun = true;
		vscsi_lun_encode(cmd.lun_bytes, t->cfg->target, lun0(t));
		cmd.lun_bytes[0] = 2;
	} else {
		cmd.target = t->cfg->missing_target;
	}
	return expect_refused(t, &cmd, VIRTIO_SCSI_S_BAD_TARGET, spec->what);
}

static int lun_not_present(struct tctx *t)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	struct scsi_sense s;
	uint8_t cdb[6];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	tur_cmd_init(t, &cmd, t->cfg->missing_lun, cdb);
	ret = vscsi_cmd_run(t->dev, &cmd, &res);
	if (ret)
		return tfail(t, "expected TUR to LUN %u answered, got %s",
			     t->cfg->missing_lun, err_name(ret));
	if (res.response != VIRTIO_SCSI_S_OK ||
	    res.status != SCSI_STATUS_CHECK_CONDITION)
		return tfail(t, "expected OK/CHECK CONDITION, got %s/0x%02x",
			     vscsi_response_name(res.response), res.status);
	scsi_sense_parse(res.sense, res.sense_len, &s);
	if (s.key != SCSI_SENSE_ILLEGAL_REQUEST || s.asc != 0x25)
		return tfail(t, "expected sense 5/25, got %x/%02x/%02x", s.key,
			     s.asc, s.ascq);
	return T_PASS;
}

/*
 * An emulated command's buffer in two descriptors that share a page and
 * leave a gap between them, the second one crossing into the next page:
 * [B + 4096 + 0xc00, 8 bytes] and [B + 4096 + 0xe00, the rest].  The
 * target core answers INQUIRY, and reads MODE SELECT's parameters, through
 * one mapping of the data pages (transport_kmap_data_sg()), which assumes
 * that every scatterlist entry but the first starts a page and every one
 * but the last ends one; pinned as they are, these pages map the buffer
 * straight over the gap.  Found by vscsi fuzz --seed 1 at request 97824.
 * The header is at B, the response at B + 0x800, all else poisoned.
 */
#define SHARED_SEG1	(4096 + 0xc00)
#define SHARED_SEG1_LEN	8
#define SHARED_SEG2	(4096 + 0xe00)
#define SHARED_MAX	1024

struct shared_page {
	uint64_t base;
	uint8_t *p;
	const struct virtio_scsi_cmd_resp *resp;
};

/* Lay out @sp: header, @len bytes in two segments, poison elsewhere. */
static int shared_page_fill(struct tctx *t, struct shared_page *sp,
			    const uint8_t *cdb, size_t cdb_len,
			    const uint8_t *out, uint32_t len)
{
	uint32_t hdr_len = VSCSI_REQ_FIXED_SIZE + t->dev->cdb_size;

	sp->base = vscsi_mem_alloc(&t->dev->mem, 3 * 4096, 4096);
	if (!sp->base)
		return tfail(t, "expected guest memory, got none");
	sp->p = vscsi_mem_ptr(&t->dev->mem, sp->base, 3 * 4096);
	sp->resp = (const void *)(sp->p + 0x800);
	memset(sp->p, VSCSI_SLACK_POISON, 3 * 4096);
	memset(sp->p, 0, hdr_len);
	vscsi_lun_encode(sp->p, t->cfg->target, lun0(t));
	sp->p[8] = 0x51;			/* tag */
	memcpy(sp->p + VSCSI_REQ_FIXED_SIZE, cdb, cdb_len);
	if (out) {
		memcpy(sp->p + SHARED_SEG1, out, SHARED_SEG1_LEN);
		memcpy(sp->p + SHARED_SEG2, out + SHARED_SEG1_LEN,
		       len - SHARED_SEG1_LEN);
	}
	return 0;
}

/*
 * Run @cdb over @sp's layout with @len bytes of data-out @out, or of
 * data-in for @out NULL; the answer must be OK/GOOD.
 */
static int shared_page_run(struct tctx *t, struct shared_page *sp,
			   const uint8_t *cdb, size_t cdb_len,
			   const uint8_t *out, uint32_t len)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	struct vscsi_seg segs[4];
	unsigned int d = out ? 1 : 2;	/* readable before writable */
	int head, ret = shared_page_fill(t, sp, cdb, cdb_len, out, len);

	if (ret)
		return ret;
	segs[0] = (struct vscsi_seg){ sp->base,
				      VSCSI_REQ_FIXED_SIZE + t->dev->cdb_size,
				      false };
	segs[out ? 3 : 1] = (struct vscsi_seg){ sp->base + 0x800,
						VSCSI_RESP_SIZE, true };
	segs[d] = (struct vscsi_seg){ sp->base + SHARED_SEG1, SHARED_SEG1_LEN,
				      !out };
	segs[d + 1] = (struct vscsi_seg){ sp->base + SHARED_SEG2,
					  len - SHARED_SEG1_LEN, !out };
	head = vscsi_vq_add(vq, segs, 4, false, NULL);
	if (head >= 0)
		vscsi_vq_kick(vq);
	ret = head < 0 ? head : vscsi_vq_wait(vq, head, VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret)
		return tfail(t, "expected the command answered, got %s",
			     err_name(ret));
	if (sp->resp->response != VIRTIO_SCSI_S_OK || sp->resp->status != 0)
		return tfail(t, "expected OK/GOOD, got response %u status %#x (sense key %#x asc %#x)",
			     sp->resp->response, sp->resp->status,
			     sp->resp->sense[2] & 0xf, sp->resp->sense[12]);
	return 0;
}

static int inquiry_data_in_shared_page(struct tctx *t)
{
	uint8_t cdb[6], want[SHARED_MAX];
	struct shared_page sp = { 0 };
	uint32_t i, moved, gap = 0;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	scsi_cdb_inquiry(cdb, false, 0, SHARED_MAX);
	ret = run_in(t, lun0(t), cdb, sizeof(cdb), want, sizeof(want),
		     "INQUIRY into one descriptor");
	if (!ret)
		ret = shared_page_run(t, &sp, cdb, sizeof(cdb), NULL,
				      SHARED_MAX);
	if (ret)
		return ret;
	for (i = SHARED_SEG1 + SHARED_SEG1_LEN; i < SHARED_SEG2; i++)
		gap += sp.p[i] != VSCSI_SLACK_POISON;
	if (gap)
		return tfail(t, "expected the %u bytes between the data-in descriptors untouched, got %u changed",
			     SHARED_SEG2 - SHARED_SEG1 - SHARED_SEG1_LEN, gap);
	/* Bytes past the residual are the device's to leave alone. */
	moved = SHARED_MAX - le32toh(sp.resp->resid);
	if (moved <= SHARED_SEG1_LEN || moved > SHARED_MAX)
		return tfail(t, "expected a residual leaving the standard INQUIRY data, got resid %u",
			     le32toh(sp.resp->resid));
	if (memcmp(sp.p + SHARED_SEG1, want, SHARED_SEG1_LEN) ||
	    memcmp(sp.p + SHARED_SEG2, want + SHARED_SEG1_LEN,
		   moved - SHARED_SEG1_LEN))
		return tfail(t, "expected the %u bytes of INQUIRY data a single descriptor gets, got other bytes (vendor \"%.8s\" where \"%.8s\" belongs)",
			     moved, (const char *)sp.p + SHARED_SEG2,
			     (const char *)want + SHARED_SEG1_LEN);
	return T_PASS;
}

/*
 * MODE SELECT(6) of the caching page exactly as MODE SENSE reports it:
 * the target core takes it only if it reads back the same bytes, so
 * parameters read over the gap (poison) are refused.
 */
static int mode_select_data_out_shared_page(struct tctx *t)
{
	uint8_t sense_cdb[6] = { 0x1a, 0x08, 0x08, 0, 255, 0 };
	uint8_t select_cdb[6] = { 0x15, 0x10, 0, 0, 0, 0 };
	uint8_t page[255], param[4 + 255] = { 0 };
	struct shared_page sp = { 0 };
	uint32_t len;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = run_in(t, lun0(t), sense_cdb, sizeof(sense_cdb), page,
		     sizeof(page), "MODE SENSE(6) of the caching page");
	if (ret)
		return ret;
	/* Header (4 bytes, no block descriptor with DBD), then the page. */
	len = 4 + 2 + page[4 + 1];
	if (page[3] || (page[4] & 0x3f) != 0x08 || len > page[0] + 1u ||
	    len <= SHARED_SEG1_LEN)
		return tfail(t, "expected the caching page after a bare header, got %02x %02x %02x %02x %02x %02x",
			     page[0], page[1], page[2], page[3], page[4],
			     page[5]);
	memcpy(param + 4, page + 4, len - 4);
	param[4] &= 0x3f;			/* PS is reserved in MODE SELECT */
	select_cdb[4] = len;
	return shared_page_run(t, &sp, select_cdb, sizeof(select_cdb), param,
			       len) ?: T_PASS;
}

const struct tcase io_cases[] = {
	{ "tur_ok", tur_ok },
	{ "used_len_counts_bytes_written", used_len_counts_bytes_written },
	{ "inquiry_std_lio_org", inquiry_std_lio_org },
	{ "inquiry_vpd80", inquiry_vpd80 },
	{ "inquiry_vpd83", inquiry_vpd83 },
	{ "report_luns", report_luns },
	{ "readcap10", readcap10 },
	{ "readcap16", readcap16 },
	{ "rw10_pattern_512", rw10_pattern_512 },
	{ "rw10_pattern_4k", rw10_pattern_4k },
	{ "rw10_pattern_64k", rw10_pattern_64k },
	{ "rw10_pattern_1m", rw10_pattern_1m },
	{ "rw16_pattern_8m", rw16_pattern_8m },
	{ "rw_split_every_byte_header", rw_split_every_byte_header },
	{ "rw_indirect", rw_indirect },
	{ "multiqueue_inflight", multiqueue_inflight },
	{ "bad_lun_byte0", bad_address, &bad_byte0 },
	{ "bad_target_nonexistent", bad_address, &bad_target },
	{ "lun_not_present", lun_not_present },
	{ "inquiry_data_in_shared_page", inquiry_data_in_shared_page },
	{ "mode_select_data_out_shared_page", mode_select_data_out_shared_page },
	{ NULL, NULL },
};
