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
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vscsi-test.h"
#include "../../vhost-scsi/vscsi-fuzz.h"

/*
 * Requests per run on Debian's kernel: the million, 412 s in the
 * TCG VM with the admin churn (2,425 requests/s; the case 481 s with its
 * setup and teardown).  The fuzzer's own process is what bounds the rate
 * there (268.8 s of user CPU: poisoning, copying and comparing each
 * request's guard pages; see "fuzz: time" in the case's notes).  (Seed 1's request 97824, before batches drew from
 * their own generators, found the stray write inquiry_data_in_shared_page
 * now replays: see the note in tools/vhost-scsi/vscsi-fuzz.c.)
 */
#define FUZZ_COUNT	1000000

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* ------------------------------------------------------------------ */
/* Admin churn                                                         */

#define CHURN_TPG	3	/* a spare TPG the fuzzer also addresses */
#define CHURN_NEXUS	"naa.5001405000000333"
#define CHURN_NEW_LUN	4	/* VSCSI_HOTPLUG_LUN + 4: a LUN linked anew */
#define CHURN_STUCK_MS	60000	/* one configfs call longer: stuck */

enum { CH_RELINK, CH_NEW_LUN, CH_NEXUS, CH_TPG_RM, CH_WWN_RM, CH_SPARE, CH_N };

static const char *const churn_names[CH_N] = {
	"LUN relinks", "new-LUN links", "nexus drops refused",
	"TPG deletes refused", "WWN deletes refused", "spare TPG cycles",
};

/*
 * Shared between the fuzzer (this process) and the admin (a child): the
 * lock orders the fuzzer's endpoint transitions (fuzz_bound()) against
 * the admin's attempts that must fail while the endpoint is held, so
 * that @bound cannot change under such an attempt.
 */
struct churn {
	pthread_mutex_t lock;
	bool bound;			/* the fuzzer holds its endpoint */
	bool stop, done, failed;
	int64_t op_start;		/* ms, 0 between configfs calls */
	char op[64];
	char msg[256];			/* the first broken expectation */
	unsigned long count[CH_N];
	/* The churned LUN's port, to link it back as it was. */
	int lun;			/* -1: none */
	char port[128], backstore[512];
	uint64_t rng;
	const struct tconfig *cfg;
};

static void churn_bound(void *arg, bool bound)
{
	struct churn *c = arg;

	pthread_mutex_lock(&c->lock);
	c->bound = bound;
	pthread_mutex_unlock(&c->lock);
}

static const char *churn_check(void *arg)
{
	struct churn *c = arg;
	int64_t start = __atomic_load_n(&c->op_start, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&c->failed, __ATOMIC_ACQUIRE))
		return c->msg;
	if (start && vscsi_now_ms() - start > CHURN_STUCK_MS) {
		snprintf(c->msg, sizeof(c->msg), "%s stuck for over %d s",
			 c->op, CHURN_STUCK_MS / 1000);
		return c->msg;
	}
	return NULL;
}

static void op_begin(struct churn *c, const char *op)
{
	snprintf(c->op, sizeof(c->op), "%s", op);
	__atomic_store_n(&c->op_start, vscsi_now_ms(), __ATOMIC_RELEASE);
}

/* End @c->op with result @ret: fail the churn unless ok1 or ok2. */
static bool op_end(struct churn *c, int ret, int ok1, int ok2)
{
	__atomic_store_n(&c->op_start, 0, __ATOMIC_RELEASE);
	if (ret == ok1 || ret == ok2)
		return true;
	snprintf(c->msg, sizeof(c->msg), "expected %s to return %s, got %s",
		 c->op, err_name(ok1), err_name(ret));
	__atomic_store_n(&c->failed, true, __ATOMIC_RELEASE);
	return false;
}

/* Unlink the churned LUN (commands in flight to it) and link it back. */
static bool churn_relink(struct churn *c)
{
	op_begin(c, "unlink of the fuzzed LUN");
	if (!op_end(c, lio_lun_unlink_port(c->cfg, c->lun, c->port), 0, 0))
		return false;
	usleep(c->rng % 20000);
	op_begin(c, "link of the fuzzed LUN");
	return op_end(c, lio_lun_link_to(c->cfg, c->lun, c->port,
					 c->backstore), 0, 0);
}

static bool churn_new_lun(struct churn *c)
{
	unsigned int lun = c->cfg->hotplug_lun + CHURN_NEW_LUN;

	op_begin(c, "link of a new LUN");
	if (!op_end(c, lio_lun_link(c->cfg, lun), 0, 0))
		return false;
	op_begin(c, "unlink of the new LUN");
	return op_end(c, lio_lun_unlink(c->cfg, lun), 0, 0);
}

/*
 * Attempts that must fail while the fuzzer holds its endpoint: a nexus
 * drop (EBUSY), rmdir of its TPG (EBUSY, or ENOTEMPTY for its LUNs) and
 * of its WWN (ENOTEMPTY: its TPGs).  The last two must fail unbound too.
 */
static bool churn_refused(struct churn *c, unsigned int op)
{
	bool ok = true;

	pthread_mutex_lock(&c->lock);
	if (op == CH_NEXUS && c->bound) {
		op_begin(c, "nexus drop on the bound TPG");
		ok = op_end(c, lio_nexus_set(c->cfg, c->cfg->target, "NULL"),
			    -EBUSY, -EBUSY);
	} else if (op == CH_TPG_RM) {
		op_begin(c, "rmdir of the fuzzed TPG");
		ok = op_end(c, lio_tpg_remove(c->cfg, c->cfg->target), -EBUSY,
			    -ENOTEMPTY);
	} else if (op == CH_WWN_RM) {
		op_begin(c, "rmdir of the fuzzed WWN");
		ok = op_end(c, lio_wwn_remove(c->cfg), -EBUSY, -ENOTEMPTY);
	} else {
		c->count[op]--;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

/*
 * A spare TPG with a nexus, made and removed: its rmdir fails with EBUSY
 * while a SET_ENDPOINT of the fuzzer holds it, and then is retried.
 */
static bool churn_spare(struct churn *c)
{
	int ret;

	op_begin(c, "mkdir of the spare TPG");
	ret = lio_tpg_add(c->cfg, CHURN_TPG);
	if (!op_end(c, ret, 0, -EEXIST))
		return false;
	if (!ret) {
		op_begin(c, "nexus write on the spare TPG");
		if (!op_end(c, lio_nexus_set(c->cfg, CHURN_TPG, CHURN_NEXUS),
			    0, 0))
			return false;
	}
	usleep(c->rng % 20000);
	op_begin(c, "rmdir of the spare TPG");
	return op_end(c, lio_tpg_remove(c->cfg, CHURN_TPG), 0, -EBUSY);
}

static void churn_loop(struct churn *c)
{
	unsigned int op;
	bool ok = true;

	while (ok && !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		c->rng = c->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		op = (c->rng >> 33) % CH_N;
		c->count[op]++;
		if (op == CH_RELINK && c->lun >= 0)
			ok = churn_relink(c);
		else if (op == CH_RELINK)
			c->count[op]--;
		else if (op == CH_NEW_LUN)
			ok = churn_new_lun(c);
		else if (op == CH_SPARE)
			ok = churn_spare(c);
		else
			ok = churn_refused(c, op);
		usleep(1000 + (c->rng >> 40) % 30000);
	}
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
}

static struct churn *churn_start(struct tctx *t, int lun, uint64_t seed,
				 pid_t *pid)
{
	pthread_mutexattr_t a;
	struct churn *c;

	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	memset(c, 0, sizeof(*c));
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&c->lock, &a);
	pthread_mutexattr_destroy(&a);
	c->cfg = t->cfg;
	c->rng = seed;
	c->lun = lun;
	if (lun >= 0 && lio_lun_port(t->cfg, lun, c->port, sizeof(c->port),
				     c->backstore, sizeof(c->backstore)))
		c->lun = -1;
	*pid = fork();
	if (*pid == 0) {
		churn_loop(c);
		_exit(0);
	}
	if (*pid < 0) {
		munmap(c, sizeof(*c));
		return NULL;
	}
	return c;
}

/*
 * Stop the admin, wait for it, put back what it may have left changed.
 * Return: the admin's broken expectation, or NULL.
 */
static const char *churn_stop(struct churn *c, pid_t pid, char *buf,
			      size_t len)
{
	int64_t end = vscsi_now_ms() + CHURN_STUCK_MS;
	const char *msg;
	int tries;

	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) &&
	       vscsi_now_ms() < end)
		usleep(10000);
	if (!c->done) {
		snprintf(buf, len, "%s stuck for over %d s", c->op,
			 CHURN_STUCK_MS / 1000);
		return buf;	/* the child stays: it is in the kernel */
	}
	waitpid(pid, NULL, 0);
	if (c->lun >= 0 && lio_lun_port(c->cfg, c->lun, buf, len, buf, len))
		lio_lun_link_to(c->cfg, c->lun, c->port, c->backstore);
	lio_lun_unlink(c->cfg, c->cfg->hotplug_lun + CHURN_NEW_LUN);
	for (tries = 0; tries < 100 && lio_tpg_remove(c->cfg, CHURN_TPG) == -EBUSY;
	     tries++)
		usleep(10000);
	msg = c->failed ? c->msg : NULL;
	if (msg)
		snprintf(buf, len, "%s", msg);
	return msg ? buf : NULL;
}

static void churn_note(struct tctx *t, const struct churn *c)
{
	char line[512];
	unsigned int i;
	int n = 0;

	for (i = 0; i < CH_N && n >= 0 && (size_t)n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%lu %s",
			      i ? ", " : "admin churn: ", c->count[i],
			      churn_names[i]);
	tnote(t, "%s", line);
}

/* The fuzzer's options for this run: every LUN but the slow one. */
static void fuzz_opts(struct tctx *t, struct vscsi_fuzz_opts *o,
		      uint64_t seed, unsigned int queues)
{
	unsigned int i;

	*o = (struct vscsi_fuzz_opts){
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
	for (i = 0; i < t->cfg->nluns && o->nluns < VSCSI_FUZZ_MAX_LUNS; i++)
		if ((int)t->cfg->luns[i] != t->cfg->slow_lun)
			o->luns[o->nluns++] = t->cfg->luns[i];
}

static void fuzz_note(struct tctx *t, const struct vscsi_fuzz_opts *o,
		      const struct vscsi_fuzz_stats *s)
{
	char text[1536], *line, *save = NULL;
	FILE *mem = fmemopen(text, sizeof(text), "w");

	if (!mem)
		return;
	vscsi_fuzz_print(mem, o, s);
	fclose(mem);
	text[sizeof(text) - 1] = '\0';
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		tnote(t, "%s", line);
}

/*
 * The fuzzer with the admin churn beside it (a child process): LUN
 * unlink and relink of the fuzzed LUN o.luns[1], a new LUN linked and
 * unlinked, nexus drop and TPG and WWN delete attempts that must fail,
 * a spare TPG made and removed.
 */
static int fuzz_run(struct tctx *t, uint64_t seed, unsigned int queues)
{
	struct vscsi_fuzz_opts o;
	struct vscsi_fuzz_stats s;
	char why[1024], msg[256];
	const char *cmsg;
	struct churn *c;
	pid_t pid;
	int ret;

	ret = fix_need_wwpn(t);
	if (!ret)
		ret = fix_need_hotplug(t);
	if (ret)
		return ret;
	fuzz_opts(t, &o, seed, queues);
	if (!o.nluns)
		return tskip(t, "no LUN but the slow one to fuzz");
	c = churn_start(t, o.nluns > 1 ? (int)o.luns[1] : -1, o.seed, &pid);
	if (!c)
		return tfail(t, "expected the admin process to start, got %s",
			     err_name(-errno));
	o.bound = churn_bound;
	o.check = churn_check;
	o.arg = c;
	ret = vscsi_fuzz_run(&o, &s, why, sizeof(why));
	cmsg = churn_stop(c, pid, msg, sizeof(msg));
	fuzz_note(t, &o, &s);
	churn_note(t, c);
	if (c->done)
		munmap(c, sizeof(*c));
	if (ret < 0)
		return tfail(t, "expected the fuzzer's device to start, got %s",
			     err_name(ret));
	if (ret)
		return tfail(t, "%s (replay: vscsi fuzz --wwpn %s --target %u --luns %u,%u --slow-lun %d --seed %llu --count %lu --queues %u; add --shrink for a small reproducer; the admin churn is not replayed)",
			     why, o.wwpn, o.target, o.luns[0],
			     o.luns[o.nluns > 1], o.slow_lun,
			     (unsigned long long)o.seed, s.requests, queues);
	if (cmsg)
		return tfail(t, "admin churn: %s", cmsg);
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
