// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: fault points, so that a test can fail each allocation the
 * module makes and check what the caller or the guest is told.
 *
 * Why the module has its own: Debian's kernel has no fault injection at
 * all (no CONFIG_FAULT_INJECTION), and even where the kernel's failslab
 * exists it cannot be aimed at this module's allocations made outside the
 * caller's task (pool growth, I/O mapping, TMFs in the vhost worker or our
 * own threads): /proc/<tid>/fail-nth counts one task's allocations, and
 * failslab's stack filter (FAULT_INJECTION_STACKTRACE_FILTER) is not in
 * the debug kernel either.  One counter here sees every context, so one
 * test sweeps the same sites on both kernels.
 *
 * Each allocation a client, a guest or an admin causes (and each call into
 * the vhost core or LIO that allocates and can fail, such as
 * core_tpg_register()) passes vhost_scsi_fault(site) first; when it says
 * so the allocation is not made and the caller takes its failure path, as
 * if the allocator had returned NULL or -ENOMEM.
 *
 * The interface, in debugfs vhost_scsi/:
 *   fail_nth  write N > 0: the Nth fault point passed from now on, in any
 *             context, fails, once; write 0 to disarm.  Reads the count
 *             still to go: 0 once it fired (or when disarmed), so a test
 *             reading N - k after an operation knows the operation passed
 *             k fault points and none failed.
 *   faults    failures injected so far, per site ("site count" lines).
 *
 * Cost when no test armed it: a static key, patched to a jump when a test
 * first writes fail_nth and back to a no-op by writing 0; no allocation
 * path of the module is per I/O on the hot path anyway (command pool).
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "scsi.h"

DEFINE_STATIC_KEY_FALSE(vhost_scsi_fault_key);

/* Fault points still to pass before one fails; 0: none will. */
static atomic_t vhost_scsi_fault_nth = ATOMIC_INIT(0);
/* Injected failures per site, for the test's report. */
static atomic_t vhost_scsi_fault_hits[VHOST_SCSI_FAULT_NR];
/* Serialises writers of fail_nth, so the key follows the last write. */
static DEFINE_MUTEX(vhost_scsi_fault_mutex);

static const char *const vhost_scsi_fault_names[VHOST_SCSI_FAULT_NR] = {
	[VHOST_SCSI_FAULT_DEV]		= "dev",
	[VHOST_SCSI_FAULT_OWNER]	= "owner",
	[VHOST_SCSI_FAULT_ENDPOINT]	= "endpoint",
	[VHOST_SCSI_FAULT_POOL]		= "pool",
	[VHOST_SCSI_FAULT_WORKER]	= "worker",
	[VHOST_SCSI_FAULT_DEBUGFS]	= "debugfs",
	[VHOST_SCSI_FAULT_MAP]		= "map",
	[VHOST_SCSI_FAULT_TMF]		= "tmf",
	[VHOST_SCSI_FAULT_EVT]		= "evt",
	[VHOST_SCSI_FAULT_CHANGE]	= "change",
	[VHOST_SCSI_FAULT_WWN]		= "wwn",
	[VHOST_SCSI_FAULT_TPG]		= "tpg",
	[VHOST_SCSI_FAULT_NEXUS]	= "nexus",
};

/*
 * The slow side of vhost_scsi_fault(): count this passage down and say
 * whether it is the one to fail.  Any context, no sleeping: a fault point
 * may sit before a GFP_NOWAIT allocation.
 */
bool __vhost_scsi_fault(enum vhost_scsi_fault_site site)
{
	int n = atomic_read(&vhost_scsi_fault_nth);

	do {
		if (n <= 0)
			return false;
	} while (!atomic_try_cmpxchg(&vhost_scsi_fault_nth, &n, n - 1));
	if (n != 1)
		return false;
	atomic_inc(&vhost_scsi_fault_hits[site]);
	return true;
}

static int vhost_scsi_fault_nth_get(void *data, u64 *val)
{
	*val = atomic_read(&vhost_scsi_fault_nth);
	return 0;
}

static int vhost_scsi_fault_nth_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	mutex_lock(&vhost_scsi_fault_mutex);
	if (val)
		static_branch_enable(&vhost_scsi_fault_key);
	atomic_set(&vhost_scsi_fault_nth, val);
	if (!val)
		static_branch_disable(&vhost_scsi_fault_key);
	mutex_unlock(&vhost_scsi_fault_mutex);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vhost_scsi_fault_nth_fops, vhost_scsi_fault_nth_get,
			 vhost_scsi_fault_nth_set, "%llu\n");

static int vhost_scsi_faults_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < VHOST_SCSI_FAULT_NR; i++)
		seq_printf(m, "%s %d\n", vhost_scsi_fault_names[i],
			   atomic_read(&vhost_scsi_fault_hits[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_scsi_faults);

/* In the module's debugfs directory @dir, at init; errors only cost them. */
void vhost_scsi_fault_init(struct dentry *dir)
{
	debugfs_create_file_unsafe("fail_nth", 0600, dir, NULL,
				   &vhost_scsi_fault_nth_fops);
	debugfs_create_file("faults", 0444, dir, NULL, &vhost_scsi_faults_fops);
}
