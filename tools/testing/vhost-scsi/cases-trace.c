// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi-test cases: what an operator watches.  The vhost_scsi tracepoints,
 * read through a tracefs instance of our own, and the per-device debugfs
 * directory vhost_scsi/dev-<pid>-<id> (info, stats, queue<N>), whose pid is
 * ours because this process sets the endpoint.
 *
 * One workload serves the cases: TRACE_TURS TEST UNIT READYs on request
 * queue 0 (virtqueue 2), one TUR to a target without a TPG (refused,
 * BAD_TARGET), a QUERY TASK that finds nothing (FUNCTION_COMPLETE) and an
 * ABORT TASK to that target (BAD_TARGET, answered before it runs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vscsi-test.h"

#define TRACE_TURS	3
#define TRACE_TMF_TAG	0x7a6b5c4dULL
#define DEBUGFS_DIR	"/sys/kernel/debug/vhost_scsi"
#define REQ_VQ		2	/* request queue 0's virtqueue index */

struct workload {
	uint64_t tags[TRACE_TURS];
	uint64_t refused_tag;
};

static int workload_run(struct tctx *t, struct workload *w)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[6], resp;
	int i, ret;

	for (i = 0; i < TRACE_TURS; i++) {
		ret = tur_on(t, vq, lun0(t), &res, &w->tags[i]);
		if (ret)
			return tfail(t, "expected TUR %d to complete, got %s", i,
				     err_name(ret));
		ret = expect_good(t, "TUR", &res);
		if (ret)
			return ret;
	}
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	cmd.target = t->cfg->missing_target;
	w->refused_tag = cmd.tag;
	ret = vscsi_cmd_run(t->dev, &cmd, &res);
	if (ret)
		return tfail(t, "expected the TUR to a missing target answered, got %s",
			     err_name(ret));
	ret = expect_response(t, "TUR to a missing target", &res,
			      VIRTIO_SCSI_S_BAD_TARGET);
	if (ret)
		return ret;
	ret = vscsi_tmf(t->dev, VIRTIO_SCSI_T_TMF_QUERY_TASK, t->cfg->target,
			lun0(t), TRACE_TMF_TAG, &resp, 5000);
	if (ret || resp != VIRTIO_SCSI_S_OK)
		return tfail(t, "expected QUERY TASK answered 0, got %s/%u",
			     err_name(ret), resp);
	ret = vscsi_tmf(t->dev, VIRTIO_SCSI_T_TMF_ABORT_TASK,
			t->cfg->missing_target, 0, TRACE_TMF_TAG, &resp, 5000);
	if (ret || resp != VIRTIO_SCSI_S_BAD_TARGET)
		return tfail(t, "expected ABORT TASK to a missing target answered %u, got %s/%u",
			     VIRTIO_SCSI_S_BAD_TARGET, err_name(ret), resp);
	return T_PASS;
}

/* ------------------------------------------------------------------ */
/* tracefs                                                             */

static char trace_inst[256];

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static int inst_write(const char *file, const char *s)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", trace_inst, file);
	return write_str(path, s);
}

/* Our own trace instance, the vhost_scsi events on in it. */
static int trace_start(struct tctx *t)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	size_t i;
	int ret;

	for (i = 0; i < 2; i++) {
		char ev[300];

		snprintf(ev, sizeof(ev), "%s/events/vhost_scsi", roots[i]);
		if (!access(ev, F_OK))
			break;
	}
	if (i == 2)
		return tfail(t, "expected events/vhost_scsi in tracefs, found none");
	snprintf(trace_inst, sizeof(trace_inst), "%s/instances/vscsi-test-%d",
		 roots[i], getpid());
	if (mkdir(trace_inst, 0755) && errno != EEXIST)
		return tfail(t, "expected to make %s, got %s", trace_inst,
			     strerror(errno));
	ret = inst_write("events/vhost_scsi/enable", "1");
	if (ret)
		return tfail(t, "expected to enable the vhost_scsi events, got %s",
			     err_name(ret));
	return T_PASS;
}

static void trace_stop(void)
{
	inst_write("events/vhost_scsi/enable", "0");
}

static void trace_end(void)
{
	trace_stop();
	rmdir(trace_inst);
}

/* Our events (pid=<ours>), in order. */
struct tline {
	char text[1024];
};

#define MAX_TLINES	64

static int trace_read(struct tline *lines, int max)
{
	char path[512], buf[1024], me[32];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/trace", trace_inst);
	snprintf(me, sizeof(me), " pid=%d dev=", getpid());
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f) && n < max) {
		if (buf[0] == '#' || !strstr(buf, me))
			continue;
		snprintf(lines[n++].text, sizeof(lines[0].text), "%s", buf);
	}
	fclose(f);
	return n;
}

/* The value after " @key=" in @line, as a number; -1 if absent. */
static long long tfield(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 0) : -1;
}

/* @line has " @key=@val" as a whole word. */
static bool tfield_is(const char *line, const char *key, const char *val)
{
	char pat[300];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=%s", key, val);
	p = strstr(line, pat);
	return p && (p[strlen(pat)] == ' ' || p[strlen(pat)] == '\n' ||
		     !p[strlen(pat)]);
}

static bool is_event(const char *line, const char *ev)
{
	char pat[64];

	snprintf(pat, sizeof(pat), " %s:", ev);
	return strstr(line, pat);
}

static int count_event(const struct tline *l, int n, const char *ev)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += is_event(l[i].text, ev);
	return c;
}

/* Every line of @ev names our WWPN; the request-queue ones queue 2. */
static int check_dev(struct tctx *t, const struct tline *l, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!tfield_is(l[i].text, "wwpn", t->cfg->wwpn))
			return tfail(t, "expected wwpn=%s in: %s",
				     t->cfg->wwpn, l[i].text);
		if ((is_event(l[i].text, "vhost_scsi_cmd_submit") ||
		     is_event(l[i].text, "vhost_scsi_cmd_complete") ||
		     is_event(l[i].text, "vhost_scsi_req_refused")) &&
		    tfield(l[i].text, "queue") != REQ_VQ)
			return tfail(t, "expected queue=%d in: %s", REQ_VQ,
				     l[i].text);
	}
	return T_PASS;
}

/* Each TUR's tag once in @ev, with the fields a TUR must have. */
static int check_turs(struct tctx *t, const struct workload *w,
		      const struct tline *l, int n, const char *ev,
		      bool complete)
{
	int i, k, seen;

	if (count_event(l, n, ev) != TRACE_TURS)
		return tfail(t, "expected %d %s events, got %d", TRACE_TURS, ev,
			     count_event(l, n, ev));
	for (k = 0; k < TRACE_TURS; k++) {
		for (i = 0, seen = 0; i < n; i++) {
			const char *s = l[i].text;

			if (!is_event(s, ev) ||
			    tfield(s, "tag") != (long long)w->tags[k])
				continue;
			seen++;
			if (tfield(s, "lun") != lun0(t) ||
			    tfield(s, "target") != t->cfg->target)
				return tfail(t, "expected target=%u lun=%u in: %s",
					     t->cfg->target, lun0(t), s);
			if (!complete && (tfield(s, "opcode") != 0 ||
					  tfield(s, "len") != 0 ||
					  !tfield_is(s, "dir", "none")))
				return tfail(t, "expected opcode=0x00 len=0 dir=none in: %s",
					     s);
			if (complete && (tfield(s, "status") != 0 ||
					 tfield(s, "response") != 0 ||
					 tfield(s, "latency") <= 0))
				return tfail(t, "expected status=0x00 response=0 latency>0 in: %s",
					     s);
		}
		if (seen != 1)
			return tfail(t, "expected one %s with tag=%llu, got %d",
				     ev, (unsigned long long)w->tags[k], seen);
	}
	return T_PASS;
}

static int check_tmfs(struct tctx *t, const struct tline *l, int n)
{
	int i, got = 0;

	if (count_event(l, n, "vhost_scsi_tmf_received") != 2 ||
	    count_event(l, n, "vhost_scsi_tmf_answered") != 2)
		return tfail(t, "expected 2 tmf_received and 2 tmf_answered, got %d and %d",
			     count_event(l, n, "vhost_scsi_tmf_received"),
			     count_event(l, n, "vhost_scsi_tmf_answered"));
	for (i = 0; i < n; i++) {
		const char *s = l[i].text;

		if (!is_event(s, "vhost_scsi_tmf_answered"))
			continue;
		if (tfield(s, "tag") != (long long)TRACE_TMF_TAG)
			return tfail(t, "expected tag=%llu in: %s",
				     TRACE_TMF_TAG, s);
		if (tfield(s, "type") == VIRTIO_SCSI_T_TMF_QUERY_TASK &&
		    tfield(s, "response") == VIRTIO_SCSI_S_OK &&
		    tfield(s, "lun") == lun0(t))
			got |= 1;
		if (tfield(s, "type") == VIRTIO_SCSI_T_TMF_ABORT_TASK &&
		    tfield(s, "response") == VIRTIO_SCSI_S_BAD_TARGET)
			got |= 2;
	}
	if (got != 3)
		return tfail(t, "expected QUERY TASK answered 0 and ABORT TASK answered %u in the trace",
			     VIRTIO_SCSI_S_BAD_TARGET);
	return T_PASS;
}

static int check_trace(struct tctx *t, const struct workload *w,
		       const struct tline *l, int n)
{
	int ret = check_dev(t, l, n);

	if (!ret)
		ret = check_turs(t, w, l, n, "vhost_scsi_cmd_submit", false);
	if (!ret)
		ret = check_turs(t, w, l, n, "vhost_scsi_cmd_complete", true);
	if (!ret && (count_event(l, n, "vhost_scsi_req_refused") != 1))
		ret = tfail(t, "expected 1 req_refused event, got %d",
			    count_event(l, n, "vhost_scsi_req_refused"));
	for (int i = 0; !ret && i < n; i++)
		if (is_event(l[i].text, "vhost_scsi_req_refused") &&
		    !tfield_is(l[i].text, "reason", "bad_target"))
			ret = tfail(t, "expected reason=bad_target in: %s",
				    l[i].text);
	if (!ret)
		ret = check_tmfs(t, l, n);
	return ret;
}

/*
 * The events of the workload, each once with its fields: submit and
 * complete per command (status, response, a latency), the refusal with
 * its reason, each TMF received and answered.
 */
static int trace_events(struct tctx *t)
{
	static struct tline lines[MAX_TLINES];
	struct workload w;
	int n, ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = trace_start(t);
	if (ret)
		return ret;
	ret = workload_run(t, &w);
	trace_stop();
	n = trace_read(lines, MAX_TLINES);
	if (!ret && n < 0)
		ret = tfail(t, "expected to read the trace, got %s",
			    err_name(n));
	if (!ret)
		ret = check_trace(t, &w, lines, n);
	if (ret && n > 0)
		tnote(t, "%d events, first: %s", n, lines[0].text);
	trace_end();
	return ret;
}

/* ------------------------------------------------------------------ */
/* debugfs                                                             */

/* Our device's directory (dev-<pid>-*): 1 with its path, 0, or >1. */
static int dev_dir(char *path, size_t len)
{
	char prefix[32];
	struct dirent *d;
	DIR *dir = opendir(DEBUGFS_DIR);
	int n = 0;

	if (!dir)
		return 0;
	snprintf(prefix, sizeof(prefix), "dev-%d-", getpid());
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, prefix, strlen(prefix)) && ++n == 1)
			snprintf(path, len, "%s/%s", DEBUGFS_DIR, d->d_name);
	closedir(dir);
	return n;
}

/* "name value" from @dir/@file; -1 if absent. */
static long long dstat(const char *dir, const char *file, const char *name)
{
	char path[512], line[512], key[64];
	long long ret = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2 &&
		    !strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}

/* The line "@name ..." of @dir/info, its newline dropped, in @line. */
static bool dinfo(const char *dir, const char *name, char *line, size_t len)
{
	char path[512];
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/info", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!ok && fgets(line, len, f))
		ok = !strncmp(line, name, strlen(name)) &&
		     line[strlen(name)] == ' ';
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return ok;
}

static bool dinfo_is(const char *dir, const char *name, const char *want)
{
	char line[512];

	return dinfo(dir, name, line, sizeof(line)) &&
	       !strcmp(line + strlen(name) + 1, want);
}

/* The "tpgs" line of @dir/info lists @tag (the WWN may have others). */
static bool dinfo_has_tpg(const char *dir, unsigned int tag)
{
	char line[512], *p, *save;

	if (!dinfo(dir, "tpgs", line, sizeof(line)))
		return false;
	for (p = strtok_r(line + 4, " ", &save); p;
	     p = strtok_r(NULL, " ", &save))
		if (strtoul(p, NULL, 10) == tag)
			return true;
	return false;
}

/*
 * The request-queue threads the workers parameter gives this device:
 * none with 0, one per request queue with -1, at most N with N.
 */
static long long info_workers(const struct tctx *t)
{
	long long io = t->dev->nvqs - VSCSI_VQ_REQ0, want = -1;
	FILE *f = fopen("/sys/module/vhost_scsi/parameters/workers", "r");

	if (f) {
		if (fscanf(f, "%lld", &want) != 1)
			want = -1;
		fclose(f);
	}
	return want < 0 || want > io ? io : want;
}

/*
 * No directory before SET_ENDPOINT; one after, whose info names this
 * process, the WWPN, the TPG and the queues; gone when the device is
 * closed, and a file held open across the close fails its next read
 * instead of reading freed memory.
 */
static int stats_dev_dir(struct tctx *t)
{
	char dir[300], pid[16], buf[64], line[512];
	int fd, ret = fix_need_wwpn(t);
	ssize_t n;

	if (!ret)
		ret = fix_device(t, NULL);
	if (ret)
		return ret;
	if (dev_dir(dir, sizeof(dir)))
		return tfail(t, "expected no %s/dev-%d-* before SET_ENDPOINT",
			     DEBUGFS_DIR, getpid());
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT(%s) to return 0, got %s",
			     t->cfg->wwpn, err_name(ret));
	if (dev_dir(dir, sizeof(dir)) != 1)
		return tfail(t, "expected one %s/dev-%d-* after SET_ENDPOINT, got %d",
			     DEBUGFS_DIR, getpid(), dev_dir(dir, sizeof(dir)));
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (!dinfo_is(dir, "pid", pid) || !dinfo_is(dir, "wwpn", t->cfg->wwpn) ||
	    !dinfo_is(dir, "comm", "vscsi-test"))
		return tfail(t, "expected %s/info to say pid %s, comm vscsi-test, wwpn %s",
			     dir, pid, t->cfg->wwpn);
	if (!dinfo_has_tpg(dir, t->cfg->target))
		return tfail(t, "expected %s/info to list TPG %u, got \"%s\"",
			     dir, t->cfg->target,
			     dinfo(dir, "tpgs", line, sizeof(line)) ? line : "");
	if (dstat(dir, "info", "queues") != t->dev->nvqs)
		return tfail(t, "expected %s/info to say queues %u, got %lld",
			     dir, t->dev->nvqs, dstat(dir, "info", "queues"));
	if (dstat(dir, "info", "workers") != info_workers(t))
		return tfail(t, "expected %s/info to say workers %lld (threads "
			     "started for %u request queues), got %lld", dir,
			     info_workers(t), t->dev->nvqs - VSCSI_VQ_REQ0,
			     dstat(dir, "info", "workers"));
	snprintf(buf, sizeof(buf), "/queue%u", t->dev->nvqs - 1);
	strncat(dir, buf, sizeof(dir) - strlen(dir) - 1);
	fd = open(dir, O_RDONLY);
	if (fd < 0)
		return tfail(t, "expected to open %s, got %s", dir,
			     strerror(errno));
	vscsi_dev_close(t->dev);
	t->dev = NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n >= 0)
		return tfail(t, "expected reading %s after close to fail, got %zd bytes",
			     dir, n);
	if (dev_dir(dir, sizeof(dir)))
		return tfail(t, "expected no %s/dev-%d-* after close",
			     DEBUGFS_DIR, getpid());
	return T_PASS;
}

struct counter {
	const char *file;
	const char *name;
	long long delta;	/* exactly this much, or at least -delta */
};

static const struct counter workload_counters[] = {
	{ "queue2", "cmds", TRACE_TURS },
	{ "queue2", "completed", TRACE_TURS },
	{ "queue2", "bad_target", 1 },
	{ "queue2", "bad_header", 0 },
	{ "queue2", "busy", 0 },
	{ "queue2", "kicks", -1 },
	{ "queue2", "signals", -1 },
	{ "queue0", "tmfs", 2 },
	{ "queue0", "kicks", -2 },
	{ "queue0", "cmds", 0 },
	{ "stats", "cmds", TRACE_TURS },
	{ "stats", "bad_target", 1 },
	{ "stats", "tmfs", 2 },
	{ "stats", "events", 0 },
};

#define NCOUNTERS (sizeof(workload_counters) / sizeof(workload_counters[0]))

/*
 * The device's and its queues' counters move as the workload's requests
 * say: every command, the refusal in its class, the TMFs on the control
 * queue, nothing else; inflight back at 0.
 */
static int stats_dev_counts(struct tctx *t)
{
	long long before[NCOUNTERS], after;
	struct workload w;
	char dir[300];
	size_t i;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	if (dev_dir(dir, sizeof(dir)) != 1)
		return tfail(t, "expected one %s/dev-%d-*", DEBUGFS_DIR,
			     getpid());
	for (i = 0; i < NCOUNTERS; i++)
		before[i] = dstat(dir, workload_counters[i].file,
				  workload_counters[i].name);
	ret = workload_run(t, &w);
	if (ret)
		return ret;
	for (i = 0; i < NCOUNTERS; i++) {
		const struct counter *c = &workload_counters[i];

		after = dstat(dir, c->file, c->name);
		if (before[i] < 0 || after < 0)
			return tfail(t, "expected %s %s in %s", c->file,
				     c->name, dir);
		if (c->delta >= 0 ? after - before[i] != c->delta :
				    after - before[i] < -c->delta)
			return tfail(t, "expected %s %s to move by %s%lld, got %lld -> %lld",
				     c->file, c->name, c->delta < 0 ? ">=" : "",
				     c->delta < 0 ? -c->delta : c->delta,
				     before[i], after);
	}
	if (dstat(dir, "queue2", "inflight") || dstat(dir, "stats", "inflight"))
		return tfail(t, "expected inflight 0 after the workload, got %lld",
			     dstat(dir, "stats", "inflight"));
	return T_PASS;
}

/* Lines of @ev in @l for @lun with @reason. */
static int count_evt(const struct tline *l, int n, const char *ev,
		     unsigned int lun, unsigned int reason)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += is_event(l[i].text, ev) && tfield(l[i].text, "lun") == lun &&
		     tfield(l[i].text, "reason") == reason;
	return c;
}

/* The event queue's events_missed in @dir up to @want, within 2 s. */
static long long wait_dev_missed(const char *dir, long long want)
{
	long long v = -1;
	int i;

	for (i = 0; i < 200; i++) {
		v = dstat(dir, "queue1", "events_missed");
		if (v >= want)
			break;
		usleep(10 * 1000);
	}
	return v;
}

/* Link (@link) or unlink the hotplug LUN, then take one event if @get. */
static int hotplug_step(struct tctx *t, bool link, bool get)
{
	unsigned int lun = t->cfg->hotplug_lun;
	struct vscsi_event ev;
	int ret;

	ret = link ? lio_lun_link(t->cfg, lun) : lio_lun_unlink(t->cfg, lun);
	if (ret)
		return tfail(t, "expected LUN %u %slinked, got %s", lun,
			     link ? "" : "un", err_name(ret));
	/* vscsi_event_get() posts a buffer for the one it takes. */
	ret = get ? vscsi_event_get(t->dev, &ev, 5000) : 0;
	return ret ? tfail(t, "expected an event, got %s", err_name(ret)) :
		     T_PASS;
}

/*
 * With no event buffer, a LUN link: its event queued and dropped.  One
 * buffer posted: the EVENTS_MISSED notice delivered.  The LUN unlinked:
 * its event queued and delivered.  The trace has each of these once and
 * the event queue's counters move by as much.
 */
static int trace_hotplug_events(struct tctx *t)
{
	static struct tline lines[MAX_TLINES];
	unsigned int lun = t->cfg->hotplug_lun;
	long long events, missed;
	struct vscsi_event ev;
	char dir[300];
	int n, ret = fix_need_hotplug(t);

	if (!ret)
		ret = fix_attach(t, NULL);
	if (!ret && dev_dir(dir, sizeof(dir)) != 1)
		ret = tfail(t, "expected one %s/dev-%d-*", DEBUGFS_DIR,
			    getpid());
	if (!ret)
		ret = trace_start(t);
	if (ret)
		return ret;
	events = dstat(dir, "queue1", "events");
	missed = dstat(dir, "queue1", "events_missed");
	ret = hotplug_step(t, true, false);
	if (!ret && wait_dev_missed(dir, missed + 1) != missed + 1)
		ret = tfail(t, "expected queue1 events_missed %lld -> %lld, got %lld",
			    missed, missed + 1, wait_dev_missed(dir, missed + 1));
	if (!ret && vscsi_event_post(t->dev, 1))
		ret = tfail(t, "expected an event buffer posted");
	if (!ret && vscsi_event_get(t->dev, &ev, 5000))
		ret = tfail(t, "expected the EVENTS_MISSED notice");
	if (!ret)
		ret = hotplug_step(t, false, true);
	else
		lio_lun_unlink(t->cfg, lun);
	if (!ret && dstat(dir, "queue1", "events") != events + 2)
		ret = tfail(t, "expected queue1 events %lld -> %lld, got %lld",
			    events, events + 2, dstat(dir, "queue1", "events"));
	trace_stop();
	n = trace_read(lines, MAX_TLINES);
	if (!ret && (count_evt(lines, n, "vhost_scsi_evt_queued", lun,
			       VIRTIO_SCSI_EVT_RESET_RESCAN) != 1 ||
		     count_evt(lines, n, "vhost_scsi_evt_dropped", lun,
			       VIRTIO_SCSI_EVT_RESET_RESCAN) != 1 ||
		     count_evt(lines, n, "vhost_scsi_evt_queued", lun,
			       VIRTIO_SCSI_EVT_RESET_REMOVED) != 1 ||
		     count_evt(lines, n, "vhost_scsi_evt_delivered", lun,
			       VIRTIO_SCSI_EVT_RESET_REMOVED) != 1 ||
		     count_event(lines, n, "vhost_scsi_evt_delivered") != 2 ||
		     count_event(lines, n, "vhost_scsi_evt_dropped") != 1))
		ret = tfail(t, "expected LUN %u: RESCAN queued and dropped, REMOVED queued and delivered, one notice delivered; got %d events",
			    lun, n);
	if (ret && n > 0)
		tnote(t, "first event: %s", lines[0].text);
	trace_end();
	return ret;
}

const struct tcase trace_cases[] = {
	{ "trace_events", trace_events },
	{ "trace_hotplug_events", trace_hotplug_events },
	{ "stats_dev_counts", stats_dev_counts },
	{ "stats_dev_dir", stats_dev_dir },
	{ NULL, NULL },
};
