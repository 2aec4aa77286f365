// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: parameter-change events (VIRTIO_SCSI_F_CHANGE).
 *
 * The target core calls no fabric back when a LUN's backstore is resized,
 * its ALUA target port group changes state or its write cache is switched,
 * so a device whose driver acked VIRTIO_SCSI_F_CHANGE samples what a guest
 * would read back (READ CAPACITY, REPORT TARGET PORT GROUPS, the caching
 * mode page) for every LUN of its bound TPGs every VHOST_SCSI_CHANGE_MS,
 * compares it with the previous sample and queues one
 * VIRTIO_SCSI_T_PARAM_CHANGE event per change (virtio 1.x 5.6.6.3.3):
 *
 *   capacity or block size		2A/09 CAPACITY DATA HAS CHANGED
 *   ALUA access state			2A/06 ASYMMETRIC ACCESS STATE CHANGED
 *   write cache enabled (WCE)		2A/01 MODE PARAMETERS CHANGED
 *
 * Latency: a change is seen by the first sample after it, at most
 * VHOST_SCSI_CHANGE_MS later plus the time the vhost worker takes to get
 * to the sample (it runs behind the control and event queue's work).
 *
 * Cost: nothing for a device that did not ack F_CHANGE or has no endpoint
 * (no timer is armed).  Otherwise one timer and one work item per period;
 * the sample takes each bound TPG's tpg_lun_mutex once and, per LUN, does
 * an xarray lookup, the backend's get_blocks() (arithmetic or an i_size
 * read), one RCU read of the ALUA group and no allocation unless a LUN is
 * new.  The sample runs in the vhost worker, so what it allocates is
 * charged to the client's memory cgroup.
 *
 * Locks the sample takes, in order: each TPG's se_portal_group.tpg_lun_mutex
 * (LIO's, held only for short list updates, never across a wait on us),
 * then RCU for the ALUA group, and vhost_scsi.evt_lock to queue an event.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/xarray.h>
#include <target/target_core_backend.h>

#include "scsi.h"

/* Sense codes of the events (SPC-4 annex D), reason = ASC | ASCQ << 8. */
#define VHOST_SCSI_PARAMS_CHANGED	(0x2a | 0x01 << 8)
#define VHOST_SCSI_ALUA_CHANGED		(0x2a | 0x06 << 8)
#define VHOST_SCSI_CAPACITY_CHANGED	(0x2a | 0x09 << 8)

/*
 * Asymmetric access states (SPC-4 REPORT TARGET PORT GROUPS) the sample
 * treats apart; the target core's own names are not exported.
 */
#define VHOST_SCSI_ALUA_OFFLINE		0xe
#define VHOST_SCSI_ALUA_TRANSITION	0xf

/**
 * struct vhost_scsi_lun_params - one sample of what a LUN reports
 * @dev_index:	the backstore's index (se_lun.lun_index): a LUN number now
 *		naming another backstore is a new LUN, not a change
 * @block_size:	logical block size
 * @last_lba:	the backstore's last LBA
 * @alua:	the ALUA access state of the LUN's group, or -1 for none
 * @wce:	the caching mode page's WCE bit
 * @gen:	the sample that last saw the LUN (vhost_scsi.change_gen)
 *
 * The previous sample of each LUN sits in vhost_scsi.change_luns; entries
 * are allocated and freed by the sample in the vhost worker, and freed by
 * vhost_scsi_change_free() once no sample can run.
 */
struct vhost_scsi_lun_params {
	u32 dev_index;
	u32 block_size;
	u64 last_lba;
	int alua;
	bool wce;
	u8 gen;
};

static unsigned long vhost_scsi_change_key(u16 tpgt, u64 lun)
{
	return (unsigned long)tpgt << 14 | lun;
}

/* What a guest would read back from @dev through @lun now. */
static void vhost_scsi_lun_sample(struct se_lun *lun, struct se_device *dev,
				  struct vhost_scsi_lun_params *p)
{
	const struct target_backend_ops *ops = dev->transport;
	struct t10_alua_tg_pt_gp *gp;

	p->dev_index = lun->lun_index;
	p->block_size = dev->dev_attrib.block_size;
	p->last_lba = ops->get_blocks(dev);
	/* As the caching mode page reports it (spc_modesense_caching()). */
	p->wce = ops->get_write_cache ? ops->get_write_cache(dev) :
		 dev->dev_attrib.emulate_write_cache > 0;
	rcu_read_lock();
	gp = rcu_dereference(lun->lun_tg_pt_gp);
	p->alua = gp ? READ_ONCE(gp->tg_pt_gp_alua_access_state) : -1;
	rcu_read_unlock();
	if (atomic_read(&lun->lun_tg_pt_secondary_offline))
		p->alua = VHOST_SCSI_ALUA_OFFLINE;
}

/*
 * Queue the events for what differs between @old and @now, then make @now
 * the previous sample.  A group caught in TRANSITION keeps its previous
 * state: the event waits for the state it settles in, so one change made
 * through configfs is one event, and a change undone within a period none.
 */
static void vhost_scsi_lun_compare(struct vhost_scsi *vs, u16 tpgt, u16 lun,
				   struct vhost_scsi_lun_params *old,
				   const struct vhost_scsi_lun_params *now)
{
	int alua = now->alua == VHOST_SCSI_ALUA_TRANSITION ? old->alua :
		   now->alua;

	if (old->dev_index == now->dev_index) {
		if (old->last_lba != now->last_lba ||
		    old->block_size != now->block_size)
			vhost_scsi_evt_queue(vs, VIRTIO_SCSI_T_PARAM_CHANGE,
					     tpgt, lun,
					     VHOST_SCSI_CAPACITY_CHANGED);
		if (old->alua != alua)
			vhost_scsi_evt_queue(vs, VIRTIO_SCSI_T_PARAM_CHANGE,
					     tpgt, lun, VHOST_SCSI_ALUA_CHANGED);
		if (old->wce != now->wce)
			vhost_scsi_evt_queue(vs, VIRTIO_SCSI_T_PARAM_CHANGE,
					     tpgt, lun,
					     VHOST_SCSI_PARAMS_CHANGED);
	}
	*old = *now;
	old->alua = alua;
}

/* Sample one LUN; a LUN not seen before only gets its first sample. */
static void vhost_scsi_lun_check(struct vhost_scsi *vs, u16 tpgt,
				 struct se_lun *lun, struct se_device *dev)
{
	unsigned long key = vhost_scsi_change_key(tpgt, lun->unpacked_lun);
	struct vhost_scsi_lun_params now, *old;

	vhost_scsi_lun_sample(lun, dev, &now);
	now.gen = vs->change_gen;
	old = xa_load(&vs->change_luns, key);
	if (old) {
		vhost_scsi_lun_compare(vs, tpgt, lun->unpacked_lun, old, &now);
		return;
	}
	if (vhost_scsi_fault(VHOST_SCSI_FAULT_CHANGE))
		return;
	old = kmemdup(&now, sizeof(now), GFP_KERNEL_ACCOUNT);
	if (old && xa_err(xa_store(&vs->change_luns, key, old,
				   GFP_KERNEL_ACCOUNT)))
		kfree(old);
}

/* Sample the LUNs of @tpg a guest can address. */
static void vhost_scsi_tpg_check(struct vhost_scsi *vs,
				 struct vhost_scsi_tpg *tpg)
{
	struct se_portal_group *se_tpg = &tpg->se_tpg;
	struct mutex *luns_lock = &se_tpg->tpg_lun_mutex;
	struct se_device *dev;
	struct se_lun *lun;

	mutex_lock(luns_lock);
	hlist_for_each_entry_rcu(lun, &se_tpg->tpg_lun_hlist, link,
				 lockdep_is_held(luns_lock)) {
		dev = rcu_dereference_protected(lun->lun_se_dev,
						lockdep_is_held(luns_lock));
		/* Going away: the guest hears of it by a REMOVED event. */
		if (!dev || lun->lun_shutdown ||
		    lun->unpacked_lun > VHOST_SCSI_MAX_LUN)
			continue;
		vhost_scsi_lun_check(vs, tpg->tpgt, lun, dev);
	}
	mutex_unlock(luns_lock);
}

/* Forget the LUNs the last sample did not see (unlinked ones). */
static void vhost_scsi_change_sweep(struct vhost_scsi *vs)
{
	struct vhost_scsi_lun_params *p;
	unsigned long key;

	xa_for_each(&vs->change_luns, key, p) {
		if (p->gen == vs->change_gen)
			continue;
		xa_erase(&vs->change_luns, key);
		kfree(p);
	}
}

/*
 * Is a sample due: the endpoint is published to the event queue (so the
 * TPGs in *@ep stay bound until the vhost_dev_flush() that follows its
 * unpublishing, vhost_scsi_teardown()) and the driver acked F_CHANGE?
 */
static bool vhost_scsi_change_due(struct vhost_scsi *vs,
				  struct vhost_scsi_endpoint **ep)
{
	struct vhost_virtqueue *vq = &vs->vqs[VHOST_SCSI_VQ_EVT].vq;

	mutex_lock(&vq->mutex);
	*ep = vhost_vq_get_backend(vq);
	if (!vhost_has_feature(vq, VIRTIO_SCSI_F_CHANGE))
		*ep = NULL;
	mutex_unlock(&vq->mutex);
	return *ep;
}

/* The sample, in the vhost worker; arms the timer for the next one. */
static void vhost_scsi_change_work(struct vhost_work *work)
{
	struct vhost_scsi *vs = container_of(work, struct vhost_scsi,
					     change_work);
	struct vhost_scsi_endpoint *ep;
	int t;

	if (vhost_scsi_change_due(vs, &ep)) {
		vs->change_gen++;
		for (t = 0; t <= VHOST_SCSI_MAX_TARGET; t++)
			if (ep->tpgs[t])
				vhost_scsi_tpg_check(vs, ep->tpgs[t]);
		vhost_scsi_change_sweep(vs);
	}
	spin_lock(&vs->evt_lock);
	if (vs->change_on)
		mod_timer(&vs->change_timer,
			  jiffies + msecs_to_jiffies(VHOST_SCSI_CHANGE_MS));
	spin_unlock(&vs->evt_lock);
}

static void vhost_scsi_change_timer(struct timer_list *timer)
{
	struct vhost_scsi *vs = from_timer(vs, timer, change_timer);

	vhost_work_queue(&vs->dev, &vs->change_work);
}

void vhost_scsi_change_init(struct vhost_scsi *vs)
{
	xa_init(&vs->change_luns);
	vhost_work_init(&vs->change_work, vhost_scsi_change_work);
	timer_setup(&vs->change_timer, vhost_scsi_change_timer, 0);
}

/**
 * vhost_scsi_change_start() - sample @vs's LUNs from now on
 * @vs:	the device; vhost_dev.mutex held, the endpoint set, F_CHANGE acked
 *
 * The first sample, queued at once, only records what the LUNs report.
 * Idempotent.
 */
void vhost_scsi_change_start(struct vhost_scsi *vs)
{
	lockdep_assert_held(&vs->dev.mutex);
	spin_lock(&vs->evt_lock);
	vs->change_on = true;
	spin_unlock(&vs->evt_lock);
	vhost_work_queue(&vs->dev, &vs->change_work);
}

/**
 * vhost_scsi_change_stop() - arm no more samples
 * @vs:	the device; vhost_dev.mutex held
 *
 * After this no timer is pending and none will be armed; a sample already
 * queued may still run: the caller's vhost_dev_flush() waits for it, then
 * vhost_scsi_change_free() drops the samples.  Idempotent.
 */
void vhost_scsi_change_stop(struct vhost_scsi *vs)
{
	lockdep_assert_held(&vs->dev.mutex);
	spin_lock(&vs->evt_lock);
	vs->change_on = false;
	spin_unlock(&vs->evt_lock);
	del_timer_sync(&vs->change_timer);
}

/* Drop the samples; after vhost_scsi_change_stop() and a flush. */
void vhost_scsi_change_free(struct vhost_scsi *vs)
{
	struct vhost_scsi_lun_params *p;
	unsigned long key;

	xa_for_each(&vs->change_luns, key, p)
		kfree(p);
	xa_destroy(&vs->change_luns);
}
