// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the event queue.
 *
 * LUN link and unlink in configfs queue an event (scsi_configfs.c), so
 * does a LUN whose parameters change (scsi_change.c); the worker writes
 * queued events into the buffers the guest posted.  An event that finds
 * no buffer is dropped and remembered: the next event the guest
 * gets carries VIRTIO_SCSI_T_EVENTS_MISSED, telling it to rescan.  Queueing
 * never blocks and never grows past VHOST_SCSI_MAX_EVENTS entries, so a
 * storm of link/unlink costs bounded memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/virtio_scsi.h>

#include "scsi.h"
#include "scsi_trace.h"

/**
 * struct vhost_scsi_evt - an event waiting for an event-queue buffer
 * @node:	on vhost_scsi.evt_list, under evt_lock
 * @event:	VIRTIO_SCSI_T_*
 * @target:	TPG tag
 * @lun:	LUN
 * @reason:	VIRTIO_SCSI_EVT_RESET_*, or ASC | ASCQ << 8 for PARAM_CHANGE
 *
 * Allocated by vhost_scsi_evt_queue() (configfs context, or the vhost
 * worker for parameter changes), freed by the
 * worker once written or dropped, or by vhost_scsi_evt_flush().
 */
struct vhost_scsi_evt {
	struct list_head node;
	u32 event;
	u8 target;
	u16 lun;
	u32 reason;
};

void vhost_scsi_evt_queue(struct vhost_scsi *vs, u32 event, u8 target,
			  u16 lun, u32 reason)
{
	struct vhost_scsi_evt *evt = NULL;
	bool queued = false;

	if (!vhost_scsi_fault(VHOST_SCSI_FAULT_EVT))
		evt = kzalloc(sizeof(*evt), GFP_KERNEL_ACCOUNT);

	spin_lock(&vs->evt_lock);
	if (evt && vs->evt_count < VHOST_SCSI_MAX_EVENTS) {
		evt->event = event;
		evt->target = target;
		evt->lun = lun;
		evt->reason = reason;
		list_add_tail(&evt->node, &vs->evt_list);
		vs->evt_count++;
		queued = true;
	} else {
		vs->evt_overflow = true;
		vs->evt_dropped++;
	}
	spin_unlock(&vs->evt_lock);
	if (!queued) {
		kfree(evt);
		vhost_scsi_count(events_missed);
		trace_vhost_scsi_evt_dropped(vs, event, target, lun, reason);
	} else {
		trace_vhost_scsi_evt_queued(vs, event, target, lun, reason);
	}
	vhost_work_queue(&vs->dev, &vs->evt_work);
}

/* Drop everything still queued (device teardown). */
void vhost_scsi_evt_flush(struct vhost_scsi *vs)
{
	struct vhost_scsi_evt *evt, *tmp;
	LIST_HEAD(list);

	spin_lock(&vs->evt_lock);
	list_splice_init(&vs->evt_list, &list);
	vs->evt_count = 0;
	spin_unlock(&vs->evt_lock);
	list_for_each_entry_safe(evt, tmp, &list, node)
		kfree(evt);
}

static struct vhost_scsi_evt *vhost_scsi_evt_pop(struct vhost_scsi *vs)
{
	struct vhost_scsi_evt *evt;

	spin_lock(&vs->evt_lock);
	evt = list_first_entry_or_null(&vs->evt_list, struct vhost_scsi_evt,
				       node);
	if (evt) {
		list_del(&evt->node);
		vs->evt_count--;
	}
	if (vs->evt_overflow) {
		vs->evt_overflow = false;
		vs->events_missed = true;
	}
	spin_unlock(&vs->evt_lock);
	return evt;
}

/*
 * Pop the next buffer an event fits in, giving unusable ones back
 * untouched.  Every buffer counts against the vhost weight in *@n: once it
 * is spent the kick handler is queued again (vhost_exceeds_weight()), so a
 * guest re-posting bad buffers cannot keep the worker in one work item.
 * The buffer's writable descriptors are left in vq->log, *@log_num of them.
 * Return: the head, or -1 for no buffer (none posted, ring unusable or
 * weight spent).
 */
static int vhost_scsi_evt_get_buf(struct vhost_virtqueue *vq,
				  unsigned int *in, unsigned int *log_num,
				  int *n)
{
	unsigned int out;
	int head;

	for (;;) {
		if (vhost_exceeds_weight(vq, ++*n, 0))
			return -1;
		head = vhost_get_vq_desc(vq, vq->iov, ARRAY_SIZE(vq->iov),
					 &out, in, vq->log, log_num);
		if (head < 0 || head == vq->num)
			return -1;
		if (!out && iov_length(vq->iov, *in) >= VHOST_SCSI_EVENT_SIZE)
			return head;
		vhost_scsi_refuse(to_svq(vq), VHOST_SCSI_R_BAD_HEADER);
		if (vhost_add_used(vq, head, 0))
			return -1;
	}
}

/*
 * Write one event (or, for @evt NULL, a bare EVENTS_MISSED notice) into the
 * next buffer.  Return: false if the guest has no buffer posted.
 */
static bool vhost_scsi_evt_send(struct vhost_scsi *vs,
				struct vhost_virtqueue *vq,
				const struct vhost_scsi_evt *evt, int *n)
{
	u8 buf[VHOST_SCSI_EVENT_SIZE];
	struct iov_iter it;
	unsigned int in, log_num;
	u32 event;
	int head;

	head = vhost_scsi_evt_get_buf(vq, &in, &log_num, n);
	if (head < 0)
		return false;
	event = evt ? evt->event : VIRTIO_SCSI_T_NO_EVENT;
	if (vs->events_missed)
		event |= VIRTIO_SCSI_T_EVENTS_MISSED;
	vhost_scsi_build_event(buf, vhost_is_little_endian(vq), event,
			       evt ? evt->target : 0, evt ? evt->lun : 0,
			       evt ? evt->reason : 0);
	iov_iter_init(&it, ITER_DEST, vq->iov, in, sizeof(buf));
	if (copy_to_iter(buf, sizeof(buf), &it) != sizeof(buf)) {
		vhost_add_used(vq, head, 0);
		return true;
	}
	vs->events_missed = false;
	vhost_scsi_count(events);
	vhost_scsi_qcount(to_svq(vq), events);
	trace_vhost_scsi_evt_delivered(vs, event, evt ? evt->target : 0,
				       evt ? evt->lun : 0, evt ? evt->reason : 0);
	vhost_scsi_log_write(vq, vq->log, log_num, sizeof(buf));
	vhost_add_used(vq, head, sizeof(buf));
	return true;
}

/*
 * Was @evt's kind negotiated?  Hotplug events are queued for every bound
 * device (scsi_configfs.c), parameter changes only for one that acked
 * F_CHANGE (scsi_change.c); what the driver did not ask for is dropped.
 */
static bool vhost_scsi_evt_wanted(struct vhost_virtqueue *vq,
				  const struct vhost_scsi_evt *evt)
{
	if (evt->event == VIRTIO_SCSI_T_PARAM_CHANGE)
		return vhost_has_feature(vq, VIRTIO_SCSI_F_CHANGE);
	return vhost_has_feature(vq, VIRTIO_SCSI_F_HOTPLUG);
}

/*
 * Deliver queued events; runs in the worker.  The signal is unconditional:
 * buffers given back unused are returns the guest must hear about too.
 */
static void vhost_scsi_evt_deliver(struct vhost_scsi *vs)
{
	struct vhost_virtqueue *vq = &vs->vqs[VHOST_SCSI_VQ_EVT].vq;
	struct vhost_scsi_evt *evt;
	int n = 0;

	mutex_lock(&vq->mutex);
	/*
	 * SET_ENDPOINT binds the TPGs before it publishes the queues: an event
	 * from that window waits (bounded) for the poll that publishing queues,
	 * and CLEAR_ENDPOINT drops whatever is left.
	 */
	if (!vhost_vq_get_backend(vq)) {
		mutex_unlock(&vq->mutex);
		return;
	}
	if (!vhost_has_feature(vq, VIRTIO_SCSI_F_HOTPLUG) &&
	    !vhost_has_feature(vq, VIRTIO_SCSI_F_CHANGE)) {
		mutex_unlock(&vq->mutex);
		vhost_scsi_evt_flush(vs);
		return;
	}
	vhost_disable_notify(&vs->dev, vq);
	while ((evt = vhost_scsi_evt_pop(vs))) {
		if (vhost_scsi_evt_wanted(vq, evt) &&
		    !vhost_scsi_evt_send(vs, vq, evt, &n)) {
			vs->events_missed = true;
			vhost_scsi_count(events_missed);
			vhost_scsi_qcount(to_svq(vq), events_missed);
			trace_vhost_scsi_evt_dropped(vs, evt->event, evt->target,
						     evt->lun, evt->reason);
		}
		kfree(evt);
	}
	/* A miss with nothing after it still owes the guest a notice. */
	if (vs->events_missed)
		vhost_scsi_evt_send(vs, vq, NULL, &n);
	vhost_enable_notify(&vs->dev, vq);
	vhost_scsi_signal(to_svq(vq));
	mutex_unlock(&vq->mutex);
}

void vhost_scsi_evt_work(struct vhost_work *work)
{
	vhost_scsi_evt_deliver(container_of(work, struct vhost_scsi,
					    evt_work));
}

/* The guest posted buffers: a notice may be owed. */
void vhost_scsi_handle_evt_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);

	mutex_lock(&vq->mutex);
	vhost_scsi_qcount(to_svq(vq), kicks);
	mutex_unlock(&vq->mutex);
	vhost_scsi_evt_deliver(to_svq(vq)->vs);
}
