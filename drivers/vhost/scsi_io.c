// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: request queues, the hot path.
 *
 * receive:  the kick handler pops a descriptor chain (handle_one);
 * parse:    header and LUN, CDB length, data direction, all checked before
 *           anything is taken from the pool; the direction comes from the
 *           CDB and the guest's buffers may only agree with it;
 * map:      guest data pages are pinned straight into the command's
 *           scatterlist, no copy (scsi_map.c);
 * submit:   target_init_cmd / target_submit_prep, a check of the segments
 *           against the backstore, then the target core's submission queue
 *           (or direct, see submit_direct);
 * complete: release_cmd (scsi_fabric.c) puts the command on the queue's done
 *           list; complete_work writes the response across the guest's
 *           buffers, returns the descriptor and signals once per batch;
 * release:  pages unpinned, chained chunks freed, command back on the
 *           free list.
 *
 * Everything that touches guest memory runs in the thread serving the queue
 * (ours or the vhost worker, scsi_worker.c), which has the client's mm.
 * Requests of up to VHOST_SCSI_INLINE_SGL pages with their response in
 * one iovec allocate nothing; larger or split ones allocate in that
 * thread, which may sleep (see vhost_scsi_prepare_cmd for
 * what a failure answers).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/virtio_scsi.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_backend.h>

#include "scsi.h"
#include "scsi_trace.h"

static bool submit_direct;
module_param(submit_direct, bool, 0644);
MODULE_PARM_DESC(submit_direct,
		 "Execute commands in the vhost worker instead of the target core's submission workqueue (default: N)");

/* What handle_one() did with the ring. */
enum vhost_scsi_outcome {
	VHOST_SCSI_EMPTY,	/* nothing available */
	VHOST_SCSI_USED,	/* answered at once: descriptor on used ring */
	VHOST_SCSI_SUBMITTED,	/* handed to the target core */
	VHOST_SCSI_BROKEN,	/* the ring itself is unusable: stop */
};

/*
 * Add one chunk of commands to @svq's pool and put them on the free list.
 * Return: false if there was no memory (the pool stays as it was).
 */
static bool vhost_scsi_pool_add_chunk(struct vhost_scsi_vq *svq)
{
	unsigned int k = svq->pool_size / VHOST_SCSI_POOL_CHUNK;
	unsigned int n = min_t(unsigned int, VHOST_SCSI_POOL_CHUNK,
			       svq->pool_max - svq->pool_size);
	struct scatterlist *prot = NULL;
	struct vhost_scsi_cmd *cmds;
	unsigned int i;

	if (vhost_scsi_fault(VHOST_SCSI_FAULT_POOL))
		return false;
	cmds = kvcalloc(n, sizeof(*cmds), GFP_KERNEL_ACCOUNT);
	if (cmds && svq->pool_pi && !vhost_scsi_fault(VHOST_SCSI_FAULT_POOL))
		prot = kvmalloc_array(n * VHOST_SCSI_INLINE_PROT_SGL,
				      sizeof(*prot), GFP_KERNEL_ACCOUNT);
	if (!cmds || (svq->pool_pi && !prot)) {
		kvfree(cmds);
		return false;
	}
	for (i = 0; i < n; i++) {
		struct vhost_scsi_cmd *cmd = &cmds[i];

		cmd->svq = svq;
		cmd->resp_iov = &cmd->resp_iov_one;
		if (prot)
			cmd->prot_inline = &prot[i * VHOST_SCSI_INLINE_PROT_SGL];
		llist_add(&cmd->node, &svq->free);
	}
	svq->chunks[k] = cmds;
	svq->prot_chunks[k] = prot;
	WRITE_ONCE(svq->pool_size, svq->pool_size + n);
	return true;
}

/* Free the chunks from @keep on; every command in them is free. */
static void vhost_scsi_pool_cut(struct vhost_scsi_vq *svq, unsigned int keep)
{
	unsigned int k;

	for (k = keep; k < VHOST_SCSI_POOL_CHUNKS && svq->chunks[k]; k++) {
		kvfree(svq->prot_chunks[k]);
		kvfree(svq->chunks[k]);
		svq->prot_chunks[k] = NULL;
		svq->chunks[k] = NULL;
	}
}

/*
 * The pool's base, when the endpoint is set (vhost_dev.mutex held, so the
 * acked features stay as they are).  Inline protection entries only for
 * a device that acked T10-PI by then; one that acks it later gets chained
 * ones per command.
 */
int vhost_scsi_pool_alloc(struct vhost_scsi_vq *svq)
{
	unsigned int base;

	svq->pool_max = min_t(unsigned int, svq->vq.num, VHOST_SCSI_MAX_POOL);
	svq->pool_pi = vhost_has_feature(&svq->vq, VIRTIO_SCSI_F_T10_PI);
	base = min_t(unsigned int, svq->pool_max, VHOST_SCSI_POOL_BASE);
	init_llist_head(&svq->free);
	while (svq->pool_size < base) {
		if (!vhost_scsi_pool_add_chunk(svq)) {
			vhost_scsi_pool_free(svq);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Only once every command is back: after CLEAR_ENDPOINT's drain, when
 * each command has freed what it allocated (scsi.h, vhost_scsi_cmd).
 */
void vhost_scsi_pool_free(struct vhost_scsi_vq *svq)
{
	WARN_ON_ONCE(atomic_read(&svq->inflight));
	vhost_scsi_pool_cut(svq, 0);
	WRITE_ONCE(svq->pool_size, 0);
	init_llist_head(&svq->free);
}

/*
 * No free command: grow the pool by a chunk if the ring allows more.  In
 * the thread serving the queue, under its mutex; the TMF code sees the new
 * commands the next time it takes the mutex.  Return: true if it grew.
 */
static bool vhost_scsi_pool_grow(struct vhost_scsi_vq *svq)
{
	lockdep_assert_held(&svq->vq.mutex);
	if (svq->pool_size >= svq->pool_max || !vhost_scsi_pool_add_chunk(svq))
		return false;
	svq->pool_grown_at = jiffies;
	vhost_scsi_count(pool_grown);
	return true;
}

/*
 * Back to the base once the queue has drained, if it last grew at least
 * VHOST_SCSI_POOL_IDLE ago (a queue that keeps refilling is not shrunk and
 * grown again for every burst).  Every command is free, and no TMF holds
 * a pointer into the pool: a TMF counts in tmf_inflight from before its
 * scan takes this mutex until after its last use of a command it found.
 * Under the queue's mutex, in the thread serving it.
 */
static void vhost_scsi_pool_shrink(struct vhost_scsi_vq *svq)
{
	unsigned int base = min_t(unsigned int, svq->pool_max,
				  VHOST_SCSI_POOL_BASE);
	unsigned int i;

	lockdep_assert_held(&svq->vq.mutex);
	if (svq->pool_size <= base || atomic_read(&svq->inflight) ||
	    atomic_read(&svq->vs->tmf_inflight) ||
	    time_before(jiffies, svq->pool_grown_at + VHOST_SCSI_POOL_IDLE))
		return;
	vhost_scsi_pool_cut(svq, base / VHOST_SCSI_POOL_CHUNK);
	vhost_scsi_count(pool_shrunk);
	WRITE_ONCE(svq->pool_size, base);
	init_llist_head(&svq->free);
	for (i = 0; i < base; i++)
		llist_add(&vhost_scsi_pool_cmd(svq, i)->node, &svq->free);
}

/* ---- receive and parse ---- */

/*
 * Write @len bytes of @buf at the start of the guest's writable buffers.
 * Return: true if all of it fit and was written.
 */
bool vhost_scsi_write_iov(const struct iovec *iov, unsigned int n,
			  const void *buf, size_t len)
{
	struct iov_iter it;

	iov_iter_init(&it, ITER_DEST, iov, n, len);
	return copy_to_iter(buf, len, &it) == len;
}

/* Answer @req without running it; the response area is known to fit. */
static enum vhost_scsi_outcome
vhost_scsi_answer(struct vhost_scsi_vq *svq, struct vhost_scsi_req *req,
		  u8 response, u8 status, const u8 *sense, u32 sense_len)
{
	struct vhost_scsi_cmd_resp resp = {
		.response = response,
		.status = status,
		.sense = sense,
		.sense_len = sense_len,
		.resid = req->data_in + req->data_out,
	};
	u8 buf[VHOST_SCSI_CMD_RESP_SIZE];
	u32 len = 0;

	vhost_scsi_build_cmd_resp(buf, vhost_is_little_endian(&svq->vq), &resp);
	if (vhost_scsi_write_iov(req->in_iov, req->in_iovs, buf, sizeof(buf)))
		len = sizeof(buf);
	vhost_scsi_log_write(&svq->vq, svq->vq.log, req->log_num, len);
	vhost_add_used(&svq->vq, req->head, len);
	return VHOST_SCSI_USED;
}

/*
 * vhost_get_vq_desc() failed.  When it failed on a chain it could not map
 * (an address outside the memory table, a loop, a bad indirect table) the
 * avail entry exists and is still there: consume it and give it back
 * unwritten so the queue keeps moving.  It also fails before any entry
 * exists: the avail index itself unreadable or moved by more than the ring
 * size (vhost_get_avail_idx() then left vq->avail_idx alone), or a head
 * that is not a descriptor; skipping then would consume entries the guest
 * never posted.  Those, like a used ring that cannot be written, leave the
 * ring unusable.
 * Return: true if the queue can go on.
 */
bool vhost_scsi_skip_bad_chain(struct vhost_virtqueue *vq)
{
	u16 idx = vq->last_avail_idx;
	__virtio16 raw;
	u16 head;

	vhost_scsi_refuse(to_svq(vq), VHOST_SCSI_R_BAD_DESC);
	if (vq->avail_idx == idx)
		return false;
	if (get_user(raw, &vq->avail->ring[idx & (vq->num - 1)]))
		return false;
	head = vhost16_to_cpu(vq, raw);
	if (head >= vq->num)
		return false;
	vq->last_avail_idx++;
	return !vhost_add_used(vq, head, 0);
}

/* Pop a chain and set up the two iterators over it. */
static enum vhost_scsi_outcome
vhost_scsi_get_req(struct vhost_virtqueue *vq, struct vhost_scsi_req *req)
{
	unsigned int out, in;
	size_t out_len, in_len;

	req->log_num = 0;
	req->head = vhost_get_vq_desc(vq, vq->iov, ARRAY_SIZE(vq->iov),
				      &out, &in, vhost_scsi_pop_log(vq),
				      &req->log_num);
	if (req->head < 0)
		return vhost_scsi_skip_bad_chain(vq) ? VHOST_SCSI_USED :
						       VHOST_SCSI_BROKEN;
	if (req->head == vq->num)
		return VHOST_SCSI_EMPTY;

	out_len = iov_length(vq->iov, out);
	in_len = iov_length(vq->iov + out, in);
	iov_iter_init(&req->out, ITER_SOURCE, vq->iov, out, out_len);
	iov_iter_init(&req->in, ITER_DEST, vq->iov + out, in, in_len);
	req->out_iov = vq->iov;
	req->out_iovs = out;
	req->in_iov = vq->iov + out;
	req->in_iovs = in;
	req->data_out = 0;
	req->data_in = 0;
	if (in_len < VHOST_SCSI_CMD_RESP_SIZE) {
		/* Nowhere to put a response: return it unwritten. */
		vhost_scsi_refuse(to_svq(vq), VHOST_SCSI_R_BAD_HEADER);
		vhost_add_used(vq, req->head, 0);
		return VHOST_SCSI_USED;
	}
	return VHOST_SCSI_SUBMITTED;
}

/* Fixed-format sense: CHECK CONDITION, ILLEGAL REQUEST, @asc/0. */
static enum vhost_scsi_outcome
vhost_scsi_illegal_request(struct vhost_scsi_vq *svq,
			   struct vhost_scsi_req *req, u8 asc)
{
	u8 sense[18] = { 0x70, 0, ILLEGAL_REQUEST, 0, 0, 0, 0, 10, 0, 0, 0, 0,
			 asc, 0 };

	return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_OK,
				 SAM_STAT_CHECK_CONDITION, sense, sizeof(sense));
}

/*
 * Read and check the header; find the TPG and its nexus.  Anything the
 * guest got wrong is answered here, before a command is taken.
 */
static enum vhost_scsi_outcome
vhost_scsi_parse_req(struct vhost_scsi_vq *svq,
		     const struct vhost_scsi_endpoint *ep,
		     struct vhost_scsi_req *req)
{
	bool pi = vhost_has_feature(&svq->vq, VIRTIO_SCSI_F_T10_PI);
	size_t hdr_size = pi ? VHOST_SCSI_CMD_REQ_PI_SIZE :
			       VHOST_SCSI_CMD_REQ_SIZE;
	u8 buf[VHOST_SCSI_CMD_REQ_PI_SIZE];

	req->hdr_size = hdr_size;
	if (copy_from_iter(buf, hdr_size, &req->out) != hdr_size ||
	    vhost_scsi_parse_cmd_req(buf, hdr_size, pi,
				     vhost_is_little_endian(&svq->vq),
				     &req->hdr)) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_BAD_HEADER);
		return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_FAILURE, 0,
					 NULL, 0);
	}
	req->data_out = iov_iter_count(&req->out);
	req->data_in = iov_iter_count(&req->in) - VHOST_SCSI_CMD_RESP_SIZE;

	req->tpg = req->hdr.lun_ok ? ep->tpgs[req->hdr.target] : NULL;
	/* Pairs with the release in vhost_scsi_make_nexus(). */
	req->se_sess = req->tpg ? smp_load_acquire(&req->tpg->se_sess) : NULL;
	if (!req->se_sess) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_BAD_TARGET);
		return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_BAD_TARGET, 0,
					 NULL, 0);
	}
	/*
	 * The CDB says which way data flows; the buffers only may agree.  A
	 * buffer pointing the other way has no SCSI status (it is the
	 * transport that is wrong, not the command), so it is S_FAILURE.
	 */
	req->dir = vhost_scsi_data_dir(req->hdr.cdb, req->data_in,
				       req->data_out);
	if (req->dir == VHOST_SCSI_DIR_REFUSED) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_BAD_DIRECTION);
		return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_FAILURE, 0,
					 NULL, 0);
	}
	if (req->hdr.pi_bytesout > req->data_out ||
	    req->hdr.pi_bytesin > req->data_in ||
	    vhost_scsi_task_attr(req->hdr.task_attr) < 0) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_BAD_HEADER);
		return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_FAILURE, 0,
					 NULL, 0);
	}
	if (vhost_scsi_cdb_len(req->hdr.cdb) > VHOST_SCSI_CDB_SIZE) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_BAD_CDB);
		return vhost_scsi_illegal_request(svq, req, 0x20);
	}
	return VHOST_SCSI_SUBMITTED;
}

/* ---- submit ---- */

static struct vhost_scsi_cmd *vhost_scsi_cmd_get(struct vhost_scsi_vq *svq)
{
	struct llist_node *node = llist_del_first(&svq->free);

	if (!node)
		return NULL;
	atomic_inc(&svq->inflight);
	return container_of(node, struct vhost_scsi_cmd, node);
}

static void vhost_scsi_cmd_put(struct vhost_scsi_cmd *cmd)
{
	struct vhost_scsi_vq *svq = cmd->svq;

	llist_add(&cmd->node, &svq->free);
	if (atomic_dec_and_test(&svq->inflight))
		wake_up(&svq->vs->drain_wq);
}

/*
 * Backstores that copy through a bounce or the page cache, whatever the
 * alignment of the guest's segments.
 */
static bool vhost_scsi_copying_backstore(const struct se_device *dev)
{
	const char *name = dev->transport->name;

	return !strcmp(name, "rd_mcp") || !strcmp(name, "fileio");
}

static bool vhost_scsi_sgl_aligned(const struct sg_table *sgt, u32 align)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(sgt->sgl, sg, sgt->nents, i)
		if (sg->offset % align || sg->length % align)
			return false;
	return true;
}

/*
 * The guest chose the segment boundaries; a block device below the target
 * core may not accept them (brd warns on a bvec that is not sector
 * aligned, NVMe cannot describe one).  After target_submit_prep() the
 * LUN's device is known.  Protection data is made of 8-byte tuples, and
 * the target core's DIF code (sbc_dif_verify(), sbc_dif_generate(), which
 * also run on the ramdisk's and fileio's path) reads and writes each
 * tuple within one segment: a tuple split across segments would be read
 * or written past the end of one, into whatever page follows.  So every
 * backstore gets tuples in 8-byte-aligned segments.  Backstores that copy
 * (ramdisk, fileio) take any layout of the data; every other one, unknown
 * ones included, gets logical blocks in block-aligned segments.  Commands
 * whose buffer is not logical blocks (parameter data, INQUIRY answers)
 * are emulated by the target core through a kernel mapping and are not
 * checked.
 */
static bool vhost_scsi_layout_ok(const struct vhost_scsi_cmd *cmd,
				 const struct vhost_scsi_req *req)
{
	const struct se_cmd *se_cmd = &cmd->se_cmd;
	const struct se_device *dev = se_cmd->se_dev;
	bool blocks = (se_cmd->se_cmd_flags & SCF_SCSI_DATA_CDB) ||
		      (vhost_scsi_cdb_xfer(req->hdr.cdb) &
		       VHOST_SCSI_XFER_BLOCKS);

	if ((req->hdr.pi_bytesin | req->hdr.pi_bytesout) % 8)
		return false;
	if (!dev || !dev->dev_attrib.block_size)
		return false;	/* cannot happen after a LUN lookup */
	if (!vhost_scsi_sgl_aligned(&cmd->prot, 8))
		return false;
	if (vhost_scsi_copying_backstore(dev))
		return true;
	return !blocks || vhost_scsi_sgl_aligned(&cmd->data,
						 dev->dev_attrib.block_size);
}

static void vhost_scsi_submit(struct vhost_scsi_cmd *cmd,
			      struct vhost_scsi_req *req)
{
	struct se_cmd *se_cmd = &cmd->se_cmd;
	u32 len = req->data_in + req->data_out -
		  req->hdr.pi_bytesin - req->hdr.pi_bytesout;
	int dir = req->dir == VHOST_SCSI_DIR_IN ? DMA_FROM_DEVICE :
		  req->dir == VHOST_SCSI_DIR_OUT ? DMA_TO_DEVICE : DMA_NONE;

	BUILD_BUG_ON(VHOST_SCSI_SAM_SIMPLE_TAG != TCM_SIMPLE_TAG);
	BUILD_BUG_ON(VHOST_SCSI_SAM_HEAD_TAG != TCM_HEAD_TAG);
	BUILD_BUG_ON(VHOST_SCSI_SAM_ACA_TAG != TCM_ACA_TAG);
	memset(se_cmd, 0, sizeof(*se_cmd));
	/* The target core writes sense without clearing what it skips. */
	memset(cmd->sense, 0, sizeof(cmd->sense));
	se_cmd->tag = req->hdr.tag;
	cmd->data_len = len;
	vhost_scsi_count(cmds);
	vhost_scsi_qcount(cmd->svq, cmds);
	if (req->hdr.task_attr == VIRTIO_SCSI_S_ORDERED)
		vhost_scsi_count(ordered_as_simple);
	/* Only the completion's tracepoint needs it (scsi_trace.h). */
	cmd->submit_ns = trace_vhost_scsi_cmd_complete_enabled() ?
			 ktime_get_ns() : 0;
	trace_vhost_scsi_cmd_submit(cmd, req);
	WRITE_ONCE(cmd->in_lio, true);
	if (target_init_cmd(se_cmd, req->se_sess, cmd->sense, req->hdr.lun,
			    len, vhost_scsi_task_attr(req->hdr.task_attr),
			    dir, 0)) {
		/* The session is going away: the target core never saw it. */
		cmd->response = VIRTIO_SCSI_S_BAD_TARGET;
		WRITE_ONCE(cmd->in_lio, false);
		vhost_scsi_queue_done(cmd);
		return;
	}
	if (target_submit_prep(se_cmd, req->hdr.cdb, cmd->data.sgl,
			       cmd->data.nents, NULL, 0, cmd->prot.sgl,
			       cmd->prot.nents, GFP_KERNEL))
		return;	/* already answered with CHECK CONDITION */
	if (!vhost_scsi_layout_ok(cmd, req)) {
		/* Answered CHECK CONDITION; no backstore saw the segments. */
		transport_generic_request_failure(se_cmd,
						  TCM_INVALID_FIELD_IN_COMMAND_IU);
		return;
	}
	if (READ_ONCE(submit_direct))
		target_submit(se_cmd);
	else
		target_queue_submission(se_cmd);
}

/*
 * Give @cmd the request's response iovecs and data.  A failed allocation
 * is answered BUSY rather than the pool's TASK SET FULL: the task set is
 * not full, and a Linux initiator lowers the queue depth on TASK SET FULL
 * while it retries BUSY as it is.  Other mapping failures (an address that
 * cannot be pinned, more entries than the limits) are S_FAILURE.
 */
static enum vhost_scsi_outcome
vhost_scsi_prepare_cmd(struct vhost_scsi_vq *svq, struct vhost_scsi_cmd *cmd,
		       struct vhost_scsi_req *req)
{
	int ret = vhost_scsi_map_cmd(cmd, req);

	if (!ret)
		return VHOST_SCSI_SUBMITTED;
	vhost_scsi_cmd_put(cmd);
	if (ret == -ENOMEM) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_NOMEM);
		return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_OK,
					 SAM_STAT_BUSY, NULL, 0);
	}
	vhost_scsi_refuse(svq, VHOST_SCSI_R_MAP_FAILED);
	return vhost_scsi_answer(svq, req, VIRTIO_SCSI_S_FAILURE, 0, NULL, 0);
}

static enum vhost_scsi_outcome
vhost_scsi_handle_one(struct vhost_scsi_vq *svq,
		      const struct vhost_scsi_endpoint *ep)
{
	struct vhost_virtqueue *vq = &svq->vq;
	struct vhost_scsi_req req;
	struct vhost_scsi_cmd *cmd;
	enum vhost_scsi_outcome ret;

	ret = vhost_scsi_get_req(vq, &req);
	if (ret != VHOST_SCSI_SUBMITTED)
		return ret;
	ret = vhost_scsi_parse_req(svq, ep, &req);
	if (ret != VHOST_SCSI_SUBMITTED)
		return ret;

	cmd = vhost_scsi_cmd_get(svq);
	if (!cmd && vhost_scsi_pool_grow(svq))
		cmd = vhost_scsi_cmd_get(svq);
	if (!cmd) {
		vhost_scsi_refuse(svq, VHOST_SCSI_R_BUSY);
		return vhost_scsi_answer(svq, &req, VIRTIO_SCSI_S_OK,
					 SAM_STAT_TASK_SET_FULL, NULL, 0);
	}
	cmd->head = req.head;
	cmd->tpg = req.tpg;
	cmd->response = VIRTIO_SCSI_S_OK;
	cmd->abort_response = VIRTIO_SCSI_S_ABORTED;
	ret = vhost_scsi_prepare_cmd(svq, cmd, &req);
	if (ret != VHOST_SCSI_SUBMITTED)
		return ret;
	vhost_scsi_submit(cmd, &req);
	return VHOST_SCSI_SUBMITTED;
}

/*
 * Kick suppression: while commands are in the target core their
 * completions will look at the ring again (vhost_scsi_complete), so the
 * guest need not kick: notifications stay off until the queue drains.
 * With one command in flight there is nothing to save (a guest waiting
 * for it kicks once either way), and a command that does not come back
 * soon must not hide new requests behind it: notifications stay off only
 * while completion batches keep coming (one since the last look), and the
 * recheck timer looks again a jiffy later, turning them back on if none
 * came.  Return: true to leave notifications off.
 */
static bool vhost_scsi_suppress(struct vhost_scsi_vq *svq)
{
	lockdep_assert_held(&svq->vq.mutex);
	if (atomic_read(&svq->inflight) < 2 || svq->suppressed == svq->batches)
		return false;
	svq->suppressed = svq->batches;
	svq->notify_off = true;
	if (!timer_pending(&svq->recheck))
		mod_timer(&svq->recheck, jiffies + 1);
	return true;
}

/* The recheck timer: have the queue's thread look at the ring again. */
void vhost_scsi_recheck_fn(struct timer_list *t)
{
	struct vhost_scsi_vq *svq = from_timer(svq, t, recheck);

	if (!vhost_scsi_worker_signal(svq, VHOST_SCSI_PENDING_KICK))
		vhost_poll_queue(&svq->vq.poll);
}

/*
 * Take what the guest made available, bounded by the weight.
 * Return: true if a descriptor was returned at once (signal needed).
 */
static bool vhost_scsi_io_poll(struct vhost_scsi_vq *svq,
			       const struct vhost_scsi_endpoint *ep)
{
	struct vhost_virtqueue *vq = &svq->vq;
	enum vhost_scsi_outcome ret;
	bool used = false;
	int n = 0;

	lockdep_assert_held(&vq->mutex);
	vhost_disable_notify(&svq->vs->dev, vq);
	do {
		ret = vhost_scsi_handle_one(svq, ep);
		if (ret == VHOST_SCSI_EMPTY) {
			if (vhost_scsi_suppress(svq))
				break;
			svq->notify_off = false;
			if (likely(!vhost_enable_notify(&svq->vs->dev, vq)))
				break;
			vhost_disable_notify(&svq->vs->dev, vq);
			continue;
		}
		if (ret == VHOST_SCSI_BROKEN) {
			vq_err(vq, "vhost-scsi: request ring unusable\n");
			break;
		}
		used |= ret == VHOST_SCSI_USED;
	} while (!vhost_exceeds_weight(vq, ++n, 0));
	return used;
}

/* A kick, in the thread serving @svq. */
void vhost_scsi_io_run(struct vhost_scsi_vq *svq)
{
	struct vhost_virtqueue *vq = &svq->vq;
	const struct vhost_scsi_endpoint *ep;

	mutex_lock(&vq->mutex);
	vhost_scsi_qcount(svq, kicks);
	ep = vhost_vq_get_backend(vq);
	if (ep && vhost_scsi_io_poll(svq, ep))
		vhost_scsi_signal(svq);
	mutex_unlock(&vq->mutex);
}

/*
 * The queue's poll work, in the core's worker: run the kick there, or
 * pass it to our thread serving the queue (scsi_worker.c).
 */
void vhost_scsi_handle_io_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);
	struct vhost_scsi_vq *svq = to_svq(vq);

	if (!vhost_scsi_worker_signal(svq, VHOST_SCSI_PENDING_KICK))
		vhost_scsi_io_run(svq);
}

/* ---- complete and release ---- */

/*
 * From release_cmd, any context: the thread serving the queue takes it
 * from here.  Once @cmd is on the list the device may go away: see the
 * handoff rule in scsi.h for the RCU section.
 */
void vhost_scsi_queue_done(struct vhost_scsi_cmd *cmd)
{
	struct vhost_scsi_vq *svq = cmd->svq;

	rcu_read_lock();
	llist_add(&cmd->node, &svq->done);
	if (!vhost_scsi_worker_signal(svq, VHOST_SCSI_PENDING_DONE))
		vhost_work_queue(&svq->vs->dev, &svq->done_work);
	rcu_read_unlock();
}

/*
 * Fill @resp from what the target core left in the command.  The residual
 * is counted against the guest's buffer (@cmd->data_len), which the core
 * may have trimmed to the CDB's transfer length.  A CDB asking for more
 * than the buffer holds is VIRTIO_SCSI_S_OVERRUN (virtio 1.x, 5.6.6.1).
 */
static u32 vhost_scsi_fill_resp(struct vhost_scsi_cmd *cmd,
				struct vhost_scsi_cmd_resp *resp)
{
	struct se_cmd *se_cmd = &cmd->se_cmd;
	u32 moved = 0;

	resp->response = cmd->response;
	if (cmd->response == VIRTIO_SCSI_S_OK) {
		resp->status = se_cmd->scsi_status;
		resp->sense = cmd->sense;
		resp->sense_len = min_t(u32, se_cmd->scsi_sense_length,
					sizeof(cmd->sense));
		if (se_cmd->se_cmd_flags & SCF_OVERFLOW_BIT)
			resp->response = VIRTIO_SCSI_S_OVERRUN;
		if (se_cmd->scsi_status == SAM_STAT_GOOD)
			moved = cmd->data_len;
		if (se_cmd->se_cmd_flags & SCF_UNDERFLOW_BIT)
			moved -= min(se_cmd->residual_count, moved);
	}
	resp->resid = cmd->data_len - moved;
	return moved;
}

/* Write the response; return the bytes the device wrote for the used ring. */
static u32 vhost_scsi_send_resp(struct vhost_scsi_cmd *cmd)
{
	struct vhost_scsi_cmd_resp resp = { 0 };
	u8 buf[VHOST_SCSI_CMD_RESP_SIZE];
	u32 moved = vhost_scsi_fill_resp(cmd, &resp);

	trace_vhost_scsi_cmd_complete(cmd, &resp);
	vhost_scsi_build_cmd_resp(buf, vhost_is_little_endian(&cmd->svq->vq),
				  &resp);
	/* Bounced data-in goes to the guest before the response says so. */
	if (unlikely(cmd->bounce_iov) && !vhost_scsi_bounce_out(cmd, moved))
		return 0;
	if (!vhost_scsi_write_iov(cmd->resp_iov, cmd->resp_iovs, buf,
				  sizeof(buf)))
		return 0;
	return sizeof(buf) + (cmd->data_in ? moved : 0);
}

/*
 * The serving thread's side of completion: responses for everything on the
 * done list, their descriptors returned with one used-ring update, then,
 * if notifications were left off, a look at the ring (kick suppression:
 * the guest may have added requests without kicking), and one signal for
 * all of it.  vq->heads holds the
 * batch (the vhost core sized it to the iov limit, UIO_MAXIOV entries).
 */
void vhost_scsi_complete(struct vhost_scsi_vq *svq)
{
	struct vhost_virtqueue *vq = &svq->vq;
	const struct vhost_scsi_endpoint *ep;
	struct vhost_scsi_cmd *cmd, *next;
	struct llist_node *list;
	unsigned int n = 0;

	/* Taken under the mutex: see vhost_scsi_complete_all(). */
	mutex_lock(&vq->mutex);
	list = llist_reverse_order(llist_del_all(&svq->done));
	llist_for_each_entry_safe(cmd, next, list, node) {
		vq->heads[n].id = cpu_to_vhost32(vq, cmd->head);
		vq->heads[n].len = cpu_to_vhost32(vq, vhost_scsi_send_resp(cmd));
		vhost_scsi_log_cmd(cmd);
		vhost_scsi_qcount(svq, completed);
		if (++n == UIO_MAXIOV) {
			vhost_add_used_n(vq, vq->heads, n);
			n = 0;
		}
		vhost_scsi_unmap(cmd);
		vhost_scsi_cmd_put(cmd);
	}
	if (n)
		vhost_add_used_n(vq, vq->heads, n);
	if (list) {
		svq->batches++;
		/* Only a queue whose guest was told not to kick is looked at. */
		ep = vhost_vq_get_backend(vq);
		if (ep && svq->notify_off)
			vhost_scsi_io_poll(svq, ep);
		vhost_scsi_signal(svq);
		vhost_scsi_pool_shrink(svq);
	}
	mutex_unlock(&vq->mutex);
}

/*
 * Answer every command already handed back, in whichever thread: the TMF
 * code calls this before answering TMFs, so a command a TMF ended is
 * answered before the TMF (the target core released it first).  A
 * queue's thread takes its done list under the queue's mutex, so once the
 * mutex is ours no earlier command is half answered.
 */
void vhost_scsi_complete_all(struct vhost_scsi *vs)
{
	int q;

	for (q = VHOST_SCSI_VQ_IO; q < vs->nvqs; q++)
		if (READ_ONCE(vs->vqs[q].pool_size))
			vhost_scsi_complete(&vs->vqs[q]);
}

/* Completion in the core's worker (workers=0, or a queue without a thread). */
void vhost_scsi_complete_work(struct vhost_work *work)
{
	vhost_scsi_complete(container_of(work, struct vhost_scsi_vq,
					 done_work));
}
