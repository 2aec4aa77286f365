/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost-scsi: pure virtio-scsi protocol helpers.
 *
 * Everything here works on bytes and fixed-width integers: no locks, no
 * allocation, no kernel objects.  The same file is compiled into the module
 * and into the userspace unit tests (tools/testing/unit), so it may only use
 * what both worlds have.  Multi-byte guest fields are converted to CPU order
 * here, once, when a request is parsed; the rest of the module never sees a
 * guest-endian value.
 */
#ifndef _VHOST_SCSI_PROTO_H_
#define _VHOST_SCSI_PROTO_H_

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include "user_types.h"	/* tools/testing/unit: u8..u64, bool, errno */
#endif

/* Wire sizes (virtio 1.x, section "SCSI Host Device"); all structs packed. */
#define VHOST_SCSI_CDB_SIZE		32	/* the cdb_size QEMU advertises for vhost */
#define VHOST_SCSI_SENSE_SIZE		96	/* the sense_size QEMU advertises */
#define VHOST_SCSI_CMD_REQ_SIZE	(8 + 8 + 3 + VHOST_SCSI_CDB_SIZE)
#define VHOST_SCSI_CMD_REQ_PI_SIZE	(8 + 8 + 3 + 4 + 4 + VHOST_SCSI_CDB_SIZE)
#define VHOST_SCSI_CMD_RESP_SIZE	(4 + 4 + 2 + 1 + 1 + VHOST_SCSI_SENSE_SIZE)
#define VHOST_SCSI_CMD_RESP_HDR_SIZE	(4 + 4 + 2 + 1 + 1)
#define VHOST_SCSI_CTRL_TYPE_SIZE	4
#define VHOST_SCSI_TMF_REQ_SIZE	(4 + 4 + 8 + 8)
#define VHOST_SCSI_TMF_RESP_SIZE	1
#define VHOST_SCSI_AN_REQ_SIZE		(4 + 8 + 4)
#define VHOST_SCSI_AN_RESP_SIZE	(4 + 1)
#define VHOST_SCSI_EVENT_SIZE		(4 + 8 + 4)

/* Largest target (TPG tag) and LUN a virtio-scsi LUN field can name. */
#define VHOST_SCSI_MAX_TARGET		255
#define VHOST_SCSI_MAX_LUN		16383

/* Virtio task attributes and the SAM codes the target core uses for them. */
#define VHOST_SCSI_SAM_SIMPLE_TAG	0x20
#define VHOST_SCSI_SAM_HEAD_TAG	0x21
#define VHOST_SCSI_SAM_ORDERED_TAG	0x22
#define VHOST_SCSI_SAM_ACA_TAG		0x24

/**
 * struct vhost_scsi_cmd_req - a parsed virtio_scsi_cmd_req{,_pi}, CPU order.
 * @lun_ok:	the LUN field is well formed; @target and @lun are 0 if not
 * @target:	byte 1 of the LUN field: the TPG tag under the bound WWPN
 * @lun:	the single-level LUN (bytes 2-3, 14 bits)
 * @tag:	the driver's command id, echoed by task management
 * @task_attr:	VIRTIO_SCSI_S_{SIMPLE,ORDERED,HEAD,ACA}
 * @prio:	command priority (unused by the target core)
 * @crn:	command reference number (unused)
 * @pi_bytesout: protection bytes that precede the data-out payload
 * @pi_bytesin:	protection bytes that precede the data-in payload
 * @cdb:	the CDB as sent, VHOST_SCSI_CDB_SIZE bytes
 */
struct vhost_scsi_cmd_req {
	bool lun_ok;
	u8 target;
	u16 lun;
	u64 tag;
	u8 task_attr;
	u8 prio;
	u8 crn;
	u32 pi_bytesout;
	u32 pi_bytesin;
	u8 cdb[VHOST_SCSI_CDB_SIZE];
};

/**
 * struct vhost_scsi_cmd_resp - what we tell the guest about a finished command.
 * @response:	VIRTIO_SCSI_S_*
 * @status:	SAM status byte
 * @status_qualifier: SAM status qualifier
 * @resid:	bytes of the data buffer not transferred
 * @sense_len:	valid bytes in @sense, before truncation to the guest's buffer
 * @sense:	sense data
 */
struct vhost_scsi_cmd_resp {
	u8 response;
	u8 status;
	u16 status_qualifier;
	u32 resid;
	u32 sense_len;
	const u8 *sense;
};

/* Outcome of decoding the 8-byte virtio-scsi LUN field. */
enum vhost_scsi_lun_result {
	VHOST_SCSI_LUN_OK,
	/* byte 0 is not 1, an unknown address method, or bytes 4-7 set */
	VHOST_SCSI_LUN_BAD_FORMAT,
};

enum vhost_scsi_lun_result vhost_scsi_decode_lun(const u8 *field, u8 *target,
						 u16 *lun);
void vhost_scsi_encode_lun(u8 *field, u8 target, u16 lun);

int vhost_scsi_parse_cmd_req(const u8 *buf, size_t len, bool pi, bool le,
			     struct vhost_scsi_cmd_req *req);
unsigned int vhost_scsi_cdb_len(const u8 *cdb);
int vhost_scsi_task_attr(u8 virtio_attr);
void vhost_scsi_build_cmd_resp(u8 *buf, bool le,
			       const struct vhost_scsi_cmd_resp *resp);

/*
 * The data buffer a CDB may come with, as vhost_scsi_cdb_xfer() reports it.
 * Every command may also come without one.
 */
#define VHOST_SCSI_XFER_IN	0x1	/* a data-in buffer: the device fills it */
#define VHOST_SCSI_XFER_OUT	0x2	/* a data-out buffer */
/* may change the medium or the LU: without a buffer still data-out */
#define VHOST_SCSI_XFER_WRITE	0x4
#define VHOST_SCSI_XFER_BLOCKS	0x8	/* the buffer holds logical blocks */

/* The direction a request is handed to the target core with. */
enum vhost_scsi_dir {
	VHOST_SCSI_DIR_NONE,	/* DMA_NONE */
	VHOST_SCSI_DIR_OUT,	/* DMA_TO_DEVICE, possibly 0 bytes */
	VHOST_SCSI_DIR_IN,	/* DMA_FROM_DEVICE */
	VHOST_SCSI_DIR_REFUSED,	/* the buffers contradict the CDB */
};

unsigned int vhost_scsi_cdb_xfer(const u8 *cdb);
enum vhost_scsi_dir vhost_scsi_data_dir(const u8 *cdb, bool in, bool out);

/* Control queue */
struct vhost_scsi_tmf_req {
	u32 subtype;
	bool lun_ok;
	u8 target;
	u16 lun;
	u64 tag;
};

struct vhost_scsi_an_req {
	u32 type;
	bool lun_ok;
	u8 target;
	u16 lun;
	u32 event_requested;
};

/* How the control queue carries out each TMF subtype. */
enum vhost_scsi_tmf_action {
	VHOST_SCSI_TMF_ABORT_TASK,	/* the target core's ABORT TASK */
	VHOST_SCSI_TMF_LUN_RESET,	/* the target core's LOGICAL UNIT RESET */
	VHOST_SCSI_TMF_ABORT_SET,	/* ABORT TASK per task of the LUN */
	VHOST_SCSI_TMF_NEXUS_RESET,	/* ABORT TASK per task of the nexus */
	VHOST_SCSI_TMF_QUERY_TASK,	/* answered from our own tracking */
	VHOST_SCSI_TMF_QUERY_SET,
	VHOST_SCSI_TMF_NOP,		/* CLEAR ACA: we never enter ACA */
	VHOST_SCSI_TMF_REJECT,		/* unknown subtype */
};

/* The target core's TMR responses (enum tcm_tmrsp_table). */
#define VHOST_SCSI_TMR_FUNCTION_FAILED		0
#define VHOST_SCSI_TMR_FUNCTION_COMPLETE	1
#define VHOST_SCSI_TMR_TASK_DOES_NOT_EXIST	2
#define VHOST_SCSI_TMR_LUN_DOES_NOT_EXIST	3
#define VHOST_SCSI_TMR_NOT_SUPPORTED		4
#define VHOST_SCSI_TMR_FUNCTION_REJECTED	5

u32 vhost_scsi_ctrl_type(const u8 *buf, bool le);
enum vhost_scsi_tmf_action vhost_scsi_tmf_action(u32 subtype);
u8 vhost_scsi_tmr_to_virtio(u8 tmr_response);
void vhost_scsi_parse_tmf_req(const u8 *buf, bool le,
			      struct vhost_scsi_tmf_req *req);
void vhost_scsi_parse_an_req(const u8 *buf, bool le,
			     struct vhost_scsi_an_req *req);
void vhost_scsi_build_an_resp(u8 *buf, bool le, u32 event_actual, u8 response);
void vhost_scsi_build_event(u8 *buf, bool le, u32 event, u8 target, u16 lun,
			    u32 reason);

/* Names in configfs */
#define VHOST_SCSI_PROTO_SAS		0x6	/* SPC-4 protocol identifiers */
#define VHOST_SCSI_PROTO_FCP		0x0
#define VHOST_SCSI_PROTO_ISCSI		0x5
#define VHOST_SCSI_WWN_LEN		224	/* TRANSPORT_IQN_LEN, NUL included */

int vhost_scsi_parse_wwn(const char *name, size_t len, u8 *proto_id);
int vhost_scsi_parse_tpgt(const char *name, u16 *tpgt);

#endif /* _VHOST_SCSI_PROTO_H_ */
