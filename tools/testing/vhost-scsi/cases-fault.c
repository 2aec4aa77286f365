// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every allocation an action makes is failed in turn,
 * through the module's fault points (debugfs vhost_scsi/fail_nth, see
 * drivers/vhost/scsi_fault.c): arm N, run the action, disarm; N = 1, 2, ...
 * until the action passes without reaching its Nth fault point.  After each
 * injected failure the caller must have had a clean error (-ENOMEM) or the
 * guest the spec's answer, and the same action, retried with nothing armed,
 * must work.  Slab must come back near where it was; the debug kernel's
 * kmemleak scan at the end of the run catches smaller leaks.
 *
 * The module's own fault points work on any kernel, so Debian's and the
 * debug kernel run the same sweep; Debian's stock module has none: every
 * case SKIPs there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "vscsi-test.h"

#define FAULT_DIR	"/sys/kernel/debug/vhost_scsi"
#define FAULT_NTH	FAULT_DIR "/fail_nth"
#define FAULT_HITS	FAULT_DIR "/faults"
/* No action here passes more fault points than this. */
#define FAULT_MAX_N	64
/*
 * Unreclaimable slab growth allowed over one sweep, from the end of its
 * first run (one-time allocations of the target core and vhost are made)
 * to the end of its last: per-CPU caches and the kernel's own noise.
 */
#define FAULT_SLAB_KB	256
#define FAULT_SITES	16
#define CFS_VHOST	"/sys/kernel/config/target/vhost"
#define FAULT_WWN	"naa.5001405fa17e0f01"
#define FAULT_I_T	"naa.5001405fa17e0f02"
/* SAM status BUSY: the answer to a command the device had no memory for. */
#define SAM_BUSY	0x08
/* What a command gets when the device has no command for it. */
#define SAM_TASK_SET_FULL	0x28
/* A parameter the fault_op signature has and this step does not need. */
#define UNUSED		__attribute__((unused))

struct fault_hits {
	unsigned int n;
	char name[FAULT_SITES][16];
	long count[FAULT_SITES];
};

static int fault_write(const char *path, long val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", val) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* fail_nth's count still to go, or -errno. */
static long fault_left(void)
{
	FILE *f = fopen(FAULT_NTH, "r");
	long n = -EIO;

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &n) != 1)
		n = -EIO;
	fclose(f);
	return n;
}

static int fault_hits_read(struct fault_hits *h)
{
	FILE *f = fopen(FAULT_HITS, "r");

	if (!f)
		return -errno;
	h->n = 0;
	while (h->n < FAULT_SITES &&
	       fscanf(f, "%15s %ld", h->name[h->n], &h->count[h->n]) == 2)
		h->n++;
	fclose(f);
	return h->n ? 0 : -EIO;
}

/*
 * SUnreclaim in kB (where kmalloc's memory is), -1 if unknown; the per-CPU
 * counters are folded first, or a read shortly after another is stale.
 */
static long fault_slab_kb(void)
{
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	return meminfo_kb("SUnreclaim");
}

/* The module under test has fault points (ours does, stock has none). */
static int fix_fault(struct tctx *t)
{
	if (access(t->cfg->dev_path, F_OK))
		return tskip(t, "%s does not exist (vhost_scsi not loaded)",
			     t->cfg->dev_path);
	if (access(FAULT_NTH, W_OK))
		return tskip(t, "%s: %s (a module without fault points)",
			     FAULT_NTH, strerror(errno));
	return T_PASS;
}

/* "# case: fault: WHAT K failures injected (site k, ...)" */
static void fault_report(struct tctx *t, const char *what, unsigned int k,
			 const struct fault_hits *a, const struct fault_hits *b)
{
	char line[256];
	size_t len = 0;
	unsigned int i;

	line[0] = 0;
	for (i = 0; i < b->n && i < a->n; i++) {
		long d = b->count[i] - a->count[i];

		if (d && len < sizeof(line))
			len += snprintf(line + len, sizeof(line) - len,
					"%s%s %ld", len ? ", " : "",
					b->name[i], d);
	}
	tnote(t, "fault: %s %u failures injected (%s)", what, k, line);
}

/* One armed run of @op, failing its @n-th fault point. */
static int fault_step(struct tctx *t, const struct fault_op *op, int n,
		      bool *injected)
{
	long left;
	int ret, res = 0, err;

	ret = op->prepare ? op->prepare(t) : T_PASS;
	if (ret)
		return ret;
	err = fault_write(FAULT_NTH, n);
	if (err)
		return tfail(t, "expected fail_nth armed, got %s",
			     err_name(err));
	ret = op->run(t, &res);
	left = fault_left();
	err = fault_write(FAULT_NTH, 0);
	if (ret)
		return ret;
	if (left < 0 || err)
		return tfail(t, "expected fail_nth read and disarmed, got %s",
			     err_name(left < 0 ? (int)left : err));
	*injected = !left;
	if (!*injected && res)
		return tfail(t, "%s with fault point %d never reached: expected "
			     "success, got %s", op->what, n, err_name(res));
	if (*injected && res && res != -ENOMEM && res != op->alt_err)
		return tfail(t, "%s with fault point %d failed: expected "
			     "-ENOMEM, got %s", op->what, n, err_name(res));
	return op->after(t, res, *injected);
}

int fault_sweep(struct tctx *t, const struct fault_op *op)
{
	struct fault_hits a, b;
	long slab0 = -1, slab1;
	bool injected = true;
	unsigned int k = 0;
	long long t0 = now_ms();
	int n, ret = fix_fault(t);

	if (ret)
		return ret;
	if (fault_hits_read(&a))
		return tfail(t, "expected %s readable", FAULT_HITS);
	for (n = 1; injected && n <= FAULT_MAX_N; n++) {
		ret = fault_step(t, op, n, &injected);
		if (ret)
			return ret;
		k += injected;
		if (n == 1)
			slab0 = fault_slab_kb();
	}
	if (injected)
		return tfail(t, "expected %s to pass fewer than %d fault "
			     "points, got more", op->what, FAULT_MAX_N);
	if (fault_hits_read(&b))
		return tfail(t, "expected %s readable", FAULT_HITS);
	fault_report(t, op->what, k, &a, &b);
	slab1 = fault_slab_kb();
	tnote(t, "%s: %u runs in %lld ms, SUnreclaim %ld -> %ld kB", op->what,
	      k + 1, now_ms() - t0, slab0, slab1);
	if (!k)
		return tfail(t, "expected %s to pass a fault point, got none",
			     op->what);
	/*
	 * KASAN's quarantine holds freed objects for a while: on a kernel
	 * with kmemleak (the debug kernel) its scan is the leak check.
	 */
	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		return T_PASS;
	if (slab0 < 0 || slab1 - slab0 > FAULT_SLAB_KB)
		return tfail(t, "expected SUnreclaim to grow by at most %d kB "
			     "over the sweep, got %ld -> %ld kB", FAULT_SLAB_KB,
			     slab0, slab1);
	return T_PASS;
}

static void fault_close(struct tctx *t)
{
	vscsi_dev_close(t->dev);
	t->dev = NULL;
}

/* ---- open ---- */

static int fault_open_fd = -1;

static int fault_open_run(struct tctx *t, int *res)
{
	fault_open_fd = open(t->cfg->dev_path, O_RDWR | O_CLOEXEC);
	*res = fault_open_fd < 0 ? -errno : 0;
	return T_PASS;
}

static int fault_open_after(struct tctx *t, int res, bool injected UNUSED)
{
	int fd;

	if (!res) {
		close(fault_open_fd);
		return T_PASS;
	}
	fd = open(t->cfg->dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return tfail(t, "expected open to work again after a failed "
			     "one, got %s", strerror(errno));
	close(fd);
	return T_PASS;
}

static const struct fault_op open_op = {
	.what = "open", .run = fault_open_run,
	.after = fault_open_after,
};

/* ---- SET_ENDPOINT, with one worker thread per queue ---- */

/* TUR on request queue @q, past the unit attentions a new nexus has. */
static int fault_tur(struct tctx *t, unsigned int q, const char *what)
{
	struct vscsi_result res;
	int i, ret = 0;

	for (i = 0; i < 4; i++) {
		ret = tur_on(t, vscsi_req_vq(t->dev, q), lun0(t), &res, NULL);
		if (ret)
			return tfail(t, "expected TUR %s answered, got %s",
				     what, err_name(ret));
		if (res.status != SCSI_STATUS_CHECK_CONDITION)
			break;
	}
	return expect_good(t, what, &res);
}

/*
 * Two request queues; with T10-PI acked (t->arg) each pool chunk also has
 * its inline protection entries.
 */
static int fault_ep_prepare(struct tctx *t)
{
	struct vscsi_opts o = { .req_queues = 2 };
	int ret = fix_need_wwpn(t);

	if (t->arg) {
		o.features_given = true;
		o.features = VSCSI_DEFAULT_FEATURES |
			     1ULL << VIRTIO_SCSI_F_T10_PI;
	}
	return ret ? ret : fix_device(t, &o);
}

static int fault_ep_run(struct tctx *t, int *res)
{
	*res = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	return T_PASS;
}

static int fault_ep_after(struct tctx *t, int res, bool injected UNUSED)
{
	int ret;

	if (res) {
		ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
		if (ret) {
			tfail(t, "expected SET_ENDPOINT to work on retry after "
			      "%s, got %s", err_name(res), err_name(ret));
			fault_close(t);
			return T_FAIL;
		}
	}
	ret = fault_tur(t, 0, "after SET_ENDPOINT");
	if (!ret)
		ret = fault_tur(t, 1, "on queue 1");
	fault_close(t);
	return ret;
}

static int fault_set_endpoint(struct tctx *t)
{
	static const struct fault_op op = {
		.what = "SET_ENDPOINT", .prepare = fault_ep_prepare,
		.run = fault_ep_run, .after = fault_ep_after,
	};
	static const struct fault_op op_pi = {
		.what = "SET_ENDPOINT with T10-PI", .prepare = fault_ep_prepare,
		.run = fault_ep_run, .after = fault_ep_after,
	};
	int old, err = workers_param_set(-1, &old);
	int ret;

	if (err)
		return tskip(t, "workers parameter not writable: %s",
			     err_name(err));
	ret = fault_sweep(t, t->arg ? &op_pi : &op);
	workers_param_set(old, NULL);
	return ret;
}

/* ---- RESET_OWNER ---- */

static int fault_owner_prepare(struct tctx *t)
{
	return fix_attach(t, NULL);
}

static int fault_owner_run(struct tctx *t, int *res)
{
	*res = ioctl(t->dev->fd, VHOST_RESET_OWNER) ? -errno : 0;
	return T_PASS;
}

static int fault_owner_after(struct tctx *t, int res, bool injected UNUSED)
{
	int ret = T_PASS;

	/* A failed RESET_OWNER changed nothing: the device still serves. */
	if (res)
		ret = run_tur(t, vscsi_req_vq(t->dev, 0),
			      "after a failed RESET_OWNER");
	if (!ret && res && ioctl(t->dev->fd, VHOST_RESET_OWNER))
		ret = tfail(t, "expected RESET_OWNER to work on retry, got %s",
			    strerror(errno));
	fault_close(t);
	return ret;
}

static const struct fault_op owner_op = {
	.what = "RESET_OWNER", .prepare = fault_owner_prepare,
	.run = fault_owner_run, .after = fault_owner_after,
};

/* ---- I/O mapping ---- */

static int fault_io_prepare(struct tctx *t)
{
	return t->dev ? T_PASS : fix_attach(t, NULL);
}

/* The shape the sweep sends: INQUIRY if set, else READ(10). */
static bool fault_io_inquiry;

/*
 * READ(10) of 4 KiB cut every 64 bytes, response included: more entries
 * than a command holds inline (a scatterlist chunk) and a split response
 * (its iovecs); or INQUIRY cut at odd offsets (bounce pages and their
 * iovecs).
 */
static int fault_io_cmd(struct tctx *t, bool inquiry, struct vscsi_result *r)
{
	static uint8_t buf[4096];
	struct vscsi_split sp = { .mode = VSCSI_SPLIT_EVERY, .every = 64,
				  .indirect = true };
	struct vscsi_cmd cmd;
	uint8_t cdb[16];

	if (inquiry) {
		cmd_init(t, &cmd, lun0(t));
		cmd.cdb = cdb;
		cmd.cdb_len = scsi_cdb_inquiry(cdb, false, 0, 255);
		cmd.data_in = buf;
		cmd.data_in_len = 255;
		sp.every = 7;
	} else {
		read10_cmd_init(t, &cmd, lun0(t), cdb, 0, 8, buf, sizeof(buf));
	}
	cmd.split = &sp;
	return run_cmd(t, &cmd, inquiry ? "INQUIRY" : "READ(10)", r);
}

/* The outcome in *@res: 0 GOOD, -ENOMEM BUSY, else -EPROTO. */
static int fault_io_run(struct tctx *t, int *res)
{
	struct vscsi_result r;
	int ret = fault_io_cmd(t, fault_io_inquiry, &r);

	if (ret)
		return ret;
	if (r.response == VIRTIO_SCSI_S_OK && r.status == SCSI_STATUS_GOOD)
		*res = 0;
	else if (r.response == VIRTIO_SCSI_S_OK && r.status == SAM_BUSY)
		*res = -ENOMEM;
	else
		*res = -EPROTO;
	return T_PASS;
}

static int fault_io_after(struct tctx *t, int res, bool injected UNUSED)
{
	struct vscsi_result r;
	int ret;

	if (!res)
		return T_PASS;
	/* BUSY: the guest retries as it is; that must work. */
	ret = fault_io_cmd(t, fault_io_inquiry, &r);
	return ret ? ret : expect_good(t, "the retried command", &r);
}

static int fault_io_map(struct tctx *t)
{
	static const struct fault_op read = {
		.what = "READ split", .prepare = fault_io_prepare,
		.run = fault_io_run, .after = fault_io_after,
	};
	static const struct fault_op inquiry = {
		.what = "INQUIRY bounced", .prepare = fault_io_prepare,
		.run = fault_io_run, .after = fault_io_after,
	};
	int ret;

	fault_io_inquiry = false;
	ret = fault_sweep(t, &read);
	if (!ret) {
		fault_io_inquiry = true;
		ret = fault_sweep(t, &inquiry);
	}
	return ret;
}

/* ---- command pool growth ---- */

/*
 * The pool starts with 128 commands (VHOST_SCSI_POOL_BASE); one more read
 * than that held on the slow LUN makes the worker grow it by a chunk.
 */
#define FAULT_POOL_CMDS	129

static struct vscsi_req fault_pool_req[FAULT_POOL_CMDS];
static uint8_t fault_pool_cdb[FAULT_POOL_CMDS][10];
static uint8_t fault_pool_data[FAULT_POOL_CMDS][512];

static int fault_pool_prepare(struct tctx *t)
{
	const struct vscsi_opts o = { .queue_size = 256 };
	int ret;

	if (t->dev)
		return T_PASS;
	if (t->cfg->slow_lun < 0)
		return tskip(t, "no slow LUN (VSCSI_SLOW_LUN)");
	ret = fix_attach(t, &o);
	return ret ? ret : slow_lun_usable(t, "before the pool sweep");
}

/*
 * All reads in one kick, so that the first 128 still hold their commands
 * when the last is popped; one indirect descriptor each, so they fit.  *@res: -ENOMEM if one was answered TASK SET
 * FULL (the pool could not grow), -EPROTO for another answer.
 */
static int fault_pool_run(struct tctx *t, int *res)
{
	static const struct vscsi_split sp = { .indirect = true };
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	struct vscsi_cmd cmd;
	unsigned int i, full = 0, other = 0;
	int ret;

	for (i = 0; i < FAULT_POOL_CMDS; i++) {
		cmd_init(t, &cmd, t->cfg->slow_lun);
		cmd.cdb = fault_pool_cdb[i];
		cmd.cdb_len = scsi_cdb_read10(fault_pool_cdb[i], i, 1);
		cmd.data_in = fault_pool_data[i];
		cmd.data_in_len = sizeof(fault_pool_data[i]);
		cmd.split = &sp;
		ret = vscsi_req_submit(t->dev, vq, &fault_pool_req[i], &cmd,
				       i == FAULT_POOL_CMDS - 1);
		if (ret)
			return tfail(t, "expected READ %u submitted, got %s", i,
				     err_name(ret));
	}
	for (i = 0; i < FAULT_POOL_CMDS; i++) {
		const struct vscsi_result *r = &fault_pool_req[i].res;

		ret = vscsi_req_wait(t->dev, &fault_pool_req[i],
				     4 * t->cfg->slow_ms + 10000);
		if (ret)
			return tfail(t, "expected READ %u answered, got %s", i,
				     err_name(ret));
		if (r->response == VIRTIO_SCSI_S_OK &&
		    r->status == SAM_TASK_SET_FULL)
			full++;
		else if (r->response != VIRTIO_SCSI_S_OK ||
			 r->status != SCSI_STATUS_GOOD)
			other++;
	}
	*res = other ? -EPROTO : full ? -ENOMEM : 0;
	return T_PASS;
}

static int fault_pool_after(struct tctx *t, int res,
			    bool injected UNUSED)
{
	return res ? slow_lun_usable(t, "after TASK SET FULL") : T_PASS;
}

static const struct fault_op pool_op = {
	.what = "pool growth", .prepare = fault_pool_prepare,
	.run = fault_pool_run, .after = fault_pool_after,
};

/* ---- TMF ---- */

static int fault_tmf_run(struct tctx *t, int *res)
{
	uint8_t resp = 0xff;
	int ret = vscsi_tmf(t->dev, VIRTIO_SCSI_T_TMF_ABORT_TASK,
			    t->cfg->target, lun0(t), 0x7f00f00d, &resp, 5000);

	if (ret)
		return tfail(t, "expected an answer to ABORT TASK, got %s",
			     err_name(ret));
	*res = resp == VIRTIO_SCSI_S_OK ? 0 :
	       resp == VIRTIO_SCSI_S_FAILURE ? -ENOMEM : -EPROTO;
	return T_PASS;
}

static int fault_tmf_after(struct tctx *t, int res, bool injected UNUSED)
{
	int again = 0, ret;

	if (!res)
		return T_PASS;
	ret = fault_tmf_run(t, &again);
	if (!ret && again)
		ret = tfail(t, "expected the retried ABORT TASK to complete, "
			    "got %s", err_name(again));
	return ret;
}

static const struct fault_op tmf_op = {
	.what = "TMF", .prepare = fault_io_prepare,
	.run = fault_tmf_run, .after = fault_tmf_after,
};

/* ---- events ---- */

static int fault_evt_prepare(struct tctx *t)
{
	int ret;

	if (t->dev)
		return T_PASS;
	ret = fix_need_hotplug(t);
	if (!ret)
		ret = fix_attach(t, NULL);
	if (!ret && vscsi_event_post(t->dev, 8))
		ret = tfail(t, "expected event buffers posted");
	return ret;
}

static int fault_evt_run(struct tctx *t, int *res)
{
	int ret = lio_lun_link(t->cfg, t->cfg->hotplug_lun);

	if (ret)
		return tfail(t, "expected LUN %u linked, got %s",
			     t->cfg->hotplug_lun, err_name(ret));
	*res = 0;
	return T_PASS;
}

/*
 * The link's event, or, when its allocation failed, one flagged
 * EVENTS_MISSED (the guest rescans); then the unlink's, not armed.
 */
static int fault_evt_after(struct tctx *t, int res UNUSED,
			   bool injected)
{
	struct vscsi_event ev;
	int ret = vscsi_event_get(t->dev, &ev, 5000);

	if (ret)
		return tfail(t, "expected an event after a LUN link, got %s",
			     err_name(ret));
	if (injected && !(ev.event & VIRTIO_SCSI_T_EVENTS_MISSED))
		return tfail(t, "expected EVENTS_MISSED after a failed event, "
			     "got event %#x", ev.event);
	if (!injected && ev.event != VIRTIO_SCSI_T_TRANSPORT_RESET)
		return tfail(t, "expected TRANSPORT_RESET after a LUN link, "
			     "got event %#x", ev.event);
	ret = lio_lun_unlink(t->cfg, t->cfg->hotplug_lun);
	if (ret)
		return tfail(t, "expected LUN unlinked, got %s", err_name(ret));
	ret = vscsi_event_get(t->dev, &ev, 5000);
	if (ret || ev.event != VIRTIO_SCSI_T_TRANSPORT_RESET)
		return tfail(t, "expected TRANSPORT_RESET after an unlink, "
			     "got %s/%#x", err_name(ret), ev.event);
	return T_PASS;
}

static const struct fault_op evt_op = {
	.what = "event", .prepare = fault_evt_prepare,
	.run = fault_evt_run, .after = fault_evt_after,
};

/* ---- configfs: WWN, TPG, nexus ---- */

static struct tconfig fault_cfs_cfg;

static int fault_cfs_make(struct tctx *t)
{
	int ret;

	fault_cfs_cfg = *t->cfg;
	fault_cfs_cfg.wwpn = FAULT_WWN;
	ret = mkdir(CFS_VHOST "/" FAULT_WWN, 0755) ? -errno : 0;
	if (!ret)
		ret = lio_tpg_add(&fault_cfs_cfg, 1);
	if (!ret)
		ret = lio_nexus_set(&fault_cfs_cfg, 1, FAULT_I_T);
	return ret;
}

/* Remove what fault_cfs_make() made; every step may have been undone. */
static int fault_cfs_remove(struct tctx *t)
{
	char name[128];
	int ret = 0;

	if (!lio_nexus_get(&fault_cfs_cfg, 1, name, sizeof(name)) &&
	    name[0] && strcmp(name, "NULL"))
		ret = lio_nexus_set(&fault_cfs_cfg, 1, "NULL");
	if (!ret && lio_tpg_remove(&fault_cfs_cfg, 1) && errno != ENOENT)
		ret = -errno;
	if (!ret && rmdir(CFS_VHOST "/" FAULT_WWN) && errno != ENOENT)
		ret = -errno;
	return ret ? tfail(t, "expected %s removed, got %s", FAULT_WWN,
			   err_name(ret)) : T_PASS;
}

static int fault_cfs_run(struct tctx *t, int *res)
{
	*res = fault_cfs_make(t);
	return T_PASS;
}

static int fault_cfs_after(struct tctx *t, int res, bool injected UNUSED)
{
	int ret = fault_cfs_remove(t);

	if (ret || !res)
		return ret;
	res = fault_cfs_make(t);
	if (res) {
		fault_cfs_remove(t);
		return tfail(t, "expected WWN, TPG and nexus made on retry, "
			     "got %s", err_name(res));
	}
	return fault_cfs_remove(t);
}

static int fault_configfs(struct tctx *t)
{
	static const struct fault_op op = {
		.what = "configfs WWN/TPG/nexus", .run = fault_cfs_run,
		.after = fault_cfs_after,
		/* LIO's mkdir turns a fabric's WWN or TPG error into it. */
		.alt_err = -EINVAL,
	};
	struct stat st;

	if (stat(CFS_VHOST, &st))
		return tskip(t, "%s: %s", CFS_VHOST, strerror(errno));
	return fault_sweep(t, &op);
}

/* A case that is one sweep: its fault_op is the table's argument. */
static int fault_case(struct tctx *t)
{
	return fault_sweep(t, t->arg);
}

const struct tcase fault_cases[] = {
	{ "fault_open", fault_case, &open_op },
	{ "fault_set_endpoint", fault_set_endpoint },
	{ "fault_set_endpoint_pi", fault_set_endpoint, "pi" },
	{ "fault_reset_owner", fault_case, &owner_op },
	{ "fault_io_map", fault_io_map },
	{ "fault_pool_grow", fault_case, &pool_op },
	{ "fault_tmf", fault_case, &tmf_op },
	{ "fault_evt", fault_case, &evt_op },
	{ "fault_configfs", fault_configfs },
	{ NULL, NULL },
};
