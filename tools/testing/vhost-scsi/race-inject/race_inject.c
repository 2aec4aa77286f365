// SPDX-License-Identifier: GPL-2.0
/*
 * race_inject - test-only: hold four race windows of vhost_scsi open so
 * the race cases (tools/testing/vhost-scsi/cases-race.c) hit them every
 * time, and count whether the other side got in meanwhile.  Each window is
 * armed by writing a time in milliseconds to its parameter, which also
 * resets its counters; 0 disarms it.
 *
 * handoff_ms	the completion handoff (vhost_scsi_queue_done: llist_add,
 *		then vhost_work_queue).  The second handoff of a command to
 *		the worker after arming is held at vhost_work_queue's entry,
 *		busy-waiting with preemption off, the command already
 *		published.  Until that hold begins the worker's completion
 *		runs are put off (skipped and queued again), so the run that
 *		follows answers the held command too.  handoff_overlaps
 *		counts vhost_dev_cleanup() of the same device entered during
 *		the hold: the device was being freed under the handoff.  The
 *		held call is then skipped, so a module with that bug fails
 *		the case instead of touching freed memory.  handoff_holding
 *		is Y during the hold.  Needs two CPUs.
 * tmf_handoff_ms	the same for the TMF handoff (vhost_scsi_tmf_release:
 *		llist_add, then vhost_work_queue of the TMF work), with
 *		tmf_fn in place of complete_fn: the second TMF handed back
 *		after arming is held, the TMF work's runs put off until
 *		then.  tmf_handoff_overlaps, tmf_handoff_delays and
 *		tmf_handoff_holding as above.
 * evt_ms	the event queue's discard of unusable buffers: every buffer
 *		the event path gives back unwritten (vhost_add_used with
 *		length 0, called from a vhost_scsi_evt* function) takes this
 *		long, busy-waiting, so a client re-posting bad buffers keeps
 *		the ring from ever running empty.  evt_discards counts them.
 * release_ms	the target core's last reference to a session: at the
 *		first return from vhost_scsi_release_cmd() after arming, the
 *		command's session command counter (which the target core
 *		puts right after that return) gets one more reference, put
 *		this long later from a work item: the core's own put, made
 *		late, without holding a CPU.  release_overlaps counts
 *		transport_free_session() of that session entered while the
 *		reference is held; the late put is then dropped, so a module
 *		with that bug fails the case instead of touching freed memory.
 *		release_holding is Y while the reference is held.
 *
 * spare=N (default Y) makes the probes leave the access after an overlap
 * alone, so that a debug kernel's KASAN reports the use after free.
 *
 * Load it after vhost_scsi (two probes are on its symbols); unload it
 * before vhost_scsi.  Needs CONFIG_KPROBES and CONFIG_KRETPROBES.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu-refcount.h>
#include <linux/ptrace.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <target/target_core_base.h>

#include "vhost_work.h"

/* No window is held, nor a completion put off, longer than this. */
#define RACE_LIMIT_MS	10000

/*
 * One window.  @ms is written by race_arm() only; @hits counts probe hits
 * since arming; @active is set while the window is held, @key naming the
 * object whose teardown during the hold is an overlap (a vhost_dev or a
 * se_session).
 */
struct race_window {
	unsigned int ms;
	unsigned long armed_at;	/* jiffies */
	atomic_t hits;
	atomic_t delays;
	atomic_t overlaps;
	bool active;
	unsigned long key;
};

static struct race_window handoff, tmf_handoff, evt, release;

/*
 * The worker's completion function, whose runs are put off and whose
 * handoffs are counted; Debian's module calls its own
 * vhost_scsi_complete_cmd_work.
 */
static char *complete_fn = "vhost_scsi_complete_work";
module_param(complete_fn, charp, 0444);
MODULE_PARM_DESC(complete_fn, "the worker's completion function (load time)");

/* The same for TMFs; Debian's module names it vhost_scsi_tmf_resp_work. */
static char *tmf_fn = "vhost_scsi_tmf_work";
module_param(tmf_fn, charp, 0444);
MODULE_PARM_DESC(tmf_fn, "the worker's TMF function (load time)");

static bool spare = true;
module_param(spare, bool, 0644);
MODULE_PARM_DESC(spare, "skip the access to freed memory after an overlap (default Y)");

/*
 * Serializes the end of the release hold (clear @active, put or not)
 * against transport_free_session() checking it, so the late put is never
 * made on a freed counter.
 */
static DEFINE_SPINLOCK(release_lock);
static struct target_cmd_counter *release_cnt;	/* under release_lock */

/* A pre-handler sends a call here to skip it: it returns at once. */
static noinline void race_skipped(void)
{
}

static int race_skip_call(struct pt_regs *regs)
{
	instruction_pointer_set(regs, (unsigned long)race_skipped);
	return 1;
}

static void race_spin(unsigned int ms)
{
	while (ms--)
		mdelay(1);
}

static bool race_overlap(struct race_window *w, unsigned long key)
{
	/* Pairs with the release that set @active after @key. */
	if (!smp_load_acquire(&w->active) || READ_ONCE(w->key) != key)
		return false;
	atomic_inc(&w->overlaps);
	return true;
}

/*
 * Is the function at @addr named @prefix (@whole) or does its name start
 * with it?  A module symbol reads "name [module]".
 */
static bool race_sym_is(unsigned long addr, const char *prefix, bool whole)
{
	char name[KSYM_SYMBOL_LEN];
	size_t len = strlen(prefix);

	sprint_symbol_no_offset(name, addr);
	if (strncmp(name, prefix, len))
		return false;
	return !whole || name[len] == ' ' || name[len] == '\0';
}

/* ---- (a) the completion and TMF handoffs ---- */

/* The armed handoff window whose worker function is @fn, if any. */
static struct race_window *race_handoff_of(unsigned long fn)
{
	if (READ_ONCE(handoff.ms) && race_sym_is(fn, complete_fn, true))
		return &handoff;
	if (READ_ONCE(tmf_handoff.ms) && race_sym_is(fn, tmf_fn, true))
		return &tmf_handoff;
	return NULL;
}

/* vhost_work_queue(dev, work): hold the second handoff after arming. */
static int race_work_queue_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vhost_work *work = (void *)regs_get_kernel_argument(regs, 1);
	unsigned long dev = regs_get_kernel_argument(regs, 0);
	struct race_window *w = race_handoff_of((unsigned long)work->fn);
	unsigned int ms = w ? READ_ONCE(w->ms) : 0;

	if (!ms)
		return 0;
	/* The first names the device the put-off runs are queued on. */
	WRITE_ONCE(w->key, dev);
	if (atomic_inc_return(&w->hits) != 2)
		return 0;
	/* @key before @active: race_overlap() acquires @active. */
	smp_store_release(&w->active, true);
	race_spin(ms);
	/* The hold's end after everything in it, for race_overlap(). */
	smp_store_release(&w->active, false);
	atomic_inc(&w->delays);
	/* The device was freed meanwhile: do not touch it. */
	if (atomic_read(&w->overlaps) && READ_ONCE(spare))
		return race_skip_call(regs);
	return 0;
}

/*
 * A run of the worker function a handoff window counts (complete_fn or
 * tmf_fn, probed at @p), fn(work): between the first handoff and the hold
 * of the second, put it off.
 */
static int race_put_off_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vhost_work *work = (void *)regs_get_kernel_argument(regs, 0);
	struct race_window *w = p->symbol_name == tmf_fn ? &tmf_handoff :
							   &handoff;

	if (!READ_ONCE(w->ms) || atomic_read(&w->hits) != 1 ||
	    time_after(jiffies, READ_ONCE(w->armed_at) +
				msecs_to_jiffies(RACE_LIMIT_MS)))
		return 0;
	/* Nested: this call of vhost_work_queue() is not probed again. */
	vhost_work_queue((struct vhost_dev *)READ_ONCE(w->key), work);
	return race_skip_call(regs);
}

static int race_dev_cleanup_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long dev = regs_get_kernel_argument(regs, 0);

	race_overlap(&handoff, dev);
	race_overlap(&tmf_handoff, dev);
	return 0;
}

/* ---- (b) the event queue's discard loop ---- */

/* vhost_add_used(vq, head, len): slow down every unwritten event buffer. */
static int race_add_used_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long caller = regs_get_kernel_stack_nth(regs, 0);
	unsigned int ms = READ_ONCE(evt.ms);

	if (!ms || regs_get_kernel_argument(regs, 2) != 0 ||
	    !race_sym_is(caller, "vhost_scsi_evt", false))
		return 0;
	race_spin(ms);
	atomic_inc(&evt.delays);
	return 0;
}

/* ---- (c) the target core's last reference to a session ---- */

struct race_release_data {
	struct target_cmd_counter *cnt;
	struct se_session *sess;
};

/* Entry of release_cmd: the command may be reused once it returns. */
static int race_release_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct se_cmd *se_cmd = (void *)regs_get_kernel_argument(regs, 0);
	struct race_release_data *d = (void *)ri->data;

	d->cnt = se_cmd->cmd_cnt;
	d->sess = se_cmd->se_sess;
	return 0;
}

static void race_release_put(struct work_struct *work)
{
	unsigned long flags;

	spin_lock_irqsave(&release_lock, flags);
	/* Pairs with race_overlap(), also serialized by release_lock. */
	smp_store_release(&release.active, false);
	if (!atomic_read(&release.overlaps) || !READ_ONCE(spare))
		percpu_ref_put(&release_cnt->refcnt);
	release_cnt = NULL;
	spin_unlock_irqrestore(&release_lock, flags);
	atomic_inc(&release.delays);
}

static DECLARE_DELAYED_WORK(race_release_work, race_release_put);

/* Return of release_cmd: the target core still holds the counter here. */
static int race_release_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct race_release_data *d = (void *)ri->data;
	unsigned int ms = READ_ONCE(release.ms);
	unsigned long flags;

	if (!ms || !d->cnt || atomic_inc_return(&release.hits) != 1)
		return 0;
	spin_lock_irqsave(&release_lock, flags);
	percpu_ref_get(&d->cnt->refcnt);
	release_cnt = d->cnt;
	WRITE_ONCE(release.key, (unsigned long)d->sess);
	/* @key before @active: race_overlap() acquires @active. */
	smp_store_release(&release.active, true);
	spin_unlock_irqrestore(&release_lock, flags);
	schedule_delayed_work(&race_release_work, msecs_to_jiffies(ms));
	return 0;
}

static int race_free_session_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	spin_lock_irqsave(&release_lock, flags);
	race_overlap(&release, regs_get_kernel_argument(regs, 0));
	spin_unlock_irqrestore(&release_lock, flags);
	return 0;
}

/* ---- parameters ---- */

static int race_arm(const char *val, const struct kernel_param *kp)
{
	struct race_window *w = kp->arg;
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (ret)
		return ret;
	if (ms > RACE_LIMIT_MS)
		return -EINVAL;
	/* A late put still pending belongs to the previous arming. */
	if (w == &release)
		flush_delayed_work(&race_release_work);
	WRITE_ONCE(w->ms, 0);
	atomic_set(&w->hits, 0);
	atomic_set(&w->delays, 0);
	atomic_set(&w->overlaps, 0);
	WRITE_ONCE(w->armed_at, jiffies);
	WRITE_ONCE(w->ms, ms);
	return 0;
}

static int race_ms_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(((struct race_window *)kp->arg)->ms));
}

static const struct kernel_param_ops race_ms_ops = {
	.set = race_arm,
	.get = race_ms_get,
};

static int race_count_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops race_count_ops = {
	.get = race_count_get,
};

module_param_cb(handoff_ms, &race_ms_ops, &handoff, 0644);
MODULE_PARM_DESC(handoff_ms, "hold the second command handoff this long");
module_param_cb(handoff_delays, &race_count_ops, &handoff.delays, 0444);
module_param_cb(handoff_overlaps, &race_count_ops, &handoff.overlaps, 0444);
module_param_cb(handoff_holding, &param_ops_bool, &handoff.active, 0444);
module_param_cb(tmf_handoff_ms, &race_ms_ops, &tmf_handoff, 0644);
MODULE_PARM_DESC(tmf_handoff_ms, "hold the second TMF handoff this long");
module_param_cb(tmf_handoff_delays, &race_count_ops, &tmf_handoff.delays,
		0444);
module_param_cb(tmf_handoff_overlaps, &race_count_ops, &tmf_handoff.overlaps,
		0444);
module_param_cb(tmf_handoff_holding, &param_ops_bool, &tmf_handoff.active,
		0444);
module_param_cb(evt_ms, &race_ms_ops, &evt, 0644);
MODULE_PARM_DESC(evt_ms, "slow down each discarded event buffer this long");
module_param_cb(evt_discards, &race_count_ops, &evt.delays, 0444);
module_param_cb(release_ms, &race_ms_ops, &release, 0644);
MODULE_PARM_DESC(release_ms, "put a session's last command reference this late");
module_param_cb(release_delays, &race_count_ops, &release.delays, 0444);
module_param_cb(release_overlaps, &race_count_ops, &release.overlaps, 0444);
module_param_cb(release_holding, &param_ops_bool, &release.active, 0444);

/* ---- probes ---- */

static struct kprobe race_kprobes[] = {
	{ .symbol_name = "vhost_work_queue",
	  .pre_handler = race_work_queue_pre },
	{ .pre_handler = race_put_off_pre },	/* complete_fn */
	{ .pre_handler = race_put_off_pre },	/* tmf_fn */
	{ .symbol_name = "vhost_dev_cleanup",
	  .pre_handler = race_dev_cleanup_pre },
	{ .symbol_name = "vhost_add_used",
	  .pre_handler = race_add_used_pre },
	{ .symbol_name = "transport_free_session",
	  .pre_handler = race_free_session_pre },
};

static struct kretprobe race_release_probe = {
	.kp.symbol_name = "vhost_scsi_release_cmd",
	.entry_handler = race_release_entry,
	.handler = race_release_ret,
	.data_size = sizeof(struct race_release_data),
	.maxactive = 64,
};

/*
 * Probes are registered one by one: a module without one of the symbols
 * (Debian's vhost_scsi names its functions differently) leaves that window
 * unprobed and the others working; a case then finds its window never
 * held.
 */
static void race_unregister(void)
{
	int i;

	if (race_release_probe.kp.addr)
		unregister_kretprobe(&race_release_probe);
	for (i = 0; i < ARRAY_SIZE(race_kprobes); i++)
		if (race_kprobes[i].addr)
			unregister_kprobe(&race_kprobes[i]);
}

static int __init race_inject_init(void)
{
	int i, ret, probed = 0;

	race_kprobes[1].symbol_name = complete_fn;
	race_kprobes[2].symbol_name = tmf_fn;
	for (i = 0; i < ARRAY_SIZE(race_kprobes); i++) {
		ret = register_kprobe(&race_kprobes[i]);
		if (ret) {
			pr_warn("%s not probed: %d\n",
				race_kprobes[i].symbol_name, ret);
			race_kprobes[i].addr = NULL;
		} else {
			probed++;
		}
	}
	ret = register_kretprobe(&race_release_probe);
	if (ret) {
		pr_warn("%s not probed: %d\n",
			race_release_probe.kp.symbol_name, ret);
		race_release_probe.kp.addr = NULL;
	} else {
		probed++;
	}
	return probed ? 0 : -ENOENT;
}

static void __exit race_inject_exit(void)
{
	race_unregister();
	flush_delayed_work(&race_release_work);
}

module_init(race_inject_init);
module_exit(race_inject_exit);
MODULE_DESCRIPTION("vhost_scsi race windows held open for tests");
MODULE_LICENSE("GPL");
