// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the control queue: task management and asynchronous
 * notification requests.
 *
 * Every request is answered, malformed and unknown ones included, so the
 * guest never waits on a descriptor we silently kept.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/virtio_scsi.h>

#include "scsi.h"

/* A control request being handled; lives on the worker's stack. */
struct vhost_scsi_ctl_req {
	int head;
	struct iov_iter out;
	const struct iovec *in_iov;
	unsigned int in_iovs;
	size_t in_len;
};

/* Answer with @len bytes of @buf if the guest left room, else unwritten. */
static void vhost_scsi_ctl_answer(struct vhost_virtqueue *vq,
				  struct vhost_scsi_ctl_req *req,
				  const void *buf, size_t len)
{
	u32 written = 0;

	if (req->in_len >= len &&
	    vhost_scsi_write_iov(req->in_iov, req->in_iovs, buf, len))
		written = len;
	else
		vhost_scsi_count(bad_header);
	vhost_add_used(vq, req->head, written);
}

static void vhost_scsi_ctl_tmf(struct vhost_virtqueue *vq,
			       struct vhost_scsi_ctl_req *req, const u8 *hdr)
{
	u8 buf[VHOST_SCSI_TMF_REQ_SIZE];
	u8 resp = VIRTIO_SCSI_S_FAILURE;

	vhost_scsi_count(tmfs);
	memcpy(buf, hdr, VHOST_SCSI_CTRL_TYPE_SIZE);
	if (copy_from_iter(buf + VHOST_SCSI_CTRL_TYPE_SIZE,
			   sizeof(buf) - VHOST_SCSI_CTRL_TYPE_SIZE, &req->out) ==
	    sizeof(buf) - VHOST_SCSI_CTRL_TYPE_SIZE)
		resp = VIRTIO_SCSI_S_FUNCTION_REJECTED;
	vhost_scsi_ctl_answer(vq, req, &resp, sizeof(resp));
}

/* We support no asynchronous events: event_actual 0 is the honest answer. */
static void vhost_scsi_ctl_an(struct vhost_virtqueue *vq,
			      struct vhost_scsi_ctl_req *req, const u8 *hdr)
{
	u8 buf[VHOST_SCSI_AN_REQ_SIZE];
	u8 resp[VHOST_SCSI_AN_RESP_SIZE];
	struct vhost_scsi_an_req an;
	u8 response = VIRTIO_SCSI_S_OK;

	vhost_scsi_count(ans);
	memcpy(buf, hdr, VHOST_SCSI_CTRL_TYPE_SIZE);
	if (copy_from_iter(buf + VHOST_SCSI_CTRL_TYPE_SIZE,
			   sizeof(buf) - VHOST_SCSI_CTRL_TYPE_SIZE, &req->out) !=
	    sizeof(buf) - VHOST_SCSI_CTRL_TYPE_SIZE) {
		response = VIRTIO_SCSI_S_FAILURE;
	} else {
		vhost_scsi_parse_an_req(buf, vhost_is_little_endian(vq), &an);
		if (!an.lun_ok)
			response = VIRTIO_SCSI_S_BAD_TARGET;
	}
	vhost_scsi_build_an_resp(resp, vhost_is_little_endian(vq), 0, response);
	vhost_scsi_ctl_answer(vq, req, resp, sizeof(resp));
}

/* Return: false when the queue is empty or unusable. */
static bool vhost_scsi_ctl_one(struct vhost_virtqueue *vq)
{
	struct vhost_scsi_ctl_req req;
	u8 hdr[VHOST_SCSI_CTRL_TYPE_SIZE];
	unsigned int out, in;
	u8 resp;

	req.head = vhost_get_vq_desc(vq, vq->iov, ARRAY_SIZE(vq->iov),
				     &out, &in, NULL, NULL);
	if (req.head < 0)
		return vhost_scsi_skip_bad_chain(vq);
	if (req.head == vq->num)
		return false;
	iov_iter_init(&req.out, ITER_SOURCE, vq->iov, out,
		      iov_length(vq->iov, out));
	req.in_iov = vq->iov + out;
	req.in_iovs = in;
	req.in_len = iov_length(vq->iov + out, in);

	if (copy_from_iter(hdr, sizeof(hdr), &req.out) != sizeof(hdr)) {
		resp = VIRTIO_SCSI_S_FAILURE;
		vhost_scsi_ctl_answer(vq, &req, &resp, sizeof(resp));
		return true;
	}
	switch (vhost_scsi_ctrl_type(hdr, vhost_is_little_endian(vq))) {
	case VIRTIO_SCSI_T_TMF:
		vhost_scsi_ctl_tmf(vq, &req, hdr);
		break;
	case VIRTIO_SCSI_T_AN_QUERY:
	case VIRTIO_SCSI_T_AN_SUBSCRIBE:
		vhost_scsi_ctl_an(vq, &req, hdr);
		break;
	default:
		resp = VIRTIO_SCSI_S_FAILURE;
		vhost_scsi_ctl_answer(vq, &req, &resp, sizeof(resp));
		break;
	}
	return true;
}

void vhost_scsi_handle_ctl_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);
	struct vhost_dev *dev = vq->dev;
	bool used = false;
	int n = 0;

	mutex_lock(&vq->mutex);
	if (!vhost_vq_get_backend(vq))
		goto out;
	vhost_disable_notify(dev, vq);
	do {
		if (!vhost_scsi_ctl_one(vq)) {
			if (likely(!vhost_enable_notify(dev, vq)))
				break;
			vhost_disable_notify(dev, vq);
			continue;
		}
		used = true;
	} while (!vhost_exceeds_weight(vq, ++n, 0));
	if (used)
		vhost_signal(dev, vq);
out:
	mutex_unlock(&vq->mutex);
}

/* No TMF reaches the target core yet; nothing of ours can end up here. */
void vhost_scsi_tmf_release(struct se_cmd *se_cmd)
{
	WARN_ON_ONCE(1);
}

void vhost_scsi_tmf_done(struct se_cmd *se_cmd)
{
	WARN_ON_ONCE(1);
}
