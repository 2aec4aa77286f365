// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_stress: a thousand device and fabric lifecycle steps, each
 * taken with WRITEs in flight, and the data checked after every one.
 *
 * Every cycle has WRITEs held by the slow (dm-delay) LUN at its step:
 * LIFE_BATCH to the slow backstore, and the step waits (at most
 * LIFE_HELD_MS) until dm-delay's status shows them held; then LIFE_BATCH
 * more to the ramdisk, which race the step.
 *
 * Scenarios (cycles per scenario in VSCSI_LIFECYCLE_CYCLES = 1000):
 *   close_inflight   close the fd with the WRITEs in flight
 *   clear_set        CLEAR_ENDPOINT under WRITEs, SET_ENDPOINT again (the
 *                    WRITEs it left must be answered), and a batch that
 *                    must all be GOOD (QEMU's guest reset)
 *   reset_owner      VHOST_RESET_OWNER under WRITEs, SET_OWNER again
 *   lun_unlink       a LUN exporting the slow backstore linked, WRITEs
 *                    to it, the LUN unlinked
 *   two_wwn          a second WWN exporting the slow backstore too, with
 *                    its own device: both devices' slow WRITEs held at
 *                    once; a third device binding a busy TPG, the nexus
 *                    drop, TPG and WWN removal and rmmod refused while
 *                    bound; after unbinding the nexus drop and the
 *                    removals succeed
 *   mem_table        VHOST_SET_MEM_TABLE replaced (the same memory cut
 *                    in two regions, then whole again) under WRITEs, all
 *                    of which must be GOOD
 *   queues128        128 request queues of 1024 entries, every
 *                    descriptor holding a WRITE: each queue's first to
 *                    the slow LUN, and one of those held while the rings
 *                    are full (within LIFE_WAIT_MS: big_run() says why);
 *                    the others to the ramdisk
 * The slow LUN delays by 2 s as setup-targets.sh makes it; for this case
 * its table is loaded with VSCSI_LIFECYCLE_SLOW_MS (LIFE_SLOW_MS) instead,
 * and its own table again at the end, pass or fail (after the alarm
 * too).  A cycle counts "on the slow LUN" once its WRITEs were seen
 * held.
 *
 * Data: a region of LIFE_BLOCKS blocks on each backstore holds one
 * generation of fill_pattern() per block; a shadow says which generation
 * each block must hold, or which two it may hold while a WRITE's fate is
 * unknown (closed, reset or refused before an answer).  After each cycle
 * the whole region is read back: a block answered GOOD holds its WRITE,
 * an unknown one holds the old or the new generation, every other block
 * what it held.  queues128 checks its own scratch areas (on both disks)
 * the same way.
 *
 * Invariants besides the data: no call hangs (an alarm ends the process,
 * and the case does not report), the refusals are the errors named above,
 * and Slab returns within VSCSI_LIFECYCLE_MEM_BOUND_KB (16 MiB) of where
 * it was once everything is closed.  rmmod after unbinding is the rig's
 * (it unloads the module at the end) and teardown_cycle's.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vscsi-test.h"

#define LIFE_LBA		100000	/* the checked region on each disk */
#define LIFE_BLOCKS		64
#define LIFE_BATCH		8	/* WRITEs in flight per step */
#define LIFE_SLOW_MS		60	/* dm-delay's delay during the case */
#define LIFE_HELD_MS		2000	/* a step's slow WRITEs held in this */
#define LIFE_WAIT_MS		15000	/* an answer owed takes at most this */
#define LIFE_ALARM_S		120	/* one cycle taking longer is a hang */
#define LIFE_LUN_OFF		8	/* lun_unlink: VSCSI_HOTPLUG_LUN + 8 */
#define LIFE_WWN2		"naa.50014050000000f1"
#define LIFE_NEXUS2		"naa.50014050000000f2"
#define CFS_CORE		"/sys/kernel/config/target/core"
#define CFS_VHOST		"/sys/kernel/config/target/vhost"
/* queues128 */
#define BIG_QUEUES		128
#define BIG_QUEUE_SIZE		1024
#define BIG_LBA			16384	/* scratch area of the ramdisk */
#define BIG_READ_BLOCKS		128	/* at least BIG_QUEUES: big_verify */
#define BIG_MEM			(128UL << 20)
#define BIG_SLOW		1	/* big.flags: to the slow LUN */
#define BIG_GOOD		2	/* answered GOOD */

enum {
	SC_CLOSE, SC_CLEAR, SC_RESET, SC_UNLINK, SC_TWO_WWN, SC_MEM,
	SC_BIG, SC_COUNT
};

static const char *const sc_name[SC_COUNT] = {
	"close_inflight", "clear_set", "reset_owner", "lun_unlink",
	"two_wwn", "mem_table", "queues128",
};

/* Cycles per scenario out of 1000. */
static const unsigned int sc_weight[SC_COUNT] = {
	300, 200, 100, 150, 100, 147, 3,
};

/* One backstore's checked region, as the answered WRITEs left it. */
struct disk {
	const char *name;
	unsigned int lun;		/* its LUN in the tested TPG */
	uint32_t cur[LIFE_BLOCKS];
	uint32_t alt[LIFE_BLOCKS];	/* 0: cur is certain */
};

/* LIFE_BATCH one-block WRITEs to distinct blocks of @d. */
struct batch {
	struct disk *d;
	struct vscsi_req req[LIFE_BATCH];
	uint8_t cdb[LIFE_BATCH][16];
	uint8_t data[LIFE_BATCH][512];
	unsigned int blk[LIFE_BATCH];
	uint32_t gen[LIFE_BATCH];
};

struct life {
	struct tctx *t;
	struct disk rd, slow;
	uint32_t gen;
	unsigned int next_blk;
	unsigned int cycle;		/* of the scenario running */
	bool held;			/* slow WRITEs were held this cycle */
	unsigned int cycles[SC_COUNT];
	unsigned int slow_cycles[SC_COUNT];
	unsigned long good, other, unanswered, refusals;
	char rd_store[256], slow_store[256];
	char dm_table[256];		/* slow's own table, "" if not changed */
	int dm_ctl;			/* /dev/mapper/control */
	/* b1, b2: to the slow LUN, held by dm-delay; fast: to the ramdisk */
	struct batch b1, b2, fast;
};

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* ------------------------------------------------------------------ */
/* Shadowed WRITEs and the read-back                                   */

static struct vscsi_opts life_opts = { .mem_size = 8UL << 20,
				       .queue_size = 64 };

static int life_attach(struct life *L)
{
	vscsi_dev_close(L->t->dev);
	L->t->dev = NULL;
	return fix_attach(L->t, &life_opts);
}

/* Submit the batch to @lun of TPG @target (all to @d's blocks) on @vq. */
static int batch_submit(struct life *L, struct batch *b, struct disk *d,
			struct vscsi_dev *dev, unsigned int target,
			unsigned int lun)
{
	struct vscsi_vq *vq = vscsi_req_vq(dev, 0);
	struct vscsi_cmd cmd;
	unsigned int i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->d = d;
	for (i = 0; i < LIFE_BATCH; i++) {
		b->blk[i] = L->next_blk++ % LIFE_BLOCKS;
		b->gen[i] = ++L->gen;
		fill_pattern(b->data[i], 512, LIFE_LBA + b->blk[i], b->gen[i]);
		d->alt[b->blk[i]] = b->gen[i];
		cmd_init(L->t, &cmd, lun);
		cmd.target = target;
		cmd.cdb = b->cdb[i];
		cmd.cdb_len = scsi_cdb_write10(b->cdb[i], LIFE_LBA + b->blk[i],
					       1);
		cmd.data_out = b->data[i];
		cmd.data_out_len = 512;
		cmd.timeout_ms = LIFE_WAIT_MS;
		ret = vscsi_req_submit(dev, vq, &b->req[i], &cmd,
				       i == LIFE_BATCH - 1);
		if (ret)
			return tfail(L->t, "expected WRITE %u submitted, got %s",
				     i, err_name(ret));
	}
	return T_PASS;
}

/* Record one answered WRITE: GOOD makes its generation certain. */
static int batch_note(struct life *L, struct batch *b, unsigned int i)
{
	const struct vscsi_result *res = &b->req[i].res;

	if (res->overrun)
		return tfail(L->t, "expected WRITE %u to write only its "
			     "response, %u bytes changed outside it", i,
			     res->overrun);
	if (res->response == VIRTIO_SCSI_S_OK &&
	    res->status == SCSI_STATUS_GOOD) {
		b->d->cur[b->blk[i]] = b->gen[i];
		b->d->alt[b->blk[i]] = 0;
		L->good++;
	} else {
		L->other++;
	}
	return T_PASS;
}

/*
 * Collect the batch: @dev NULL means its device is gone (the WRITEs not
 * yet collected stay unknown); otherwise wait up to @wait_ms for the
 * whole batch (one deadline, so that answers dropped fail the case well
 * before the alarm), and an unanswered one is a FAIL if @owed.
 */
static int batch_settle(struct life *L, struct batch *b,
			struct vscsi_dev *dev, int wait_ms, bool owed)
{
	long long until = now_ms() + wait_ms, left;
	unsigned int i;
	int ret = T_PASS;

	for (i = 0; i < LIFE_BATCH; i++) {
		if (!b->req[i].submitted)
			continue;
		left = until - now_ms();
		if (dev && !b->req[i].completed)
			vscsi_req_wait(dev, &b->req[i], left > 1 ? left : 1);
		if (b->req[i].completed) {
			if (!ret)
				ret = batch_note(L, b, i);
			continue;
		}
		L->unanswered++;
		if (dev)
			vscsi_req_abandon(&b->req[i]);
		if (!ret && owed)
			ret = tfail(L->t, "expected WRITE %u (tag %llu) "
				    "answered within %d ms, got no answer", i,
				    (unsigned long long)b->req[i].cmd.tag,
				    wait_ms);
	}
	return ret;
}

/* Collect what the device has answered so far, without waiting. */
static void batch_poll(struct vscsi_dev *dev, struct batch *b)
{
	unsigned int i;

	for (i = 0; i < LIFE_BATCH; i++)
		vscsi_req_poll(dev, &b->req[i]);
}

/* Run @cmd, again while it meets a unit attention (a LUN came or went). */
static int run_past_ua(struct vscsi_dev *dev, struct vscsi_cmd *cmd,
		       struct vscsi_result *res)
{
	struct scsi_sense s;
	unsigned int tries;
	int ret = 0;

	for (tries = 0; tries < 4; tries++) {
		cmd->tag += 0x100000000ULL;
		ret = vscsi_cmd_run_on(dev, vscsi_req_vq(dev, 0), cmd, res);
		if (ret || res->response != VIRTIO_SCSI_S_OK ||
		    res->status != SCSI_STATUS_CHECK_CONDITION)
			break;
		scsi_sense_parse(res->sense, res->sense_len, &s);
		if (s.key != SCSI_SENSE_UNIT_ATTENTION)
			break;
	}
	return ret;
}

/*
 * TUR @lun of TPG @target through @dev past its unit attentions (LUNs
 * linked and unlinked), so that the WRITEs after it reach the backstore.
 */
static int ua_clear_on(struct life *L, struct vscsi_dev *dev,
		       unsigned int target, unsigned int lun)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	int ret;

	tur_cmd_init(L->t, &cmd, lun, cdb);
	cmd.target = target;
	ret = run_past_ua(dev, &cmd, &res);
	if (ret)
		return tfail(L->t, "expected TUR to LUN %u answered, got %s",
			     lun, err_name(ret));
	return expect_good(L->t, "TUR", &res);
}

static int ua_clear(struct life *L, struct disk *d)
{
	return ua_clear_on(L, L->t->dev, L->t->cfg->target, d->lun);
}

/* Block @i of the read-back against what the shadow allows. */
static int block_check(struct life *L, struct disk *d, const uint8_t *got,
		       unsigned int i, const char *after)
{
	uint8_t want[512];

	fill_pattern(want, sizeof(want), LIFE_LBA + i, d->cur[i]);
	if (!memcmp(want, got, sizeof(want))) {
		d->alt[i] = 0;
		return T_PASS;
	}
	if (d->alt[i]) {
		fill_pattern(want, sizeof(want), LIFE_LBA + i, d->alt[i]);
		if (!memcmp(want, got, sizeof(want))) {
			d->cur[i] = d->alt[i];
			d->alt[i] = 0;
			return T_PASS;
		}
		return tfail(L->t, "expected %s block %u to hold generation %u "
			     "or %u after %s, got neither", d->name,
			     LIFE_LBA + i, d->cur[i], d->alt[i], after);
	}
	return tfail(L->t, "expected %s block %u to hold generation %u after "
		     "%s, got other bytes", d->name, LIFE_LBA + i, d->cur[i],
		     after);
}

/*
 * The whole region of @d through the tested TPG, in one command: with
 * @write, generation L->gen + 1 written to every block; otherwise read
 * back and checked against the shadow.
 */
static int disk_io(struct life *L, struct disk *d, bool write,
		   const char *after)
{
	static uint8_t buf[LIFE_BLOCKS * 512];
	struct tctx *t = L->t;
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[10];
	unsigned int i;
	int ret;

	read10_cmd_init(t, &cmd, d->lun, cdb, LIFE_LBA, LIFE_BLOCKS, buf,
			sizeof(buf));
	if (write) {
		L->gen++;
		for (i = 0; i < LIFE_BLOCKS; i++) {
			fill_pattern(buf + i * 512, 512, LIFE_LBA + i, L->gen);
			d->cur[i] = L->gen;
			d->alt[i] = 0;
		}
		cmd.cdb_len = scsi_cdb_write10(cdb, LIFE_LBA, LIFE_BLOCKS);
		cmd.data_in = NULL;
		cmd.data_in_len = 0;
		cmd.data_out = buf;
		cmd.data_out_len = sizeof(buf);
	}
	cmd.timeout_ms = LIFE_WAIT_MS;
	ret = run_past_ua(t->dev, &cmd, &res);
	if (ret)
		return tfail(t, "expected the %s of %s after %s answered, got "
			     "%s", write ? "WRITE" : "read-back", d->name,
			     after, err_name(ret));
	ret = expect_good(t, write ? "WRITE of the region" : "read-back",
			  &res);
	for (i = 0; !ret && !write && i < LIFE_BLOCKS; i++)
		ret = block_check(L, d, buf + i * 512, i, after);
	return ret;
}

static int disk_verify(struct life *L, struct disk *d, const char *after)
{
	return disk_io(L, d, false, after);
}

/* ------------------------------------------------------------------ */
/* configfs and module helpers                                         */

static int cfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, len) == (ssize_t)len ? 0 : -errno;
	close(fd);
	return ret;
}

static int cfs_mkdir(const char *path)
{
	return mkdir(path, 0755) ? -errno : 0;
}

static int cfs_rmdir(const char *path)
{
	return rmdir(path) ? -errno : 0;
}

/* The configfs directory of backstore @name, or -ENOENT. */
static int find_store(const char *name, char *buf, size_t len)
{
	char pat[128];
	glob_t g;
	int ret = -ENOENT;

	snprintf(pat, sizeof(pat), CFS_CORE "/*/%s", name);
	if (!glob(pat, 0, NULL, &g) && g.gl_pathc) {
		snprintf(buf, len, "%s", g.gl_pathv[0]);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/* LUN @lun of TPG @tag of @wwn, exporting @store. */
static int lun_link(const char *wwn, unsigned int tag, unsigned int lun,
		    const char *store)
{
	char dir[512], port[600];
	int ret;

	snprintf(dir, sizeof(dir), CFS_VHOST "/%s/tpgt_%u/lun/lun_%u", wwn,
		 tag, lun);
	ret = cfs_mkdir(dir);
	if (ret)
		return ret;
	snprintf(port, sizeof(port), "%s/life_port", dir);
	if (symlink(store, port)) {
		ret = -errno;
		rmdir(dir);
	}
	return ret;
}

static int lun_unlink(const char *wwn, unsigned int tag, unsigned int lun)
{
	char dir[512], port[600];

	snprintf(dir, sizeof(dir), CFS_VHOST "/%s/tpgt_%u/lun/lun_%u", wwn,
		 tag, lun);
	snprintf(port, sizeof(port), "%s/life_port", dir);
	if (unlink(port) && errno != ENOENT)
		return -errno;
	return cfs_rmdir(dir);
}

/* rmmod vhost_scsi without waiting: 0 or -errno. */
static int try_rmmod(void)
{
	return syscall(SYS_delete_module, "vhost_scsi", O_NONBLOCK) ? -errno :
	       0;
}

/* ------------------------------------------------------------------ */
/* dm-delay "slow", the slow LUN's device                              */

/*
 * Wait (at most @ms) until dm-delay holds at least @n WRITEs, so that they
 * are in flight at the lifecycle step that follows.  Return: T_PASS and
 * in *@took_ms (if not NULL) how long that took, or a failure.
 */
static int slow_held(struct life *L, unsigned int n, int ms,
		     long long *took_ms)
{
	long long start = now_ms(), until = start + ms;
	int held;

	do {
		held = slow_dm_held(L->dm_ctl, true);
		if (held >= (int)n) {
			L->held = true;
			if (took_ms)
				*took_ms = now_ms() - start;
			return T_PASS;
		}
		usleep(500);
	} while (held >= 0 && now_ms() < until);
	if (held < 0)
		return tfail(L->t, "expected dm-delay's status, got %s",
			     err_name(held));
	return tfail(L->t, "expected %u WRITEs held by dm-delay within %d ms, "
		     "got %d (are they reaching the slow LUN?)", n, ms, held);
}

/* Set by slow_shorten(): what puts slow's own table back, for the alarm. */
static char dm_restore_cmd[512];

/*
 * A cycle that hangs ends the process, as SIGALRM's default would, but
 * with slow's own table back for the cases and the teardown after it.
 * Only async-signal-safe calls here.
 */
static void life_alarm(int sig)
{
	pid_t pid = fork();

	if (!pid) {
		execl("/bin/sh", "sh", "-c", dm_restore_cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Load @table into "slow": suspended, swapped, resumed in any case. */
static int dm_load(struct life *L, const char *table)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "dmsetup suspend --noudevsync slow && "
		 "dmsetup reload slow --table '%s' && "
		 "dmsetup resume --noudevsync slow", table);
	if (!system(cmd))
		return 0;
	/* Suspended, it would hold LIO's I/O to the slow LUN for good. */
	if (system("dmsetup resume --noudevsync slow"))
		tnote(L->t, "dm-delay \"slow\" may be left suspended");
	return -EIO;
}

/*
 * A thousand cycles at setup-targets.sh's delay (2 s) would take an
 * hour: for this case "slow" delays by VSCSI_LIFECYCLE_SLOW_MS
 * (LIFE_SLOW_MS), still far longer than a step takes; its own table is
 * kept for slow_restore().
 */
static int slow_shorten(struct life *L)
{
	unsigned long ms = env_ul("VSCSI_LIFECYCLE_SLOW_MS", LIFE_SLOW_MS);
	unsigned long long start, len, off;
	FILE *f = popen("dmsetup table slow 2>/dev/null", "r");
	char dev[64], table[256], *got = NULL;
	int end = 0;

	if (f) {
		got = fgets(table, sizeof(table), f);
		pclose(f);
	}
	if (!got || sscanf(table, "%llu %llu delay %63s %llu %*u %n", &start,
			   &len, dev, &off, &end) != 4 || table[end])
		return tfail(L->t, "expected \"dmsetup table slow\" to show "
			     "one delay over one device, got %s",
			     got ? table : "nothing");
	table[strcspn(table, "\n")] = 0;
	L->dm_ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (L->dm_ctl < 0)
		return tfail(L->t, "expected /dev/mapper/control open, got %s",
			     err_name(-errno));
	snprintf(L->dm_table, sizeof(L->dm_table), "%s", table);
	snprintf(dm_restore_cmd, sizeof(dm_restore_cmd), "dmsetup reload slow "
		 "--table '%s'; dmsetup resume --noudevsync slow", table);
	signal(SIGALRM, life_alarm);
	snprintf(table, sizeof(table), "%llu %llu delay %s %llu %lu", start,
		 len, dev, off, ms);
	if (dm_load(L, table))
		return tfail(L->t, "expected \"slow\" loaded with \"%s\"",
			     table);
	tnote(L->t, "lifecycle: the slow LUN delays %lu ms (was: %s)", ms,
	      L->dm_table);
	return T_PASS;
}

/* "slow" as setup-targets.sh made it, whatever the case's result. */
static int slow_restore(struct life *L, int ret)
{
	if (L->dm_ctl >= 0)
		close(L->dm_ctl);
	L->dm_ctl = -1;
	signal(SIGALRM, SIG_DFL);
	if (!L->dm_table[0] || !dm_load(L, L->dm_table))
		return ret;
	return ret ? ret : tfail(L->t, "expected \"slow\" loaded with its "
				 "own table again (%s)", L->dm_table);
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */

/* Both checked regions read back, the slow one first. */
static int life_verify(struct life *L, const char *after)
{
	int ret = disk_verify(L, &L->slow, after);

	return ret ? ret : disk_verify(L, &L->rd, after);
}

/*
 * The fast batch to the ramdisk through the tested device, left to race
 * the step that follows; the cycle's slow WRITEs are held by now.
 */
static int fast_start(struct life *L)
{
	struct tctx *t = L->t;

	return batch_submit(L, &L->fast, &L->rd, t->dev, t->cfg->target,
			    L->rd.lun);
}

/*
 * The WRITEs in flight at a step: b1 to the slow disk (as LUN @lun of the
 * tested TPG) held by dm-delay, then the fast batch.
 */
static int batch_start(struct life *L, unsigned int lun)
{
	struct tctx *t = L->t;
	int ret;

	ret = ua_clear_on(L, t->dev, t->cfg->target, lun);
	if (!ret)
		ret = batch_submit(L, &L->b1, &L->slow, t->dev, t->cfg->target,
				   lun);
	if (!ret)
		ret = slow_held(L, LIFE_BATCH, LIFE_HELD_MS, NULL);
	return ret ? ret : fast_start(L);
}

/* Collect b1 and the fast batch: see batch_settle(). */
static int batches_settle(struct life *L, struct vscsi_dev *dev, bool owed)
{
	int ret = batch_settle(L, &L->b1, dev, LIFE_WAIT_MS, owed);

	return ret ? ret : batch_settle(L, &L->fast, dev, LIFE_WAIT_MS, owed);
}

static void batches_poll(struct life *L, struct vscsi_dev *dev)
{
	batch_poll(dev, &L->b1);
	batch_poll(dev, &L->fast);
}

/* Close the tested device under the batches, attach again, read back. */
static int reopen_verify(struct life *L, const char *after)
{
	int ret;

	vscsi_dev_close(L->t->dev);
	L->t->dev = NULL;
	ret = batches_settle(L, NULL, false);
	if (!ret)
		ret = life_attach(L);
	return ret ? ret : life_verify(L, after);
}

static int sc_clear(struct life *L)
{
	struct tctx *t = L->t;
	unsigned int i;
	int ret;

	ret = batch_start(L, L->slow.lun);
	if (ret)
		return ret;
	ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected CLEAR_ENDPOINT under WRITEs to return "
			     "0, got %s", err_name(ret));
	batches_poll(L, t->dev);
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT after CLEAR_ENDPOINT to "
			     "return 0, got %s", err_name(ret));
	/* What CLEAR_ENDPOINT left in the ring is served now. */
	ret = batches_settle(L, t->dev, true);
	if (!ret)
		ret = life_verify(L, "CLEAR_ENDPOINT under WRITEs");
	if (ret)
		return ret;
	/* I/O continues: a whole batch answered GOOD. */
	ret = ua_clear(L, &L->rd);
	if (!ret)
		ret = batch_submit(L, &L->b1, &L->rd, t->dev, t->cfg->target,
			   L->rd.lun);
	if (!ret)
		ret = batch_settle(L, &L->b1, t->dev, LIFE_WAIT_MS, true);
	for (i = 0; !ret && i < LIFE_BATCH; i++)
		ret = expect_good(t, "WRITE after SET_ENDPOINT again",
				  &L->b1.req[i].res);
	return ret ? ret : disk_verify(L, &L->rd, "SET_ENDPOINT again");
}

/*
 * Close the device with the batches in flight; with @reset, after
 * RESET_OWNER and SET_OWNER again (what QEMU does between two guests).
 */
static int close_inflight(struct life *L, bool reset)
{
	struct vscsi_dev *dev = L->t->dev;
	int ret = batch_start(L, L->slow.lun);

	if (ret || !reset)
		goto out;
	ret = ioctl(dev->fd, VHOST_RESET_OWNER) ? -errno : 0;
	if (ret)
		return tfail(L->t, "expected RESET_OWNER under WRITEs to "
			     "return 0, got %s", err_name(ret));
	batches_poll(L, dev);
	ret = ioctl(dev->fd, VHOST_SET_OWNER) ? -errno : 0;
	if (ret)
		return tfail(L->t, "expected SET_OWNER after RESET_OWNER to "
			     "return 0, got %s", err_name(ret));
out:
	if (ret)
		return ret;
	batches_poll(L, dev);
	return reopen_verify(L, reset ? "RESET_OWNER under WRITEs" :
			     "a close in flight");
}

static int sc_close(struct life *L)
{
	return close_inflight(L, false);
}

static int sc_reset(struct life *L)
{
	return close_inflight(L, true);
}

/* A LUN exporting the slow backstore, unlinked under WRITEs to it. */
static int sc_unlink(struct life *L)
{
	unsigned int lun = L->t->cfg->hotplug_lun + LIFE_LUN_OFF;
	struct tctx *t = L->t;
	int ret;

	ret = lun_link(t->cfg->wwpn, t->cfg->target, lun, L->slow_store);
	if (ret)
		return tfail(t, "expected LUN %u linked to %s, got %s", lun,
			     L->slow_store, err_name(ret));
	ret = batch_start(L, lun);
	if (ret)
		return ret;
	ret = lun_unlink(t->cfg->wwpn, t->cfg->target, lun);
	if (ret)
		return tfail(t, "expected LUN %u unlinked under WRITEs, got %s",
			     lun, err_name(ret));
	ret = batches_settle(L, t->dev, true);
	return ret ? ret : life_verify(L, "a LUN unlink under WRITEs");
}

/* @what refused with one of @e1, @e2 while bound. */
static int refused(struct life *L, const char *what, int ret, int e1, int e2)
{
	L->refusals++;
	if (ret == e1 || ret == e2)
		return T_PASS;
	return tfail(L->t, "expected %s while bound to fail with %s, got %s",
		     what, err_name(e1), err_name(ret));
}

/* WWN2 with TPG 1, LUN 0 exporting the slow backstore, and a nexus. */
static int wwn2_make(struct life *L)
{
	char path[512];
	int ret;

	snprintf(path, sizeof(path), CFS_VHOST "/" LIFE_WWN2);
	ret = cfs_mkdir(path);
	snprintf(path, sizeof(path), CFS_VHOST "/" LIFE_WWN2 "/tpgt_1");
	if (!ret)
		ret = cfs_mkdir(path);
	if (!ret)
		ret = lun_link(LIFE_WWN2, 1, 0, L->slow_store);
	snprintf(path, sizeof(path), CFS_VHOST "/" LIFE_WWN2 "/tpgt_1/nexus");
	if (!ret)
		ret = cfs_write(path, LIFE_NEXUS2);
	return ret ? tfail(L->t, "expected %s made with a LUN and a nexus, "
			   "got %s", LIFE_WWN2, err_name(ret)) : T_PASS;
}

/* Take WWN2 apart: 0 or the first error (@all: go on past errors). */
static int wwn2_teardown(bool all)
{
	const char *tpg = CFS_VHOST "/" LIFE_WWN2 "/tpgt_1";
	int ret;

	ret = cfs_write(CFS_VHOST "/" LIFE_WWN2 "/tpgt_1/nexus", "NULL");
	if (!ret || all)
		ret = lun_unlink(LIFE_WWN2, 1, 0);
	if (!ret || all)
		ret = cfs_rmdir(tpg);
	if (!ret || all)
		ret = cfs_rmdir(CFS_VHOST "/" LIFE_WWN2);
	return ret;
}

/* Take WWN2 apart; @bound: each step must be refused instead. */
static int wwn2_remove(struct life *L, bool bound)
{
	const char *tpg = CFS_VHOST "/" LIFE_WWN2 "/tpgt_1";
	const char *wwn = CFS_VHOST "/" LIFE_WWN2;
	char nexus[512];
	int ret;

	snprintf(nexus, sizeof(nexus), "%s/nexus", tpg);
	if (bound) {
		ret = refused(L, "the nexus drop", cfs_write(nexus, "NULL"),
			      -EBUSY, -EBUSY);
		if (!ret)
			ret = refused(L, "the TPG removal", cfs_rmdir(tpg),
				      -EBUSY, -ENOTEMPTY);
		if (!ret)
			ret = refused(L, "the WWN removal", cfs_rmdir(wwn),
				      -EBUSY, -ENOTEMPTY);
		if (!ret)
			ret = refused(L, "rmmod", try_rmmod(), -EWOULDBLOCK,
				      -EBUSY);
		return ret;
	}
	ret = wwn2_teardown(false);
	return ret ? tfail(L->t, "expected %s taken apart after unbinding, "
			   "got %s", LIFE_WWN2, err_name(ret)) : T_PASS;
}

/* A third device binding a TPG another device holds: -EBUSY. */
static int bind_busy(struct life *L, const char *wwn)
{
	struct vscsi_opts o = life_opts;
	struct vscsi_dev *dev;
	int ret;

	o.path = L->t->cfg->dev_path;
	ret = vscsi_dev_start(&dev, &o);
	if (ret)
		return tfail(L->t, "expected a third device, got %s",
			     err_name(ret));
	ret = refused(L, "a second device binding the TPG",
		      vscsi_set_endpoint(dev, wwn), -EBUSY, -EBUSY);
	vscsi_dev_close(dev);
	return ret;
}

/*
 * Both devices' WRITEs to the slow backstore held by dm-delay at once,
 * the fast batch racing, while the third binder and the removals are
 * refused.
 */
static int two_wwn_bound(struct life *L, struct vscsi_dev *dev2,
			 unsigned int c)
{
	struct tctx *t = L->t;
	int ret;

	ret = ua_clear(L, &L->slow);
	if (!ret)
		ret = ua_clear_on(L, dev2, 1, 0);
	if (!ret)
		ret = batch_submit(L, &L->b1, &L->slow, t->dev, t->cfg->target,
				   L->slow.lun);
	if (!ret)
		ret = batch_submit(L, &L->b2, &L->slow, dev2, 1, 0);
	if (!ret)
		ret = slow_held(L, 2 * LIFE_BATCH, LIFE_HELD_MS, NULL);
	if (!ret)
		ret = fast_start(L);
	if (!ret)
		ret = bind_busy(L, c & 1 ? LIFE_WWN2 : t->cfg->wwpn);
	if (!ret)
		ret = wwn2_remove(L, true);
	if (!ret)
		ret = batches_settle(L, t->dev, true);
	if (!ret)
		ret = batch_settle(L, &L->b2, dev2, LIFE_WAIT_MS, true);
	return ret;
}

static int sc_two_wwn(struct life *L)
{
	struct vscsi_opts o = life_opts;
	struct tctx *t = L->t;
	struct vscsi_dev *dev2;
	int ret = wwn2_make(L);

	if (ret)
		return ret;
	o.path = t->cfg->dev_path;
	ret = vscsi_dev_start(&dev2, &o);
	if (ret)
		return tfail(t, "expected a second device, got %s",
			     err_name(ret));
	ret = vscsi_set_endpoint(dev2, LIFE_WWN2);
	if (ret)
		ret = tfail(t, "expected SET_ENDPOINT(%s) to return 0, got %s",
			    LIFE_WWN2, err_name(ret));
	if (!ret)
		ret = two_wwn_bound(L, dev2, L->cycle);
	/* Unbind by CLEAR_ENDPOINT or by close, in turn. */
	if (!ret && (L->cycle & 2) &&
	    (ret = vscsi_clear_endpoint(dev2, LIFE_WWN2)))
		ret = tfail(t, "expected CLEAR_ENDPOINT(%s) to return 0, got "
			    "%s", LIFE_WWN2, err_name(ret));
	vscsi_dev_close(dev2);
	if (!ret)
		ret = wwn2_remove(L, false);
	return ret ? ret : life_verify(L, "two WWNs at once");
}

/* The same guest memory as @n regions (1 or 2, cut at page @cut). */
static int mem_table_set(struct vscsi_dev *dev, unsigned int n, uint64_t cut)
{
	struct vhost_memory *m = calloc(1, sizeof(*m) + 2 * sizeof(m->regions[0]));
	int ret;

	if (!m)
		return -ENOMEM;
	m->nregions = n;
	m->regions[0].guest_phys_addr = dev->mem.gpa;
	m->regions[0].userspace_addr = (uintptr_t)dev->mem.host;
	m->regions[0].memory_size = n == 1 ? dev->mem.size : cut;
	m->regions[1].guest_phys_addr = dev->mem.gpa + cut;
	m->regions[1].userspace_addr = (uintptr_t)dev->mem.host + cut;
	m->regions[1].memory_size = dev->mem.size - cut;
	ret = ioctl(dev->fd, VHOST_SET_MEM_TABLE, m) ? -errno : 0;
	free(m);
	return ret;
}

static int sc_mem(struct life *L)
{
	struct tctx *t = L->t;
	uint64_t pages = t->dev->mem.size / 4096;
	uint64_t cut = (1 + (L->cycle * 7919ULL) % (pages - 1)) * 4096;
	unsigned int i;
	int ret;

	ret = ua_clear(L, &L->rd);
	if (!ret)
		ret = batch_start(L, L->slow.lun);
	if (ret)
		return ret;
	ret = mem_table_set(t->dev, 2, cut);
	if (!ret)
		ret = mem_table_set(t->dev, 1, 0);
	if (ret)
		return tfail(t, "expected SET_MEM_TABLE under WRITEs to return "
			     "0, got %s", err_name(ret));
	ret = batches_settle(L, t->dev, true);
	for (i = 0; !ret && i < LIFE_BATCH; i++)
		ret = expect_good(t, "WRITE to the slow LUN across "
				  "SET_MEM_TABLE", &L->b1.req[i].res);
	for (i = 0; !ret && i < LIFE_BATCH; i++)
		ret = expect_good(t, "WRITE to the ramdisk across "
				  "SET_MEM_TABLE", &L->fast.req[i].res);
	return ret ? ret : life_verify(L, "SET_MEM_TABLE under WRITEs");
}

/* ------------------------------------------------------------------ */
/* queues128: every descriptor of 128 rings of 1024 holds a WRITE      */

/*
 * One WRITE as the guest lays it out; the chain is its three parts.  The
 * data block comes first and each command takes 1 KiB, so that the data
 * is aligned to the block as an iblock backstore (the slow LUN) needs.
 */
struct big_cmd {
	uint8_t data[512];
	struct virtio_scsi_cmd_req req;
	uint8_t pad[64 - sizeof(struct virtio_scsi_cmd_req)];
	struct virtio_scsi_cmd_resp resp;
	uint8_t pad2[448 - sizeof(struct virtio_scsi_cmd_resp)];
};

struct big {
	struct vscsi_dev *dev;
	uint64_t gpa;			/* of cmds[0] */
	struct big_cmd *cmds;
	unsigned int n;
	uint8_t *flags;			/* per command: BIG_SLOW, BIG_GOOD */
	unsigned int slow_cmd[BIG_QUEUES];	/* of queue q's slow WRITE */
	unsigned int slow_n;		/* queues with a slow WRITE */
	long long held_ms;		/* from the kicks until one was held */
	unsigned long answered_good, answered_other;
};

/*
 * Queue @q's ring full of WRITEs: the first to block BIG_LBA + @q of the
 * slow disk, the others to the ramdisk's scratch area (BIG_LBA + n).
 */
static int big_fill_queue(struct life *L, struct big *b, unsigned int q,
			  unsigned int max, uint32_t gen)
{
	struct vscsi_vq *vq = vscsi_req_vq(b->dev, q);
	struct vscsi_seg seg[3];
	struct big_cmd *bc;
	uint64_t gpa, lba;
	int head;

	while (vq->num_free >= 3 && b->n < max) {
		bool slow = vq->num_free == vq->num;

		bc = &b->cmds[b->n];
		gpa = b->gpa + (uint64_t)b->n * sizeof(*bc);
		lba = BIG_LBA + (slow ? q : b->n);
		memset(bc, 0, sizeof(*bc));
		vscsi_lun_encode(bc->req.lun, L->t->cfg->target,
				 slow ? L->slow.lun : L->rd.lun);
		bc->req.tag = b->n + 1;
		scsi_cdb_write10(bc->req.cdb, lba, 1);
		fill_pattern(bc->data, 512, lba, gen);
		if (slow) {
			b->flags[b->n] = BIG_SLOW;
			b->slow_cmd[b->slow_n++] = b->n;
		}
		memset(&bc->resp, 0xff, sizeof(bc->resp));
		seg[0] = (struct vscsi_seg){
			gpa + offsetof(struct big_cmd, req), sizeof(bc->req),
			false };
		seg[1] = (struct vscsi_seg){
			gpa + offsetof(struct big_cmd, data), 512, false };
		seg[2] = (struct vscsi_seg){
			gpa + offsetof(struct big_cmd, resp),
			sizeof(bc->resp), true };
		head = vscsi_vq_add(vq, seg, 3, false,
				    (void *)(uintptr_t)(b->n + 1));
		if (head < 0)
			return tfail(L->t, "expected WRITE %u published, got %s",
				     b->n, err_name(head));
		b->n++;
	}
	return T_PASS;
}

/* Collect every WRITE of every queue; each must be answered. */
static int big_collect(struct life *L, struct big *b)
{
	unsigned int q, got = 0;
	struct vscsi_vq *vq;
	uintptr_t owner;
	int head;

	for (q = 0; q < BIG_QUEUES; q++) {
		vq = vscsi_req_vq(b->dev, q);
		while (vq->num_free < vq->num) {
			head = vscsi_vq_wait_any(vq, LIFE_WAIT_MS);
			if (head < 0)
				return tfail(L->t, "expected every WRITE of "
					     "queue %u answered, got %s after "
					     "%u", q, err_name(head), got);
			owner = (uintptr_t)vq->slots[head].owner;
			vscsi_vq_collect(vq, head, NULL);
			if (!owner || owner > b->n)
				continue;
			got++;
			if (b->cmds[owner - 1].resp.response ==
			    VIRTIO_SCSI_S_OK &&
			    b->cmds[owner - 1].resp.status == SCSI_STATUS_GOOD) {
				b->flags[owner - 1] |= BIG_GOOD;
				b->answered_good++;
			} else {
				b->answered_other++;
			}
		}
	}
	return got == b->n ? T_PASS :
	       tfail(L->t, "expected %u WRITEs answered, got %u", b->n, got);
}

/* @n blocks from @lba of @lun into @buf, through the 128-queue device. */
static int big_read(struct life *L, struct big *b, unsigned int lun,
		    unsigned int lba, unsigned int n, uint8_t *buf)
{
	struct tctx *t = L->t;
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[10];
	int ret;

	read10_cmd_init(t, &cmd, lun, cdb, lba, n, buf, n * 512);
	cmd.timeout_ms = LIFE_WAIT_MS;
	ret = run_past_ua(b->dev, &cmd, &res);
	if (ret)
		return tfail(t, "expected the scratch read-back answered, got "
			     "%s", err_name(ret));
	return expect_good(t, "scratch read-back", &res);
}

/* Block @lba (in @got) holds command @i's WRITE if that was GOOD. */
static int big_check(struct life *L, struct big *b, unsigned int i,
		     unsigned int lba, const uint8_t *got, uint32_t gen)
{
	uint8_t want[512];

	if (!(b->flags[i] & BIG_GOOD))
		return T_PASS;
	fill_pattern(want, sizeof(want), lba, gen);
	if (!memcmp(want, got, sizeof(want)))
		return T_PASS;
	return tfail(L->t, "expected %s block %u to hold the WRITE answered "
		     "GOOD, got other bytes", b->flags[i] & BIG_SLOW ? "slow0" :
		     "rd0", lba);
}

/* Read both scratch areas back: each WRITE answered GOOD is there. */
static int big_verify(struct life *L, struct big *b, uint32_t gen)
{
	static uint8_t buf[BIG_READ_BLOCKS * 512];
	unsigned int i, j, n;
	int ret;

	ret = big_read(L, b, L->slow.lun, BIG_LBA, b->slow_n, buf);
	for (i = 0; !ret && i < b->slow_n; i++)
		ret = big_check(L, b, b->slow_cmd[i], BIG_LBA + i,
				buf + i * 512, gen);
	for (i = 0; !ret && i < b->n; i += BIG_READ_BLOCKS) {
		n = b->n - i < BIG_READ_BLOCKS ? b->n - i : BIG_READ_BLOCKS;
		ret = big_read(L, b, L->rd.lun, BIG_LBA + i, n, buf);
		for (j = 0; !ret && j < n; j++)
			if (!(b->flags[i + j] & BIG_SLOW))
				ret = big_check(L, b, i + j, BIG_LBA + i + j,
						buf + j * 512, gen);
	}
	return ret;
}

static int big_run(struct life *L, struct big *b, uint32_t gen)
{
	unsigned int q, max = (L->t->cfg->lun_bytes[0] / 512 - BIG_LBA);
	int ret = T_PASS;

	if (max > LIFE_LBA - BIG_LBA)
		max = LIFE_LBA - BIG_LBA;
	for (q = 0; !ret && q < BIG_QUEUES; q++)
		ret = big_fill_queue(L, b, q, max, gen);
	/* Every ring full before the device hears of any of them. */
	for (q = 0; !ret && q < BIG_QUEUES; q++)
		vscsi_vq_kick_force(vscsi_req_vq(b->dev, q));
	/*
	 * Slow WRITEs held while the rings are full.  Each queue's thread
	 * hands its slow WRITE to the target core first, but the target core
	 * submits it from a work item (target_queue_submission()) that takes
	 * its turn in the CPU's kworker pool with the ramdisk's submission
	 * and its completions, one work item each: on the debug kernel the
	 * first was held after 0.4 s in one run and not within 2 s in
	 * another.  Held comes before answered: an answer's deadline.
	 */
	if (!ret)
		ret = slow_held(L, 1, LIFE_WAIT_MS, &b->held_ms);
	if (!ret)
		ret = big_collect(L, b);
	if (!ret && !b->answered_good)
		ret = tfail(L->t, "expected WRITEs answered GOOD, got none of "
			    "%u", b->n);
	if (!ret)
		ret = big_verify(L, b, gen);
	if (b->held_ms >= 0)
		tnote(L->t, "queues128: the first slow WRITE held %lld ms "
		      "after the kicks", b->held_ms);
	tnote(L->t, "queues128: %u WRITEs in flight on %u queues (%u to the "
	      "slow LUN): %lu GOOD, %lu other", b->n, BIG_QUEUES, b->slow_n,
	      b->answered_good, b->answered_other);
	return ret;
}

static int sc_big(struct life *L)
{
	struct vscsi_opts o = {
		.path = L->t->cfg->dev_path, .mem_size = BIG_MEM,
		.req_queues = BIG_QUEUES, .queue_size = BIG_QUEUE_SIZE,
	};
	size_t len = (size_t)BIG_QUEUES * (BIG_QUEUE_SIZE / 3) *
		     sizeof(struct big_cmd);
	struct tctx *t = L->t;
	struct big b = { .held_ms = -1 };
	int ret;

	vscsi_dev_close(t->dev);
	t->dev = NULL;
	ret = vscsi_dev_start(&b.dev, &o);
	if (ret)
		return tfail(t, "expected a device with %u queues of %u, got %s",
			     BIG_QUEUES, BIG_QUEUE_SIZE, err_name(ret));
	b.gpa = vscsi_mem_alloc(&b.dev->mem, len, 4096);
	b.cmds = b.gpa ? vscsi_mem_ptr(&b.dev->mem, b.gpa, len) : NULL;
	b.flags = calloc(BIG_QUEUES * BIG_QUEUE_SIZE, 1);
	ret = vscsi_set_endpoint(b.dev, t->cfg->wwpn);
	if (ret)
		ret = tfail(t, "expected SET_ENDPOINT with %u queues to return "
			    "0, got %s", BIG_QUEUES, err_name(ret));
	else if (!b.cmds || !b.flags)
		ret = tfail(t, "expected %zu bytes of guest memory, got none",
			    len);
	else
		ret = big_run(L, &b, ++L->gen);
	free(b.flags);
	vscsi_dev_close(b.dev);
	if (!ret)
		ret = life_attach(L);
	return ret ? ret : life_verify(L, "128 queues full");
}

/* ------------------------------------------------------------------ */
/* The case                                                            */

static int (*const sc_run[SC_COUNT])(struct life *) = {
	sc_close, sc_clear, sc_reset, sc_unlink, sc_two_wwn, sc_mem, sc_big,
};

/* Slab back within the bound of @base, given five seconds. */
static int slab_check(struct tctx *t, long base, long *delta)
{
	long bound = env_ul("VSCSI_LIFECYCLE_MEM_BOUND_KB", 16384);
	int i;

	for (i = 0; i < 50; i++) {
		*delta = slab_kb() - base;
		if (*delta <= bound)
			return T_PASS;
		usleep(100 * 1000);
	}
	return tfail(t, "expected Slab back within %ld kB of %ld kB after "
		     "the stress, got %ld kB more", bound, base, *delta);
}

static int life_setup(struct life *L)
{
	struct tctx *t = L->t;
	int ret = fix_need_hotplug(t);

	if (ret)
		return ret;
	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no dm-delay LUN)");
	if (find_store("rd0", L->rd_store, sizeof(L->rd_store)) ||
	    find_store("slow0", L->slow_store, sizeof(L->slow_store)))
		return tskip(t, "backstores rd0 and slow0 not found (run "
			     "setup-targets.sh)");
	L->rd.name = "rd0";
	L->rd.lun = lun0(t);
	L->slow.name = "slow0";
	L->slow.lun = t->cfg->slow_lun;
	/* Left over by an earlier run that failed. */
	lun_unlink(t->cfg->wwpn, t->cfg->target,
		   t->cfg->hotplug_lun + LIFE_LUN_OFF);
	wwn2_teardown(true);
	ret = slow_shorten(L);
	if (!ret)
		ret = life_attach(L);
	if (!ret)
		ret = disk_io(L, &L->rd, true, "setup");
	if (!ret)
		ret = disk_io(L, &L->slow, true, "setup");
	return ret;
}

static int life_scenario(struct life *L, int sc, unsigned int n)
{
	unsigned int c;
	long long start = now_ms();
	int ret = T_PASS;

	for (c = 0; !ret && c < n; c++) {
		alarm(LIFE_ALARM_S);
		L->cycle = c;
		L->held = false;
		ret = sc_run[sc](L);
		if (ret)
			break;
		L->cycles[sc]++;
		L->slow_cycles[sc] += L->held;
	}
	alarm(0);
	if (ret)
		tnote(L->t, "%s failed in cycle %u", sc_name[sc], c);
	tnote(L->t, "lifecycle: %s %u cycles (%u on the slow LUN) in %lld ms",
	      sc_name[sc], L->cycles[sc], L->slow_cycles[sc],
	      now_ms() - start);
	return ret;
}

static int lifecycle_stress(struct tctx *t)
{
	unsigned long total = env_ul("VSCSI_LIFECYCLE_CYCLES", 1000);
	static struct life L;
	long base = slab_kb(), delta = 0;
	unsigned int n, sum = 0;
	int sc, ret;

	memset(&L, 0, sizeof(L));
	L.t = t;
	L.dm_ctl = -1;
	ret = life_setup(&L);
	for (sc = 0; !ret && sc < SC_COUNT; sc++) {
		n = sc_weight[sc] * total / 1000;
		ret = life_scenario(&L, sc, n ? n : 1);
		sum += L.cycles[sc];
	}
	if (!ret)
		ret = disk_verify(&L, &L.slow, "the stress");
	if (!ret)
		ret = disk_verify(&L, &L.rd, "the stress");
	vscsi_dev_close(t->dev);
	t->dev = NULL;
	ret = slow_restore(&L, ret);
	if (!ret)
		ret = slab_check(t, base, &delta);
	tnote(t, "lifecycle: %u cycles; WRITEs %lu GOOD, %lu answered "
	      "otherwise, %lu unanswered (device gone); %lu refusals checked; "
	      "Slab %+ld kB", sum, L.good, L.other, L.unanswered, L.refusals,
	      delta);
	return ret;
}

const struct tcase life_cases[] = {
	{ "lifecycle_stress", lifecycle_stress },
	{ NULL, NULL },
};
