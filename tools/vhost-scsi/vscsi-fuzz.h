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
};

struct vscsi_fuzz_stats {
	unsigned long requests;		/* chains published (all queues) */
	unsigned long answered;		/* returned and checked */
	unsigned long mutated;		/* chains with damaged descriptors */
	unsigned long tmf, an, events;	/* control requests, event buffers */
	unsigned long ioctls;		/* ioctls interleaved between batches */
	unsigned long reopens;		/* close and reopen of the fd */
	unsigned long inflight_closes;	/* of those, with requests in flight */
	unsigned long batches, turs;
	long slab_delta_kb;		/* Slab after the last close - before */
	double seconds;
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
/* "vscsi fuzz ..." (argv starts at "fuzz"). */
int vscsi_fuzz_main(int argc, char **argv);

#endif /* VSCSI_FUZZ_H */
