// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer (tools/vhost-scsi/vscsi-fuzz.c) as a case: hostile requests
 * on every queue, interleaved ioctls, every invariant checked as it runs.
 * VSCSI_FUZZ_SEED and VSCSI_FUZZ_COUNT choose the run (run-all's debug
 * lane sends fewer requests), VSCSI_FUZZ_MEM_BOUND_KB the Slab growth
 * allowed after close (the debug kernel's KASAN quarantine holds freed
 * objects); a failure names the seed and the request count that replay
 * it with "vscsi fuzz".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi-test.h"
#include "../../vhost-scsi/vscsi-fuzz.h"

/*
 * Requests per run on Debian's kernel: 1,000-1,500 requests/s in the TCG
 * VM on a loaded machine, so about 70 s.  (Seed 1's request 97824 found
 * the stray write inquiry_data_in_shared_page now replays: see the note in
 * tools/vhost-scsi/vscsi-fuzz.c.)
 */
#define FUZZ_COUNT	90000

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static int fuzz_run(struct tctx *t, uint64_t seed, unsigned int queues)
{
	struct vscsi_fuzz_opts o = {
		.path = t->cfg->dev_path,
		.wwpn = t->cfg->wwpn,
		.target = t->cfg->target,
		.slow_lun = t->cfg->slow_lun,
		.seed = env_ul("VSCSI_FUZZ_SEED", seed),
		.count = env_ul("VSCSI_FUZZ_COUNT", FUZZ_COUNT),
		.queues = queues,
		.mem_bound_kb = env_ul("VSCSI_FUZZ_MEM_BOUND_KB", 0),
		.log = stderr,
	};
	struct vscsi_fuzz_stats s;
	char why[1024], line[512];
	unsigned int i;
	FILE *mem;
	int ret;

	ret = fix_need_wwpn(t);
	if (ret)
		return ret;
	for (i = 0; i < t->cfg->nluns && o.nluns < VSCSI_FUZZ_MAX_LUNS; i++)
		if ((int)t->cfg->luns[i] != t->cfg->slow_lun)
			o.luns[o.nluns++] = t->cfg->luns[i];
	if (!o.nluns)
		return tskip(t, "no LUN but the slow one to fuzz");
	ret = vscsi_fuzz_run(&o, &s, why, sizeof(why));
	mem = fmemopen(line, sizeof(line), "w");
	if (mem) {
		vscsi_fuzz_print(mem, &o, &s);
		fclose(mem);
		tnote(t, "%s", line);
	}
	if (ret < 0)
		return tfail(t, "expected the fuzzer's device to start, got %s",
			     err_name(ret));
	if (ret)
		return tfail(t, "%s (replay: vscsi fuzz --wwpn %s --target %u --luns %u --slow-lun %d --seed %llu --count %lu --queues %u)",
			     why, o.wwpn, o.target, o.luns[0], o.slow_lun,
			     (unsigned long long)o.seed, s.requests, queues);
	return T_PASS;
}

/* Four request queues: every queue of the device at once. */
static int fuzz_requests(struct tctx *t)
{
	return fuzz_run(t, 1, 4);
}

const struct tcase fuzz_cases[] = {
	{ "fuzz_requests", fuzz_requests },
	{ NULL, NULL },
};
