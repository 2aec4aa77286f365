/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost-scsi tracepoints: the life of a request as the guest sees it.
 *
 *   vhost_scsi_cmd_submit	a command handed to the target core
 *   vhost_scsi_cmd_complete	its response written (once per submit)
 *   vhost_scsi_req_refused	a request answered without running it, or a
 *				buffer given back unwritten (reason)
 *   vhost_scsi_tmf_received	a task management function parsed
 *   vhost_scsi_tmf_answered	its response written (also for one refused
 *				before it ran; type 0 if unparsable)
 *   vhost_scsi_evt_queued	an event (LUN hotplug) waiting for a buffer
 *   vhost_scsi_evt_delivered	written to an event-queue buffer
 *   vhost_scsi_evt_dropped	lost: list full, no memory or no buffer
 *
 * Every event names the device by its client's pid and the device number
 * (as the debugfs directory dev-<pid>-<id> does) and the WWPN of the
 * endpoint; request-queue events name the queue (2 is the first request
 * queue, as in the debugfs queue<N> files).  Nothing is computed for
 * them while they are off; the completion's latency needs a timestamp at
 * submission, taken only while vhost_scsi_cmd_complete is on, so a command
 * submitted before the event was turned on reports latency 0 (unknown).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_scsi

#if !defined(_VHOST_SCSI_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _VHOST_SCSI_TRACE_H_

#include <linux/tracepoint.h>

#include "scsi.h"

/*
 * The device's part of every event: its client's pid, its number and the
 * WWPN (struct vhost_scsi, @owner_pid, @id and @wwpn).
 */
#define VHOST_SCSI_TRACE_DEV(vs) do {			\
	typeof(vs) _vs = (vs);				\
							\
	__entry->pid = _vs->owner_pid;			\
	__entry->dev = _vs->id;				\
	__assign_str(wwpn, _vs->wwpn);			\
} while (0)

TRACE_EVENT(vhost_scsi_cmd_submit,
	    TP_PROTO(const struct vhost_scsi_cmd *cmd,
		     const struct vhost_scsi_req *req),
	    TP_ARGS(cmd, req),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned int, dev)
			     __string(wwpn, cmd->svq->vs->wwpn)
			     __field(unsigned int, queue)
			     __field(u8, target)
			     __field(u16, lun)
			     __field(u64, tag)
			     __field(u8, opcode)
			     __field(u32, len)
			     __field(u8, dir)),
	    TP_fast_assign(VHOST_SCSI_TRACE_DEV(cmd->svq->vs);
			   __entry->queue = cmd->svq - cmd->svq->vs->vqs;
			   __entry->target = req->hdr.target;
			   __entry->lun = req->hdr.lun;
			   __entry->tag = req->hdr.tag;
			   __entry->opcode = req->hdr.cdb[0];
			   __entry->len = cmd->data_len;
			   __entry->dir = req->dir;),
	    TP_printk("pid=%d dev=%u wwpn=%s queue=%u target=%u lun=%u tag=%llu opcode=0x%02x len=%u dir=%s",
		      __entry->pid, __entry->dev, __get_str(wwpn),
		      __entry->queue, __entry->target, __entry->lun,
		      __entry->tag, __entry->opcode, __entry->len,
		      __print_symbolic(__entry->dir,
				       { VHOST_SCSI_DIR_NONE, "none" },
				       { VHOST_SCSI_DIR_IN, "in" },
				       { VHOST_SCSI_DIR_OUT, "out" }))
);

TRACE_EVENT(vhost_scsi_cmd_complete,
	    TP_PROTO(const struct vhost_scsi_cmd *cmd,
		     const struct vhost_scsi_cmd_resp *resp),
	    TP_ARGS(cmd, resp),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned int, dev)
			     __string(wwpn, cmd->svq->vs->wwpn)
			     __field(unsigned int, queue)
			     __field(u8, target)
			     __field(u16, lun)
			     __field(u64, tag)
			     __field(u8, status)
			     __field(u8, response)
			     __field(u64, latency)),
	    TP_fast_assign(VHOST_SCSI_TRACE_DEV(cmd->svq->vs);
			   __entry->queue = cmd->svq - cmd->svq->vs->vqs;
			   __entry->target = cmd->tpg->tpgt;
			   __entry->lun = cmd->se_cmd.orig_fe_lun;
			   __entry->tag = cmd->se_cmd.tag;
			   __entry->status = resp->status;
			   __entry->response = resp->response;
			   __entry->latency = cmd->submit_ns ?
				ktime_get_ns() - cmd->submit_ns : 0;),
	    TP_printk("pid=%d dev=%u wwpn=%s queue=%u target=%u lun=%u tag=%llu status=0x%02x response=%u latency=%llu",
		      __entry->pid, __entry->dev, __get_str(wwpn),
		      __entry->queue, __entry->target, __entry->lun,
		      __entry->tag, __entry->status, __entry->response,
		      __entry->latency)
);

TRACE_EVENT(vhost_scsi_req_refused,
	    TP_PROTO(const struct vhost_scsi_vq *svq,
		     enum vhost_scsi_refusal why),
	    TP_ARGS(svq, why),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned int, dev)
			     __string(wwpn, svq->vs->wwpn)
			     __field(unsigned int, queue)
			     __string(reason, vhost_scsi_refusal_name(why))),
	    TP_fast_assign(VHOST_SCSI_TRACE_DEV(svq->vs);
			   __entry->queue = svq - svq->vs->vqs;
			   __assign_str(reason, vhost_scsi_refusal_name(why));),
	    TP_printk("pid=%d dev=%u wwpn=%s queue=%u reason=%s",
		      __entry->pid, __entry->dev, __get_str(wwpn),
		      __entry->queue, __get_str(reason))
);

/* vhost_scsi_tmf_received's @response is always 0 (the class is shared). */
DECLARE_EVENT_CLASS(vhost_scsi_tmf_class,
		    TP_PROTO(const struct vhost_scsi *vs, u32 type, u16 lun,
			     u64 tag, u8 response),
		    TP_ARGS(vs, type, lun, tag, response),
		    TP_STRUCT__entry(__field(pid_t, pid)
				     __field(unsigned int, dev)
				     __string(wwpn, vs->wwpn)
				     __field(u32, type)
				     __field(u16, lun)
				     __field(u64, tag)
				     __field(u8, response)),
		    TP_fast_assign(VHOST_SCSI_TRACE_DEV(vs);
				   __entry->type = type;
				   __entry->lun = lun;
				   __entry->tag = tag;
				   __entry->response = response;),
		    TP_printk("pid=%d dev=%u wwpn=%s type=%u lun=%u tag=%llu response=%u",
			      __entry->pid, __entry->dev, __get_str(wwpn),
			      __entry->type, __entry->lun, __entry->tag,
			      __entry->response)
);

DEFINE_EVENT(vhost_scsi_tmf_class, vhost_scsi_tmf_received,
	     TP_PROTO(const struct vhost_scsi *vs, u32 type, u16 lun, u64 tag,
		      u8 response),
	     TP_ARGS(vs, type, lun, tag, response));

DEFINE_EVENT(vhost_scsi_tmf_class, vhost_scsi_tmf_answered,
	     TP_PROTO(const struct vhost_scsi *vs, u32 type, u16 lun, u64 tag,
		      u8 response),
	     TP_ARGS(vs, type, lun, tag, response));

DECLARE_EVENT_CLASS(vhost_scsi_evt_class,
		    TP_PROTO(const struct vhost_scsi *vs, u32 event, u8 target,
			     u16 lun, u32 reason),
		    TP_ARGS(vs, event, target, lun, reason),
		    TP_STRUCT__entry(__field(pid_t, pid)
				     __field(unsigned int, dev)
				     __string(wwpn, vs->wwpn)
				     __field(u32, event)
				     __field(u8, target)
				     __field(u16, lun)
				     __field(u32, reason)),
		    TP_fast_assign(VHOST_SCSI_TRACE_DEV(vs);
				   __entry->event = event;
				   __entry->target = target;
				   __entry->lun = lun;
				   __entry->reason = reason;),
		    TP_printk("pid=%d dev=%u wwpn=%s event=0x%x target=%u lun=%u reason=%u",
			      __entry->pid, __entry->dev, __get_str(wwpn),
			      __entry->event, __entry->target, __entry->lun,
			      __entry->reason)
);

DEFINE_EVENT(vhost_scsi_evt_class, vhost_scsi_evt_queued,
	     TP_PROTO(const struct vhost_scsi *vs, u32 event, u8 target,
		      u16 lun, u32 reason),
	     TP_ARGS(vs, event, target, lun, reason));

DEFINE_EVENT(vhost_scsi_evt_class, vhost_scsi_evt_delivered,
	     TP_PROTO(const struct vhost_scsi *vs, u32 event, u8 target,
		      u16 lun, u32 reason),
	     TP_ARGS(vs, event, target, lun, reason));

DEFINE_EVENT(vhost_scsi_evt_class, vhost_scsi_evt_dropped,
	     TP_PROTO(const struct vhost_scsi *vs, u32 event, u8 target,
		      u16 lun, u32 reason),
	     TP_ARGS(vs, event, target, lun, reason));

#endif /* _VHOST_SCSI_TRACE_H_ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE scsi_trace
#include <trace/define_trace.h>
