// SPDX-License-Identifier: GPL-2.0
/*
 * What a guest can turn against the host through the control and event
 * queues: task management that LIO ends behind our back, task-set
 * functions repeated to amplify load, closing with commands in flight, and
 * the loops a guest can feed (bad event buffers, a bogus avail index, a
 * used ring the device cannot write).
 *
 * The cases that can crash or stall a module without the fixes run last:
 * the repeated fan-out, then the TMF a LUN reset drains.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vscsi-test.h"

#define FUNCTION_COMPLETE	VIRTIO_SCSI_S_OK
#define STALL_MS		1000	/* how long a stopped queue is watched */
/* Worker CPU time allowed while a broken queue is watched for STALL_MS. */
#define STALL_CPU_PCT		20
#define CLOSE_CYCLES		10
#define CLOSE_READS		4
#define BAD_EVT_BUFS		64
#define BAD_EVT_TOTAL		10000
#define BAD_EVT_BOUND_MS	2000	/* CLEAR_ENDPOINT under a bad-buffer flood */
#define BAD_EVT_SIZE		8
#define EVT_TIMEOUT_MS		5000
#define FAN_QUEUES		16
#define FAN_DEPTH		256	/* the pool's cap per queue */
#define FAN_QUEUE_SIZE		1024	/* three descriptors per READ */
#define FAN_REPEATS		100
#define FAN_SETTLE_MS		1500
#define FAN_PROBE_BOUND_MS	2000	/* TUR on LUN 0 during the fan-outs */
#define FAN_SLAB_BOUND_KB	(64 * 1024)
#define FAN_LOG_PER_CMD		3	/* kernel log lines allowed per command */
#define FAN_LOG_SLACK		200
#define FAN_WAIT_MS		120000

/* ------------------------------------------------------------------ */
/* Host-side measurements                                              */

/* CPU time (clock ticks) of this process's vhost worker, or -1. */
static long worker_ticks(void)
{
	char want[32], path[300], buf[512], *p;
	unsigned long utime, stime;
	struct dirent *de;
	long ticks = -1;
	DIR *d;
	FILE *f;

	snprintf(want, sizeof(want), "vhost-%d\n", getpid());
	d = opendir("/proc");
	if (!d)
		return -1;
	while (ticks < 0 && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!p || strcmp(buf, want))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %lu %lu", &utime, &stime) == 2)
			ticks = utime + stime;
	}
	closedir(d);
	return ticks;
}

/*
 * Kernel log lines: kmsg_open() remembers the sequence number of the last
 * record; kmsg_count() returns how many came after it (sequence numbers
 * also count records the ring buffer already overwrote).
 */
struct kmsg {
	int fd;
	unsigned long long base;
};

/* Read every record left at @fd; return the last sequence number seen. */
static unsigned long long kmsg_last_seq(int fd)
{
	unsigned long long seq, last = 0;
	char rec[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return last;
		rec[n] = 0;
		if (sscanf(rec, "%*u,%llu,", &seq) == 1)
			last = seq;
	}
}

static int kmsg_open(struct kmsg *k)
{
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (k->fd < 0)
		return -errno;
	k->base = kmsg_last_seq(k->fd);
	return 0;
}

static long kmsg_count(struct kmsg *k)
{
	unsigned long long last = kmsg_last_seq(k->fd);

	close(k->fd);
	return last > k->base ? (long)(last - k->base) : 0;
}

/* Keep the pr_err floods of the fan-out off the (slow) serial console. */
static int console_quiet(void)
{
	FILE *f = fopen("/proc/sys/kernel/printk", "r+");
	int level = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &level) == 1) {
		rewind(f);
		fprintf(f, "3");
	}
	fclose(f);
	return level;
}

static void console_restore(int level)
{
	FILE *f = level < 0 ? NULL : fopen("/proc/sys/kernel/printk", "w");

	if (f) {
		fprintf(f, "%d", level);
		fclose(f);
	}
}

static int vring_base(struct tctx *t, unsigned int index, unsigned int *base)
{
	struct vhost_vring_state s = { .index = index };

	if (ioctl(t->dev->fd, VHOST_GET_VRING_BASE, &s))
		return -errno;
	*base = s.num;
	return 0;
}

/* Post a TMF without kicking; see vscsi_ctl_post(). */
static int tmf_post(struct tctx *t, struct vscsi_ctl *ctl, uint32_t subtype,
		    uint16_t lun, uint64_t tag)
{
	struct virtio_scsi_ctrl_tmf_req req;
	int ret;

	vscsi_tmf_req_init(&req, subtype, t->cfg->target, lun, tag);
	ret = vscsi_ctl_post(t->dev, ctl, &req, sizeof(req),
			     sizeof(struct virtio_scsi_ctrl_tmf_resp));
	return ret ? tfail(t, "expected TMF %u posted, got %s", subtype,
			   err_name(ret)) : T_PASS;
}

/* Submit a one-block READ of @lba on the slow LUN through @vq. */
static int slow_read(struct tctx *t, struct vscsi_vq *vq, struct vscsi_req *req,
		     uint8_t *cdb, uint8_t *data, uint32_t lba, bool kick)
{
	struct vscsi_cmd cmd;
	int ret;

	read10_cmd_init(t, &cmd, t->cfg->slow_lun, cdb, lba, 1, data, 512);
	ret = vscsi_req_submit(t->dev, vq, req, &cmd, kick);
	return ret ? tfail(t, "expected READ of LBA %u submitted, got %s", lba,
			   err_name(ret)) : T_PASS;
}

/* ------------------------------------------------------------------ */
/* Closing the device with commands in flight                         */

/*
 * The device may be freed while the target core is still handing a
 * command back; the window is a few instructions wide, so this only
 * stresses the path (and lets KASAN look at it).
 */
static int close_with_reads_inflight(struct tctx *t)
{
	uint8_t cdb[CLOSE_READS][16], data[CLOSE_READS][512];
	struct vscsi_req reqs[CLOSE_READS];
	long long start, took;
	unsigned int c, i;
	int ret = T_PASS;

	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)");
	for (c = 0; !ret && c < CLOSE_CYCLES; c++) {
		ret = fix_attach(t, NULL);
		for (i = 0; !ret && i < CLOSE_READS; i++)
			ret = slow_read(t, vscsi_req_vq(t->dev, 0), &reqs[i],
					cdb[i], data[i], i, true);
		if (ret)
			break;
		usleep(50 * 1000);
		start = now_ms();
		vscsi_dev_close(t->dev);
		t->dev = NULL;
		took = now_ms() - start;
		if (took > (long long)t->cfg->slow_ms + 5000)
			ret = tfail(t, "expected close %u with READs in flight "
				    "within %u ms, took %lld ms", c,
				    t->cfg->slow_ms + 5000, took);
	}
	if (!ret)
		ret = fix_slow(t);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Unusable event buffers, re-posted as fast as they come back        */

struct flood {
	struct tctx *t;
	uint64_t gpa[BAD_EVT_BUFS];
	volatile bool stop;
	volatile unsigned long returned;
	int ret;
};

static bool flood_owns(const struct flood *f, uint64_t gpa)
{
	return gpa >= f->gpa[0] &&
	       gpa <= f->gpa[BAD_EVT_BUFS - 1];
}

static int flood_post(struct vscsi_vq *vq, uint64_t gpa)
{
	struct vscsi_seg seg = { gpa, BAD_EVT_SIZE, true };
	int head = vscsi_vq_add(vq, &seg, 1, false, (void *)(uintptr_t)gpa);

	return head < 0 ? head : vscsi_vq_kick_force(vq);
}

static void *flood_thread(void *arg)
{
	struct flood *f = arg;
	struct vscsi_vq *vq = &f->t->dev->vqs[VSCSI_VQ_EVT];
	unsigned int i;
	uint64_t gpa;
	int head;

	for (i = 0; !f->ret && i < BAD_EVT_BUFS; i++)
		f->ret = flood_post(vq, f->gpa[i]);
	while (!f->ret && !f->stop) {
		head = vscsi_vq_wait_any(vq, 20);
		if (head < 0)
			continue;
		gpa = (uintptr_t)vq->slots[head].owner;
		vscsi_vq_collect(vq, head, NULL);
		f->returned++;
		f->ret = flood_post(vq, gpa);
	}
	return NULL;
}

/* Next event in a good buffer, giving back the flood's leftovers. */
static int good_event(struct tctx *t, struct flood *f, struct vscsi_event *ev)
{
	struct vscsi_vq *vq = &t->dev->vqs[VSCSI_VQ_EVT];
	struct virtio_scsi_event raw;
	long long deadline = now_ms() + EVT_TIMEOUT_MS;
	uint64_t gpa;
	int head;

	while (now_ms() < deadline) {
		head = vscsi_vq_wait_any(vq, 100);
		if (head < 0)
			continue;
		gpa = (uintptr_t)vq->slots[head].owner;
		vscsi_vq_collect(vq, head, NULL);
		if (flood_owns(f, gpa))
			continue;
		memcpy(&raw, vscsi_mem_ptr(&t->dev->mem, gpa, sizeof(raw)),
		       sizeof(raw));
		ev->event = le32toh(raw.event);
		ev->reason = le32toh(raw.reason);
		return T_PASS;
	}
	return tfail(t, "expected an event in a good buffer, got none in %d ms",
		     EVT_TIMEOUT_MS);
}

static int flood_run(struct tctx *t, struct flood *f)
{
	long long start, deadline = now_ms() + 120000;
	pthread_t thread;
	int ret;

	if (pthread_create(&thread, NULL, flood_thread, f))
		return tfail(t, "expected a flood thread, got none");
	while (!f->ret && f->returned < BAD_EVT_TOTAL && now_ms() < deadline)
		usleep(10 * 1000);
	start = now_ms();
	ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn);
	tnote(t, "%lu bad buffers given back; CLEAR_ENDPOINT took %lld ms",
	      f->returned, now_ms() - start);
	f->stop = true;
	pthread_join(thread, NULL);
	if (f->ret)
		return tfail(t, "expected the flood to run, got %s",
			     err_name(f->ret));
	if (f->returned < BAD_EVT_TOTAL)
		return tfail(t, "expected %d bad event buffers given back, got "
			     "%lu", BAD_EVT_TOTAL, f->returned);
	if (ret)
		return tfail(t, "expected CLEAR_ENDPOINT to return 0, got %s",
			     err_name(ret));
	if (now_ms() - start > BAD_EVT_BOUND_MS)
		return tfail(t, "expected CLEAR_ENDPOINT within %d ms of a "
			     "bad-buffer flood, took %lld ms", BAD_EVT_BOUND_MS,
			     now_ms() - start);
	return T_PASS;
}

static int event_bad_buffer_flood(struct tctx *t)
{
	struct flood f = { .t = t };
	struct vscsi_event ev;
	unsigned int i, lun = t->cfg->hotplug_lun;
	int ret = fix_need_hotplug(t);

	if (!ret)
		ret = fix_attach(t, NULL);
	if (ret)
		return ret;
	for (i = 0; i < BAD_EVT_BUFS; i++)
		f.gpa[i] = vscsi_mem_alloc(&t->dev->mem, BAD_EVT_SIZE, 8);
	/* One allocation after the other: a range flood_owns() can test. */
	if (!f.gpa[BAD_EVT_BUFS - 1] ||
	    f.gpa[BAD_EVT_BUFS - 1] - f.gpa[0] != (BAD_EVT_BUFS - 1) * 8)
		return tskip(t, "guest memory not laid out as expected");
	/* An owed notice makes every kick walk the bad buffers. */
	ret = vscsi_set_events_missed(t->dev, 1);
	if (ret)
		return tfail(t, "expected SET_EVENTS_MISSED to return 0, got %s",
			     err_name(ret));
	ret = flood_run(t, &f);
	if (ret)
		return ret;
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT again to return 0, got %s",
			     err_name(ret));
	ret = vscsi_event_post(t->dev, 4);
	if (!ret)
		ret = good_event(t, &f, &ev);
	if (!ret && ev.event != (VIRTIO_SCSI_T_NO_EVENT |
				 VIRTIO_SCSI_T_EVENTS_MISSED))
		ret = tfail(t, "expected the owed EVENTS_MISSED notice after "
			    "the flood, got event 0x%x", ev.event);
	if (ret)
		return ret;
	ret = lio_lun_link(t->cfg, lun);
	if (ret)
		return tfail(t, "expected LUN %u linked, got %s", lun,
			     err_name(ret));
	ret = good_event(t, &f, &ev);
	if (!ret && (ev.event != VIRTIO_SCSI_T_TRANSPORT_RESET ||
		     ev.reason != VIRTIO_SCSI_EVT_RESET_RESCAN))
		ret = tfail(t, "expected TRANSPORT_RESET/RESCAN after the "
			    "flood, got event 0x%x reason %u", ev.event,
			    ev.reason);
	if (lio_lun_unlink(t->cfg, lun) && !ret)
		ret = tfail(t, "expected LUN %u unlinked", lun);
	return ret;
}

/* ------------------------------------------------------------------ */
/* A ring the device cannot use stops, without spinning               */

/*
 * Watch a broken queue for STALL_MS: the error eventfd must fire and the
 * worker must stay (nearly) idle.
 */
static int expect_stopped(struct tctx *t, struct vscsi_vq *vq, long ticks0,
			  const char *what)
{
	long hz = sysconf(_SC_CLK_TCK), ticks;

	usleep(STALL_MS * 1000);
	ticks = worker_ticks();
	if (ticks0 < 0 || ticks < 0)
		tnote(t, "vhost-%d worker thread not found", getpid());
	else
		tnote(t, "worker used %ld of %ld ticks while %s",
		      ticks - ticks0, hz * STALL_MS / 1000, what);
	if (!vscsi_vq_error_signalled(vq))
		return tfail(t, "expected the error eventfd signalled after %s, "
			     "got no signal", what);
	if (ticks0 >= 0 && ticks >= 0 &&
	    (ticks - ticks0) * 100 > hz * STALL_MS / 1000 * STALL_CPU_PCT)
		return tfail(t, "expected the worker idle after %s, got %ld "
			     "ticks of CPU in %d ms", what, ticks - ticks0,
			     STALL_MS);
	return T_PASS;
}

static int bogus_avail_idx(struct tctx *t, bool ctl)
{
	struct vscsi_opts opts = { .req_queues = 2 };
	struct vscsi_vq *vq;
	uint16_t used;
	long ticks0;
	int ret = fix_attach(t, &opts);

	if (ret)
		return ret;
	vq = ctl ? &t->dev->vqs[VSCSI_VQ_CTL] : vscsi_req_vq(t->dev, 0);
	vscsi_vq_error_signalled(vq);
	used = le16toh(vq->used->idx);
	ticks0 = worker_ticks();
	/* Further ahead than the ring holds: no entry behind it exists. */
	vq->avail->idx = htole16(vq->avail_idx + vq->num + 7);
	vscsi_vq_kick_force(vq);
	ret = expect_stopped(t, vq, ticks0, "a bogus avail index");
	if (!ret && le16toh(vq->used->idx) != used)
		ret = tfail(t, "expected no request consumed past a bogus avail "
			    "index, got used idx %u -> %u", used,
			    le16toh(vq->used->idx));
	vq->avail->idx = htole16(vq->avail_idx);
	if (!ret)
		ret = run_tur(t, vscsi_req_vq(t->dev, 1),
			      "TUR on another queue after a bogus avail index");
	return ret;
}

static int ctl_bogus_avail_idx(struct tctx *t)
{
	return bogus_avail_idx(t, true);
}

static int req_bogus_avail_idx(struct tctx *t)
{
	return bogus_avail_idx(t, false);
}

/* mprotect() the pages of @vq's used ring. */
static int used_protect(struct vscsi_vq *vq, int prot)
{
	uintptr_t start = (uintptr_t)vq->used & ~4095UL;
	uintptr_t end = (uintptr_t)&vq->used->ring[vq->num] + 2;

	return mprotect((void *)start, ((end + 4095) & ~4095UL) - start, prot);
}

static int ctl_used_ring_unwritable(struct tctx *t)
{
	struct vscsi_vq *vq;
	struct vscsi_ctl ctl[4];
	unsigned int before = 0, after = 0, i;
	long ticks0;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	vq = &t->dev->vqs[VSCSI_VQ_CTL];
	vscsi_vq_error_signalled(vq);
	ret = vring_base(t, VSCSI_VQ_CTL, &before);
	for (i = 0; !ret && i < 4; i++)
		ret = tmf_post(t, &ctl[i], VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
			       lun0(t), 0);
	if (ret)
		return ret;
	if (used_protect(vq, PROT_READ))
		return tfail(t, "expected mprotect to work, got %s",
			     err_name(-errno));
	ticks0 = worker_ticks();
	vscsi_vq_kick_force(vq);
	ret = expect_stopped(t, vq, ticks0, "an unwritable used ring");
	if (!ret && vring_base(t, VSCSI_VQ_CTL, &after))
		ret = tfail(t, "expected GET_VRING_BASE to work");
	if (!ret && (uint16_t)(after - before) != 1)
		ret = tfail(t, "expected the control queue to stop after the "
			    "first request it could not return, got %u of 4 "
			    "consumed", (uint16_t)(after - before));
	used_protect(vq, PROT_READ | PROT_WRITE);
	if (!ret)
		ret = run_tur(t, vscsi_req_vq(t->dev, 0),
			      "TUR after the control queue stopped");
	return ret;
}

/* ------------------------------------------------------------------ */
/* Task-set functions repeated against thousands of commands          */

struct fan {
	struct vscsi_req reqs[FAN_QUEUES][FAN_DEPTH];
	uint8_t cdb[FAN_QUEUES][FAN_DEPTH][16];
	uint8_t data[FAN_QUEUES][FAN_DEPTH][512];
	struct vscsi_ctl ctl[FAN_REPEATS];
	unsigned int answered[256];
};

static int fan_submit(struct tctx *t, struct fan *f)
{
	unsigned int q, i;
	int ret = T_PASS;

	for (q = 0; !ret && q < FAN_QUEUES; q++) {
		for (i = 0; !ret && i < FAN_DEPTH; i++)
			ret = slow_read(t, vscsi_req_vq(t->dev, q),
					&f->reqs[q][i], f->cdb[q][i],
					f->data[q][i], q * FAN_DEPTH + i,
					false);
		vscsi_vq_kick_force(vscsi_req_vq(t->dev, q));
	}
	return ret;
}

/* Collect every READ and TMF by @deadline; count READ responses. */
static int fan_collect(struct tctx *t, struct fan *f, long long deadline)
{
	unsigned int q, i;
	int ret = T_PASS;
	long long left;

	for (i = 0; i < FAN_REPEATS; i++) {
		left = deadline - now_ms();
		if (vscsi_ctl_wait(t->dev, &f->ctl[i], left > 1 ? left : 1)) {
			vscsi_ctl_poll(t->dev, &f->ctl[i]);
			if (!ret)
				ret = tfail(t, "expected ABORT_TASK_SET %u "
					    "answered, got none", i);
			continue;
		}
		if (f->ctl[i].in[0] != FUNCTION_COMPLETE && !ret)
			ret = tfail(t, "expected ABORT_TASK_SET %u answered "
				    "FUNCTION_COMPLETE, got %s(%u)", i,
				    vscsi_response_name(f->ctl[i].in[0]),
				    f->ctl[i].in[0]);
	}
	for (q = 0; q < FAN_QUEUES; q++) {
		for (i = 0; i < FAN_DEPTH; i++) {
			struct vscsi_req *req = &f->reqs[q][i];

			left = deadline - now_ms();
			if (vscsi_req_wait(t->dev, req, left > 1 ? left : 1)) {
				vscsi_req_abandon(req);
				if (!ret)
					ret = tfail(t, "expected READ %u/%u "
						    "answered, got none", q, i);
				continue;
			}
			f->answered[req->res.response]++;
		}
	}
	return ret;
}

/* A TUR on LUN 0 through a queue of its own, timed. */
static int fan_probe(struct tctx *t, long long *took)
{
	long long start = now_ms();
	int ret = run_tur(t, vscsi_req_vq(t->dev, FAN_QUEUES),
			  "TUR on LUN 0 during the fan-outs");

	*took = now_ms() - start;
	return ret;
}

/* Post FAN_REPEATS ABORT TASK SETs for the slow LUN and kick once. */
static int fan_abort(struct tctx *t, struct fan *f)
{
	unsigned int i;
	int ret = T_PASS;

	for (i = 0; !ret && i < FAN_REPEATS; i++)
		ret = tmf_post(t, &f->ctl[i], VIRTIO_SCSI_T_TMF_ABORT_TASK_SET,
			       t->cfg->slow_lun, 0);
	vscsi_vq_kick_force(&t->dev->vqs[VSCSI_VQ_CTL]);
	return ret;
}

static int fan_check(struct tctx *t, long long probe_ms, long slab_growth,
		     long lines)
{
	const long cmds = FAN_QUEUES * FAN_DEPTH;

	if (probe_ms > FAN_PROBE_BOUND_MS)
		return tfail(t, "expected a TUR on LUN 0 answered within %d ms "
			     "of %d ABORT TASK SETs, took %lld ms",
			     FAN_PROBE_BOUND_MS, FAN_REPEATS, probe_ms);
	if (slab_growth > FAN_SLAB_BOUND_KB)
		return tfail(t, "expected Slab to grow by at most %d kB, got "
			     "%ld kB", FAN_SLAB_BOUND_KB, slab_growth);
	if (lines > FAN_LOG_PER_CMD * cmds + FAN_LOG_SLACK)
		return tfail(t, "expected at most %ld kernel log lines for %ld "
			     "commands, got %ld", FAN_LOG_PER_CMD * cmds +
			     FAN_LOG_SLACK, cmds, lines);
	return T_PASS;
}

static int tmf_fan_out_repeated(struct tctx *t)
{
	struct vscsi_opts opts = { .req_queues = FAN_QUEUES + 1,
				   .queue_size = FAN_QUEUE_SIZE,
				   .mem_size = 256UL << 20 };
	struct fan *f = calloc(1, sizeof(*f));
	long slab0, slab1, lines = -1;
	long long probe_ms = -1, start;
	struct kmsg k = { .fd = -1 };
	int level = -1, ret;

	if (!f)
		return tfail(t, "expected memory, got -ENOMEM");
	ret = t->cfg->slow_lun < 0 ?
	      tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)") :
	      fix_attach(t, &opts);
	if (!ret)
		ret = slow_lun_usable(t, "TUR to the slow LUN");
	if (!ret && kmsg_open(&k))
		ret = tskip(t, "/dev/kmsg not readable");
	if (ret)
		goto out;
	level = console_quiet();
	slab0 = slab_kb();
	ret = fan_submit(t, f);
	if (!ret) {
		usleep(FAN_SETTLE_MS * 1000);
		ret = fan_abort(t, f);
	}
	start = now_ms();
	if (!ret)
		ret = fan_probe(t, &probe_ms);
	slab1 = slab_kb();
	if (!ret)
		ret = fan_collect(t, f, now_ms() + FAN_WAIT_MS);
	lines = kmsg_count(&k);
	console_restore(level);
	tnote(t, "TUR probe %lld ms; Slab %ld -> %ld kB; %ld log lines; all "
	      "answered after %lld ms; READs OK %u, ABORTED %u, RESET %u",
	      probe_ms, slab0, slab1, lines, now_ms() - start,
	      f->answered[VIRTIO_SCSI_S_OK], f->answered[VIRTIO_SCSI_S_ABORTED],
	      f->answered[VIRTIO_SCSI_S_RESET]);
	if (!ret)
		ret = fan_check(t, probe_ms, slab1 - slab0, lines);
	if (!ret)
		ret = slow_lun_usable(t, "TUR to the slow LUN afterwards");
out:
	free(f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* A TMF that a LUN reset ends                                         */

struct drained {
	struct vscsi_req reqs[3];
	uint8_t cdb[3][16];
	uint8_t data[3][512];
	struct vscsi_ctl abort, reset;
	uint16_t used0;
	bool late[3];		/* still out when the reset was answered */
};

/* Position in the control queue's used ring of the entry for @head. */
static int used_pos(struct vscsi_vq *vq, uint16_t from, uint16_t head)
{
	uint16_t i, end = le16toh(vq->used->idx);

	for (i = from; i != end; i++)
		if (le32toh(vq->used->ring[i % vq->num].id) == head)
			return (uint16_t)(i - from);
	return -1;
}

/*
 * Right after the reset's response: the ABORT TASK was answered before
 * it, S_RESET, and every READ came back before it.  The reset drains the
 * abort before the task set, and the abort waits for READ 1's backend, so
 * READs 0 and 2 may finish meanwhile (OK) or be ended by the reset
 * (RESET); READ 1 is ended by its abort, marked RESET by the reset.
 */
static int drained_check(struct tctx *t, struct drained *d)
{
	struct vscsi_vq *vq = &t->dev->vqs[VSCSI_VQ_CTL];
	int pa = used_pos(vq, d->used0, d->abort.head);
	int pr = used_pos(vq, d->used0, d->reset.head);
	unsigned int i;
	uint8_t r;

	if (d->reset.in[0] != FUNCTION_COMPLETE)
		return tfail(t, "expected LOGICAL_UNIT_RESET answered "
			     "FUNCTION_COMPLETE, got %s(%u)",
			     vscsi_response_name(d->reset.in[0]),
			     d->reset.in[0]);
	if (!vscsi_ctl_poll(t->dev, &d->abort) || pa < 0 || pa > pr)
		return tfail(t, "expected the ABORT_TASK the reset ended "
			     "answered before the reset, got used-ring position "
			     "%d vs %d", pa, pr);
	if (d->abort.in[0] != VIRTIO_SCSI_S_RESET)
		return tfail(t, "expected the ABORT_TASK the reset ended "
			     "answered RESET, got %s(%u)",
			     vscsi_response_name(d->abort.in[0]), d->abort.in[0]);
	for (i = 0; i < 3; i++) {
		/*
		 * The target core ends what is still running when the reset
		 * runs; a READ the backend finished while the reset waited
		 * behind the ABORT TASK (LIO runs a device's TMFs one at a
		 * time) completes normally, possibly after the reset's
		 * answer: checked for OK once it is back.
		 */
		if (!vscsi_req_poll(t->dev, &d->reqs[i])) {
			d->late[i] = true;
			tnote(t, "READ %u still out at the reset's answer", i);
			continue;
		}
		r = d->reqs[i].res.response;
		if (r != VIRTIO_SCSI_S_RESET &&
		    r != (i == 1 ? VIRTIO_SCSI_S_ABORTED : VIRTIO_SCSI_S_OK))
			return tfail(t, "expected READ %u answered RESET or %s, "
				     "got %s(%u)", i, i == 1 ? "ABORTED" : "OK",
				     vscsi_response_name(r), r);
	}
	return T_PASS;
}

static int tmf_abort_drained_by_lun_reset(struct tctx *t)
{
	struct drained *d = calloc(1, sizeof(*d));
	unsigned int i;
	int ret;

	if (!d)
		return tfail(t, "expected memory, got -ENOMEM");
	ret = fix_slow(t);
	for (i = 0; !ret && i < 3; i++)
		ret = slow_read(t, vscsi_req_vq(t->dev, 0), &d->reqs[i],
				d->cdb[i], d->data[i], i * 8, i == 2);
	if (!ret)
		ret = slow_settle(t, 3);
	if (ret)
		goto out;
	d->used0 = le16toh(t->dev->vqs[VSCSI_VQ_CTL].used->idx);
	/* One kick: the reset finds the abort still running in LIO. */
	ret = tmf_post(t, &d->abort, VIRTIO_SCSI_T_TMF_ABORT_TASK,
		       t->cfg->slow_lun, d->reqs[1].cmd.tag);
	if (!ret)
		ret = tmf_post(t, &d->reset,
			       VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			       t->cfg->slow_lun, 0);
	vscsi_vq_kick_force(&t->dev->vqs[VSCSI_VQ_CTL]);
	if (!ret && vscsi_ctl_wait(t->dev, &d->reset,
				   t->cfg->slow_ms * 3 + t->cfg->drop_ms))
		ret = tfail(t, "expected LOGICAL_UNIT_RESET answered, got none");
	if (!ret)
		ret = drained_check(t, d);
	for (i = 0; i < 3; i++) {
		if (vscsi_req_wait(t->dev, &d->reqs[i], t->cfg->slow_ms * 2)) {
			vscsi_req_abandon(&d->reqs[i]);
			if (!ret)
				ret = tfail(t, "expected READ %u answered, got "
					    "none", i);
		} else if (!ret && d->late[i] &&
			   d->reqs[i].res.response != VIRTIO_SCSI_S_OK) {
			ret = tfail(t, "expected READ %u, back after the reset, "
				    "answered OK, got %s(%u)", i,
				    vscsi_response_name(d->reqs[i].res.response),
				    d->reqs[i].res.response);
		}
	}
	vscsi_ctl_wait(t->dev, &d->abort, t->cfg->drop_ms);
	if (!ret)
		ret = slow_lun_usable(t, "TUR to the slow LUN after the reset");
out:
	free(d);
	return ret;
}

const struct tcase sec2_cases[] = {
	{ "ctl_bogus_avail_idx_stops", ctl_bogus_avail_idx },
	{ "io_bogus_avail_idx_stops", req_bogus_avail_idx },
	{ "ctl_used_ring_unwritable_stops", ctl_used_ring_unwritable },
	{ "event_bad_buffer_flood_bounded", event_bad_buffer_flood },
	{ "close_with_reads_inflight_cycles", close_with_reads_inflight },
	/* Last two: the stock module oopses on the first, hangs on the second. */
	{ "tmf_abort_drained_by_lun_reset", tmf_abort_drained_by_lun_reset },
	{ "tmf_abort_task_set_repeated_bounded", tmf_fan_out_repeated },
	{ NULL, NULL },
};
