// SPDX-License-Identifier: GPL-2.0
/*
 * Parameter-change events (VIRTIO_SCSI_F_CHANGE): an admin resizes a LUN's
 * backstore, moves its ALUA group to another state or switches its write
 * cache through LIO's configfs, and a driver that acked F_CHANGE gets one
 * VIRTIO_SCSI_T_PARAM_CHANGE event for that LUN with the matching sense
 * code, within the module's sampling period (VHOST_SCSI_CHANGE_MS).
 *
 * Every case puts back what it changed, whatever its outcome: LUN 0 is
 * the ramdisk rd0 (ALUA and write cache), LUN 1 the fileio fio0 (its
 * fd_dev_size), the slow LUN a dm-delay device (its table).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vscsi-test.h"

#define CFS_VHOST	"/sys/kernel/config/target/vhost"
#define CHG_BUFFERS	8
/* The module samples every 250 ms (VHOST_SCSI_CHANGE_MS); slack for TCG. */
#define CHG_TIMEOUT_MS	3000
/* "Nothing more" is waited for over three sampling periods. */
#define CHG_QUIET_MS	800
#define CHG_GROW	(1ULL << 20)	/* bytes a resize adds */

#define ASC_ASCQ(asc, ascq)	((asc) | (ascq) << 8)
#define CAPACITY_CHANGED	ASC_ASCQ(0x2a, 0x09)
#define ALUA_CHANGED		ASC_ASCQ(0x2a, 0x06)
#define MODE_CHANGED		ASC_ASCQ(0x2a, 0x01)

static int attach_change(struct tctx *t, bool ack)
{
	struct vscsi_opts opts = {
		.features_given = true,
		.features = VSCSI_DEFAULT_FEATURES |
			    (ack ? 1ULL << VIRTIO_SCSI_F_CHANGE : 0),
	};

	return fix_attach(t, &opts);
}

static int post(struct tctx *t)
{
	int ret = vscsi_event_post(t->dev, CHG_BUFFERS);

	return ret ? tfail(t, "expected event buffers posted, got %s",
			   err_name(ret)) : T_PASS;
}

/* The backstore directory LUN @lun of the tested TPG links to. */
static int lun_backstore(struct tctx *t, unsigned int lun, char *buf,
			 size_t len)
{
	char dir[512], link[800], real[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), CFS_VHOST "/%s/tpgt_%u/lun/lun_%u",
		 t->cfg->wwpn, t->cfg->target, lun);
	d = opendir(dir);
	if (!d)
		return tskip(t, "no LUN %u in configfs (%s)", lun, dir);
	while ((de = readdir(d)) && ret) {
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_LNK && realpath(link, real))
			ret = snprintf(buf, len, "%s", real) >= (int)len ?
			      -ENAMETOOLONG : 0;
	}
	closedir(d);
	return ret ? tskip(t, "LUN %u links to no backstore", lun) : T_PASS;
}

static int cfs_write(struct tctx *t, const char *dir, const char *file,
		     const char *val)
{
	char path[1024];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret ? tfail(t, "expected \"%s\" written to %s, got %s", val,
			   path, err_name(ret)) : T_PASS;
}

static int cfs_read(struct tctx *t, const char *dir, const char *file,
		    char *buf, size_t len)
{
	char path[1024];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n < 0)
		return tfail(t, "expected %s readable, got %s", path,
			     err_name(-errno));
	buf[n] = 0;
	return T_PASS;
}

/*
 * The next event must be PARAM_CHANGE for @lun with @reason, and no other
 * may follow within CHG_QUIET_MS.  @since: when the configfs write that
 * made the change returned, for the latency note.
 */
static int expect_change(struct tctx *t, unsigned int lun, uint32_t reason,
			 long long since)
{
	struct vscsi_event ev;
	uint8_t want[8];
	int ret = vscsi_event_get(t->dev, &ev, CHG_TIMEOUT_MS);

	if (ret)
		return tfail(t, "expected PARAM_CHANGE %02x/%02x for LUN %u "
			     "within %d ms, got %s", reason & 0xff,
			     reason >> 8, lun, CHG_TIMEOUT_MS,
			     ret == -ETIMEDOUT ? "none" : err_name(ret));
	tnote(t, "PARAM_CHANGE %02x/%02x after %lld ms", reason & 0xff,
	      reason >> 8, now_ms() - since);
	vscsi_lun_encode(want, t->cfg->target, lun);
	if (ev.event != VIRTIO_SCSI_T_PARAM_CHANGE || ev.reason != reason ||
	    memcmp(ev.lun, want, sizeof(want)))
		return tfail(t, "expected PARAM_CHANGE (3) %02x/%02x for LUN "
			     "%u, got event 0x%x reason %02x/%02x for LUN "
			     "bytes %02x %02x %02x %02x", reason & 0xff,
			     reason >> 8, lun, ev.event, ev.reason & 0xff,
			     ev.reason >> 8, ev.lun[0], ev.lun[1], ev.lun[2],
			     ev.lun[3]);
	ret = vscsi_event_get(t->dev, &ev, CHG_QUIET_MS);
	if (!ret)
		return tfail(t, "expected one event for one change, got a "
			     "second: event 0x%x reason 0x%x", ev.event,
			     ev.reason);
	return T_PASS;
}

static int expect_quiet(struct tctx *t, const char *after)
{
	struct vscsi_event ev;
	int ret = vscsi_event_get(t->dev, &ev, CHG_QUIET_MS);

	if (!ret)
		return tfail(t, "expected no event %s, got event 0x%x reason "
			     "0x%x", after, ev.event, ev.reason);
	return ret == -ETIMEDOUT ? T_PASS :
	       tfail(t, "expected no event %s, got %s", after, err_name(ret));
}

/* ------------------------------------------------------------------ */
/* What LIO lets an admin change under a bound LUN                     */

/* fileio: the size the backstore reports is its fd_dev_size. */
struct fio_size {
	char dir[512];
	unsigned long long size;
};

static int fio_size_get(struct tctx *t, struct fio_size *fs)
{
	char info[512], *p;
	int ret;

	if (t->cfg->nluns < 2)
		return tskip(t, "no fileio LUN 1 (VSCSI_LUNS)");
	ret = lun_backstore(t, t->cfg->luns[1], fs->dir, sizeof(fs->dir));
	if (!ret)
		ret = cfs_read(t, fs->dir, "info", info, sizeof(info));
	if (ret)
		return ret;
	/* "... SectorSize: 512 ...\n TCM FILEIO ID: 0 File: F Size: N ..." */
	p = strstr(info, "File: ");
	if (p)
		p = strstr(p, " Size: ");
	if (!strstr(info, "FILEIO") || !p)
		return tskip(t, "LUN 1 is not a fileio backstore");
	fs->size = strtoull(p + 7, NULL, 0);
	if (fs->size < (1 << 20))
		return tfail(t, "expected LUN 1's fileio size in %s/info, got %llu from '%.200s'",
			     fs->dir, fs->size, info);
	return T_PASS;
}

static int fio_size_set(struct tctx *t, const struct fio_size *fs,
			unsigned long long size)
{
	char val[64];

	snprintf(val, sizeof(val), "fd_dev_size=%llu", size);
	return cfs_write(t, fs->dir, "control", val);
}

/* Put fd_dev_size back; a failure counts only if the case had none. */
static int fio_size_restore(struct tctx *t, const struct fio_size *fs,
			    int ret)
{
	int err = fio_size_set(t, fs, fs->size);

	return ret ? ret : err;
}

static int alua_dir(struct tctx *t, unsigned int lun, char *buf, size_t len)
{
	char bs[512];
	int ret = lun_backstore(t, lun, bs, sizeof(bs));

	if (!ret)
		snprintf(buf, len, "%s/alua/default_tg_pt_gp", bs);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */

/*
 * @set(t, arg, true) makes one change to LUN @lun, @set(t, arg, false)
 * undoes it: each must raise exactly one PARAM_CHANGE with @reason.  The
 * latency is counted from the return of the configfs write.
 */
typedef int (*change_fn)(struct tctx *t, const void *arg, bool change);

static int change_and_undo(struct tctx *t, unsigned int lun, uint32_t reason,
			   change_fn set, const void *arg)
{
	long long since;
	int err, ret = post(t);

	if (ret)
		return ret;
	ret = set(t, arg, true);
	since = now_ms();
	if (ret)
		return ret;
	ret = expect_change(t, lun, reason, since);
	err = set(t, arg, false);
	since = now_ms();
	if (ret || err)
		return ret ? ret : err;
	return expect_change(t, lun, reason, since);
}

static int fio_grow(struct tctx *t, const void *arg, bool change)
{
	const struct fio_size *fs = arg;

	return fio_size_set(t, fs, fs->size + (change ? CHG_GROW : 0));
}

static int change_resize_fileio_capacity(struct tctx *t)
{
	struct fio_size fs;
	int ret = attach_change(t, true);

	if (!ret)
		ret = fio_size_get(t, &fs);
	return ret ? ret : change_and_undo(t, t->cfg->luns[1],
					   CAPACITY_CHANGED, fio_grow, &fs);
}

static int alua_nonoptimized(struct tctx *t, const void *arg, bool change)
{
	return cfs_write(t, arg, "alua_access_state", change ? "1" : "0");
}

static int change_alua_state(struct tctx *t)
{
	char dir[600];
	int ret = attach_change(t, true);

	if (!ret)
		ret = alua_dir(t, lun0(t), dir, sizeof(dir));
	return ret ? ret : change_and_undo(t, lun0(t), ALUA_CHANGED,
					   alua_nonoptimized, dir);
}

struct wce {
	char dir[512];
	bool on;	/* before the case */
};

static int wce_flip(struct tctx *t, const void *arg, bool change)
{
	const struct wce *w = arg;

	return cfs_write(t, w->dir, "attrib/emulate_write_cache",
			 w->on != change ? "1" : "0");
}

static int change_write_cache_mode(struct tctx *t)
{
	struct wce w;
	char old[16];
	int ret = attach_change(t, true);

	if (!ret)
		ret = lun_backstore(t, lun0(t), w.dir, sizeof(w.dir));
	if (!ret)
		ret = cfs_read(t, w.dir, "attrib/emulate_write_cache", old,
			       sizeof(old));
	if (ret)
		return ret;
	w.on = old[0] == '1';
	return change_and_undo(t, lun0(t), MODE_CHANGED, wce_flip, &w);
}

/*
 * A grown logical volume: the slow LUN's dm-delay table reloaded over
 * half its brd, then back; LIO's iblock backstore reads the block
 * device's size on every READ CAPACITY.
 */
#define SLOW_SECTORS	131072	/* setup-targets.sh: 64 MiB of brd */

static int dm_shrink(struct tctx *t, const void *arg, bool change)
{
	unsigned int sectors = change ? SLOW_SECTORS / 2 : SLOW_SECTORS;
	char cmd[256];

	(void)arg;
	snprintf(cmd, sizeof(cmd), "dmsetup reload slow --table '0 %u delay "
		 "/dev/ram0 0 %u' && dmsetup resume slow", sectors,
		 t->cfg->slow_ms);
	return system(cmd) ? tfail(t, "expected \"%s\" to succeed", cmd) :
	       T_PASS;
}

static int change_resize_blockdev_capacity(struct tctx *t)
{
	int ret;

	if (t->cfg->slow_lun < 0)
		return tskip(t, "no dm-delay slow LUN (VSCSI_SLOW_LUN)");
	ret = attach_change(t, true);
	return ret ? ret : change_and_undo(t, t->cfg->slow_lun,
					   CAPACITY_CHANGED, dm_shrink, NULL);
}

static int change_quiet_when_unchanged(struct tctx *t)
{
	int ret = attach_change(t, true);

	if (!ret)
		ret = post(t);
	return ret ? ret : expect_quiet(t, "with nothing changed");
}

/* Without buffers the resize is missed, and said to be. */
static int change_missed_without_buffers(struct tctx *t)
{
	struct fio_size fs;
	int ret = attach_change(t, true);

	if (!ret)
		ret = fio_size_get(t, &fs);
	if (!ret)
		ret = wait_missed(t, 0, "before the resize");
	if (!ret)
		ret = fio_size_set(t, &fs, fs.size + CHG_GROW);
	if (ret)
		return ret;
	ret = wait_missed(t, 1, "after a resize with no event buffer");
	return fio_size_restore(t, &fs, ret);
}

/* A driver that did not ack F_CHANGE hears nothing of a resize. */
static int change_none_without_ack(struct tctx *t)
{
	struct fio_size fs;
	int ret = attach_change(t, false);

	if (!ret)
		ret = fio_size_get(t, &fs);
	if (!ret)
		ret = post(t);
	if (!ret)
		ret = fio_size_set(t, &fs, fs.size + CHG_GROW);
	if (ret)
		return ret;
	ret = expect_quiet(t, "for a driver without F_CHANGE");
	if (!ret)
		ret = wait_missed(t, 0, "for a driver without F_CHANGE");
	return fio_size_restore(t, &fs, ret);
}

static int ioctl_ok(struct tctx *t, int ret, const char *what)
{
	return ret ? tfail(t, "expected %s to return 0, got %s", what,
			   err_name(ret)) : T_PASS;
}

/* Resize LUN 1 to @size after a period's wait: one event. */
static int resize_reported(struct tctx *t, const struct fio_size *fs,
			   unsigned long long size)
{
	long long since;
	int ret;

	/* The first sample after (re)starting only records the baseline. */
	usleep(CHG_QUIET_MS * 1000);
	ret = fio_size_set(t, fs, size);
	since = now_ms();
	return ret ? ret : expect_change(t, t->cfg->luns[1], CAPACITY_CHANGED,
					 since);
}

/*
 * Sampling follows the feature and the endpoint: nothing while F_CHANGE
 * is dropped, a resize reported again once it is acked anew while bound,
 * and after CLEAR_ENDPOINT and SET_ENDPOINT again: what changed while
 * unbound is the new baseline, the next change is reported.
 */
static int change_follows_endpoint_and_ack(struct tctx *t)
{
	uint64_t with = VSCSI_DEFAULT_FEATURES | 1ULL << VIRTIO_SCSI_F_CHANGE;
	struct fio_size fs;
	int ret = attach_change(t, true);

	if (!ret)
		ret = fio_size_get(t, &fs);
	if (!ret)
		ret = post(t);
	if (ret)
		return ret;
	ret = ioctl_ok(t, vscsi_set_features(t->dev, VSCSI_DEFAULT_FEATURES),
		       "SET_FEATURES without F_CHANGE");
	if (!ret)
		ret = fio_size_set(t, &fs, fs.size + CHG_GROW);
	if (!ret)
		ret = expect_quiet(t, "with F_CHANGE dropped");
	if (!ret)
		ret = ioctl_ok(t, vscsi_set_features(t->dev, with),
			       "SET_FEATURES with F_CHANGE");
	if (!ret)
		ret = resize_reported(t, &fs, fs.size);
	if (!ret)
		ret = ioctl_ok(t, vscsi_clear_endpoint(t->dev, t->cfg->wwpn),
			       "CLEAR_ENDPOINT");
	if (!ret)
		ret = fio_size_set(t, &fs, fs.size + CHG_GROW);
	if (!ret)
		ret = ioctl_ok(t, vscsi_set_endpoint(t->dev, t->cfg->wwpn),
			       "SET_ENDPOINT again");
	if (!ret)
		ret = resize_reported(t, &fs, fs.size);
	return fio_size_restore(t, &fs, ret);
}

const struct tcase change_cases[] = {
	{ "change_resize_fileio_capacity", change_resize_fileio_capacity },
	{ "change_resize_blockdev_capacity", change_resize_blockdev_capacity },
	{ "change_alua_state", change_alua_state },
	{ "change_write_cache_mode", change_write_cache_mode },
	{ "change_quiet_when_unchanged", change_quiet_when_unchanged },
	{ "change_missed_without_buffers", change_missed_without_buffers },
	{ "change_none_without_ack", change_none_without_ack },
	{ "change_follows_endpoint_and_ack", change_follows_endpoint_and_ack },
	{ NULL, NULL },
};
