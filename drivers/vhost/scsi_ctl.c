// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the control queue: task management functions (TMFs) and
 * asynchronous notification (AN) requests.
 *
 * The target core implements ABORT TASK and LOGICAL UNIT RESET.  The task
 * set functions and I_T NEXUS RESET fan out into one ABORT TASK per command
 * we track in the request queues' pools; QUERY TASK and QUERY TASK SET are
 * answered from that tracking alone; CLEAR ACA is a no-op since we never
 * report ACA.  A TMF's response is written only after every command it ended
 * has had its own response written: the target core does not let go of a
 * TMF before the commands it aborts are released, each release queues that
 * command's completion work, and the vhost worker runs work in order.
 *
 * Nothing here waits: a TMF that must run in the target core is handed to
 * it and answered from tmf_work, so the request queue that carries an
 * aborted command keeps draining.  Every request is answered, malformed
 * and unknown ones included.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rculist.h>
#include <linux/slab.h>
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

/* ---- the task set, as our pools see it ---- */

/*
 * Commands in the target core for @tpg (and @lun unless @any_lun), and
 * with @tag if given.  Pool membership only changes in the worker, where
 * this runs too, and the pools outlive the endpoint this TMF came through.
 */
static unsigned int vhost_scsi_visit(struct vhost_scsi *vs,
				     const struct vhost_scsi_tpg *tpg,
				     bool any_lun, u16 lun, const u64 *tag,
				     int (*fn)(struct vhost_scsi_cmd *, void *),
				     void *arg)
{
	unsigned int found = 0, i;
	int q;

	for (q = VHOST_SCSI_VQ_IO; q < vs->nvqs; q++) {
		struct vhost_scsi_vq *svq = &vs->vqs[q];

		for (i = 0; i < svq->pool_size; i++) {
			struct vhost_scsi_cmd *cmd = &svq->cmds[i];

			if (!READ_ONCE(cmd->in_lio) || cmd->tpg != tpg ||
			    (!any_lun && cmd->se_cmd.orig_fe_lun != lun) ||
			    (tag && cmd->se_cmd.tag != *tag))
				continue;
			found++;
			if (fn && fn(cmd, arg))
				return found;
		}
	}
	return found;
}

static int vhost_scsi_mark_reset(struct vhost_scsi_cmd *cmd, void *arg)
{
	WRITE_ONCE(cmd->abort_response, VIRTIO_SCSI_S_RESET);
	return 0;
}

static bool vhost_scsi_lun_exists(struct vhost_scsi_tpg *tpg, u16 unpacked)
{
	struct se_lun *lun;
	bool found = false;

	rcu_read_lock();
	hlist_for_each_entry_rcu(lun, &tpg->se_tpg.tpg_lun_hlist, link)
		if (lun->unpacked_lun == unpacked)
			found = true;
	rcu_read_unlock();
	return found;
}

/* ---- TMF lifetime ---- */

static struct vhost_scsi_tmf *vhost_scsi_tmf_alloc(struct vhost_scsi *vs,
						   struct vhost_scsi_tmf *parent)
{
	struct vhost_scsi_tmf *tmf = kzalloc(sizeof(*tmf), GFP_KERNEL);

	if (!tmf)
		return NULL;
	tmf->vs = vs;
	tmf->parent = parent;
	tmf->response = VIRTIO_SCSI_S_FAILURE;
	atomic_inc(&vs->tmf_inflight);
	return tmf;
}

static void vhost_scsi_tmf_free(struct vhost_scsi_tmf *tmf)
{
	struct vhost_scsi *vs = tmf->vs;

	kfree(tmf);
	if (atomic_dec_and_test(&vs->tmf_inflight))
		wake_up(&vs->drain_wq);
}

/* Write a guest-visible TMF's response and free it; ctl vq mutex held. */
static void vhost_scsi_tmf_finish(struct vhost_virtqueue *vq,
				  struct vhost_scsi_tmf *tmf)
{
	u32 len = vhost_scsi_write_iov(&tmf->resp_iov, 1, &tmf->response, 1);

	vhost_add_used(vq, tmf->head, len);
	vhost_scsi_tmf_free(tmf);
}

/* Drop one reference of a fanned-out TMF; the last answers it. */
static void vhost_scsi_tmf_put(struct vhost_virtqueue *vq,
			       struct vhost_scsi_tmf *tmf)
{
	if (!--tmf->pending)
		vhost_scsi_tmf_finish(vq, tmf);
}

/* release_cmd for a TMF, any context: the worker answers it. */
void vhost_scsi_tmf_release(struct se_cmd *se_cmd)
{
	struct vhost_scsi_tmf *tmf = container_of(se_cmd, struct vhost_scsi_tmf,
						  se_cmd);
	struct vhost_scsi *vs = tmf->vs;

	llist_add(&tmf->node, &vs->tmf_done);
	vhost_work_queue(&vs->dev, &vs->tmf_work);
}

void vhost_scsi_tmf_work(struct vhost_work *work)
{
	struct vhost_scsi *vs = container_of(work, struct vhost_scsi, tmf_work);
	struct vhost_virtqueue *vq = &vs->vqs[VHOST_SCSI_VQ_CTL].vq;
	struct vhost_scsi_tmf *tmf, *next;
	struct llist_node *list;

	list = llist_reverse_order(llist_del_all(&vs->tmf_done));
	if (!list)
		return;
	mutex_lock(&vq->mutex);
	llist_for_each_entry_safe(tmf, next, list, node) {
		struct vhost_scsi_tmf *parent = tmf->parent;

		if (parent) {
			vhost_scsi_tmf_free(tmf);
			vhost_scsi_tmf_put(vq, parent);
		} else {
			vhost_scsi_tmf_finish(vq, tmf);
		}
	}
	vhost_signal(&vs->dev, vq);
	mutex_unlock(&vq->mutex);
}

/* ---- carrying out TMFs ---- */

static int vhost_scsi_tmf_submit(struct vhost_scsi_tmf *tmf,
				 struct se_session *se_sess, u16 lun,
				 int tcm_type, u64 tag)
{
	return target_submit_tmr(&tmf->se_cmd, se_sess, tmf->sense, lun, tmf,
				 tcm_type, GFP_KERNEL, tag, 0);
}

/* One ABORT TASK for @cmd on behalf of the fanned-out TMF @arg. */
static int vhost_scsi_abort_one(struct vhost_scsi_cmd *cmd, void *arg)
{
	struct vhost_scsi_tmf *parent = arg;
	struct vhost_scsi_tmf *child = vhost_scsi_tmf_alloc(parent->vs, parent);

	if (!child) {
		parent->response = VIRTIO_SCSI_S_FAILURE;
		return 1;
	}
	parent->pending++;
	if (vhost_scsi_tmf_submit(child, cmd->tpg->se_sess,
				  cmd->se_cmd.orig_fe_lun, TMR_ABORT_TASK,
				  cmd->se_cmd.tag)) {
		parent->pending--;
		vhost_scsi_tmf_free(child);
	}
	return 0;
}

/*
 * ABORT TASK SET, CLEAR TASK SET (@any_lun false) and I_T NEXUS RESET
 * (@any_lun true, ended commands report S_RESET).
 */
static void vhost_scsi_tmf_fan_out(struct vhost_virtqueue *vq,
				   struct vhost_scsi_tmf *tmf,
				   struct vhost_scsi_tpg *tpg,
				   bool any_lun, u16 lun)
{
	struct vhost_scsi *vs = tmf->vs;

	if (any_lun)
		vhost_scsi_visit(vs, tpg, true, 0, NULL,
				 vhost_scsi_mark_reset, NULL);
	tmf->response = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	tmf->pending = 1;
	vhost_scsi_visit(vs, tpg, any_lun, lun, NULL, vhost_scsi_abort_one,
			 tmf);
	vhost_scsi_tmf_put(vq, tmf);
}

/*
 * Start @tmf for @r on @tpg.  It is answered here (answered now) or once
 * the target core or the fanned-out aborts are done.
 */
static void vhost_scsi_tmf_start(struct vhost_virtqueue *vq,
				 struct vhost_scsi_tmf *tmf,
				 const struct vhost_scsi_tmf_req *r,
				 struct vhost_scsi_tpg *tpg)
{
	enum vhost_scsi_tmf_action action = vhost_scsi_tmf_action(r->subtype);
	struct vhost_scsi *vs = tmf->vs;
	int tcm_type = TMR_ABORT_TASK;
	const u64 *tag;

	if (action != VHOST_SCSI_TMF_NEXUS_RESET &&
	    action != VHOST_SCSI_TMF_REJECT &&
	    !vhost_scsi_lun_exists(tpg, r->lun)) {
		tmf->response = VIRTIO_SCSI_S_INCORRECT_LUN;
		vhost_scsi_tmf_finish(vq, tmf);
		return;
	}
	switch (action) {
	case VHOST_SCSI_TMF_LUN_RESET:
		vhost_scsi_visit(vs, tpg, false, r->lun, NULL,
				 vhost_scsi_mark_reset, NULL);
		tcm_type = TMR_LUN_RESET;
		fallthrough;
	case VHOST_SCSI_TMF_ABORT_TASK:
		if (vhost_scsi_tmf_submit(tmf, tpg->se_sess, r->lun, tcm_type,
					  r->tag))
			vhost_scsi_tmf_finish(vq, tmf);
		return;
	case VHOST_SCSI_TMF_ABORT_SET:
	case VHOST_SCSI_TMF_NEXUS_RESET:
		vhost_scsi_tmf_fan_out(vq, tmf, tpg,
				       action == VHOST_SCSI_TMF_NEXUS_RESET,
				       r->lun);
		return;
	case VHOST_SCSI_TMF_QUERY_TASK:
	case VHOST_SCSI_TMF_QUERY_SET:
		tag = action == VHOST_SCSI_TMF_QUERY_TASK ? &r->tag : NULL;
		if (vhost_scsi_visit(vs, tpg, false, r->lun, tag, NULL, NULL))
			tmf->response = VIRTIO_SCSI_S_FUNCTION_SUCCEEDED;
		else
			tmf->response = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
		break;
	case VHOST_SCSI_TMF_NOP:
		tmf->response = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
		break;
	case VHOST_SCSI_TMF_REJECT:
		tmf->response = VIRTIO_SCSI_S_FUNCTION_REJECTED;
		break;
	}
	vhost_scsi_tmf_finish(vq, tmf);
}

static void vhost_scsi_ctl_tmf(struct vhost_virtqueue *vq,
			       const struct vhost_scsi_endpoint *ep,
			       struct vhost_scsi_ctl_req *req, const u8 *hdr)
{
	const size_t rest = VHOST_SCSI_TMF_REQ_SIZE - VHOST_SCSI_CTRL_TYPE_SIZE;
	u8 buf[VHOST_SCSI_TMF_REQ_SIZE];
	struct vhost_scsi_tmf_req r;
	struct vhost_scsi_tpg *tpg;
	struct vhost_scsi_tmf *tmf;
	u8 resp;

	vhost_scsi_count(tmfs);
	memcpy(buf, hdr, VHOST_SCSI_CTRL_TYPE_SIZE);
	if (copy_from_iter(buf + VHOST_SCSI_CTRL_TYPE_SIZE, rest, &req->out) !=
	    rest || !req->in_len) {
		resp = VIRTIO_SCSI_S_FAILURE;
		goto answer;
	}
	vhost_scsi_parse_tmf_req(buf, vhost_is_little_endian(vq), &r);
	tpg = r.lun_ok ? ep->tpgs[r.target] : NULL;
	/* Pairs with the release in vhost_scsi_make_nexus(). */
	if (!tpg || !smp_load_acquire(&tpg->se_sess)) {
		resp = VIRTIO_SCSI_S_BAD_TARGET;
		goto answer;
	}
	tmf = vhost_scsi_tmf_alloc(to_svq(vq)->vs, NULL);
	if (!tmf) {
		resp = VIRTIO_SCSI_S_FAILURE;
		goto answer;
	}
	tmf->head = req->head;
	tmf->resp_iov.iov_base = req->in_iov[0].iov_base;
	tmf->resp_iov.iov_len = 1;
	vhost_scsi_tmf_start(vq, tmf, &r, tpg);
	return;

answer:
	vhost_scsi_ctl_answer(vq, req, &resp, sizeof(resp));
}

/*
 * We report no asynchronous events, for any LUN: event_actual 0 is the
 * honest answer, and it needs no TPG, so a LUN naming no target is fine.
 */
static void vhost_scsi_ctl_an(struct vhost_virtqueue *vq,
			      struct vhost_scsi_ctl_req *req, const u8 *hdr)
{
	const size_t rest = VHOST_SCSI_AN_REQ_SIZE - VHOST_SCSI_CTRL_TYPE_SIZE;
	u8 buf[VHOST_SCSI_AN_REQ_SIZE];
	u8 resp[VHOST_SCSI_AN_RESP_SIZE];
	struct vhost_scsi_an_req an;
	u8 response = VIRTIO_SCSI_S_OK;

	vhost_scsi_count(ans);
	memcpy(buf, hdr, VHOST_SCSI_CTRL_TYPE_SIZE);
	if (copy_from_iter(buf + VHOST_SCSI_CTRL_TYPE_SIZE, rest, &req->out) !=
	    rest) {
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
static bool vhost_scsi_ctl_one(struct vhost_virtqueue *vq,
			       const struct vhost_scsi_endpoint *ep)
{
	struct vhost_scsi_ctl_req req;
	u8 hdr[VHOST_SCSI_CTRL_TYPE_SIZE];
	unsigned int out, in;
	u8 resp = VIRTIO_SCSI_S_FAILURE;

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
		vhost_scsi_ctl_answer(vq, &req, &resp, sizeof(resp));
		return true;
	}
	switch (vhost_scsi_ctrl_type(hdr, vhost_is_little_endian(vq))) {
	case VIRTIO_SCSI_T_TMF:
		vhost_scsi_ctl_tmf(vq, ep, &req, hdr);
		break;
	case VIRTIO_SCSI_T_AN_QUERY:
	case VIRTIO_SCSI_T_AN_SUBSCRIBE:
		vhost_scsi_ctl_an(vq, &req, hdr);
		break;
	default:
		vhost_scsi_ctl_answer(vq, &req, &resp, sizeof(resp));
		break;
	}
	return true;
}

void vhost_scsi_handle_ctl_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);
	const struct vhost_scsi_endpoint *ep;
	struct vhost_dev *dev = vq->dev;
	int n = 0;

	mutex_lock(&vq->mutex);
	ep = vhost_vq_get_backend(vq);
	if (!ep)
		goto out;
	vhost_disable_notify(dev, vq);
	do {
		if (!vhost_scsi_ctl_one(vq, ep)) {
			if (likely(!vhost_enable_notify(dev, vq)))
				break;
			vhost_disable_notify(dev, vq);
			continue;
		}
	} while (!vhost_exceeds_weight(vq, ++n, 0));
	vhost_signal(dev, vq);
out:
	mutex_unlock(&vq->mutex);
}
