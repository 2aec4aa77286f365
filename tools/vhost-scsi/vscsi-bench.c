// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi bench - a lean virtio-scsi initiator for measuring the host side.
 *
 * The device (features, guest RAM, vrings, endpoint) is set up by
 * libvhost-scsi; the request rings are then driven here directly, the way
 * Linux's virtio_ring + virtio_scsi drive them, and with nothing else on
 * the path so that the initiator's own share of the instructions stays
 * small and constant:
 *
 *  - every request is one ring descriptor pointing to an indirect table
 *    (Linux uses indirect whenever a request has more than one segment):
 *    header (readable), then data-out pages, then response (writable),
 *    then data-in pages - one descriptor per 4 KiB page of data;
 *  - VERSION_1 + EVENT_IDX: a batch is published with one avail->idx
 *    store and kicked only when avail_event says the device wants it
 *    (vring_need_event), so the kicks counted are the kicks written;
 *  - completions: reap the used ring, set used_event to the last entry
 *    seen, look again, and only then sleep in poll() on the call eventfds
 *    (never spin on the ring).
 *
 * Request slot i of a queue always uses ring descriptor i; its header,
 * response, indirect table and data pages are allocated once.
 *
 * Batch mode (default) submits QD requests, kicks, and waits for all of
 * them before the next batch; --refill tops the queue up after every
 * reap instead.  A warm-up phase runs first; counters are sampled from
 * an empty queue to an empty queue around the measured phase.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "vscsi.h"
#include "vscsi-bench.h"

#define BENCH_PAGE		4096u
#define BENCH_MAX_SEGS		(2 + 256)	/* header, response, 1 MiB */
#define BENCH_MAX_THREADS	1024
#define BENCH_WAIT_MS		10000
#define BENCH_SPAN_BYTES	(32ULL << 20)	/* LBAs cycle in the first 32 MiB */

enum bench_rw { RW_READ, RW_WRITE, RW_TUR };

struct bench_opts {
	const char *dev_path;
	const char *wwpn;
	const char *label;
	const char *perf_ctl;		/* perf record's --control fifo */
	unsigned int queues;
	unsigned int qd;
	unsigned int bs;
	unsigned int ring;
	enum bench_rw rw;
	uint64_t count;
	uint64_t warmup;
	unsigned int target;
	unsigned int lun;
	bool refill;
	bool threads;			/* list every counted task's share */
};

struct bench_slot {
	struct virtio_scsi_cmd_req *hdr;
	struct virtio_scsi_cmd_resp *resp;
	struct vring_desc *table;
	uint64_t hdr_gpa, resp_gpa, table_gpa, data_gpa;
	uint64_t t_submit;
	bool busy;			/* published, not yet used */
};

/* One request queue as the initiator sees it. */
struct bench_q {
	struct vscsi_vq *vq;
	struct bench_slot *slots;
	uint16_t *free;			/* stack of idle slot ids */
	unsigned int nfree;
	uint16_t avail_idx;		/* shadow of avail->idx */
	uint16_t last_used;		/* next used entry to reap */
	uint64_t lba;
};

struct bench_counts {
	uint64_t kicks;
	uint64_t calls;			/* eventfd counts read: device signals */
	uint64_t wakeups;		/* poll() returns with a call pending */
	uint64_t errors;
	uint8_t first_err[4];		/* response, status, sense key, ASC */
};

struct bench {
	struct bench_opts o;
	struct vscsi_dev *dev;
	struct bench_q *q;
	struct pollfd *pfd;
	struct bench_counts c;
	uint32_t *lat;			/* measured latencies, ns */
	uint64_t nlat;
	bool record;
	unsigned int nsegs;		/* descriptors in one request's table */
	uint32_t blocks;		/* 512-byte blocks per request */
	uint64_t span_blocks;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void bench_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* Thread accounting: /proc/<pid>/schedstat and status                */

enum tkind { T_VHOST, T_KWORKER, T_SELF, T_NKINDS };

struct tstat {
	int pid;
	enum tkind kind;
	uint64_t cpu_ns;
	uint64_t csw;
	uint64_t ticks;			/* utime + stime, clock ticks */
	char comm[20];
};

struct tsnap {
	struct tstat t[BENCH_MAX_THREADS];
	unsigned int n;
};

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/*
 * utime + stime from /proc/<pid>/stat: sampled at the tick, coarse, but
 * an independent check of schedstat's split between tasks.
 */
static uint64_t stat_ticks(int pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

/* CPU time (ns, schedstat) and context switches (status) of one task. */
static int task_stat(int pid, struct tstat *t)
{
	char path[64], buf[2048], *p;
	unsigned long long ns = 0;
	unsigned long v;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	if (read_file(path, buf, sizeof(buf)) || sscanf(buf, "%llu", &ns) != 1)
		return -1;
	t->cpu_ns = ns;
	t->csw = 0;
	t->ticks = stat_ticks(pid);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "voluntary_ctxt_switches:");
	if (p && sscanf(p, "voluntary_ctxt_switches: %lu", &v) == 1)
		t->csw += v;
	p = strstr(buf, "nonvoluntary_ctxt_switches:");
	if (p && sscanf(p, "nonvoluntary_ctxt_switches: %lu", &v) == 1)
		t->csw += v;
	return 0;
}

/*
 * Which tasks count: this process, the vhost worker(s) of this device
 * (kthreads named vhost*-<our pid>*), and every kworker (LIO completes and,
 * depending on the module, submits from workqueues; in an otherwise idle
 * one-CPU VM the kworkers' time is LIO's and vhost's deferred work).
 */
static int task_kind(int pid, int self, const char *comm)
{
	char pidstr[16];

	if (pid == self)
		return -1;	/* read apart, right at the phase edges */
	snprintf(pidstr, sizeof(pidstr), "%d", self);
	if (!strncmp(comm, "vhost", 5) && strstr(comm, pidstr))
		return T_VHOST;
	if (!strncmp(comm, "kworker/", 8))
		return T_KWORKER;
	return -1;
}

static void tsnap_take(struct tsnap *s)
{
	char path[64], comm[64];
	struct dirent *de;
	int pid, kind, self = getpid();
	DIR *d = opendir("/proc");

	s->n = 0;
	while (d && (de = readdir(d)) && s->n < BENCH_MAX_THREADS) {
		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (read_file(path, comm, sizeof(comm)))
			continue;
		kind = task_kind(pid, self, comm);
		if (kind < 0 || task_stat(pid, &s->t[s->n]))
			continue;
		s->t[s->n].pid = pid;
		s->t[s->n].kind = kind;
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(s->t[s->n].comm, sizeof(s->t[s->n].comm), "%.19s", comm);
		s->n++;
	}
	if (d)
		closedir(d);
}

/* Per kind: CPU ns and context switches between @a and @b. */
static void tsnap_delta(const struct tsnap *a, const struct tsnap *b,
			uint64_t cpu[T_NKINDS], uint64_t csw[T_NKINDS],
			unsigned int *nvhost, struct tsnap *d)
{
	unsigned int i, j;

	cpu[T_VHOST] = cpu[T_KWORKER] = 0;
	memset(csw, 0, sizeof(uint64_t) * T_NKINDS);
	*nvhost = 0;
	for (i = 0; i < b->n; i++) {
		const struct tstat *t = &b->t[i];
		uint64_t c0 = 0, s0 = 0, tick0 = 0;

		for (j = 0; j < a->n; j++) {
			if (a->t[j].pid == t->pid) {
				c0 = a->t[j].cpu_ns;
				s0 = a->t[j].csw;
				tick0 = a->t[j].ticks;
				break;
			}
		}
		cpu[t->kind] += t->cpu_ns - c0;
		csw[t->kind] += t->csw - s0;
		if (t->cpu_ns != c0 || t->csw != s0) {
			d->t[d->n] = *t;
			d->t[d->n].cpu_ns -= c0;
			d->t[d->n].ticks -= tick0;
			d->t[d->n++].csw -= s0;
		}
		if (t->kind == T_VHOST)
			(*nvhost)++;
	}
}

/* ------------------------------------------------------------------ */
/* Request slots                                                       */

static uint64_t alloc_or_die(struct bench *b, uint64_t len, uint64_t align,
			     int *err)
{
	uint64_t gpa = vscsi_mem_alloc(&b->dev->mem, len, align);

	if (!gpa)
		*err = -ENOMEM;
	return gpa;
}

static int slot_init(struct bench *b, struct bench_slot *s)
{
	struct vscsi_mem *mem = &b->dev->mem;
	uint64_t tlen = (uint64_t)b->nsegs * sizeof(struct vring_desc);
	int err = 0;

	s->hdr_gpa = alloc_or_die(b, sizeof(*s->hdr), 64, &err);
	s->resp_gpa = alloc_or_die(b, sizeof(*s->resp), 64, &err);
	s->table_gpa = alloc_or_die(b, tlen, 64, &err);
	if (b->o.bs && b->o.rw != RW_TUR)
		s->data_gpa = alloc_or_die(b, b->o.bs, BENCH_PAGE, &err);
	if (err)
		return err;
	s->hdr = vscsi_mem_ptr(mem, s->hdr_gpa, sizeof(*s->hdr));
	s->resp = vscsi_mem_ptr(mem, s->resp_gpa, sizeof(*s->resp));
	s->table = vscsi_mem_ptr(mem, s->table_gpa, tlen);
	vscsi_lun_encode(s->hdr->lun, b->o.target, b->o.lun);
	return 0;
}

static int queue_init(struct bench *b, unsigned int i)
{
	struct bench_q *q = &b->q[i];
	unsigned int s;
	int ret;

	q->vq = vscsi_req_vq(b->dev, i);
	q->slots = calloc(b->o.qd, sizeof(*q->slots));
	q->free = calloc(b->o.qd, sizeof(*q->free));
	if (!q->vq || !q->slots || !q->free)
		return -ENOMEM;
	for (s = 0; s < b->o.qd; s++) {
		ret = slot_init(b, &q->slots[s]);
		if (ret)
			return ret;
		q->free[q->nfree++] = b->o.qd - 1 - s;
	}
	q->lba = (uint64_t)i * (b->span_blocks / b->o.queues);
	b->pfd[i].fd = q->vq->call_fd;
	b->pfd[i].events = POLLIN;
	return 0;
}

static unsigned int table_add(struct vring_desc *t, unsigned int n,
			      uint64_t gpa, uint32_t len, bool write)
{
	t[n].addr = htole64(gpa);
	t[n].len = htole32(len);
	t[n].flags = htole16(write ? VRING_DESC_F_WRITE : 0);
	t[n].next = 0;
	return n + 1;
}

/* One descriptor per page of the data buffer, in order. */
static unsigned int table_add_data(struct bench *b, struct bench_slot *s,
				   unsigned int n, bool write)
{
	uint32_t off, len;

	for (off = 0; off < b->o.bs; off += BENCH_PAGE) {
		len = b->o.bs - off < BENCH_PAGE ? b->o.bs - off : BENCH_PAGE;
		n = table_add(s->table, n, s->data_gpa + off, len, write);
	}
	return n;
}

/* Header, data-out pages, response, data-in pages; returns entries. */
static unsigned int slot_fill_table(struct bench *b, struct bench_slot *s)
{
	unsigned int n, i;

	n = table_add(s->table, 0, s->hdr_gpa, sizeof(*s->hdr), false);
	if (b->o.rw == RW_WRITE)
		n = table_add_data(b, s, n, false);
	n = table_add(s->table, n, s->resp_gpa, sizeof(*s->resp), true);
	if (b->o.rw == RW_READ)
		n = table_add_data(b, s, n, true);
	for (i = 0; i + 1 < n; i++) {
		s->table[i].flags |= htole16(VRING_DESC_F_NEXT);
		s->table[i].next = htole16(i + 1);
	}
	return n;
}

static void slot_fill_cdb(struct bench *b, struct bench_q *q,
			  struct bench_slot *s, uint16_t id)
{
	uint8_t *cdb = s->hdr->cdb;

	s->hdr->tag = htole64(((uint64_t)q->vq->index << 16) | id);
	switch (b->o.rw) {
	case RW_TUR:
		scsi_cdb_tur(cdb);
		return;
	case RW_READ:
		scsi_cdb_read10(cdb, (uint32_t)q->lba, b->blocks);
		break;
	case RW_WRITE:
		scsi_cdb_write10(cdb, (uint32_t)q->lba, b->blocks);
		break;
	}
	q->lba += b->blocks;
	if (q->lba + b->blocks > b->span_blocks)
		q->lba = 0;
}

/* ------------------------------------------------------------------ */
/* Submission and completion                                           */

static void q_kick(struct bench *b, struct bench_q *q, uint16_t old)
{
	struct vscsi_vq *vq = q->vq;
	uint64_t one = 1;
	bool need;

	bench_mb();
	if (vq->event_idx) {
		uint16_t ev;

		/* avail_event sits right after the used ring's entries */
		memcpy(&ev, &vq->used->ring[vq->num], sizeof(ev));
		need = vscsi_need_event(le16toh(ev), q->avail_idx, old);
	} else
		need = !(le16toh(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	if (!need)
		return;
	b->c.kicks++;
	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one))
		b->c.errors++;
}

/* Publish @n idle slots with one avail->idx store and at most one kick. */
static void q_submit(struct bench *b, struct bench_q *q, unsigned int n)
{
	struct vscsi_vq *vq = q->vq;
	uint16_t old = q->avail_idx, id;
	uint64_t t = now_ns();
	struct bench_slot *s;
	unsigned int nd;

	while (n--) {
		id = q->free[--q->nfree];
		s = &q->slots[id];
		slot_fill_cdb(b, q, s, id);
		s->resp->response = 0xff;
		nd = slot_fill_table(b, s);
		vscsi_vq_desc_set(vq, id, s->table_gpa,
				  nd * sizeof(struct vring_desc),
				  VRING_DESC_F_INDIRECT, 0);
		s->t_submit = t;
		s->busy = true;
		vq->avail->ring[q->avail_idx++ % vq->num] = htole16(id);
	}
	__atomic_store_n(&vq->avail->idx, htole16(q->avail_idx),
			 __ATOMIC_RELEASE);
	q_kick(b, q, old);
}

static void note_error(struct bench *b, const struct virtio_scsi_cmd_resp *r)
{
	struct scsi_sense sense = { 0 };

	if (!b->c.errors++) {
		scsi_sense_parse(r->sense, le32toh(r->sense_len) < VSCSI_SENSE_SIZE ?
				 le32toh(r->sense_len) : VSCSI_SENSE_SIZE, &sense);
		b->c.first_err[0] = r->response;
		b->c.first_err[1] = r->status;
		b->c.first_err[2] = sense.key;
		b->c.first_err[3] = sense.asc;
	}
}

/* Collect every used entry; returns how many. */
static unsigned int q_reap(struct bench *b, struct bench_q *q)
{
	struct vscsi_vq *vq = q->vq;
	uint16_t used_idx = le16toh(__atomic_load_n(&vq->used->idx,
						    __ATOMIC_ACQUIRE));
	unsigned int n = 0;
	uint64_t t = 0;

	while (q->last_used != used_idx) {
		uint32_t id = le32toh(vq->used->ring[q->last_used++ % vq->num].id);
		struct bench_slot *s;

		/* A bogus or repeated id is counted, never trusted. */
		if (id >= b->o.qd || !q->slots[id].busy) {
			b->c.errors++;
			continue;
		}
		s = &q->slots[id];
		s->busy = false;
		if (s->resp->response || s->resp->status)
			note_error(b, s->resp);
		if (b->record) {
			if (!t)
				t = now_ns();
			b->lat[b->nlat++] = (uint32_t)(t - s->t_submit);
		}
		q->free[q->nfree++] = id;
		n++;
	}
	return n;
}

/* Ask for a call at the next used entry; true if one is already there. */
static bool q_arm(struct bench_q *q)
{
	struct vscsi_vq *vq = q->vq;

	if (vq->event_idx)
		vq->avail->ring[vq->num] = htole16(q->last_used);
	bench_mb();
	return le16toh(vq->used->idx) != q->last_used;
}

/* Count (or, before a phase, discard) signals nobody waited for. */
static void drain_calls(struct bench *b)
{
	unsigned int i;
	uint64_t v;

	for (i = 0; i < b->o.queues; i++)
		if (read(b->pfd[i].fd, &v, sizeof(v)) == sizeof(v))
			b->c.calls += v;
}

static int wait_calls(struct bench *b)
{
	unsigned int i;
	uint64_t v;
	int ret;

	ret = poll(b->pfd, b->o.queues, BENCH_WAIT_MS);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (!ret)
		return -ETIMEDOUT;
	for (i = 0; i < b->o.queues; i++) {
		if (!(b->pfd[i].revents & POLLIN))
			continue;
		if (read(b->pfd[i].fd, &v, sizeof(v)) == sizeof(v))
			b->c.calls += v;
	}
	b->c.wakeups++;
	return 0;
}

/* Run @n requests from empty queues to empty queues. */
static int run_phase(struct bench *b, uint64_t n)
{
	uint64_t submitted = 0, done = 0;
	unsigned int i, room, got;
	int ret;

	while (done < n) {
		for (i = 0; i < b->o.queues && submitted < n; i++) {
			struct bench_q *q = &b->q[i];

			room = q->nfree;
			if (!room || (!b->o.refill && room != b->o.qd))
				continue;
			if (room > n - submitted)
				room = n - submitted;
			q_submit(b, q, room);
			submitted += room;
		}
		got = 0;
		for (i = 0; i < b->o.queues; i++)
			got += q_reap(b, &b->q[i]);
		done += got;
		if (got)
			continue;
		for (i = 0; i < b->o.queues; i++)
			got += q_arm(&b->q[i]);
		if (got)
			continue;
		ret = wait_calls(b);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup, report                                                       */

static int bench_setup(struct bench *b)
{
	struct vscsi_opts vo = {
		.path = b->o.dev_path, .req_queues = b->o.queues,
		.queue_size = b->o.ring,
	};
	uint64_t per_slot = 2 * BENCH_PAGE + ((b->o.bs + BENCH_PAGE - 1) &
					      ~(uint64_t)(BENCH_PAGE - 1));
	unsigned int i;
	int ret;

	vo.mem_size = (uint64_t)b->o.queues * b->o.qd * per_slot +
		      (uint64_t)(b->o.queues + 2) * (b->o.ring * 32 + 3 * BENCH_PAGE) +
		      (4ULL << 20);
	vo.mem_size = (vo.mem_size + BENCH_PAGE - 1) & ~(uint64_t)(BENCH_PAGE - 1);
	if (vo.mem_size > VSCSI_MAX_MEM_SIZE)
		return -E2BIG;
	ret = vscsi_dev_start(&b->dev, &vo);
	if (ret)
		return ret;
	if (!vscsi_has_feature(b->dev, VIRTIO_RING_F_INDIRECT_DESC))
		return -EOPNOTSUPP;
	b->q = calloc(b->o.queues, sizeof(*b->q));
	b->pfd = calloc(b->o.queues, sizeof(*b->pfd));
	b->lat = calloc(b->o.count ? b->o.count : 1, sizeof(*b->lat));
	if (!b->q || !b->pfd || !b->lat)
		return -ENOMEM;
	for (i = 0; i < b->o.queues; i++) {
		ret = queue_init(b, i);
		if (ret)
			return ret;
	}
	return vscsi_set_endpoint(b->dev, b->o.wwpn);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const char *rw_name(enum bench_rw rw)
{
	return rw == RW_READ ? "read" : rw == RW_WRITE ? "write" : "tur";
}

struct bench_result {
	uint64_t ios, elapsed_ns;
	struct bench_counts c;
	uint64_t cpu[T_NKINDS], csw[T_NKINDS];
	unsigned int nvhost;
	uint64_t self_csw;
	int err;
	struct tsnap busy;		/* tasks that ran, with their deltas */
};

static double per(uint64_t v, uint64_t n)
{
	return n ? (double)v / n : 0;
}

/* ,"threads":[{"pid":..,"comm":..,"cpu_ns_per_io":..,"csw_per_io":..}] */
static void report_threads(const struct tsnap *busy, uint64_t n)
{
	unsigned int i;

	printf(",\"threads\":[");
	for (i = 0; i < busy->n; i++)
		printf("%s{\"pid\":%d,\"comm\":\"%s\",\"cpu_ns_per_io\":%.1f,"
		       "\"csw_per_io\":%.4f,\"ticks\":%" PRIu64 "}",
		       i ? "," : "", busy->t[i].pid, busy->t[i].comm,
		       per(busy->t[i].cpu_ns, n), per(busy->t[i].csw, n),
		       busy->t[i].ticks);
	printf("]");
}

static void report(struct bench *b, const struct bench_result *r)
{
	uint64_t p50 = 0, p99 = 0, n = r->ios;

	if (b->nlat) {
		qsort(b->lat, b->nlat, sizeof(*b->lat), cmp_u32);
		p50 = b->lat[(b->nlat - 1) / 2];
		p99 = b->lat[(b->nlat - 1) * 99 / 100];
	}
	printf("{\"tool\":\"vscsi-bench\",\"label\":\"%s\",\"rw\":\"%s\","
	       "\"bs\":%u,\"qd\":%u,\"queues\":%u,\"ring\":%u,\"lun\":%u,"
	       "\"mode\":\"%s\",\"warmup\":%" PRIu64 ",\"ios\":%" PRIu64 ","
	       "\"errors\":%" PRIu64 ",\"first_error\":\"%02x/%02x/%x/%02x\","
	       "\"status\":\"%s\","
	       "\"elapsed_ns\":%" PRIu64 ",\"ns_per_io\":%.1f,"
	       "\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ","
	       "\"kicks_per_io\":%.4f,\"calls_per_io\":%.4f,"
	       "\"used_per_call\":%.2f,\"wakeups_per_io\":%.4f,"
	       "\"csw_self_per_io\":%.4f,\"csw_vhost_per_io\":%.4f,"
	       "\"csw_kworker_per_io\":%.4f,\"cpu_self_ns_per_io\":%.1f,"
	       "\"cpu_vhost_ns_per_io\":%.1f,\"cpu_kworker_ns_per_io\":%.1f,"
	       "\"vhost_threads\":%u",
	       b->o.label ? b->o.label : "", rw_name(b->o.rw),
	       b->o.rw == RW_TUR ? 0 : b->o.bs,
	       b->o.qd, b->o.queues, b->o.ring, b->o.lun,
	       b->o.refill ? "refill" : "batch", b->o.warmup, n, r->c.errors,
	       r->c.first_err[0], r->c.first_err[1], r->c.first_err[2],
	       r->c.first_err[3],
	       r->err ? strerror(-r->err) : "ok", r->elapsed_ns,
	       per(r->elapsed_ns, n), p50, p99, per(r->c.kicks, n),
	       per(r->c.calls, n), r->c.calls ? (double)n / r->c.calls : 0,
	       per(r->c.wakeups, n), per(r->self_csw, n),
	       per(r->csw[T_VHOST], n), per(r->csw[T_KWORKER], n),
	       per(r->cpu[T_SELF], n), per(r->cpu[T_VHOST], n),
	       per(r->cpu[T_KWORKER], n), r->nvhost);
	if (b->o.threads)
		report_threads(&r->busy, n);
	printf("}\n");
}

static uint64_t self_csw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static uint64_t self_cpu_ns(void)
{
	struct tstat t;

	return task_stat(getpid(), &t) ? 0 : t.cpu_ns;
}

/*
 * Tell a `perf record --control fifo:PATH -D -1` started around this
 * process to sample only the measured phase (the set-up, warm-up and
 * report are not the path being profiled).  Best effort: a profile that
 * misses its edges is still a profile.
 */
static void perf_ctl(const struct bench *b, const char *cmd)
{
	int fd;

	if (!b->o.perf_ctl)
		return;
	fd = open(b->o.perf_ctl, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0)
		fprintf(stderr, "vscsi bench: perf control %s: %s\n",
			b->o.perf_ctl, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Warm up (errors there, e.g. a first unit attention, are not counted),
 * then measure from empty queues to empty queues.  This process's own
 * figures are read right at the edges; the scan of other tasks happens
 * outside, while they sleep.
 */
static void measure(struct bench *b, struct bench_result *r)
{
	static struct tsnap before, after;
	struct bench_counts c0;
	uint64_t t0, csw0, cpu0;

	r->err = run_phase(b, b->o.warmup);
	if (r->err)
		return;
	b->record = true;
	tsnap_take(&before);
	drain_calls(b);
	memset(&b->c, 0, sizeof(b->c));
	c0 = b->c;
	csw0 = self_csw();
	cpu0 = self_cpu_ns();
	perf_ctl(b, "enable\n");
	t0 = now_ns();
	r->err = run_phase(b, b->o.count);
	r->elapsed_ns = now_ns() - t0;
	perf_ctl(b, "disable\n");
	r->cpu[T_SELF] = self_cpu_ns() - cpu0;
	r->self_csw = self_csw() - csw0;
	drain_calls(b);
	tsnap_take(&after);
	r->ios = b->nlat;
	r->c = b->c;
	r->c.kicks -= c0.kicks;
	tsnap_delta(&before, &after, r->cpu, r->csw, &r->nvhost, &r->busy);
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */

static int bench_usage(void)
{
	fprintf(stderr,
		"usage: vscsi bench [--queues Q] [--qd D] [--bs B]\n"
		"        [--rw read|write|tur] [--count N] [--warmup M]\n"
		"        [--lun L] [--target T] [--ring R] [--refill]\n"
		"        [--label S] [--threads] [--perf-ctl FIFO] [--dev PATH]\n"
		"        WWPN\n"
		"  One JSON object on stdout.  Defaults: 1 queue, QD 1, 4096 B\n"
		"  reads, 10000 I/Os after 1000 warm-up, ring 128, LUN 0.\n"
		"  WWPN may also come from $VSCSI_WWPN.\n"
		"usage: vscsi memprobe [--queues Q] [--ring R] [--label S]\n"
		"        [--dev PATH] WWPN\n"
		"  Memory one device costs, stage by stage, as JSON.\n");
	return 2;
}

static int parse_rw(const char *s, enum bench_rw *rw)
{
	if (!strcmp(s, "read"))
		*rw = RW_READ;
	else if (!strcmp(s, "write"))
		*rw = RW_WRITE;
	else if (!strcmp(s, "tur"))
		*rw = RW_TUR;
	else
		return -1;
	return 0;
}

static int bench_parse(struct bench_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "queues", 1, NULL, 'q' }, { "qd", 1, NULL, 'D' },
		{ "bs", 1, NULL, 'b' }, { "rw", 1, NULL, 'w' },
		{ "count", 1, NULL, 'n' }, { "warmup", 1, NULL, 'W' },
		{ "lun", 1, NULL, 'l' }, { "target", 1, NULL, 't' },
		{ "ring", 1, NULL, 'r' }, { "refill", 0, NULL, 'R' },
		{ "label", 1, NULL, 'L' }, { "dev", 1, NULL, 'd' },
		{ "threads", 0, NULL, 'T' }, { "help", 0, NULL, 'h' },
		{ "perf-ctl", 1, NULL, 'P' }, { NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q': o->queues = strtoul(optarg, NULL, 0); break;
		case 'D': o->qd = strtoul(optarg, NULL, 0); break;
		case 'b': o->bs = strtoul(optarg, NULL, 0); break;
		case 'w': if (parse_rw(optarg, &o->rw)) return -1; break;
		case 'n': o->count = strtoull(optarg, NULL, 0); break;
		case 'W': o->warmup = strtoull(optarg, NULL, 0); break;
		case 'l': o->lun = strtoul(optarg, NULL, 0); break;
		case 't': o->target = strtoul(optarg, NULL, 0); break;
		case 'r': o->ring = strtoul(optarg, NULL, 0); break;
		case 'R': o->refill = true; break;
		case 'T': o->threads = true; break;
		case 'L': o->label = optarg; break;
		case 'P': o->perf_ctl = optarg; break;
		case 'd': o->dev_path = optarg; break;
		default: return -1;
		}
	}
	if (optind < argc)
		o->wwpn = argv[optind++];
	if (!o->wwpn)
		o->wwpn = getenv("VSCSI_WWPN");
	return 0;
}

static int bench_check(struct bench *b)
{
	struct bench_opts *o = &b->o;
	unsigned int pages = (o->bs + BENCH_PAGE - 1) / BENCH_PAGE;

	if (!o->wwpn || !o->queues || o->queues > 64 || !o->qd ||
	    o->qd > o->ring || o->ring > 32768 || !o->count)
		return -1;
	if (o->rw != RW_TUR && (!o->bs || o->bs % 512 || 2 + pages > BENCH_MAX_SEGS))
		return -1;
	b->nsegs = o->rw == RW_TUR ? 2 : 2 + pages;
	b->blocks = o->bs / 512;
	b->span_blocks = BENCH_SPAN_BYTES / 512;
	return 0;
}

int vscsi_bench_main(int argc, char **argv)
{
	static struct bench b;
	static struct bench_result r;

	b.o = (struct bench_opts){ .queues = 1, .qd = 1, .bs = 4096,
		.ring = VSCSI_DEFAULT_QUEUE_SIZE, .rw = RW_READ,
		.count = 10000, .warmup = 1000, .target = 1 };
	if (bench_parse(&b.o, argc, argv) || bench_check(&b))
		return bench_usage();
	r.err = bench_setup(&b);
	if (!r.err)
		measure(&b, &r);
	report(&b, &r);
	vscsi_dev_close(b.dev);
	if (r.err)
		fprintf(stderr, "vscsi bench: %s\n", strerror(-r.err));
	return r.err || r.c.errors ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* vscsi memprobe: what one device costs the host, stage by stage      */

struct meminfo {
	long long avail_kib, slab_kib, vmalloc_kib;
};

static const char *const probe_stage[] = {
	"open", "set_owner", "vrings", "set_endpoint", "close",
};

#define PROBE_STAGES (sizeof(probe_stage) / sizeof(probe_stage[0]))

/* Fold the per-CPU vmstat deltas in first, so the totals are exact. */
static void meminfo_read(struct meminfo *m)
{
	char buf[8192], *p;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			m->avail_kib = 0;	/* best effort */
		close(fd);
	}
	memset(m, 0, sizeof(*m));
	if (read_file("/proc/meminfo", buf, sizeof(buf)))
		return;
	p = strstr(buf, "MemAvailable:");
	if (p)
		sscanf(p, "MemAvailable: %lld", &m->avail_kib);
	p = strstr(buf, "\nSlab:");
	if (p)
		sscanf(p, "\nSlab: %lld", &m->slab_kib);
	p = strstr(buf, "VmallocUsed:");
	if (p)
		sscanf(p, "VmallocUsed: %lld", &m->vmalloc_kib);
}

struct probe {
	const char *wwpn, *dev_path;
	unsigned int queues, ring;
	struct meminfo base, at[PROBE_STAGES];
	unsigned int reached;		/* stages measured, close included */
	const char *failed;		/* stage that failed, or NULL */
	int err;
	uint64_t ring_kib;		/* guest RAM the rings touched */
};

/* Up to and including SET_ENDPOINT; stops at the first failure. */
static struct vscsi_dev *probe_open(struct probe *p)
{
	struct vscsi_ring_layout lay;
	struct vscsi_dev *dev = calloc(1, sizeof(*dev));
	uint64_t offered, mem;
	unsigned int s = 0;

	if (!dev)
		return NULL;
	dev->cdb_size = VSCSI_CDB_SIZE;
	vscsi_ring_layout(p->ring, BENCH_PAGE, &lay);
	p->ring_kib = (uint64_t)(p->queues + 2) * ((lay.total + 4095) & ~4095ULL) / 1024;
	mem = (p->ring_kib * 1024 + (1 << 20) + 4095) & ~4095ULL;
	dev->fd = open(p->dev_path ? p->dev_path : VSCSI_DEFAULT_PATH,
		       O_RDWR | O_CLOEXEC);
	p->err = dev->fd < 0 ? -errno : 0;
	if (!p->err) {
		meminfo_read(&p->at[s++]);
		p->err = ioctl(dev->fd, VHOST_SET_OWNER, NULL) ? -errno : 0;
	}
	if (!p->err) {
		meminfo_read(&p->at[s++]);
		p->err = vscsi_get_features(dev, &offered);
	}
	if (!p->err)
		p->err = vscsi_set_features(dev, offered & VSCSI_DEFAULT_FEATURES);
	if (!p->err)
		p->err = vscsi_set_mem(dev, mem);
	if (!p->err)
		p->err = vscsi_setup_vqs(dev, p->queues, p->ring);
	if (!p->err) {
		meminfo_read(&p->at[s++]);
		p->err = vscsi_set_endpoint(dev, p->wwpn);
	}
	if (!p->err)
		meminfo_read(&p->at[s++]);
	else
		p->failed = probe_stage[s];
	p->reached = s;
	return dev;
}

static void probe_report(const struct probe *p, const char *label)
{
	const char *sep = "";
	unsigned int i;

	printf("{\"tool\":\"vscsi-memprobe\",\"label\":\"%s\",\"queues\":%u,"
	       "\"ring\":%u,\"ring_kib\":%" PRIu64 ",\"status\":\"%s\","
	       "\"failed_at\":\"%s\",\"stages\":{",
	       label ? label : "", p->queues, p->ring, p->ring_kib,
	       p->err ? strerror(-p->err) : "ok", p->failed ? p->failed : "");
	for (i = 0; i < PROBE_STAGES; i++) {
		const struct meminfo *m = &p->at[i];
		bool have = i < p->reached || i == PROBE_STAGES - 1;

		if (!have)
			continue;
		printf("%s\"%s\":{\"avail_kib\":%lld,\"slab_kib\":%lld,"
		       "\"vmalloc_kib\":%lld}", sep, probe_stage[i],
		       p->base.avail_kib - m->avail_kib,
		       m->slab_kib - p->base.slab_kib,
		       m->vmalloc_kib - p->base.vmalloc_kib);
		sep = ",";
	}
	printf("}}\n");
}

/*
 * vscsi memprobe [--queues Q] [--ring R] [--label S] [--dev PATH] WWPN:
 * deltas against the moment before open(), in KiB; avail_kib is the drop
 * in MemAvailable (positive = memory used).  The rings' own pages in our
 * guest RAM (ring_kib) are part of the vrings figure.
 */
int vscsi_memprobe_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "queues", 1, NULL, 'q' }, { "ring", 1, NULL, 'r' },
		{ "label", 1, NULL, 'L' }, { "dev", 1, NULL, 'd' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct probe p = { .queues = 1, .ring = VSCSI_DEFAULT_QUEUE_SIZE };
	const char *label = NULL;
	struct vscsi_dev *dev;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'q': p.queues = strtoul(optarg, NULL, 0); break;
		case 'r': p.ring = strtoul(optarg, NULL, 0); break;
		case 'L': label = optarg; break;
		case 'd': p.dev_path = optarg; break;
		default: return bench_usage();
		}
	}
	p.wwpn = optind < argc ? argv[optind] : getenv("VSCSI_WWPN");
	if (!p.wwpn || !p.queues || p.queues > 1024 ||
	    vscsi_ring_layout(p.ring, BENCH_PAGE, &(struct vscsi_ring_layout){}))
		return bench_usage();
	meminfo_read(&p.base);
	dev = probe_open(&p);
	if (!dev)
		return 1;
	if (dev->fd >= 0)
		vscsi_dev_close(dev);
	else
		free(dev);
	usleep(200 * 1000);	/* RCU-deferred frees */
	meminfo_read(&p.at[PROBE_STAGES - 1]);
	probe_report(&p, label);
	return p.err ? 1 : 0;
}
