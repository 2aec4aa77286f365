// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi-test: the request queues' own threads (module parameter workers,
 * drivers/vhost/scsi_worker.c).
 *
 * - workers_threads_owner_cgroup: with two request queues there are two
 *   threads named vhost-<our pid>-q0/-q1, in our cgroup (a fresh one made
 *   for the case, so a thread left in the root cgroup shows), run
 *   SCHED_BATCH (scsi_worker.c: a completion must not preempt the
 *   target core's kworker), and are gone after CLEAR_ENDPOINT;
 * - workers_queue_blocked_other_progresses: queue 0's thread is held in a
 *   page fault (the READ's data page is registered with userfaultfd and
 *   not resolved; on a kernel without userfaultfd, such as the debug
 *   lane's, the page is a private mapping of the slow LUN's dm-delay
 *   device, whose first read takes VSCSI_SLOW_MS) while a TUR on queue 1
 *   must still be answered at once;
 * - workers_teardown_inflight_modes: close with slow READs in flight on
 *   both queues, in each mode (per queue, one per device, the core's
 *   worker), and no thread of ours outlives the close.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "vscsi-test.h"

#define WK_PARAM	"/sys/module/vhost_scsi/parameters/workers"
#define WK_CGROOT	"/sys/fs/cgroup"
#define WK_CG		WK_CGROOT "/vscsi-test-workers"
#define WK_PAGE		4096u
#define WK_MAX_THREADS	8
#define WK_TUR_MS	1000	/* a TUR on an idle queue, even under TCG */
#define WK_SLOW_DEV	"/dev/mapper/slow"	/* setup-targets.sh */
#define WK_SLOW_OFF	(32u << 20)	/* a page no LUN case reads */

/*
 * Set vhost_scsi's workers parameter (read at SET_ENDPOINT); the previous
 * value in *@old if given.  -errno (Debian's module has no such one).
 */
int workers_param_set(int val, int *old)
{
	FILE *f = fopen(WK_PARAM, "r+");
	int ret;

	if (!f)
		return -errno;
	if (old && fscanf(f, "%d", old) != 1)
		*old = -1;
	rewind(f);
	ret = fprintf(f, "%d\n", val) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static int wk_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/*
 * Our request-queue threads: kthreads whose name starts with
 * vhost-<our pid>-q or -w.  Their pids into @pids (up to WK_MAX_THREADS).
 */
static unsigned int wk_threads(pid_t *pids)
{
	char prefix[32], path[64], comm[64];
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "vhost-%d-", (int)getpid());
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		if (wk_read_file(path, comm, sizeof(comm)))
			continue;
		if (strncmp(comm, prefix, strlen(prefix)) ||
		    (comm[strlen(prefix)] != 'q' && comm[strlen(prefix)] != 'w'))
			continue;
		if (n < WK_MAX_THREADS && pids)
			pids[n] = pid;
		n++;
	}
	closedir(d);
	return n;
}

/* Move this process into @dir's cgroup.procs. */
static int wk_cg_enter(const char *dir)
{
	char path[128], pid[16];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, pid, strlen(pid)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A cgroup v2 directory of our own, this process in it. */
static int wk_cg_setup(struct tctx *t)
{
	struct stat st;
	int ret;

	if (stat(WK_CGROOT "/cgroup.procs", &st) &&
	    mount("cgroup2", WK_CGROOT, "cgroup2", 0, NULL))
		return tfail(t, "expected cgroup2 at %s, got %s", WK_CGROOT,
			     err_name(-errno));
	if (mkdir(WK_CG, 0755) && errno != EEXIST)
		return tfail(t, "expected %s made, got %s", WK_CG,
			     err_name(-errno));
	ret = wk_cg_enter(WK_CG);
	return ret ? tfail(t, "expected to enter %s, got %s", WK_CG,
			   err_name(ret)) : T_PASS;
}

static void wk_cg_cleanup(void)
{
	wk_cg_enter(WK_CGROOT);
	rmdir(WK_CG);
}

/* Every thread in @pids is in our cgroup (same /proc/PID/cgroup). */
static int wk_same_cgroup(struct tctx *t, const pid_t *pids, unsigned int n)
{
	char mine[512], theirs[512], path[64];
	unsigned int i;

	if (wk_read_file("/proc/self/cgroup", mine, sizeof(mine)))
		return tfail(t, "expected /proc/self/cgroup readable");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pids[i]);
		if (wk_read_file(path, theirs, sizeof(theirs)))
			return tfail(t, "expected %s readable", path);
		if (strcmp(mine, theirs))
			return tfail(t, "expected thread %d in our cgroup "
				     "%.60s, got %.60s", (int)pids[i], mine,
				     theirs);
	}
	return T_PASS;
}

/* Every thread in @pids runs SCHED_BATCH. */
static int wk_batch_policy(struct tctx *t, const pid_t *pids, unsigned int n)
{
	unsigned int i;
	int p;

	for (i = 0; i < n; i++) {
		p = sched_getscheduler(pids[i]);
		if (p != SCHED_BATCH)
			return tfail(t, "expected thread %d SCHED_BATCH (%d), got %d",
				     (int)pids[i], SCHED_BATCH, p);
	}
	return T_PASS;
}

static int wk_threads_body(struct tctx *t)
{
	struct vscsi_opts opts = { .req_queues = 2 };
	pid_t pids[WK_MAX_THREADS];
	unsigned int n;
	int ret;

	ret = wk_cg_setup(t);
	if (ret)
		goto out;
	ret = fix_attach(t, &opts);
	if (ret)
		goto out;
	n = wk_threads(pids);
	if (n != 2) {
		ret = tfail(t, "expected 2 threads vhost-%d-q*, got %u",
			    (int)getpid(), n);
		goto out;
	}
	ret = wk_same_cgroup(t, pids, n);
	if (!ret)
		ret = wk_batch_policy(t, pids, n);
	if (!ret)
		ret = run_tur(t, vscsi_req_vq(t->dev, 0), "TUR on queue 0");
	if (!ret)
		ret = run_tur(t, vscsi_req_vq(t->dev, 1), "TUR on queue 1");
	if (ret)
		goto out;
	vscsi_dev_close(t->dev);
	t->dev = NULL;
	n = wk_threads(NULL);
	if (n)
		ret = tfail(t, "expected no thread of ours after close, got %u",
			    n);
out:
	wk_cg_cleanup();
	return ret;
}

/* ---- one queue held in a page fault, the other answering ---- */

struct wk_uffd_read {
	int uffd;
	bool slow_map;		/* the page maps WK_SLOW_DEV, no userfaultfd */
	uint64_t gpa, hdr, resp;
	uint32_t hdr_len;
	int head;
};

/*
 * Without userfaultfd: put a private mapping of the dm-delay device, not
 * in the page cache, under the guest page.  Pinning it for writing reads
 * it first, which dm-delay holds for VSCSI_SLOW_MS; then it is an
 * ordinary private copy.
 */
static int wk_slow_page(struct tctx *t, struct wk_uffd_read *r, void *p)
{
	int fd = open(WK_SLOW_DEV, O_RDONLY | O_CLOEXEC);
	void *m;

	if (fd < 0)
		return tfail(t, "expected userfaultfd or %s to hold a page "
			     "fault, got neither (%s)", WK_SLOW_DEV,
			     err_name(-errno));
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	m = mmap(p, WK_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		 fd, WK_SLOW_OFF);
	close(fd);
	if (m != p)
		return tfail(t, "expected %s mapped over the guest page, got %s",
			     WK_SLOW_DEV, err_name(-errno));
	r->slow_map = true;
	return T_PASS;
}

/*
 * An untouched guest page that faults to us (userfaultfd, missing), or
 * to the slow device (wk_slow_page).
 */
static int wk_uffd_page(struct tctx *t, struct wk_uffd_read *r)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	r->gpa = vscsi_mem_alloc_untouched(&t->dev->mem, WK_PAGE);
	if (!r->gpa)
		return tfail(t, "expected a guest page, got none");
	r->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (r->uffd < 0 && errno == ENOSYS)
		return wk_slow_page(t, r, vscsi_mem_ptr(&t->dev->mem, r->gpa,
							WK_PAGE));
	if (r->uffd < 0)
		return tfail(t, "expected a userfaultfd, got %s",
			     err_name(-errno));
	if (ioctl(r->uffd, UFFDIO_API, &api))
		return tfail(t, "expected UFFDIO_API, got %s", err_name(-errno));
	reg.range.start = (uintptr_t)vscsi_mem_ptr(&t->dev->mem, r->gpa,
						   WK_PAGE);
	reg.range.len = WK_PAGE;
	if (ioctl(r->uffd, UFFDIO_REGISTER, &reg))
		return tfail(t, "expected UFFDIO_REGISTER, got %s",
			     err_name(-errno));
	return T_PASS;
}

/* A 4 KiB READ of LUN 0 into that page, on request queue 0. */
static int wk_uffd_submit(struct tctx *t, struct wk_uffd_read *r)
{
	struct vscsi_mem *mem = &t->dev->mem;
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	struct vscsi_seg segs[3];
	uint8_t *h;

	r->hdr_len = VSCSI_REQ_FIXED_SIZE + t->dev->cdb_size;
	r->hdr = vscsi_mem_alloc(mem, r->hdr_len, 64);
	r->resp = vscsi_mem_alloc(mem, VSCSI_RESP_SIZE, 64);
	if (!r->hdr || !r->resp)
		return tfail(t, "expected guest memory, got none");
	h = vscsi_mem_ptr(mem, r->hdr, r->hdr_len);
	memset(h, 0, r->hdr_len);
	vscsi_lun_encode(h, t->cfg->target, lun0(t));
	h[8] = 0x77;			/* tag */
	scsi_cdb_read10(h + VSCSI_REQ_FIXED_SIZE, 0, WK_PAGE / 512);
	segs[0] = (struct vscsi_seg){ r->hdr, r->hdr_len, false };
	segs[1] = (struct vscsi_seg){ r->resp, VSCSI_RESP_SIZE, true };
	segs[2] = (struct vscsi_seg){ r->gpa, WK_PAGE, true };
	r->head = vscsi_vq_add(vq, segs, 3, false, NULL);
	if (r->head < 0)
		return tfail(t, "expected the READ queued, got %s",
			     err_name(r->head));
	vscsi_vq_kick(vq);
	return T_PASS;
}

/* A thread of ours sleeping uninterruptibly (the slow page's read). */
static bool wk_thread_in_d(void)
{
	pid_t pids[WK_MAX_THREADS];
	unsigned int i, n = wk_threads(pids);
	char path[64], buf[512], *p;

	for (i = 0; i < n && i < WK_MAX_THREADS; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
		if (wk_read_file(path, buf, sizeof(buf)))
			continue;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'D')
			return true;
	}
	return false;
}

/* Wait until the device's thread faults on the page. */
static int wk_uffd_wait_fault(struct tctx *t, struct wk_uffd_read *r)
{
	struct pollfd pfd = { .fd = r->uffd, .events = POLLIN };
	struct uffd_msg msg;
	long long end = now_ms() + 5000;

	if (r->slow_map) {
		while (!wk_thread_in_d()) {
			if (now_ms() > end)
				return tfail(t, "expected queue 0's thread "
					     "waiting on the slow page within "
					     "5000 ms, it never was");
			usleep(1000);
		}
		return T_PASS;
	}
	if (poll(&pfd, 1, 5000) != 1 ||
	    read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return tfail(t, "expected the READ's page fault within 5000 "
			     "ms, got none");
	return T_PASS;
}

/* Let the fault go (a zero page) and collect the READ. */
static int wk_uffd_release(struct tctx *t, struct wk_uffd_read *r, int ret)
{
	struct uffdio_zeropage zp = { 0 };
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	struct vscsi_result res;
	uint32_t used;

	zp.range.start = (uintptr_t)vscsi_mem_ptr(&t->dev->mem, r->gpa,
						  WK_PAGE);
	zp.range.len = WK_PAGE;
	if (r->uffd >= 0)
		ioctl(r->uffd, UFFDIO_ZEROPAGE, &zp);
	if (r->head >= 0) {
		if (vscsi_vq_wait(vq, r->head, VSCSI_DEFAULT_TIMEOUT_MS))
			return ret ? ret : tfail(t, "expected the READ answered "
						 "once its page was there");
		vscsi_vq_collect(vq, r->head, &used);
		vscsi_resp_parse(vscsi_mem_ptr(&t->dev->mem, r->resp,
					       VSCSI_RESP_SIZE), &res);
		if (!ret && (res.response || res.status))
			ret = tfail(t, "expected the READ answered GOOD, got "
				    "%s status 0x%02x",
				    vscsi_response_name(res.response),
				    res.status);
	}
	if (r->uffd >= 0)
		close(r->uffd);
	if (r->slow_map)	/* anonymous memory again, like the rest */
		mmap((void *)(uintptr_t)zp.range.start, WK_PAGE,
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	return ret;
}

static int wk_blocked_body(struct tctx *t)
{
	struct vscsi_opts opts = { .req_queues = 2 };
	struct wk_uffd_read r = { .uffd = -1, .head = -1 };
	struct vscsi_req tur = { 0 };
	struct vscsi_cmd cmd;
	long long start, took = -1;
	uint8_t cdb[6];
	int ret, err;

	ret = fix_attach(t, &opts);
	if (!ret)
		ret = wk_uffd_page(t, &r);
	if (!ret)
		ret = wk_uffd_submit(t, &r);
	if (!ret)
		ret = wk_uffd_wait_fault(t, &r);
	if (ret)
		return r.uffd >= 0 || r.slow_map ?
		       wk_uffd_release(t, &r, ret) : ret;
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = scsi_cdb_tur(cdb);
	start = now_ms();
	err = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, 1), &tur, &cmd,
			       true);
	if (!err) {
		err = vscsi_req_wait(t->dev, &tur, WK_TUR_MS);
		took = now_ms() - start;
	}
	if (err)
		ret = tfail(t, "expected a TUR on queue 1 answered within %d "
			    "ms while queue 0 waits on a page fault, got %s",
			    WK_TUR_MS, err_name(err));
	else
		tnote(t, "TUR on queue 1 answered in %lld ms", took);
	ret = wk_uffd_release(t, &r, ret);
	if (err && tur.submitted && !tur.completed &&
	    vscsi_req_wait(t->dev, &tur, VSCSI_DEFAULT_TIMEOUT_MS))
		vscsi_req_abandon(&tur);
	return ret;
}

/*
 * Run @body with one thread per request queue (workers=-1), whatever the
 * module's default, and put the parameter back.
 */
static int wk_per_queue(struct tctx *t, int (*body)(struct tctx *t))
{
	int old, ret, err = workers_param_set(-1, &old);

	if (err)
		return tfail(t, "expected vhost_scsi's workers parameter "
			     "writable, got %s", err_name(err));
	ret = body(t);
	workers_param_set(old, NULL);
	return ret;
}

static int wk_threads_case(struct tctx *t)
{
	return wk_per_queue(t, wk_threads_body);
}

static int wk_blocked_case(struct tctx *t)
{
	return wk_per_queue(t, wk_blocked_body);
}

/* ---- closing with I/O in flight, in each mode ---- */

#define WK_READS	4	/* slow READs per queue */

struct wk_mode {
	int param;
	unsigned int threads;	/* ours, with two request queues */
};

static const struct wk_mode wk_modes[] = {
	{ -1, 2 }, { 1, 1 }, { 0, 0 },
};

static int wk_close_inflight(struct tctx *t, const struct wk_mode *m)
{
	struct vscsi_opts opts = { .req_queues = 2 };
	uint8_t cdb[2][WK_READS][16], data[2][WK_READS][512];
	struct vscsi_req reqs[2][WK_READS];
	struct vscsi_cmd cmd;
	unsigned int q, i, n;
	long long start, took;
	int ret = fix_attach(t, &opts);

	n = ret ? 0 : wk_threads(NULL);
	if (!ret && n != m->threads)
		ret = tfail(t, "expected %u threads with workers=%d, got %u",
			    m->threads, m->param, n);
	for (q = 0; !ret && q < 2; q++)
		for (i = 0; !ret && i < WK_READS; i++) {
			cmd_init(t, &cmd, t->cfg->slow_lun);
			cmd.cdb = cdb[q][i];
			cmd.cdb_len = scsi_cdb_read10(cdb[q][i], q * 64 + i, 1);
			cmd.data_in = data[q][i];
			cmd.data_in_len = 512;
			ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, q),
					       &reqs[q][i], &cmd, true);
			if (ret)
				ret = tfail(t, "expected READ submitted, got %s",
					    err_name(ret));
		}
	if (ret)
		return ret;
	usleep(50 * 1000);
	start = now_ms();
	vscsi_dev_close(t->dev);
	t->dev = NULL;
	took = now_ms() - start;
	if (took > (long long)t->cfg->slow_ms + 5000)
		return tfail(t, "expected close with workers=%d within %u ms, "
			     "took %lld ms", m->param, t->cfg->slow_ms + 5000,
			     took);
	n = wk_threads(NULL);
	return n ? tfail(t, "expected no thread of ours after close with "
			 "workers=%d, got %u", m->param, n) : T_PASS;
}

static int wk_teardown_case(struct tctx *t)
{
	unsigned int i;
	int ret = T_PASS, err, old = -1;

	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)");
	for (i = 0; !ret && i < sizeof(wk_modes) / sizeof(wk_modes[0]); i++) {
		err = workers_param_set(wk_modes[i].param, i ? NULL : &old);
		if (err)
			ret = tfail(t, "expected %s writable, got %s", WK_PARAM,
				    err_name(err));
		else
			ret = wk_close_inflight(t, &wk_modes[i]);
	}
	workers_param_set(old, NULL);
	return ret ? ret : fix_slow(t);
}

const struct tcase workers_cases[] = {
	{ "workers_threads_owner_cgroup", wk_threads_case },
	{ "workers_queue_blocked_other_progresses", wk_blocked_case },
	{ "workers_teardown_inflight_modes", wk_teardown_case },
	{ NULL, NULL },
};
