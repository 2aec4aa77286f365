/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test harness: each case is a function; CHECK() records the
 * first failure with what was expected and what came back.  main() prints
 * "PASS: name" / "FAIL: name: ..." per case and "N passed, M failed".
 */
#ifndef _VHOST_SCSI_CHECK_H_
#define _VHOST_SCSI_CHECK_H_

#include <stdio.h>
#include <string.h>

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

static inline int check_run(const struct check_case *cases, size_t n,
			    int argc, char **argv)
{
	int passed = 0, failed = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		check_failed = 0;
		check_msg[0] = '\0';
		cases[i].fn();
		if (check_failed) {
			printf("FAIL: %s: %s\n", cases[i].name, check_msg);
			failed++;
		} else {
			printf("PASS: %s\n", cases[i].name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define CASE(fn) { #fn, fn }

#endif
