// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi fuzz: replay plans, shrinking, and the command line.
 *
 * A run is a sequence of batches; batch b draws its requests and its
 * interleaved ioctl from generators seeded with the seed and b
 * (vscsi-fuzz.c, reseed()), so a plan can leave out any batch, or the
 * requests or the ioctl of one, and every other part still sends what it
 * sent in the failing run.  Shrinking a failing run:
 *   1. the failing batch alone, if that still fails;
 *   2. otherwise chunks of the earlier batches dropped, halving the
 *      chunk down to single batches (delta debugging);
 *   3. each kept batch cut to its requests only, or its ioctl only;
 *   4. the last batch cut to its first N requests, N bisected.
 * A step is kept when the run still fails with the same kind of
 * violation (the same check: vscsi_fuzz_stats.fail_kind); the run the
 * plan describes is deterministic up to the device's timing, which the
 * checks do not depend on.  The result is a replay command with --plan.
 *
 * From a reproducer to a regular test case: read the failing request's
 * dump (the replay prints the chain as published), write a case that
 * publishes that chain with the library (after the few setup steps the
 * plan kept, e.g. an endpoint cycle) and checks the same invariant, in
 * the cases-*.c file of its area; inquiry_data_in_shared_page in
 * cases-io.c is one, made from seed 1's request 97824.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"
#include "vscsi-fuzz.h"

#define PLAN_ALL	(VSCSI_FUZZ_PLAN_REQ | VSCSI_FUZZ_PLAN_IOCTL)

/* ------------------------------------------------------------------ */
/* Plans                                                               */

void vscsi_fuzz_plan_print(FILE *fp, const unsigned char *plan,
			   unsigned long len)
{
	const char *sep = "";
	unsigned long b, e;

	for (b = 0; b < len; b = e) {
		e = b + 1;
		if (!plan[b])
			continue;
		if (plan[b] != PLAN_ALL) {
			fprintf(fp, "%s%lu%c", sep, b,
				plan[b] == VSCSI_FUZZ_PLAN_REQ ? 'r' : 'i');
			sep = ",";
			continue;
		}
		while (e < len && plan[e] == PLAN_ALL)
			e++;
		if (e - b > 1)
			fprintf(fp, "%s%lu-%lu", sep, b, e - 1);
		else
			fprintf(fp, "%s%lu", sep, b);
		sep = ",";
	}
	if (!*sep)
		fprintf(fp, "none");
}

/* One item: "B", "B-E", "Br" or "Bi". */
static int plan_item(const char *s, unsigned long *b, unsigned long *e,
		     unsigned char *parts)
{
	char *end;

	*b = strtoul(s, &end, 10);
	*e = *b;
	*parts = PLAN_ALL;
	if (end == s)
		return -EINVAL;
	if (*end == '-')
		*e = strtoul(end + 1, &end, 10);
	else if (*end == 'r')
		*parts = VSCSI_FUZZ_PLAN_REQ, end++;
	else if (*end == 'i')
		*parts = VSCSI_FUZZ_PLAN_IOCTL, end++;
	if ((*end && *end != ',') || *e < *b || *e > 100000000)
		return -EINVAL;
	return 0;
}

int vscsi_fuzz_plan_parse(const char *s, unsigned char **plan,
			  unsigned long *len)
{
	unsigned long b, e, n = 0;
	unsigned char parts, *p = NULL, *q;
	const char *at;

	for (at = s; at && *at; at = strchr(at, ','), at = at ? at + 1 : NULL) {
		if (plan_item(at, &b, &e, &parts))
			goto err;
		if (e + 1 > n) {
			q = realloc(p, e + 1);
			if (!q)
				goto err;
			memset(q + n, 0, e + 1 - n);
			p = q;
			n = e + 1;
		}
		memset(p + b, parts, e - b + 1);
	}
	if (!n)
		goto err;
	*plan = p;
	*len = n;
	return 0;
err:
	free(p);
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Shrinking                                                           */

struct shrink {
	struct vscsi_fuzz_opts o;	/* the failing run */
	const char *kind;		/* its violation */
	unsigned char *plan;		/* the smallest plan failing so far */
	unsigned long len, cap;
	unsigned long trials, max_trials;
	struct vscsi_fuzz_stats st;	/* the last failing trial's */
	char why[1024];
};

/*
 * Run @plan (@sh->len batches, the last cut to @cap requests): 1 if it
 * fails as the original did (then it becomes @sh's plan, cut after the
 * batch that failed), 0 if not, -errno on setup errors.
 */
static int trial(struct shrink *sh, unsigned char *plan, unsigned long cap)
{
	struct vscsi_fuzz_opts o = sh->o;
	struct vscsi_fuzz_stats st;
	char why[1024];
	int ret;

	if (sh->trials >= sh->max_trials)
		return 0;
	sh->trials++;
	o.plan = plan;
	o.plan_len = sh->len;
	o.last_cap = cap;
	o.count = ULONG_MAX;
	o.log = NULL;
	ret = vscsi_fuzz_run(&o, &st, why, sizeof(why));
	if (ret < 0)
		return ret;
	ret = ret && st.fail_kind == sh->kind;
	fprintf(sh->o.log, "shrink: trial %lu: plan ", sh->trials);
	vscsi_fuzz_plan_print(sh->o.log, plan, sh->len);
	fprintf(sh->o.log, " last-cap %lu: %lu requests, %s\n", cap,
		st.requests, ret ? "fails the same way" : "passes");
	if (!ret)
		return 0;
	if (plan != sh->plan)
		memcpy(sh->plan, plan, sh->len);
	if (st.fail_batch + 1 < sh->len) {
		sh->len = st.fail_batch + 1;
		sh->cap = 0;
	} else {
		sh->cap = cap;
	}
	sh->st = st;
	memcpy(sh->why, why, sizeof(why));
	return 1;
}

/* Step 1: the failing batch alone. */
static int shrink_alone(struct shrink *sh, unsigned char *tmp)
{
	memset(tmp, 0, sh->len);
	tmp[sh->len - 1] = PLAN_ALL;
	return trial(sh, tmp, 0);
}

/* Step 2: drop chunks of the batches before the last, halving them. */
static int shrink_chunks(struct shrink *sh, unsigned char *tmp)
{
	unsigned long chunk, b, e, i;
	bool any;
	int ret;

	for (chunk = sh->len / 2; chunk >= 1; chunk /= 2) {
		for (b = 0; b + 1 < sh->len; b += chunk) {
			e = b + chunk < sh->len - 1 ? b + chunk : sh->len - 1;
			memcpy(tmp, sh->plan, sh->len);
			for (any = false, i = b; i < e; i++) {
				any |= tmp[i] != 0;
				tmp[i] = 0;
			}
			if (!any)
				continue;
			ret = trial(sh, tmp, sh->cap);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* Step 3: each kept batch as its requests only, or its ioctl only. */
static int shrink_parts(struct shrink *sh, unsigned char *tmp)
{
	unsigned long b;
	unsigned int k;
	int ret;

	for (b = 0; b < sh->len; b++) {
		for (k = 0; k < 2 && sh->plan[b] == PLAN_ALL; k++) {
			memcpy(tmp, sh->plan, sh->len);
			tmp[b] = k ? VSCSI_FUZZ_PLAN_IOCTL : VSCSI_FUZZ_PLAN_REQ;
			ret = trial(sh, tmp, b + 1 == sh->len ? sh->cap : 0);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* Step 4: the fewest requests of the last batch that still fail. */
static int shrink_cap(struct shrink *sh, unsigned int queues)
{
	unsigned long lo = 1, hi = sh->cap ? sh->cap : 4 + 1 + 48 * queues;
	unsigned long mid;
	int ret;

	if (!(sh->plan[sh->len - 1] & VSCSI_FUZZ_PLAN_REQ))
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		ret = trial(sh, sh->plan, mid);
		if (ret < 0)
			return ret;
		if (ret)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static int shrink_steps(struct shrink *sh)
{
	unsigned char *tmp = malloc(sh->len);
	int ret;

	if (!tmp)
		return -ENOMEM;
	ret = shrink_alone(sh, tmp);
	if (!ret)
		ret = shrink_chunks(sh, tmp);
	if (ret >= 0)
		ret = shrink_parts(sh, tmp);
	if (ret >= 0)
		ret = shrink_cap(sh, sh->o.queues);
	free(tmp);
	return ret < 0 ? ret : 0;
}

int vscsi_fuzz_shrink(const struct vscsi_fuzz_opts *opts,
		      unsigned char **plan_out, unsigned long *plan_len,
		      unsigned long *last_cap)
{
	struct shrink sh = { .o = *opts, .max_trials = 200 };
	int ret;

	if (!sh.o.log)
		sh.o.log = stderr;
	ret = vscsi_fuzz_run(opts, &sh.st, sh.why, sizeof(sh.why));
	if (ret <= 0)
		return ret < 0 ? ret : 1;
	fprintf(sh.o.log, "shrink: the run fails in batch %lu: %s\n",
		sh.st.fail_batch, sh.why);
	sh.kind = sh.st.fail_kind;
	sh.len = sh.st.fail_batch + 1;
	sh.plan = malloc(sh.len);
	if (!sh.plan)
		return -ENOMEM;
	memset(sh.plan, PLAN_ALL, sh.len);
	ret = shrink_steps(&sh);
	if (ret) {
		free(sh.plan);
		return ret;
	}
	fprintf(sh.o.log, "shrink: %lu trials; %lu requests still fail: %s\n",
		sh.trials, sh.st.requests, sh.why);
	*plan_out = sh.plan;
	*plan_len = sh.len;
	*last_cap = sh.cap;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */

static int fuzz_usage(void)
{
	fprintf(stderr,
		"usage: vscsi fuzz --wwpn WWPN [--seed S] [--count N] [--queues Q]\n"
		"                  [--target T] [--luns L,L...] [--slow-lun L]\n"
		"                  [--timeout MS] [--mem-bound KB] [--dev PATH]\n"
		"                  [--plan PLAN [--last-cap N]] [--shrink]\n"
		"  Fuzz the device with N requests drawn from seed S; exit 1 on\n"
		"  the first broken invariant, printing how to replay it.\n"
		"  --plan runs only the batches PLAN lists (\"0-3,7,9r,12i\": r\n"
		"  their requests only, i their ioctl only), --last-cap cuts the\n"
		"  last to N requests; --shrink turns a failing run into the\n"
		"  smallest plan that still fails the same way and prints it.\n");
	return 2;
}

static int parse_luns(struct vscsi_fuzz_opts *o, char *s)
{
	char *tok, *save = NULL;

	o->nluns = 0;
	for (tok = strtok_r(s, ",", &save); tok && o->nluns < VSCSI_FUZZ_MAX_LUNS;
	     tok = strtok_r(NULL, ",", &save))
		o->luns[o->nluns++] = strtoul(tok, NULL, 0);
	return o->nluns ? 0 : -EINVAL;
}

static int fuzz_parse(struct vscsi_fuzz_opts *o, int argc, char **argv,
		      bool *shrink)
{
	static const struct option lo[] = {
		{ "wwpn", 1, NULL, 'w' }, { "seed", 1, NULL, 's' },
		{ "count", 1, NULL, 'n' }, { "queues", 1, NULL, 'q' },
		{ "target", 1, NULL, 't' }, { "luns", 1, NULL, 'l' },
		{ "slow-lun", 1, NULL, 'S' }, { "timeout", 1, NULL, 'T' },
		{ "mem-bound", 1, NULL, 'm' }, { "dev", 1, NULL, 'd' },
		{ "plan", 1, NULL, 'p' }, { "last-cap", 1, NULL, 'c' },
		{ "shrink", 0, NULL, 'x' }, { NULL, 0, NULL, 0 },
	};
	unsigned char *plan;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'w': o->wwpn = optarg; break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'n': o->count = strtoul(optarg, NULL, 0); break;
		case 'q': o->queues = strtoul(optarg, NULL, 0); break;
		case 't': o->target = strtoul(optarg, NULL, 0); break;
		case 'l': if (parse_luns(o, optarg)) return -EINVAL; break;
		case 'S': o->slow_lun = strtol(optarg, NULL, 0); break;
		case 'T': o->timeout_ms = strtol(optarg, NULL, 0); break;
		case 'm': o->mem_bound_kb = strtol(optarg, NULL, 0); break;
		case 'd': o->path = optarg; break;
		case 'c': o->last_cap = strtoul(optarg, NULL, 0); break;
		case 'x': *shrink = true; break;
		case 'p':
			if (vscsi_fuzz_plan_parse(optarg, &plan, &o->plan_len))
				return -EINVAL;
			o->plan = plan;
			o->count = ULONG_MAX;
			break;
		default: return -EINVAL;
		}
	}
	return o->wwpn && o->queues ? 0 : -EINVAL;
}

/* The options that select the device and the run, as arguments. */
static void print_args(FILE *fp, const struct vscsi_fuzz_opts *o)
{
	unsigned int i;

	fprintf(fp, "vscsi fuzz --wwpn %s --target %u --luns ", o->wwpn,
		o->target);
	for (i = 0; i < o->nluns; i++)
		fprintf(fp, "%s%u", i ? "," : "", o->luns[i]);
	fprintf(fp, " --slow-lun %d --queues %u --seed %" PRIu64, o->slow_lun,
		o->queues, o->seed);
}

static int fuzz_shrink_main(struct vscsi_fuzz_opts *o)
{
	unsigned char *plan;
	unsigned long len, cap;
	int ret = vscsi_fuzz_shrink(o, &plan, &len, &cap);

	if (ret < 0) {
		fprintf(stderr, "vscsi fuzz: setup: %s\n", strerror(-ret));
		return 1;
	}
	if (ret) {
		printf("shrink: the run passes, nothing to shrink\n");
		return 0;
	}
	printf("reproducer: ");
	print_args(stdout, o);
	printf(" --plan ");
	vscsi_fuzz_plan_print(stdout, plan, len);
	if (cap)
		printf(" --last-cap %lu", cap);
	printf("\n");
	free(plan);
	return 1;
}

int vscsi_fuzz_main(int argc, char **argv)
{
	struct vscsi_fuzz_opts o = {
		.target = 1, .nluns = 1, .slow_lun = -1, .seed = 1,
		.count = 10000, .queues = 4, .log = stderr,
	};
	struct vscsi_fuzz_stats s;
	bool shrink = false;
	char why[1024];
	int ret;

	o.path = getenv("VSCSI_DEV");
	if (fuzz_parse(&o, argc, argv, &shrink))
		return fuzz_usage();
	printf("fuzz: seed %" PRIu64 " count %lu queues %u\n", o.seed,
	       o.count, o.queues);
	fflush(stdout);
	if (shrink)
		return fuzz_shrink_main(&o);
	ret = vscsi_fuzz_run(&o, &s, why, sizeof(why));
	vscsi_fuzz_print(stdout, &o, &s);
	if (ret < 0) {
		fprintf(stderr, "vscsi fuzz: setup: %s\n", strerror(-ret));
		return 1;
	}
	if (!ret)
		return 0;
	printf("FAIL: %s\nreplay: ", why);
	print_args(stdout, &o);
	if (o.plan) {
		printf(" --plan ");
		vscsi_fuzz_plan_print(stdout, o.plan, o.plan_len);
		if (o.last_cap)
			printf(" --last-cap %lu", o.last_cap);
	} else {
		printf(" --count %lu", s.requests);
	}
	printf("\nshrink: the same with --shrink\n");
	return 1;
}
