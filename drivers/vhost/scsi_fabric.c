// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: the callbacks through which the target core hands commands
 * back to the fabric.
 *
 * A command's life, seen from here: scsi_io.c submits it; the target core
 * executes it (calling write_pending first for data-out, whose pages are
 * already mapped) and reports the outcome with queue_data_in or
 * queue_status, or, if a task management function ended it, aborted_task;
 * then it drops its reference through check_stop_free and release_cmd runs.
 * Only then is the command handed to the vhost worker, which writes the
 * response into guest memory and returns the descriptor.  Waiting for
 * release_cmd gives every outcome, aborted ones included, a single way
 * back, and the target core has let go of the command before the guest can
 * reuse its tag.
 *
 * These callbacks run in process context: the target core's workqueues, the
 * vhost worker (direct submission), or a TMF's execution context.
 *
 * The target core passes TMFs (SCF_SCSI_TMR_CDB, a struct vhost_scsi_tmf)
 * through the same callbacks as commands: check_stop_free, release_cmd and
 * aborted_task see both and tell them apart; queue_tm_rsp sees only TMFs;
 * write_pending, queue_data_in and queue_status only commands (an aborted
 * TMF never gets TAS: the reset drains TMFs with TAS off).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/virtio_scsi.h>

#include "scsi.h"

/* Called after queue_status/queue_data_in: drop the submission reference. */
int vhost_scsi_check_stop_free(struct se_cmd *se_cmd)
{
	return target_put_sess_cmd(se_cmd);
}

/* The target core's last reference is gone; any context. */
void vhost_scsi_release_cmd(struct se_cmd *se_cmd)
{
	struct vhost_scsi_cmd *cmd;

	if (se_cmd->se_cmd_flags & SCF_SCSI_TMR_CDB) {
		vhost_scsi_tmf_release(se_cmd);
		return;
	}
	cmd = container_of(se_cmd, struct vhost_scsi_cmd, se_cmd);
	WRITE_ONCE(cmd->in_lio, false);
	/* Pairs with vhost_scsi_mark_abort(): no mark outlives this. */
	smp_mb();
	WRITE_ONCE(cmd->abort_seq, 0);
	vhost_scsi_queue_done(cmd);
}

u32 vhost_scsi_sess_get_index(struct se_session *se_sess)
{
	return 0;
}

/* Data-out pages were pinned and mapped at submission: run it now. */
int vhost_scsi_write_pending(struct se_cmd *se_cmd)
{
	target_execute_cmd(se_cmd);
	return 0;
}

void vhost_scsi_set_default_node_attrs(struct se_node_acl *nacl)
{
}

int vhost_scsi_get_cmd_state(struct se_cmd *se_cmd)
{
	return 0;
}

/*
 * Data went straight into the pinned guest pages; the status, sense and
 * residual stay in the se_cmd until release_cmd hands it to the worker.
 */
int vhost_scsi_queue_data_in(struct se_cmd *se_cmd)
{
	return 0;
}

int vhost_scsi_queue_status(struct se_cmd *se_cmd)
{
	return 0;
}

/*
 * The target core frees se_tmr_req before release_cmd, so keep the
 * response; the worker writes it once release_cmd hands the TMF back.
 */
void vhost_scsi_queue_tm_rsp(struct se_cmd *se_cmd)
{
	struct vhost_scsi_tmf *tmf = container_of(se_cmd, struct vhost_scsi_tmf,
						  se_cmd);

	/* The target core calls this for TMRs only; anything else is a bug. */
	if (WARN_ON_ONCE(!(se_cmd->se_cmd_flags & SCF_SCSI_TMR_CDB)))
		return;
	BUILD_BUG_ON(VHOST_SCSI_TMR_FUNCTION_COMPLETE != TMR_FUNCTION_COMPLETE);
	BUILD_BUG_ON(VHOST_SCSI_TMR_TASK_DOES_NOT_EXIST !=
		     TMR_TASK_DOES_NOT_EXIST);
	BUILD_BUG_ON(VHOST_SCSI_TMR_LUN_DOES_NOT_EXIST != TMR_LUN_DOES_NOT_EXIST);
	BUILD_BUG_ON(VHOST_SCSI_TMR_NOT_SUPPORTED !=
		     TMR_TASK_MGMT_FUNCTION_NOT_SUPPORTED);
	BUILD_BUG_ON(VHOST_SCSI_TMR_FUNCTION_REJECTED != TMR_FUNCTION_REJECTED);
	tmf->response = vhost_scsi_tmr_to_virtio(se_cmd->se_tmr_req->response);
}

/*
 * A TMF ended @se_cmd without a status (no TAS: the TMF came over the
 * command's own nexus).
 *
 * @se_cmd may be a TMF itself: a LOGICAL UNIT RESET drains the other TMFs
 * of the device (core_tmr_drain_tmr_list()), and target_handle_abort() ends
 * each here instead of calling queue_tm_rsp.  Such a TMF is answered
 * VIRTIO_SCSI_S_RESET; the commands it named are ended by the reset.
 *
 * A command: a reset marked it S_RESET before starting; otherwise it was an
 * abort.
 */
void vhost_scsi_aborted_task(struct se_cmd *se_cmd)
{
	struct vhost_scsi_tmf *tmf;
	struct vhost_scsi_cmd *cmd;

	if (se_cmd->se_cmd_flags & SCF_SCSI_TMR_CDB) {
		tmf = container_of(se_cmd, struct vhost_scsi_tmf, se_cmd);
		tmf->response = VIRTIO_SCSI_S_RESET;
		return;
	}
	cmd = container_of(se_cmd, struct vhost_scsi_cmd, se_cmd);
	cmd->response = READ_ONCE(cmd->abort_response);
}
