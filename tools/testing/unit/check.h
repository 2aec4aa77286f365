/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test harness: each case is a function; CHECK() records the
 * first failure with what was expected and what came back.  check_run()
 * reports each case through ../lib/ktest.h.
 */
#ifndef _VHOST_SCSI_CHECK_H_
#define _VHOST_SCSI_CHECK_H_

#include <stdio.h>
#include <string.h>

#include "../lib/ktest.h"

static char check_msg[512];
static int check_failed;

#define CHECK_EQ(what, got, want) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	if (!check_failed && _g != _w) {				\
		snprintf(check_msg, sizeof(check_msg),			\
			 "%s: expected %lld (0x%llx), got %lld (0x%llx)", \
			 what, _w, (unsigned long long)_w, _g,		\
			 (unsigned long long)_g);			\
		check_failed = 1;					\
	}								\
} while (0)

#define CHECK_MEM(what, got, want, len) do {				\
	if (!check_failed && memcmp(got, want, len)) {			\
		snprintf(check_msg, sizeof(check_msg),			\
			 "%s: bytes differ", what);			\
		check_failed = 1;					\
	}								\
} while (0)

struct check_case {
	const char *name;
	void (*fn)(void);
};

/*
 * Run the cases whose name contains argv[1] (all without it), or with
 * "-l" list every name and run nothing.  Output through ktest.h.
 */
static inline int check_run(const struct check_case *cases, size_t n,
			    int argc, char **argv)
{
	size_t i;

	ktest_init();
	for (i = 0; i < n; i++) {
		if (argc > 1 && !strcmp(argv[1], "-l")) {
			puts(cases[i].name);
			continue;
		}
		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		check_failed = 0;
		check_msg[0] = '\0';
		cases[i].fn();
		if (check_failed)
			ktest_report(KTEST_FAIL, cases[i].name, check_msg);
		else
			ktest_pass(cases[i].name);
	}
	if (argc > 1 && !strcmp(argv[1], "-l"))
		return 0;
	return ktest_summary();
}

#define CASE(fn) { #fn, fn }

#endif
