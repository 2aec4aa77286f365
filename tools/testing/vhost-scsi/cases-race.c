// SPDX-License-Identifier: GPL-2.0
/*
 * Races a 1-CPU VM rarely hits, made to happen every time: the test-only
 * module race-inject/race_inject.ko holds each window open (see its
 * header) and counts whether the other side got in.  They need two CPUs
 * (vm-suite.sh runs the "race" suite with VM_SMP=2) and are left out of
 * the driver suite.
 *
 *  - race_evt_bad_buffer_flood_yields: every discarded event buffer is
 *    slowed down, so a client re-posting bad buffers keeps the event ring
 *    from running empty; a TUR on a request queue (same worker) must still
 *    be answered within a bound;
 *  - race_handoff_close_waits: a command is published to the worker and its
 *    handoff held before vhost_work_queue(); the worker answers it and the
 *    device is closed: the device must not be freed before the handoff is
 *    over;
 *  - race_nexus_drop_waits_for_last_put: the target core's put of the
 *    session's command counter after the last release_cmd is made late;
 *    CLEAR_ENDPOINT, then the nexus dropped: the session must not be freed
 *    before that put;
 *  - race_tmf_handoff_close_waits: as race_handoff_close_waits, for a TMF:
 *    two LOGICAL UNIT RESETs the target core answers, the second's handoff
 *    held after it was published, the device closed once both are
 *    answered.
 *
 * A module with these bugs fails the cases without touching freed memory
 * (race_inject skips what would).  race_tmf_handoff_close_waits runs
 * last and skips on Debian's 6.1 module: that module puts a finished TMF
 * back on its TPG's reserve list with list_add_tail()'s arguments
 * swapped, so after LOGICAL UNIT RESETs unlinking a LUN (the suite's
 * teardown) oopses in vhost_scsi_port_unlink().
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vscsi-test.h"

#define RACE_PARAMS		"/sys/module/race_inject/parameters/"
#define HOLD_MS			1500	/* how long a window is held */
#define TMF_RESP_LEN		sizeof(struct virtio_scsi_ctrl_tmf_resp)
#define EVT_DISCARD_MS		1	/* per discarded event buffer */
#define EVT_BUFS		64
#define EVT_BUF_SIZE		8	/* shorter than an event */
#define EVT_FLOOD_MS		10000	/* the flood's own limit */
#define EVT_WARMUP		(EVT_BUFS * 2)	/* discards before the probe */
/*
 * A TUR behind the flood waits for the event queue's turn at most three
 * times (its kick, its completion, and the one it may queue behind), each
 * the vhost weight (256 buffers) of EVT_DISCARD_MS and the discard itself:
 * about 1 s, 2.3 s measured under TCG at 2 ms a buffer.  The flood itself
 * lasts EVT_FLOOD_MS.
 */
#define EVT_TUR_BOUND_MS	3000

/* ------------------------------------------------------------------ */
/* race_inject.ko                                                      */

static int race_param_read(const char *name)
{
	char path[128];
	int val = -1;
	FILE *f;

	snprintf(path, sizeof(path), RACE_PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &val) != 1) {
		/* A bool parameter reads Y or N. */
		rewind(f);
		val = fgetc(f) == 'Y';
	}
	fclose(f);
	return val;
}

static int race_param_write(const char *name, unsigned int val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), RACE_PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", val) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* $VSCSI_RACE_KO, or race-inject/race_inject.ko beside this program. */
static void race_ko_path(char *path, size_t len)
{
	const char *env = getenv("VSCSI_RACE_KO");
	char self[512];
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, len, "%s/race-inject/race_inject.ko", self);
}

/* Did vm-run load Debian's module (vm-run --stock)? */
static bool race_stock(void)
{
	const char *module = getenv("VHOST_SCSI_MODULE");

	return module && !strcmp(module, "stock");
}

/* Debian's module's names for the functions our probes sit in. */
#define RACE_STOCK_FNS \
	" complete_fn=vhost_scsi_complete_cmd_work tmf_fn=vhost_scsi_tmf_resp_work"

/* Load race_inject.ko (after vhost_scsi, whose symbols it probes). */
static int fix_race(struct tctx *t, bool two_cpus)
{
	char ko[600], cmd[800];
	struct stat st;

	if (two_cpus && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return tskip(t, "needs 2 CPUs (the race suite runs with VM_SMP=2)");
	if (!stat("/sys/module/race_inject", &st))
		return T_PASS;
	race_ko_path(ko, sizeof(ko));
	/*
	 * VSCSI_RACE_SPARE=N: let KASAN see what a buggy module touches.
	 * Debian's module (vm-run --stock) names its completion and TMF
	 * work apart.
	 */
	snprintf(cmd, sizeof(cmd), "insmod '%s' spare=%s%s 2>&1", ko,
		 getenv("VSCSI_RACE_SPARE") ? getenv("VSCSI_RACE_SPARE") : "Y",
		 race_stock() ? RACE_STOCK_FNS : "");
	if (system(cmd))
		return tskip(t,
			     "cannot load %s (run-all builds it: make -C race-inject; for another kernel set VSCSI_RACE_KO)",
			     ko);
	return T_PASS;
}

/* fix_race(), then a device attached to the target. */
static int fix_race_dev(struct tctx *t, bool two_cpus)
{
	int ret = fix_race(t, two_cpus);

	return ret ? ret : fix_attach(t, NULL);
}

static void race_unload(void)
{
	if (system("rmmod race_inject 2>/dev/null"))
		fprintf(stderr, "# race_inject did not unload\n");
}

/* Arm window parameter @name to @ms. */
static int race_arm(struct tctx *t, const char *name, unsigned int ms)
{
	int ret = race_param_write(name, ms);

	return ret ? tfail(t, "expected %s armed, got %s", name,
			   err_name(ret)) : T_PASS;
}

/* Wait up to @ms for parameter @name to read @want or more. */
static bool race_wait_param(const char *name, int want, int ms)
{
	long long deadline = now_ms() + ms;

	while (race_param_read(name) < want) {
		if (now_ms() > deadline)
			return false;
		usleep(5 * 1000);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Bad event buffers re-posted faster than the worker discards them    */

struct evt_flood {
	struct vscsi_vq *vq;
	uint64_t gpa[EVT_BUFS];
	bool stop;		/* set by the case, read by the thread: atomic */
	int ret;
};

static int evt_flood_post(struct vscsi_vq *vq, uint64_t gpa)
{
	struct vscsi_seg seg = { gpa, EVT_BUF_SIZE, true };
	int head = vscsi_vq_add(vq, &seg, 1, false, (void *)(uintptr_t)gpa);

	return head < 0 ? head : vscsi_vq_kick_force(vq);
}

/* Keep every bad buffer posted: re-post each one as it comes back. */
static void *evt_flood_thread(void *arg)
{
	struct evt_flood *f = arg;
	long long deadline = now_ms() + EVT_FLOOD_MS;
	unsigned int i;
	uint64_t gpa;
	int head;

	for (i = 0; !f->ret && i < EVT_BUFS; i++)
		f->ret = evt_flood_post(f->vq, f->gpa[i]);
	/*
	 * Re-post each buffer as soon as it is in the used ring, without
	 * waiting for the call: a loop that signals only when it ends would
	 * otherwise run dry and end by itself.
	 */
	while (!f->ret && !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) &&
	       now_ms() < deadline) {
		if (!vscsi_vq_reap(f->vq)) {
			sched_yield();
			continue;
		}
		for (head = 0; !f->ret && head < (int)f->vq->num; head++) {
			if (!f->vq->slots[head].done)
				continue;
			gpa = (uintptr_t)f->vq->slots[head].owner;
			vscsi_vq_collect(f->vq, head, NULL);
			f->ret = evt_flood_post(f->vq, gpa);
		}
	}
	return NULL;
}

/* A TUR on request queue 0 while the flood runs; its time in *@took. */
static int evt_flood_probe(struct tctx *t, long long *took)
{
	struct vscsi_req req;
	struct vscsi_cmd cmd;
	long long start;
	uint8_t cdb[6];
	int ret;

	if (!race_wait_param("evt_discards", EVT_WARMUP, 5000))
		return tfail(t,
			     "expected %d event buffers discarded before the probe, got %d",
			     EVT_WARMUP,
			     race_param_read("evt_discards"));
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	start = now_ms();
	ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, 0), &req, &cmd,
			       true);
	if (!ret)
		ret = vscsi_req_wait(t->dev, &req, EVT_FLOOD_MS * 2);
	*took = now_ms() - start;
	if (ret)
		return tfail(t, "expected the TUR answered, got %s",
			     err_name(ret));
	return expect_good(t, "TUR during the flood", &req.res);
}

static int race_evt_flood(struct tctx *t)
{
	struct evt_flood f = { 0 };
	pthread_t thread;
	long long took = 0;
	unsigned int i;
	int ret = fix_race_dev(t, true);

	if (ret)
		return ret;
	f.vq = &t->dev->vqs[VSCSI_VQ_EVT];
	for (i = 0; i < EVT_BUFS; i++)
		f.gpa[i] = vscsi_mem_alloc(&t->dev->mem, EVT_BUF_SIZE, 8);
	/* An owed notice makes every kick walk the bad buffers. */
	ret = vscsi_set_events_missed(t->dev, 1);
	if (ret)
		return tfail(t, "expected SET_EVENTS_MISSED to return 0, got %s",
			     err_name(ret));
	ret = race_arm(t, "evt_ms", EVT_DISCARD_MS);
	if (ret)
		return ret;
	if (pthread_create(&thread, NULL, evt_flood_thread, &f))
		return tfail(t, "expected a flood thread, got none");
	ret = evt_flood_probe(t, &took);
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	tnote(t, "%d bad buffers discarded; the TUR took %lld ms",
	      race_param_read("evt_discards"), took);
	race_param_write("evt_ms", 0);
	race_unload();
	if (!ret && f.ret)
		ret = tfail(t, "expected the flood to run, got %s",
			    err_name(f.ret));
	if (!ret && took > EVT_TUR_BOUND_MS)
		ret = tfail(t,
			    "expected a TUR answered within %d ms while bad event buffers are re-posted, took %lld ms",
			    EVT_TUR_BOUND_MS, took);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Closing the device while a completion handoff is held               */

/* A handoff window of race_inject and what it hands off. */
struct race_handoff {
	const char *param;	/* its parameters' prefix */
	const char *what;	/* what is handed off */
	const char *items;	/* the two requests the case sends */
};

static const struct race_handoff race_cmd_handoff = {
	"handoff", "completion", "READs",
};

static int race_param_read_of(const struct race_handoff *h, const char *name)
{
	char param[64];

	snprintf(param, sizeof(param), "%s_%s", h->param, name);
	return race_param_read(param);
}

/*
 * Both requests answered, @ms after they were posted: close the device
 * while the second one's handoff is still held, and check that the close
 * waited for the hold.  Disarms the window and unloads race_inject.
 */
static int race_close_in_hold(struct tctx *t, const struct race_handoff *h,
			      long long ms)
{
	bool held = race_param_read_of(h, "holding") == 1;
	char param[64];
	int ret = T_PASS;
	int delays;

	tnote(t, "both %s answered %lld ms after they were posted (the hold: %d ms)",
	      h->items, ms, HOLD_MS);

	vscsi_dev_close(t->dev);
	t->dev = NULL;
	snprintf(param, sizeof(param), "%s_delays", h->param);
	race_wait_param(param, 1, HOLD_MS * 4);
	delays = race_param_read_of(h, "delays");
	tnote(t, "handoffs held %d, device freed during the hold %d", delays,
	      race_param_read_of(h, "overlaps"));
	if (race_param_read_of(h, "overlaps") != 0)
		ret = tfail(t,
			    "expected close to wait for a held %s handoff, got the device freed under it",
			    h->what);
	else if (!held)
		ret = tfail(t,
			    "expected the second %s handoff held when both %s were answered, got it %s",
			    h->what, h->items,
			    delays ? "over" : "not begun");
	snprintf(param, sizeof(param), "%s_ms", h->param);
	race_param_write(param, 0);
	race_unload();
	return ret;
}

static int race_handoff_close_core(struct tctx *t)
{
	struct vscsi_req req[2];
	struct vscsi_cmd cmd;
	uint8_t cdb[2][16], data[2][512];
	long long start;
	unsigned int i;
	int ret = fix_race_dev(t, true);

	if (!ret)
		ret = run_tur(t, vscsi_req_vq(t->dev, 0), "TUR before arming");
	if (ret)
		return ret;
	ret = race_arm(t, "handoff_ms", HOLD_MS);
	if (ret)
		return ret;
	start = now_ms();
	/* Two READs in one kick: the second's handoff is held. */
	for (i = 0; !ret && i < 2; i++) {
		cmd_init(t, &cmd, lun0(t));
		cmd.cdb = cdb[i];
		cmd.cdb_len = scsi_cdb_read10(cdb[i], i, 1);
		cmd.data_in = data[i];
		cmd.data_in_len = 512;
		ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, 0), &req[i],
				       &cmd, i == 1);
	}
	for (i = 0; !ret && i < 2; i++)
		ret = vscsi_req_wait(t->dev, &req[i], HOLD_MS * 4);
	if (ret) {
		race_param_write("handoff_ms", 0);
		return tfail(t, "expected both READs answered, got %s",
			     err_name(ret));
	}
	return race_close_in_hold(t, &race_cmd_handoff, now_ms() - start);
}

/*
 * race_inject holds the handoff into the vhost core's worker
 * (vhost_work_queue of the completion work), so the device serves its
 * request queues from that worker here (workers=0); the handoff to our
 * own threads follows the same RCU rule (drivers/vhost/scsi.h).
 */
static int race_handoff_close(struct tctx *t)
{
	int old = -1, ret;
	bool set = !workers_param_set(0, &old);

	ret = race_handoff_close_core(t);
	if (set)
		workers_param_set(old, NULL);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Closing the device while a TMF handoff is held                      */

static const struct race_handoff race_tmf_handoff = {
	"tmf_handoff", "TMF", "LOGICAL UNIT RESETs",
};

/*
 * Two LOGICAL UNIT RESETs of LUN 0 in one kick: the target core runs both
 * (a LUN reset does not end another) and hands each back through the TMF
 * handoff; the second one's is held.
 */
static int race_tmf_handoff_close(struct tctx *t)
{
	struct virtio_scsi_ctrl_tmf_req tmf;
	struct vscsi_ctl ctl[2];
	long long start;
	unsigned int i;
	int ret;

	/*
	 * Debian's module hands a TMF back by queueing that TMF's own work:
	 * nothing is published before vhost_work_queue(), so the held TMF
	 * is answered only after the hold (measured).  Its LUN resets also
	 * leave it to oops at the suite's teardown (see the header).
	 */
	if (race_stock())
		return tskip(t,
			     "Debian's module publishes a TMF by queueing its own work: no window between publishing and queueing to hold");
	ret = fix_race_dev(t, true);
	if (ret)
		return ret;
	ret = race_arm(t, "tmf_handoff_ms", HOLD_MS);
	if (ret)
		return ret;
	start = now_ms();
	vscsi_tmf_req_init(&tmf, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			   t->cfg->target, lun0(t), 0);
	/* The first published, the second with it in one kick. */
	ret = vscsi_ctl_post(t->dev, &ctl[0], &tmf, sizeof(tmf), TMF_RESP_LEN);
	if (!ret)
		ret = vscsi_ctl_submit(t->dev, &ctl[1], &tmf, sizeof(tmf),
				       TMF_RESP_LEN);
	for (i = 0; !ret && i < 2; i++)
		ret = vscsi_ctl_wait(t->dev, &ctl[i], HOLD_MS * 4);
	if (ret) {
		race_param_write("tmf_handoff_ms", 0);
		return tfail(t,
			     "expected both LOGICAL UNIT RESETs answered, got %s",
			     err_name(ret));
	}
	tnote(t, "LOGICAL UNIT RESETs answered %u and %u", ctl[0].in[0],
	      ctl[1].in[0]);
	return race_close_in_hold(t, &race_tmf_handoff, now_ms() - start);
}

/* ------------------------------------------------------------------ */
/* Dropping the nexus while the target core still holds the session   */

/* TUR @lun until it is answered GOOD (a new nexus sees unit attentions). */
static int tur_until_good(struct tctx *t, const char *what)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	unsigned int tries;
	uint8_t cdb[6];
	int ret = 0;

	for (tries = 0; tries < 5; tries++) {
		cmd_init(t, &cmd, lun0(t));
		cmd.cdb = cdb;
		cmd.cdb_len = scsi_cdb_tur(cdb);
		ret = vscsi_cmd_run(t->dev, &cmd, &res);
		if (!ret && res.response == VIRTIO_SCSI_S_OK &&
		    res.status == 0)
			return T_PASS;
	}
	if (ret)
		return tfail(t, "expected %s to complete, got %s", what,
			     err_name(ret));
	return expect_good(t, what, &res);
}

static int race_nexus_drop(struct tctx *t)
{
	char nexus[256];
	long long start, took;
	int ret = fix_race_dev(t, false);

	if (ret)
		return ret;
	ret = lio_nexus_get(t->cfg, t->cfg->target, nexus, sizeof(nexus));
	if (ret || !nexus[0])
		return tfail(t, "expected the nexus name, got %s '%s'",
			     err_name(ret), nexus);
	ret = race_arm(t, "release_ms", HOLD_MS);
	if (ret)
		return ret;
	ret = run_tur(t, vscsi_req_vq(t->dev, 0), "TUR with the put held");
	if (!ret && !race_wait_param("release_holding", 1, HOLD_MS / 2))
		ret = tfail(t,
			    "expected the session's last put held after the TUR, got it %s",
			    race_param_read("release_delays") ? "over" :
			    "not begun");
	if (!ret)
		ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn) ?
		      tfail(t, "expected CLEAR_ENDPOINT to return 0") : 0;
	if (ret) {
		race_param_write("release_ms", 0);
		race_unload();
		return ret;
	}
	start = now_ms();
	ret = lio_nexus_set(t->cfg, t->cfg->target, "NULL");
	took = now_ms() - start;
	race_wait_param("release_delays", 1, HOLD_MS * 4);
	tnote(t,
	      "nexus drop took %lld ms; puts held %d, session freed during the hold %d",
	      took, race_param_read("release_delays"),
	      race_param_read("release_overlaps"));
	if (ret)
		ret = tfail(t, "expected the nexus dropped, got %s",
			    err_name(ret));
	else if (race_param_read("release_overlaps") != 0)
		ret = tfail(t,
			    "expected the nexus drop to wait for the target core's last put, got the session freed under it");
	race_param_write("release_ms", 0);
	race_unload();
	if (lio_nexus_set(t->cfg, t->cfg->target, nexus) && !ret)
		ret = tfail(t, "expected the nexus %s made again", nexus);
	if (!ret && vscsi_set_endpoint(t->dev, t->cfg->wwpn))
		ret = tfail(t, "expected SET_ENDPOINT on the new nexus");
	return ret ? ret : tur_until_good(t, "TUR on the new nexus");
}

const struct tcase race_cases[] = {
	{ "race_evt_bad_buffer_flood_yields", race_evt_flood },
	{ "race_handoff_close_waits", race_handoff_close },
	{ "race_nexus_drop_waits_for_last_put", race_nexus_drop },
	/* Last: Debian's module crashes later (see the header). */
	{ "race_tmf_handoff_close_waits", race_tmf_handoff_close },
	{ NULL, NULL },
};
