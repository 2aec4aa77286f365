// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: mapping a request's guest buffers for the target core.
 *
 * Data and protection pages are pinned straight into the command's
 * scatterlists, no copy, every one for writing (see vhost_scsi_map_data):
 * the command's inline entries first, then chained one-page chunks for a
 * buffer they do not cover.  The response iovecs are kept beside them.
 * Everything here runs in the thread serving the request queue, which has
 * the client's mm, under the queue's mutex; vhost_scsi_unmap() undoes it
 * before the command returns to the pool.  The one copy: a buffer that is
 * not logical blocks (the target core emulates the command through one
 * kernel mapping of its pages) in segments that do not join at page
 * boundaries is bounced through kernel pages (vhost_scsi_map_buf()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "scsi.h"

/*
 * Chunks chained after a command's inline entries: one page of entries.
 * The worker allocates them, and split responses' iovecs, for the guest:
 * the client's cgroup is charged.  It tries first without sleeping: a
 * sleeping allocation is a preemption point even when memory is there,
 * and the worker would yield to the target core's kworker once per large
 * I/O (a context switch each way, 7 % more instructions for 256 KiB
 * reads).  Then it may sleep, but gives up rather than reclaim hard, as
 * the guest is answered BUSY and retries.
 */
#define VHOST_SCSI_SGL_CHUNK	SG_MAX_SINGLE_ALLOC
#define VHOST_SCSI_GFP_GUEST	(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | \
				 __GFP_NOWARN)

static void *vhost_scsi_alloc_guest(size_t n, size_t size)
{
	void *p;

	if (vhost_scsi_fault(VHOST_SCSI_FAULT_MAP))
		return NULL;
	p = kmalloc_array(n, size, GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	return p ?: kmalloc_array(n, size, VHOST_SCSI_GFP_GUEST);
}

/* @gfp is VHOST_SCSI_GFP_GUEST, what vhost_scsi_alloc_guest() falls to. */
static struct scatterlist *vhost_scsi_sgl_chunk_alloc(unsigned int nents,
						      gfp_t gfp)
{
	return vhost_scsi_alloc_guest(nents, sizeof(struct scatterlist));
}

static void vhost_scsi_sgl_chunk_free(struct scatterlist *sgl,
				      unsigned int nents)
{
	kfree(sgl);
}

/*
 * The entry after @sg, which is not the last; inline because sg_next() is
 * a call per page on the hot path.
 */
static inline struct scatterlist *vhost_scsi_sg_next(struct scatterlist *sg)
{
	sg++;
	if (unlikely(sg_is_chain(sg)))
		sg = sg_chain_ptr(sg);
	return sg;
}

/* Free what vhost_scsi_sgt_alloc() chained; @first's entries stay. */
static void vhost_scsi_sgt_free(struct sg_table *sgt, unsigned int ninline)
{
	if (unlikely(sgt->orig_nents > ninline))
		__sg_free_table(sgt, VHOST_SCSI_SGL_CHUNK, ninline,
				vhost_scsi_sgl_chunk_free, sgt->orig_nents);
	sgt->sgl = NULL;
	sgt->nents = 0;
	sgt->orig_nents = 0;
}

/*
 * Make @sgt an end-marked list of @nents entries: the @ninline (0 or at
 * least 2) at @first, then chained chunks if they do not suffice.
 * Return: 0, or -ENOMEM with nothing allocated.
 */
static int vhost_scsi_sgt_alloc(struct sg_table *sgt, unsigned int nents,
				struct scatterlist *first, unsigned int ninline)
{
	int ret;

	if (nents <= ninline) {
		sg_init_table(first, nents);
		sgt->sgl = first;
		sgt->nents = nents;
		sgt->orig_nents = nents;
		return 0;
	}
	ret = __sg_alloc_table(sgt, nents, VHOST_SCSI_SGL_CHUNK,
			       ninline ? first : NULL, ninline,
			       VHOST_SCSI_GFP_GUEST,
			       vhost_scsi_sgl_chunk_alloc);
	if (ret)
		vhost_scsi_sgt_free(sgt, ninline);
	return ret;
}

/* Unpin the first @n pages of @sgt. */
static void vhost_scsi_put_pages(struct sg_table *sgt, unsigned int n,
				 bool dirty)
{
	struct scatterlist *sg = sgt->sgl;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i)
			sg = vhost_scsi_sg_next(sg);
		if (dirty)
			set_page_dirty_lock(sg_page(sg));
		put_page(sg_page(sg));
	}
}

/*
 * Pin @len bytes at @it into the entries of @sgt, which the caller sized
 * with iov_iter_npages(); fewer pages than that is a fault.
 * Return: 0, or -errno with nothing left pinned.
 */
static int vhost_scsi_pin_iter(struct iov_iter *it, size_t len,
			       struct sg_table *sgt)
{
	struct scatterlist *sg = sgt->sgl;
	struct page *pages[16];
	unsigned int n = 0;

	while (len) {
		unsigned int want = min_t(unsigned int, ARRAY_SIZE(pages),
					  sgt->nents - n);
		size_t off;
		ssize_t got;
		unsigned int i;

		got = want ? iov_iter_get_pages2(it, pages, len, want, &off) : 0;
		if (got <= 0)
			goto err_fault;
		len -= got;
		for (i = 0; got; i++) {
			unsigned int seg = min_t(size_t, got, PAGE_SIZE - off);

			if (n)
				sg = vhost_scsi_sg_next(sg);
			sg_set_page(sg, pages[i], seg, off);
			n++;
			got -= seg;
			off = 0;
		}
	}
	return 0;

err_fault:
	vhost_scsi_put_pages(sgt, n, false);
	return -EFAULT;
}

/*
 * The pages @len bytes at @it span, each an entry of its own (as
 * vhost_scsi_pin_iter() makes them), or more than @max.  Worked out in
 * place when one iovec holds them all, as for a small I/O from a Linux
 * guest.
 */
static unsigned int vhost_scsi_npages(const struct iov_iter *it, size_t len,
				      unsigned int max)
{
	struct iov_iter span;

	if (likely(iter_is_iovec(it) &&
		   it->iov->iov_len - it->iov_offset >= len)) {
		size_t off = offset_in_page(it->iov->iov_base + it->iov_offset);

		return min_t(size_t, DIV_ROUND_UP(off + len, PAGE_SIZE),
			     max + 1);
	}
	span = *it;
	iov_iter_truncate(&span, len);
	return iov_iter_npages(&span, max + 1);
}

/*
 * Pin @len bytes at @it into @sgt, at most @max entries, the first
 * @ninline of them at @first.
 * Return: 0, or -errno (-ENOSPC over @max, -ENOMEM, -EFAULT) with nothing
 * left pinned or allocated.
 */
static int vhost_scsi_map_iter(struct iov_iter *it, size_t len,
			       struct sg_table *sgt, struct scatterlist *first,
			       unsigned int ninline, unsigned int max)
{
	unsigned int nents;
	int ret;

	if (!len)
		return 0;
	nents = vhost_scsi_npages(it, len, max);
	if (nents > max)
		return -ENOSPC;
	ret = vhost_scsi_sgt_alloc(sgt, nents, first, ninline);
	if (ret)
		return ret;
	ret = vhost_scsi_pin_iter(it, len, sgt);
	if (ret)
		vhost_scsi_sgt_free(sgt, ninline);
	return ret;
}

static unsigned int vhost_scsi_prot_ninline(const struct vhost_scsi_cmd *cmd)
{
	return cmd->prot_inline ? VHOST_SCSI_INLINE_PROT_SGL : 0;
}

/*
 * Do the guest's segments for @len bytes at @it make a scatterlist whose
 * entries, pinned page by page, are one run of whole pages but for the
 * start of the first and the end of the last?  The target core assumes
 * exactly that when it maps a buffer for a command it emulates
 * (transport_kmap_data_sg() maps the pages back to back and adds only the
 * first entry's offset), and would otherwise write, or read, bytes at the
 * wrong place in the pages: over the guest's memory between the segments.
 */
static bool vhost_scsi_pages_contig(const struct iov_iter *it, size_t len)
{
	const struct iovec *iov = it->iov;
	size_t skip = it->iov_offset;
	bool first = true;

	if (!iter_is_iovec(it))
		return false;
	for (; len; iov++, skip = 0) {
		size_t n = min(len, iov->iov_len - skip);
		unsigned long start = (unsigned long)iov->iov_base + skip;

		if (!n)
			continue;
		if (!first && offset_in_page(start))
			return false;
		len -= n;
		if (len && offset_in_page(start + n))
			return false;
		first = false;
	}
	return true;
}

/* Give the bounce pages of @cmd back; nothing else of @cmd changes. */
static void vhost_scsi_bounce_free(struct vhost_scsi_cmd *cmd)
{
	sgl_free(cmd->data.sgl);
	kfree(cmd->bounce_iov);
	cmd->bounce_iov = NULL;
	cmd->bounced = false;
	cmd->data.sgl = NULL;
	cmd->data.nents = 0;
	cmd->data.orig_nents = 0;
}

/*
 * Give @cmd kernel pages for the @len data bytes at @it, zeroed, instead
 * of the guest's: data-out is copied in now; for data-in the writable
 * iovecs are kept (the response and @skip bytes before the data) and
 * vhost_scsi_bounce_out() copies the data out at completion.
 * Return: 0, -ENOSPC (over the data limit), -ENOMEM, or -EFAULT (data-out
 * not readable).
 */
static int vhost_scsi_bounce(struct vhost_scsi_cmd *cmd,
			     struct vhost_scsi_req *req, struct iov_iter *it,
			     size_t len, size_t skip)
{
	struct scatterlist *sg;
	unsigned int nents, i;

	/* The limit a pinned buffer has (vhost_scsi_map_iter()). */
	if (DIV_ROUND_UP(len, PAGE_SIZE) > VHOST_SCSI_DATA_SGL)
		return -ENOSPC;
	cmd->data.sgl = vhost_scsi_fault(VHOST_SCSI_FAULT_MAP) ? NULL :
			sgl_alloc(len, VHOST_SCSI_GFP_GUEST | __GFP_ZERO,
				  &nents);
	if (!cmd->data.sgl)
		return -ENOMEM;
	cmd->data.nents = nents;
	cmd->data.orig_nents = nents;
	cmd->bounced = true;
	if (cmd->data_in) {
		cmd->bounce_iov = vhost_scsi_alloc_guest(req->in_iovs,
							 sizeof(struct iovec));
		if (!cmd->bounce_iov)
			goto err;
		memcpy(cmd->bounce_iov, req->in_iov,
		       req->in_iovs * sizeof(struct iovec));
		cmd->bounce_iovs = req->in_iovs;
		cmd->bounce_skip = skip;
		return 0;
	}
	for_each_sg(cmd->data.sgl, sg, nents, i)
		if (copy_from_iter(sg_virt(sg), sg->length, it) != sg->length)
			goto err;
	return 0;
err:
	vhost_scsi_bounce_free(cmd);
	return cmd->data_in ? -ENOMEM : -EFAULT;
}

/**
 * vhost_scsi_bounce_out - copy a bounced data-in buffer to the guest
 * @cmd:	the command, answered by the worker (the client's mm)
 * @len:	bytes the target core moved
 *
 * Return: false if the guest's buffer could not be written.
 */
bool vhost_scsi_bounce_out(struct vhost_scsi_cmd *cmd, u32 len)
{
	struct scatterlist *sg;
	struct iov_iter it;
	unsigned int i;

	iov_iter_init(&it, ITER_DEST, cmd->bounce_iov, cmd->bounce_iovs,
		      cmd->bounce_skip + len);
	iov_iter_advance(&it, cmd->bounce_skip);
	for_each_sg(cmd->data.sgl, sg, cmd->data.nents, i) {
		size_t n = min_t(size_t, len, sg->length);

		if (!n)
			break;
		if (copy_to_iter(sg_virt(sg), n, &it) != n)
			return false;
		len -= n;
	}
	return true;
}

/*
 * The data bytes of @cmd: pinned, or bounced when the target core would
 * map them as one run (see vhost_scsi_pages_contig()) and they are not:
 * a buffer of logical blocks goes to the backstore, which takes the
 * entries one by one, so only other buffers are bounced.  @pi bytes of
 * protection information come before the data.
 */
static int vhost_scsi_map_buf(struct vhost_scsi_cmd *cmd,
			      struct vhost_scsi_req *req, struct iov_iter *it,
			      size_t len, u32 pi)
{
	struct iov_iter src;

	if (!len)
		return 0;
	if ((vhost_scsi_cdb_xfer(req->hdr.cdb) & VHOST_SCSI_XFER_BLOCKS) ||
	    vhost_scsi_pages_contig(it, len))
		return vhost_scsi_map_iter(it, len, &cmd->data,
					   cmd->sgl_inline,
					   VHOST_SCSI_INLINE_SGL,
					   VHOST_SCSI_DATA_SGL);
	if (cmd->data_in)
		return vhost_scsi_bounce(cmd, req, it, len,
					 VHOST_SCSI_CMD_RESP_SIZE + pi);
	/* copy_from_iter() wants a source iterator, at the same place */
	iov_iter_init(&src, ITER_SOURCE, req->out_iov, req->out_iovs,
		      req->hdr_size + req->data_out);
	iov_iter_advance(&src, req->hdr_size + pi);
	return vhost_scsi_bounce(cmd, req, &src, len, 0);
}

/*
 * Unpin and free what vhost_scsi_map_data() and vhost_scsi_save_resp_iov()
 * gave @cmd; in the worker, before the command goes back to the pool.
 */
void vhost_scsi_unmap(struct vhost_scsi_cmd *cmd)
{
	if (unlikely(cmd->bounced)) {
		vhost_scsi_bounce_free(cmd);
	} else if (cmd->data.sgl) {
		vhost_scsi_put_pages(&cmd->data, cmd->data.nents, cmd->data_in);
		vhost_scsi_sgt_free(&cmd->data, VHOST_SCSI_INLINE_SGL);
	}
	if (unlikely(cmd->prot.sgl)) {
		vhost_scsi_put_pages(&cmd->prot, cmd->prot.nents,
				     cmd->data_in);
		vhost_scsi_sgt_free(&cmd->prot, vhost_scsi_prot_ninline(cmd));
	}
	if (unlikely(cmd->resp_iov != &cmd->resp_iov_one)) {
		kfree(cmd->resp_iov);
		cmd->resp_iov = &cmd->resp_iov_one;
	}
}

/*
 * Keep the response iovecs: vq->iov is reused by the next request.  One
 * is held inline (@cmd->resp_iov points there while the command is free);
 * a response split over several gets an array.
 * Return: 0 or -ENOMEM.
 */
static int vhost_scsi_save_resp_iov(struct vhost_scsi_cmd *cmd,
				    const struct iovec *iov)
{
	size_t left = VHOST_SCSI_CMD_RESP_SIZE;
	unsigned int n = 0;

	while (left > iov[n].iov_len)
		left -= iov[n++].iov_len;
	cmd->resp_iovs = n + 1;
	if (n) {
		cmd->resp_iov = vhost_scsi_alloc_guest(n + 1, sizeof(*iov));
		if (!cmd->resp_iov) {
			cmd->resp_iov = &cmd->resp_iov_one;
			return -ENOMEM;
		}
		memcpy(cmd->resp_iov, iov, n * sizeof(*iov));
	}
	cmd->resp_iov[n].iov_base = iov[n].iov_base;
	cmd->resp_iov[n].iov_len = left;
	return 0;
}

/*
 * Pin the data (and protection) buffer of @req into @cmd.
 *
 * Contract: every page handed to the target core is pinned for writing
 * (FOLL_WRITE), data-out pages included.  The target core and its
 * backstores are not trusted to only read a data-out buffer (emulated
 * commands memcpy their answer into whatever buffer they were given), so
 * a write into a page the guest only read must land in the guest's own
 * private copy: pinning for writing breaks copy-on-write, never leaving a
 * shared page (the zero page, a KSM page, the page cache of a private file
 * mapping) under the target core.  iov_iter_get_pages2() pins for writing
 * exactly when the iterator is ITER_DEST, so data-out is pinned through an
 * ITER_DEST iterator over the same readable iovecs.  Only data-in pages
 * are dirtied at completion.
 * Return: 0, or -errno with nothing of @cmd's tables pinned or allocated.
 */
static int vhost_scsi_map_data(struct vhost_scsi_cmd *cmd,
			       struct vhost_scsi_req *req)
{
	struct iov_iter out, *it = &req->in;
	size_t len = req->data_in;
	u32 pi = req->hdr.pi_bytesin;
	int ret;

	cmd->data_in = req->dir == VHOST_SCSI_DIR_IN;
	if (cmd->data_in) {
		iov_iter_advance(it, VHOST_SCSI_CMD_RESP_SIZE);
	} else if (req->dir == VHOST_SCSI_DIR_OUT) {
		iov_iter_init(&out, ITER_DEST, req->out_iov, req->out_iovs,
			      req->hdr_size + req->data_out);
		iov_iter_advance(&out, req->hdr_size);
		it = &out;
		len = req->data_out;
		pi = req->hdr.pi_bytesout;
	} else {
		return 0;
	}
	if (pi) {
		ret = vhost_scsi_map_iter(it, pi, &cmd->prot, cmd->prot_inline,
					  vhost_scsi_prot_ninline(cmd),
					  VHOST_SCSI_PROT_SGL);
		if (ret)
			return ret;
	}
	ret = vhost_scsi_map_buf(cmd, req, it, len - pi, pi);
	if (ret) {
		vhost_scsi_put_pages(&cmd->prot, cmd->prot.nents, false);
		vhost_scsi_sgt_free(&cmd->prot, vhost_scsi_prot_ninline(cmd));
	}
	return ret;
}

/*
 * Give @cmd the response iovecs and the pinned data of @req.
 * Return: 0, or -ENOMEM (the guest may retry) or another -errno (the
 * request cannot be mapped), with nothing of @cmd pinned or allocated.
 */
int vhost_scsi_map_cmd(struct vhost_scsi_cmd *cmd, struct vhost_scsi_req *req)
{
	int ret = vhost_scsi_save_resp_iov(cmd, req->in_iov);

	if (!ret)
		ret = vhost_scsi_map_data(cmd, req);
	if (ret)
		vhost_scsi_unmap(cmd);
	return ret;
}
