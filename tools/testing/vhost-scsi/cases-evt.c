// SPDX-License-Identifier: GPL-2.0
/*
 * The event queue: LUN hotplug under a bound endpoint, as an admin causes
 * it by linking and unlinking LUNs in configfs (lio.c), and what a guest
 * sees with and without event buffers posted.
 *
 * Hotplug LUNs are VSCSI_HOTPLUG_LUN and up, all backed by the backstore
 * VSCSI_HOTPLUG_BACKSTORE; every case unlinks what it linked, whatever
 * its outcome, so that the target can be torn down afterwards.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>

#include "vscsi-test.h"

#define EVT_BUFFERS		8
#define EVT_TIMEOUT_MS		5000
#define EVT_QUIET_MS		300	/* "no further event" is waited for */
#define MISSED_WAIT_MS		2000	/* for dropped events to be noticed */
#define STORM_CYCLES		200
/* The module keeps this many undelivered events (VHOST_SCSI_MAX_EVENTS). */
#define EVT_QUEUE_LIMIT		128
/* 200 cycles grew Slab by at most 270 kB on a correct module. */
#define STORM_SLAB_BOUND_KB	1024
/* The module's event queue limit (VHOST_SCSI_MAX_EVENTS, scsi_evt.c). */
#define STORM_QUEUE_MAX		128
#define TEARDOWN_CYCLES		20
#define SMALL_BUF		8
#define SMALL_SLACK		64	/* poisoned bytes after a small buffer */
#define POISON			0xa5

static int fix_hotplug(struct tctx *t)
{
	int ret = fix_need_hotplug(t);

	return ret ? ret : fix_attach(t, NULL);
}

static unsigned int hp_lun(const struct tctx *t, unsigned int i)
{
	return t->cfg->hotplug_lun + i;
}

static int link_lun(struct tctx *t, unsigned int lun)
{
	int ret = lio_lun_link(t->cfg, lun);

	return ret ? tfail(t, "expected LUN %u linked in configfs, got %s",
			   lun, err_name(ret)) : T_PASS;
}

/* Unlink @lun; a failure only counts if the case had none yet. */
static int unlink_lun(struct tctx *t, unsigned int lun, int ret)
{
	int err = lio_lun_unlink(t->cfg, lun);

	if (err && !ret)
		ret = tfail(t, "expected LUN %u unlinked in configfs, got %s",
			    lun, err_name(err));
	return ret;
}

static const char *event_name(uint32_t event)
{
	switch (event & ~VIRTIO_SCSI_T_EVENTS_MISSED) {
	case VIRTIO_SCSI_T_NO_EVENT:		return "NO_EVENT";
	case VIRTIO_SCSI_T_TRANSPORT_RESET:	return "TRANSPORT_RESET";
	case VIRTIO_SCSI_T_ASYNC_NOTIFY:	return "ASYNC_NOTIFY";
	case VIRTIO_SCSI_T_PARAM_CHANGE:	return "PARAM_CHANGE";
	default:				return "event?";
	}
}

static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case VIRTIO_SCSI_EVT_RESET_HARD:	return "HARD";
	case VIRTIO_SCSI_EVT_RESET_RESCAN:	return "RESCAN";
	case VIRTIO_SCSI_EVT_RESET_REMOVED:	return "REMOVED";
	default:				return "reason?";
	}
}

static void lun_hex(const uint8_t lun[8], char *buf, size_t len)
{
	snprintf(buf, len, "%02x %02x %02x %02x %02x %02x %02x %02x", lun[0],
		 lun[1], lun[2], lun[3], lun[4], lun[5], lun[6], lun[7]);
}

/* @ev must be TRANSPORT_RESET/@reason for @lun of the tested target. */
static int expect_hotplug(struct tctx *t, const struct vscsi_event *ev,
			  uint32_t reason, unsigned int lun)
{
	char want_lun[32], got_lun[32];
	uint8_t want[8];

	vscsi_lun_encode(want, t->cfg->target, lun);
	lun_hex(want, want_lun, sizeof(want_lun));
	lun_hex(ev->lun, got_lun, sizeof(got_lun));
	if (ev->event != VIRTIO_SCSI_T_TRANSPORT_RESET || ev->reason != reason ||
	    memcmp(ev->lun, want, sizeof(want)))
		return tfail(t, "expected TRANSPORT_RESET/%s for LUN [%s], got "
			     "%s(0x%x)/%s(%u) for LUN [%s]",
			     reason_name(reason), want_lun,
			     event_name(ev->event), ev->event,
			     reason_name(ev->reason), ev->reason, got_lun);
	return T_PASS;
}

static int get_event(struct tctx *t, struct vscsi_event *ev, const char *what)
{
	int ret = vscsi_event_get(t->dev, ev, EVT_TIMEOUT_MS);

	return ret ? tfail(t, "expected an event after %s, got %s", what,
			   ret == -ETIMEDOUT ? "none" : err_name(ret)) : T_PASS;
}

/* ------------------------------------------------------------------ */
/* Hotplug with buffers posted                                         */

static int event_lun_link_rescan(struct tctx *t)
{
	struct vscsi_event ev;
	int ret = fix_hotplug(t);

	if (ret)
		return ret;
	ret = vscsi_event_post(t->dev, EVT_BUFFERS);
	if (ret)
		return tfail(t, "expected event buffers posted, got %s",
			     err_name(ret));
	ret = link_lun(t, hp_lun(t, 0));
	if (ret)
		return ret;
	ret = get_event(t, &ev, "a LUN link");
	if (!ret)
		ret = expect_hotplug(t, &ev, VIRTIO_SCSI_EVT_RESET_RESCAN,
				     hp_lun(t, 0));
	return unlink_lun(t, hp_lun(t, 0), ret);
}

static int event_lun_unlink_removed(struct tctx *t)
{
	struct vscsi_event ev;
	bool linked;
	int ret = fix_hotplug(t);

	if (ret)
		return ret;
	ret = vscsi_event_post(t->dev, EVT_BUFFERS);
	if (ret)
		return tfail(t, "expected event buffers posted, got %s",
			     err_name(ret));
	ret = link_lun(t, hp_lun(t, 0));
	if (ret)
		return ret;
	linked = true;
	ret = get_event(t, &ev, "a LUN link");
	if (!ret) {
		linked = false;
		ret = unlink_lun(t, hp_lun(t, 0), ret);
	}
	if (!ret)
		ret = get_event(t, &ev, "a LUN unlink");
	if (!ret)
		ret = expect_hotplug(t, &ev, VIRTIO_SCSI_EVT_RESET_REMOVED,
				     hp_lun(t, 0));
	return linked ? unlink_lun(t, hp_lun(t, 0), ret) : ret;
}

/* ------------------------------------------------------------------ */
/* Hotplug without buffers: VIRTIO_SCSI_T_EVENTS_MISSED               */

/* Link and unlink @n LUNs: 2 * @n events. */
static int churn(struct tctx *t, unsigned int first, unsigned int n)
{
	unsigned int i;
	int ret = T_PASS;

	for (i = 0; !ret && i < n; i++) {
		ret = link_lun(t, hp_lun(t, first + i));
		if (!ret)
			ret = unlink_lun(t, hp_lun(t, first + i), ret);
	}
	return ret;
}

/* Poll GET_EVENTS_MISSED until it reads @want or MISSED_WAIT_MS pass. */
int wait_missed(struct tctx *t, uint32_t want, const char *after)
{
	long long deadline = now_ms() + MISSED_WAIT_MS;
	uint32_t missed;
	int ret;

	for (;;) {
		missed = 0xdead;
		ret = vscsi_get_events_missed(t->dev, &missed);
		if (ret)
			return tfail(t, "expected GET_EVENTS_MISSED to return 0, "
				     "got %s", err_name(ret));
		if (missed == want)
			return T_PASS;
		if (now_ms() > deadline)
			return tfail(t, "expected GET_EVENTS_MISSED %u %s, got %u",
				     want, after, missed);
		usleep(20 * 1000);
	}
}

static int events_missed_set_without_buffers(struct tctx *t)
{
	int ret = fix_hotplug(t);

	if (!ret)
		ret = wait_missed(t, 0, "on a fresh device");
	if (!ret)
		ret = churn(t, 0, 3);
	return ret ? ret : wait_missed(t, 1, "after 6 events with no buffer");
}

static int events_missed_notice_on_post(struct tctx *t)
{
	struct vscsi_event ev;
	uint32_t want = VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED;
	int ret = fix_hotplug(t);

	if (!ret)
		ret = churn(t, 0, 3);
	if (!ret)
		ret = wait_missed(t, 1, "after 6 events with no buffer");
	if (ret)
		return ret;
	/* Let the worker finish dropping: nothing but the notice is owed. */
	usleep(EVT_QUIET_MS * 1000);
	ret = vscsi_event_post(t->dev, EVT_BUFFERS);
	if (ret)
		return tfail(t, "expected event buffers posted, got %s",
			     err_name(ret));
	ret = get_event(t, &ev, "posting buffers with events missed");
	if (ret)
		return ret;
	if (ev.event != want)
		return tfail(t, "expected NO_EVENT|EVENTS_MISSED (0x%x), got "
			     "%s%s (0x%x)", want, event_name(ev.event),
			     ev.event & VIRTIO_SCSI_T_EVENTS_MISSED ?
			     "|EVENTS_MISSED" : "", ev.event);
	ret = wait_missed(t, 0, "once the notice was delivered");
	if (ret)
		return ret;
	ret = vscsi_event_get(t->dev, &ev, EVT_QUIET_MS);
	if (!ret)
		return tfail(t, "expected no event after the notice, got "
			     "%s(0x%x)", event_name(ev.event), ev.event);
	return T_PASS;
}

/* ------------------------------------------------------------------ */
/* A buffer too small for an event                                     */

static int post_raw(struct tctx *t, uint64_t gpa, uint32_t len)
{
	struct vscsi_seg seg = { gpa, len, true };

	return vscsi_vq_add(&t->dev->vqs[VSCSI_VQ_EVT], &seg, 1, false,
			    (void *)(uintptr_t)gpa);
}

static int event_small_buffer_untouched(struct tctx *t)
{
	struct vscsi_vq *vq;
	struct vscsi_event ev;
	struct virtio_scsi_event raw;
	uint64_t small, big;
	uint32_t used;
	int hs, hb, ret = fix_hotplug(t);
	uint8_t *p;
	unsigned int i;

	if (ret)
		return ret;
	vq = &t->dev->vqs[VSCSI_VQ_EVT];
	small = vscsi_mem_alloc(&t->dev->mem, SMALL_BUF + SMALL_SLACK, 8);
	big = vscsi_mem_alloc(&t->dev->mem, sizeof(raw), 8);
	if (!small || !big)
		return tfail(t, "expected guest memory, got none");
	p = vscsi_mem_ptr(&t->dev->mem, small, SMALL_BUF + SMALL_SLACK);
	memset(p, POISON, SMALL_BUF + SMALL_SLACK);
	hs = post_raw(t, small, SMALL_BUF);
	hb = post_raw(t, big, sizeof(raw));
	if (hs < 0 || hb < 0)
		return tfail(t, "expected two event buffers posted, got %s",
			     err_name(hs < 0 ? hs : hb));
	vscsi_vq_kick(vq);
	ret = link_lun(t, hp_lun(t, 0));
	if (ret)
		return ret;
	if (vscsi_vq_wait(vq, hs, EVT_TIMEOUT_MS)) {
		ret = tfail(t, "expected the %d-byte buffer given back, got no "
			    "answer", SMALL_BUF);
		goto out;
	}
	vscsi_vq_collect(vq, hs, &used);
	for (i = 0; i < SMALL_BUF + SMALL_SLACK && p[i] == POISON; i++)
		;
	if (used || i < SMALL_BUF + SMALL_SLACK) {
		ret = tfail(t, "expected the %d-byte buffer back with used len "
			    "0 and untouched, got used len %u, byte %u = 0x%02x",
			    SMALL_BUF, used, i,
			    i < SMALL_BUF + SMALL_SLACK ? p[i] : POISON);
		goto out;
	}
	if (vscsi_vq_wait(vq, hb, EVT_TIMEOUT_MS)) {
		ret = tfail(t, "expected the event in the next buffer, got none");
		goto out;
	}
	vscsi_vq_collect(vq, hb, &used);
	memcpy(&raw, vscsi_mem_ptr(&t->dev->mem, big, sizeof(raw)),
	       sizeof(raw));
	ev.event = le32toh(raw.event);
	memcpy(ev.lun, raw.lun, sizeof(ev.lun));
	ev.reason = le32toh(raw.reason);
	ret = expect_hotplug(t, &ev, VIRTIO_SCSI_EVT_RESET_RESCAN,
			     hp_lun(t, 0));
out:
	return unlink_lun(t, hp_lun(t, 0), ret);
}

/* ------------------------------------------------------------------ */
/* A storm of hotplug with no buffers                                  */

/*
 * TUR LUN 0, passing over the REPORTED LUNS DATA HAS CHANGED unit
 * attention that LIO raises when LUNs come and go.
 */
static int tur_after_hotplug(struct tctx *t)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	struct scsi_sense s;
	unsigned int tries;
	uint8_t cdb[6];
	int ret;

	for (tries = 0; tries < 4; tries++) {
		cmd_init(t, &cmd, lun0(t));
		cmd.cdb = cdb;
		cmd.cdb_len = scsi_cdb_tur(cdb);
		ret = vscsi_cmd_run(t->dev, &cmd, &res);
		if (ret)
			return tfail(t, "expected TUR after the storm to "
				     "complete, got %s", err_name(ret));
		scsi_sense_parse(res.sense, res.sense_len, &s);
		if (res.response != VIRTIO_SCSI_S_OK ||
		    res.status != SCSI_STATUS_CHECK_CONDITION ||
		    s.key != SCSI_SENSE_UNIT_ATTENTION)
			break;
	}
	return expect_good(t, "TUR after the storm", &res);
}

long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n = strlen(key);
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long slab_kb(void)
{
	return meminfo_kb("Slab");
}

/*
 * After the first event of a storm the guest had no buffers for: what the
 * device still held is at most its queue limit, and nothing is flagged
 * missed again.
 */
static int storm_leftovers(struct tctx *t)
{
	struct vscsi_event ev;
	unsigned int n = 1;
	int ret;

	while (!(ret = vscsi_event_get(t->dev, &ev, EVT_QUIET_MS))) {
		if (++n > STORM_QUEUE_MAX)
			return tfail(t, "expected at most %u queued events "
				     "after the storm, got more",
				     STORM_QUEUE_MAX);
		if (ev.event & VIRTIO_SCSI_T_EVENTS_MISSED)
			return tfail(t, "expected only the first event after "
				     "the storm flagged EVENTS_MISSED, got "
				     "event %u flagged", n);
	}
	tnote(t, "%u events after the storm", n);
	return ret == -ETIMEDOUT ? T_PASS :
	       tfail(t, "expected events or none, got %s", err_name(ret));
}

static int event_storm_bounded(struct tctx *t)
{
	struct vscsi_event ev;
	long before, after;
	long long start;
	unsigned int i;
	int ret = fix_hotplug(t);

	if (ret)
		return ret;
	before = slab_kb();
	if (before < 0)
		return tfail(t, "expected Slab in /proc/meminfo, got none");
	start = now_ms();
	for (i = 0; !ret && i < STORM_CYCLES; i++)
		ret = churn(t, 0, 1);
	if (ret)
		return ret;
	usleep(EVT_QUIET_MS * 1000);
	after = slab_kb();
	tnote(t, "%d link/unlink cycles in %lld ms, Slab %ld -> %ld kB",
	      STORM_CYCLES, now_ms() - start, before, after);
	if (after < 0 || after - before > STORM_SLAB_BOUND_KB)
		return tfail(t, "expected Slab to grow by at most %d kB, got "
			     "%ld kB", STORM_SLAB_BOUND_KB, after - before);
	ret = wait_missed(t, 1, "after a storm with no buffer");
	if (!ret)
		ret = tur_after_hotplug(t);
	if (!ret)
		ret = vscsi_event_post(t->dev, EVT_BUFFERS);
	if (!ret)
		ret = get_event(t, &ev, "posting buffers after the storm");
	if (!ret && !(ev.event & VIRTIO_SCSI_T_EVENTS_MISSED))
		ret = tfail(t, "expected the first event flagged EVENTS_MISSED, "
			    "got %s(0x%x)", event_name(ev.event), ev.event);
	return ret ? ret : storm_leftovers(t);
}

/*
 * With the event queue never set up, nothing drains what LUN changes
 * queue: the module keeps EVT_QUEUE_LIMIT events and counts each one after
 * that as missed, so a storm the guest never reads costs bounded memory.
 * The ring is taken away before SET_ENDPOINT (all-zero addresses), so the
 * queue gets no backend and the events can only pile up.
 */
static int event_queue_limit_exact(struct tctx *t)
{
	struct vhost_vring_addr addr = { .index = VSCSI_VQ_EVT };
	long long before, after, want = 2 * STORM_CYCLES - EVT_QUEUE_LIMIT;
	unsigned int i;
	int ret = fix_need_hotplug(t);

	if (!ret)
		ret = fix_need_wwpn(t);
	if (!ret)
		ret = fix_device(t, NULL);
	if (ret)
		return ret;
	if (ioctl(t->dev->fd, VHOST_SET_VRING_ADDR, &addr))
		return tfail(t, "expected the event ring taken away, got %s",
			     err_name(-errno));
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT to return 0, got %s",
			     err_name(ret));
	before = vhost_stat("events_missed");
	if (before < 0)
		return tfail(t, "expected events_missed in %s, got none",
			     VHOST_STATS);
	for (i = 0; !ret && i < STORM_CYCLES; i++)
		ret = churn(t, 0, 1);
	if (ret)
		return ret;
	after = vhost_stat("events_missed");
	if (after - before != want)
		return tfail(t, "expected %lld of %d events counted missed (all "
			     "after the first %d queued), got %lld", want,
			     2 * STORM_CYCLES, EVT_QUEUE_LIMIT, after - before);
	return T_PASS;
}

/* ------------------------------------------------------------------ */
/* Closing the device with events still coming                         */

struct churner {
	struct tctx *t;
	unsigned int cycles;
	int ret;
};

static void *churn_thread(void *arg)
{
	struct churner *c = arg;
	unsigned int i;

	for (i = 0; !c->ret && i < c->cycles; i++) {
		c->ret = lio_lun_link(c->t->cfg, hp_lun(c->t, 1));
		if (!c->ret)
			c->ret = lio_lun_unlink(c->t->cfg, hp_lun(c->t, 1));
	}
	return NULL;
}

/*
 * The client's half of the teardown sequence teardown-cycle.sh repeats:
 * reads in flight on the slow LUN (when there is one), an ABORT TASK and a
 * QUERY TASK SET not yet answered, no event buffers, and LUNs linked and
 * unlinked while the device is closed.
 */
static int teardown_close_with_events_queued(struct tctx *t)
{
	struct churner c = { .t = t, .cycles = TEARDOWN_CYCLES };
	struct vscsi_req reqs[2];
	struct vscsi_ctl ctl[2];
	struct vscsi_cmd cmd;
	uint8_t cdb[2][16], data[2][4096];
	unsigned int abort_lun = lun0(t);
	uint64_t abort_tag = 1;
	pthread_t thread;
	unsigned int i;
	int ret = fix_hotplug(t);

	if (ret)
		return ret;
	for (i = 0; t->cfg->slow_lun >= 0 && i < 2; i++) {
		cmd_init(t, &cmd, t->cfg->slow_lun);
		cmd.cdb = cdb[i];
		cmd.cdb_len = scsi_cdb_read10(cdb[i], 0, 8);
		cmd.data_in = data[i];
		cmd.data_in_len = sizeof(data[i]);
		ret = vscsi_req_submit(t->dev, vscsi_req_vq(t->dev, 0),
				       &reqs[i], &cmd, true);
		if (ret)
			return tfail(t, "expected READ submitted, got %s",
				     err_name(ret));
		abort_lun = cmd.lun;
		abort_tag = cmd.tag;
	}
	ret = vscsi_tmf_submit(t->dev, &ctl[0], VIRTIO_SCSI_T_TMF_ABORT_TASK,
			       t->cfg->target, abort_lun, abort_tag);
	if (!ret)
		ret = vscsi_tmf_submit(t->dev, &ctl[1],
				       VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
				       t->cfg->target, lun0(t), 0);
	if (ret)
		return tfail(t, "expected TMFs submitted, got %s",
			     err_name(ret));
	ret = churn(t, 0, 3);
	if (ret)
		return ret;
	if (pthread_create(&thread, NULL, churn_thread, &c))
		return tfail(t, "expected a hotplug thread, got none");
	usleep(20 * 1000);
	vscsi_dev_close(t->dev);
	t->dev = NULL;
	pthread_join(thread, NULL);
	lio_lun_unlink(t->cfg, hp_lun(t, 1));
	if (c.ret)
		return tfail(t, "expected %u link/unlink cycles during close, "
			     "got %s", c.cycles, err_name(c.ret));
	return T_PASS;
}

const struct tcase evt_cases[] = {
	{ "event_lun_link_rescan", event_lun_link_rescan },
	{ "event_lun_unlink_removed", event_lun_unlink_removed },
	{ "events_missed_set_without_buffers",
	  events_missed_set_without_buffers },
	{ "events_missed_notice_on_post", events_missed_notice_on_post },
	{ "event_small_buffer_untouched", event_small_buffer_untouched },
	{ "event_storm_bounded", event_storm_bounded },
	{ "event_queue_limit_exact", event_queue_limit_exact },
	{ "teardown_close_with_events_queued",
	  teardown_close_with_events_queued },
	{ NULL, NULL },
};
