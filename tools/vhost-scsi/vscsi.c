// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi device layer: guest memory, device open/close and the vhost /
 * vhost-scsi ioctls.  Each wrapper returns 0 or -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vscsi.h"

#define VSCSI_PAGE_SIZE 4096ULL

/* ------------------------------------------------------------------ */
/* Guest memory                                                        */

int vscsi_mem_init(struct vscsi_mem *mem, uint64_t gpa, uint64_t size)
{
	void *host;

	if (!size || size > VSCSI_MAX_MEM_SIZE || size % VSCSI_PAGE_SIZE ||
	    gpa % VSCSI_PAGE_SIZE)
		return -EINVAL;
	host = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		return -errno;
	memset(mem, 0, sizeof(*mem));
	mem->free = calloc(16, sizeof(*mem->free));
	if (!mem->free) {
		munmap(host, size);
		return -ENOMEM;
	}
	mem->free_cap = 16;
	mem->host = host;
	mem->gpa = gpa;
	mem->size = size;
	mem->free[0].gpa = gpa;
	mem->free[0].len = size;
	mem->nfree = 1;
	return 0;
}

void vscsi_mem_exit(struct vscsi_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	free(mem->free);
	memset(mem, 0, sizeof(*mem));
}

void *vscsi_mem_ptr(const struct vscsi_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa < mem->gpa || len > mem->size || gpa - mem->gpa > mem->size - len)
		return NULL;
	return mem->host + (gpa - mem->gpa);
}

static int mem_insert_extent(struct vscsi_mem *mem, unsigned int at,
			     uint64_t gpa, uint64_t len)
{
	if (mem->nfree == mem->free_cap) {
		unsigned int cap = mem->free_cap * 2;
		struct vscsi_extent *grown;

		grown = realloc(mem->free, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		mem->free = grown;
		mem->free_cap = cap;
	}
	memmove(&mem->free[at + 1], &mem->free[at],
		(mem->nfree - at) * sizeof(*mem->free));
	mem->free[at].gpa = gpa;
	mem->free[at].len = len;
	mem->nfree++;
	return 0;
}

static void mem_remove_extent(struct vscsi_mem *mem, unsigned int at)
{
	memmove(&mem->free[at], &mem->free[at + 1],
		(mem->nfree - at - 1) * sizeof(*mem->free));
	mem->nfree--;
}

/* Carve [gpa, gpa + len) out of free extent @i, keeping any head/tail. */
static int mem_carve(struct vscsi_mem *mem, unsigned int i, uint64_t gpa,
		     uint64_t len)
{
	struct vscsi_extent ext = mem->free[i];
	uint64_t head = gpa - ext.gpa;
	uint64_t tail = ext.gpa + ext.len - (gpa + len);

	if (head && tail) {
		mem->free[i].len = head;
		return mem_insert_extent(mem, i + 1, gpa + len, tail);
	}
	if (head) {
		mem->free[i].len = head;
	} else if (tail) {
		mem->free[i].gpa = gpa + len;
		mem->free[i].len = tail;
	} else {
		mem_remove_extent(mem, i);
	}
	return 0;
}

uint64_t vscsi_mem_alloc(struct vscsi_mem *mem, uint64_t len, uint64_t align)
{
	uint64_t gpa = vscsi_mem_alloc_raw(mem, len, align);

	if (gpa)
		memset(vscsi_mem_ptr(mem, gpa, len ? len : 1), 0, len ? len : 1);
	return gpa;
}

uint64_t vscsi_mem_alloc_raw(struct vscsi_mem *mem, uint64_t len,
			     uint64_t align)
{
	unsigned int i;

	if (!len)
		len = 1;
	if (!align)
		align = 1;
	if (align & (align - 1))
		return 0;
	for (i = 0; i < mem->nfree; i++) {
		struct vscsi_extent *ext = &mem->free[i];
		uint64_t gpa = (ext->gpa + align - 1) & ~(align - 1);

		if (gpa - ext->gpa > ext->len || ext->len - (gpa - ext->gpa) < len)
			continue;
		if (mem_carve(mem, i, gpa, len))
			return 0;
		return gpa;
	}
	return 0;
}

uint64_t vscsi_mem_alloc_untouched(struct vscsi_mem *mem, uint64_t len)
{
	uint64_t gpa;

	len = (len + VSCSI_PAGE_SIZE - 1) & ~(VSCSI_PAGE_SIZE - 1);
	gpa = vscsi_mem_alloc(mem, len, VSCSI_PAGE_SIZE);
	/* Private anonymous memory: dropped pages read back as zero page. */
	if (gpa && madvise(vscsi_mem_ptr(mem, gpa, len), len, MADV_DONTNEED)) {
		vscsi_mem_free(mem, gpa, len);
		return 0;
	}
	return gpa;
}

void vscsi_mem_free(struct vscsi_mem *mem, uint64_t gpa, uint64_t len)
{
	unsigned int i = 0;

	if (!gpa || !vscsi_mem_ptr(mem, gpa, len ? len : 1))
		return;
	if (!len)
		len = 1;
	while (i < mem->nfree && mem->free[i].gpa < gpa)
		i++;
	/* Merge with the previous and/or next extent when they touch. */
	if (i > 0 && mem->free[i - 1].gpa + mem->free[i - 1].len == gpa) {
		mem->free[i - 1].len += len;
		if (i < mem->nfree && gpa + len == mem->free[i].gpa) {
			mem->free[i - 1].len += mem->free[i].len;
			mem_remove_extent(mem, i);
		}
		return;
	}
	if (i < mem->nfree && gpa + len == mem->free[i].gpa) {
		mem->free[i].gpa = gpa;
		mem->free[i].len += len;
		return;
	}
	/* On allocation failure the range is leaked, never corrupted. */
	mem_insert_extent(mem, i, gpa, len);
}

uint64_t vscsi_mem_free_bytes(const struct vscsi_mem *mem)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < mem->nfree; i++)
		total += mem->free[i].len;
	return total;
}

/* ------------------------------------------------------------------ */
/* Device                                                              */

static int vscsi_ioctl(struct vscsi_dev *dev, unsigned long req, void *arg)
{
	return ioctl(dev->fd, req, arg) < 0 ? -errno : 0;
}

int vscsi_dev_open(struct vscsi_dev **devp, const char *path)
{
	struct vscsi_dev *dev;
	int ret;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->cdb_size = VSCSI_CDB_SIZE;
	dev->fd = open(path ? path : VSCSI_DEFAULT_PATH, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = vscsi_ioctl(dev, VHOST_SET_OWNER, NULL);
	if (ret)
		goto err_close;
	*devp = dev;
	return 0;

err_close:
	close(dev->fd);
err_free:
	free(dev);
	return ret;
}

int vscsi_get_features(struct vscsi_dev *dev, uint64_t *features)
{
	int ret = vscsi_ioctl(dev, VHOST_GET_FEATURES, features);

	if (!ret)
		dev->offered = *features;
	return ret;
}

int vscsi_set_features(struct vscsi_dev *dev, uint64_t features)
{
	int ret = vscsi_ioctl(dev, VHOST_SET_FEATURES, &features);

	if (!ret)
		dev->acked = features;
	return ret;
}

bool vscsi_has_feature(const struct vscsi_dev *dev, unsigned int bit)
{
	return dev->acked & (1ULL << bit);
}

int vscsi_set_mem(struct vscsi_dev *dev, uint64_t size)
{
	struct vhost_memory *table;
	struct vhost_memory_region *region;
	int ret;

	if (dev->mem_set)
		return -EBUSY;
	ret = vscsi_mem_init(&dev->mem, VSCSI_GPA_BASE, size);
	if (ret)
		return ret;
	table = calloc(1, sizeof(*table) + sizeof(*region));
	if (!table) {
		ret = -ENOMEM;
		goto err_mem;
	}
	table->nregions = 1;
	region = &table->regions[0];
	region->guest_phys_addr = dev->mem.gpa;
	region->memory_size = dev->mem.size;
	region->userspace_addr = (uintptr_t)dev->mem.host;
	ret = vscsi_ioctl(dev, VHOST_SET_MEM_TABLE, table);
	free(table);
	if (ret)
		goto err_mem;
	dev->mem_set = true;
	return 0;

err_mem:
	vscsi_mem_exit(&dev->mem);
	return ret;
}

int vscsi_get_abi_version(struct vscsi_dev *dev, int *version)
{
	return vscsi_ioctl(dev, VHOST_SCSI_GET_ABI_VERSION, version);
}

static void target_fill(struct vhost_scsi_target *t, const char *wwpn)
{
	memset(t, 0, sizeof(*t));
	t->abi_version = VHOST_SCSI_ABI_VERSION;
	strncpy(t->vhost_wwpn, wwpn, sizeof(t->vhost_wwpn) - 1);
}

int vscsi_set_endpoint_raw(struct vscsi_dev *dev,
			   struct vhost_scsi_target *target)
{
	return vscsi_ioctl(dev, VHOST_SCSI_SET_ENDPOINT, target);
}

int vscsi_clear_endpoint_raw(struct vscsi_dev *dev,
			     struct vhost_scsi_target *target)
{
	return vscsi_ioctl(dev, VHOST_SCSI_CLEAR_ENDPOINT, target);
}

int vscsi_set_endpoint(struct vscsi_dev *dev, const char *wwpn)
{
	struct vhost_scsi_target t;

	target_fill(&t, wwpn);
	return vscsi_set_endpoint_raw(dev, &t);
}

int vscsi_clear_endpoint(struct vscsi_dev *dev, const char *wwpn)
{
	struct vhost_scsi_target t;

	target_fill(&t, wwpn);
	return vscsi_clear_endpoint_raw(dev, &t);
}

int vscsi_set_events_missed(struct vscsi_dev *dev, uint32_t missed)
{
	return vscsi_ioctl(dev, VHOST_SCSI_SET_EVENTS_MISSED, &missed);
}

int vscsi_get_events_missed(struct vscsi_dev *dev, uint32_t *missed)
{
	return vscsi_ioctl(dev, VHOST_SCSI_GET_EVENTS_MISSED, missed);
}

struct vscsi_vq *vscsi_req_vq(struct vscsi_dev *dev, unsigned int n)
{
	if (VSCSI_VQ_REQ0 + n >= dev->nvqs)
		return NULL;
	return &dev->vqs[VSCSI_VQ_REQ0 + n];
}

static int negotiate(struct vscsi_dev *dev, const struct vscsi_opts *opts)
{
	uint64_t offered;
	int ret;

	ret = vscsi_get_features(dev, &offered);
	if (ret)
		return ret;
	if (opts && opts->features_given)
		return vscsi_set_features(dev, opts->features);
	return vscsi_set_features(dev, offered & VSCSI_DEFAULT_FEATURES);
}

int vscsi_dev_start(struct vscsi_dev **devp, const struct vscsi_opts *opts)
{
	static const struct vscsi_opts defaults;
	struct vscsi_dev *dev;
	int ret;

	if (!opts)
		opts = &defaults;
	ret = vscsi_dev_open(&dev, opts->path);
	if (ret)
		return ret;
	if (opts->cdb_size)
		dev->cdb_size = opts->cdb_size;
	ret = negotiate(dev, opts);
	if (ret)
		goto err_close;
	ret = vscsi_set_mem(dev, opts->mem_size ? opts->mem_size :
			    VSCSI_DEFAULT_MEM_SIZE);
	if (ret)
		goto err_close;
	ret = vscsi_setup_vqs(dev, opts->req_queues ? opts->req_queues :
			      VSCSI_DEFAULT_REQ_QUEUES,
			      opts->queue_size ? opts->queue_size :
			      VSCSI_DEFAULT_QUEUE_SIZE);
	if (ret)
		goto err_close;
	*devp = dev;
	return 0;

err_close:
	vscsi_dev_close(dev);
	return ret;
}

const char *vscsi_feature_name(unsigned int bit)
{
	switch (bit) {
	case VIRTIO_SCSI_F_INOUT:		return "SCSI_F_INOUT";
	case VIRTIO_SCSI_F_HOTPLUG:		return "SCSI_F_HOTPLUG";
	case VIRTIO_SCSI_F_CHANGE:		return "SCSI_F_CHANGE";
	case VIRTIO_SCSI_F_T10_PI:		return "SCSI_F_T10_PI";
	case VIRTIO_F_NOTIFY_ON_EMPTY:		return "F_NOTIFY_ON_EMPTY";
	case VIRTIO_RING_F_INDIRECT_DESC:	return "RING_F_INDIRECT_DESC";
	case VIRTIO_RING_F_EVENT_IDX:		return "RING_F_EVENT_IDX";
	case VHOST_F_LOG_ALL:			return "VHOST_F_LOG_ALL";
	case VIRTIO_F_ANY_LAYOUT:		return "F_ANY_LAYOUT";
	case VIRTIO_F_VERSION_1:		return "F_VERSION_1";
	default:				return NULL;
	}
}
