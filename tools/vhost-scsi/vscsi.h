/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscsi - a userspace virtio-scsi "guest driver" for /dev/vhost-scsi.
 *
 * The process plays the guest: one anonymous mapping is its RAM, registered
 * with vhost as a single region at a nonzero guest-physical base so that GPA
 * 0 and everything outside the region are deliberately unmapped.  Split
 * virtqueues live in that RAM; vq 0 is the control queue, vq 1 the event
 * queue and vq 2.. the request queues (virtio 1.x "SCSI Host Device").
 *
 * Every function returns 0 (or a count) on success and -errno on failure;
 * nothing here exits or prints.
 *
 * Layering, bottom up:
 *   device   open, ioctls, features, endpoint         (vscsi.c)
 *   memory   guest RAM + allocator                     (vscsi.c)
 *   vq       descriptor chains, kick, call, reap       (vscsi-vq.c)
 *   cmd      virtio-scsi requests, control, events     (vscsi-cmd.c)
 *   scsi     CDB builders, sense parsing (pure)        (vscsi-scsi.c)
 */
#ifndef VSCSI_H
#define VSCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_scsi.h>

#define VSCSI_DEFAULT_PATH		"/dev/vhost-scsi"
#define VSCSI_DEFAULT_MEM_SIZE		(64UL << 20)
#define VSCSI_MAX_MEM_SIZE		(1UL << 30)
/* Milliseconds on CLOCK_MONOTONIC. */
int64_t vscsi_now_ms(void);

/* Nonzero so that GPA 0 is a guaranteed "outside the memory table". */
#define VSCSI_GPA_BASE			0x100000000ULL
#define VSCSI_DEFAULT_QUEUE_SIZE	128
#define VSCSI_DEFAULT_REQ_QUEUES	1
#define VSCSI_VQ_CTL			0
#define VSCSI_VQ_EVT			1
#define VSCSI_VQ_REQ0			2
#define VSCSI_CDB_SIZE			32
#define VSCSI_SENSE_SIZE		96
/* Header bytes before the CDB: lun[8] tag[8] task_attr prio crn. */
#define VSCSI_REQ_FIXED_SIZE		19
#define VSCSI_RESP_SIZE			sizeof(struct virtio_scsi_cmd_resp)
#define VSCSI_DEFAULT_TIMEOUT_MS	5000

/* Features acked by default when offered; T10_PI only on request. */
#define VSCSI_DEFAULT_FEATURES					\
	((1ULL << VIRTIO_F_VERSION_1) |				\
	 (1ULL << VIRTIO_F_ANY_LAYOUT) |			\
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |		\
	 (1ULL << VIRTIO_RING_F_EVENT_IDX) |			\
	 (1ULL << VIRTIO_SCSI_F_HOTPLUG))

/* ------------------------------------------------------------------ */
/* Guest memory                                                        */

struct vscsi_extent {
	uint64_t gpa;
	uint64_t len;
};

/*
 * Guest RAM: one mapping, first-fit allocation from a sorted list of free
 * extents that coalesces on free.
 */
struct vscsi_mem {
	uint8_t *host;			/* start of the mapping */
	uint64_t gpa;			/* guest-physical address of host[0] */
	uint64_t size;
	struct vscsi_extent *free;	/* sorted by gpa, never adjacent */
	unsigned int nfree;
	unsigned int free_cap;
};

int vscsi_mem_init(struct vscsi_mem *mem, uint64_t gpa, uint64_t size);
void vscsi_mem_exit(struct vscsi_mem *mem);
/* Returns the GPA of a zeroed buffer, or 0 when out of memory. */
uint64_t vscsi_mem_alloc(struct vscsi_mem *mem, uint64_t len, uint64_t align);
/* The same, left as it was: for callers that fill it all themselves. */
uint64_t vscsi_mem_alloc_raw(struct vscsi_mem *mem, uint64_t len,
			     uint64_t align);
/*
 * Whole pages, page aligned, whose memory the process has never written:
 * a read maps the shared zero page, a write faults in a private page.
 * For tests that must know what backs a guest page.  GPA or 0.
 */
uint64_t vscsi_mem_alloc_untouched(struct vscsi_mem *mem, uint64_t len);
void vscsi_mem_free(struct vscsi_mem *mem, uint64_t gpa, uint64_t len);
/* Host pointer for [gpa, gpa + len), or NULL if not inside guest RAM. */
void *vscsi_mem_ptr(const struct vscsi_mem *mem, uint64_t gpa, uint64_t len);
uint64_t vscsi_mem_free_bytes(const struct vscsi_mem *mem);

/* ------------------------------------------------------------------ */
/* Split virtqueues                                                    */

/* Byte offsets of the three parts of a split ring of @num entries. */
struct vscsi_ring_layout {
	size_t desc_off;
	size_t avail_off;
	size_t used_off;
	size_t total;
};

int vscsi_ring_layout(unsigned int num, unsigned int align,
		      struct vscsi_ring_layout *layout);
bool vscsi_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx);

/* A piece of a buffer chain, as the driver describes it. */
struct vscsi_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;		/* device-writable */
};

/* Bookkeeping for one chain head, indexed by head descriptor id. */
struct vscsi_slot {
	bool busy;		/* published, not yet returned by the device */
	bool done;		/* returned, not yet collected by its owner */
	uint32_t used_len;
	uint16_t ndesc;		/* ring descriptors owned by this chain */
	uint64_t indirect_gpa;	/* table to free on completion, or 0 */
	uint64_t indirect_len;
	void *owner;		/* caller cookie (e.g. a struct vscsi_req) */
};

struct vscsi_vq {
	struct vscsi_dev *dev;
	unsigned int index;
	unsigned int num;
	uint64_t ring_gpa;
	struct vscsi_ring_layout layout;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick_fd;
	int call_fd;
	int err_fd;		/* signalled by vhost on vq_err() */
	bool event_idx;
	/*
	 * The caller owns used_event: vscsi_vq_reap() leaves it alone
	 * instead of arming it for the next used entry (tests that place
	 * it themselves; waiting for a call then depends on where they put
	 * it).
	 */
	bool caller_used_event;
	uint16_t avail_idx;	/* driver's shadow of avail->idx */
	uint16_t kicked_idx;	/* avail_idx at the last kick decision */
	uint16_t last_used;	/* next used->ring entry to reap */
	bool *desc_busy;
	/*
	 * Our own record of which descriptors make up each chain, linked
	 * from the head; independent of desc[].next so that chains the
	 * caller deliberately broke can still be freed.
	 */
	uint16_t *chain_next;
	unsigned int num_free;
	struct vscsi_slot *slots;
	unsigned long kicks;
	unsigned long kicks_suppressed;
	unsigned long calls;		/* call eventfd counts consumed */
	/* Completions found after a wait without the call they were owed. */
	unsigned long missed_calls;
	/* Used entries naming a head that was not in flight: dropped. */
	unsigned long bogus_used;
};

struct vscsi_dev;

/* Raw access: claim a free descriptor id, or -ENOSPC. */
int vscsi_vq_desc_get(struct vscsi_vq *vq);
/* Fill a descriptor by hand (addr is a GPA; flags are VRING_DESC_F_*). */
void vscsi_vq_desc_set(struct vscsi_vq *vq, uint16_t id, uint64_t addr,
		       uint32_t len, uint16_t flags, uint16_t next);
/*
 * Record that @ids (head first) belong to a chain headed by ids[0] and make
 * ids[0] available.  The caller wrote the descriptors; nothing is checked.
 */
int vscsi_vq_publish_raw(struct vscsi_vq *vq, const uint16_t *ids,
			 unsigned int n, void *owner);
/* Build a direct or indirect chain from @segs and make it available. */
int vscsi_vq_add(struct vscsi_vq *vq, const struct vscsi_seg *segs,
		 unsigned int n, bool indirect, void *owner);
/* Notify the device, honouring VRING_USED_F_NO_NOTIFY / avail_event. */
int vscsi_vq_kick(struct vscsi_vq *vq);
/* Notify the device unconditionally (a spurious kick is always legal). */
int vscsi_vq_kick_force(struct vscsi_vq *vq);
/*
 * Reap everything in the used ring into the slot table and, with
 * EVENT_IDX, set used_event to where the reap stopped, so that the device
 * owes a call for its next used entry; returns the count.
 */
int vscsi_vq_reap(struct vscsi_vq *vq);
/*
 * Wait until chain @head is returned; 0 or -ETIMEDOUT.  A wait reaps only
 * after a call: a chain the device returns without the call it owes
 * (EVENT_IDX used_event, or no VRING_AVAIL_F_NO_INTERRUPT) is not seen;
 * found only once the wait timed out, and no call within
 * VSCSI_CALL_GRACE_MS, it is counted in missed_calls and the wait times
 * out.  A @timeout_ms of 0 takes only a call already pending.
 */
#define VSCSI_CALL_GRACE_MS	1000
int vscsi_vq_wait(struct vscsi_vq *vq, uint16_t head, int timeout_ms);
/* Wait until any chain is returned and not yet collected; head or -errno. */
int vscsi_vq_wait_any(struct vscsi_vq *vq, int timeout_ms);
/* Release a returned chain's descriptors and indirect table. */
void vscsi_vq_collect(struct vscsi_vq *vq, uint16_t head, uint32_t *used_len);
/* True if vhost signalled the vq error eventfd since the last call. */
bool vscsi_vq_error_signalled(struct vscsi_vq *vq);
/*
 * Point vhost at ring parts of our choosing (userspace addresses; NULL: the
 * queue's own part in guest RAM), e.g. a used ring on an unmapped page to
 * make SET_ENDPOINT fail for this queue.  The library keeps using its own
 * ring; call again with NULLs to point vhost back at it.
 */
int vscsi_vq_set_addr(struct vscsi_vq *vq, const void *desc,
		      const void *avail, const void *used);

/* ------------------------------------------------------------------ */
/* Device                                                              */

struct vscsi_opts {
	const char *path;		/* NULL: VSCSI_DEFAULT_PATH */
	uint64_t mem_size;		/* 0: VSCSI_DEFAULT_MEM_SIZE */
	unsigned int queue_size;	/* 0: VSCSI_DEFAULT_QUEUE_SIZE */
	unsigned int req_queues;	/* 0: VSCSI_DEFAULT_REQ_QUEUES */
	bool features_given;		/* false: ack VSCSI_DEFAULT_FEATURES */
	uint64_t features;		/* acked exactly as given */
	unsigned int cdb_size;		/* 0: VSCSI_CDB_SIZE */
};

struct vscsi_dev {
	int fd;
	uint64_t offered;
	uint64_t acked;
	unsigned int cdb_size;
	struct vscsi_mem mem;
	bool mem_set;
	unsigned int nvqs;
	struct vscsi_vq *vqs;
};

/* Open the device and become its owner; no memory or queues yet. */
int vscsi_dev_open(struct vscsi_dev **devp, const char *path);
/* Open, negotiate, register memory and set up every queue. */
int vscsi_dev_start(struct vscsi_dev **devp, const struct vscsi_opts *opts);
void vscsi_dev_close(struct vscsi_dev *dev);

int vscsi_get_features(struct vscsi_dev *dev, uint64_t *features);
int vscsi_set_features(struct vscsi_dev *dev, uint64_t features);
int vscsi_set_mem(struct vscsi_dev *dev, uint64_t size);
int vscsi_setup_vqs(struct vscsi_dev *dev, unsigned int req_queues,
		    unsigned int queue_size);
bool vscsi_has_feature(const struct vscsi_dev *dev, unsigned int bit);

int vscsi_get_abi_version(struct vscsi_dev *dev, int *version);
int vscsi_set_endpoint(struct vscsi_dev *dev, const char *wwpn);
int vscsi_clear_endpoint(struct vscsi_dev *dev, const char *wwpn);
/* Pass a caller-built target struct through untouched. */
int vscsi_set_endpoint_raw(struct vscsi_dev *dev,
			   struct vhost_scsi_target *target);
int vscsi_clear_endpoint_raw(struct vscsi_dev *dev,
			     struct vhost_scsi_target *target);
int vscsi_set_events_missed(struct vscsi_dev *dev, uint32_t missed);
int vscsi_get_events_missed(struct vscsi_dev *dev, uint32_t *missed);

struct vscsi_vq *vscsi_req_vq(struct vscsi_dev *dev, unsigned int n);
const char *vscsi_feature_name(unsigned int bit);

/* ------------------------------------------------------------------ */
/* virtio-scsi commands                                                */

/*
 * How the readable stream (header || data-out) and the writable stream
 * (response || data-in) are cut into descriptors.
 */
enum vscsi_split_mode {
	VSCSI_SPLIT_NATURAL,	/* one descriptor per part (header, data...) */
	VSCSI_SPLIT_MERGED,	/* one descriptor per direction (ANY_LAYOUT) */
	VSCSI_SPLIT_EVERY,	/* a descriptor every @every bytes */
	VSCSI_SPLIT_CUTS,	/* explicit cut offsets within each stream */
};

#define VSCSI_MAX_CUTS 256

struct vscsi_split {
	enum vscsi_split_mode mode;
	uint32_t every;
	unsigned int n_out_cuts;
	uint32_t out_cuts[VSCSI_MAX_CUTS];	/* ascending, inside stream */
	unsigned int n_in_cuts;
	uint32_t in_cuts[VSCSI_MAX_CUTS];
	bool indirect;				/* one indirect descriptor */
};

struct vscsi_cmd {
	uint8_t target;
	uint16_t lun;
	bool raw_lun;			/* use lun_bytes verbatim */
	uint8_t lun_bytes[8];
	uint64_t tag;
	uint8_t task_attr;
	const uint8_t *cdb;
	size_t cdb_len;			/* <= device cdb_size, zero padded */
	const void *data_out;
	uint32_t data_out_len;
	void *data_in;
	uint32_t data_in_len;
	const struct vscsi_split *split;	/* NULL: natural */
	uint32_t pi_bytesout;		/* with T10_PI acked: PI bytes leading */
	uint32_t pi_bytesin;		/* data-out / data-in */
	uint32_t hdr_len;		/* 0: the whole header; less = truncated */
	uint32_t resp_len;		/* 0: full response; less = truncated */
	int timeout_ms;			/* 0: VSCSI_DEFAULT_TIMEOUT_MS */
};

struct vscsi_result {
	uint8_t response;	/* VIRTIO_SCSI_S_* */
	uint8_t status;		/* SAM status */
	uint16_t status_qualifier;
	uint32_t sense_len;
	uint32_t resid;
	uint8_t sense[VSCSI_SENSE_SIZE];
	uint32_t used_len;	/* used->len the device reported */
	/*
	 * used->len a device that wrote the full response and the data-in
	 * bytes it reports (buffer minus resid) gives; 0 when not known
	 * (truncated response, PI bytes in the stream).
	 */
	uint32_t want_used_len;
	/*
	 * Bytes the device changed where it must not write: the poisoned
	 * slack around the writable stream, and the readable stream with
	 * its slack.
	 */
	uint32_t overrun;
};

/* What the slack around a request's streams holds until a device writes. */
#define VSCSI_SLACK_POISON	0xa5

/* One command in flight; the caller owns the storage. */
struct vscsi_req {
	struct vscsi_cmd cmd;
	struct vscsi_vq *vq;
	uint16_t head;
	bool submitted;
	bool completed;
	uint64_t out_gpa, out_alloc, out_start;
	uint64_t in_gpa, in_alloc, in_start;
	uint32_t hdr_len, resp_len;
	uint64_t out_sum;	/* readable allocation as submitted */
	struct vscsi_result res;
};

void vscsi_lun_encode(uint8_t lun[8], uint8_t target, uint16_t lun_id);
/* Build, publish and kick; @req->cmd buffers must stay valid. */
int vscsi_req_submit(struct vscsi_dev *dev, struct vscsi_vq *vq,
		     struct vscsi_req *req, const struct vscsi_cmd *cmd,
		     bool kick);
/* Parse a virtio_scsi_cmd_resp as the device wrote it. */
void vscsi_resp_parse(const void *resp, struct vscsi_result *res);
/*
 * Wait for @req, parse the response, copy data-in, free guest memory.
 * -EPROTO (with @req complete and res filled) when the device wrote
 * outside its writable buffers (res.overrun).
 */
int vscsi_req_wait(struct vscsi_dev *dev, struct vscsi_req *req,
		   int timeout_ms);
/* Parse a returned chain found by vscsi_vq_wait_any() (owner == req). */
void vscsi_req_finish(struct vscsi_dev *dev, struct vscsi_req *req);
/*
 * Collect @req without blocking: reap its queue and, if the device has
 * returned it, finish it.  Return: true once @req is complete.
 */
bool vscsi_req_poll(struct vscsi_dev *dev, struct vscsi_req *req);
/* Give up on a request the device never returned (memory stays leaked). */
void vscsi_req_abandon(struct vscsi_req *req);
/* Submit on request queue 0 and wait: 0, -ETIMEDOUT, or -errno. */
int vscsi_cmd_run(struct vscsi_dev *dev, const struct vscsi_cmd *cmd,
		  struct vscsi_result *res);
int vscsi_cmd_run_on(struct vscsi_dev *dev, struct vscsi_vq *vq,
		     const struct vscsi_cmd *cmd, struct vscsi_result *res);

/*
 * One control-queue request in flight: @out_len readable bytes the caller
 * built, then @in_len writable bytes poisoned with 0xff, one descriptor
 * each, then VSCSI_CTL_SLACK poisoned bytes no descriptor covers.  The
 * caller owns the storage; after a wait or poll reports it complete, @in
 * holds what the device left in the writable part and @overrun how many
 * slack bytes it changed (a device writing past the buffer it was given).
 */
#define VSCSI_CTL_MAX_IN	64
#define VSCSI_CTL_SLACK		256

struct vscsi_ctl {
	struct vscsi_vq *vq;
	uint16_t head;
	bool submitted;
	bool completed;
	uint64_t gpa;
	uint32_t out_len;
	uint32_t in_len;
	uint32_t used_len;		/* used->len the device reported */
	uint32_t overrun;		/* slack bytes the device changed */
	uint8_t in[VSCSI_CTL_MAX_IN];
};

/* Publish and kick; any bytes at all, for malformed requests too. */
int vscsi_ctl_submit(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		     const void *out, uint32_t out_len, uint32_t in_len);
/* Publish without a kick, so that several reach the device in one kick. */
int vscsi_ctl_post(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		   const void *out, uint32_t out_len, uint32_t in_len);
/* 0, or -ETIMEDOUT with @ctl still the device's (wait again or leak). */
int vscsi_ctl_wait(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		   int timeout_ms);
/* Like vscsi_req_poll(), for a control request. */
bool vscsi_ctl_poll(struct vscsi_dev *dev, struct vscsi_ctl *ctl);
void vscsi_tmf_req_init(struct virtio_scsi_ctrl_tmf_req *req,
			uint32_t subtype, uint8_t target, uint16_t lun,
			uint64_t tag);
/* Send a TMF without waiting; the response is ctl->in[0]. */
int vscsi_tmf_submit(struct vscsi_dev *dev, struct vscsi_ctl *ctl,
		     uint32_t subtype, uint8_t target, uint16_t lun,
		     uint64_t tag);
/* Send a TMF and wait for its one-byte response. */
int vscsi_tmf(struct vscsi_dev *dev, uint32_t subtype, uint8_t target,
	      uint16_t lun, uint64_t tag, uint8_t *response, int timeout_ms);
int vscsi_an(struct vscsi_dev *dev, uint32_t type, uint8_t target,
	     uint16_t lun, uint32_t requested, uint32_t *actual,
	     uint8_t *response, int timeout_ms);

struct vscsi_event {
	uint32_t event;
	uint8_t lun[8];
	uint32_t reason;
};

/* Post @count event buffers on the event queue. */
int vscsi_event_post(struct vscsi_dev *dev, unsigned int count);
/* Reap one event; 0, -ETIMEDOUT.  The buffer is reposted. */
int vscsi_event_get(struct vscsi_dev *dev, struct vscsi_event *ev,
		    int timeout_ms);

/* ------------------------------------------------------------------ */
/* SCSI helpers (pure)                                                 */

#define SCSI_STATUS_GOOD		0x00
#define SCSI_STATUS_CHECK_CONDITION	0x02
#define SCSI_STATUS_TASK_SET_FULL	0x28
#define SCSI_SENSE_ILLEGAL_REQUEST	0x05
#define SCSI_SENSE_UNIT_ATTENTION	0x06

size_t scsi_cdb_tur(uint8_t *cdb);
size_t scsi_cdb_inquiry(uint8_t *cdb, bool evpd, uint8_t page,
			uint16_t alloc_len);
size_t scsi_cdb_report_luns(uint8_t *cdb, uint32_t alloc_len);
size_t scsi_cdb_read_capacity10(uint8_t *cdb);
size_t scsi_cdb_read_capacity16(uint8_t *cdb, uint32_t alloc_len);
size_t scsi_cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t blocks);
size_t scsi_cdb_write10(uint8_t *cdb, uint32_t lba, uint16_t blocks);
size_t scsi_cdb_read16(uint8_t *cdb, uint64_t lba, uint32_t blocks);
size_t scsi_cdb_write16(uint8_t *cdb, uint64_t lba, uint32_t blocks);

struct scsi_sense {
	bool valid;
	bool descriptor;	/* response code 0x72/0x73 */
	uint8_t key;
	uint8_t asc;
	uint8_t ascq;
};

int scsi_sense_parse(const uint8_t *sense, size_t len, struct scsi_sense *out);

void scsi_put_be16(uint8_t *p, uint16_t v);
void scsi_put_be32(uint8_t *p, uint32_t v);
void scsi_put_be64(uint8_t *p, uint64_t v);
uint16_t scsi_get_be16(const uint8_t *p);
uint32_t scsi_get_be32(const uint8_t *p);
uint64_t scsi_get_be64(const uint8_t *p);
const char *vscsi_response_name(uint8_t response);

#endif /* VSCSI_H */
