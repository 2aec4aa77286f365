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
 * The log speaks guest-physical addresses.  A chain answered at once (a
 * refused request, an event) is logged from vq->log, which
 * vhost_get_vq_desc() filled while popping it, in the same hold of the
 * queue's mutex.  A command is answered long after its pop, and the client
 * turns LOG_ALL on and off while commands are in flight, so the decision to
 * log one is taken when its bytes are written, under the queue's mutex,
 * against the features and log base of that moment: SET_FEATURES
 * (scsi_main.c) and the vhost core's SET_LOG_BASE and SET_LOG_FD change
 * them under the same mutex.  A command keeps nothing for it: with LOG_ALL
 * on at completion, whatever it was at pop, its chain is read again from
 * the guest's descriptor table (vhost_scsi_log_chain()).  With LOG_ALL off,
 * nearly always, a command pays one feature test and its pop no log.
 *
 * Reading the chain again is sound because the chain belongs to the device
 * until its used entry is written: the virtio spec forbids the driver to
 * change it meanwhile.  A guest that does anyway gets other pages of its
 * own memory marked, nothing worse: every range is checked against the
 * memory table again (so the bitmap write stays inside what the client
 * sized its log for), and the walk is bounded like a pop.
 *
 * Lengths are exact, never "everything": the 6.1 core's vhost_log_write()
 * calls BUG() when asked to log more than the descriptors it is given
 * cover, so every length is clamped to their sum.
 *
 * The device has no IOTLB (VIRTIO_F_ACCESS_PLATFORM is not offered), so
 * vhost_log_write() always works from guest-physical ranges, and the
 * memory table (vq->umem) translates them.
 */
#include <linux/limits.h>
#include <linux/uaccess.h>
#include <linux/vhost_iotlb.h>

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

/*
 * The memory-table entry holding guest-physical @gpa, if any; the next
 * @len bytes may run on into other entries.
 */
static const struct vhost_iotlb_map *
vhost_scsi_gpa_map(struct vhost_virtqueue *vq, u64 gpa, u64 len)
{
	const struct vhost_iotlb_map *map;

	if (!vq->umem || !len || gpa + len - 1 < gpa)
		return NULL;
	map = vhost_iotlb_itree_first(vq->umem, gpa, gpa + len - 1);
	return map && map->start <= gpa ? map : NULL;
}

/* Bytes of [@gpa, @gpa + @len) that @map covers. */
static u64 vhost_scsi_map_part(const struct vhost_iotlb_map *map, u64 gpa,
			       u64 len)
{
	return map->last - gpa >= len - 1 ? len : map->last - gpa + 1;
}

/* Whether all of [@gpa, @gpa + @len) is guest memory. */
static bool vhost_scsi_gpa_ok(struct vhost_virtqueue *vq, u64 gpa, u64 len)
{
	const struct vhost_iotlb_map *map;
	u64 n;

	for (; len; gpa += n, len -= n) {
		map = vhost_scsi_gpa_map(vq, gpa, len);
		if (!map)
			return false;
		n = vhost_scsi_map_part(map, gpa, len);
	}
	return true;
}

/* Read the descriptor at guest-physical @gpa (an indirect table's). */
static bool vhost_scsi_read_desc(struct vhost_virtqueue *vq, u64 gpa,
				 struct vring_desc *d)
{
	const struct vhost_iotlb_map *map;
	u64 len = sizeof(*d), n;
	u8 *dst = (u8 *)d;

	for (; len; gpa += n, len -= n, dst += n) {
		map = vhost_scsi_gpa_map(vq, gpa, len);
		if (!map)
			return false;
		n = vhost_scsi_map_part(map, gpa, len);
		if (copy_from_user(dst, u64_to_user_ptr(map->addr + gpa -
							map->start), n))
			return false;
	}
	return true;
}

/*
 * A chain being read again for the log (vhost_scsi_log_chain()): its
 * writable ranges are gathered in @ents and logged @ents at a time.
 * On the stack of the thread answering the chain.
 */
struct vhost_scsi_log_walk {
	struct vhost_virtqueue *vq;
	u64 left;		/* bytes still to log */
	unsigned int budget;	/* descriptors it may still read */
	unsigned int n;
	struct vhost_log ents[8];
};

static void vhost_scsi_walk_flush(struct vhost_scsi_log_walk *w)
{
	vhost_scsi_log_write_on(w->vq, w->ents, w->n, U64_MAX);
	w->n = 0;
}

/*
 * One descriptor of the chain: log its bytes if the device may write them.
 * Return: false if the chain ends here (a bad descriptor, or all logged).
 */
static bool vhost_scsi_walk_desc(struct vhost_scsi_log_walk *w,
				 const struct vring_desc *d)
{
	struct vhost_virtqueue *vq = w->vq;
	u64 addr = vhost64_to_cpu(vq, d->addr);
	u64 len = min_t(u64, vhost32_to_cpu(vq, d->len), w->left);
	struct vhost_log *last = w->n ? &w->ents[w->n - 1] : NULL;

	if (!(vhost16_to_cpu(vq, d->flags) & VRING_DESC_F_WRITE) || !len)
		return true;
	if (!vhost_scsi_gpa_ok(vq, addr, len))
		return false;
	w->left -= len;
	if (last && last->addr + last->len == addr) {
		last->len += len;
	} else {
		if (w->n == ARRAY_SIZE(w->ents))
			vhost_scsi_walk_flush(w);
		w->ents[w->n++] = (struct vhost_log){ .addr = addr, .len = len };
	}
	return w->left;
}

/*
 * The indirect table @ind names.  Return: false if the chain ends in it
 * (a bad table or descriptor, or all logged).
 */
static bool vhost_scsi_walk_indirect(struct vhost_scsi_log_walk *w,
				     const struct vring_desc *ind)
{
	struct vhost_virtqueue *vq = w->vq;
	u64 table = vhost64_to_cpu(vq, ind->addr);
	u32 count = vhost32_to_cpu(vq, ind->len) / sizeof(struct vring_desc);
	struct vring_desc d;
	u16 flags;
	u32 i = 0;

	if (vhost32_to_cpu(vq, ind->len) % sizeof(d))
		return false;
	do {
		if (i >= count || !w->budget--)
			return false;
		if (!vhost_scsi_read_desc(vq, table + (u64)i * sizeof(d), &d))
			return false;
		flags = vhost16_to_cpu(vq, d.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return false;
		if (!vhost_scsi_walk_desc(w, &d))
			return false;
		i = vhost16_to_cpu(vq, d.next);
	} while (flags & VRING_DESC_F_NEXT);
	return true;
}

/*
 * vhost_scsi_log_chain - log the first @len writable bytes of a chain
 * @vq:		its queue; the mutex held, the owner's mm in use (the
 *		queue's thread)
 * @head:	the chain's head, still owned by the device
 * @len:	bytes written from the start of the writable part, or
 *		U64_MAX for all of it
 *
 * Reads the chain again from the descriptor table, as vhost_get_vq_desc()
 * walked it (an indirect table's descriptors in place of the one naming
 * it), at most vq->num + UIO_MAXIOV descriptors.  A chain that no longer
 * reads as one (the guest changed it while the device owned it) is logged
 * up to where it broke and counted in log_failed.
 */
static void vhost_scsi_log_chain(struct vhost_virtqueue *vq, u16 head,
				 u64 len)
{
	struct vhost_scsi_log_walk w = {
		.vq = vq, .left = len, .budget = vq->num + UIO_MAXIOV,
	};
	struct vring_desc d;
	unsigned int i = head;
	bool more;
	u16 flags;

	lockdep_assert_held(&vq->mutex);
	do {
		if (i >= vq->num || !w.budget-- ||
		    copy_from_user(&d, vq->desc + i, sizeof(d)))
			goto broken;
		flags = vhost16_to_cpu(vq, d.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			more = vhost_scsi_walk_indirect(&w, &d);
		else
			more = vhost_scsi_walk_desc(&w, &d);
		if (!more && w.left)
			goto broken;
		i = vhost16_to_cpu(vq, d.next);
	} while (more && (flags & VRING_DESC_F_NEXT));
	vhost_scsi_walk_flush(&w);
	return;
broken:
	vhost_scsi_walk_flush(&w);
	vhost_scsi_count(log_failed);
}

/*
 * The log is on (vhost_scsi_log_cmd()): the response, and for a data-in
 * command its whole data-in buffer (protection bytes included): the
 * backstore may have written any of it before it failed or came up short,
 * and those are the pages vhost_scsi_unmap() dirties.
 */
void vhost_scsi_log_cmd_on(struct vhost_scsi_cmd *cmd)
{
	vhost_scsi_log_chain(&cmd->svq->vq, cmd->head,
			     cmd->data_in ? U64_MAX : VHOST_SCSI_CMD_RESP_SIZE);
}
