// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi virtqueue layer: split rings in guest memory, descriptor chains,
 * notification in both directions (with or without EVENT_IDX) and reaping
 * of used elements.  The driver side of virtio 1.x section 2.7 ("Split
 * Virtqueues"), single threaded: callers serialise access to a vq.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vscsi.h"

#define VSCSI_RING_ALIGN	4096
#define CHAIN_END		0xffff

/* Full barrier: publish before reading the other side's notify hints. */
static inline void vq_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void vq_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void vq_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

int vscsi_ring_layout(unsigned int num, unsigned int align,
		      struct vscsi_ring_layout *layout)
{
	size_t avail_end;

	if (!num || num > 32768 || (num & (num - 1)) ||
	    !align || (align & (align - 1)))
		return -EINVAL;
	layout->desc_off = 0;
	layout->avail_off = sizeof(struct vring_desc) * num;
	/* flags, idx, ring[num], used_event */
	avail_end = layout->avail_off + sizeof(uint16_t) * (3 + num);
	layout->used_off = (avail_end + align - 1) & ~((size_t)align - 1);
	/* flags, idx, ring[num], avail_event */
	layout->total = layout->used_off + sizeof(uint16_t) * 3 +
			sizeof(struct vring_used_elem) * num;
	return 0;
}

/* True if the other side asked to be notified when idx passes event_idx. */
bool vscsi_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

static uint16_t *vq_used_event(struct vscsi_vq *vq)
{
	return &vq->avail->ring[vq->num];
}

static uint16_t *vq_avail_event(struct vscsi_vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->num];
}

/* ------------------------------------------------------------------ */
/* Setup and teardown                                                  */

static int vq_alloc(struct vscsi_dev *dev, struct vscsi_vq *vq,
		    unsigned int index, unsigned int num)
{
	uint8_t *ring;
	int ret;

	vq->dev = dev;
	vq->index = index;
	vq->num = num;
	vq->kick_fd = vq->call_fd = vq->err_fd = -1;
	ret = vscsi_ring_layout(num, VSCSI_RING_ALIGN, &vq->layout);
	if (ret)
		return ret;
	vq->ring_gpa = vscsi_mem_alloc(&dev->mem, vq->layout.total,
				       VSCSI_RING_ALIGN);
	if (!vq->ring_gpa)
		return -ENOMEM;
	ring = vscsi_mem_ptr(&dev->mem, vq->ring_gpa, vq->layout.total);
	vq->desc = (struct vring_desc *)(ring + vq->layout.desc_off);
	vq->avail = (struct vring_avail *)(ring + vq->layout.avail_off);
	vq->used = (struct vring_used *)(ring + vq->layout.used_off);
	vq->event_idx = vscsi_has_feature(dev, VIRTIO_RING_F_EVENT_IDX);
	vq->num_free = num;
	vq->desc_busy = calloc(num, sizeof(*vq->desc_busy));
	vq->chain_next = calloc(num, sizeof(*vq->chain_next));
	vq->slots = calloc(num, sizeof(*vq->slots));
	if (!vq->desc_busy || !vq->chain_next || !vq->slots)
		return -ENOMEM;
	vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->err_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->kick_fd < 0 || vq->call_fd < 0 || vq->err_fd < 0)
		return -errno;
	return 0;
}

static void vq_free(struct vscsi_vq *vq)
{
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	if (vq->err_fd >= 0)
		close(vq->err_fd);
	free(vq->desc_busy);
	free(vq->chain_next);
	free(vq->slots);
}

static int vq_ioctl(struct vscsi_vq *vq, unsigned long req, void *arg)
{
	return ioctl(vq->dev->fd, req, arg) < 0 ? -errno : 0;
}

static int vq_set_fd(struct vscsi_vq *vq, unsigned long req, int fd)
{
	struct vhost_vring_file file = { .index = vq->index, .fd = fd };

	return vq_ioctl(vq, req, &file);
}

int vscsi_vq_set_addr(struct vscsi_vq *vq, const void *desc,
		      const void *avail, const void *used)
{
	struct vhost_vring_addr addr = { .index = vq->index };

	/* Without an IOTLB vhost wants our (userspace) addresses here. */
	addr.desc_user_addr = (uintptr_t)(desc ? desc : vq->desc);
	addr.avail_user_addr = (uintptr_t)(avail ? avail : vq->avail);
	addr.used_user_addr = (uintptr_t)(used ? used : vq->used);
	return vq_ioctl(vq, VHOST_SET_VRING_ADDR, &addr);
}

/* Hand the ring to vhost: size, start index, addresses, eventfds. */
static int vq_register(struct vscsi_vq *vq)
{
	struct vhost_vring_state state = { .index = vq->index };
	int ret;

	state.num = vq->num;
	ret = vq_ioctl(vq, VHOST_SET_VRING_NUM, &state);
	if (ret)
		return ret;
	state.num = 0;
	ret = vq_ioctl(vq, VHOST_SET_VRING_BASE, &state);
	if (ret)
		return ret;
	ret = vscsi_vq_set_addr(vq, NULL, NULL, NULL);
	if (ret)
		return ret;
	ret = vq_set_fd(vq, VHOST_SET_VRING_KICK, vq->kick_fd);
	if (ret)
		return ret;
	ret = vq_set_fd(vq, VHOST_SET_VRING_CALL, vq->call_fd);
	if (ret)
		return ret;
	return vq_set_fd(vq, VHOST_SET_VRING_ERR, vq->err_fd);
}

int vscsi_setup_vqs(struct vscsi_dev *dev, unsigned int req_queues,
		    unsigned int queue_size)
{
	unsigned int i;
	int ret;

	if (!dev->mem_set || dev->vqs)
		return -EINVAL;
	if (!req_queues || req_queues > 1024)
		return -EINVAL;
	dev->vqs = calloc(VSCSI_VQ_REQ0 + req_queues, sizeof(*dev->vqs));
	if (!dev->vqs)
		return -ENOMEM;
	dev->nvqs = VSCSI_VQ_REQ0 + req_queues;
	for (i = 0; i < dev->nvqs; i++) {
		ret = vq_alloc(dev, &dev->vqs[i], i, queue_size);
		if (ret)
			return ret;
		ret = vq_register(&dev->vqs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

void vscsi_dev_close(struct vscsi_dev *dev)
{
	unsigned int i;

	if (!dev)
		return;
	/* Closing first makes vhost drop the endpoint and stop touching RAM. */
	close(dev->fd);
	for (i = 0; i < dev->nvqs; i++)
		vq_free(&dev->vqs[i]);
	free(dev->vqs);
	vscsi_mem_exit(&dev->mem);
	free(dev);
}

/* ------------------------------------------------------------------ */
/* Descriptors and chains                                              */

int vscsi_vq_desc_get(struct vscsi_vq *vq)
{
	unsigned int i;

	if (!vq->num_free)
		return -ENOSPC;
	for (i = 0; i < vq->num; i++) {
		if (!vq->desc_busy[i]) {
			vq->desc_busy[i] = true;
			vq->chain_next[i] = CHAIN_END;
			vq->num_free--;
			return i;
		}
	}
	return -ENOSPC;
}

static void vq_desc_put(struct vscsi_vq *vq, uint16_t id)
{
	if (id < vq->num && vq->desc_busy[id]) {
		vq->desc_busy[id] = false;
		vq->num_free++;
	}
}

void vscsi_vq_desc_set(struct vscsi_vq *vq, uint16_t id, uint64_t addr,
		       uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &vq->desc[id];

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static void vq_make_avail(struct vscsi_vq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx % vq->num] = htole16(head);
	vq_wmb();
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx),
			 __ATOMIC_RELEASE);
}

int vscsi_vq_publish_raw(struct vscsi_vq *vq, const uint16_t *ids,
			 unsigned int n, void *owner)
{
	struct vscsi_slot *slot;
	unsigned int i;

	if (!n || ids[0] >= vq->num)
		return -EINVAL;
	slot = &vq->slots[ids[0]];
	if (slot->busy || slot->done)
		return -EBUSY;
	for (i = 0; i + 1 < n; i++)
		vq->chain_next[ids[i]] = ids[i + 1];
	vq->chain_next[ids[n - 1]] = CHAIN_END;
	memset(slot, 0, sizeof(*slot));
	slot->busy = true;
	slot->ndesc = n;
	slot->owner = owner;
	vq_make_avail(vq, ids[0]);
	return ids[0];
}

static int vq_get_descs(struct vscsi_vq *vq, uint16_t *ids, unsigned int n)
{
	unsigned int i;
	int id;

	if (n > vq->num_free)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		id = vscsi_vq_desc_get(vq);
		if (id < 0)
			return id;
		ids[i] = id;
	}
	return 0;
}

static int vq_add_direct(struct vscsi_vq *vq, const struct vscsi_seg *segs,
			 unsigned int n, void *owner)
{
	uint16_t ids[n];
	unsigned int i;
	uint16_t flags;
	int ret;

	/* Cannot fail half way: the free count is checked up front. */
	ret = vq_get_descs(vq, ids, n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		flags = segs[i].write ? VRING_DESC_F_WRITE : 0;
		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		vscsi_vq_desc_set(vq, ids[i], segs[i].gpa, segs[i].len, flags,
				  i + 1 < n ? ids[i + 1] : 0);
	}
	return vscsi_vq_publish_raw(vq, ids, n, owner);
}

static int vq_add_indirect(struct vscsi_vq *vq, const struct vscsi_seg *segs,
			   unsigned int n, void *owner)
{
	uint64_t len = (uint64_t)n * sizeof(struct vring_desc);
	struct vring_desc *table;
	uint64_t gpa;
	unsigned int i;
	int head;

	gpa = vscsi_mem_alloc(&vq->dev->mem, len, 16);
	if (!gpa)
		return -ENOMEM;
	table = vscsi_mem_ptr(&vq->dev->mem, gpa, len);
	for (i = 0; i < n; i++) {
		uint16_t flags = segs[i].write ? VRING_DESC_F_WRITE : 0;

		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		table[i].addr = htole64(segs[i].gpa);
		table[i].len = htole32(segs[i].len);
		table[i].flags = htole16(flags);
		table[i].next = htole16(i + 1 < n ? i + 1 : 0);
	}
	head = vscsi_vq_desc_get(vq);
	if (head < 0) {
		vscsi_mem_free(&vq->dev->mem, gpa, len);
		return head;
	}
	vscsi_vq_desc_set(vq, head, gpa, len, VRING_DESC_F_INDIRECT, 0);
	head = vscsi_vq_publish_raw(vq, (uint16_t[]){ head }, 1, owner);
	vq->slots[head].indirect_gpa = gpa;
	vq->slots[head].indirect_len = len;
	return head;
}

int vscsi_vq_add(struct vscsi_vq *vq, const struct vscsi_seg *segs,
		 unsigned int n, bool indirect, void *owner)
{
	if (!n)
		return -EINVAL;
	if (indirect)
		return vq_add_indirect(vq, segs, n, owner);
	if (n > vq->num)
		return -E2BIG;
	return vq_add_direct(vq, segs, n, owner);
}

int vscsi_vq_kick_force(struct vscsi_vq *vq)
{
	uint64_t one = 1;

	vq_mb();
	vq->kicked_idx = vq->avail_idx;
	vq->kicks++;
	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

int vscsi_vq_kick(struct vscsi_vq *vq)
{
	uint64_t one = 1;
	uint16_t old = vq->kicked_idx;
	bool need;

	vq_mb();
	if (vq->event_idx)
		need = vscsi_need_event(le16toh(*vq_avail_event(vq)),
					vq->avail_idx, old);
	else
		need = !(le16toh(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	vq->kicked_idx = vq->avail_idx;
	if (!need) {
		vq->kicks_suppressed++;
		return 0;
	}
	vq->kicks++;
	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */

static int vq_reap_once(struct vscsi_vq *vq)
{
	uint16_t used_idx;
	int count = 0;

	used_idx = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
	vq_rmb();
	while (vq->last_used != used_idx) {
		struct vring_used_elem *e;
		uint32_t id;

		e = &vq->used->ring[vq->last_used % vq->num];
		id = le32toh(e->id);
		vq->last_used++;
		/* A bogus id from the device is dropped, not trusted. */
		if (id >= vq->num || !vq->slots[id].busy) {
			vq->bogus_used++;
			continue;
		}
		vq->slots[id].busy = false;
		vq->slots[id].done = true;
		vq->slots[id].used_len = le32toh(e->len);
		count++;
	}
	return count;
}

/*
 * Reap, then ask for a call on the next used entry: with EVENT_IDX by
 * publishing used_event = last_used, and re-reading used->idx after the
 * barrier, since an entry published before the device saw the new
 * used_event may come without a call.  Once the re-read finds nothing
 * new, the device owes a call for its next used entry (virtio 1.x
 * 2.7.10); without EVENT_IDX it calls for every used update unless
 * avail->flags has VRING_AVAIL_F_NO_INTERRUPT, which the library never
 * sets.  The ring starts armed: used_event and last_used are both 0.
 * With vq->caller_used_event set, used_event is the caller's to place.
 */
int vscsi_vq_reap(struct vscsi_vq *vq)
{
	int count = 0;

	for (;;) {
		count += vq_reap_once(vq);
		if (!vq->event_idx || vq->caller_used_event)
			return count;
		*vq_used_event(vq) = htole16(vq->last_used);
		vq_mb();
		if (le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE)) ==
		    vq->last_used)
			return count;
	}
}

int64_t vscsi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Block on the call eventfd until it fires or @deadline passes (a call
 * already pending is taken even past it): 0 after a call, its count
 * consumed, or -ETIMEDOUT.
 */
static int vq_sleep(struct vscsi_vq *vq, int64_t deadline)
{
	struct pollfd pfd = { .fd = vq->call_fd, .events = POLLIN };
	uint64_t count;
	int64_t left;
	int ret;

	do {
		left = deadline - vscsi_now_ms();
		if (left < 0)
			left = 0;
		ret = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
	} while (ret < 0 || !(pfd.revents & POLLIN));
	if (read(vq->call_fd, &count, sizeof(count)) == sizeof(count))
		vq->calls += count;
	else if (errno != EAGAIN)
		return -errno;
	return 0;
}

static int vq_find_done(struct vscsi_vq *vq, int head)
{
	unsigned int i;

	if (head >= 0)
		return vq->slots[head].done ? head : -1;
	for (i = 0; i < vq->num; i++)
		if (vq->slots[i].done)
			return i;
	return -1;
}

/*
 * The wait timed out, yet the chain may be in the ring: the device then
 * owed us a call for it.  Give a late call a grace period; without one
 * the completion counts as a missed call and the wait fails.
 */
static int vq_timed_out(struct vscsi_vq *vq, int head)
{
	int found;

	vscsi_vq_reap(vq);
	found = vq_find_done(vq, head);
	if (found < 0)
		return -ETIMEDOUT;
	if (!vq_sleep(vq, vscsi_now_ms() + VSCSI_CALL_GRACE_MS))
		return found;
	vq->missed_calls++;
	return -ETIMEDOUT;
}

/*
 * Wait for chain @head (or any chain when @head < 0).  The ring is always
 * armed after a reap (vscsi_vq_reap()), so the wait reaps only after a
 * call: a device that returns chains without calling is not seen.
 */
static int vq_wait(struct vscsi_vq *vq, int head, int timeout_ms)
{
	int64_t deadline = vscsi_now_ms() + timeout_ms;
	int found, ret;

	for (;;) {
		found = vq_find_done(vq, head);
		if (found >= 0)
			return found;
		ret = vq_sleep(vq, deadline);
		if (ret == -ETIMEDOUT && timeout_ms > 0)
			return vq_timed_out(vq, head);
		if (ret)
			return ret;
		vscsi_vq_reap(vq);
	}
}

int vscsi_vq_wait(struct vscsi_vq *vq, uint16_t head, int timeout_ms)
{
	int ret;

	if (head >= vq->num)
		return -EINVAL;
	ret = vq_wait(vq, head, timeout_ms);
	return ret < 0 ? ret : 0;
}

int vscsi_vq_wait_any(struct vscsi_vq *vq, int timeout_ms)
{
	return vq_wait(vq, -1, timeout_ms);
}

void vscsi_vq_collect(struct vscsi_vq *vq, uint16_t head, uint32_t *used_len)
{
	struct vscsi_slot *slot = &vq->slots[head];
	uint16_t id = head, next;
	unsigned int n;

	if (used_len)
		*used_len = slot->used_len;
	for (n = 0; n < slot->ndesc && id != CHAIN_END; n++) {
		next = vq->chain_next[id];
		vq_desc_put(vq, id);
		id = next;
	}
	if (slot->indirect_gpa)
		vscsi_mem_free(&vq->dev->mem, slot->indirect_gpa,
			       slot->indirect_len);
	memset(slot, 0, sizeof(*slot));
}

bool vscsi_vq_error_signalled(struct vscsi_vq *vq)
{
	uint64_t count;

	return read(vq->err_fd, &count, sizeof(count)) == sizeof(count);
}
