/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost_work.h - what race_inject.c needs of the vhost core's private
 * header (drivers/vhost/vhost.h is not installed with the kernel headers):
 * struct vhost_work as 6.1 lays it out, of which only @fn is read, and
 * the exported function the command and TMF handoff probes sit on.
 */
#ifndef RACE_INJECT_VHOST_WORK_H
#define RACE_INJECT_VHOST_WORK_H

#include <linux/llist.h>

struct vhost_work {
	struct llist_node node;
	void (*fn)(struct vhost_work *work);
	unsigned long flags;
};

struct vhost_dev;
void vhost_work_queue(struct vhost_dev *dev, struct vhost_work *work);

#endif /* RACE_INJECT_VHOST_WORK_H */
