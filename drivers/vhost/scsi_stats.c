// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: what an operator can watch.
 *
 * Counters in debugfs, one "name value" line each:
 *
 *   vhost_scsi/stats			module-wide, per CPU, summed when read
 *   vhost_scsi/dev-<pid>-<id>/info	the device: client pid and name,
 *					WWPN and TPGs of its endpoint, queues
 *   vhost_scsi/dev-<pid>-<id>/stats	the device: its queues' counters summed
 *   vhost_scsi/dev-<pid>-<id>/queue<N>	one queue (0 control, 1 event, 2...
 *					requests): struct vhost_scsi_vq_stats
 *
 * They live outside configfs because rtslib-fb (targetcli) reads every
 * entry of target/vhost but "version" as a WWN, and saves every attribute
 * of a TPG into its configuration.  A device's directory is made by its
 * first SET_ENDPOINT, when the client (QEMU, not a libvirtd that opened the
 * device for it) is known, and removed first thing at close:
 * debugfs_remove_recursive() waits for readers inside a file's read (the
 * files are made with debugfs_create_file(), whose proxy holds the file
 * while it runs), and later reads of a file still open fail, so no read
 * touches a freed device.
 *
 * This file also instantiates the tracepoints (scsi_trace.h).
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "scsi.h"

#define CREATE_TRACE_POINTS
#include "scsi_trace.h"

DEFINE_PER_CPU(struct vhost_scsi_stats, vhost_scsi_stats);

static struct dentry *vhost_scsi_debugfs;
static atomic_t vhost_scsi_next_id = ATOMIC_INIT(0);

static const char *const vhost_scsi_refusal_names[VHOST_SCSI_R_NR] = {
	[VHOST_SCSI_R_BAD_TARGET] = "bad_target",
	[VHOST_SCSI_R_BAD_HEADER] = "bad_header",
	[VHOST_SCSI_R_BAD_DESC] = "bad_desc",
	[VHOST_SCSI_R_BAD_CDB] = "bad_cdb",
	[VHOST_SCSI_R_BAD_DIRECTION] = "bad_direction",
	[VHOST_SCSI_R_MAP_FAILED] = "map_failed",
	[VHOST_SCSI_R_BUSY] = "busy",
	[VHOST_SCSI_R_NOMEM] = "nomem",
};

const char *vhost_scsi_refusal_name(enum vhost_scsi_refusal why)
{
	return why < VHOST_SCSI_R_NR ? vhost_scsi_refusal_names[why] : "?";
}

/**
 * vhost_scsi_refuse - count and trace a request answered without running it
 * @svq:	the queue it came on; its mutex held
 * @why:	the error class
 */
void vhost_scsi_refuse(struct vhost_scsi_vq *svq, enum vhost_scsi_refusal why)
{
	this_cpu_inc(vhost_scsi_stats.refused[why]);
	vhost_scsi_qcount(svq, refused[why]);
	trace_vhost_scsi_req_refused(svq, why);
}

/* ---- module-wide ---- */

#define STAT(field) { #field, offsetof(struct vhost_scsi_stats, field) }
#define REFUSED(r, name) \
	{ name, offsetof(struct vhost_scsi_stats, refused[VHOST_SCSI_R_##r]) }

static const struct {
	const char *name;
	size_t offset;
} vhost_scsi_stat_fields[] = {
	STAT(cmds),
	REFUSED(BAD_TARGET, "bad_target"), REFUSED(BAD_HEADER, "bad_header"),
	REFUSED(BAD_DESC, "bad_desc"), REFUSED(BAD_CDB, "bad_cdb"),
	REFUSED(BAD_DIRECTION, "bad_direction"),
	REFUSED(MAP_FAILED, "map_failed"), REFUSED(BUSY, "busy"),
	STAT(pool_grown), STAT(pool_shrunk),
	REFUSED(NOMEM, "nomem"),
	STAT(tmfs), STAT(ans), STAT(ordered_as_simple),
	STAT(events), STAT(events_missed),
	STAT(logged), STAT(log_failed),
};

static int vhost_scsi_stats_show(struct seq_file *m, void *unused)
{
	size_t i;
	int cpu;

	for (i = 0; i < ARRAY_SIZE(vhost_scsi_stat_fields); i++) {
		size_t off = vhost_scsi_stat_fields[i].offset;
		u64 sum = 0;

		for_each_possible_cpu(cpu) {
			const void *s = per_cpu_ptr(&vhost_scsi_stats, cpu);

			sum += *(const u64 *)(s + off);
		}
		seq_printf(m, "%s %llu\n", vhost_scsi_stat_fields[i].name, sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_scsi_stats);

/* ---- per device and per queue ---- */

/* Add @svq's counters into @sum (a lockless snapshot, see the struct). */
static void vhost_scsi_vq_stats_add(struct vhost_scsi_vq_stats *sum,
				    const struct vhost_scsi_vq *svq)
{
	const struct vhost_scsi_vq_stats *s = &svq->stats;
	int r;

	sum->cmds += READ_ONCE(s->cmds);
	sum->completed += READ_ONCE(s->completed);
	for (r = 0; r < VHOST_SCSI_R_NR; r++)
		sum->refused[r] += READ_ONCE(s->refused[r]);
	sum->kicks += READ_ONCE(s->kicks);
	sum->signals += READ_ONCE(s->signals);
	sum->tmfs += READ_ONCE(s->tmfs);
	sum->ans += READ_ONCE(s->ans);
	sum->events += READ_ONCE(s->events);
	sum->events_missed += READ_ONCE(s->events_missed);
}

static void vhost_scsi_vq_stats_print(struct seq_file *m,
				      const struct vhost_scsi_vq_stats *s,
				      unsigned int inflight)
{
	int r;

	seq_printf(m, "cmds %llu\ncompleted %llu\ninflight %u\n", s->cmds,
		   s->completed, inflight);
	for (r = 0; r < VHOST_SCSI_R_NR; r++)
		seq_printf(m, "%s %llu\n", vhost_scsi_refusal_names[r],
			   s->refused[r]);
	seq_printf(m, "kicks %llu\nsignals %llu\ntmfs %llu\nans %llu\n",
		   s->kicks, s->signals, s->tmfs, s->ans);
	seq_printf(m, "events %llu\nevents_missed %llu\n", s->events,
		   s->events_missed);
}

static int vhost_scsi_queue_show(struct seq_file *m, void *unused)
{
	const struct vhost_scsi_vq *svq = m->private;
	struct vhost_scsi_vq_stats s = {};

	vhost_scsi_vq_stats_add(&s, svq);
	vhost_scsi_vq_stats_print(m, &s, atomic_read(&svq->inflight));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_scsi_queue);

/*
 * The whole device; events_missed also counts the events dropped before
 * they reached the event queue (@evt_dropped).
 */
static int vhost_scsi_dev_show(struct seq_file *m, void *unused)
{
	struct vhost_scsi *vs = m->private;
	struct vhost_scsi_vq_stats s = {};
	unsigned int inflight = 0;
	int q;

	for (q = 0; q < vs->nvqs; q++) {
		vhost_scsi_vq_stats_add(&s, &vs->vqs[q]);
		inflight += atomic_read(&vs->vqs[q].inflight);
	}
	spin_lock(&vs->evt_lock);
	s.events_missed += vs->evt_dropped;
	spin_unlock(&vs->evt_lock);
	vhost_scsi_vq_stats_print(m, &s, inflight);
	seq_printf(m, "tmf_inflight %d\n", atomic_read(&vs->tmf_inflight));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_scsi_dev);

/* Under @vs->dev.mutex: the endpoint stays as it is while we look. */
static int vhost_scsi_info_show(struct seq_file *m, void *unused)
{
	struct vhost_scsi *vs = m->private;
	const struct vhost_scsi_endpoint *ep;
	int t, q, setup = 0, threads = 0;

	mutex_lock(&vs->dev.mutex);
	for (q = 0; q < vs->nvqs; q++)
		setup += vhost_vq_is_setup(&vs->vqs[q].vq);
	ep = vs->ep;
	seq_printf(m, "pid %d\ncomm %s\nid %u\nwwpn %s\ntpgs", vs->owner_pid,
		   vs->owner_comm, vs->id, ep ? ep->wwpn : "-");
	for (t = 0; ep && t <= VHOST_SCSI_MAX_TARGET; t++)
		if (ep->tpgs[t])
			seq_printf(m, " %u", ep->tpgs[t]->tpgt);
	for (q = 0; q < vs->nworkers; q++)
		threads += !!vs->workers[q];
	seq_printf(m, "\nqueues %d\nworkers %d\n", setup, threads);
	mutex_unlock(&vs->dev.mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_scsi_info);

/**
 * vhost_scsi_dev_stats_add - name the device's client and make its directory
 * @vs:	the device; @vs->dev.mutex held, by SET_ENDPOINT before it binds
 *
 * Only the first call does anything; a debugfs failure only costs the
 * files.  A queue gets its file if the client had set it up by then (QEMU
 * sets up every queue first; the module has max_io_vqs of them).
 */
void vhost_scsi_dev_stats_add(struct vhost_scsi *vs)
{
	char name[32];
	int q;

	lockdep_assert_held(&vs->dev.mutex);
	if (vs->debugfs)
		return;
	vs->id = atomic_inc_return(&vhost_scsi_next_id);
	vs->owner_pid = task_tgid_nr(current);
	get_task_comm(vs->owner_comm, current);
	snprintf(name, sizeof(name), "dev-%d-%u", vs->owner_pid, vs->id);
	vs->debugfs = vhost_scsi_fault(VHOST_SCSI_FAULT_DEBUGFS) ?
		      ERR_PTR(-ENOMEM) :
		      debugfs_create_dir(name, vhost_scsi_debugfs);
	if (IS_ERR(vs->debugfs))
		return;
	debugfs_create_file("info", 0444, vs->debugfs, vs,
			    &vhost_scsi_info_fops);
	debugfs_create_file("stats", 0444, vs->debugfs, vs,
			    &vhost_scsi_dev_fops);
	for (q = 0; q < vs->nvqs; q++) {
		if (!vhost_vq_is_setup(&vs->vqs[q].vq))
			continue;
		snprintf(name, sizeof(name), "queue%d", q);
		debugfs_create_file(name, 0444, vs->debugfs, &vs->vqs[q],
				    &vhost_scsi_queue_fops);
	}
}

/*
 * At close, before anything is torn down and without @vs->dev.mutex (info
 * takes it): returns once no reader is inside one of the files.
 */
void vhost_scsi_dev_stats_remove(struct vhost_scsi *vs)
{
	debugfs_remove_recursive(vs->debugfs);
	vs->debugfs = NULL;
}

void vhost_scsi_stats_init(void)
{
	vhost_scsi_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, vhost_scsi_debugfs, NULL,
			    &vhost_scsi_stats_fops);
	vhost_scsi_fault_init(vhost_scsi_debugfs);
}

void vhost_scsi_stats_exit(void)
{
	debugfs_remove_recursive(vhost_scsi_debugfs);
}
