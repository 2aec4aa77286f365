// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi command layer: virtio-scsi request queue commands, control queue
 * (TMF, AN) and event queue, on top of the virtqueue layer.
 *
 * A command is laid out as two contiguous streams in guest memory:
 *   readable  = header || data-out
 *   writable  = response || data-in
 * each placed so that the header (response) ends on a page boundary and the
 * payload starts page aligned.  A split plan then cuts each stream into
 * descriptors at arbitrary byte offsets, which covers both the classic
 * "one descriptor per part" layout and everything ANY_LAYOUT allows.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"

#define PAGE		4096ULL
#define RESP_POISON	0xff	/* response byte never written by a device */

void vscsi_lun_encode(uint8_t lun[8], uint8_t target, uint16_t lun_id)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = target;
	/* Flat space addressing (0x40) for a single-level LUN < 16384. */
	lun[2] = 0x40 | ((lun_id >> 8) & 0x3f);
	lun[3] = lun_id & 0xff;
}

/* Serialize the request header; returns its full (untruncated) size. */
/*
 * virtio_scsi_cmd_req, or virtio_scsi_cmd_req_pi once T10_PI is acked:
 * pi_bytesout and pi_bytesin sit between crn and the CDB.
 */
static size_t build_header(const struct vscsi_dev *dev,
			   const struct vscsi_cmd *cmd, uint8_t *hdr)
{
	bool pi = vscsi_has_feature(dev, VIRTIO_SCSI_F_T10_PI);
	size_t fixed = VSCSI_REQ_FIXED_SIZE + (pi ? 8 : 0);
	uint64_t tag = htole64(cmd->tag);
	uint32_t pi_out = htole32(cmd->pi_bytesout);
	uint32_t pi_in = htole32(cmd->pi_bytesin);
	size_t cdb_len = cmd->cdb_len;

	memset(hdr, 0, fixed + dev->cdb_size);
	if (cmd->raw_lun)
		memcpy(hdr, cmd->lun_bytes, 8);
	else
		vscsi_lun_encode(hdr, cmd->target, cmd->lun);
	memcpy(hdr + 8, &tag, 8);
	hdr[16] = cmd->task_attr;
	/* prio and crn stay zero, as the spec asks. */
	if (pi) {
		memcpy(hdr + 19, &pi_out, 4);
		memcpy(hdr + 23, &pi_in, 4);
	}
	if (cdb_len > dev->cdb_size)
		cdb_len = dev->cdb_size;
	if (cmd->cdb)
		memcpy(hdr + fixed, cmd->cdb, cdb_len);
	return fixed + dev->cdb_size;
}

/* Append cut points of @split for a stream of @len bytes whose first
 * part (header or response) is @first bytes; returns the count. */
static unsigned int plan_cuts(const struct vscsi_split *split, bool out,
			      uint32_t first, uint64_t len, uint32_t *cuts,
			      unsigned int max)
{
	enum vscsi_split_mode mode = split ? split->mode : VSCSI_SPLIT_NATURAL;
	unsigned int n = 0, i, given;
	const uint32_t *src;
	uint64_t at;

	switch (mode) {
	case VSCSI_SPLIT_NATURAL:
		if (first < len)
			cuts[n++] = first;
		break;
	case VSCSI_SPLIT_MERGED:
		break;
	case VSCSI_SPLIT_EVERY:
		for (at = split->every; split->every && at < len && n < max;
		     at += split->every)
			cuts[n++] = at;
		break;
	case VSCSI_SPLIT_CUTS:
		src = out ? split->out_cuts : split->in_cuts;
		given = out ? split->n_out_cuts : split->n_in_cuts;
		for (i = 0; i < given && n < max; i++)
			if (src[i] > 0 && src[i] < len &&
			    (!n || src[i] > cuts[n - 1]))
				cuts[n++] = src[i];
		break;
	}
	return n;
}

static unsigned int add_stream(struct vscsi_seg *segs, uint64_t gpa,
			       uint64_t len, const uint32_t *cuts,
			       unsigned int ncuts, bool write)
{
	uint64_t prev = 0, end;
	unsigned int i, n = 0;

	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		if (end > prev) {
			segs[n].gpa = gpa + prev;
			segs[n].len = end - prev;
			segs[n].write = write;
			n++;
		}
		prev = end;
	}
	return n;
}

static int alloc_stream(struct vscsi_mem *mem, uint32_t lead, uint64_t body,
			uint64_t *gpa, uint64_t *alloc, uint64_t *start)
{
	/* Page of slack either side: catches a device writing out of bounds. */
	*alloc = PAGE + lead + body + PAGE;
	*gpa = vscsi_mem_alloc(mem, *alloc, PAGE);
	if (!*gpa)
		return -ENOMEM;
	*start = *gpa + (PAGE - lead % PAGE) % PAGE;
	return 0;
}

static void req_free_buffers(struct vscsi_dev *dev, struct vscsi_req *req)
{
	vscsi_mem_free(&dev->mem, req->out_gpa, req->out_alloc);
	vscsi_mem_free(&dev->mem, req->in_gpa, req->in_alloc);
	req->out_gpa = req->in_gpa = 0;
}

/* Poison the slack either side of the stream [start, start + len). */
static void stream_poison(struct vscsi_dev *dev, uint64_t gpa, uint64_t alloc,
			  uint64_t start, uint64_t len)
{
	uint8_t *p = vscsi_mem_ptr(&dev->mem, gpa, alloc);
	uint64_t lead = start - gpa;

	memset(p, VSCSI_SLACK_POISON, lead);
	memset(p + lead + len, VSCSI_SLACK_POISON, alloc - lead - len);
}

/* Slack bytes either side of the stream that are no longer poison. */
static uint32_t stream_overrun(const struct vscsi_dev *dev, uint64_t gpa,
			       uint64_t alloc, uint64_t start, uint64_t len)
{
	const uint8_t *p = vscsi_mem_ptr(&dev->mem, gpa, alloc);
	uint64_t lead = start - gpa, i;
	uint32_t n = 0;

	for (i = 0; i < alloc; i++)
		if ((i < lead || i >= lead + len) && p[i] != VSCSI_SLACK_POISON)
			n++;
	return n;
}

/* FNV-1a over the readable stream's allocation, slack included. */
static uint64_t out_sum(const struct vscsi_dev *dev,
			const struct vscsi_req *req)
{
	const uint8_t *p = vscsi_mem_ptr(&dev->mem, req->out_gpa,
					 req->out_alloc);
	uint64_t h = 0xcbf29ce484222325ULL, i;

	for (i = 0; i < req->out_alloc; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * Device writes where it must not: the slack around the writable stream
 * (counted in bytes) and anywhere in the readable allocation (one).
 */
static uint32_t req_overrun(const struct vscsi_dev *dev,
			    const struct vscsi_req *req)
{
	return stream_overrun(dev, req->in_gpa, req->in_alloc, req->in_start,
			      req->resp_len + req->cmd.data_in_len) +
	       (out_sum(dev, req) != req->out_sum);
}

/* used->len for a full response and the data-in the response reports. */
static uint32_t req_want_used_len(const struct vscsi_req *req)
{
	const struct vscsi_cmd *cmd = &req->cmd;

	if (req->resp_len != VSCSI_RESP_SIZE || cmd->pi_bytesin ||
	    req->res.resid > cmd->data_in_len)
		return 0;
	return req->resp_len + cmd->data_in_len -
	       (cmd->data_in_len ? req->res.resid : 0);
}

static int req_fill(struct vscsi_dev *dev, struct vscsi_req *req)
{
	const struct vscsi_cmd *cmd = &req->cmd;
	uint8_t hdr[VSCSI_REQ_FIXED_SIZE + 8 + 256];
	size_t full;
	uint8_t *p;
	int ret;

	if (dev->cdb_size > 256)
		return -EINVAL;
	full = build_header(dev, cmd, hdr);
	req->hdr_len = cmd->hdr_len ? cmd->hdr_len : full;
	req->resp_len = cmd->resp_len ? cmd->resp_len : VSCSI_RESP_SIZE;
	if (req->hdr_len > full)
		return -EINVAL;
	ret = alloc_stream(&dev->mem, req->hdr_len, cmd->data_out_len,
			   &req->out_gpa, &req->out_alloc, &req->out_start);
	if (ret)
		return ret;
	ret = alloc_stream(&dev->mem, req->resp_len, cmd->data_in_len,
			   &req->in_gpa, &req->in_alloc, &req->in_start);
	if (ret) {
		req_free_buffers(dev, req);
		return ret;
	}
	p = vscsi_mem_ptr(&dev->mem, req->out_start, req->hdr_len);
	memcpy(p, hdr, req->hdr_len);
	if (cmd->data_out_len)
		memcpy(p + req->hdr_len, cmd->data_out, cmd->data_out_len);
	p = vscsi_mem_ptr(&dev->mem, req->in_start, req->resp_len);
	memset(p, RESP_POISON, req->resp_len);
	stream_poison(dev, req->out_gpa, req->out_alloc, req->out_start,
		      req->hdr_len + cmd->data_out_len);
	stream_poison(dev, req->in_gpa, req->in_alloc, req->in_start,
		      req->resp_len + cmd->data_in_len);
	req->out_sum = out_sum(dev, req);
	return 0;
}

static int req_add(struct vscsi_req *req, const struct vscsi_split *split)
{
	uint64_t out_len = req->hdr_len + req->cmd.data_out_len;
	uint64_t in_len = req->resp_len + req->cmd.data_in_len;
	unsigned int max = out_len + in_len + 2, nout, nin, n;
	struct vscsi_seg *segs;
	uint32_t *cuts;
	int ret;

	if (max > 65536)
		max = 65536;
	segs = calloc(max + 2, sizeof(*segs));
	cuts = calloc(max, sizeof(*cuts));
	if (!segs || !cuts) {
		ret = -ENOMEM;
		goto out;
	}
	nout = plan_cuts(split, true, req->hdr_len, out_len, cuts, max);
	n = add_stream(segs, req->out_start, out_len, cuts, nout, false);
	nin = plan_cuts(split, false, req->resp_len, in_len, cuts, max);
	n += add_stream(segs + n, req->in_start, in_len, cuts, nin, true);
	ret = vscsi_vq_add(req->vq, segs, n, split && split->indirect, req);
out:
	free(segs);
	free(cuts);
	return ret;
}

int vscsi_req_submit(struct vscsi_dev *dev, struct vscsi_vq *vq,
		     struct vscsi_req *req, const struct vscsi_cmd *cmd,
		     bool kick)
{
	int ret;

	memset(req, 0, sizeof(*req));
	req->cmd = *cmd;
	req->vq = vq;
	ret = req_fill(dev, req);
	if (ret)
		return ret;
	ret = req_add(req, cmd->split);
	if (ret < 0) {
		req_free_buffers(dev, req);
		return ret;
	}
	req->head = ret;
	req->submitted = true;
	return kick ? vscsi_vq_kick(vq) : 0;
}

void vscsi_resp_parse(const void *p, struct vscsi_result *res)
{
	struct virtio_scsi_cmd_resp resp;

	memcpy(&resp, p, sizeof(resp));
	res->sense_len = le32toh(resp.sense_len);
	res->resid = le32toh(resp.resid);
	res->status_qualifier = le16toh(resp.status_qualifier);
	res->status = resp.status;
	res->response = resp.response;
	memcpy(res->sense, resp.sense, sizeof(res->sense));
}

void vscsi_req_finish(struct vscsi_dev *dev, struct vscsi_req *req)
{
	const struct vscsi_cmd *cmd = &req->cmd;
	uint8_t *in;

	vscsi_vq_collect(req->vq, req->head, &req->res.used_len);
	in = vscsi_mem_ptr(&dev->mem, req->in_start,
			   req->resp_len + cmd->data_in_len);
	/* The stream has PAGE bytes of slack, so a short response is
	 * still parsed from our own (poisoned) memory. */
	vscsi_resp_parse(in, &req->res);
	if (cmd->data_in_len)
		memcpy(cmd->data_in, in + req->resp_len, cmd->data_in_len);
	req->res.want_used_len = req_want_used_len(req);
	req->res.overrun = req_overrun(dev, req);
	req_free_buffers(dev, req);
	req->completed = true;
}

int vscsi_req_wait(struct vscsi_dev *dev, struct vscsi_req *req,
		   int timeout_ms)
{
	int ret;

	if (!req->submitted)
		return -EINVAL;
	if (req->completed)
		return 0;
	ret = vscsi_vq_wait(req->vq, req->head, timeout_ms);
	if (ret)
		return ret;
	vscsi_req_finish(dev, req);
	return req->res.overrun ? -EPROTO : 0;
}

bool vscsi_req_poll(struct vscsi_dev *dev, struct vscsi_req *req)
{
	if (!req->submitted)
		return false;
	if (!req->completed) {
		vscsi_vq_reap(req->vq);
		if (!req->vq->slots[req->head].done)
			return false;
		vscsi_req_finish(dev, req);
	}
	return true;
}

void vscsi_req_abandon(struct vscsi_req *req)
{
	/* Descriptors and buffers stay owned by the device forever. */
	if (req->submitted && !req->completed)
		req->vq->slots[req->head].owner = NULL;
	req->submitted = false;
}

int vscsi_cmd_run_on(struct vscsi_dev *dev, struct vscsi_vq *vq,
		     const struct vscsi_cmd *cmd, struct vscsi_result *res)
{
	struct vscsi_req req;
	int ret;

	if (!vq)
		return -EINVAL;
	ret = vscsi_req_submit(dev, vq, &req, cmd, true);
	if (ret)
		return ret;
	ret = vscsi_req_wait(dev, &req, cmd->timeout_ms ? cmd->timeout_ms :
			     VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret && !req.completed) {
		vscsi_req_abandon(&req);
		return ret;
	}
	*res = req.res;
	return ret;
}

int vscsi_cmd_run(struct vscsi_dev *dev, const struct vscsi_cmd *cmd,
		  struct vscsi_result *res)
{
	return vscsi_cmd_run_on(dev, vscsi_req_vq(dev, 0), cmd, res);
}

/* ------------------------------------------------------------------ */
/* Control queue                                                       */

static uint64_t ctl_alloc_len(const struct vscsi_ctl *ctl)
{
	return ctl->out_len + ctl->in_len + VSCSI_CTL_SLACK;
}

int vscsi_ctl_post(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		   const void *out, uint32_t out_len, uint32_t in_len)
{
	struct vscsi_vq *vq = &dev->vqs[VSCSI_VQ_CTL];
	struct vscsi_seg segs[2];
	int head;

	if (!out_len || !in_len || in_len > VSCSI_CTL_MAX_IN)
		return -EINVAL;
	memset(ctl, 0, sizeof(*ctl));
	ctl->vq = vq;
	ctl->out_len = out_len;
	ctl->in_len = in_len;
	ctl->gpa = vscsi_mem_alloc(&dev->mem, ctl_alloc_len(ctl), 8);
	if (!ctl->gpa)
		return -ENOMEM;
	memcpy(vscsi_mem_ptr(&dev->mem, ctl->gpa, out_len), out, out_len);
	memset(vscsi_mem_ptr(&dev->mem, ctl->gpa + out_len,
			     in_len + VSCSI_CTL_SLACK), RESP_POISON,
	       in_len + VSCSI_CTL_SLACK);
	/* One descriptor each way, the layout every driver uses. */
	segs[0] = (struct vscsi_seg){ ctl->gpa, out_len, false };
	segs[1] = (struct vscsi_seg){ ctl->gpa + out_len, in_len, true };
	head = vscsi_vq_add(vq, segs, 2, false, ctl);
	if (head < 0) {
		vscsi_mem_free(&dev->mem, ctl->gpa, ctl_alloc_len(ctl));
		return head;
	}
	ctl->head = head;
	ctl->submitted = true;
	return 0;
}

int vscsi_ctl_submit(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		     const void *out, uint32_t out_len, uint32_t in_len)
{
	int ret = vscsi_ctl_post(dev, ctl, out, out_len, in_len);

	return ret ? ret : vscsi_vq_kick(&dev->vqs[VSCSI_VQ_CTL]);
}

static void ctl_finish(struct vscsi_dev *dev, struct vscsi_ctl *ctl)
{
	uint64_t in_gpa = ctl->gpa + ctl->out_len;
	const uint8_t *in = vscsi_mem_ptr(&dev->mem, in_gpa,
					  ctl->in_len + VSCSI_CTL_SLACK);
	unsigned int i;

	vscsi_vq_collect(ctl->vq, ctl->head, &ctl->used_len);
	memcpy(ctl->in, in, ctl->in_len);
	for (i = 0; i < VSCSI_CTL_SLACK; i++)
		if (in[ctl->in_len + i] != RESP_POISON)
			ctl->overrun++;
	vscsi_mem_free(&dev->mem, ctl->gpa, ctl_alloc_len(ctl));
	ctl->completed = true;
}

int vscsi_ctl_wait(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		   int timeout_ms)
{
	int ret;

	if (!ctl->submitted)
		return -EINVAL;
	if (ctl->completed)
		return 0;
	ret = vscsi_vq_wait(ctl->vq, ctl->head, timeout_ms ? timeout_ms :
			    VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret)
		return ret;	/* still the device's: wait again or leak */
	ctl_finish(dev, ctl);
	return 0;
}

bool vscsi_ctl_poll(struct vscsi_dev *dev, struct vscsi_ctl *ctl)
{
	if (!ctl->submitted)
		return false;
	if (!ctl->completed) {
		vscsi_vq_reap(ctl->vq);
		if (!ctl->vq->slots[ctl->head].done)
			return false;
		ctl_finish(dev, ctl);
	}
	return true;
}

/* Send @out, receive @in_len bytes into @in, synchronously. */
static int ctl_run(struct vscsi_dev *dev, const void *out, uint32_t out_len,
		   void *in, uint32_t in_len, int timeout_ms)
{
	struct vscsi_ctl ctl;
	int ret;

	ret = vscsi_ctl_submit(dev, &ctl, out, out_len, in_len);
	if (!ret)
		ret = vscsi_ctl_wait(dev, &ctl, timeout_ms);
	if (ret)
		return ret;
	memcpy(in, ctl.in, in_len);
	return 0;
}

void vscsi_tmf_req_init(struct virtio_scsi_ctrl_tmf_req *req,
			uint32_t subtype, uint8_t target, uint16_t lun,
			uint64_t tag)
{
	memset(req, 0, sizeof(*req));
	req->type = htole32(VIRTIO_SCSI_T_TMF);
	req->subtype = htole32(subtype);
	vscsi_lun_encode(req->lun, target, lun);
	req->tag = htole64(tag);
}

int vscsi_tmf_submit(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		     uint32_t subtype, uint8_t target, uint16_t lun,
		     uint64_t tag)
{
	struct virtio_scsi_ctrl_tmf_req req;

	vscsi_tmf_req_init(&req, subtype, target, lun, tag);
	return vscsi_ctl_submit(dev, ctl, &req, sizeof(req),
				sizeof(struct virtio_scsi_ctrl_tmf_resp));
}

int vscsi_tmf(struct vscsi_dev *dev, uint32_t subtype, uint8_t target,
	      uint16_t lun, uint64_t tag, uint8_t *response, int timeout_ms)
{
	struct virtio_scsi_ctrl_tmf_req req;
	struct virtio_scsi_ctrl_tmf_resp resp;
	int ret;

	vscsi_tmf_req_init(&req, subtype, target, lun, tag);
	ret = ctl_run(dev, &req, sizeof(req), &resp, sizeof(resp), timeout_ms);
	if (!ret)
		*response = resp.response;
	return ret;
}

int vscsi_an(struct vscsi_dev *dev, uint32_t type, uint8_t target,
	     uint16_t lun, uint32_t requested, uint32_t *actual,
	     uint8_t *response, int timeout_ms)
{
	struct virtio_scsi_ctrl_an_req req = { 0 };
	struct virtio_scsi_ctrl_an_resp resp;
	int ret;

	req.type = htole32(type);
	vscsi_lun_encode(req.lun, target, lun);
	req.event_requested = htole32(requested);
	ret = ctl_run(dev, &req, sizeof(req), &resp, sizeof(resp), timeout_ms);
	if (!ret) {
		*actual = le32toh(resp.event_actual);
		*response = resp.response;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Event queue                                                         */

static int event_post_one(struct vscsi_dev *dev)
{
	struct vscsi_vq *vq = &dev->vqs[VSCSI_VQ_EVT];
	struct vscsi_seg seg;
	uint64_t gpa;
	int head;

	gpa = vscsi_mem_alloc(&dev->mem, sizeof(struct virtio_scsi_event), 8);
	if (!gpa)
		return -ENOMEM;
	seg = (struct vscsi_seg){ gpa, sizeof(struct virtio_scsi_event), true };
	/* The owner cookie carries the buffer address. */
	head = vscsi_vq_add(vq, &seg, 1, false, (void *)(uintptr_t)gpa);
	if (head < 0) {
		vscsi_mem_free(&dev->mem, gpa, sizeof(struct virtio_scsi_event));
		return head;
	}
	return 0;
}

int vscsi_event_post(struct vscsi_dev *dev, unsigned int count)
{
	int ret;

	while (count--) {
		ret = event_post_one(dev);
		if (ret)
			return ret;
	}
	return vscsi_vq_kick(&dev->vqs[VSCSI_VQ_EVT]);
}

int vscsi_event_get(struct vscsi_dev *dev, struct vscsi_event *ev,
		    int timeout_ms)
{
	struct vscsi_vq *vq = &dev->vqs[VSCSI_VQ_EVT];
	struct virtio_scsi_event raw;
	uint64_t gpa;
	int head;

	head = vscsi_vq_wait_any(vq, timeout_ms);
	if (head < 0)
		return head;
	gpa = (uintptr_t)vq->slots[head].owner;
	vscsi_vq_collect(vq, head, NULL);
	memcpy(&raw, vscsi_mem_ptr(&dev->mem, gpa, sizeof(raw)), sizeof(raw));
	vscsi_mem_free(&dev->mem, gpa, sizeof(raw));
	ev->event = le32toh(raw.event);
	memcpy(ev->lun, raw.lun, sizeof(ev->lun));
	ev->reason = le32toh(raw.reason);
	return vscsi_event_post(dev, 1);
}
