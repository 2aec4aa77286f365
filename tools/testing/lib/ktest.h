/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktest.h - the one result printer of the project's C tests (the unit
 * tests, vscsi-unit, vscsi-test); tools/testing/lib/ktest.sh is its
 * shell twin.  Output, parsed by tools/testing/run-all (keep it exact):
 *
 *   PASS: <name>
 *   FAIL: <name>: <reason>
 *   SKIP: <name>: <reason>
 *   N passed, M failed[, K skipped]
 *
 * Every line is flushed before the next case runs, so that a sanitizer
 * abort or a crash in one case cannot take the lines of the cases before
 * it along.  A program lists the names it will run with -l (one a line,
 * nothing run); run-all reports every listed name that printed no line
 * as failed, so a case that never reports is never simply missing.
 */
#ifndef KTEST_H
#define KTEST_H

#include <stdarg.h>
#include <stdio.h>

enum ktest_result { KTEST_PASS, KTEST_FAIL, KTEST_SKIP, KTEST_NR };

/* Outcome counts of this program, indexed by enum ktest_result. */
static inline unsigned int *ktest_counts(void)
{
	static unsigned int counts[KTEST_NR];

	return counts;
}

/* Call first: results must reach a pipe line by line. */
static inline void ktest_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/*
 * Print @name's result with @reason (ignored for a pass, required
 * otherwise); return @r.  Any other value of @r counts as a failure.
 */
static inline int ktest_report(int r, const char *name, const char *reason)
{
	static const char *const word[] = { "PASS", "FAIL", "SKIP" };

	if (r != KTEST_PASS && r != KTEST_SKIP)
		r = KTEST_FAIL;
	if (r == KTEST_PASS)
		printf("PASS: %s\n", name);
	else
		printf("%s: %s: %s\n", word[r], name,
		       reason && *reason ? reason : "no reason given");
	fflush(stdout);
	ktest_counts()[r]++;
	return r;
}

static inline int ktest_vreport(int r, const char *name, const char *fmt,
				va_list ap)
{
	char reason[512];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	return ktest_report(r, name, reason);
}

static inline int ktest_pass(const char *name)
{
	return ktest_report(KTEST_PASS, name, NULL);
}

static inline __attribute__((format(printf, 2, 3)))
int ktest_fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ktest_vreport(KTEST_FAIL, name, fmt, ap);
	va_end(ap);
	return r;
}

static inline __attribute__((format(printf, 2, 3)))
int ktest_skip(const char *name, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ktest_vreport(KTEST_SKIP, name, fmt, ap);
	va_end(ap);
	return r;
}

/* The closing "N passed, M failed" line; returns the exit status. */
static inline int ktest_summary(void)
{
	const unsigned int *n = ktest_counts();

	printf("%u passed, %u failed", n[KTEST_PASS], n[KTEST_FAIL]);
	if (n[KTEST_SKIP])
		printf(", %u skipped", n[KTEST_SKIP]);
	printf("\n");
	fflush(stdout);
	return n[KTEST_FAIL] ? 1 : 0;
}

#endif /* KTEST_H */
