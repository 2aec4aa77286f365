// SPDX-License-Identifier: GPL-2.0
/*
 * eh_inject - test-only: send one SCSI device's timed-out commands to the
 * SCSI error handler.
 *
 * A Linux 6.1 virtio_scsi host answers every command timeout with "reset
 * the timer" (its eh_timed_out hook), so a slow command just waits and the
 * guest never sends ABORT TASK on its own.  This module puts a return probe
 * on that hook and, for commands of the one device named by @sdev, turns
 * the answer into BLK_EH_DONE: the midlayer then schedules its asynchronous
 * abort, which reaches the target as a virtio-scsi ABORT TASK, and escalates
 * to a LOGICAL UNIT RESET only if the abort fails.  Other devices keep the
 * driver's behaviour.  Unloading the module removes the probe.
 *
 *   insmod eh_inject.ko sdev=H:C:T:L
 *   cat /sys/module/eh_inject/parameters/hits   # commands handed over
 *
 * Nothing in virtio_scsi is written to; the probe only replaces a return
 * value.  Needs CONFIG_KRETPROBES.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

/* The hook probed; virtio_scsi's timeout handler in 6.1. */
#define EH_INJECT_TARGET_FN "virtscsi_eh_timed_out"

static char *sdev;
module_param(sdev, charp, 0444);
MODULE_PARM_DESC(sdev, "the SCSI device as H:C:T:L (required)");

/* Parsed from @sdev once at load time; read-only afterwards. */
static unsigned int want_host, want_channel, want_id;
static u64 want_lun;

/* Timeouts turned into BLK_EH_DONE; bumped from any CPU's timeout work. */
static atomic_t hits = ATOMIC_INIT(0);

static int eh_inject_hits_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&hits));
}

static const struct kernel_param_ops eh_inject_hits_ops = {
	.get = eh_inject_hits_get,
};
module_param_cb(hits, &eh_inject_hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "timed-out commands handed to the error handler");

/*
 * Entry of the hook, in the block layer's timeout work: its first argument
 * is the timed-out command, alive until the hook returns.  A non-zero
 * return tells kprobes to skip the return handler for this call.
 */
static int eh_inject_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct scsi_cmnd *sc;
	struct scsi_device *dev;

	sc = (struct scsi_cmnd *)regs_get_kernel_argument(regs, 0);
	dev = sc->device;
	if (dev->host->host_no != want_host || dev->channel != want_channel ||
	    dev->id != want_id || dev->lun != want_lun)
		return 1;
	return 0;
}

/* Return of the hook for a command of our device: let the EH have it. */
static int eh_inject_return(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	regs_set_return_value(regs, BLK_EH_DONE);
	atomic_inc(&hits);
	return 0;
}

static struct kretprobe eh_inject_probe = {
	.kp.symbol_name = EH_INJECT_TARGET_FN,
	.entry_handler = eh_inject_entry,
	.handler = eh_inject_return,
	/* Timeout work of both request queues at once, with room to spare. */
	.maxactive = 8,
};

static int __init eh_inject_init(void)
{
	unsigned long long lun;
	int ret;

	if (!sdev || sscanf(sdev, "%u:%u:%u:%llu", &want_host, &want_channel,
			    &want_id, &lun) != 4) {
		pr_err("sdev=H:C:T:L is required\n");
		return -EINVAL;
	}
	want_lun = lun;

	ret = register_kretprobe(&eh_inject_probe);
	if (ret) {
		pr_err("cannot probe %s: %d\n", EH_INJECT_TARGET_FN, ret);
		return ret;
	}
	pr_info("%s: timed-out commands go to the error handler\n", sdev);
	return 0;
}

static void __exit eh_inject_exit(void)
{
	unregister_kretprobe(&eh_inject_probe);
	pr_info("%s: %d timed-out commands were handed over; probe removed\n",
		sdev, atomic_read(&hits));
}

module_init(eh_inject_init);
module_exit(eh_inject_exit);
MODULE_DESCRIPTION("Test-only: route one SCSI device's timeouts to the error handler");
MODULE_LICENSE("GPL");
