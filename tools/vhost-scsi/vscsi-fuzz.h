/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscsi fuzz - structure-aware fuzzing of a vhost-scsi device through
 * libvhost-scsi (vscsi-fuzz.c).  Used by the vscsi CLI ("vscsi fuzz") and
 * by vscsi-test's fuzz cases.
 */
#ifndef VSCSI_FUZZ_H
#define VSCSI_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VSCSI_FUZZ_MAX_LUNS	16

struct vscsi_fuzz_opts {
	const char *path;		/* NULL: VSCSI_DEFAULT_PATH */
	const char *wwpn;		/* the WWN to bind */
	unsigned int target;		/* its TPG tag */
	unsigned int nluns;
	unsigned int luns[VSCSI_FUZZ_MAX_LUNS];	/* mapped LUNs, [0] for TURs */
	int slow_lun;			/* a LUN never sent data commands, -1 */
	uint64_t seed;
	unsigned long count;		/* requests to send */
	unsigned int queues;		/* request queues */
	int timeout_ms;			/* per batch: every request answered */
	long mem_bound_kb;		/* Slab growth allowed after close */
	FILE *log;			/* progress and verdict, or NULL */
	/*
	 * A replay plan (vscsi-fuzz-shrink.c): batch b runs its requests
	 * when plan[b] has VSCSI_FUZZ_PLAN_REQ, its interleaved ioctl when it
	 * has VSCSI_FUZZ_PLAN_IOCTL; the run ends after plan_len batches.
	 * Every batch draws from a generator seeded with the seed and its
	 * number, so dropping one leaves the others as they were.  NULL: all
	 * batches until count requests.  last_cap > 0: the last batch sends
	 * at most that many requests.
	 */
	const unsigned char *plan;
	unsigned long plan_len, last_cap;
	/*
	 * Admin churn from another process (cases-fuzz.c): bound(arg, false)
	 * before the device lets go of its endpoint (CLEAR_ENDPOINT, close,
	 * RESET_OWNER), bound(arg, true) once SET_ENDPOINT succeeded again;
	 * check(arg) between batches returns a broken invariant of the
	 * churn's, or NULL.
	 */
	void (*bound)(void *arg, bool bound);
	const char *(*check)(void *arg);
	void *arg;
};

#define VSCSI_FUZZ_PLAN_REQ	1u
#define VSCSI_FUZZ_PLAN_IOCTL	2u

struct vscsi_fuzz_stats {
	unsigned long requests;		/* chains published (all queues) */
	unsigned long answered;		/* returned and checked */
	unsigned long mutated;		/* chains with damaged descriptors */
	unsigned long tmf, an, events;	/* control requests, event buffers */
	unsigned long ioctls;		/* ioctls interleaved between batches */
	unsigned long reopens;		/* close and reopen of the fd */
	unsigned long inflight_closes;	/* of those, with requests in flight */
	unsigned long batches, turs;
	unsigned long reset_owners;	/* RESET_OWNER and a full re-setup */
	unsigned long vring_stopped;	/* SET_VRING_* rounds while stopped */
	long slab_delta_kb;		/* Slab after the last close - before */
	double seconds;
	/* Where the time went, in ms: see vscsi_fuzz_print(). */
	int64_t ms_publish, ms_wait, ms_check, ms_tur, ms_ioctl, ms_slowest;
	double cpu_user, cpu_sys;	/* getrusage() of the process, s */
	/* The first violation: its batch and its kind (a format string). */
	unsigned long fail_batch;
	const char *fail_kind;
};

/*
 * Run the fuzzer.  Return: 0 when every invariant held, 1 on the first
 * violation (described in @why, with the seed and request number that
 * reproduce it), or -errno when the device could not be set up.
 */
int vscsi_fuzz_run(const struct vscsi_fuzz_opts *opts,
		   struct vscsi_fuzz_stats *stats, char *why, size_t why_len);
/* One line: the options and counts of a run. */
void vscsi_fuzz_print(FILE *fp, const struct vscsi_fuzz_opts *opts,
		      const struct vscsi_fuzz_stats *stats);
/* "vscsi fuzz ..." (argv starts at "fuzz"; vscsi-fuzz-shrink.c). */
int vscsi_fuzz_main(int argc, char **argv);
/*
 * Shrink the failing run @opts describes: keep dropping batches, the
 * ioctls or requests of a batch, and requests at the end of the last
 * batch while a run still fails with the same kind of violation.  Print
 * the steps and the replay command to @opts->log.  Return 0 with
 * @plan_out (malloc'ed), @plan_len and @last_cap set, 1 if @opts does
 * not fail, -errno on setup errors.
 */
int vscsi_fuzz_shrink(const struct vscsi_fuzz_opts *opts,
		      unsigned char **plan_out, unsigned long *plan_len,
		      unsigned long *last_cap);
/* The plan as "0-3,5r,9i" (r: requests only, i: ioctl only). */
void vscsi_fuzz_plan_print(FILE *fp, const unsigned char *plan,
			   unsigned long len);
/* Parse that form; return 0 or -EINVAL.  *@plan is malloc'ed. */
int vscsi_fuzz_plan_parse(const char *s, unsigned char **plan,
			  unsigned long *len);

#endif /* VSCSI_FUZZ_H */
