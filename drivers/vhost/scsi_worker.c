// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: our own threads for the request queues.
 *
 * The 6.1 vhost core has one worker kthread per device, so every queue of
 * a device waits behind every other.  The request queues can instead be
 * served by kthreads of ours (module parameter workers): one per request
 * queue, or N per device, each queue going to one of them.  A thread runs
 * with the client's mm (kthread_use_mm) and in the client's cgroups
 * (cgroup_attach_task_all), as the core's own worker does, so guest memory
 * access and CPU and memory accounting are as if the core served the queue.
 *
 * No hop is added on a kick: the vhost core still registers the queue's
 * wait entry on the kick eventfd (VHOST_SET_VRING_KICK, vhost_dev_stop),
 * but the entry's wake function is ours and wakes the queue's thread
 * directly instead of queueing work on the core's worker.  A completion
 * wakes it the same way (vhost_scsi_queue_done).  The core's worker still
 * runs the queue's poll work when the core itself queues it (the first
 * poll of a new kick fd, the weight limit, SET_ENDPOINT's first look); that
 * work only passes the kick on.
 *
 * The threads are SCHED_BATCH: the target core completes a batch of
 * commands in one of its kworkers, each completion waking the queue's
 * thread, and a SCHED_NORMAL thread that slept preempts that kworker at
 * the first wake, answers one command, signals the guest and sleeps again,
 * once per command.  A batch thread does not preempt on wakeup, so it
 * finds the whole batch when it runs (make bench, 4 queues of 16 on one
 * CPU: 0.06 instead of 0.52 signals per I/O, 6,760 instead of 15,630
 * instructions per I/O; queue depth 1 unchanged).  The price: on a CPU
 * with nothing idle to move to, a kick waits for the running task's slice
 * instead of preempting it.
 *
 * The threads exist while an endpoint is set: started by SET_ENDPOINT,
 * stopped by vhost_scsi_teardown() once every command has been answered.
 * Everything they do to a queue is under its mutex, which is what the
 * vhost core's own ioctls (SET_MEM_TABLE, SET_LOG_BASE, SET_VRING_*)
 * expect of whoever touches a ring, so those need no flush of ours.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <uapi/linux/sched/types.h>
#include <linux/slab.h>

#include "scsi.h"

static int workers = -1;
module_param(workers, int, 0644);
MODULE_PARM_DESC(workers,
		 "Threads for a device's request queues, read at SET_ENDPOINT: -1 one per request queue (default), N > 0 at most N per device, 0 the vhost core's single worker");

/*
 * Ask @svq's thread to do @bit.  Return: false if no thread of ours serves
 * @svq (the caller then queues the core's work).  Any context; the caller
 * holds no lock of ours.
 */
bool vhost_scsi_worker_signal(struct vhost_scsi_vq *svq, int bit)
{
	struct vhost_scsi_worker *w;
	bool ours;

	rcu_read_lock();
	w = rcu_dereference(svq->worker);
	ours = w;
	/* Already set: the thread has not taken it yet and will see it. */
	if (w && !test_and_set_bit(bit, &svq->pending))
		wake_up_process(w->task);
	rcu_read_unlock();
	return ours;
}

/* The kick eventfd's wake function for a request queue; any context. */
static int vhost_scsi_kick_wake(struct wait_queue_entry *wait,
				unsigned int mode, int sync, void *key)
{
	struct vhost_poll *poll = container_of(wait, struct vhost_poll, wait);
	struct vhost_scsi_vq *svq = container_of(poll, struct vhost_scsi_vq,
						 vq.poll);

	if (!(key_to_poll(key) & poll->mask))
		return 0;
	if (!vhost_scsi_worker_signal(svq, VHOST_SCSI_PENDING_KICK))
		vhost_poll_queue(poll);
	return 0;
}

/* After vhost_dev_init(), which set up the queue's poll. */
void vhost_scsi_worker_init_vq(struct vhost_scsi_vq *svq)
{
	svq->vq.poll.wait.func = vhost_scsi_kick_wake;
	RCU_INIT_POINTER(svq->worker, NULL);
	timer_setup(&svq->recheck, vhost_scsi_recheck_fn, 0);
}

/* One pass over @w's queues.  Return: true if any had something to do. */
static bool vhost_scsi_worker_run(struct vhost_scsi_worker *w)
{
	struct vhost_scsi *vs = w->vs;
	unsigned long todo;
	bool busy = false;
	unsigned int q;

	for (q = w->first; q < w->end; q += w->stride) {
		struct vhost_scsi_vq *svq = &vs->vqs[q];

		if (!READ_ONCE(svq->pending))
			continue;
		__set_current_state(TASK_RUNNING);
		todo = xchg(&svq->pending, 0);
		busy = true;
		if (todo & BIT(VHOST_SCSI_PENDING_DONE))
			vhost_scsi_complete(svq);
		if (todo & BIT(VHOST_SCSI_PENDING_KICK))
			vhost_scsi_io_run(svq);
	}
	return busy;
}

static int vhost_scsi_worker_fn(void *data)
{
	struct sched_attr batch = { .sched_policy = SCHED_BATCH };
	struct vhost_scsi_worker *w = data;
	struct mm_struct *mm = w->vs->dev.mm;

	/* Cannot fail: no priority, no deadline, and we are a kthread. */
	sched_setattr_nocheck(current, &batch);
	kthread_use_mm(mm);
	w->attach_err = cgroup_attach_task_all(w->owner, current);
	complete(&w->started);
	for (;;) {
		/* Pairs with the barrier in wake_up_process(). */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		if (vhost_scsi_worker_run(w))
			cond_resched();
		else
			schedule();
	}
	__set_current_state(TASK_RUNNING);
	kthread_unuse_mm(mm);
	return 0;
}

static struct vhost_scsi_worker *
vhost_scsi_worker_create(struct vhost_scsi *vs, unsigned int first,
			 unsigned int stride, unsigned int end,
			 const char *name)
{
	struct vhost_scsi_worker *w = NULL;
	unsigned int n = first - VHOST_SCSI_VQ_IO;

	if (!vhost_scsi_fault(VHOST_SCSI_FAULT_WORKER))
		w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->vs = vs;
	w->first = first;
	w->stride = stride;
	w->end = end;
	w->owner = current;
	init_completion(&w->started);
	if (vhost_scsi_fault(VHOST_SCSI_FAULT_WORKER))
		w->task = ERR_PTR(-ENOMEM);
	else
		w->task = kthread_create(vhost_scsi_worker_fn, w, "%s-%c%u",
					 name, stride >= vs->nvqs ? 'q' : 'w',
					 n);
	if (IS_ERR(w->task)) {
		int err = PTR_ERR(w->task);

		kfree(w);
		return ERR_PTR(err);
	}
	wake_up_process(w->task);
	wait_for_completion(&w->started);
	w->owner = NULL;
	return w;
}

/* How many threads, and which queues each serves (first, stride). */
static unsigned int vhost_scsi_worker_count(struct vhost_scsi *vs,
					    unsigned int *stride)
{
	unsigned int io = vs->nvqs - VHOST_SCSI_VQ_IO;
	int want = READ_ONCE(workers);

	if (!want || !vs->dev.worker)
		return 0;
	if (want < 0 || want >= io) {
		*stride = vs->nvqs;	/* one queue each */
		return io;
	}
	*stride = want;
	return want;
}

/*
 * Start the threads the workers parameter asks for and publish them to the
 * request queues; SET_ENDPOINT, vhost_dev.mutex held, the client being
 * current.  In per-queue mode only queues that are set up get one.  On
 * failure the caller's teardown stops those already started.
 */
int vhost_scsi_workers_start(struct vhost_scsi *vs)
{
	unsigned int n, i, end, stride = 0;
	char name[TASK_COMM_LEN];

	lockdep_assert_held(&vs->dev.mutex);
	n = vhost_scsi_worker_count(vs, &stride);
	if (!n)
		return 0;
	vs->workers = vhost_scsi_fault(VHOST_SCSI_FAULT_WORKER) ? NULL :
		      kcalloc(n, sizeof(*vs->workers), GFP_KERNEL_ACCOUNT);
	if (!vs->workers)
		return -ENOMEM;
	vs->nworkers = n;
	get_task_comm(name, vs->dev.worker);
	/* A client sets up a few of the queues: no thread walks the rest. */
	for (end = vs->nvqs; end > VHOST_SCSI_VQ_IO; end--)
		if (vhost_vq_is_setup(&vs->vqs[end - 1].vq))
			break;
	for (i = 0; i < n; i++) {
		unsigned int first = VHOST_SCSI_VQ_IO + i;
		struct vhost_scsi_worker *w;

		if (first >= end || (stride == vs->nvqs &&
				     !vhost_vq_is_setup(&vs->vqs[first].vq)))
			continue;
		w = vhost_scsi_worker_create(vs, first, stride, end, name);
		if (IS_ERR(w))
			return PTR_ERR(w);
		vs->workers[i] = w;
		if (w->attach_err)
			return w->attach_err;
		for (; first < end; first += stride) {
			vs->vqs[first].pending = 0;
			rcu_assign_pointer(vs->vqs[first].worker, w);
		}
	}
	return 0;
}

/*
 * Send the queues back to the core's worker; vhost_dev.mutex held.  The
 * threads keep running until vhost_scsi_workers_stop(), which must come
 * after an RCU grace period (scsi.h, handoff rule).
 */
void vhost_scsi_workers_unpublish(struct vhost_scsi *vs)
{
	int q;

	lockdep_assert_held(&vs->dev.mutex);
	for (q = VHOST_SCSI_VQ_IO; q < vs->nvqs; q++)
		RCU_INIT_POINTER(vs->vqs[q].worker, NULL);
}

/* Stop and free the threads; vhost_dev.mutex held, after unpublishing. */
void vhost_scsi_workers_stop(struct vhost_scsi *vs)
{
	unsigned int i;

	lockdep_assert_held(&vs->dev.mutex);
	for (i = 0; i < vs->nworkers; i++) {
		if (!vs->workers[i])
			continue;
		kthread_stop(vs->workers[i]->task);
		kfree(vs->workers[i]);
	}
	kfree(vs->workers);
	vs->workers = NULL;
	vs->nworkers = 0;
}
