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
 * TMF before the commands it aborts are released, and each release hands
 * that command to the thread serving its queue first, and tmf_work answers
 * what the request queues have been handed (vhost_scsi_complete_all())
 * before it answers TMFs: with our own request-queue threads
 * (scsi_worker.c) that thread is not the one that answers the TMF.
 *
 * Nothing here waits: a TMF that must run in the target core is handed to
 * it and answered from tmf_work, so the request queue that carries an
 * aborted command keeps draining.  Every request is answered, malformed
 * and unknown ones included.  The aborting TMFs run one at a time per
 * device (see "aborting TMFs" below).  A TMF that a LOGICAL UNIT RESET
 * ends before it is done is answered S_RESET (scsi_fabric.c, aborted_task).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/virtio_scsi.h>

#include "scsi.h"
#include "scsi_trace.h"

/* A control request being handled; lives on the worker's stack. */
struct vhost_scsi_ctl_req {
	int head;
	struct iov_iter out;
	const struct iovec *in_iov;
	unsigned int in_iovs;
	size_t in_len;
	unsigned int log_num;	/* writable descriptors in vq->log */
};

/* What handling one control request did to the ring. */
enum vhost_scsi_ctl_outcome {
	VHOST_SCSI_CTL_EMPTY,	/* nothing available */
	VHOST_SCSI_CTL_DONE,	/* consumed: answered, or answered later */
	VHOST_SCSI_CTL_BROKEN,	/* the used ring cannot be written: stop */
};

/* Where a TMF stands after a step. */
enum vhost_scsi_tmf_state {
	VHOST_SCSI_TMF_PENDING,		/* answered later, from tmf_work */
	VHOST_SCSI_TMF_ANSWERED,	/* answered and freed */
	VHOST_SCSI_TMF_UNWRITABLE,	/* freed, but the used ring refused it */
};

/*
 * Answer with @len bytes of @buf if the guest left room, else unwritten.
 * Return: false if the used ring could not be written.
 */
static bool vhost_scsi_ctl_answer(struct vhost_virtqueue *vq,
				  struct vhost_scsi_ctl_req *req,
				  const void *buf, size_t len)
{
	u32 written = 0;

	if (req->in_len >= len &&
	    vhost_scsi_write_iov(req->in_iov, req->in_iovs, buf, len))
		written = len;
	else
		vhost_scsi_refuse(to_svq(vq), VHOST_SCSI_R_BAD_HEADER);
	vhost_scsi_log_write(vq, vq->log, req->log_num, written);
	return !vhost_add_used(vq, req->head, written);
}

/* ---- the task set, as our pools see it ---- */

/*
 * A request queue's pool, while the TMF code looks at it.  The thread
 * serving the queue (ours or the vhost worker) takes commands, submits
 * them and answers them under the queue's mutex, so with it held every
 * command is either not yet submitted (in_lio false) or fully handed to the
 * target core, and its tag, LUN and TPG stay as read.  Nested inside the
 * control queue's mutex (lock order, scsi.h).  A pool is allocated and
 * freed only under vhost_dev.mutex and outlives the endpoint a TMF came
 * through; it grows and shrinks under the queue's mutex, and never shrinks
 * while a TMF is allocated (vhost_scsi_pool_shrink()), so a command a TMF
 * found stays valid until the TMF is freed.
 */
static void vhost_scsi_pool_lock(struct vhost_scsi *vs,
				 struct vhost_scsi_vq *svq)
{
	lockdep_assert_held(&vs->vqs[VHOST_SCSI_VQ_CTL].vq.mutex);
	mutex_lock_nested(&svq->vq.mutex, SINGLE_DEPTH_NESTING);
}

/*
 * Commands in the target core for @tpg (and @lun unless @any_lun), and
 * with @tag if given; @fn runs on each with its queue's mutex held.
 */
static unsigned int vhost_scsi_visit(struct vhost_scsi *vs,
				     const struct vhost_scsi_tpg *tpg,
				     bool any_lun, u16 lun, const u64 *tag,
				     int (*fn)(struct vhost_scsi_cmd *, void *),
				     void *arg)
{
	unsigned int found = 0, i;
	int q, stop = 0;

	for (q = VHOST_SCSI_VQ_IO; q < vs->nvqs && !stop; q++) {
		struct vhost_scsi_vq *svq = &vs->vqs[q];

		if (!READ_ONCE(svq->pool_size))
			continue;
		vhost_scsi_pool_lock(vs, svq);
		for (i = 0; i < svq->pool_size && !stop; i++) {
			struct vhost_scsi_cmd *cmd = vhost_scsi_pool_cmd(svq, i);

			if (!READ_ONCE(cmd->in_lio) || cmd->tpg != tpg ||
			    (!any_lun && cmd->se_cmd.orig_fe_lun != lun) ||
			    (tag && cmd->se_cmd.tag != *tag))
				continue;
			found++;
			if (fn)
				stop = fn(cmd, arg);
		}
		mutex_unlock(&svq->vq.mutex);
	}
	return found;
}

static int vhost_scsi_mark_reset(struct vhost_scsi_cmd *cmd, void *arg)
{
	WRITE_ONCE(cmd->abort_response, VIRTIO_SCSI_S_RESET);
	return 0;
}

/*
 * Mark @cmd as the target of the aborting TMF @arg, unless an earlier one
 * targeted it (that abort is done, so the command is finishing anyway).
 * release_cmd clears the mark after clearing in_lio; re-reading in_lio
 * after setting the mark, with a full barrier on both sides, makes sure
 * a mark never survives the release it raced with.
 */
static int vhost_scsi_mark_abort(struct vhost_scsi_cmd *cmd, void *arg)
{
	const struct vhost_scsi_tmf *tmf = arg;

	if (READ_ONCE(cmd->abort_seq))
		return 0;
	WRITE_ONCE(cmd->abort_seq, tmf->seq);
	/* Pairs with the one in vhost_scsi_release_cmd(). */
	smp_mb();
	if (!READ_ONCE(cmd->in_lio))
		WRITE_ONCE(cmd->abort_seq, 0);
	return 0;
}

/* ABORT TASK's lookup (vhost_scsi_find_mark()). */
struct vhost_scsi_abort_find {
	const struct vhost_scsi_tmf *tmf;
	struct vhost_scsi_cmd *cmd;
	bool marked;
};

/*
 * Mark the first command found for the aborting TMF and note whether the
 * mark held (no earlier abort targeted it, and it was still in the target
 * core), under its queue's mutex.
 */
static int vhost_scsi_find_mark(struct vhost_scsi_cmd *cmd, void *arg)
{
	struct vhost_scsi_abort_find *f = arg;

	vhost_scsi_mark_abort(cmd, (void *)f->tmf);
	f->cmd = cmd;
	f->marked = READ_ONCE(cmd->abort_seq) == f->tmf->seq;
	return 1;
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
	struct vhost_scsi_tmf *tmf;

	if (vhost_scsi_fault(VHOST_SCSI_FAULT_TMF))
		return NULL;
	tmf = kzalloc(sizeof(*tmf), GFP_KERNEL_ACCOUNT);
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
static enum vhost_scsi_tmf_state
vhost_scsi_tmf_finish(struct vhost_virtqueue *vq, struct vhost_scsi_tmf *tmf)
{
	u32 len = vhost_scsi_write_iov(&tmf->resp_iov, 1, &tmf->response, 1);
	int ret;

	lockdep_assert_held(&vq->mutex);
	trace_vhost_scsi_tmf_answered(tmf->vs, tmf->subtype, tmf->lun,
				      tmf->tag, tmf->response);
	vhost_scsi_log_write(vq, &tmf->resp_log, 1, len);
	ret = vhost_add_used(vq, tmf->head, len);
	vhost_scsi_tmf_free(tmf);
	return ret ? VHOST_SCSI_TMF_UNWRITABLE : VHOST_SCSI_TMF_ANSWERED;
}

/*
 * release_cmd for a TMF, any context: the worker answers it.  See the
 * handoff rule in scsi.h for the RCU section.
 */
void vhost_scsi_tmf_release(struct se_cmd *se_cmd)
{
	struct vhost_scsi_tmf *tmf = container_of(se_cmd, struct vhost_scsi_tmf,
						  se_cmd);
	struct vhost_scsi *vs = tmf->vs;

	rcu_read_lock();
	llist_add(&tmf->node, &vs->tmf_done);
	vhost_work_queue(&vs->dev, &vs->tmf_work);
	rcu_read_unlock();
}

static int vhost_scsi_tmf_submit(struct vhost_scsi_tmf *tmf,
				 struct se_session *se_sess, u16 lun,
				 int tcm_type, u64 tag)
{
	return target_submit_tmr(&tmf->se_cmd, se_sess, tmf->sense, lun, tmf,
				 tcm_type, GFP_KERNEL_ACCOUNT, tag, 0);
}

/* ---- aborting TMFs ---- */

/*
 * ABORT TASK, ABORT TASK SET, CLEAR TASK SET and I_T NEXUS RESET run one at
 * a time per device, in arrival order; the others wait on abort_first,
 * each holding its control-queue descriptor, so the ring bounds the queue.
 * When one starts it marks the commands it targets (abort_seq) and skips
 * those an earlier one already targeted; a fanned-out one then keeps at
 * most VHOST_SCSI_ABORT_WINDOW ABORT TASKs in the target core, issuing the
 * next as one comes back, and only for commands still there.  So repeated
 * task-set functions cost one abort per command, not one per request, and
 * a guest ties up a bounded number of the target core's kernel workers.
 */

/* A command to abort, as read under its queue's mutex. */
struct vhost_scsi_abort_target {
	struct vhost_scsi_cmd *cmd;
	struct se_session *se_sess;
	u64 tag;
	u16 lun;
};

/*
 * The next command @tmf marked that is still in the target core, copied
 * into @t: once the queue's mutex is dropped the command may finish and be
 * reused, and the ABORT TASK must name the one that was marked.
 */
static bool vhost_scsi_next_marked(struct vhost_scsi_tmf *tmf,
				   struct vhost_scsi_abort_target *t)
{
	struct vhost_scsi *vs = tmf->vs;
	struct vhost_scsi_cmd *cmd;

	for (; tmf->cursor_q < vs->nvqs; tmf->cursor_q++, tmf->cursor_i = 0) {
		struct vhost_scsi_vq *svq = &vs->vqs[tmf->cursor_q];

		if (!READ_ONCE(svq->pool_size))
			continue;
		vhost_scsi_pool_lock(vs, svq);
		while (tmf->cursor_i < svq->pool_size) {
			cmd = vhost_scsi_pool_cmd(svq, tmf->cursor_i++);
			if (READ_ONCE(cmd->abort_seq) != tmf->seq ||
			    !READ_ONCE(cmd->in_lio))
				continue;
			t->cmd = cmd;
			t->se_sess = cmd->tpg->se_sess;
			t->tag = cmd->se_cmd.tag;
			t->lun = cmd->se_cmd.orig_fe_lun;
			mutex_unlock(&svq->vq.mutex);
			return true;
		}
		mutex_unlock(&svq->vq.mutex);
	}
	return false;
}

/*
 * One ABORT TASK for @t on behalf of the fanned-out TMF @parent.  If it
 * cannot be sent the mark goes: release_cmd may have cleared it already,
 * and no other TMF marks while this one runs, so clearing it is harmless.
 */
static void vhost_scsi_abort_one(const struct vhost_scsi_abort_target *t,
				 struct vhost_scsi_tmf *parent)
{
	struct vhost_scsi_tmf *child = vhost_scsi_tmf_alloc(parent->vs, parent);

	if (child && !vhost_scsi_tmf_submit(child, t->se_sess, t->lun,
					    TMR_ABORT_TASK, t->tag)) {
		parent->pending++;
		return;
	}
	if (child)
		vhost_scsi_tmf_free(child);
	WRITE_ONCE(t->cmd->abort_seq, 0);
	parent->response = VIRTIO_SCSI_S_FAILURE;
}

/* Keep @tmf's window of ABORT TASKs full; answer it once all are back. */
static enum vhost_scsi_tmf_state
vhost_scsi_fan_out_more(struct vhost_virtqueue *vq, struct vhost_scsi_tmf *tmf)
{
	struct vhost_scsi_abort_target t;

	while (tmf->pending < VHOST_SCSI_ABORT_WINDOW &&
	       vhost_scsi_next_marked(tmf, &t))
		vhost_scsi_abort_one(&t, tmf);
	if (tmf->pending)
		return VHOST_SCSI_TMF_PENDING;
	return vhost_scsi_tmf_finish(vq, tmf);
}

/* ABORT/CLEAR TASK SET, or I_T NEXUS RESET (ended commands: S_RESET). */
static enum vhost_scsi_tmf_state
vhost_scsi_fan_out_start(struct vhost_virtqueue *vq, struct vhost_scsi_tmf *tmf)
{
	bool any_lun = tmf->action == VHOST_SCSI_TMF_NEXUS_RESET;

	if (any_lun)
		vhost_scsi_visit(tmf->vs, tmf->tpg, true, 0, NULL,
				 vhost_scsi_mark_reset, NULL);
	tmf->response = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	tmf->cursor_q = VHOST_SCSI_VQ_IO;
	vhost_scsi_visit(tmf->vs, tmf->tpg, any_lun, tmf->lun, NULL,
			 vhost_scsi_mark_abort, tmf);
	return vhost_scsi_fan_out_more(vq, tmf);
}

/*
 * ABORT TASK runs in the target core only when the command it names is
 * there and no earlier abort targeted it; otherwise there is nothing left
 * to abort, which SAM answers FUNCTION COMPLETE.
 */
static enum vhost_scsi_tmf_state
vhost_scsi_abort_task_start(struct vhost_virtqueue *vq,
			    struct vhost_scsi_tmf *tmf)
{
	struct vhost_scsi_abort_find f = { .tmf = tmf };

	vhost_scsi_visit(tmf->vs, tmf->tpg, false, tmf->lun, &tmf->tag,
			 vhost_scsi_find_mark, &f);
	if (!f.marked) {
		tmf->response = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
		return vhost_scsi_tmf_finish(vq, tmf);
	}
	if (vhost_scsi_tmf_submit(tmf, tmf->tpg->se_sess, tmf->lun,
				  TMR_ABORT_TASK, tmf->tag)) {
		WRITE_ONCE(f.cmd->abort_seq, 0);
		return vhost_scsi_tmf_finish(vq, tmf);
	}
	return VHOST_SCSI_TMF_PENDING;
}

/*
 * Start the aborting TMFs waiting their turn until one stays pending.
 * Return: false if a response could not be written to the used ring.
 */
static bool vhost_scsi_abort_next(struct vhost_virtqueue *vq,
				  struct vhost_scsi *vs)
{
	enum vhost_scsi_tmf_state state;
	struct vhost_scsi_tmf *tmf;
	bool ok = true;

	lockdep_assert_held(&vq->mutex);
	while (!vs->abort_running && vs->abort_first) {
		tmf = vs->abort_first;
		vs->abort_first = tmf->next;
		if (!vs->abort_first)
			vs->abort_last = NULL;
		if (!++vs->abort_seq)
			vs->abort_seq = 1;
		tmf->seq = vs->abort_seq;
		if (tmf->action == VHOST_SCSI_TMF_ABORT_TASK)
			state = vhost_scsi_abort_task_start(vq, tmf);
		else
			state = vhost_scsi_fan_out_start(vq, tmf);
		if (state == VHOST_SCSI_TMF_PENDING)
			vs->abort_running = tmf;
		ok &= state != VHOST_SCSI_TMF_UNWRITABLE;
	}
	return ok;
}

/* Queue an aborting TMF behind the others.  Return as abort_next(). */
static bool vhost_scsi_abort_queue(struct vhost_virtqueue *vq,
				   struct vhost_scsi_tmf *tmf)
{
	struct vhost_scsi *vs = tmf->vs;

	tmf->next = NULL;
	if (vs->abort_last)
		vs->abort_last->next = tmf;
	else
		vs->abort_first = tmf;
	vs->abort_last = tmf;
	return vhost_scsi_abort_next(vq, vs);
}

/*
 * A TMF back from the target core: answer it, or, for a fanned-out one's
 * child, continue the parent.  A child a LUN reset ended makes the parent
 * report S_RESET too.  Whichever aborting TMF ends lets the next start.
 */
static void vhost_scsi_tmf_done(struct vhost_virtqueue *vq,
				struct vhost_scsi_tmf *tmf)
{
	struct vhost_scsi_tmf *parent = tmf->parent;
	struct vhost_scsi *vs = tmf->vs;
	bool was_running = (parent ?: tmf) == vs->abort_running;

	if (parent) {
		if (tmf->response == VIRTIO_SCSI_S_RESET &&
		    parent->response == VIRTIO_SCSI_S_FUNCTION_COMPLETE)
			parent->response = VIRTIO_SCSI_S_RESET;
		vhost_scsi_tmf_free(tmf);
		parent->pending--;
		if (vhost_scsi_fan_out_more(vq, parent) ==
		    VHOST_SCSI_TMF_PENDING)
			return;
	} else {
		vhost_scsi_tmf_finish(vq, tmf);
	}
	if (was_running) {
		vs->abort_running = NULL;
		vhost_scsi_abort_next(vq, vs);
	}
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
	/* Commands these TMFs ended were handed back before them. */
	vhost_scsi_complete_all(vs);
	mutex_lock(&vq->mutex);
	llist_for_each_entry_safe(tmf, next, list, node)
		vhost_scsi_tmf_done(vq, tmf);
	vhost_scsi_signal(to_svq(vq));
	mutex_unlock(&vq->mutex);
}

/* ---- carrying out TMFs ---- */

/*
 * Start @tmf on its TPG.  It is answered here (answered now) or once the
 * target core or the aborts it waits for are done.
 * Return: false if a response could not be written to the used ring.
 */
static bool vhost_scsi_tmf_start(struct vhost_virtqueue *vq,
				 struct vhost_scsi_tmf *tmf)
{
	struct vhost_scsi_tpg *tpg = tmf->tpg;
	const u64 *tag = NULL;

	if (tmf->action != VHOST_SCSI_TMF_NEXUS_RESET &&
	    tmf->action != VHOST_SCSI_TMF_REJECT &&
	    !vhost_scsi_lun_exists(tpg, tmf->lun)) {
		tmf->response = VIRTIO_SCSI_S_INCORRECT_LUN;
		goto answer;
	}
	switch (tmf->action) {
	case VHOST_SCSI_TMF_LUN_RESET:
		vhost_scsi_visit(tmf->vs, tpg, false, tmf->lun, NULL,
				 vhost_scsi_mark_reset, NULL);
		if (vhost_scsi_tmf_submit(tmf, tpg->se_sess, tmf->lun,
					  TMR_LUN_RESET, 0))
			goto answer;
		return true;
	case VHOST_SCSI_TMF_ABORT_TASK:
	case VHOST_SCSI_TMF_ABORT_SET:
	case VHOST_SCSI_TMF_NEXUS_RESET:
		return vhost_scsi_abort_queue(vq, tmf);
	case VHOST_SCSI_TMF_QUERY_TASK:
		tag = &tmf->tag;
		fallthrough;
	case VHOST_SCSI_TMF_QUERY_SET:
		if (vhost_scsi_visit(tmf->vs, tpg, false, tmf->lun, tag, NULL,
				     NULL))
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
answer:
	return vhost_scsi_tmf_finish(vq, tmf) == VHOST_SCSI_TMF_ANSWERED;
}

static bool vhost_scsi_ctl_tmf(struct vhost_virtqueue *vq,
			       const struct vhost_scsi_endpoint *ep,
			       struct vhost_scsi_ctl_req *req, const u8 *hdr)
{
	const size_t rest = VHOST_SCSI_TMF_REQ_SIZE - VHOST_SCSI_CTRL_TYPE_SIZE;
	u8 buf[VHOST_SCSI_TMF_REQ_SIZE];
	struct vhost_scsi_tmf_req r = {};
	struct vhost_scsi_tpg *tpg;
	struct vhost_scsi_tmf *tmf;
	u8 resp;

	vhost_scsi_count(tmfs);
	vhost_scsi_qcount(to_svq(vq), tmfs);
	memcpy(buf, hdr, VHOST_SCSI_CTRL_TYPE_SIZE);
	if (copy_from_iter(buf + VHOST_SCSI_CTRL_TYPE_SIZE, rest, &req->out) !=
	    rest || !req->in_len) {
		resp = VIRTIO_SCSI_S_FAILURE;
		goto answer;
	}
	vhost_scsi_parse_tmf_req(buf, vhost_is_little_endian(vq), &r);
	trace_vhost_scsi_tmf_received(to_svq(vq)->vs, r.subtype, r.lun, r.tag,
				      0);
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
	/* The first writable descriptor holds the response byte. */
	if (req->log_num)
		tmf->resp_log = vq->log[0];
	tmf->tpg = tpg;
	tmf->action = vhost_scsi_tmf_action(r.subtype);
	tmf->subtype = r.subtype;
	tmf->lun = r.lun;
	tmf->tag = r.tag;
	return vhost_scsi_tmf_start(vq, tmf);

answer:
	trace_vhost_scsi_tmf_answered(to_svq(vq)->vs, r.subtype, r.lun, r.tag,
				      resp);
	return vhost_scsi_ctl_answer(vq, req, &resp, sizeof(resp));
}

/*
 * We report no asynchronous events, for any LUN: event_actual 0 is the
 * honest answer, and it needs no TPG, so a LUN naming no target is fine.
 */
static bool vhost_scsi_ctl_an(struct vhost_virtqueue *vq,
			      struct vhost_scsi_ctl_req *req, const u8 *hdr)
{
	const size_t rest = VHOST_SCSI_AN_REQ_SIZE - VHOST_SCSI_CTRL_TYPE_SIZE;
	u8 buf[VHOST_SCSI_AN_REQ_SIZE];
	u8 resp[VHOST_SCSI_AN_RESP_SIZE];
	struct vhost_scsi_an_req an;
	u8 response = VIRTIO_SCSI_S_OK;

	vhost_scsi_count(ans);
	vhost_scsi_qcount(to_svq(vq), ans);
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
	return vhost_scsi_ctl_answer(vq, req, resp, sizeof(resp));
}

static enum vhost_scsi_ctl_outcome
vhost_scsi_ctl_one(struct vhost_virtqueue *vq,
		   const struct vhost_scsi_endpoint *ep)
{
	struct vhost_scsi_ctl_req req;
	u8 hdr[VHOST_SCSI_CTRL_TYPE_SIZE];
	unsigned int out, in;
	u8 resp = VIRTIO_SCSI_S_FAILURE;
	bool ok;

	req.head = vhost_get_vq_desc(vq, vq->iov, ARRAY_SIZE(vq->iov),
				     &out, &in, vq->log, &req.log_num);
	if (req.head < 0)
		return vhost_scsi_skip_bad_chain(vq) ? VHOST_SCSI_CTL_DONE :
						       VHOST_SCSI_CTL_BROKEN;
	if (req.head == vq->num)
		return VHOST_SCSI_CTL_EMPTY;
	iov_iter_init(&req.out, ITER_SOURCE, vq->iov, out,
		      iov_length(vq->iov, out));
	req.in_iov = vq->iov + out;
	req.in_iovs = in;
	req.in_len = iov_length(vq->iov + out, in);

	if (copy_from_iter(hdr, sizeof(hdr), &req.out) != sizeof(hdr)) {
		ok = vhost_scsi_ctl_answer(vq, &req, &resp, sizeof(resp));
		goto out;
	}
	switch (vhost_scsi_ctrl_type(hdr, vhost_is_little_endian(vq))) {
	case VIRTIO_SCSI_T_TMF:
		ok = vhost_scsi_ctl_tmf(vq, ep, &req, hdr);
		break;
	case VIRTIO_SCSI_T_AN_QUERY:
	case VIRTIO_SCSI_T_AN_SUBSCRIBE:
		ok = vhost_scsi_ctl_an(vq, &req, hdr);
		break;
	default:
		ok = vhost_scsi_ctl_answer(vq, &req, &resp, sizeof(resp));
		break;
	}
out:
	return ok ? VHOST_SCSI_CTL_DONE : VHOST_SCSI_CTL_BROKEN;
}

/*
 * The kick loop, bounded by the vhost weight.  A ring whose used side
 * cannot be written (or whose avail index is bogus) stops the queue with
 * vq_err() until the next kick, as the request queues do: going on would
 * consume requests that can never be answered.
 */
void vhost_scsi_handle_ctl_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);
	const struct vhost_scsi_endpoint *ep;
	enum vhost_scsi_ctl_outcome ret;
	struct vhost_dev *dev = vq->dev;
	int n = 0;

	mutex_lock(&vq->mutex);
	vhost_scsi_qcount(to_svq(vq), kicks);
	ep = vhost_vq_get_backend(vq);
	if (!ep)
		goto out;
	vhost_disable_notify(dev, vq);
	do {
		ret = vhost_scsi_ctl_one(vq, ep);
		if (ret == VHOST_SCSI_CTL_EMPTY) {
			if (likely(!vhost_enable_notify(dev, vq)))
				break;
			vhost_disable_notify(dev, vq);
			continue;
		}
		if (ret == VHOST_SCSI_CTL_BROKEN) {
			vq_err(vq, "vhost-scsi: control ring unusable\n");
			break;
		}
	} while (!vhost_exceeds_weight(vq, ++n, 0));
	vhost_scsi_signal(to_svq(vq));
out:
	mutex_unlock(&vq->mutex);
}
