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

/* Guards vhost_scsi_tpgs and each TPG's se_sess and vs (scsi.h). */
DEFINE_MUTEX(vhost_scsi_mutex);
LIST_HEAD(vhost_scsi_tpgs);

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
	tpg = kzalloc(sizeof(*tpg), GFP_KERNEL);
	if (!tpg)
		return ERR_PTR(-ENOMEM);
	tpg->tpgt = tpgt;
	tpg->tport = tport;
	INIT_LIST_HEAD(&tpg->node);
	ret = core_tpg_register(wwn, &tpg->se_tpg, tport->proto_id);
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
 * End a detached nexus.  No device uses it: a bound TPG keeps its nexus,
 * and CLEAR_ENDPOINT waited for release_cmd of every command it sent.  The
 * target core still holds the session's command counter a little longer
 * (it drops it after release_cmd returns), so stop the session and wait for
 * the counter before freeing it.  Sleeps; called without vhost_scsi_mutex,
 * and the commands it waits for need no lock of ours.
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
 * configfs refuses the rmdir while SET_ENDPOINT pins the TPG, so no device
 * is bound here and the nexus carries no command of ours.
 */
static void vhost_scsi_drop_tpg(struct se_portal_group *se_tpg)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(se_tpg);
	struct se_session *se_sess;

	mutex_lock(&vhost_scsi_mutex);
	WARN_ON_ONCE(tpg->vs);
	list_del(&tpg->node);
	se_sess = vhost_scsi_detach_nexus(tpg);
	mutex_unlock(&vhost_scsi_mutex);
	vhost_scsi_end_nexus(se_sess);
	core_tpg_deregister(se_tpg);
	kfree(tpg);
}

static int vhost_scsi_make_nexus(struct vhost_scsi_tpg *tpg, const char *name)
{
	struct se_session *se_sess;

	lockdep_assert_held(&vhost_scsi_mutex);
	if (tpg->se_sess)
		return -EEXIST;
	se_sess = target_setup_session(&tpg->se_tpg, 0, 0,
				       TARGET_PROT_ALL, name, tpg, NULL);
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
 * the nexus, "NULL" to drop it.  A nexus in use by a bound device stays.
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
		ret = tpg->vs ? -EBUSY : 0;
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

static int vhost_scsi_port_link(struct se_portal_group *se_tpg,
				struct se_lun *lun)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(se_tpg);

	mutex_lock(&vhost_scsi_mutex);
	if (tpg->vs)
		vhost_scsi_evt_queue(tpg->vs, VIRTIO_SCSI_T_TRANSPORT_RESET,
				     tpg->tpgt, lun->unpacked_lun,
				     VIRTIO_SCSI_EVT_RESET_RESCAN);
	mutex_unlock(&vhost_scsi_mutex);
	return 0;
}

static void vhost_scsi_port_unlink(struct se_portal_group *se_tpg,
				   struct se_lun *lun)
{
	struct vhost_scsi_tpg *tpg = vhost_tpg(se_tpg);

	mutex_lock(&vhost_scsi_mutex);
	if (tpg->vs)
		vhost_scsi_evt_queue(tpg->vs, VIRTIO_SCSI_T_TRANSPORT_RESET,
				     tpg->tpgt, lun->unpacked_lun,
				     VIRTIO_SCSI_EVT_RESET_REMOVED);
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

const struct target_core_fabric_ops vhost_scsi_ops = {
	.module				= THIS_MODULE,
	.fabric_name			= "vhost",
	.max_data_sg_nents		= VHOST_SCSI_MAX_DATA_PAGES,
	.tpg_get_wwn			= vhost_scsi_get_wwn,
	.tpg_get_tag			= vhost_scsi_get_tag,
	.tpg_check_demo_mode		= vhost_scsi_check_true,
	.tpg_check_demo_mode_cache	= vhost_scsi_check_true,
	.tpg_check_demo_mode_write_protect = vhost_scsi_check_false,
	.tpg_check_prod_mode_write_protect = vhost_scsi_check_false,
	.tpg_check_prot_fabric_only	= vhost_scsi_check_prot_fabric_only,
	.tpg_get_inst_index		= vhost_scsi_tpg_get_inst_index,
	.check_stop_free		= vhost_scsi_check_stop_free,
	.release_cmd			= vhost_scsi_release_cmd,
	.sess_get_index			= vhost_scsi_sess_get_index,
	.write_pending			= vhost_scsi_write_pending,
	.set_default_node_attributes	= vhost_scsi_set_default_node_attrs,
	.get_cmd_state			= vhost_scsi_get_cmd_state,
	.queue_data_in			= vhost_scsi_queue_data_in,
	.queue_status			= vhost_scsi_queue_status,
	.queue_tm_rsp			= vhost_scsi_queue_tm_rsp,
	.aborted_task			= vhost_scsi_aborted_task,
	.fabric_make_wwn		= vhost_scsi_make_tport,
	.fabric_drop_wwn		= vhost_scsi_drop_tport,
	.fabric_make_tpg		= vhost_scsi_make_tpg,
	.fabric_drop_tpg		= vhost_scsi_drop_tpg,
	.fabric_post_link		= vhost_scsi_port_link,
	.fabric_pre_unlink		= vhost_scsi_port_unlink,
	.tfc_wwn_attrs			= vhost_scsi_wwn_attrs,
	.tfc_tpg_base_attrs		= vhost_scsi_tpg_attrs,
	.tfc_tpg_attrib_attrs		= vhost_scsi_tpg_attrib_attrs,
};

int vhost_scsi_configfs_init(void)
{
	return target_register_template(&vhost_scsi_ops);
}

void vhost_scsi_configfs_exit(void)
{
	target_unregister_template(&vhost_scsi_ops);
}
