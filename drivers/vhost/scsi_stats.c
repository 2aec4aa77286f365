// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi: counters for the operator, in debugfs as
 * /sys/kernel/debug/vhost_scsi/stats, one "name value" line each.
 *
 * They live outside configfs because rtslib-fb (targetcli) reads every
 * entry of target/vhost but "version" as a WWN, and saves every attribute
 * of a TPG into its configuration.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "scsi.h"

DEFINE_PER_CPU(struct vhost_scsi_stats, vhost_scsi_stats);

static struct dentry *vhost_scsi_debugfs;

#define STAT(field) { #field, offsetof(struct vhost_scsi_stats, field) }

static const struct {
	const char *name;
	size_t offset;
} vhost_scsi_stat_fields[] = {
	STAT(cmds), STAT(bad_target), STAT(bad_header), STAT(bad_desc),
	STAT(bad_cdb), STAT(bad_direction), STAT(map_failed), STAT(busy),
	STAT(pool_grown), STAT(pool_shrunk),
	STAT(nomem), STAT(tmfs), STAT(ans), STAT(events), STAT(events_missed),
	STAT(logged), STAT(log_failed),
};

static int vhost_scsi_stats_show(struct seq_file *m, void *unused)
{
	size_t i;
	int cpu;

	for (i = 0; i < ARRAY_SIZE(vhost_scsi_stat_fields); i++) {
		size_t off = vhost_scsi_stat_fields[i].offset;
		u64 sum = 0;

		for_each_possible_cpu(cpu) {
			const void *s = per_cpu_ptr(&vhost_scsi_stats, cpu);

			sum += *(const u64 *)(s + off);
		}
		seq_printf(m, "%s %llu\n", vhost_scsi_stat_fields[i].name, sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vhost_scsi_stats);

void vhost_scsi_stats_init(void)
{
	vhost_scsi_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, vhost_scsi_debugfs, NULL,
			    &vhost_scsi_stats_fops);
}

void vhost_scsi_stats_exit(void)
{
	debugfs_remove_recursive(vhost_scsi_debugfs);
}
