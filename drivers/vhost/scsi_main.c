// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the /dev/vhost-scsi device, its ioctls and the endpoint.
 *
 * QEMU opens the device, makes itself owner, hands over the guest memory
 * table and the virtqueues through the generic vhost ioctls, then binds a
 * WWN of the "vhost" fabric with VHOST_SCSI_SET_ENDPOINT.  From then on the
 * vhost worker serves the control and event queues (scsi_ctl.c,
 * scsi_evt.c) and our threads or the vhost worker the request queues
 * (scsi_worker.c, scsi_io.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/virtio_scsi.h>

#include "scsi.h"

static unsigned int max_io_vqs = 128;
module_param(max_io_vqs, uint, 0444);
MODULE_PARM_DESC(max_io_vqs,
		 "Request queues per device (default 128, at most 1024)");

static void vhost_scsi_init_vqs(struct vhost_scsi *vs)
{
	int i;

	for (i = 0; i < vs->nvqs; i++) {
		struct vhost_scsi_vq *svq = &vs->vqs[i];

		svq->vs = vs;
		init_llist_head(&svq->free);
		init_llist_head(&svq->done);
		atomic_set(&svq->inflight, 0);
		vhost_work_init(&svq->done_work, vhost_scsi_complete_work);
		if (i == VHOST_SCSI_VQ_CTL)
			svq->vq.handle_kick = vhost_scsi_handle_ctl_kick;
		else if (i == VHOST_SCSI_VQ_EVT)
			svq->vq.handle_kick = vhost_scsi_handle_evt_kick;
		else
			svq->vq.handle_kick = vhost_scsi_handle_io_kick;
		vs->vq_ptrs[i] = &svq->vq;
	}
}

/* After vhost_dev_init(): request queues' kicks go to our threads. */
static void vhost_scsi_init_io_vqs(struct vhost_scsi *vs)
{
	int i;

	for (i = VHOST_SCSI_VQ_IO; i < vs->nvqs; i++)
		vhost_scsi_worker_init_vq(&vs->vqs[i]);
}

static int vhost_scsi_open(struct inode *inode, struct file *f)
{
	unsigned int io_vqs = clamp(max_io_vqs, 1U, VHOST_SCSI_MAX_IO_VQS);
	struct vhost_scsi *vs;

	if (vhost_scsi_fault(VHOST_SCSI_FAULT_DEV))
		return -ENOMEM;
	vs = kzalloc(sizeof(*vs), GFP_KERNEL_ACCOUNT);
	if (!vs)
		return -ENOMEM;
	vs->nvqs = VHOST_SCSI_VQ_IO + io_vqs;
	if (!vhost_scsi_fault(VHOST_SCSI_FAULT_DEV))
		vs->vqs = kvcalloc(vs->nvqs, sizeof(*vs->vqs),
				   GFP_KERNEL_ACCOUNT);
	if (!vhost_scsi_fault(VHOST_SCSI_FAULT_DEV))
		vs->vq_ptrs = kcalloc(vs->nvqs, sizeof(*vs->vq_ptrs),
				      GFP_KERNEL_ACCOUNT);
	if (!vs->vqs || !vs->vq_ptrs)
		goto err_free;

	init_waitqueue_head(&vs->drain_wq);
	atomic_set(&vs->tmf_inflight, 0);
	init_llist_head(&vs->tmf_done);
	vhost_work_init(&vs->tmf_work, vhost_scsi_tmf_work);
	spin_lock_init(&vs->evt_lock);
	INIT_LIST_HEAD(&vs->evt_list);
	vhost_work_init(&vs->evt_work, vhost_scsi_evt_work);
	vhost_scsi_change_init(vs);
	vhost_scsi_init_vqs(vs);
	vhost_dev_init(&vs->dev, vs->vq_ptrs, vs->nvqs, UIO_MAXIOV,
		       VHOST_SCSI_WEIGHT, 0, true, NULL);
	vhost_scsi_init_io_vqs(vs);
	f->private_data = vs;
	return 0;

err_free:
	kfree(vs->vq_ptrs);
	kvfree(vs->vqs);
	kfree(vs);
	return -ENOMEM;
}

static void vhost_scsi_free_pools(struct vhost_scsi *vs)
{
	int i;

	for (i = VHOST_SCSI_VQ_IO; i < vs->nvqs; i++)
		vhost_scsi_pool_free(&vs->vqs[i]);
}

static int vhost_scsi_alloc_pools(struct vhost_scsi *vs)
{
	int i, ret;

	for (i = VHOST_SCSI_VQ_IO; i < vs->nvqs; i++) {
		struct vhost_virtqueue *vq = &vs->vqs[i].vq;

		if (!vhost_vq_is_setup(vq))
			continue;
		ret = vhost_scsi_pool_alloc(&vs->vqs[i]);
		if (ret) {
			vhost_scsi_free_pools(vs);
			return ret;
		}
	}
	return 0;
}

/*
 * Check that every queue that is set up can be served with @ep, before any
 * is: vhost_vq_init_access() writes the used ring's flags and reads its
 * index in the client's memory, which may fail.  The backend is set only
 * for the check and cleared within the same hold of the queue's mutex, so
 * the worker never sees it; what the check records (the ring's endianness
 * and last used index) stays for vhost_scsi_start_vqs().
 */
static int vhost_scsi_prepare_vqs(struct vhost_scsi *vs,
				  struct vhost_scsi_endpoint *ep)
{
	int i, ret = 0;

	for (i = 0; i < vs->nvqs && !ret; i++) {
		struct vhost_virtqueue *vq = &vs->vqs[i].vq;

		mutex_lock(&vq->mutex);
		if (vhost_vq_is_setup(vq)) {
			vhost_vq_set_backend(vq, ep);
			ret = vhost_vq_init_access(vq);
			vhost_vq_set_backend(vq, NULL);
		}
		mutex_unlock(&vq->mutex);
	}
	return ret;
}

/* Publish @ep to the queues vhost_scsi_prepare_vqs() checked; cannot fail. */
static void vhost_scsi_start_vqs(struct vhost_scsi *vs,
				 struct vhost_scsi_endpoint *ep)
{
	int i;

	for (i = 0; i < vs->nvqs; i++) {
		struct vhost_virtqueue *vq = &vs->vqs[i].vq;

		mutex_lock(&vq->mutex);
		if (vhost_vq_is_setup(vq))
			vhost_vq_set_backend(vq, ep);
		mutex_unlock(&vq->mutex);
	}
	/* Requests the guest queued before we had a backend. */
	for (i = 0; i < vs->nvqs; i++)
		vhost_poll_queue(&vs->vqs[i].vq.poll);
}

static bool vhost_scsi_drained(struct vhost_scsi *vs)
{
	int i;

	for (i = VHOST_SCSI_VQ_IO; i < vs->nvqs; i++)
		if (atomic_read(&vs->vqs[i].inflight))
			return false;
	return !atomic_read(&vs->tmf_inflight);
}

/*
 * Take @ep down: unpublish it, then wait until every command and TMF a
 * queue sent to the target core has come back through the worker, which
 * writes its response, before the TPG pins and the pools go.  Shared by
 * CLEAR_ENDPOINT and a SET_ENDPOINT that fails after allocating the pools.
 */
static void vhost_scsi_teardown(struct vhost_scsi *vs,
				struct vhost_scsi_endpoint *ep)
{
	int i;

	/* No sample is armed after this; the flushes below end the last. */
	vhost_scsi_change_stop(vs);
	for (i = 0; i < vs->nvqs; i++) {
		struct vhost_virtqueue *vq = &vs->vqs[i].vq;

		mutex_lock(&vq->mutex);
		vhost_vq_set_backend(vq, NULL);
		mutex_unlock(&vq->mutex);
	}
	/* Armed only with a backend (vhost_scsi_suppress()). */
	for (i = VHOST_SCSI_VQ_IO; i < vs->nvqs; i++)
		del_timer_sync(&vs->vqs[i].recheck);
	vhost_dev_flush(&vs->dev);
	wait_event(vs->drain_wq, vhost_scsi_drained(vs));
	/*
	 * The target core's last handoffs and the last kick wakes that saw
	 * our threads are over (scsi.h, handoff rule); then the threads go.
	 */
	vhost_scsi_workers_unpublish(vs);
	synchronize_rcu();
	vhost_scsi_workers_stop(vs);

	/* No more events after this; the flush then runs the last work. */
	vhost_scsi_tpgs_unbind(ep);
	vhost_dev_flush(&vs->dev);

	vhost_scsi_free_pools(vs);
	vhost_scsi_change_free(vs);
	vhost_scsi_evt_flush(vs);
}

/* Did the driver ack VIRTIO_SCSI_F_CHANGE?  vhost_dev.mutex held. */
static bool vhost_scsi_change_acked(struct vhost_scsi *vs)
{
	lockdep_assert_held(&vs->dev.mutex);
	return vhost_has_feature(&vs->vqs[VHOST_SCSI_VQ_EVT].vq,
				 VIRTIO_SCSI_F_CHANGE);
}

/*
 * Bind the TPGs, size the pools, check every queue, and only then publish
 * the endpoint: a failure leaves no queue served, so no command was sent.
 */
static int vhost_scsi_set_endpoint(struct vhost_scsi *vs,
				   const struct vhost_scsi_target *t)
{
	struct vhost_scsi_endpoint *ep;
	int i, ret;

	lockdep_assert_held(&vs->dev.mutex);
	/*
	 * QEMU zeroes the structure and never fills abi_version in, so 0 must
	 * work; it means what 1 means, every TPG of the WWPN.  Versions we
	 * do not know are refused.
	 */
	if (t->abi_version < 0 || t->abi_version > VHOST_SCSI_ABI_VERSION ||
	    t->reserved)
		return -EINVAL;
	if (strnlen(t->vhost_wwpn, sizeof(t->vhost_wwpn)) >=
	    sizeof(t->vhost_wwpn))
		return -EINVAL;
	ret = vhost_dev_check_owner(&vs->dev);
	if (ret)
		return ret;
	if (vs->ep)
		return -EEXIST;
	for (i = 0; i < vs->nvqs; i++)
		if (!vhost_vq_access_ok(&vs->vqs[i].vq))
			return -EFAULT;

	if (vhost_scsi_fault(VHOST_SCSI_FAULT_ENDPOINT))
		return -ENOMEM;
	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return -ENOMEM;
	strscpy(ep->wwpn, t->vhost_wwpn, sizeof(ep->wwpn));
	/* Before anything can trace: no endpoint, so no tracepoint reads it. */
	strscpy(vs->wwpn, ep->wwpn, sizeof(vs->wwpn));
	vhost_scsi_dev_stats_add(vs);
	ret = vhost_scsi_tpgs_bind(vs, ep);
	if (ret)
		goto err_free_ep;
	ret = vhost_scsi_alloc_pools(vs);
	if (!ret)
		ret = vhost_scsi_prepare_vqs(vs, ep);
	if (!ret)
		ret = vhost_scsi_workers_start(vs);
	if (ret)
		goto err_teardown;
	vhost_scsi_start_vqs(vs, ep);
	vs->ep = ep;
	if (vhost_scsi_change_acked(vs))
		vhost_scsi_change_start(vs);
	return 0;

err_teardown:
	/* Nothing was published, so nothing to drain: this makes sure. */
	vhost_scsi_teardown(vs, ep);
err_free_ep:
	kfree(ep);
	return ret;
}

/*
 * Unbind the endpoint.  @t, when given, must name the bound WWN.  Commands
 * already in the target core keep running and are answered before this
 * returns (vhost_scsi_teardown()).  Idempotent.
 */
static int vhost_scsi_clear_endpoint(struct vhost_scsi *vs,
				     const struct vhost_scsi_target *t)
{
	struct vhost_scsi_endpoint *ep = vs->ep;

	lockdep_assert_held(&vs->dev.mutex);
	if (!ep)
		return 0;
	if (t && strncmp(t->vhost_wwpn, ep->wwpn, sizeof(t->vhost_wwpn)))
		return -EINVAL;

	vhost_scsi_teardown(vs, ep);
	vs->ep = NULL;
	kfree(ep);
	return 0;
}

/*
 * A driver may ack or drop F_CHANGE with the endpoint set: sample from
 * now on, or stop and forget the samples.
 */
static void vhost_scsi_change_features(struct vhost_scsi *vs)
{
	if (!vs->ep || vs->change_on == vhost_scsi_change_acked(vs))
		return;
	if (!vs->change_on) {
		vhost_scsi_change_start(vs);
		return;
	}
	vhost_scsi_change_stop(vs);
	vhost_dev_flush(&vs->dev);
	vhost_scsi_change_free(vs);
}

static int vhost_scsi_set_features(struct vhost_scsi *vs, u64 features)
{
	int i;

	if (features & ~VHOST_SCSI_FEATURES)
		return -EOPNOTSUPP;

	mutex_lock(&vs->dev.mutex);
	if ((features & (1ULL << VHOST_F_LOG_ALL)) &&
	    !vhost_log_access_ok(&vs->dev)) {
		mutex_unlock(&vs->dev.mutex);
		return -EFAULT;
	}
	for (i = 0; i < vs->nvqs; i++) {
		struct vhost_virtqueue *vq = &vs->vqs[i].vq;

		mutex_lock(&vq->mutex);
		vq->acked_features = features;
		mutex_unlock(&vq->mutex);
	}
	vhost_scsi_change_features(vs);
	mutex_unlock(&vs->dev.mutex);
	return 0;
}

static long vhost_scsi_reset_owner(struct vhost_scsi *vs)
{
	struct vhost_iotlb *umem;
	long ret;

	mutex_lock(&vs->dev.mutex);
	ret = vhost_dev_check_owner(&vs->dev);
	if (ret)
		goto out;
	umem = vhost_scsi_fault(VHOST_SCSI_FAULT_OWNER) ? NULL :
	       vhost_dev_reset_owner_prepare();
	if (!umem) {
		ret = -ENOMEM;
		goto out;
	}
	vhost_scsi_clear_endpoint(vs, NULL);
	vhost_dev_stop(&vs->dev);
	vhost_dev_reset_owner(&vs->dev, umem);
out:
	mutex_unlock(&vs->dev.mutex);
	return ret;
}

static long vhost_scsi_endpoint_ioctl(struct vhost_scsi *vs,
				      unsigned int ioctl, void __user *argp)
{
	struct vhost_scsi_target t;
	long ret;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	mutex_lock(&vs->dev.mutex);
	if (ioctl == VHOST_SCSI_SET_ENDPOINT)
		ret = vhost_scsi_set_endpoint(vs, &t);
	else
		ret = vhost_scsi_clear_endpoint(vs, &t);
	mutex_unlock(&vs->dev.mutex);
	return ret;
}

static long vhost_scsi_events_missed_ioctl(struct vhost_scsi *vs,
					   unsigned int ioctl,
					   u32 __user *argp)
{
	struct vhost_virtqueue *vq = &vs->vqs[VHOST_SCSI_VQ_EVT].vq;
	u32 missed;

	if (ioctl == VHOST_SCSI_SET_EVENTS_MISSED) {
		if (get_user(missed, argp))
			return -EFAULT;
		mutex_lock(&vq->mutex);
		vs->events_missed = !!missed;
		mutex_unlock(&vq->mutex);
		return 0;
	}
	mutex_lock(&vq->mutex);
	missed = vs->events_missed;
	mutex_unlock(&vq->mutex);
	return put_user(missed, argp);
}

static long vhost_scsi_ioctl(struct file *f, unsigned int ioctl,
			     unsigned long arg)
{
	struct vhost_scsi *vs = f->private_data;
	void __user *argp = (void __user *)arg;
	u64 __user *featurep = argp;
	u64 features;
	long ret;

	switch (ioctl) {
	case VHOST_SCSI_SET_ENDPOINT:
	case VHOST_SCSI_CLEAR_ENDPOINT:
		return vhost_scsi_endpoint_ioctl(vs, ioctl, argp);
	case VHOST_SCSI_GET_ABI_VERSION:
		return put_user(VHOST_SCSI_ABI_VERSION, (int __user *)argp);
	case VHOST_SCSI_SET_EVENTS_MISSED:
	case VHOST_SCSI_GET_EVENTS_MISSED:
		return vhost_scsi_events_missed_ioctl(vs, ioctl, argp);
	case VHOST_GET_FEATURES:
		features = VHOST_SCSI_FEATURES;
		return copy_to_user(featurep, &features, sizeof(features)) ?
		       -EFAULT : 0;
	case VHOST_SET_FEATURES:
		if (copy_from_user(&features, featurep, sizeof(features)))
			return -EFAULT;
		return vhost_scsi_set_features(vs, features);
	case VHOST_RESET_OWNER:
		return vhost_scsi_reset_owner(vs);
	default:
		mutex_lock(&vs->dev.mutex);
		ret = vhost_dev_ioctl(&vs->dev, ioctl, argp);
		if (ret == -ENOIOCTLCMD)
			ret = vhost_vring_ioctl(&vs->dev, ioctl, argp);
		mutex_unlock(&vs->dev.mutex);
		return ret;
	}
}

static int vhost_scsi_release(struct inode *inode, struct file *f)
{
	struct vhost_scsi *vs = f->private_data;

	vhost_scsi_dev_stats_remove(vs);
	mutex_lock(&vs->dev.mutex);
	vhost_scsi_clear_endpoint(vs, NULL);
	mutex_unlock(&vs->dev.mutex);
	vhost_dev_stop(&vs->dev);
	vhost_dev_cleanup(&vs->dev);
	vhost_scsi_evt_flush(vs);
	kfree(vs->dev.vqs);
	kvfree(vs->vqs);
	kfree(vs);
	return 0;
}

static const struct file_operations vhost_scsi_fops = {
	.owner		= THIS_MODULE,
	.open		= vhost_scsi_open,
	.release	= vhost_scsi_release,
	.unlocked_ioctl	= vhost_scsi_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vhost_scsi_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vhost-scsi",
	.fops	= &vhost_scsi_fops,
};

static int __init vhost_scsi_init(void)
{
	int ret;

	vhost_scsi_stats_init();
	ret = vhost_scsi_configfs_init();
	if (ret)
		goto err_stats;
	ret = misc_register(&vhost_scsi_misc);
	if (ret)
		goto err_configfs;
	return 0;

err_configfs:
	vhost_scsi_configfs_exit();
err_stats:
	vhost_scsi_stats_exit();
	return ret;
}

static void __exit vhost_scsi_exit(void)
{
	misc_deregister(&vhost_scsi_misc);
	vhost_scsi_configfs_exit();
	vhost_scsi_stats_exit();
}

module_init(vhost_scsi_init);
module_exit(vhost_scsi_exit);

MODULE_DESCRIPTION("vhost-scsi: virtio-scsi request queues served by the LIO target");
MODULE_LICENSE("GPL");
MODULE_ALIAS("tcm_vhost");
/*
 * The package version (make deb reads it from here): DKMS installs a module
 * only if its version differs from the one the kernel ships, which has none.
 */
MODULE_VERSION("1.0.0");
