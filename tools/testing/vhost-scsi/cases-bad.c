// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed and unlucky requests.  Where the spec defines a response the
 * case asserts it; where a device may legitimately drop the request, the
 * case waits a bounded time (VSCSI_DROP_MS) and then proves the device
 * still serves requests.  What actually happened goes to stderr as a note.
 *
 * Chain-level damage (loops, unmapped addresses, bad ordering) leaves a
 * vhost device no way to identify the request, let alone answer it; the
 * cases accept "not answered OK" as long as the device either answers
 * with an error or reports the fault on the vq error eventfd, and keeps
 * serving the other request queue.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi-test.h"

#define OUTSIDE_GPA 0x1000ULL	/* below VSCSI_GPA_BASE: never mapped */

/* A TEST UNIT READY header and a response buffer, for hand-made chains. */
struct raw_tur {
	uint64_t hdr;
	uint64_t resp;
	uint32_t hdr_len;
};

static int raw_tur_alloc(struct tctx *t, struct raw_tur *r)
{
	struct vscsi_mem *mem = &t->dev->mem;
	uint8_t *hdr;

	r->hdr_len = VSCSI_REQ_FIXED_SIZE + t->dev->cdb_size;
	r->hdr = vscsi_mem_alloc(mem, r->hdr_len, 64);
	r->resp = vscsi_mem_alloc(mem, VSCSI_RESP_SIZE, 64);
	if (!r->hdr || !r->resp)
		return tfail(t, "expected guest memory, got none");
	hdr = vscsi_mem_ptr(mem, r->hdr, r->hdr_len);
	vscsi_lun_encode(hdr, t->cfg->target, lun0(t));
	hdr[8] = 0x42;			/* tag */
	memset(vscsi_mem_ptr(mem, r->resp, VSCSI_RESP_SIZE), 0xff,
	       VSCSI_RESP_SIZE);	/* response byte 0xff = untouched */
	return T_PASS;
}

static uint8_t raw_response(struct tctx *t, const struct raw_tur *r)
{
	const struct virtio_scsi_cmd_resp *resp;

	resp = vscsi_mem_ptr(&t->dev->mem, r->resp, sizeof(*resp));
	return resp->response;
}

/* Probe whether @vq itself still answers; informational only. */
static void note_same_queue(struct tctx *t, struct vscsi_vq *vq)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	int ret;

	tur_cmd_init(t, &cmd, lun0(t), cdb);
	cmd.timeout_ms = t->cfg->drop_ms;
	ret = vscsi_cmd_run_on(t->dev, vq, &cmd, &res);
	tnote(t, "same queue afterwards: %s", ret ? "no answer (wedged)" :
	      vscsi_response_name(res.response));
}

/*
 * Verdict for a malformed chain just published (and kicked) on request
 * queue 0: no OK answer; an error answer or an error-eventfd signal; the
 * other request queue still works.
 */
static int expect_chain_rejected(struct tctx *t, int head,
				 const struct raw_tur *r)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	bool answered, signalled;
	uint8_t response = 0xff;
	int ret;

	answered = !vscsi_vq_wait(vq, head, t->cfg->drop_ms);
	signalled = vscsi_vq_error_signalled(vq);
	if (answered && r)
		response = raw_response(t, r);
	tnote(t, "%s%s, vq error eventfd %s",
	      answered ? "answered " : "not answered",
	      answered ? vscsi_response_name(response) : "",
	      signalled ? "signalled" : "quiet");
	if (answered && response == VIRTIO_SCSI_S_OK)
		return tfail(t, "expected no OK answer to a malformed chain, "
			     "got OK");
	if (!answered && !signalled)
		return tfail(t, "expected an error answer or a vq error signal "
			     "within %d ms, got neither", t->cfg->drop_ms);
	ret = run_tur(t, vscsi_req_vq(t->dev, 1), "TUR on the other queue");
	if (!ret)
		note_same_queue(t, vq);
	return ret;
}

static int fix_two_queues(struct tctx *t, struct raw_tur *r)
{
	struct vscsi_opts opts = { .req_queues = 2 };
	int ret = fix_attach(t, &opts);

	return ret ? ret : raw_tur_alloc(t, r);
}

/* Publish descriptors @ids as one chain on request queue 0 and kick. */
static int publish(struct tctx *t, const uint16_t *ids, unsigned int n)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	int head = vscsi_vq_publish_raw(vq, ids, n, NULL);

	if (head >= 0)
		vscsi_vq_kick(vq);
	return head;
}

/* Claim @n descriptors of request queue 0 for a hand-made chain. */
static struct vscsi_vq *desc_ids(struct tctx *t, uint16_t *ids, unsigned int n)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	unsigned int i;

	for (i = 0; i < n; i++)
		ids[i] = vscsi_vq_desc_get(vq);
	return vq;
}

/*
 * A hand-made chain of up to two descriptors on request queue 0, each
 * pointing at the TUR's header, its response or outside the memory table,
 * and linked to another descriptor of the chain (by index), to none, or
 * to one past the ring.
 */
enum raw_buf { RAW_HDR, RAW_RESP, RAW_OUTSIDE };
#define RAW_END		(-1)	/* no VRING_DESC_F_NEXT */
#define RAW_PAST_RING	(-2)	/* next = ring size + 5 */

struct raw_desc {
	enum raw_buf buf;
	bool write;
	int next;
};

struct raw_chain {
	unsigned int n;
	struct raw_desc desc[2];
	bool resp_mapped;	/* the response is where the device can write */
};

static const struct raw_chain chain_loop = {
	2, { { RAW_HDR, false, 1 }, { RAW_RESP, true, 0 } }, true };
static const struct raw_chain chain_outside_memtable = {
	2, { { RAW_HDR, false, 1 }, { RAW_OUTSIDE, true, RAW_END } }, false };
static const struct raw_chain chain_write_before_read = {
	2, { { RAW_RESP, true, 1 }, { RAW_HDR, false, RAW_END } }, true };
static const struct raw_chain chain_next_past_ring = {
	1, { { RAW_HDR, false, RAW_PAST_RING } }, true };

/* The malformed chain t->arg: rejected, the other queue unharmed. */
static int raw_chain_rejected(struct tctx *t)
{
	const struct raw_chain *spec = t->arg;
	struct vscsi_vq *vq;
	struct raw_tur r;
	uint16_t ids[2], flags, next;
	uint64_t addr;
	uint32_t len;
	unsigned int i;
	int ret = fix_two_queues(t, &r);

	if (ret)
		return ret;
	vq = desc_ids(t, ids, spec->n);
	for (i = 0; i < spec->n; i++) {
		const struct raw_desc *d = &spec->desc[i];

		addr = d->buf == RAW_HDR ? r.hdr :
		       d->buf == RAW_RESP ? r.resp : OUTSIDE_GPA;
		len = d->buf == RAW_HDR ? r.hdr_len : VSCSI_RESP_SIZE;
		flags = (d->write ? VRING_DESC_F_WRITE : 0) |
			(d->next != RAW_END ? VRING_DESC_F_NEXT : 0);
		next = d->next == RAW_PAST_RING ? vq->num + 5 :
		       d->next == RAW_END ? 0 : ids[d->next];
		vscsi_vq_desc_set(vq, ids[i], addr, len, flags, next);
	}
	return expect_chain_rejected(t, publish(t, ids, spec->n),
				     spec->resp_mapped ? &r : NULL);
}

/* An indirect table whose length is not a multiple of 16 bytes. */
static int indirect_bad_len(struct tctx *t)
{
	struct vring_desc *table;
	struct vscsi_vq *vq;
	struct raw_tur r;
	uint16_t ids[1];
	uint64_t gpa;
	int ret = fix_two_queues(t, &r);

	if (ret)
		return ret;
	if (!vscsi_has_feature(t->dev, VIRTIO_RING_F_INDIRECT_DESC))
		return tskip(t, "device does not offer RING_F_INDIRECT_DESC");
	gpa = vscsi_mem_alloc(&t->dev->mem, 2 * sizeof(*table), 16);
	table = vscsi_mem_ptr(&t->dev->mem, gpa, 2 * sizeof(*table));
	table[0] = (struct vring_desc){ htole64(r.hdr), htole32(r.hdr_len),
					htole16(VRING_DESC_F_NEXT), htole16(1) };
	table[1] = (struct vring_desc){ htole64(r.resp),
					htole32(VSCSI_RESP_SIZE),
					htole16(VRING_DESC_F_WRITE), 0 };
	vq = desc_ids(t, ids, 1);
	vscsi_vq_desc_set(vq, ids[0], gpa, 2 * sizeof(*table) + 1,
			  VRING_DESC_F_INDIRECT, 0);
	return expect_chain_rejected(t, publish(t, ids, 1), &r);
}

/* Zero-length descriptors carry no bytes; the request is still valid. */
static int desc_zero_len(struct tctx *t)
{
	struct vscsi_vq *vq;
	struct raw_tur r;
	uint16_t ids[4];
	uint8_t response;
	int ret = fix_two_queues(t, &r);

	if (ret)
		return ret;
	vq = desc_ids(t, ids, 4);
	vscsi_vq_desc_set(vq, ids[0], r.hdr, r.hdr_len, VRING_DESC_F_NEXT,
			  ids[1]);
	vscsi_vq_desc_set(vq, ids[1], r.hdr, 0, VRING_DESC_F_NEXT, ids[2]);
	vscsi_vq_desc_set(vq, ids[2], r.resp, VSCSI_RESP_SIZE,
			  VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, ids[3]);
	vscsi_vq_desc_set(vq, ids[3], r.resp, 0, VRING_DESC_F_WRITE, 0);
	ret = vscsi_vq_wait(vq, publish(t, ids, 4), VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret)
		return tfail(t, "expected TUR with zero-length descriptors "
			     "answered, got %s", err_name(ret));
	response = raw_response(t, &r);
	if (response != VIRTIO_SCSI_S_OK)
		return tfail(t, "expected response OK, got %s(%u)",
			     vscsi_response_name(response), response);
	return T_PASS;
}

/*
 * Diagnose a request that was published and (maybe) kicked but never
 * answered: was the kick suppressed by avail_event, and does an
 * unconditional kick get it going?
 */
static void note_forced_kick(struct tctx *t, struct vscsi_vq *vq)
{
	uint16_t avail_event;

	memcpy(&avail_event, &vq->used->ring[vq->num], sizeof(avail_event));

	tnote(t, "avail_event=%u avail_idx=%u kicks=%lu suppressed=%lu",
	      le16toh(avail_event), vq->avail_idx, vq->kicks,
	      vq->kicks_suppressed);
	vscsi_vq_kick_force(vq);
	vscsi_vq_reap(vq);
	tnote(t, "after a forced kick: %s",
	      vscsi_vq_wait_any(vq, t->cfg->drop_ms) >= 0 ?
	      "requests answered" : "still nothing");
}

/* A TUR sent before any endpoint exists must not be answered OK. */
static int no_endpoint_request(struct tctx *t)
{
	struct vscsi_req req;
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	int ret = fix_need_wwpn(t);

	if (ret || (ret = fix_device(t, NULL)))
		return ret;
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, 0), &req, &cmd,
			       true);
	if (ret)
		return tfail(t, "expected submit 0, got %s", err_name(ret));
	ret = vscsi_req_wait(t->dev, &req, t->cfg->drop_ms);
	tnote(t, "without endpoint: %s", ret ? "not answered" :
	      vscsi_response_name(req.res.response));
	if (!ret && req.res.response == VIRTIO_SCSI_S_OK)
		return tfail(t, "expected no answer or an error, got OK");
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT 0, got %s", err_name(ret));
	ret = run_tur(t, vscsi_req_vq(t->dev, 0), "TUR after SET_ENDPOINT");
	if (ret)
		note_forced_kick(t, vscsi_req_vq(t->dev, 0));
	if (req.submitted && !req.completed)
		tnote(t, "early TUR %s after SET_ENDPOINT",
		      vscsi_req_wait(t->dev, &req, 0) ? "still unanswered" :
		      "answered");
	return ret;
}

static int expect_error_answer(struct tctx *t, const struct vscsi_cmd *cmd,
			       const char *what)
{
	struct vscsi_result res;
	int ret = run_cmd(t, cmd, what, &res);

	if (ret)
		return ret;
	tnote(t, "answered %s status 0x%02x", vscsi_response_name(res.response),
	      res.status);
	if (res.response != VIRTIO_SCSI_S_BAD_TARGET &&
	    res.response != VIRTIO_SCSI_S_FAILURE)
		return tfail(t, "expected %s answered BAD_TARGET or FAILURE, "
			     "got %s(%u)", what,
			     vscsi_response_name(res.response), res.response);
	return run_tur(t, vscsi_req_vq(t->dev, 0), "TUR afterwards");
}

static int header_too_short(struct tctx *t)
{
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	cmd.hdr_len = 10;	/* not even lun + tag */
	return expect_error_answer(t, &cmd, "10-byte header");
}

/* The library poisons the slack behind every writable buffer. */
static bool all_slack(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++ != VSCSI_SLACK_POISON)
			return false;
	return true;
}

/* A response buffer too small for the response: never write past it. */
static int resp_too_short(struct tctx *t)
{
	const uint32_t short_len = 10;
	struct vscsi_req req;
	struct vscsi_cmd cmd;
	uint8_t cdb[6], *after;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	cmd.resp_len = short_len;
	ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, 0), &req, &cmd,
			       true);
	if (ret)
		return tfail(t, "expected submit 0, got %s", err_name(ret));
	after = vscsi_mem_ptr(&t->dev->mem, req.in_start + short_len, 256);
	ret = vscsi_vq_wait(req.vq, req.head, t->cfg->drop_ms);
	tnote(t, "%s", ret ? "dropped (not answered)" : "answered");
	if (!all_slack(after, 256))
		return tfail(t, "expected nothing written past the %u-byte "
			     "response buffer, got bytes written", short_len);
	if (!ret) {
		vscsi_req_finish(t->dev, &req);
		if (req.res.used_len > short_len)
			return tfail(t, "expected used len <= %u, got %u",
				     short_len, req.res.used_len);
	} else {
		vscsi_req_abandon(&req);
	}
	return run_tur(t, vscsi_req_vq(t->dev, 0), "TUR afterwards");
}

/* A variable-length CDB (0x7f) declaring 256 bytes: more than fits. */
static int oversized_cdb(struct tctx *t)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	struct scsi_sense s;
	uint8_t cdb[32] = { 0x7f };
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	cdb[7] = 248;		/* additional CDB length: 8 + 248 = 256 */
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = sizeof(cdb);
	ret = run_cmd(t, &cmd, "oversized CDB", &res);
	if (ret)
		return ret;
	scsi_sense_parse(res.sense, res.sense_len, &s);
	tnote(t, "answered %s status 0x%02x sense %x/%02x/%02x",
	      vscsi_response_name(res.response), res.status, s.key, s.asc,
	      s.ascq);
	if (res.response == VIRTIO_SCSI_S_OK &&
	    (res.status != SCSI_STATUS_CHECK_CONDITION ||
	     s.key != SCSI_SENSE_ILLEGAL_REQUEST))
		return tfail(t, "expected CHECK CONDITION/ILLEGAL REQUEST, "
			     "got status 0x%02x key %x", res.status, s.key);
	if (res.response != VIRTIO_SCSI_S_OK &&
	    res.response != VIRTIO_SCSI_S_BAD_TARGET &&
	    res.response != VIRTIO_SCSI_S_FAILURE)
		return tfail(t, "expected OK+CHECK CONDITION, BAD_TARGET or "
			     "FAILURE, got %s(%u)",
			     vscsi_response_name(res.response), res.response);
	return run_tur(t, vscsi_req_vq(t->dev, 0), "TUR afterwards");
}

/* READ(10) of @blocks into a @buf_len buffer at a freshly written LBA. */
static int read_mismatched(struct tctx *t, uint16_t blocks, uint32_t buf_len,
			   struct vscsi_result *res, uint8_t *in,
			   uint8_t *expect)
{
	struct vscsi_split whole = { .mode = VSCSI_SPLIT_NATURAL };
	struct vscsi_cmd cmd;
	uint8_t cdb[16];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = write_read_verify(t, vscsi_req_vq(t->dev, 0), 512, 2048, false,
				&whole, &whole, 77);
	if (ret)
		return ret;
	fill_pattern(expect, 2048, 512, 77);
	read10_cmd_init(t, &cmd, lun0(t), cdb, 512, blocks, in, buf_len);
	ret = run_cmd(t, &cmd, "READ", res);
	if (ret)
		return ret;
	tnote(t, "answered %s status 0x%02x resid %u",
	      vscsi_response_name(res->response), res->status, res->resid);
	return T_PASS;
}

/* Buffer bigger than the CDB asks for: OK, GOOD, resid = the excess. */
static int datalen_larger_than_cdb(struct tctx *t)
{
	uint8_t in[2048] = { 0 }, expect[2048];
	struct vscsi_result res;
	int ret = read_mismatched(t, 1, 1024, &res, in, expect);

	if (ret)
		return ret;
	ret = expect_good(t, "READ(10) of 1 block into 1024 bytes", &res);
	if (ret)
		return ret;
	if (res.resid != 512)
		return tfail(t, "expected resid 512, got %u", res.resid);
	if (memcmp(in, expect, 512))
		return tfail(t, "expected the block's data, got different bytes");
	return T_PASS;
}

/* CDB asks for more than the buffer holds: the spec's OVERRUN. */
static int datalen_smaller_than_cdb(struct tctx *t)
{
	uint8_t in[2048] = { 0 }, expect[2048];
	struct vscsi_result res;
	int ret = read_mismatched(t, 2, 512, &res, in, expect);

	if (ret)
		return ret;
	if (res.response != VIRTIO_SCSI_S_OVERRUN) {
		struct scsi_sense s;

		scsi_sense_parse(res.sense, res.sense_len, &s);
		tnote(t, "sense %x/%02x/%02x", s.key, s.asc, s.ascq);
		return tfail(t, "expected response OVERRUN(1), got %s(%u) "
			     "status 0x%02x resid %u",
			     vscsi_response_name(res.response), res.response,
			     res.status, res.resid);
	}
	return run_tur(t, vscsi_req_vq(t->dev, 0), "TUR afterwards");
}

const struct tcase bad_cases[] = {
	{ "no_endpoint_request", no_endpoint_request },
	{ "header_too_short", header_too_short },
	{ "resp_too_short", resp_too_short },
	{ "addr_outside_memtable", raw_chain_rejected,
	  &chain_outside_memtable },
	{ "desc_loop", raw_chain_rejected, &chain_loop },
	{ "desc_write_before_read", raw_chain_rejected,
	  &chain_write_before_read },
	{ "desc_next_outside_ring", raw_chain_rejected, &chain_next_past_ring },
	{ "indirect_bad_len", indirect_bad_len },
	{ "desc_zero_len", desc_zero_len },
	{ "oversized_cdb", oversized_cdb },
	{ "datalen_larger_than_cdb", datalen_larger_than_cdb },
	{ "datalen_smaller_than_cdb", datalen_smaller_than_cdb },
	{ NULL, NULL },
};
