/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscsi-test: shared harness declarations.  A case returns one of the
 * T_* outcomes; on failure or skip it first formats t->msg through
 * tfail()/tskip(), which the harness prints after the case name.
 */
#ifndef VSCSI_TEST_H
#define VSCSI_TEST_H

#include <stdarg.h>
#include "../../vhost-scsi/vscsi.h"
#include "../lib/ktest.h"

/* A case's outcome, as ../lib/ktest.h prints it. */
enum { T_PASS = KTEST_PASS, T_FAIL = KTEST_FAIL, T_SKIP = KTEST_SKIP };

#define MAX_LUNS 16

/* What the environment says the target under test looks like. */
struct tconfig {
	const char *dev_path;		/* VSCSI_DEV */
	const char *wwpn;		/* VSCSI_WWPN, NULL: endpoint cases skip */
	unsigned int target;		/* VSCSI_TARGET: the TPG tag */
	unsigned int nluns;
	unsigned int luns[MAX_LUNS];	/* VSCSI_LUNS */
	uint64_t lun_bytes[MAX_LUNS];	/* VSCSI_LUN_BYTES, 0: unknown */
	unsigned int missing_lun;	/* VSCSI_MISSING_LUN */
	unsigned int missing_target;	/* VSCSI_MISSING_TARGET */
	int drop_ms;			/* how long "no answer" is waited for */
	int slow_lun;			/* VSCSI_SLOW_LUN, -1: none */
	unsigned int slow_ms;		/* VSCSI_SLOW_MS: its added latency */
	const char *hotplug_backstore;	/* VSCSI_HOTPLUG_BACKSTORE or NULL */
	unsigned int hotplug_lun;	/* VSCSI_HOTPLUG_LUN: first free LUN */
	unsigned int wp_target;		/* VSCSI_WP_TARGET: a TPG whose LUN 0
					 * is mapped write-protected; 0: none */
	unsigned int pi_target;		/* VSCSI_PI_TARGET: a TPG whose LUN 0
					 * is formatted with T10-PI type 1 */
	unsigned int fabric_pi_target;	/* VSCSI_FABRIC_PI_TARGET: a TPG with
					 * fabric_prot_type 1; 0: none */
	bool lax_used_len;		/* VHOST_SCSI_MODULE=stock: only
					 * used_len_* check used.len */
};

struct tctx {
	const struct tconfig *cfg;
	const char *name;
	char msg[512];
	struct vscsi_dev *dev;		/* closed by the harness */
	const void *arg;		/* the case's tcase.arg */
};

/*
 * One line of a case table.  Variants of one test share @run and differ
 * in @arg, which the case reads as t->arg (NULL when not given).
 */
struct tcase {
	const char *name;
	int (*run)(struct tctx *t);
	const void *arg;
};

extern const struct tcase ioctl_cases[];
extern const struct tcase io_cases[];
extern const struct tcase bad_cases[];
extern const struct tcase tmf_cases[];
extern const struct tcase evt_cases[];
extern const struct tcase change_cases[];
/* GET_EVENTS_MISSED reads @want within 2 s, or a FAIL (cases-evt.c). */
int wait_missed(struct tctx *t, uint32_t want, const char *after);
extern const struct tcase more_cases[];
extern const struct tcase sec_cases[];
extern const struct tcase sec2_cases[];
extern const struct tcase bind_cases[];
extern const struct tcase workers_cases[];
/* vhost_scsi's workers parameter (cases-workers.c). */
int workers_param_set(int val, int *old);
extern const struct tcase race_cases[];
extern const struct tcase pi_cases[];
extern const struct tcase log_cases[];
extern const struct tcase fuzz_cases[];
extern const struct tcase trace_cases[];
extern const struct tcase fault_cases[];
extern const struct tcase life_cases[];

/*
 * One action under a fault sweep (cases-fault.c).  @prepare and @after run
 * disarmed, @run armed: it puts the outcome in *@res (0: it worked, -ENOMEM
 * or @alt_err: a clean failure) and returns T_PASS unless the rig failed.
 * @after judges @res knowing whether a failure was injected, retries what
 * failed, checks the device works and undoes the action.
 */
struct fault_op {
	const char *what;
	int (*prepare)(struct tctx *t);
	int (*run)(struct tctx *t, int *res);
	int (*after)(struct tctx *t, int res, bool injected);
	int alt_err;
};

/*
 * Run @op with its 1st, 2nd, ... fault point failed until it passes them
 * all; SKIP on a module without fault points.
 */
int fault_sweep(struct tctx *t, const struct fault_op *op);

int tfail(struct tctx *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tskip(struct tctx *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Informational line on stderr ("# case: ..."), never parsed. */
void tnote(struct tctx *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fixtures: each returns T_PASS or the outcome to return from the case. */
int fix_device(struct tctx *t, const struct vscsi_opts *opts);
int fix_attach(struct tctx *t, const struct vscsi_opts *opts);
int fix_need_wwpn(struct tctx *t);
/* fix_attach() with VIRTIO_SCSI_F_T10_PI acked (cases-more.c). */
int attach_pi(struct tctx *t);
/*
 * cases-more.c, for the T10-PI cases: one WRITE(16) or READ(16) of
 * @bytes at @lba, led by @pi protection bytes, through @sp (NULL:
 * natural); and one WRITE(10) of a block at PI_LBA from @out, whose
 * first @pi of @len bytes are protection bytes.
 */
int rw16(struct tctx *t, bool write, uint64_t lba, void *buf, uint32_t bytes,
	 uint32_t pi, const struct vscsi_split *sp);
#define PI_LBA	4096
int pi_write_block(struct tctx *t, const uint8_t *out, uint32_t len,
		   uint32_t pi, struct vscsi_result *res);

/* Helpers shared by the data-path cases. */
unsigned int lun0(const struct tctx *t);
void cmd_init(struct tctx *t, struct vscsi_cmd *cmd, unsigned int lun);
/* cmd_init() plus a TEST UNIT READY CDB, built in @cdb (6 bytes). */
void tur_cmd_init(struct tctx *t, struct vscsi_cmd *cmd, unsigned int lun,
		  uint8_t *cdb);
/*
 * cmd_init() plus READ(10) of @blocks at @lba (CDB built in @cdb, 10
 * bytes) into @len bytes of @buf.
 */
void read10_cmd_init(struct tctx *t, struct vscsi_cmd *cmd, unsigned int lun,
		     uint8_t *cdb, uint32_t lba, uint16_t blocks, void *buf,
		     uint32_t len);
int expect_good(struct tctx *t, const char *what,
		const struct vscsi_result *res);
/* @res is CHECK CONDITION with sense @key/@asc/@ascq (cases-sec.c). */
int expect_sense(struct tctx *t, const char *what,
		 const struct vscsi_result *res, uint8_t key, uint8_t asc,
		 uint8_t ascq);
/* Run @cmd on request queue 0: T_PASS with @res, or a FAIL naming @what. */
int run_cmd(struct tctx *t, const struct vscsi_cmd *cmd, const char *what,
	    struct vscsi_result *res);
/* @res carries the virtio-scsi response @want, or a FAIL saying what did. */
int expect_response(struct tctx *t, const char *what,
		    const struct vscsi_result *res, uint8_t want);
/*
 * Run @cmd, expect the response @want (a request the device refuses), then
 * a TUR on the same queue: a refused request leaves the queue working.
 */
int expect_refused(struct tctx *t, const struct vscsi_cmd *cmd, uint8_t want,
		   const char *what);
/* TEST UNIT READY to @lun on @vq: 0 and @res, or -errno; its tag in @tag. */
int tur_on(struct tctx *t, struct vscsi_vq *vq, unsigned int lun,
	   struct vscsi_result *res, uint64_t *tag);
int run_tur(struct tctx *t, struct vscsi_vq *vq, const char *what);
int write_read_verify(struct tctx *t, struct vscsi_vq *vq, uint64_t lba,
		      uint32_t bytes, bool use16, const struct vscsi_split *wr,
		      const struct vscsi_split *rd, unsigned int seed);
void fill_pattern(uint8_t *buf, size_t len, uint64_t lba, unsigned int seed);
const char *err_name(int err);
/* Milliseconds on CLOCK_MONOTONIC. */
long long now_ms(void);

/*
 * The slow LUN (cases-tmf.c): fix_slow() attaches and checks that it
 * answers; slow_lun_usable() TURs it past the unit attentions a reset
 * leaves.
 */
int fix_slow(struct tctx *t);
int slow_lun_usable(struct tctx *t, const char *what);
/*
 * The reads (@writes false) or WRITEs the slow LUN's dm-delay device
 * ("slow") holds back now, from its status through the device-mapper
 * control device @ctl (one opened for the call if @ctl < 0, as a caller
 * polling every 0.5 ms should not), or -errno.
 */
int slow_dm_held(int ctl, bool writes);
/*
 * Wait until the slow LUN's dm-delay device holds @reads reads, so that
 * they are in the target core's task set, not still on its way there (a
 * debug kernel can be slow to get them there); at most slow_ms / 2.
 */
int slow_settle(struct tctx *t, unsigned int reads);
/* Reads held on the slow LUN: SLOW_CMDS of SLOW_BLOCKS blocks each. */
#define SLOW_CMDS	3
#define SLOW_BLOCKS	8

struct slow_set {
	struct vscsi_req req[SLOW_CMDS];
	uint8_t cdb[SLOW_CMDS][16];
	uint8_t data[SLOW_CMDS][SLOW_BLOCKS * 512];
};

/* Submit the reads (blocks 0.. of the slow LUN) on @vq; kick if @kick. */
int slow_set_submit(struct tctx *t, struct vscsi_vq *vq, struct slow_set *s,
		    bool kick);
/*
 * Wait for every read still out (abandoning any that never returns);
 * @ret, or a FAIL for the first that did not return if @ret is T_PASS.
 */
int slow_wait_all(struct tctx *t, struct slow_set *s, int ret);
#define VHOST_STATS	"/sys/kernel/debug/vhost_scsi/stats"
/* One counter of the module's debugfs stats file (VHOST_STATS), or -1. */
long long vhost_stat(const char *name);
/* A line of /proc/meminfo ("Slab"), kB, or -1 (cases-evt.c). */
long meminfo_kb(const char *key);
/* Slab in /proc/meminfo, kB, or -1 (cases-evt.c). */
long slab_kb(void);

/*
 * LIO configfs, as an admin changes it under a bound endpoint (lio.c):
 * link the hotplug backstore as LUN @lun of the tested TPG, unlink it.
 * Return 0 or -errno.
 */
int lio_lun_link(const struct tconfig *cfg, unsigned int lun);
int lio_lun_unlink(const struct tconfig *cfg, unsigned int lun);
/*
 * Any LUN: its port (the symlink in lun_L, named @port_name) to the
 * backstore directory @backstore made, removed, or read (the first
 * symlink found).  Return 0 or -errno.
 */
int lio_lun_link_to(const struct tconfig *cfg, unsigned int lun,
		    const char *port_name, const char *backstore);
int lio_lun_unlink_port(const struct tconfig *cfg, unsigned int lun,
			const char *port_name);
int lio_lun_port(const struct tconfig *cfg, unsigned int lun, char *name,
		 size_t name_len, char *backstore, size_t bs_len);
/* rmdir of the tested WWN: 0 or -errno. */
int lio_wwn_remove(const struct tconfig *cfg);
int fix_need_hotplug(struct tctx *t);
/* TPG @tag of the tested WWN: make or remove it, read or write its nexus. */
int lio_tpg_add(const struct tconfig *cfg, unsigned int tag);
int lio_tpg_remove(const struct tconfig *cfg, unsigned int tag);
int lio_nexus_get(const struct tconfig *cfg, unsigned int tag, char *name,
		  size_t len);
int lio_nexus_set(const struct tconfig *cfg, unsigned int tag,
		  const char *name);

#endif /* VSCSI_TEST_H */
