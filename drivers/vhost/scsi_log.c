// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the dirty log, for live migration.
 *
 * With VHOST_F_LOG_ALL acked, every guest page the device writes must be
 * marked in the client's bitmap (VHOST_SET_LOG_BASE) so that the migration
 * copies it again.  The vhost core marks the used ring itself (when the
 * client set VHOST_VRING_F_LOG); the module marks what it writes: data-in
 * buffers, responses, control-queue answers and events.
 *
 * The log speaks guest-physical addresses, which only vhost_get_vq_desc()
 * knows, and only while the chain is being popped (it fills vq->log, which
 * the next pop overwrites).  A command outlives that, and the client turns
 * LOG_ALL on and off while commands are in flight, so every command keeps
 * its writable descriptors' addresses from pop to completion, whether the
 * log is on or not, and the decision to log is taken when the bytes are
 * written, under the queue's mutex, against the features and log base of
 * that moment: SET_FEATURES (scsi_main.c) and the vhost core's
 * SET_LOG_BASE and SET_LOG_FD change them under the same mutex.
 *
 * Lengths are exact, never "everything": the 6.1 core's vhost_log_write()
 * calls BUG() when asked to log more than the descriptors it is given
 * cover, so every length is clamped to their sum.
 *
 * The device has no IOTLB (VIRTIO_F_ACCESS_PLATFORM is not offered), so
 * vhost_log_write() always works from these guest-physical ranges.
 */
#include <linux/limits.h>
#include <linux/slab.h>

#include "scsi.h"

/* Bytes @ents cover. */
static u64 vhost_scsi_log_span(const struct vhost_log *ents, unsigned int n)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		sum += ents[i].len;
	return sum;
}

/*
 * The log is on (vhost_scsi_log_write()): mark @len bytes of @ents, at most
 * what they cover.  A log that cannot be written (the client's bitmap
 * unmapped) is counted in log_failed; the guest's answer is not held back
 * for it.
 */
void vhost_scsi_log_write_on(struct vhost_virtqueue *vq,
			     struct vhost_log *ents, unsigned int n, u64 len)
{
	lockdep_assert_held(&vq->mutex);
	len = min(len, vhost_scsi_log_span(ents, n));
	if (!len)
		return;
	if (!vq->log_base || vhost_log_write(vq, ents, n, len, NULL, 0) < 0)
		vhost_scsi_count(log_failed);
	else
		vhost_scsi_count(logged);
}

/* Copy @src into @dst, merging ranges that follow each other; at most @max. */
static unsigned int vhost_scsi_log_merge(struct vhost_log *dst,
					 unsigned int max,
					 const struct vhost_log *src,
					 unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (k && dst[k - 1].addr + dst[k - 1].len == src[i].addr) {
			dst[k - 1].len += src[i].len;
			continue;
		}
		if (k == max)
			return max + 1;
		dst[k++] = src[i];
	}
	return k;
}

/*
 * vhost_scsi_log_save() for a chain of more than VHOST_SCSI_INLINE_LOG
 * writable descriptors: merged, they may still fit inline; if not, an
 * array charged to the client, as a large request's scatterlist is.
 */
int vhost_scsi_log_save_many(struct vhost_scsi_log *log,
			     const struct vhost_log *src, unsigned int n)
{
	log->ents = log->inline_ents;
	log->n = vhost_scsi_log_merge(log->ents, VHOST_SCSI_INLINE_LOG, src,
				      n);
	if (log->n <= VHOST_SCSI_INLINE_LOG)
		return 0;
	log->ents = vhost_scsi_fault(VHOST_SCSI_FAULT_LOG) ? NULL :
		    kmalloc_array(n, sizeof(*src), GFP_KERNEL_ACCOUNT |
				  __GFP_NORETRY | __GFP_NOWARN);
	if (!log->ents) {
		log->ents = log->inline_ents;
		log->n = 0;
		return -ENOMEM;
	}
	log->n = vhost_scsi_log_merge(log->ents, n, src, n);
	return 0;
}

/* vhost_scsi_log_free() for an allocated array. */
void vhost_scsi_log_free_many(struct vhost_scsi_log *log)
{
	kfree(log->ents);
	log->ents = log->inline_ents;
	log->n = 0;
}

/*
 * The log is on (vhost_scsi_log_cmd()): the response, and for a data-in
 * command its whole data-in buffer (protection bytes included): the
 * backstore may have written any of it before it failed or came up short,
 * and those are the pages vhost_scsi_unmap() dirties.
 */
void vhost_scsi_log_cmd_on(struct vhost_scsi_cmd *cmd)
{
	struct vhost_scsi_log *log = &cmd->log;

	vhost_scsi_log_write_on(&cmd->svq->vq, log->ents, log->n,
				cmd->data_in ? U64_MAX :
					       VHOST_SCSI_CMD_RESP_SIZE);
}
