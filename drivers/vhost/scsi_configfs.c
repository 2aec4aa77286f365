// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the "vhost" fabric's configfs tree.
 *
 *   target/vhost/version			nothing else: rtslib-fb takes
 *					any other entry there for a WWN
 *   target/vhost/<wwn>/			naa.<16|32 hex>, fc.<16 hex>, iqn.*
 *   target/vhost/<wwn>/tpgt_<N>/		N < 256: the guest's target number
 *   target/vhost/<wwn>/tpgt_<N>/nexus		the I_T nexus' initiator name
 *   target/vhost/<wwn>/tpgt_<N>/lun/lun_<L>	made by the target core
 *   target/vhost/<wwn>/tpgt_<N>/acls/<name>	made by the target core
 *   target/vhost/<wwn>/tpgt_<N>/attrib/fabric_prot_type
 *
 * This is the layout rtslib-fb (targetcli) drives.  Every callback here runs
 * in process context from a configfs operation on the named directory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/virtio_scsi.h>
#include <scsi/scsi_proto.h>

#include "scsi.h"

#define VHOST_SCSI_VERSION	"1.0"

/*
 * Guards vhost_scsi_tpgs and each TPG's se_sess, vs and binding (scsi.h).
 * Held only around short, non-sleeping-on-configfs sections: never across
 * target_depend_item(), whose configfs root lock ranks above it.
 */
static DEFINE_MUTEX(vhost_scsi_mutex);
/* Every TPG of the fabric, on vhost_scsi_tpg.node. */
static LIST_HEAD(vhost_scsi_tpgs);
/* Woken when a binder lets go of TPGs it claimed (binding goes false). */
static DECLARE_WAIT_QUEUE_HEAD(vhost_scsi_bind_wq);

static struct vhost_scsi_tpg *vhost_tpg(struct se_portal_group *se_tpg)
{
	return container_of(se_tpg, struct vhost_scsi_tpg, se_tpg);
}

/* Length of a name written to configfs, without its trailing newline. */
static size_t name_len(const char *page, size_t count)
{
	size_t len = strnlen(page, count);

	while (len && isspace(page[len - 1]))
		len--;
	return len;
}

/* ---- target/vhost/<wwn> ---- */

static struct se_wwn *vhost_scsi_make_tport(struct target_fabric_configfs *tf,
					    struct config_group *group,
					    const char *name)
{
	struct vhost_scsi_tport *tport;
	u8 proto_id;

	if (vhost_scsi_parse_wwn(name, strlen(name), &proto_id)) {
		pr_err("invalid WWN \"%s\": want naa.<16 or 32 hex digits>, fc.<16 hex digits> or an iqn\n",
		       name);
		return ERR_PTR(-EINVAL);
	}
	if (vhost_scsi_fault(VHOST_SCSI_FAULT_WWN))
		return ERR_PTR(-ENOMEM);
	tport = kzalloc(sizeof(*tport), GFP_KERNEL);
	if (!tport)
		return ERR_PTR(-ENOMEM);
	tport->proto_id = proto_id;
	strscpy(tport->name, name, sizeof(tport->name));
	return &tport->wwn;
}

static void vhost_scsi_drop_tport(struct se_wwn *wwn)
{
	kfree(container_of(wwn, struct vhost_scsi_tport, wwn));
}

/* ---- target/vhost/<wwn>/tpgt_<N> ---- */

static struct se_portal_group *vhost_scsi_make_tpg(struct se_wwn *wwn,
						   const char *name)
{
	struct vhost_scsi_tport *tport =
		container_of(wwn, struct vhost_scsi_tport, wwn);
	struct vhost_scsi_tpg *tpg;
	u16 tpgt;
	int ret;

	if (vhost_scsi_parse_tpgt(name, &tpgt)) {
		pr_err("invalid TPG \"%s\": want tpgt_<N> with N < 256\n", name);
		return ERR_PTR(-EINVAL);
	}
	if (vhost_scsi_fault(VHOST_SCSI_FAULT_TPG))
		return ERR_PTR(-ENOMEM);
	tpg = kzalloc(sizeof(*tpg), GFP_KERNEL);
	if (!tpg)
		return ERR_PTR(-ENOMEM);
	tpg->tpgt = tpgt;
	tpg->tport = tport;
	INIT_LIST_HEAD(&tpg->node);
	ret = vhost_scsi_fault(VHOST_SCSI_FAULT_TPG) ? -ENOMEM :
	      core_tpg_register(wwn, &tpg->se_tpg, tport->proto_id);
	if (ret) {
		kfree(tpg);
		return ERR_PTR(ret);
	}
	mutex_lock(&vhost_scsi_mutex);
	list_add_tail(&tpg->node, &vhost_scsi_tpgs);
	mutex_unlock(&vhost_scsi_mutex);
	return &tpg->se_tpg;
}

/* Take the nexus off @tpg; the caller ends it with vhost_scsi_end_nexus(). */
static struct se_session *vhost_scsi_detach_nexus(struct vhost_scsi_tpg *tpg)
{
	struct se_session *se_sess = tpg->se_sess;

	lockdep_assert_held(&vhost_scsi_mutex);
	WRITE_ONCE(tpg->se_sess, NULL);
	return se_sess;
}

/*
 * End a detached nexus.  No device uses it: a bound or binding TPG keeps
 * its nexus, and CLEAR_ENDPOINT waited for release_cmd of every command it
 * sent.  The target core still holds the session's command counter a little
 * longer (it drops it after release_cmd returns), so stop the session and
 * wait for the counter before freeing it.  Sleeps; called without
 * vhost_scsi_mutex, and the commands it waits for need no lock of ours.
 */
static void vhost_scsi_end_nexus(struct se_session *se_sess)
{
	if (!se_sess)
		return;
	target_stop_session(se_sess);
	target_wait_for_sess_cmds(se_sess);
	target_remove_session(se_sess);
}

/*
 * configfs calls this only once the TPG is marked as dropping, after which
 * target_depend_item() on it fails with -ENOENT; so it is not bound, and a
 * binder that claimed it before it left the list is about to let go.  Wait
 * for that: the binder touches the TPG until it clears @binding.
 */
static void vhost_scsi_drop_tpg(struct se_portal_group *se_tpg)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(se_tpg);
	struct se_session *se_sess;

	mutex_lock(&vhost_scsi_mutex);
	list_del(&tpg->node);
	while (tpg->binding) {
		mutex_unlock(&vhost_scsi_mutex);
		wait_event(vhost_scsi_bind_wq, !READ_ONCE(tpg->binding));
		mutex_lock(&vhost_scsi_mutex);
	}
	WARN_ON_ONCE(tpg->vs);
	se_sess = vhost_scsi_detach_nexus(tpg);
	mutex_unlock(&vhost_scsi_mutex);
	vhost_scsi_end_nexus(se_sess);
	core_tpg_deregister(se_tpg);
	kfree(tpg);
}

/*
 * The protection operations the session tells the target core this fabric
 * performs itself.  Only passing tuples through: the guest's protection
 * buffer goes to the target core as it is, and there is no hardware here
 * to insert or strip tuples on the wire.  Were INSERT or STRIP claimed,
 * the target core would skip its own generation and checking for them:
 * a WRITE without protection bytes to a LUN formatted with protection
 * would leave zeroed tuples that fail every later READ, and under
 * fabric_prot_type the guest's tuples would go unchecked and a protected
 * READ would get none.  Not claiming them makes the core do both in
 * software (sbc_dif_generate(), sbc_dif_verify()).
 */
#define VHOST_SCSI_PROT_OPS	(TARGET_PROT_DIN_PASS | TARGET_PROT_DOUT_PASS)

static int vhost_scsi_make_nexus(struct vhost_scsi_tpg *tpg, const char *name)
{
	struct se_session *se_sess;

	lockdep_assert_held(&vhost_scsi_mutex);
	if (tpg->se_sess)
		return -EEXIST;
	if (vhost_scsi_fault(VHOST_SCSI_FAULT_NEXUS))
		return -ENOMEM;
	se_sess = target_setup_session(&tpg->se_tpg, 0, 0,
				       VHOST_SCSI_PROT_OPS, name, tpg, NULL);
	if (IS_ERR(se_sess))
		return PTR_ERR(se_sess);
	/* Readers in the data path pair with this through READ_ONCE(). */
	smp_store_release(&tpg->se_sess, se_sess);
	return 0;
}

static ssize_t vhost_scsi_tpg_nexus_show(struct config_item *item, char *page)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(to_tpg(item));
	ssize_t ret = 0;

	mutex_lock(&vhost_scsi_mutex);
	if (tpg->se_sess)
		ret = sysfs_emit(page, "%s\n",
				 tpg->se_sess->se_node_acl->initiatorname);
	mutex_unlock(&vhost_scsi_mutex);
	return ret;
}

/*
 * Write an initiator name (same kind as the WWN: naa., fc. or iqn.) to make
 * the nexus, "NULL" to drop it.  A nexus a device is bound (or binding) to
 * stays.
 */
static ssize_t vhost_scsi_tpg_nexus_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(to_tpg(item));
	struct se_session *dropped = NULL;
	char name[VHOST_SCSI_WWN_LEN];
	size_t len = name_len(page, count);
	u8 proto_id;
	int ret;

	if (len >= sizeof(name))
		return -EINVAL;
	memcpy(name, page, len);
	name[len] = '\0';

	mutex_lock(&vhost_scsi_mutex);
	if (!strcmp(name, "NULL")) {
		ret = tpg->vs || tpg->binding ? -EBUSY : 0;
		if (!ret && !tpg->se_sess)
			ret = -ENODEV;
		if (!ret)
			dropped = vhost_scsi_detach_nexus(tpg);
	} else if (vhost_scsi_parse_wwn(name, len, &proto_id) ||
		   proto_id != tpg->tport->proto_id) {
		pr_err("nexus \"%s\" is not a valid initiator name for %s\n",
		       name, tpg->tport->name);
		ret = -EINVAL;
	} else {
		ret = vhost_scsi_make_nexus(tpg, name);
	}
	mutex_unlock(&vhost_scsi_mutex);
	vhost_scsi_end_nexus(dropped);
	return ret ? ret : count;
}

CONFIGFS_ATTR(vhost_scsi_tpg_, nexus);

static struct configfs_attribute *vhost_scsi_tpg_attrs[] = {
	&vhost_scsi_tpg_attr_nexus,
	NULL,
};

/* ---- target/vhost/<wwn>/tpgt_<N>/attrib ---- */

static ssize_t
vhost_scsi_tpg_attrib_fabric_prot_type_show(struct config_item *item,
					    char *page)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(attrib_to_tpg(item));

	return sysfs_emit(page, "%d\n", READ_ONCE(tpg->prot_type));
}

/* 0: none, 1 or 3: T10-PI type the target core generates for the LUNs. */
static ssize_t
vhost_scsi_tpg_attrib_fabric_prot_type_store(struct config_item *item,
					     const char *page, size_t count)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(attrib_to_tpg(item));
	unsigned int val;
	int ret;

	ret = kstrtouint(page, 0, &val);
	if (ret)
		return ret;
	if (val != 0 && val != 1 && val != 3)
		return -EINVAL;
	WRITE_ONCE(tpg->prot_type, val);
	return count;
}

CONFIGFS_ATTR(vhost_scsi_tpg_attrib_, fabric_prot_type);

static struct configfs_attribute *vhost_scsi_tpg_attrib_attrs[] = {
	&vhost_scsi_tpg_attrib_attr_fabric_prot_type,
	NULL,
};

/* ---- LUN links: hotplug events for a bound guest ---- */

/*
 * A LUN of @se_tpg appeared or is going: tell the guest bound to the TPG,
 * if any, with a transport reset event of @reason.  vhost_scsi_mutex keeps
 * tpg->vs from being cleared (endpoint) under the event.
 */
static void vhost_scsi_lun_event(struct se_portal_group *se_tpg,
				 struct se_lun *lun, u32 reason)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(se_tpg);

	mutex_lock(&vhost_scsi_mutex);
	if (tpg->vs)
		vhost_scsi_evt_queue(tpg->vs, VIRTIO_SCSI_T_TRANSPORT_RESET,
				     tpg->tpgt, lun->unpacked_lun, reason);
	mutex_unlock(&vhost_scsi_mutex);
}

static int vhost_scsi_port_link(struct se_portal_group *se_tpg,
				struct se_lun *lun)
{
	vhost_scsi_lun_event(se_tpg, lun, VIRTIO_SCSI_EVT_RESET_RESCAN);
	return 0;
}

static void vhost_scsi_port_unlink(struct se_portal_group *se_tpg,
				   struct se_lun *lun)
{
	vhost_scsi_lun_event(se_tpg, lun, VIRTIO_SCSI_EVT_RESET_REMOVED);
}

/* ---- binding a device: SET_ENDPOINT and CLEAR_ENDPOINT ---- */

/* Let go of the TPGs @ep claimed and did not bind; the mutex held. */
static void vhost_scsi_unclaim_tpgs(struct vhost_scsi_endpoint *ep)
{
	int t;

	lockdep_assert_held(&vhost_scsi_mutex);
	for (t = 0; t <= VHOST_SCSI_MAX_TARGET; t++) {
		if (!ep->tpgs[t])
			continue;
		WRITE_ONCE(ep->tpgs[t]->binding, false);
		ep->tpgs[t] = NULL;
	}
	wake_up_all(&vhost_scsi_bind_wq);
}

/*
 * Claim every TPG of the WWN @ep->wwpn: mark it binding, which keeps other
 * binders off it (-EBUSY: two guests must not share an I_T nexus), keeps its
 * nexus, and keeps fabric_drop_tpg from freeing it.
 */
static int vhost_scsi_claim_tpgs(struct vhost_scsi_endpoint *ep)
{
	struct vhost_scsi_tpg *tpg;
	int ret = -ENODEV;

	mutex_lock(&vhost_scsi_mutex);
	list_for_each_entry(tpg, &vhost_scsi_tpgs, node) {
		if (strcmp(tpg->tport->name, ep->wwpn))
			continue;
		if (tpg->vs || tpg->binding) {
			vhost_scsi_unclaim_tpgs(ep);
			ret = -EBUSY;
			break;
		}
		tpg->binding = true;
		ep->tpgs[tpg->tpgt] = tpg;
		ret = 0;
	}
	mutex_unlock(&vhost_scsi_mutex);
	return ret;
}

/*
 * Pin the claimed TPGs in configfs, without vhost_scsi_mutex (scsi.h).  A
 * TPG configfs is removing or still creating answers -ENOENT and is left
 * out; any other error stops the walk.  Return: 0 or that error.
 */
static int vhost_scsi_pin_tpgs(struct vhost_scsi_endpoint *ep,
			       unsigned long *pinned)
{
	int t, ret;

	for (t = 0; t <= VHOST_SCSI_MAX_TARGET; t++) {
		if (!ep->tpgs[t])
			continue;
		ret = target_depend_item(&ep->tpgs[t]->se_tpg.tpg_group.cg_item);
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		__set_bit(t, pinned);
	}
	return 0;
}

/*
 * Finish a bind under vhost_scsi_mutex: bind the pinned TPGs to @vs, or
 * unpin them when @err; forget the TPGs left out.  Return: TPGs bound.
 */
static int vhost_scsi_commit_tpgs(struct vhost_scsi *vs,
				  struct vhost_scsi_endpoint *ep,
				  const unsigned long *pinned, int err)
{
	int t, bound = 0;

	mutex_lock(&vhost_scsi_mutex);
	for (t = 0; t <= VHOST_SCSI_MAX_TARGET; t++) {
		struct vhost_scsi_tpg *tpg = ep->tpgs[t];

		if (!tpg)
			continue;
		WRITE_ONCE(tpg->binding, false);
		if (test_bit(t, pinned) && !err) {
			tpg->vs = vs;
			bound++;
			continue;
		}
		if (test_bit(t, pinned))
			target_undepend_item(&tpg->se_tpg.tpg_group.cg_item);
		ep->tpgs[t] = NULL;
	}
	/* The last touch of a TPG left out: fabric_drop_tpg may free it. */
	wake_up_all(&vhost_scsi_bind_wq);
	mutex_unlock(&vhost_scsi_mutex);
	return bound;
}

/**
 * vhost_scsi_tpgs_bind() - bind a device to the TPGs of a WWN
 * @vs:		the device (SET_ENDPOINT, vhost_dev.mutex held)
 * @ep:		the endpoint being set up; names the WWN, gets the TPGs
 *
 * Claims the TPGs under vhost_scsi_mutex, pins them with
 * target_depend_item() without it (that takes configfs's root inode lock,
 * which ranks above the mutex: scsi.h), then binds the pinned ones under it
 * again.  Each stays pinned until vhost_scsi_tpgs_unbind().
 *
 * Return: 0; -ENODEV if the WWN has no TPG; -EBUSY if one is bound or being
 * bound to another device; or target_depend_item()'s error.
 */
int vhost_scsi_tpgs_bind(struct vhost_scsi *vs, struct vhost_scsi_endpoint *ep)
{
	DECLARE_BITMAP(pinned, VHOST_SCSI_MAX_TARGET + 1) = { 0 };
	int ret;

	ret = vhost_scsi_claim_tpgs(ep);
	if (ret)
		return ret;
	ret = vhost_scsi_pin_tpgs(ep, pinned);
	if (!vhost_scsi_commit_tpgs(vs, ep, pinned, ret) && !ret)
		ret = -ENODEV;
	return ret;
}

/**
 * vhost_scsi_tpgs_unbind() - undo vhost_scsi_tpgs_bind()
 * @ep:		the endpoint; its TPG table is emptied
 *
 * The caller has stopped the device's queues and drained its commands.
 * From here on, LUN links queue no event for the device.
 */
void vhost_scsi_tpgs_unbind(struct vhost_scsi_endpoint *ep)
{
	int t;

	mutex_lock(&vhost_scsi_mutex);
	for (t = 0; t <= VHOST_SCSI_MAX_TARGET; t++) {
		struct vhost_scsi_tpg *tpg = ep->tpgs[t];

		if (!tpg)
			continue;
		tpg->vs = NULL;
		/* configfs_dirent_lock only: fine under the mutex. */
		target_undepend_item(&tpg->se_tpg.tpg_group.cg_item);
		ep->tpgs[t] = NULL;
	}
	mutex_unlock(&vhost_scsi_mutex);
}

/* ---- target/vhost ---- */

static ssize_t vhost_scsi_wwn_version_show(struct config_item *item,
					   char *page)
{
	return sysfs_emit(page, "vhost-scsi fabric module %s on %s/%s\n",
			  VHOST_SCSI_VERSION, utsname()->sysname,
			  utsname()->machine);
}

CONFIGFS_ATTR_RO(vhost_scsi_wwn_, version);

static struct configfs_attribute *vhost_scsi_wwn_attrs[] = {
	&vhost_scsi_wwn_attr_version,
	NULL,
};

/* ---- the fabric ---- */

static char *vhost_scsi_get_wwn(struct se_portal_group *se_tpg)
{
	return vhost_tpg(se_tpg)->tport->name;
}

static u16 vhost_scsi_get_tag(struct se_portal_group *se_tpg)
{
	return vhost_tpg(se_tpg)->tpgt;
}

/* Demo mode: an initiator without an ACL sees every LUN of the TPG. */
static int vhost_scsi_check_true(struct se_portal_group *se_tpg)
{
	return 1;
}

static int vhost_scsi_check_false(struct se_portal_group *se_tpg)
{
	return 0;
}

static int vhost_scsi_check_prot_fabric_only(struct se_portal_group *se_tpg)
{
	return READ_ONCE(vhost_tpg(se_tpg)->prot_type);
}

static u32 vhost_scsi_tpg_get_inst_index(struct se_portal_group *se_tpg)
{
	return 1;
}

/*
 * What LIO calls us for, grouped by who drives it: the configfs tree an
 * admin builds, the TPG's policy, a command's life, a TMF's answer.
 */
const struct target_core_fabric_ops vhost_scsi_ops = {
	.module				= THIS_MODULE,
	.fabric_name			= "vhost",

	/* configfs: target/vhost/<wwn>/tpgt_N, its attributes and LUN links */
	.fabric_make_wwn		= vhost_scsi_make_tport,
	.fabric_drop_wwn		= vhost_scsi_drop_tport,
	.tfc_wwn_attrs			= vhost_scsi_wwn_attrs,
	.fabric_make_tpg		= vhost_scsi_make_tpg,
	.fabric_drop_tpg		= vhost_scsi_drop_tpg,
	.tfc_tpg_base_attrs		= vhost_scsi_tpg_attrs,
	.tfc_tpg_attrib_attrs		= vhost_scsi_tpg_attrib_attrs,
	.fabric_post_link		= vhost_scsi_port_link,
	.fabric_pre_unlink		= vhost_scsi_port_unlink,
	.set_default_node_attributes	= vhost_scsi_set_default_node_attrs,

	/* The TPG: its names, and every initiator admitted read-write */
	.tpg_get_wwn			= vhost_scsi_get_wwn,
	.tpg_get_tag			= vhost_scsi_get_tag,
	.tpg_get_inst_index		= vhost_scsi_tpg_get_inst_index,
	.sess_get_index			= vhost_scsi_sess_get_index,
	.tpg_check_demo_mode		= vhost_scsi_check_true,
	.tpg_check_demo_mode_cache	= vhost_scsi_check_true,
	.tpg_check_demo_mode_write_protect = vhost_scsi_check_false,
	.tpg_check_prod_mode_write_protect = vhost_scsi_check_false,
	.tpg_check_prot_fabric_only	= vhost_scsi_check_prot_fabric_only,

	/* A command: data already mapped, its answer back to the worker */
	.max_data_sg_nents		= VHOST_SCSI_MAX_DATA_PAGES,
	.write_pending			= vhost_scsi_write_pending,
	.queue_data_in			= vhost_scsi_queue_data_in,
	.queue_status			= vhost_scsi_queue_status,
	.aborted_task			= vhost_scsi_aborted_task,
	.get_cmd_state			= vhost_scsi_get_cmd_state,
	.check_stop_free		= vhost_scsi_check_stop_free,
	.release_cmd			= vhost_scsi_release_cmd,

	/* A TMF */
	.queue_tm_rsp			= vhost_scsi_queue_tm_rsp,
};

int vhost_scsi_configfs_init(void)
{
	return target_register_template(&vhost_scsi_ops);
}

void vhost_scsi_configfs_exit(void)
{
	target_unregister_template(&vhost_scsi_ops);
}
