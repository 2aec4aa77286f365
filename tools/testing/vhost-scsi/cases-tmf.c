// SPDX-License-Identifier: GPL-2.0
/*
 * The control queue: task management functions (TMFs) and asynchronous
 * notification (AN) requests.
 *
 * Every TMF subtype is sent three ways: to an idle LUN; with commands in
 * flight on the slow LUN (VSCSI_SLOW_LUN, reads delayed by dm-delay), where
 * the commands it ends must be returned no later than its own response;
 * and naming a command that already completed.  Then the addressing
 * errors, malformed requests, the CVE-2024-49863 shapes, AN, and a TMF
 * sent while a request queue is kept saturated.
 *
 * The spec calls TMF response 0 FUNCTION_COMPLETE; the uapi header only
 * has VIRTIO_SCSI_S_OK for it.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vscsi-test.h"

#define FUNCTION_COMPLETE	VIRTIO_SCSI_S_OK
#define CVE_TARGET		200	/* a target number with no TPG */
#define AN_ALL_EVENTS		0x7e	/* every asynchronous event class */
#define UNUSED_TAG		0x5eedf00dULL
#define SETTLE_MS		200	/* for submitted commands to reach LIO */
#define BUSY_QUEUES		2
#define BUSY_QUEUE_SIZE		256
/* Two descriptors per TUR (header, response): a full ring. */
#define BUSY_DEPTH		(BUSY_QUEUE_SIZE / 2)
#define BUSY_WARMUP_MS		500
#define TMF_BOUND_MS		2000	/* a TMF on a busy device answers by */

static const char *tmf_name(uint32_t subtype)
{
	static const char *const names[] = {
		"ABORT_TASK", "ABORT_TASK_SET", "CLEAR_ACA", "CLEAR_TASK_SET",
		"I_T_NEXUS_RESET", "LOGICAL_UNIT_RESET", "QUERY_TASK",
		"QUERY_TASK_SET",
	};

	return subtype < 8 ? names[subtype] : "subtype?";
}

static const char *tmf_resp_name(uint8_t response)
{
	return response == FUNCTION_COMPLETE ? "FUNCTION_COMPLETE" :
	       vscsi_response_name(response);
}

/*
 * Send one TMF and compare its response with @want.  The device may write
 * the one response byte and nothing past it.
 */
/*
 * Once the control queue's used index moves past @from (spinning on it,
 * not waiting for the call), the request queue @vq's used index at that
 * moment: the used entries the device wrote before the TMF's response.
 */
static uint16_t used_at_ctl(struct tctx *t, uint16_t from, struct vscsi_vq *vq)
{
	struct vscsi_vq *ctl = &t->dev->vqs[VSCSI_VQ_CTL];
	long long deadline = now_ms() + t->cfg->drop_ms + t->cfg->slow_ms * 3;

	while (le16toh(__atomic_load_n(&ctl->used->idx, __ATOMIC_ACQUIRE)) ==
	       from && now_ms() < deadline)
		usleep(100);
	return le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
}

/*
 * Send one TMF and compare its response with @want.  The device may write
 * the one response byte and nothing past it.  With @snap, *@snap is the
 * used index of request queue 0 when the response entered the used ring
 * (used_at_ctl()).
 */
static int expect_tmf_snap(struct tctx *t, uint32_t subtype, uint8_t target,
			   uint16_t lun, uint64_t tag, uint8_t want,
			   const char *what, uint16_t *snap)
{
	struct vscsi_vq *cvq = &t->dev->vqs[VSCSI_VQ_CTL];
	uint16_t from = le16toh(cvq->used->idx);
	struct vscsi_ctl ctl;
	uint8_t response;
	int ret;

	ret = vscsi_tmf_submit(t->dev, &ctl, subtype, target, lun, tag);
	if (!ret && snap)
		*snap = used_at_ctl(t, from, vscsi_req_vq(t->dev, 0));
	if (!ret)
		ret = vscsi_ctl_wait(t->dev, &ctl,
				     t->cfg->drop_ms + t->cfg->slow_ms * 3);
	if (ret)
		return tfail(t, "expected %s %s answered %s(%u), got %s",
			     tmf_name(subtype), what, tmf_resp_name(want), want,
			     err_name(ret));
	response = ctl.in[0];
	if (response != want)
		return tfail(t, "expected %s %s answered %s(%u), got %s(%u)",
			     tmf_name(subtype), what, tmf_resp_name(want), want,
			     tmf_resp_name(response), response);
	if (ctl.overrun)
		return tfail(t, "expected %s %s to write only its 1-byte "
			     "response, got %u bytes written past it",
			     tmf_name(subtype), what, ctl.overrun);
	return T_PASS;
}

static int expect_tmf(struct tctx *t, uint32_t subtype, uint8_t target,
		      uint16_t lun, uint64_t tag, uint8_t want,
		      const char *what)
{
	return expect_tmf_snap(t, subtype, target, lun, tag, want, what, NULL);
}

/* ------------------------------------------------------------------ */
/* Every subtype against an idle LUN                                   */

struct tmf_idle {
	uint32_t subtype;
	uint8_t want;
};

static const struct tmf_idle idle_abort_task = {
	VIRTIO_SCSI_T_TMF_ABORT_TASK, FUNCTION_COMPLETE };
static const struct tmf_idle idle_abort_task_set = {
	VIRTIO_SCSI_T_TMF_ABORT_TASK_SET, FUNCTION_COMPLETE };
static const struct tmf_idle idle_clear_aca = {
	VIRTIO_SCSI_T_TMF_CLEAR_ACA, FUNCTION_COMPLETE };
static const struct tmf_idle idle_clear_task_set = {
	VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET, FUNCTION_COMPLETE };
static const struct tmf_idle idle_nexus_reset = {
	VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, FUNCTION_COMPLETE };
static const struct tmf_idle idle_lun_reset = {
	VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, FUNCTION_COMPLETE };
/* A query that matches nothing has completed, without success. */
static const struct tmf_idle idle_query_task = {
	VIRTIO_SCSI_T_TMF_QUERY_TASK, FUNCTION_COMPLETE };
static const struct tmf_idle idle_query_task_set = {
	VIRTIO_SCSI_T_TMF_QUERY_TASK_SET, FUNCTION_COMPLETE };

/* LIO's LUN reset count for LUN 0's device (rd0), or -1. */
static long long lio_resets(const struct tctx *t)
{
	char path[512];
	long long v = -1;
	FILE *f;

	if (!t->cfg->hotplug_backstore)
		return -1;
	snprintf(path, sizeof(path), "%s/statistics/scsi_tgt_dev/resets",
		 t->cfg->hotplug_backstore);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Counter @name (read as @before) went up by exactly one. */
static int expect_one_more(struct tctx *t, const char *name,
			   long long before, long long after)
{
	if (before < 0 || after < 0)
		return tfail(t, "expected %s readable, got it unreadable",
			     name);
	if (after != before + 1)
		return tfail(t, "expected %s %lld -> %lld, got %lld", name,
			     before, before + 1, after);
	return T_PASS;
}

/*
 * What only LIO's LUN reset leaves behind (target_tmr_work in 6.1): the
 * device's reset count up by one and, for the next command on the LUN,
 * UNIT ATTENTION, BUS DEVICE RESET FUNCTION OCCURRED (29/03).
 */
static int expect_lio_reset(struct tctx *t, long long resets_before)
{
	struct vscsi_result res;
	struct scsi_sense sense;
	int ret;

	ret = expect_one_more(t, "LIO rd0 statistics/scsi_tgt_dev/resets",
			      resets_before, lio_resets(t));
	if (ret)
		return ret;
	ret = tur_on(t, vscsi_req_vq(t->dev, 0), lun0(t), &res, NULL);
	if (ret)
		return tfail(t, "expected TUR after the reset to complete, "
			     "got %s", err_name(ret));
	scsi_sense_parse(res.sense, res.sense_len, &sense);
	if (res.status != SCSI_STATUS_CHECK_CONDITION ||
	    sense.key != SCSI_SENSE_UNIT_ATTENTION || sense.asc != 0x29 ||
	    sense.ascq != 0x03)
		return tfail(t, "expected TUR after the reset CHECK CONDITION "
			     "6/29/03, got status 0x%02x sense %x/%02x/%02x",
			     res.status, sense.key, sense.asc, sense.ascq);
	return run_tur(t, vscsi_req_vq(t->dev, 0), "second TUR after reset");
}

/*
 * The per-subtype answer, the module's "tmfs" counter up by one (the
 * request reached the TMF path) and, for a LUN reset, LIO's own traces.
 */
static int tmf_idle(struct tctx *t)
{
	const struct tmf_idle *spec = t->arg;
	bool reset = spec->subtype == VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET;
	long long tmfs, resets;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	tmfs = vhost_stat("tmfs");
	resets = lio_resets(t);
	ret = expect_tmf(t, spec->subtype, t->cfg->target, lun0(t),
			 UNUSED_TAG, spec->want, "on an idle LUN");
	if (!ret)
		ret = expect_one_more(t, VHOST_STATS " tmfs", tmfs,
				      vhost_stat("tmfs"));
	if (!ret && reset)
		ret = expect_lio_reset(t, resets);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands in flight on the slow LUN                                  */

static int slow_tur(struct tctx *t, struct vscsi_result *res)
{
	return tur_on(t, vscsi_req_vq(t->dev, 0), t->cfg->slow_lun, res,
		      NULL);
}

/*
 * TUR the slow LUN until it answers GOOD, passing over the unit attentions
 * a reset (ours, or an earlier case's) leaves behind.
 */
int slow_lun_usable(struct tctx *t, const char *what)
{
	struct vscsi_result res;
	unsigned int tries;
	int ret;

	for (tries = 0; tries < 4; tries++) {
		ret = slow_tur(t, &res);
		if (ret)
			return tfail(t, "expected %s to complete, got %s", what,
				     err_name(ret));
		if (res.response != VIRTIO_SCSI_S_OK ||
		    res.status != SCSI_STATUS_CHECK_CONDITION)
			break;
	}
	return expect_good(t, what, &res);
}

int fix_slow(struct tctx *t)
{
	int ret;

	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)");
	ret = fix_attach(t, NULL);
	return ret ? ret : slow_lun_usable(t, "TUR to the slow LUN");
}

int slow_dm_held(int ctl, bool writes)
{
	union {
		struct dm_ioctl io;
		char buf[1024];
	} u;
	const struct dm_target_spec *spec;
	unsigned int reads, writes_held;
	int fd = ctl, ret = 0;

	if (fd < 0)
		fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(u.io);
	snprintf(u.io.name, sizeof(u.io.name), "slow");
	if (ioctl(fd, DM_TABLE_STATUS, &u.io))
		ret = -errno;
	else if (u.io.target_count != 1 ||
		 u.io.data_start + sizeof(*spec) >= sizeof(u))
		ret = -EINVAL;
	if (fd != ctl)
		close(fd);
	if (ret)
		return ret;
	spec = (const void *)(u.buf + u.io.data_start);
	if (sscanf((const char *)(spec + 1), "%u %u", &reads,
		   &writes_held) != 2)
		return -EINVAL;
	return (int)(writes ? writes_held : reads);
}

int slow_settle(struct tctx *t, unsigned int reads)
{
	long long until = now_ms() + t->cfg->slow_ms / 2;
	int held;

	usleep(SETTLE_MS * 1000);
	while ((held = slow_dm_held(-1, false)) >= 0 && held < (int)reads &&
	       now_ms() < until)
		usleep(10 * 1000);
	if (held < 0)
		tnote(t, "dm-delay status unreadable: waited %d ms only",
		      SETTLE_MS);
	else if (held < (int)reads)
		return tfail(t, "expected %u reads held by dm-delay, got %d "
			     "after %u ms", reads, held, t->cfg->slow_ms / 2);
	return T_PASS;
}

int slow_set_submit(struct tctx *t, struct vscsi_vq *vq, struct slow_set *s,
		    bool kick)
{
	struct vscsi_cmd cmd;
	unsigned int i;
	int ret;

	for (i = 0; i < SLOW_CMDS; i++) {
		cmd_init(t, &cmd, t->cfg->slow_lun);
		cmd.cdb = s->cdb[i];
		cmd.cdb_len = scsi_cdb_read10(s->cdb[i], i * SLOW_BLOCKS,
					      SLOW_BLOCKS);
		cmd.data_in = s->data[i];
		cmd.data_in_len = sizeof(s->data[i]);
		ret = vscsi_req_submit(t->dev, vq, &s->req[i], &cmd,
				       kick && i == SLOW_CMDS - 1);
		if (ret)
			return tfail(t, "expected READ %u submitted, got %s", i,
				     err_name(ret));
	}
	return T_PASS;
}

/* Queue SLOW_CMDS reads on the slow LUN and give them time to reach LIO. */
static int slow_submit(struct tctx *t, struct slow_set *s)
{
	unsigned int i;
	int ret;

	ret = slow_set_submit(t, vscsi_req_vq(t->dev, 0), s, true);
	if (ret)
		return ret;
	ret = slow_settle(t, SLOW_CMDS);
	if (ret)
		return ret;
	for (i = 0; i < SLOW_CMDS; i++)
		if (vscsi_req_poll(t->dev, &s->req[i]))
			return tfail(t, "expected READ %u to the slow LUN still "
				     "in flight after %d ms, got it completed "
				     "(is VSCSI_SLOW_LUN really delayed?)", i,
				     SETTLE_MS);
	return T_PASS;
}

/*
 * Wait for every command still out, so that none is left to the device.
 * Returns @ret if the case already has an outcome, else the first failure.
 */
int slow_wait_all(struct tctx *t, struct slow_set *s, int ret)
{
	unsigned int i;
	int err;

	for (i = 0; i < SLOW_CMDS; i++) {
		if (!s->req[i].submitted)
			continue;
		err = vscsi_req_wait(t->dev, &s->req[i],
				     t->cfg->slow_ms * 2 + t->cfg->drop_ms);
		if (!err)
			continue;
		vscsi_req_abandon(&s->req[i]);
		if (!ret)
			ret = tfail(t, "expected READ %u (tag %llu) to complete, "
				    "got %s", i,
				    (unsigned long long)s->req[i].cmd.tag,
				    err_name(err));
	}
	return ret;
}

static int expect_cmd(struct tctx *t, const struct vscsi_req *req,
		      unsigned int i, uint8_t want)
{
	const struct vscsi_result *res = &req->res;

	if (res->response != want)
		return tfail(t, "expected READ %u (tag %llu) answered %s(%u), "
			     "got %s(%u)", i, (unsigned long long)req->cmd.tag,
			     vscsi_response_name(want), want,
			     vscsi_response_name(res->response),
			     res->response);
	if (want == VIRTIO_SCSI_S_OK)
		return expect_good(t, "READ not ended by the TMF", res);
	return T_PASS;
}

struct tmf_inflight {
	uint32_t subtype;
	bool one;		/* names READ 1 by tag, not the task set */
	uint8_t want;		/* its response */
	bool ends;		/* the READs it names end, answered @cmd_want */
	uint8_t cmd_want;
};

static const struct tmf_inflight busy_abort_task = {
	.subtype = VIRTIO_SCSI_T_TMF_ABORT_TASK, .one = true,
	.want = FUNCTION_COMPLETE, .ends = true,
	.cmd_want = VIRTIO_SCSI_S_ABORTED,
};
static const struct tmf_inflight busy_abort_task_set = {
	.subtype = VIRTIO_SCSI_T_TMF_ABORT_TASK_SET,
	.want = FUNCTION_COMPLETE, .ends = true,
	.cmd_want = VIRTIO_SCSI_S_ABORTED,
};
static const struct tmf_inflight busy_clear_task_set = {
	.subtype = VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET,
	.want = FUNCTION_COMPLETE, .ends = true,
	.cmd_want = VIRTIO_SCSI_S_ABORTED,
};
static const struct tmf_inflight busy_nexus_reset = {
	.subtype = VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET,
	.want = FUNCTION_COMPLETE, .ends = true,
	.cmd_want = VIRTIO_SCSI_S_RESET,
};
static const struct tmf_inflight busy_lun_reset = {
	.subtype = VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
	.want = FUNCTION_COMPLETE, .ends = true,
	.cmd_want = VIRTIO_SCSI_S_RESET,
};
static const struct tmf_inflight busy_query_task = {
	.subtype = VIRTIO_SCSI_T_TMF_QUERY_TASK, .one = true,
	.want = VIRTIO_SCSI_S_FUNCTION_SUCCEEDED,
};
static const struct tmf_inflight busy_query_task_set = {
	.subtype = VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
	.want = VIRTIO_SCSI_S_FUNCTION_SUCCEEDED,
};

/* Whether chain @head is in @vq's used ring at an index in [@from, @to). */
static bool used_between(const struct vscsi_vq *vq, uint16_t head,
			 uint16_t from, uint16_t to)
{
	uint16_t i;

	for (i = from; i != to; i++)
		if (le32toh(vq->used->ring[i % vq->num].id) == head)
			return true;
	return false;
}

/*
 * From the request queue's used ring as it was when the TMF's response
 * entered the control queue's (@from..@snap): every command the TMF ended
 * is there (the device returns them first), no command a query named is.
 */
static int check_at_response(struct tctx *t, const struct tmf_inflight *spec,
			     struct slow_set *s, uint16_t from, uint16_t snap)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	unsigned int i;
	bool before;
	int ret;

	for (i = 0; i < SLOW_CMDS; i++) {
		if (spec->one && i != 1)
			continue;
		before = used_between(vq, s->req[i].head, from, snap);
		if (!spec->ends && before)
			return tfail(t, "expected READ %u still in flight at "
				     "the %s response, got it in the used "
				     "ring before it", i,
				     tmf_name(spec->subtype));
		if (spec->ends && !before)
			return tfail(t, "expected READ %u (tag %llu) in the "
				     "used ring before the %s response, got "
				     "it after (used %u..%u)", i,
				     (unsigned long long)s->req[i].cmd.tag,
				     tmf_name(spec->subtype), from, snap);
		if (!spec->ends)
			continue;
		ret = vscsi_req_wait(t->dev, &s->req[i], t->cfg->drop_ms);
		if (ret)
			return tfail(t, "expected READ %u collected, got %s", i,
				     err_name(ret));
		ret = expect_cmd(t, &s->req[i], i, spec->cmd_want);
		if (ret)
			return ret;
	}
	return T_PASS;
}

static int tmf_inflight(struct tctx *t)
{
	const struct tmf_inflight *spec = t->arg;
	struct slow_set *s = calloc(1, sizeof(*s));
	uint16_t from, snap;
	long long start;
	unsigned int i;
	int ret;

	if (!s)
		return tfail(t, "expected memory, got -ENOMEM");
	ret = fix_slow(t);
	if (!ret)
		ret = slow_submit(t, s);
	if (ret)
		goto out;
	start = now_ms();
	from = le16toh(vscsi_req_vq(t->dev, 0)->used->idx);
	ret = expect_tmf_snap(t, spec->subtype, t->cfg->target,
			      t->cfg->slow_lun, s->req[1].cmd.tag, spec->want,
			      "with reads in flight", &snap);
	if (!ret) {
		tnote(t, "answered after %lld ms", now_ms() - start);
		ret = check_at_response(t, spec, s, from, snap);
	}
	ret = slow_wait_all(t, s, ret);
	for (i = 0; !ret && i < SLOW_CMDS; i++)
		if (!spec->ends || (spec->one && i != 1))
			ret = expect_cmd(t, &s->req[i], i, VIRTIO_SCSI_S_OK);
	if (!ret)
		ret = slow_lun_usable(t, "TUR to the slow LUN after the TMF");
out:
	ret = slow_wait_all(t, s, ret);
	free(s);
	return ret;
}

/*
 * A LUN reset of the slow LUN while the backstore holds reads; then the
 * LUN answers a TUR again.
 */
static int slow_reset_with_reads(struct tctx *t, struct slow_set *s)
{
	int ret;

	if (!s)
		return tfail(t, "expected memory, got -ENOMEM");
	ret = fix_slow(t);
	if (!ret)
		ret = slow_submit(t, s);
	if (!ret)
		ret = expect_tmf(t, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
				 t->cfg->target, t->cfg->slow_lun, 0,
				 FUNCTION_COMPLETE, "with reads in flight");
	ret = slow_wait_all(t, s, ret);
	return ret ? ret : slow_lun_usable(t, "TUR to the slow LUN after "
					   "the reset");
}

/* After a LUN reset that ended reads, new reads on that LUN succeed. */
static int tmf_lun_reset_then_read(struct tctx *t)
{
	struct slow_set *s = calloc(1, sizeof(*s));
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[16], data[512];
	int ret;

	ret = slow_reset_with_reads(t, s);
	if (!ret) {
		cmd_init(t, &cmd, t->cfg->slow_lun);
		cmd.cdb = cdb;
		cmd.cdb_len = scsi_cdb_read10(cdb, 0, 1);
		cmd.data_in = data;
		cmd.data_in_len = sizeof(data);
		cmd.timeout_ms = t->cfg->slow_ms * 2 + t->cfg->drop_ms;
		ret = vscsi_cmd_run(t->dev, &cmd, &res);
		ret = ret ? tfail(t, "expected READ after the reset to "
				  "complete, got %s", err_name(ret)) :
			    expect_good(t, "READ after the reset", &res);
	}
	free(s);
	return ret;
}

/* ------------------------------------------------------------------ */
/* A tag that already completed                                        */

static int tmf_completed_tag(struct tctx *t)
{
	uint32_t subtype = *(const uint32_t *)t->arg;
	struct vscsi_result res;
	long long tmfs;
	uint64_t tag;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = tur_on(t, vscsi_req_vq(t->dev, 0), lun0(t), &res, &tag);
	if (ret)
		return tfail(t, "expected TUR to complete, got %s",
			     err_name(ret));
	tmfs = vhost_stat("tmfs");
	ret = expect_tmf(t, subtype, t->cfg->target, lun0(t), tag,
			 FUNCTION_COMPLETE, "naming a completed tag");
	if (!ret)
		ret = expect_one_more(t, VHOST_STATS " tmfs", tmfs,
				      vhost_stat("tmfs"));
	return ret ? ret : run_tur(t, vscsi_req_vq(t->dev, 0),
				   "TUR after the TMF");
}

static const uint32_t tmf_abort_task = VIRTIO_SCSI_T_TMF_ABORT_TASK;
static const uint32_t tmf_query_task = VIRTIO_SCSI_T_TMF_QUERY_TASK;

/* ------------------------------------------------------------------ */
/* Addressing and malformed requests                                   */

/*
 * The device still serves both queues after something odd: a TUR succeeds
 * and a control request is answered (whatever the answer: this is about
 * the queue, not about which TMFs the device implements).
 */
static int still_serving(struct tctx *t, const char *after)
{
	uint8_t response = 0xff;
	char what[96];
	int ret;

	snprintf(what, sizeof(what), "TUR after %s", after);
	ret = run_tur(t, vscsi_req_vq(t->dev, 0), what);
	if (ret)
		return ret;
	ret = vscsi_tmf(t->dev, VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
			t->cfg->target, lun0(t), 0, &response, t->cfg->drop_ms);
	if (ret || response == 0xff)
		return tfail(t, "expected a TMF after %s answered, got %s",
			     after, ret ? err_name(ret) : "NOT_WRITTEN");
	return T_PASS;
}

static int tmf_bad_target(struct tctx *t)
{
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = expect_tmf(t, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
				 t->cfg->missing_target, 0, 0,
				 VIRTIO_SCSI_S_BAD_TARGET,
				 "to a target with no TPG");
	return ret ? ret : still_serving(t, "a TMF to a missing target");
}

/*
 * A TMF naming a LUN the TPG does not map is answered INCORRECT_LUN,
 * whatever its type (t->arg): the types the module answers from its own
 * pools (the task-set and query ones) must check the LUN too, not only
 * those the target core would refuse anyway.
 */
static int tmf_incorrect_lun(struct tctx *t)
{
	const uint32_t *subtype = t->arg;
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = expect_tmf(t, *subtype, t->cfg->target,
				 t->cfg->missing_lun, 0,
				 VIRTIO_SCSI_S_INCORRECT_LUN,
				 "to a LUN that is not mapped");
	return ret ? ret : still_serving(t, "a TMF to a missing LUN");
}

static const uint32_t tmf_lun_reset = VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET;
static const uint32_t tmf_abort_task_set = VIRTIO_SCSI_T_TMF_ABORT_TASK_SET;
static const uint32_t tmf_clear_task_set = VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET;
static const uint32_t tmf_query_task_set = VIRTIO_SCSI_T_TMF_QUERY_TASK_SET;

static int tmf_unknown_subtype(struct tctx *t)
{
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = expect_tmf(t, 99, t->cfg->target, lun0(t), 0,
				 VIRTIO_SCSI_S_FUNCTION_REJECTED,
				 "(subtype 99)");
	return ret ? ret : still_serving(t, "TMF subtype 99");
}

/* Send raw control bytes; expect a one-byte @want within drop_ms. */
static int expect_ctl_byte(struct tctx *t, const void *out, uint32_t len,
			   uint32_t in_len, uint8_t want, const char *what)
{
	struct vscsi_ctl ctl;
	int ret;

	ret = vscsi_ctl_submit(t->dev, &ctl, out, len, in_len);
	if (ret)
		return tfail(t, "expected %s submitted, got %s", what,
			     err_name(ret));
	ret = vscsi_ctl_wait(t->dev, &ctl, t->cfg->drop_ms);
	if (ret)
		return tfail(t, "expected %s answered %s(%u), got %s", what,
			     vscsi_response_name(want), want,
			     ret == -ETIMEDOUT ? "no answer" : err_name(ret));
	tnote(t, "used len %u, response byte %u, %u bytes written past the "
	      "buffer", ctl.used_len, ctl.in[0], ctl.overrun);
	if (ctl.in[0] != want || ctl.used_len < 1)
		return tfail(t, "expected %s answered %s(%u) with used len "
			     ">= 1, got %s(%u) with used len %u", what,
			     vscsi_response_name(want), want,
			     vscsi_response_name(ctl.in[0]), ctl.in[0],
			     ctl.used_len);
	if (ctl.overrun)
		return tfail(t, "expected nothing written past the %u-byte "
			     "response buffer, got %u bytes", in_len,
			     ctl.overrun);
	return T_PASS;
}

static int ctl_unknown_type(struct tctx *t)
{
	struct virtio_scsi_ctrl_tmf_req req;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	vscsi_tmf_req_init(&req, 0, t->cfg->target, lun0(t), 0);
	req.type = htole32(7);
	ret = expect_ctl_byte(t, &req, sizeof(req), 16, VIRTIO_SCSI_S_FAILURE,
			      "control request of type 7");
	return ret ? ret : still_serving(t, "control type 7");
}

static int tmf_truncated(struct tctx *t)
{
	struct virtio_scsi_ctrl_tmf_req req;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	/* type, subtype and half the LUN: the tag never arrives. */
	vscsi_tmf_req_init(&req, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			   t->cfg->target, lun0(t), 0);
	ret = expect_ctl_byte(t, &req, 12, 1, VIRTIO_SCSI_S_FAILURE,
			      "TMF cut to 12 bytes");
	return ret ? ret : still_serving(t, "a truncated TMF");
}

/*
 * CVE-2024-49863: upstream dereferenced the target of a control request's
 * LUN before knowing it named a TPG.
 */
static int tmf_nonexistent_target_cve(struct tctx *t)
{
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = expect_tmf(t, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
				 CVE_TARGET, 0, 0, VIRTIO_SCSI_S_BAD_TARGET,
				 "to target 200");
	if (!ret)
		ret = expect_tmf(t, VIRTIO_SCSI_T_TMF_ABORT_TASK, CVE_TARGET,
				 0, 1, VIRTIO_SCSI_S_BAD_TARGET,
				 "to target 200");
	return ret ? ret : still_serving(t, "TMFs to target 200");
}

/* ------------------------------------------------------------------ */
/* Asynchronous notification                                           */

enum an_where { AN_LUN_PRESENT, AN_LUN_MISSING, AN_TARGET_MISSING };

struct an_spec {
	uint32_t type;
	enum an_where where;
};

static const char *an_name(uint32_t type)
{
	return type == VIRTIO_SCSI_T_AN_QUERY ? "AN query" : "AN subscribe";
}

/* OK with event_actual 0, and nothing written past the response. */
static int expect_an(struct tctx *t, uint32_t type, uint8_t target,
		     uint16_t lun, const char *what)
{
	struct virtio_scsi_ctrl_an_req req = { 0 };
	struct virtio_scsi_ctrl_an_resp resp;
	struct vscsi_ctl ctl;
	uint32_t actual;
	long long ans;
	int ret;

	req.type = htole32(type);
	vscsi_lun_encode(req.lun, target, lun);
	req.event_requested = htole32(AN_ALL_EVENTS);
	ans = vhost_stat("ans");
	ret = vscsi_ctl_submit(t->dev, &ctl, &req, sizeof(req), sizeof(resp));
	if (!ret)
		ret = vscsi_ctl_wait(t->dev, &ctl, t->cfg->drop_ms);
	if (ret)
		return tfail(t, "expected %s to %s answered OK, got %s",
			     an_name(type), what, err_name(ret));
	memcpy(&resp, ctl.in, sizeof(resp));
	actual = le32toh(resp.event_actual);
	if (resp.response != VIRTIO_SCSI_S_OK || actual)
		return tfail(t, "expected %s to %s answered OK with "
			     "event_actual 0, got %s(%u) with 0x%x",
			     an_name(type), what,
			     vscsi_response_name(resp.response), resp.response,
			     actual);
	if (ctl.overrun)
		return tfail(t, "expected %s to %s to write only its %zu-byte "
			     "response, got %u bytes written past it",
			     an_name(type), what, sizeof(resp), ctl.overrun);
	return expect_one_more(t, VHOST_STATS " ans", ans, vhost_stat("ans"));
}

static int an_answers(struct tctx *t)
{
	const struct an_spec *spec = t->arg;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	switch (spec->where) {
	case AN_LUN_PRESENT:
		ret = expect_an(t, spec->type, t->cfg->target, lun0(t),
				"a mapped LUN");
		break;
	case AN_LUN_MISSING:
		ret = expect_an(t, spec->type, t->cfg->target,
				t->cfg->missing_lun, "a LUN that is not mapped");
		break;
	case AN_TARGET_MISSING:
		ret = expect_an(t, spec->type, t->cfg->missing_target, 0,
				"a target with no TPG");
		break;
	}
	return ret ? ret : still_serving(t, "an AN request");
}

static const struct an_spec an_query_present = {
	VIRTIO_SCSI_T_AN_QUERY, AN_LUN_PRESENT };
static const struct an_spec an_query_missing_lun = {
	VIRTIO_SCSI_T_AN_QUERY, AN_LUN_MISSING };
static const struct an_spec an_query_missing_target = {
	VIRTIO_SCSI_T_AN_QUERY, AN_TARGET_MISSING };
static const struct an_spec an_subscribe_present = {
	VIRTIO_SCSI_T_AN_SUBSCRIBE, AN_LUN_PRESENT };
static const struct an_spec an_subscribe_missing_lun = {
	VIRTIO_SCSI_T_AN_SUBSCRIBE, AN_LUN_MISSING };
static const struct an_spec an_subscribe_missing_target = {
	VIRTIO_SCSI_T_AN_SUBSCRIBE, AN_TARGET_MISSING };

/* CVE-2024-49863 was an AN request whose LUN named a target with no TPG. */
static int an_nonexistent_target_cve(struct tctx *t)
{
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = expect_an(t, VIRTIO_SCSI_T_AN_QUERY, CVE_TARGET, 0,
				"target 200");
	if (!ret)
		ret = expect_an(t, VIRTIO_SCSI_T_AN_SUBSCRIBE, CVE_TARGET, 0,
				"target 200");
	return ret ? ret : still_serving(t, "AN requests to target 200");
}

/* ------------------------------------------------------------------ */
/* A TMF is not starved by a saturated request queue                   */

struct busy {
	struct vscsi_vq *vq[BUSY_QUEUES];
	struct vscsi_req reqs[BUSY_QUEUES][BUSY_DEPTH];
	uint8_t cdb[6];
	unsigned long completed;
};

static int busy_submit(struct tctx *t, struct busy *b, unsigned int q,
		       struct vscsi_req *req)
{
	struct vscsi_cmd cmd;
	int ret;

	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = b->cdb;
	cmd.cdb_len = scsi_cdb_tur(b->cdb);
	ret = vscsi_req_submit(t->dev, b->vq[q], req, &cmd, false);
	return ret ? tfail(t, "expected TUR submitted, got %s",
			   err_name(ret)) : T_PASS;
}

/* Sleep until a call eventfd fires (or @ms pass) and drain them all. */
static void busy_sleep(struct tctx *t, struct busy *b, int ms)
{
	struct pollfd pfd[BUSY_QUEUES + 1];
	uint64_t count;
	unsigned int q;

	for (q = 0; q < BUSY_QUEUES; q++)
		pfd[q] = (struct pollfd){ b->vq[q]->call_fd, POLLIN, 0 };
	pfd[q] = (struct pollfd){ t->dev->vqs[VSCSI_VQ_CTL].call_fd, POLLIN,
				  0 };
	poll(pfd, BUSY_QUEUES + 1, ms);
	for (q = 0; q <= BUSY_QUEUES; q++)
		while (read(pfd[q].fd, &count, sizeof(count)) > 0)
			;
}

/*
 * Keep every slot of every queue busy with TURs until @until, or until
 * @ctl (if given) is answered.
 */
static int busy_pump(struct tctx *t, struct busy *b, struct vscsi_ctl *ctl,
		     long long until)
{
	unsigned int q;
	int head, ret;
	bool any;

	while (now_ms() < until) {
		any = false;
		for (q = 0; q < BUSY_QUEUES; q++) {
			/* Timeout 0: reap and re-arm the call, never sleep. */
			while ((head = vscsi_vq_wait_any(b->vq[q], 0)) >= 0) {
				struct vscsi_req *req = b->vq[q]->slots[head].owner;

				vscsi_req_finish(t->dev, req);
				if (req->res.response != VIRTIO_SCSI_S_OK)
					return tfail(t, "expected TURs on the "
						     "busy queue answered OK, "
						     "got %s",
						     vscsi_response_name(req->res.response));
				b->completed++;
				ret = busy_submit(t, b, q, req);
				if (ret)
					return ret;
				any = true;
			}
			vscsi_vq_kick(b->vq[q]);
		}
		if (ctl && vscsi_ctl_poll(t->dev, ctl))
			return T_PASS;
		if (!any)
			busy_sleep(t, b, 2);
	}
	return T_PASS;
}

static void busy_drain(struct tctx *t, struct busy *b)
{
	unsigned int q, i;

	for (q = 0; q < BUSY_QUEUES; q++)
		for (i = 0; i < BUSY_DEPTH; i++)
			if (vscsi_req_wait(t->dev, &b->reqs[q][i],
					   t->cfg->drop_ms))
				vscsi_req_abandon(&b->reqs[q][i]);
}

static int tmf_not_starved(struct tctx *t)
{
	struct vscsi_opts opts = { .req_queues = BUSY_QUEUES,
				   .queue_size = BUSY_QUEUE_SIZE };
	struct busy *b = calloc(1, sizeof(*b));
	unsigned long warm;
	struct vscsi_ctl ctl;
	long long start, took;
	unsigned int q, i;
	int ret;

	if (!b)
		return tfail(t, "expected memory, got -ENOMEM");
	ret = fix_attach(t, &opts);
	if (ret)
		goto out;
	for (q = 0; q < BUSY_QUEUES; q++) {
		b->vq[q] = vscsi_req_vq(t->dev, q);
		for (i = 0; !ret && i < BUSY_DEPTH; i++)
			ret = busy_submit(t, b, q, &b->reqs[q][i]);
		vscsi_vq_kick(b->vq[q]);
	}
	if (!ret)
		ret = busy_pump(t, b, NULL, now_ms() + BUSY_WARMUP_MS);
	if (ret)
		goto drain;
	warm = b->completed;
	if (warm < BUSY_DEPTH) {
		ret = tfail(t, "expected the request queues busy (>= %u TURs "
			    "in %d ms), got %lu", BUSY_DEPTH, BUSY_WARMUP_MS,
			    warm);
		goto drain;
	}
	start = now_ms();
	ret = vscsi_tmf_submit(t->dev, &ctl, VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
			       t->cfg->target, lun0(t), 0);
	if (ret) {
		ret = tfail(t, "expected QUERY_TASK_SET submitted, got %s",
			    err_name(ret));
		goto drain;
	}
	ret = busy_pump(t, b, &ctl, start + TMF_BOUND_MS);
	took = now_ms() - start;
	tnote(t, "%lu TURs in the %d ms warm-up, answered after %lld ms "
	      "with %lu more", warm, BUSY_WARMUP_MS, took,
	      b->completed - warm);
	if (!ret && !ctl.completed)
		ret = tfail(t, "expected QUERY_TASK_SET answered within %d ms "
			    "of a saturated request queue, got no answer",
			    TMF_BOUND_MS);
	if (!ret && ctl.in[0] != FUNCTION_COMPLETE &&
	    ctl.in[0] != VIRTIO_SCSI_S_FUNCTION_SUCCEEDED)
		ret = tfail(t, "expected QUERY_TASK_SET answered "
			    "FUNCTION_COMPLETE or FUNCTION_SUCCEEDED, got %s(%u)",
			    tmf_resp_name(ctl.in[0]), ctl.in[0]);
drain:
	busy_drain(t, b);
out:
	free(b);
	return ret;
}

/*
 * A LUN reset ends reads the backstore holds, then an ORDERED command on
 * that LUN must be answered (and counted as run SIMPLE): handed to
 * Debian's 6.1 target core as ORDERED it would wait forever behind the
 * aborted reads, and so would the device's close.
 */
static int tmf_reset_then_ordered(struct tctx *t)
{
	struct slow_set *s = calloc(1, sizeof(*s));
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	long long ordered;
	uint8_t cdb[6];
	int ret;

	ret = slow_reset_with_reads(t, s);
	if (ret)
		goto out;
	ordered = vhost_stat("ordered_as_simple");
	tur_cmd_init(t, &cmd, t->cfg->slow_lun, cdb);
	cmd.task_attr = VIRTIO_SCSI_S_ORDERED;
	cmd.timeout_ms = t->cfg->slow_ms * 2 + t->cfg->drop_ms;
	ret = vscsi_cmd_run(t->dev, &cmd, &res);
	if (ret) {
		ret = tfail(t, "expected an ORDERED TUR after the reset to be "
			    "answered, got %s", err_name(ret));
		goto out;
	}
	ret = expect_good(t, "ORDERED TUR after the reset", &res);
	if (!ret)
		ret = expect_one_more(t, VHOST_STATS " ordered_as_simple",
				      ordered, vhost_stat("ordered_as_simple"));
out:
	free(s);
	return ret;
}

const struct tcase tmf_cases[] = {
	{ "tmf_abort_task_idle", tmf_idle, &idle_abort_task },
	{ "tmf_abort_task_set_idle", tmf_idle, &idle_abort_task_set },
	{ "tmf_clear_aca_idle", tmf_idle, &idle_clear_aca },
	{ "tmf_clear_task_set_idle", tmf_idle, &idle_clear_task_set },
	{ "tmf_i_t_nexus_reset_idle", tmf_idle, &idle_nexus_reset },
	{ "tmf_lun_reset_idle", tmf_idle, &idle_lun_reset },
	{ "tmf_query_task_idle", tmf_idle, &idle_query_task },
	{ "tmf_query_task_set_idle", tmf_idle, &idle_query_task_set },
	{ "tmf_abort_task_inflight", tmf_inflight, &busy_abort_task },
	{ "tmf_abort_task_set_inflight", tmf_inflight, &busy_abort_task_set },
	{ "tmf_clear_task_set_inflight", tmf_inflight, &busy_clear_task_set },
	{ "tmf_i_t_nexus_reset_inflight", tmf_inflight, &busy_nexus_reset },
	{ "tmf_lun_reset_inflight", tmf_inflight, &busy_lun_reset },
	{ "tmf_query_task_inflight", tmf_inflight, &busy_query_task },
	{ "tmf_query_task_set_inflight", tmf_inflight, &busy_query_task_set },
	{ "tmf_lun_reset_then_read", tmf_lun_reset_then_read },
	{ "tmf_reset_then_ordered", tmf_reset_then_ordered },
	{ "tmf_abort_task_completed_tag", tmf_completed_tag,
	  &tmf_abort_task },
	{ "tmf_query_task_completed_tag", tmf_completed_tag,
	  &tmf_query_task },
	{ "tmf_bad_target", tmf_bad_target },
	{ "tmf_incorrect_lun", tmf_incorrect_lun, &tmf_lun_reset },
	{ "tmf_incorrect_lun_abort_task", tmf_incorrect_lun, &tmf_abort_task },
	{ "tmf_incorrect_lun_abort_task_set", tmf_incorrect_lun,
	  &tmf_abort_task_set },
	{ "tmf_incorrect_lun_clear_task_set", tmf_incorrect_lun,
	  &tmf_clear_task_set },
	{ "tmf_incorrect_lun_query_task", tmf_incorrect_lun, &tmf_query_task },
	{ "tmf_incorrect_lun_query_task_set", tmf_incorrect_lun,
	  &tmf_query_task_set },
	{ "tmf_unknown_subtype_rejected", tmf_unknown_subtype },
	{ "ctl_unknown_type_failure", ctl_unknown_type },
	{ "tmf_truncated_failure", tmf_truncated },
	{ "tmf_nonexistent_target_cve_2024_49863",
	  tmf_nonexistent_target_cve },
	{ "an_query_lun_present", an_answers, &an_query_present },
	{ "an_query_lun_missing", an_answers, &an_query_missing_lun },
	{ "an_query_target_missing", an_answers, &an_query_missing_target },
	{ "an_subscribe_lun_present", an_answers, &an_subscribe_present },
	{ "an_subscribe_lun_missing", an_answers, &an_subscribe_missing_lun },
	{ "an_subscribe_target_missing", an_answers,
	  &an_subscribe_missing_target },
	{ "an_nonexistent_target_cve_2024_49863", an_nonexistent_target_cve },
	{ "tmf_not_starved_by_busy_queue", tmf_not_starved },
	{ NULL, NULL },
};
