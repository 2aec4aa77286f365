/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost-scsi: private header shared by the files of the module.
 *
 * The module has two halves that meet at a target portal group:
 *
 *  - the device half (scsi_main.c, scsi_worker.c, scsi_io.c, scsi_map.c,
 *    scsi_ctl.c, scsi_evt.c, scsi_log.c): one struct vhost_scsi per open
 *    of /dev/vhost-scsi, driven by its vhost worker thread and our
 *    request-queue threads (see "Threads" below), which run with the
 *    client's (QEMU's) mm so they can touch guest memory;
 *  - the fabric half (scsi_configfs.c, scsi_fabric.c): the "vhost" LIO
 *    fabric, whose WWNs and TPGs are configfs directories made by the admin.
 *
 * VHOST_SCSI_SET_ENDPOINT joins them: every TPG of the named WWN is pinned
 * with target_depend_item() and published to the request queues.
 *
 * Lock order (outermost first):
 *
 *   vhost_dev.mutex		ioctls, release; taken by the vhost core
 *     configfs inode locks	held by the VFS around every configfs
 *				callback (a LUN link holds its directory's);
 *				target_depend_item() takes configfs's root
 *       vhost_scsi_mutex	the TPG list, every TPG's binding state and
 *				nexus (scsi_configfs.c)
 *         vhost_virtqueue.mutex a queue's ring, its backend, its command pool
 *           request queue's mutex	nested in the control queue's only
 *				(SINGLE_DEPTH_NESTING), by the TMF code
 *				looking at that queue's pool
 *           vhost_scsi.evt_lock	the pending event list (spinlock)
 *
 * So nothing calls target_depend_item() with vhost_scsi_mutex held:
 * SET_ENDPOINT claims the TPGs under it, pins them without it and binds
 * them under it again (vhost_scsi_tpgs_bind()).  configfs callbacks take
 * vhost_scsi_mutex and never a vhost mutex, so they cannot deadlock against
 * an ioctl that holds vhost_dev.mutex.  Waits that need no lock of ours
 * (a nexus' last commands, a binder letting go of a TPG) are done with
 * vhost_scsi_mutex released.  The data path takes no mutex but the queue's
 * own; no request queue's thread ever takes the control queue's.
 *
 * The parameter-change sample (scsi_change.c) runs in the vhost worker: it
 * takes the event queue's mutex alone to read the backend, then, holding
 * none of ours, LIO's se_portal_group.tpg_lun_mutex of each bound TPG and
 * inside it RCU and vhost_scsi.evt_lock.  LIO holds tpg_lun_mutex only for
 * short list updates that wait for nothing of ours (port_link and
 * port_unlink are called after and before them), so a vhost_dev_flush()
 * under vhost_dev.mutex that waits for the sample cannot deadlock.
 *
 * Threads: the control and event queues are served by the vhost core's
 * worker; the request queues, when the workers module parameter asks for
 * it (scsi_worker.c), by the module's own kthreads, each serving one or
 * more request queues with the client's mm and cgroups, started when the
 * endpoint is set and stopped when it is cleared.  A request queue's
 * data (ring, pool bookkeeping, inflight) is touched only with its
 * vhost_virtqueue.mutex held, whichever thread serves it; the TMF code
 * takes a request queue's mutex, nested inside the control queue's,
 * while it looks at that queue's pool (scsi_ctl.c, vhost_scsi_visit).
 *
 * The handoff rule: a command or TMF comes back from the target core, in any
 * context, through vhost_scsi_queue_done() or vhost_scsi_tmf_release().  Each
 * publishes it on a list its serving thread drains (llist_add) and then
 * wakes that thread (vhost_scsi_worker_signal(), or vhost_work_queue() for
 * the core's worker), both inside one RCU read-side section.  Once it is
 * published the thread may answer it, CLEAR_ENDPOINT's drain may end and
 * the device may be closed; so the drain is followed by unpublishing the
 * queues' threads and synchronize_rcu() (vhost_scsi_teardown), and only
 * then are the threads stopped and the vhost_scsi and its queues freed.
 * The kick wake function (vhost_scsi_kick_wake) and the suppression timer
 * find the thread under the same rule.  Module text: free_module() waits
 * for an RCU grace period (kernel/module/main.c, before module_memfree())
 * after every fd was closed, which covers the instructions around the
 * section.
 */
#ifndef _VHOST_SCSI_H_
#define _VHOST_SCSI_H_

#include <linux/completion.h>
#include <linux/jump_label.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/virtio_scsi.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "vhost.h"
#include "scsi_proto.h"
#include "../../include/uapi/linux/vhost_scsi.h"

/* Virtqueue layout fixed by the virtio-scsi spec. */
enum {
	VHOST_SCSI_VQ_CTL = 0,
	VHOST_SCSI_VQ_EVT = 1,
	VHOST_SCSI_VQ_IO = 2,
};

/* The spec's name for S_OK as a TMF response; the uapi header lacks it. */
#define VIRTIO_SCSI_S_FUNCTION_COMPLETE	VIRTIO_SCSI_S_OK

/* The module parameter max_io_vqs is clamped to this. */
#define VHOST_SCSI_MAX_IO_VQS	1024

/*
 * Requests one kick may handle before the queue yields the worker, so one
 * busy queue cannot starve the others (or the control queue) sharing it.
 */
#define VHOST_SCSI_WEIGHT	256

/*
 * Data pages one command may map: 8 MiB of 4 KiB pages.  The target core
 * advertises it in the Block Limits VPD page (max_data_sg_nents), so a
 * well-behaved initiator never sends more; the slack covers buffers that do
 * not start on a page boundary.  A command asking for more entries is
 * answered S_FAILURE (map_failed).
 */
#define VHOST_SCSI_MAX_DATA_PAGES	2048
#define VHOST_SCSI_DATA_SGL_SLACK	64
#define VHOST_SCSI_DATA_SGL	(VHOST_SCSI_MAX_DATA_PAGES + \
				 VHOST_SCSI_DATA_SGL_SLACK)
/*
 * Protection information: 8 bytes per 512-byte block of the above (128 KiB
 * for 8 MiB of data).  A guest does not keep it in one buffer: Linux
 * gives every bio its own protection buffer, so a large request carries
 * many small ones, each in its own descriptor and page.  One request has
 * at most UIO_MAXIOV descriptors (vhost_dev_init()'s iov_limit), and a
 * descriptor adds at most two entries (pages) beyond what its bytes fill,
 * so this many entries take every protection layout a request can have
 * for the largest transfer.  Chained chunks beyond the command's inline
 * entries are only allocated for a request that needs them.
 */
#define VHOST_SCSI_PROT_PAGES	(VHOST_SCSI_MAX_DATA_PAGES * 8 / 512)
#define VHOST_SCSI_PROT_SGL	(VHOST_SCSI_PROT_PAGES + 2 * UIO_MAXIOV)

/*
 * Scatterlist entries each command carries inline, so the common I/O
 * allocates nothing: 128 KiB of page-aligned 4 KiB pages, the largest
 * page-cache I/O a Linux guest issues by default (readahead is 128 KiB;
 * 4 KiB random I/O takes one entry).  A larger buffer gets further chunks
 * of one page of entries each, chained after these and allocated by the
 * worker for that command only (scsi_map.c, vhost_scsi_sgt_alloc).  1 KiB
 * per command instead of the 131 KiB the limits above would take.
 */
#define VHOST_SCSI_INLINE_SGL	32
/*
 * Protection entries inline, only in the pools of a device that acked
 * VIRTIO_SCSI_F_T10_PI when its endpoint was set: the tuples of up to
 * 256 KiB of data in one page, or a page boundary inside them.
 */
#define VHOST_SCSI_INLINE_PROT_SGL	2

/*
 * A request queue's command pool (scsi_io.c): VHOST_SCSI_POOL_BASE
 * commands (or the ring size if smaller) preallocated when the endpoint
 * is set, then grown a chunk at a time, when a request finds no free
 * command, up to the ring size and at most VHOST_SCSI_MAX_POOL; chunks
 * beyond the base are freed when the queue drains at least
 * VHOST_SCSI_POOL_IDLE after it last grew.  A guest whose queue depth
 * stays within the base never allocates after SET_ENDPOINT.
 */
#define VHOST_SCSI_POOL_CHUNK	64
#define VHOST_SCSI_POOL_BASE	128
#define VHOST_SCSI_MAX_POOL	1024
#define VHOST_SCSI_POOL_CHUNKS	(VHOST_SCSI_MAX_POOL / VHOST_SCSI_POOL_CHUNK)
#define VHOST_SCSI_POOL_IDLE	HZ

/*
 * The response may be split over one descriptor per byte; vhost never makes
 * an iovec for a zero-length descriptor, so this many always suffice.  A
 * Linux guest uses one, which the command holds inline; a split response
 * gets an array allocated for that command.
 */
#define VHOST_SCSI_RESP_IOVS	VHOST_SCSI_CMD_RESP_SIZE

/* Features we implement on top of what the vhost core handles. */
#define VHOST_SCSI_FEATURES	(VHOST_FEATURES | \
				 (1ULL << VIRTIO_SCSI_F_HOTPLUG) | \
				 (1ULL << VIRTIO_SCSI_F_CHANGE) | \
				 (1ULL << VIRTIO_SCSI_F_T10_PI))

/*
 * How often a device whose driver acked VIRTIO_SCSI_F_CHANGE samples its
 * LUNs' parameters (scsi_change.c): the bound on how late a resize or an
 * ALUA transition is reported, plus the vhost worker's queueing delay.
 */
#define VHOST_SCSI_CHANGE_MS	250

/*
 * ABORT TASKs one fanned-out TMF keeps in the target core at a time.  Each
 * holds a kernel worker until the backend finishes the command it names, so
 * a guest must not be able to turn one request into thousands of them.
 */
#define VHOST_SCSI_ABORT_WINDOW	16

/* How many events may wait for event-queue buffers before being dropped. */
#define VHOST_SCSI_MAX_EVENTS	128

/*
 * Why a request was answered without running it, or a buffer given back
 * unwritten: the error classes of the counters (module-wide and per queue)
 * and of the vhost_scsi_req_refused tracepoint.  Names in scsi_stats.c.
 */
enum vhost_scsi_refusal {
	VHOST_SCSI_R_BAD_TARGET,	/* BAD_TARGET: no TPG/nexus for the LUN */
	VHOST_SCSI_R_BAD_HEADER,	/* request or response area too short */
	VHOST_SCSI_R_BAD_DESC,	/* descriptor chain vhost could not map */
	VHOST_SCSI_R_BAD_CDB,	/* CDB longer than 32 bytes */
	VHOST_SCSI_R_BAD_DIRECTION, /* buffers contradict the CDB's direction */
	VHOST_SCSI_R_MAP_FAILED,	/* guest pages could not be pinned */
	VHOST_SCSI_R_BUSY,	/* TASK SET FULL: no free command */
	VHOST_SCSI_R_NOMEM,	/* BUSY: no memory for the request */
	VHOST_SCSI_R_NR
};

/**
 * struct vhost_scsi_stats - module-wide counters an operator reads in debugfs
 *
 * Per CPU, summed when read (debugfs vhost_scsi/stats, scsi_stats.c).  Each
 * names one outcome of guest input so a misbehaving guest can be told from a
 * slow backend.  The per-device and per-queue view is vhost_scsi_vq_stats.
 */
struct vhost_scsi_stats {
	u64 cmds;		/* SCSI commands submitted to the target core */
	u64 refused[VHOST_SCSI_R_NR];	/* by enum vhost_scsi_refusal */
	u64 pool_grown;		/* chunks added to a command pool */
	u64 pool_shrunk;	/* chunks freed from an idle command pool */
	u64 tmfs;		/* task management functions received */
	u64 ans;		/* asynchronous notification requests */
	u64 ordered_as_simple;	/* ORDERED commands run as SIMPLE */
	u64 events;		/* events delivered to the event queue */
	u64 events_missed;	/* events dropped for lack of buffers */
	u64 logged;		/* writes marked in the dirty log (LOG_ALL) */
	u64 log_failed;		/* dirty-log writes that failed */
};

DECLARE_PER_CPU(struct vhost_scsi_stats, vhost_scsi_stats);
#define vhost_scsi_count(field)	this_cpu_inc(vhost_scsi_stats.field)

/**
 * struct vhost_scsi_tport - a WWN directory under target/vhost
 * @proto_id:	SPC-4 protocol identifier of @name (naa.: SAS, fc., iqn.)
 * @name:	the WWN as created in configfs, matched by SET_ENDPOINT
 * @wwn:	the target core's part
 *
 * Allocated by fabric_make_wwn, freed by fabric_drop_wwn; configfs keeps it
 * alive while any TPG below it exists.
 */
struct vhost_scsi_tport {
	u8 proto_id;
	char name[VHOST_SCSI_WWN_LEN];
	struct se_wwn wwn;
};

/**
 * struct vhost_scsi_tpg - a target portal group, tpgt_N under a WWN
 * @tpgt:	N, the target number the guest puts in byte 1 of its LUNs
 * @tport:	the WWN it belongs to
 * @se_tpg:	the target core's part
 * @node:	on vhost_scsi_tpgs
 * @se_sess:	the I_T nexus made by writing to "nexus", or NULL
 * @vs:		the device bound to it by SET_ENDPOINT, or NULL
 * @binding:	a SET_ENDPOINT has claimed it and is pinning it in configfs:
 *		no other device may claim it and its nexus stays, as if bound
 * @prot_type:	attrib/fabric_prot_type: T10-PI type the core emulates
 *
 * Allocated by fabric_make_tpg, freed by fabric_drop_tpg, which configfs
 * cannot call while SET_ENDPOINT holds a target_depend_item() on it, and
 * which waits for a binder that claimed it to let go.  @node, @se_sess, @vs
 * and @binding are written under vhost_scsi_mutex.  The data path reads
 * @se_sess without it: a nexus cannot be dropped while @vs is set, so the
 * session outlives every command of the bound device.
 */
struct vhost_scsi_tpg {
	u16 tpgt;
	struct vhost_scsi_tport *tport;
	struct se_portal_group se_tpg;
	struct list_head node;
	struct se_session *se_sess;
	struct vhost_scsi *vs;
	bool binding;
	int prot_type;
};

/**
 * struct vhost_scsi_endpoint - what SET_ENDPOINT bound, the queues' backend
 * @wwpn:	the WWN name given by the client
 * @tpgs:	the bound TPGs indexed by tag; NULL where there is none
 *
 * Allocated by SET_ENDPOINT and published with vhost_vq_set_backend() under
 * each queue's mutex; CLEAR_ENDPOINT unpublishes it, drains the commands
 * that used it, then frees it.  Read-only while published.
 */
struct vhost_scsi_endpoint {
	char wwpn[VHOST_SCSI_WWN_LEN];
	struct vhost_scsi_tpg *tpgs[VHOST_SCSI_MAX_TARGET + 1];
};

struct vhost_scsi_vq;

/**
 * struct vhost_scsi_worker - a kthread of ours serving request queues
 * @task:	the thread, named after the core's worker plus -qN (one queue)
 *		or -wN (one of N per device)
 * @vs:		the device
 * @first:	the first request queue it serves ...
 * @stride:	... the distance to the next one ...
 * @end:	... and the index it stops before (past the last queue that
 *		was set up when the endpoint was set)
 * @owner:	while starting: the client thread whose cgroups it joins
 * @started:	completed once it has the client's mm and cgroups
 * @attach_err:	what joining the cgroups returned
 *
 * Allocated and started by SET_ENDPOINT, unpublished, stopped and freed by
 * vhost_scsi_teardown() after the drain (scsi.h, handoff rule); under
 * vhost_dev.mutex.  The thread touches a queue only with its mutex held.
 */
struct vhost_scsi_worker {
	struct task_struct *task;
	struct vhost_scsi *vs;
	unsigned int first;
	unsigned int stride;
	unsigned int end;
	struct task_struct *owner;
	struct completion started;
	int attach_err;
};

/* Bits of vhost_scsi_vq.pending: what a queue's thread has to do. */
enum {
	VHOST_SCSI_PENDING_KICK,	/* look at the avail ring */
	VHOST_SCSI_PENDING_DONE,	/* answer the done list */
};

/**
 * struct vhost_scsi_tmf - one task management function in progress
 * @se_cmd:	the target core's part, when it runs there
 * @vs:		the device
 * @parent:	for an ABORT TASK issued on behalf of a task-set or nexus
 *		function: that function; NULL otherwise
 * @pending:	a fanned-out function's children in the target core
 * @seq:	an aborting function's mark on the commands it targets
 * @tpg:	the TPG it was sent to
 * @cursor_q:	a fanned-out function: the queue and pool slot where its
 * @cursor_i:	search for commands still to abort resumes
 * @next:	on vhost_scsi.abort_first, waiting its turn
 * @head:	descriptor head on the control queue (none for a child)
 * @resp_iov:	the guest's one-byte response field
 * @resp_log:	the guest-physical range of @resp_iov's descriptor, for
 *		the dirty log
 * @response:	VIRTIO_SCSI_S_* to answer
 * @action:	what the guest asked for (VHOST_SCSI_TMF_*)
 * @subtype:	the same as the guest put it (VIRTIO_SCSI_T_TMF_*), for tracing
 * @lun:	the LUN it names
 * @tag:	for ABORT TASK, the command it names
 * @node:	on vhost_scsi.tmf_done
 * @sense:	sense buffer the target core requires
 *
 * Allocated by the control queue handler (TMFs are not the hot path; the
 * control ring bounds how many guest-visible ones exist, and each
 * fanned-out one has at most VHOST_SCSI_ABORT_WINDOW children), freed by the
 * worker after the response is written: for one that ran in the target
 * core, only once release_cmd has handed it back, as for commands.  All
 * fields but @response are the worker's, under the control queue's mutex;
 * @response is written by the target core's callbacks before release_cmd.
 */
struct vhost_scsi_tmf {
	struct se_cmd se_cmd;
	struct vhost_scsi *vs;
	struct vhost_scsi_tmf *parent;
	unsigned int pending;
	u32 seq;
	struct vhost_scsi_tpg *tpg;
	unsigned int cursor_q;
	unsigned int cursor_i;
	struct vhost_scsi_tmf *next;
	u16 head;
	struct iovec resp_iov;
	struct vhost_log resp_log;
	u8 response;
	u8 action;
	u32 subtype;
	u16 lun;
	u64 tag;
	struct llist_node node;
	u8 sense[TRANSPORT_SENSE_BUFFER];
};

/**
 * struct vhost_scsi_cmd - one SCSI command from a request queue
 * @se_cmd:	the target core's part; zeroed before every use
 * @svq:	the queue whose pool owns this command
 * @tpg:	the TPG it was sent to
 * @head:	descriptor head to return to the used ring
 * @resp_iov:	where the response goes (the first bytes the guest can write):
 *		@resp_iov_one, or an array allocated for a split response
 * @resp_iovs:	entries used in @resp_iov
 * @resp_iov_one: the single response iovec of the common case
 * @data:	pinned guest data pages, @data.nents entries: @sgl_inline,
 *		followed by chained chunks when they do not suffice
 * @prot:	pinned protection information pages, @prot.nents entries:
 *		@prot_inline (when the pool has it) and chained chunks
 * @sgl_inline:	the first VHOST_SCSI_INLINE_SGL data entries
 * @bounced:	@data is kernel pages (sgl_alloc()), not the guest's: the
 *		target core would map the guest's segments wrongly
 *		(scsi_map.c, vhost_scsi_pages_contig())
 * @bounce_iov:	data-in bounced: a copy of the writable iovecs, @bounce_iovs
 *		of them, the data @bounce_skip bytes in; copied to at
 *		completion.  NULL otherwise
 * @prot_inline: the first VHOST_SCSI_INLINE_PROT_SGL protection entries,
 *		in the pool's @prot_sgls; NULL if the device had not acked
 *		T10-PI when the endpoint was set
 * @data_in:	data flows to the guest: pages are dirtied before release
 * @data_len:	bytes of the guest's data buffer, protection bytes excluded
 * @response:	VIRTIO_SCSI_S_* to report; S_OK unless aborted or reset
 * @abort_response: what aborted_task reports: S_ABORTED, or S_RESET when a
 *		reset TMF marked the command before ending it
 * @in_lio:	between submission and release_cmd: the TMF code's view of
 *		the task set (written by the worker and by release_cmd)
 * @abort_seq:	the @seq of the TMF that targeted it with an abort, 0 if
 *		none: set by the worker, cleared by release_cmd, so it is 0
 *		whenever the command is reused (see vhost_scsi_mark_abort())
 * @node:	on the queue's free list or completion list
 * @sense:	sense buffer handed to the target core
 * @submit_ns:	ktime_get_ns() at submission if the vhost_scsi_cmd_complete
 *		tracepoint was on then, else 0 (its latency is then unknown)
 *
 * Preallocated in a per-queue pool when the endpoint is set, or added when
 * the pool grows, and owned by the queue until CLEAR_ENDPOINT has drained
 * it (or, for a chunk beyond the pool's base, until the pool shrinks, which
 * it does only when every command is free: vhost_scsi_pool_shrink()).  Taken from the free list
 * by the queue's kick handler (the worker), handed to the target core, given
 * back to the worker by queue_data_in/queue_status/aborted_task, and
 * returned to the free list by release_cmd, from any context.
 *
 * What a command needs beyond the pool (chained scatterlist chunks, a
 * split response's iovecs) is allocated by the worker when it maps the
 * request, charged to the client's memory cgroup (scsi_map.c,
 * vhost_scsi_alloc_guest), and freed by the worker, under the queue's
 * mutex, when the command is answered in complete_work or when mapping
 * fails; every command, aborted and failed ones and those CLEAR_ENDPOINT
 * drains included, leaves through one of those two, so nothing is left
 * when the pool is freed.
 */
struct vhost_scsi_cmd {
	struct se_cmd se_cmd;
	struct vhost_scsi_vq *svq;
	struct vhost_scsi_tpg *tpg;
	u16 head;
	struct iovec *resp_iov;
	unsigned int resp_iovs;
	struct iovec resp_iov_one;
	struct sg_table data;
	struct sg_table prot;
	struct scatterlist *prot_inline;
	bool data_in;
	u32 data_len;
	u8 response;
	u8 abort_response;
	bool in_lio;
	u32 abort_seq;
	struct llist_node node;
	u8 sense[TRANSPORT_SENSE_BUFFER];
	struct scatterlist sgl_inline[VHOST_SCSI_INLINE_SGL];
	bool bounced;
	struct iovec *bounce_iov;
	unsigned int bounce_iovs;
	size_t bounce_skip;
	u64 submit_ns;
};

/**
 * struct vhost_scsi_vq_stats - one queue's counters
 * @cmds:	request queues: commands handed to the target core
 * @completed:	request queues: of those, answered to the guest
 * @refused:	requests answered without running them, buffers given back
 *		unwritten, by enum vhost_scsi_refusal
 * @kicks:	runs of the queue's kick handler (guest kicks, coalesced,
 *		and the request queues' recheck-timer looks)
 * @signals:	vhost_signal() calls by the queue's thread; the vhost core
 *		skips the interrupt when the guest suppressed it
 * @tmfs:	control queue: task management functions received
 * @ans:	control queue: asynchronous notification requests
 * @events:	event queue: events delivered
 * @events_missed: event queue: events that found no buffer
 *
 * Part of the queue, so it lives as long as the device (across endpoint
 * cycles) and is read through debugfs (scsi_stats.c) until the device's
 * directory is removed, first thing at close.  Written only with the
 * queue's vhost_virtqueue.mutex held (vhost_scsi_qcount()), whichever
 * thread serves the queue: plain increments, no atomics.  Read without the
 * lock, with READ_ONCE(): a reader may see a count one behind.
 */
struct vhost_scsi_vq_stats {
	u64 cmds;
	u64 completed;
	u64 refused[VHOST_SCSI_R_NR];
	u64 kicks;
	u64 signals;
	u64 tmfs;
	u64 ans;
	u64 events;
	u64 events_missed;
};

/**
 * struct vhost_scsi_vq - a virtqueue and what serves it
 * @vq:		the vhost core's part; its mutex guards the members below
 *		unless they say otherwise
 * @vs:		the device
 * @chunks:	request queues only: the command pool, VHOST_SCSI_POOL_CHUNK
 *		commands per chunk (the last may hold fewer), @pool_size in
 *		all (vhost_scsi_pool_cmd()); none without endpoint.  Allocated
 *		and freed under vhost_dev.mutex (endpoint set and cleared) and
 *		grown and shrunk by the thread serving the queue under the
 *		queue's mutex (never below the base, so @pool_size is 0 exactly
 *		when there is no pool, which readers without the mutex test)
 * @prot_chunks: each chunk's inline protection entries; NULL unless
 *		T10-PI was acked when the endpoint was set (@pool_pi)
 * @pool_max:	what the pool may grow to: the ring size, at most
 *		VHOST_SCSI_MAX_POOL
 * @pool_pi:	the chunks carry inline protection entries
 * @pool_grown_at: jiffies of the last growth, for the shrink's hysteresis
 * @free:	free commands; pushed and popped by the thread serving the
 *		queue, under the mutex (llist's single-consumer rule)
 * @done:	commands the target core finished, for @done_work
 * @done_work:	writes responses and returns descriptors, in the worker
 * @inflight:	commands taken from the pool and not yet released; changed
 *		only under the mutex, read without it by the drain
 * @worker:	our thread serving this request queue, or NULL: the core's
 *		worker serves it; RCU (scsi.h, handoff rule), written under
 *		vhost_dev.mutex
 * @pending:	VHOST_SCSI_PENDING_* bits for @worker; set by anyone, taken
 *		by @worker with xchg()
 * @suppressed: guest notifications are left off while commands are in
 *		flight (kick suppression, scsi_io.c); the value of @batches
 *		when they were last left off
 * @notify_off: vhost_scsi_suppress() left guest notifications off, so
 *		completions must look at the ring
 * @batches:	completion batches answered
 * @recheck:	looks at the ring again if no completion came after a
 *		suppression (a slow command must not hide new requests)
 * @stats:	the queue's counters (see struct vhost_scsi_vq_stats)
 */
struct vhost_scsi_vq {
	struct vhost_virtqueue vq;
	struct vhost_scsi *vs;
	struct vhost_scsi_cmd *chunks[VHOST_SCSI_POOL_CHUNKS];
	struct scatterlist *prot_chunks[VHOST_SCSI_POOL_CHUNKS];
	unsigned int pool_size;
	unsigned int pool_max;
	bool pool_pi;
	unsigned long pool_grown_at;
	struct llist_head free;
	struct llist_head done;
	struct vhost_work done_work;
	atomic_t inflight;
	struct vhost_scsi_worker __rcu *worker;
	unsigned long pending;
	unsigned long suppressed;
	bool notify_off;
	unsigned long batches;
	struct timer_list recheck;
	struct vhost_scsi_vq_stats stats;
};

/* Add one to the counter @offset bytes into @svq->stats; its mutex held. */
static inline void vhost_scsi_qinc(struct vhost_scsi_vq *svq, size_t offset)
{
	u64 *ctr = (void *)&svq->stats + offset;

	lockdep_assert_held(&svq->vq.mutex);
	WRITE_ONCE(*ctr, *ctr + 1);
}

/* Count one @field of struct vhost_scsi_vq_stats for @svq. */
#define vhost_scsi_qcount(svq, field) \
	vhost_scsi_qinc(svq, offsetof(struct vhost_scsi_vq_stats, field))

/**
 * struct vhost_scsi - one open of /dev/vhost-scsi
 * @dev:	the vhost core's device; its mutex serializes ioctls
 * @vqs:	control, event, then @nvqs - 2 request queues
 * @vq_ptrs:	the same as the vhost core wants them
 * @nvqs:	number of queues
 * @ep:		the bound endpoint, or NULL; changed under @dev.mutex and,
 *		for the queues' copies, each queue's mutex
 * @drain_wq:	CLEAR_ENDPOINT waits here for @vqs[].inflight and
 *		@tmf_inflight to reach 0
 * @tmf_inflight: TMFs allocated and not yet answered and freed
 * @tmf_done:	TMFs back from the target core, for @tmf_work
 * @tmf_work:	answers them in the worker
 * @abort_running: the aborting TMF (ABORT TASK, ABORT/CLEAR TASK SET,
 *		I_T NEXUS RESET) being carried out; one at a time per device
 * @abort_first: the aborting TMFs waiting their turn, in arrival order,
 * @abort_last:	their ring descriptors bounding how many there can be
 * @abort_seq:	the last @seq handed to an aborting TMF
 *		(the four under the control queue's mutex)
 * @events_missed: VIRTIO_SCSI_T_EVENTS_MISSED is owed to the guest; under
 *		the event queue's mutex
 * @evt_lock:	protects @evt_list and @evt_count
 * @evt_list:	events waiting to be written to the event queue
 * @evt_count:	entries on @evt_list
 * @evt_overflow: an event was dropped at queueing time; under @evt_lock
 * @evt_work:	delivers @evt_list in the worker
 * @change_on:	the parameter-change sample re-arms @change_timer; under
 *		@evt_lock, set and cleared under @dev.mutex (scsi_change.c)
 * @change_timer: queues @change_work every VHOST_SCSI_CHANGE_MS
 * @change_work: samples the bound LUNs' parameters in the worker
 * @change_luns: the previous sample of each LUN, keyed by TPG tag and LUN;
 *		touched by @change_work only, and freed after the flush that
 *		follows vhost_scsi_change_stop()
 * @change_gen:	the sample's number, marking the LUNs it saw; @change_work's
 *		only
 * @workers:	our request-queue threads: @nworkers slots, NULL where
 *		no queue the client set up needed one; under @dev.mutex
 *		(scsi_worker.c)
 * @id:		the device's number, unique while the module is loaded
 * @owner_pid:	the client (QEMU) process that first set an endpoint, and
 * @owner_comm:	its name; both written once, under @dev.mutex
 * @wwpn:	the WWPN of the last endpoint set; written under @dev.mutex
 *		while no endpoint is set, so never while a tracepoint reads it
 * @evt_dropped: events dropped at queueing time (@evt_list full or no
 *		memory); under @evt_lock
 * @debugfs:	dev-<owner_pid>-<id> in debugfs (scsi_stats.c), made by the
 *		first SET_ENDPOINT and removed first thing at close; NULL
 *		before (or if debugfs refused it)
 */
struct vhost_scsi {
	struct vhost_dev dev;
	struct vhost_scsi_vq *vqs;
	struct vhost_virtqueue **vq_ptrs;
	int nvqs;
	struct vhost_scsi_endpoint *ep;
	wait_queue_head_t drain_wq;
	atomic_t tmf_inflight;
	struct llist_head tmf_done;
	struct vhost_work tmf_work;
	struct vhost_scsi_tmf *abort_running;
	struct vhost_scsi_tmf *abort_first;
	struct vhost_scsi_tmf *abort_last;
	u32 abort_seq;
	bool events_missed;
	spinlock_t evt_lock;	/* @evt_list, @evt_count, @evt_overflow */
	struct list_head evt_list;
	int evt_count;
	bool evt_overflow;
	struct vhost_work evt_work;
	bool change_on;
	struct timer_list change_timer;
	struct vhost_work change_work;
	struct xarray change_luns;
	u8 change_gen;
	struct vhost_scsi_worker **workers;
	unsigned int nworkers;
	unsigned int id;
	pid_t owner_pid;
	char owner_comm[TASK_COMM_LEN];
	char wwpn[VHOST_SCSI_WWN_LEN];
	u64 evt_dropped;
	struct dentry *debugfs;
};

extern const struct target_core_fabric_ops vhost_scsi_ops;

static inline struct vhost_scsi_vq *to_svq(struct vhost_virtqueue *vq)
{
	return container_of(vq, struct vhost_scsi_vq, vq);
}

/* One request being parsed; lives on the stack of the thread serving the queue. */
struct vhost_scsi_req {
	int head;
	struct iov_iter out;	/* header, then data-out */
	struct iov_iter in;	/* response, then data-in */
	const struct iovec *out_iov;	/* the readable part, for data-out */
	unsigned int out_iovs;
	const struct iovec *in_iov;	/* the writable part, for the response */
	unsigned int in_iovs;
	size_t hdr_size;
	size_t data_out;
	size_t data_in;
	unsigned int log_num;	/* writable descriptors in vq->log */
	enum vhost_scsi_dir dir;	/* from the CDB, see parse_req */
	struct vhost_scsi_cmd_req hdr;
	struct vhost_scsi_tpg *tpg;
	struct se_session *se_sess;
};

/* scsi_fabric.c: target core callbacks */
int vhost_scsi_check_stop_free(struct se_cmd *se_cmd);
void vhost_scsi_release_cmd(struct se_cmd *se_cmd);
u32 vhost_scsi_sess_get_index(struct se_session *se_sess);
int vhost_scsi_write_pending(struct se_cmd *se_cmd);
void vhost_scsi_set_default_node_attrs(struct se_node_acl *nacl);
int vhost_scsi_get_cmd_state(struct se_cmd *se_cmd);
int vhost_scsi_queue_data_in(struct se_cmd *se_cmd);
int vhost_scsi_queue_status(struct se_cmd *se_cmd);
void vhost_scsi_queue_tm_rsp(struct se_cmd *se_cmd);
void vhost_scsi_aborted_task(struct se_cmd *se_cmd);

/* scsi_io.c: request queues */
int vhost_scsi_pool_alloc(struct vhost_scsi_vq *svq);
void vhost_scsi_pool_free(struct vhost_scsi_vq *svq);

/* Command @i of @svq's pool, i < pool_size; the queue's mutex held. */
static inline struct vhost_scsi_cmd *
vhost_scsi_pool_cmd(struct vhost_scsi_vq *svq, unsigned int i)
{
	return &svq->chunks[i / VHOST_SCSI_POOL_CHUNK][i % VHOST_SCSI_POOL_CHUNK];
}

void vhost_scsi_handle_io_kick(struct vhost_work *work);
void vhost_scsi_io_run(struct vhost_scsi_vq *svq);
void vhost_scsi_complete_work(struct vhost_work *work);
void vhost_scsi_complete(struct vhost_scsi_vq *svq);
void vhost_scsi_complete_all(struct vhost_scsi *vs);
void vhost_scsi_queue_done(struct vhost_scsi_cmd *cmd);
void vhost_scsi_recheck_fn(struct timer_list *t);

/* scsi_worker.c: our request-queue threads */
void vhost_scsi_worker_init_vq(struct vhost_scsi_vq *svq);
bool vhost_scsi_worker_signal(struct vhost_scsi_vq *svq, int bit);
int vhost_scsi_workers_start(struct vhost_scsi *vs);
void vhost_scsi_workers_unpublish(struct vhost_scsi *vs);
void vhost_scsi_workers_stop(struct vhost_scsi *vs);

/* scsi_map.c: pinning a request's buffers */
bool vhost_scsi_bounce_out(struct vhost_scsi_cmd *cmd, u32 len);
int vhost_scsi_map_cmd(struct vhost_scsi_cmd *cmd, struct vhost_scsi_req *req);
void vhost_scsi_unmap(struct vhost_scsi_cmd *cmd);

/*
 * scsi_log.c: the dirty log.  The calls on every request's path are inline
 * and do nothing but a feature test while VHOST_F_LOG_ALL is off; the rest
 * is out of line.
 */
void vhost_scsi_log_write_on(struct vhost_virtqueue *vq,
			     struct vhost_log *ents, unsigned int n, u64 len);
void vhost_scsi_log_cmd_on(struct vhost_scsi_cmd *cmd);

/**
 * vhost_scsi_log_write - mark written guest pages dirty, if the log is on
 * @vq:		the queue whose chain was written; its mutex held
 * @ents:	the chain's writable descriptors, in chain order (as
 *		vhost_get_vq_desc() logged them)
 * @n:		entries in @ents
 * @len:	bytes written from the start of the writable part
 *
 * After the bytes are written, before the chain goes on the used ring.
 */
static inline void vhost_scsi_log_write(struct vhost_virtqueue *vq,
					struct vhost_log *ents, unsigned int n,
					u64 len)
{
	lockdep_assert_held(&vq->mutex);
	if (unlikely(vhost_has_feature(vq, VHOST_F_LOG_ALL)))
		vhost_scsi_log_write_on(vq, ents, n, len);
}

/**
 * vhost_scsi_pop_log - where vhost_get_vq_desc() should note the chain's
 *			writable descriptors
 * @vq:		the queue; its mutex held until the chain is answered or
 *		becomes a command
 *
 * vq->log while the log is on, for a chain answered in the same hold of
 * the mutex (vhost_scsi_log_write()); NULL, and no work for the pop, while
 * it is off.  A command never uses it: see vhost_scsi_log_cmd().
 */
static inline struct vhost_log *vhost_scsi_pop_log(struct vhost_virtqueue *vq)
{
	lockdep_assert_held(&vq->mutex);
	return unlikely(vhost_has_feature(vq, VHOST_F_LOG_ALL)) ? vq->log :
								   NULL;
}

/*
 * Log what answering @cmd wrote; its queue's mutex held, after the bytes
 * are written.  Decided now, not at pop: the chain is read again then.
 */
static inline void vhost_scsi_log_cmd(struct vhost_scsi_cmd *cmd)
{
	lockdep_assert_held(&cmd->svq->vq.mutex);
	if (unlikely(vhost_has_feature(&cmd->svq->vq, VHOST_F_LOG_ALL)))
		vhost_scsi_log_cmd_on(cmd);
}

/* scsi_ctl.c: control queue */
void vhost_scsi_handle_ctl_kick(struct vhost_work *work);
void vhost_scsi_tmf_release(struct se_cmd *se_cmd);
void vhost_scsi_tmf_work(struct vhost_work *work);

/* scsi_evt.c: event queue */
void vhost_scsi_handle_evt_kick(struct vhost_work *work);
void vhost_scsi_evt_work(struct vhost_work *work);
void vhost_scsi_evt_queue(struct vhost_scsi *vs, u32 event, u8 target,
			  u16 lun, u32 reason);
void vhost_scsi_evt_flush(struct vhost_scsi *vs);

/* scsi_change.c: parameter-change events */
void vhost_scsi_change_init(struct vhost_scsi *vs);
void vhost_scsi_change_start(struct vhost_scsi *vs);
void vhost_scsi_change_stop(struct vhost_scsi *vs);
void vhost_scsi_change_free(struct vhost_scsi *vs);

/* scsi_io.c, scsi_ctl.c, scsi_evt.c: shared ring helpers */
bool vhost_scsi_write_iov(const struct iovec *iov, unsigned int n,
			  const void *buf, size_t len);
bool vhost_scsi_skip_bad_chain(struct vhost_virtqueue *vq);

/* scsi_stats.c: counters and tracepoints */
void vhost_scsi_stats_init(void);
void vhost_scsi_stats_exit(void);
void vhost_scsi_refuse(struct vhost_scsi_vq *svq, enum vhost_scsi_refusal why);
const char *vhost_scsi_refusal_name(enum vhost_scsi_refusal why);
void vhost_scsi_dev_stats_add(struct vhost_scsi *vs);
void vhost_scsi_dev_stats_remove(struct vhost_scsi *vs);

/* vhost_signal(), counted; the queue's mutex held. */
static inline void vhost_scsi_signal(struct vhost_scsi_vq *svq)
{
	vhost_scsi_qcount(svq, signals);
	vhost_signal(&svq->vs->dev, &svq->vq);
}

/*
 * scsi_fault.c: fault points for the fault-injection tests.  Each site
 * names a group of allocations (and of calls that allocate and can fail)
 * that one kind of action causes.
 */
enum vhost_scsi_fault_site {
	VHOST_SCSI_FAULT_DEV,		/* open: the device and its queues */
	VHOST_SCSI_FAULT_OWNER,		/* RESET_OWNER's new memory table */
	VHOST_SCSI_FAULT_ENDPOINT,	/* SET_ENDPOINT's endpoint */
	VHOST_SCSI_FAULT_POOL,		/* command pool: base and growth */
	VHOST_SCSI_FAULT_WORKER,	/* our worker threads */
	VHOST_SCSI_FAULT_DEBUGFS,	/* a device's debugfs directory */
	VHOST_SCSI_FAULT_MAP,		/* I/O mapping: tables, bounce, iovecs */
	VHOST_SCSI_FAULT_TMF,		/* task management */
	VHOST_SCSI_FAULT_EVT,		/* events */
	VHOST_SCSI_FAULT_CHANGE,	/* parameter-change samples */
	VHOST_SCSI_FAULT_WWN,		/* configfs: a WWN */
	VHOST_SCSI_FAULT_TPG,		/* configfs: a TPG, its registration */
	VHOST_SCSI_FAULT_NEXUS,		/* configfs: a nexus (LIO session) */
	VHOST_SCSI_FAULT_NR
};

DECLARE_STATIC_KEY_FALSE(vhost_scsi_fault_key);
struct dentry;
bool __vhost_scsi_fault(enum vhost_scsi_fault_site site);
void vhost_scsi_fault_init(struct dentry *dir);

/* True if the allocation at @site is to fail (a test armed fail_nth). */
static inline bool vhost_scsi_fault(enum vhost_scsi_fault_site site)
{
	return static_branch_unlikely(&vhost_scsi_fault_key) &&
	       __vhost_scsi_fault(site);
}

/* scsi_configfs.c */
int vhost_scsi_tpgs_bind(struct vhost_scsi *vs, struct vhost_scsi_endpoint *ep);
void vhost_scsi_tpgs_unbind(struct vhost_scsi_endpoint *ep);
int vhost_scsi_configfs_init(void);
void vhost_scsi_configfs_exit(void);

#endif /* _VHOST_SCSI_H_ */
