// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a device to its TPGs (SET_ENDPOINT / CLEAR_ENDPOINT), against an
 * admin changing the fabric at the same time and against a client whose
 * queues cannot all be served:
 *
 *  - bind_stress_lun_link, bind_stress_tpg_churn: SET/CLEAR_ENDPOINT in a
 *    loop while another thread links and unlinks a LUN (the fabric's
 *    port_link callback runs under the LUN directory's inode lock), or
 *    makes and removes a second TPG with a nexus: no call hangs, each
 *    returns what it may, and the end state is sound.  Without lockdep the
 *    first finds the lock-order inversion between SET_ENDPOINT and a LUN
 *    link only if it really deadlocks;
 *  - nexus_drop_right_after_clear: commands in flight, CLEAR_ENDPOINT,
 *    then the nexus dropped and made again at once, and I/O through it;
 *  - endpoint_set_fault_on_last_queue: SET_ENDPOINT failing on the last
 *    request queue while the first one already holds requests.  Last in
 *    the table: a module that serves the first queue before checking the
 *    last frees commands the target core still runs, and may oops.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vscsi-test.h"

#define STRESS_MS		15000	/* how long the threads run */
#define STRESS_OP_LIMIT_MS	15000	/* one call taking longer is a hang */
#define STRESS_QUEUE_SIZE	16	/* small pools: more binds per second */
#define STRESS_TPG		3	/* the TPG made and removed */
#define STRESS_LUN_OFF		5	/* hotplug LUN: VSCSI_HOTPLUG_LUN + 5 */
#define STRESS_NEXUS		"naa.5001405000000ee9"
#define EVT_BUFFERS		8
#define EVT_QUIET_MS		300
#define EVT_TIMEOUT_MS		5000
#define SETTLE_MS		200	/* for submitted commands to reach LIO */
#define FAULT_STALL_MS		500	/* the used-ring fault is held this long */
#define PAGE			4096

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */

/* Run @cdb on @lun until it answers other than a unit attention. */
static int run_settled(struct tctx *t, unsigned int lun, const uint8_t *cdb,
		       size_t cdb_len, void *in, uint32_t in_len,
		       struct vscsi_result *res)
{
	struct vscsi_cmd cmd;
	unsigned int tries;
	int ret = 0;

	for (tries = 0; tries < 4; tries++) {
		cmd_init(t, &cmd, lun);
		cmd.cdb = cdb;
		cmd.cdb_len = cdb_len;
		cmd.data_in = in;
		cmd.data_in_len = in_len;
		ret = vscsi_cmd_run(t->dev, &cmd, res);
		if (ret || res->response != VIRTIO_SCSI_S_OK ||
		    res->status != SCSI_STATUS_CHECK_CONDITION)
			break;
	}
	return ret;
}

static int tur_settled(struct tctx *t, unsigned int lun, const char *what)
{
	struct vscsi_result res;
	uint8_t cdb[6];
	int ret;

	ret = run_settled(t, lun, cdb, scsi_cdb_tur(cdb), NULL, 0, &res);
	if (ret)
		return tfail(t, "expected %s to complete, got %s", what,
			     err_name(ret));
	return expect_good(t, what, &res);
}

/* Wait for every read still out and expect GOOD; @ret if already failed. */
static int slow_reads_wait(struct tctx *t, struct slow_set *s, int ret)
{
	unsigned int i;

	ret = slow_wait_all(t, s, ret);
	for (i = 0; !ret && i < SLOW_CMDS; i++)
		if (s->req[i].completed)
			ret = expect_good(t, "READ on the slow LUN",
					  &s->req[i].res);
	return ret;
}

static int fix_slow_attach(struct tctx *t, const struct vscsi_opts *opts)
{
	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)");
	return fix_attach(t, opts);
}

/* ------------------------------------------------------------------ */
/* SET/CLEAR_ENDPOINT against LUN links and TPG removal                */

struct stress;

/* One thread of the stress; it fails alone, into its own @msg. */
struct stress_thread {
	struct stress *st;
	void *(*fn)(void *);
	pthread_t thread;
	const char *op;		/* the call in progress, for a hang report */
	long long op_start;	/* ms, 0 when between calls */
	unsigned long ops;
	bool done;
	bool failed;
	char msg[256];
};

enum { STRESS_ENDPOINT, STRESS_LUN, STRESS_TPG_CHURN, STRESS_THREADS };

struct stress {
	struct tctx *t;
	bool stop;
	bool runs[STRESS_THREADS];
	struct stress_thread th[STRESS_THREADS];
};

static bool stress_stopped(struct stress_thread *s)
{
	return __atomic_load_n(&s->st->stop, __ATOMIC_ACQUIRE);
}

static void op_begin(struct stress_thread *s, const char *op)
{
	__atomic_store_n(&s->op, op, __ATOMIC_RELAXED);
	__atomic_store_n(&s->op_start, now_ms(), __ATOMIC_RELEASE);
}

/* End the call begun as @s->op; fail the thread unless @ret is allowed. */
static bool op_end(struct stress_thread *s, int ret, int ok1, int ok2)
{
	__atomic_store_n(&s->op_start, 0, __ATOMIC_RELEASE);
	s->ops++;
	if (ret == ok1 || ret == ok2)
		return true;
	snprintf(s->msg, sizeof(s->msg), "expected %s to return %s, got %s",
		 s->op, err_name(ok1), err_name(ret));
	s->failed = true;
	__atomic_store_n(&s->st->stop, true, __ATOMIC_RELEASE);
	return false;
}

static void *stress_endpoint(void *arg)
{
	struct stress_thread *s = arg;
	struct tctx *t = s->st->t;

	while (!stress_stopped(s)) {
		op_begin(s, "SET_ENDPOINT");
		if (!op_end(s, vscsi_set_endpoint(t->dev, t->cfg->wwpn), 0, 0))
			break;
		op_begin(s, "CLEAR_ENDPOINT");
		if (!op_end(s, vscsi_clear_endpoint(t->dev, t->cfg->wwpn), 0,
			    0))
			break;
	}
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *stress_lun(void *arg)
{
	struct stress_thread *s = arg;
	const struct tconfig *cfg = s->st->t->cfg;
	unsigned int lun = cfg->hotplug_lun + STRESS_LUN_OFF;

	while (!stress_stopped(s)) {
		op_begin(s, "LUN link");
		if (!op_end(s, lio_lun_link(cfg, lun), 0, 0))
			break;
		op_begin(s, "LUN unlink");
		if (!op_end(s, lio_lun_unlink(cfg, lun), 0, 0))
			break;
	}
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Make TPG STRESS_TPG with a nexus and remove it, again and again.  The
 * removal fails with EBUSY while the device is bound (the TPG is pinned);
 * after the stop it is retried until the endpoint thread has let go.
 */
static void *stress_tpg(void *arg)
{
	struct stress_thread *s = arg;
	const struct tconfig *cfg = s->st->t->cfg;
	long long give_up = 0;
	int ret;

	while (!stress_stopped(s)) {
		op_begin(s, "mkdir tpgt_3");
		if (!op_end(s, lio_tpg_add(cfg, STRESS_TPG), 0, 0))
			break;
		op_begin(s, "nexus write on tpgt_3");
		if (!op_end(s, lio_nexus_set(cfg, STRESS_TPG, STRESS_NEXUS),
			    0, 0))
			break;
		do {
			if (stress_stopped(s) && !give_up)
				give_up = now_ms() + STRESS_OP_LIMIT_MS;
			op_begin(s, "rmdir tpgt_3");
			ret = lio_tpg_remove(cfg, STRESS_TPG);
			if (!op_end(s, ret, 0, -EBUSY))
				break;
			if (ret)
				usleep(1000);
		} while (ret && (!give_up || now_ms() < give_up));
		if (ret) {
			if (!s->failed)
				op_end(s, ret, 0, 0);
			break;
		}
	}
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Let the threads run for STRESS_MS, then until they stop.  Return: the
 * thread stuck in one call for over STRESS_OP_LIMIT_MS, or NULL.
 */
static struct stress_thread *stress_watch(struct stress *st)
{
	long long end = now_ms() + STRESS_MS, start;
	unsigned int i, done;

	for (;;) {
		usleep(100 * 1000);
		if (now_ms() > end)
			__atomic_store_n(&st->stop, true, __ATOMIC_RELEASE);
		done = 0;
		for (i = 0; i < STRESS_THREADS; i++) {
			if (!st->runs[i]) {
				done++;
				continue;
			}
			start = __atomic_load_n(&st->th[i].op_start,
						__ATOMIC_ACQUIRE);
			if (start && now_ms() - start > STRESS_OP_LIMIT_MS)
				return &st->th[i];
			done += __atomic_load_n(&st->th[i].done,
						__ATOMIC_ACQUIRE);
		}
		if (done == STRESS_THREADS)
			return NULL;
	}
}

/* Every queued event must be about the stress LUN (or a missed notice). */
static int stress_drain_events(struct tctx *t, unsigned int *n)
{
	uint8_t want[8];
	struct vscsi_event ev;
	uint32_t type;

	vscsi_lun_encode(want, t->cfg->target,
			 t->cfg->hotplug_lun + STRESS_LUN_OFF);
	for (*n = 0; !vscsi_event_get(t->dev, &ev, EVT_QUIET_MS); (*n)++) {
		type = ev.event & ~VIRTIO_SCSI_T_EVENTS_MISSED;
		if (type == VIRTIO_SCSI_T_NO_EVENT &&
		    (ev.event & VIRTIO_SCSI_T_EVENTS_MISSED))
			continue;
		if (type != VIRTIO_SCSI_T_TRANSPORT_RESET ||
		    memcmp(ev.lun, want, sizeof(want)) ||
		    (ev.reason != VIRTIO_SCSI_EVT_RESET_RESCAN &&
		     ev.reason != VIRTIO_SCSI_EVT_RESET_REMOVED))
			return tfail(t, "expected only hotplug events for the "
				     "stress LUN, got event 0x%x reason %u "
				     "for LUN %02x %02x", ev.event, ev.reason,
				     ev.lun[2], ev.lun[3]);
	}
	return T_PASS;
}

/* One more link: its RESCAN arrives, or the device says it missed one. */
static int stress_link_seen(struct tctx *t)
{
	unsigned int lun = t->cfg->hotplug_lun + STRESS_LUN_OFF;
	struct vscsi_event ev;
	uint32_t missed = 0;
	uint8_t want[8];
	int ret;

	vscsi_lun_encode(want, t->cfg->target, lun);
	ret = lio_lun_link(t->cfg, lun);
	if (ret)
		return tfail(t, "expected LUN %u linked, got %s", lun,
			     err_name(ret));
	ret = vscsi_event_get(t->dev, &ev, EVT_TIMEOUT_MS);
	if (!ret && (ev.event & ~VIRTIO_SCSI_T_EVENTS_MISSED) ==
		    VIRTIO_SCSI_T_TRANSPORT_RESET &&
	    ev.reason == VIRTIO_SCSI_EVT_RESET_RESCAN &&
	    !memcmp(ev.lun, want, sizeof(want)))
		ret = T_PASS;
	else if (!vscsi_get_events_missed(t->dev, &missed) && missed)
		ret = T_PASS;
	else
		ret = tfail(t, "expected a RESCAN event for LUN %u or events "
			    "missed set, got %s and missed %u", lun,
			    ret ? err_name(ret) : "another event", missed);
	lio_lun_unlink(t->cfg, lun);
	return ret;
}

/* REPORT LUNS must list the configured LUNs and no other. */
static int stress_luns_as_configured(struct tctx *t)
{
	uint8_t cdb[12], buf[8 + 8 * MAX_LUNS * 2];
	struct vscsi_result res;
	unsigned int i, j, n, lun;
	int ret;

	ret = run_settled(t, lun0(t), cdb, scsi_cdb_report_luns(cdb,
			  sizeof(buf)), buf, sizeof(buf), &res);
	if (ret)
		return tfail(t, "expected REPORT LUNS to complete, got %s",
			     err_name(ret));
	ret = expect_good(t, "REPORT LUNS", &res);
	if (ret)
		return ret;
	n = scsi_get_be32(buf) / 8;
	if (n != t->cfg->nluns)
		return tfail(t, "expected %u LUNs reported, got %u",
			     t->cfg->nluns, n);
	for (i = 0; i < n; i++) {
		lun = scsi_get_be16(buf + 8 + 8 * i) & 0x3fff;
		for (j = 0; j < t->cfg->nluns && t->cfg->luns[j] != lun; j++)
			;
		if (j == t->cfg->nluns)
			return tfail(t, "expected only the configured LUNs "
				     "reported, got LUN %u", lun);
	}
	return T_PASS;
}

static int stress_end_state(struct tctx *t)
{
	unsigned int events;
	int ret;

	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT after the stress to "
			     "return 0, got %s", err_name(ret));
	ret = stress_drain_events(t, &events);
	if (!ret)
		ret = stress_link_seen(t);
	if (!ret)
		ret = stress_luns_as_configured(t);
	if (!ret)
		ret = tur_settled(t, lun0(t), "TUR after the stress");
	if (!ret)
		tnote(t, "%u events were waiting at the end", events);
	if (!ret && (ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn)))
		return tfail(t, "expected CLEAR_ENDPOINT after the stress to "
			     "return 0, got %s", err_name(ret));
	if (!ret && (ret = lio_tpg_remove(t->cfg, STRESS_TPG)) != -ENOENT)
		return tfail(t, "expected tpgt_%u gone after the stress, got "
			     "rmdir %s", STRESS_TPG, err_name(ret));
	return ret == -ENOENT ? T_PASS : ret;
}

/* Run the endpoint thread and @other for STRESS_MS, then check the end. */
static int bind_stress(struct tctx *t, unsigned int other)
{
	static void *(*const fn[STRESS_THREADS])(void *) = {
		stress_endpoint, stress_lun, stress_tpg,
	};
	struct vscsi_opts opts = { .queue_size = STRESS_QUEUE_SIZE };
	struct stress st = { .t = t };
	struct stress_thread *hung;
	unsigned int i;
	int ret = fix_need_hotplug(t);

	if (!ret)
		ret = fix_device(t, &opts);
	if (ret)
		return ret;
	lio_lun_unlink(t->cfg, t->cfg->hotplug_lun + STRESS_LUN_OFF);
	lio_tpg_remove(t->cfg, STRESS_TPG);
	ret = vscsi_event_post(t->dev, EVT_BUFFERS);
	if (ret)
		return tfail(t, "expected event buffers posted, got %s",
			     err_name(ret));
	st.runs[STRESS_ENDPOINT] = st.runs[other] = true;
	for (i = 0; i < STRESS_THREADS; i++) {
		st.th[i].st = &st;
		if (st.runs[i] &&
		    pthread_create(&st.th[i].thread, NULL, fn[i], &st.th[i]))
			return tfail(t, "expected stress thread %u, got none", i);
	}
	hung = stress_watch(&st);
	if (hung) {
		/* The threads cannot be joined; leave the device to them. */
		t->dev = NULL;
		return tfail(t, "expected every call within %d ms, got %s "
			     "stuck", STRESS_OP_LIMIT_MS, hung->op);
	}
	for (i = 0; i < STRESS_THREADS; i++)
		if (st.runs[i])
			pthread_join(st.th[i].thread, NULL);
	tnote(t, "%lu endpoint and %lu fabric calls", st.th[0].ops,
	      st.th[other].ops);
	for (i = 0; i < STRESS_THREADS; i++)
		if (st.th[i].failed)
			return tfail(t, "%s", st.th[i].msg);
	return stress_end_state(t);
}

static int bind_stress_lun_link(struct tctx *t)
{
	return bind_stress(t, STRESS_LUN);
}

static int bind_stress_tpg_churn(struct tctx *t)
{
	return bind_stress(t, STRESS_TPG_CHURN);
}

/* ------------------------------------------------------------------ */
/* Dropping the nexus right after CLEAR_ENDPOINT                       */

static int nexus_drop_right_after_clear(struct tctx *t)
{
	static struct slow_set s;
	char nexus[256];
	unsigned int i;
	int ret = fix_slow_attach(t, NULL);

	if (ret)
		return ret;
	memset(&s, 0, sizeof(s));
	ret = lio_nexus_get(t->cfg, t->cfg->target, nexus, sizeof(nexus));
	if (ret || !nexus[0])
		return tfail(t, "expected the nexus name, got %s '%s'",
			     err_name(ret), nexus);
	ret = slow_set_submit(t, vscsi_req_vq(t->dev, 0), &s, true);
	if (ret)
		return slow_reads_wait(t, &s, ret);
	usleep(SETTLE_MS * 1000);
	ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return slow_reads_wait(t, &s, tfail(t, "expected CLEAR_ENDPOINT "
				       "to return 0, got %s", err_name(ret)));
	/* CLEAR_ENDPOINT answers what it drained: nothing is left out. */
	for (i = 0; i < SLOW_CMDS; i++)
		if (!vscsi_req_poll(t->dev, &s.req[i]))
			return slow_reads_wait(t, &s, tfail(t, "expected READ "
					       "%u answered by CLEAR_ENDPOINT, "
					       "got it still out", i));
	ret = lio_nexus_set(t->cfg, t->cfg->target, "NULL");
	if (ret)
		return tfail(t, "expected the nexus dropped at once, got %s",
			     err_name(ret));
	ret = lio_nexus_set(t->cfg, t->cfg->target, nexus);
	if (ret)
		return tfail(t, "expected the nexus %s made again, got %s",
			     nexus, err_name(ret));
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT on the new nexus to "
			     "return 0, got %s", err_name(ret));
	ret = tur_settled(t, lun0(t), "TUR on the new nexus");
	if (!ret)
		ret = tur_settled(t, t->cfg->slow_lun,
				  "TUR to the slow LUN on the new nexus");
	if (ret)
		return ret;
	memset(&s, 0, sizeof(s));
	ret = slow_set_submit(t, vscsi_req_vq(t->dev, 0), &s, true);
	return slow_reads_wait(t, &s, ret);
}

/* ------------------------------------------------------------------ */
/* SET_ENDPOINT failing on the last queue                              */

/*
 * A page whose first access from the kernel faults and fails, but only
 * FAULT_STALL_MS after it began: userfaultfd holds the fault while a
 * thread waits, makes the page inaccessible and wakes it.  The stall is
 * what gives a module that already serves earlier queues the time to take
 * their requests.  Without userfaultfd the page is inaccessible at once.
 */
struct stall_page {
	void *addr;
	int uffd;
	pthread_t thread;
	bool faulted;
};

static void *stall_thread(void *arg)
{
	struct stall_page *p = arg;
	struct uffdio_range range = { (uintptr_t)p->addr, PAGE };
	struct pollfd pfd = { .fd = p->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) == 1 &&
	    read(p->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    msg.event == UFFD_EVENT_PAGEFAULT) {
		p->faulted = true;
		usleep(FAULT_STALL_MS * 1000);
	}
	mprotect(p->addr, PAGE, PROT_NONE);
	ioctl(p->uffd, UFFDIO_WAKE, &range);
	return NULL;
}

static int stall_page_init(struct stall_page *p)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	p->uffd = -1;
	p->addr = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->addr == MAP_FAILED)
		return -errno;
	reg.range.start = (uintptr_t)p->addr;
	reg.range.len = PAGE;
	p->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (p->uffd < 0 || ioctl(p->uffd, UFFDIO_API, &api) ||
	    ioctl(p->uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(&p->thread, NULL, stall_thread, p)) {
		if (p->uffd >= 0)
			close(p->uffd);
		p->uffd = -1;
		mprotect(p->addr, PAGE, PROT_NONE);
	}
	return 0;
}

static void stall_page_exit(struct stall_page *p)
{
	if (p->uffd >= 0) {
		pthread_join(p->thread, NULL);
		close(p->uffd);
	}
	munmap(p->addr, PAGE);
}

struct kicker {
	struct vscsi_vq *vq;
	bool stop;
	unsigned long kicks;
};

static void *kick_thread(void *arg)
{
	struct kicker *k = arg;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		vscsi_vq_kick_force(k->vq);
		k->kicks++;
		usleep(1000);
	}
	return NULL;
}

/*
 * SET_ENDPOINT with the last queue's used ring on @page, request queue 0
 * holding reads and kicked all along.  It must fail with -EFAULT.
 */
static int set_endpoint_faulting(struct tctx *t, struct stall_page *page,
				 struct slow_set *s)
{
	struct vscsi_vq *last = vscsi_req_vq(t->dev, 1);
	struct kicker k = { .vq = vscsi_req_vq(t->dev, 0) };
	pthread_t kicker;
	int ret;

	ret = vscsi_vq_set_addr(last, NULL, NULL, page->addr);
	if (ret)
		return tfail(t, "expected the last queue's used ring moved, "
			     "got %s", err_name(ret));
	ret = slow_set_submit(t, k.vq, s, false);
	if (ret)
		return ret;
	if (pthread_create(&kicker, NULL, kick_thread, &k))
		return tfail(t, "expected a kick thread, got none");
	usleep(20 * 1000);
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	usleep(SETTLE_MS * 1000);
	__atomic_store_n(&k.stop, true, __ATOMIC_RELEASE);
	pthread_join(kicker, NULL);
	tnote(t, "%lu kicks; the fault was %s", k.kicks,
	      page->uffd < 0 ? "immediate (no userfaultfd)" :
	      page->faulted ? "held by userfaultfd" : "never taken");
	if (ret != -EFAULT)
		return tfail(t, "expected SET_ENDPOINT with the last used ring "
			     "unmapped to return -EFAULT, got %s",
			     err_name(ret));
	return T_PASS;
}

/*
 * After the failed SET_ENDPOINT no read may be answered early, because no
 * queue may have been served; then, with the ring back, a SET_ENDPOINT
 * serves them all.
 */
static int endpoint_set_fault_on_last_queue(struct tctx *t)
{
	struct vscsi_opts opts = { .req_queues = 2 };
	static struct slow_set s;
	struct stall_page page;
	unsigned int i;
	int ret = fix_slow_attach(t, &opts);

	if (ret)
		return ret;
	memset(&s, 0, sizeof(s));
	ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected CLEAR_ENDPOINT to return 0, got %s",
			     err_name(ret));
	ret = stall_page_init(&page);
	if (ret)
		return tfail(t, "expected a page to fault on, got %s",
			     err_name(ret));
	ret = set_endpoint_faulting(t, &page, &s);
	/* The reads' fate is only known after their latency. */
	usleep(t->cfg->slow_ms * 1000 + SETTLE_MS * 1000);
	for (i = 0; !ret && i < SLOW_CMDS; i++)
		if (s.req[i].submitted && vscsi_req_poll(t->dev, &s.req[i]))
			ret = tfail(t, "expected READ %u left in the ring by "
				    "the failed SET_ENDPOINT, got it answered "
				    "(%s)", i,
				    vscsi_response_name(s.req[i].res.response));
	if (!ret && (ret = vscsi_vq_set_addr(vscsi_req_vq(t->dev, 1), NULL,
					     NULL, NULL)))
		ret = tfail(t, "expected the used ring moved back, got %s",
			    err_name(ret));
	if (!ret && (ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn)))
		ret = tfail(t, "expected SET_ENDPOINT with the ring back to "
			    "return 0, got %s", err_name(ret));
	ret = slow_reads_wait(t, &s, ret);
	stall_page_exit(&page);
	for (i = 0; !ret && i < 2; i++)
		ret = run_tur(t, vscsi_req_vq(t->dev, i), "TUR after the fix");
	return ret;
}

const struct tcase bind_cases[] = {
	{ "bind_stress_lun_link", bind_stress_lun_link },
	{ "bind_stress_tpg_churn", bind_stress_tpg_churn },
	{ "nexus_drop_right_after_clear", nexus_drop_right_after_clear },
	/* Last: the unfixed module may oops here (see the file comment). */
	{ "endpoint_set_fault_on_last_queue",
	  endpoint_set_fault_on_last_queue },
	{ NULL, NULL },
};
