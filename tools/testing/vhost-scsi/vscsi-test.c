// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi-test - named test cases for /dev/vhost-scsi, driven through
 * libvhost-scsi.
 *
 * usage: vscsi-test [-l] [-x GLOB]... [GLOB...]
 *   -l      list case names and exit
 *   -x GLOB leave out cases whose name matches the shell glob (repeatable)
 *   GLOB    run only cases whose name matches one of the shell globs
 *
 * Output through ../lib/ktest.h (FAIL reasons read "expected <X>, got
 * <Y>"); -l lists what the same arguments would run, which run-all takes
 * as the cases this run promises.  Notes go to stderr prefixed "# ".
 * Exit status is 1 iff a case failed.
 *
 * Environment (defaults match setup-targets.sh):
 *   VSCSI_DEV            /dev/vhost-scsi
 *   VSCSI_WWPN           vhost WWPN with a nexus; unset: such cases skip
 *   VSCSI_TARGET         virtio-scsi target id = TPG tag (1)
 *   VSCSI_LUNS           LUNs mapped in that TPG ("0,1"); the first one
 *                        takes the I/O and must be writable scratch space
 *   VSCSI_LUN_BYTES      their sizes in bytes ("67108864,33554432")
 *   VSCSI_MISSING_LUN    a LUN that is not mapped (7)
 *   VSCSI_MISSING_TARGET a target id with no TPG (7)
 *   VSCSI_DROP_MS        how long to wait before calling a request
 *                        dropped (2000)
 *   VSCSI_SLOW_LUN       a LUN whose reads take VSCSI_SLOW_MS (2000) ms
 *                        (dm-delay); unset: in-flight TMF cases skip
 *   VSCSI_HOTPLUG_BACKSTORE  configfs directory of a backstore the event
 *                        cases link as extra LUNs; unset: they skip
 *   VSCSI_HOTPLUG_LUN    first of the LUN numbers they use (20)
 *   VSCSI_WP_TARGET      target id of a TPG whose LUN 0 is mapped
 *                        write-protected; unset: those cases skip
 *   VSCSI_PI_TARGET      target id of a TPG whose LUN 0 is formatted with
 *                        T10-PI type 1; unset: the protection cases skip
 *   VSCSI_FABRIC_PI_TARGET  target id of a TPG with fabric_prot_type 1
 *   VSCSI_FAIL_FAST      1: stop after the first failing case (make
 *                        mutants: one failure is enough to kill a mutant)
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vscsi-test.h"

static void vset(struct tctx *t, const char *fmt, va_list ap)
{
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
}

int tfail(struct tctx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(t, fmt, ap);
	va_end(ap);
	return T_FAIL;
}

int tskip(struct tctx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(t, fmt, ap);
	va_end(ap);
	return T_SKIP;
}

void tnote(struct tctx *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# %s: ", t->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *err_name(int err)
{
	static char buf[32];

	switch (err) {
	case 0:			return "0";
	case -EINVAL:		return "-EINVAL";
	case -ENODEV:		return "-ENODEV";
	case -EEXIST:		return "-EEXIST";
	case -EOPNOTSUPP:	return "-EOPNOTSUPP";
	case -EFAULT:		return "-EFAULT";
	case -ETIMEDOUT:	return "-ETIMEDOUT";
	case -ENOENT:		return "-ENOENT";
	case -EBUSY:		return "-EBUSY";
	case -ENOMEM:		return "-ENOMEM";
	case -EPERM:		return "-EPERM";
	case -EACCES:		return "-EACCES";
	case -EPROTO:		return "-EPROTO (device wrote outside its buffers)";
	}
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

long long now_ms(void)
{
	return vscsi_now_ms();
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static unsigned int parse_list(const char *s, uint64_t *out, unsigned int max)
{
	unsigned int n = 0;
	char *end;

	while (s && *s && n < max) {
		out[n++] = strtoull(s, &end, 0);
		if (end == s)
			break;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static void config_load(struct tconfig *cfg)
{
	uint64_t luns[MAX_LUNS];
	const char *v;
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->dev_path = getenv("VSCSI_DEV") ? getenv("VSCSI_DEV") :
			VSCSI_DEFAULT_PATH;
	v = getenv("VSCSI_WWPN");
	cfg->wwpn = v && *v ? v : NULL;
	cfg->target = env_ul("VSCSI_TARGET", 1);
	v = getenv("VSCSI_LUNS");
	cfg->nluns = parse_list(v ? v : "0,1", luns, MAX_LUNS);
	for (i = 0; i < cfg->nluns; i++)
		cfg->luns[i] = luns[i];
	v = getenv("VSCSI_LUN_BYTES");
	parse_list(v ? v : "67108864,33554432", cfg->lun_bytes, MAX_LUNS);
	cfg->missing_lun = env_ul("VSCSI_MISSING_LUN", 7);
	cfg->missing_target = env_ul("VSCSI_MISSING_TARGET", 7);
	cfg->drop_ms = env_ul("VSCSI_DROP_MS", 2000);
	v = getenv("VSCSI_SLOW_LUN");
	cfg->slow_lun = v && *v ? (int)strtoul(v, NULL, 0) : -1;
	cfg->slow_ms = env_ul("VSCSI_SLOW_MS", 2000);
	v = getenv("VSCSI_HOTPLUG_BACKSTORE");
	cfg->hotplug_backstore = v && *v ? v : NULL;
	cfg->hotplug_lun = env_ul("VSCSI_HOTPLUG_LUN", 20);
	cfg->wp_target = env_ul("VSCSI_WP_TARGET", 0);
	cfg->pi_target = env_ul("VSCSI_PI_TARGET", 0);
	cfg->fabric_pi_target = env_ul("VSCSI_FABRIC_PI_TARGET", 0);
	/*
	 * Debian's module reports used.len 0 for every command.  Its
	 * comparison column keeps that to the used_len_* cases, so that the
	 * other cases still show what else it does; ours is held to it
	 * everywhere.
	 */
	v = getenv("VHOST_SCSI_MODULE");
	cfg->lax_used_len = v && !strcmp(v, "stock");
}

/* One counter of the module's debugfs stats file, or -1. */
long long vhost_stat(const char *name)
{
	FILE *f = fopen(VHOST_STATS, "r");
	char key[64];
	long long val = -1, v;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

int fix_device(struct tctx *t, const struct vscsi_opts *opts)
{
	struct vscsi_opts o = opts ? *opts : (struct vscsi_opts){ 0 };
	int ret;

	if (access(t->cfg->dev_path, F_OK))
		return tskip(t, "%s does not exist (vhost_scsi not loaded)",
			     t->cfg->dev_path);
	o.path = t->cfg->dev_path;
	ret = vscsi_dev_start(&t->dev, &o);
	if (ret)
		return tfail(t, "expected device setup to return 0, got %s",
			     err_name(ret));
	return T_PASS;
}

int fix_need_wwpn(struct tctx *t)
{
	if (!t->cfg->wwpn)
		return tskip(t, "VSCSI_WWPN not set (run setup-targets.sh)");
	return T_PASS;
}

/*
 * Clear unit attentions (e.g. REPORTED LUNS DATA HAS CHANGED after LUNs
 * were added) so cases see the steady state.
 */
static void settle_luns(struct tctx *t)
{
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	unsigned int i, tries;

	for (i = 0; i < t->cfg->nluns; i++) {
		for (tries = 0; tries < 4; tries++) {
			cmd_init(t, &cmd, t->cfg->luns[i]);
			cmd.cdb = cdb;
			cmd.cdb_len = scsi_cdb_tur(cdb);
			if (vscsi_cmd_run(t->dev, &cmd, &res) ||
			    res.status != SCSI_STATUS_CHECK_CONDITION)
				break;
		}
	}
}

int fix_attach(struct tctx *t, const struct vscsi_opts *opts)
{
	int ret = fix_need_wwpn(t);

	if (ret)
		return ret;
	ret = fix_device(t, opts);
	if (ret)
		return ret;
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT(%s) to return 0, got %s",
			     t->cfg->wwpn, err_name(ret));
	settle_luns(t);
	return T_PASS;
}

/* ------------------------------------------------------------------ */
/* Data-path helpers                                                   */

unsigned int lun0(const struct tctx *t)
{
	return t->cfg->nluns ? t->cfg->luns[0] : 0;
}

void cmd_init(struct tctx *t, struct vscsi_cmd *cmd, unsigned int lun)
{
	static uint64_t next_tag = 1;

	memset(cmd, 0, sizeof(*cmd));
	cmd->target = t->cfg->target;
	cmd->lun = lun;
	cmd->tag = next_tag++;
}

void tur_cmd_init(struct tctx *t, struct vscsi_cmd *cmd, unsigned int lun,
		  uint8_t *cdb)
{
	cmd_init(t, cmd, lun);
	cmd->cdb = cdb;
	cmd->cdb_len = scsi_cdb_tur(cdb);
}

void read10_cmd_init(struct tctx *t, struct vscsi_cmd *cmd, unsigned int lun,
		     uint8_t *cdb, uint32_t lba, uint16_t blocks, void *buf,
		     uint32_t len)
{
	cmd_init(t, cmd, lun);
	cmd->cdb = cdb;
	cmd->cdb_len = scsi_cdb_read10(cdb, lba, blocks);
	cmd->data_in = buf;
	cmd->data_in_len = len;
}

int expect_good(struct tctx *t, const char *what,
		const struct vscsi_result *res)
{
	struct scsi_sense s;

	if (res->response != VIRTIO_SCSI_S_OK)
		return tfail(t, "expected %s response OK, got %s(%u)", what,
			     vscsi_response_name(res->response),
			     res->response);
	if (res->overrun)
		return tfail(t, "expected %s to write only its writable "
			     "buffers, %u bytes changed outside them", what,
			     res->overrun);
	if (res->status == SCSI_STATUS_GOOD) {
		if (res->want_used_len && !t->cfg->lax_used_len &&
		    res->used_len != res->want_used_len)
			return tfail(t, "expected %s used.len %u (response + "
				     "data-in), got %u", what,
				     res->want_used_len, res->used_len);
		return T_PASS;
	}
	scsi_sense_parse(res->sense, res->sense_len, &s);
	return tfail(t, "expected %s status GOOD, got 0x%02x sense %x/%02x/%02x",
		     what, res->status, s.key, s.asc, s.ascq);
}

int run_cmd(struct tctx *t, const struct vscsi_cmd *cmd, const char *what,
	    struct vscsi_result *res)
{
	int ret = vscsi_cmd_run(t->dev, cmd, res);

	return ret ? tfail(t, "expected %s answered, got %s", what,
			   err_name(ret)) : T_PASS;
}

int expect_response(struct tctx *t, const char *what,
		    const struct vscsi_result *res, uint8_t want)
{
	struct scsi_sense s;

	if (res->response == want)
		return T_PASS;
	scsi_sense_parse(res->sense, res->sense_len, &s);
	return tfail(t, "expected %s answered %s(%u), got %s(%u) status 0x%02x sense %x/%02x/%02x",
		     what, vscsi_response_name(want), want,
		     vscsi_response_name(res->response), res->response,
		     res->status, s.key, s.asc, s.ascq);
}

int expect_refused(struct tctx *t, const struct vscsi_cmd *cmd, uint8_t want,
		   const char *what)
{
	struct vscsi_result res;
	int ret = run_cmd(t, cmd, what, &res);

	if (!ret)
		ret = expect_response(t, what, &res, want);
	return ret ? ret : run_tur(t, vscsi_req_vq(t->dev, 0),
				   "TUR afterwards");
}

int tur_on(struct tctx *t, struct vscsi_vq *vq, unsigned int lun,
	   struct vscsi_result *res, uint64_t *tag)
{
	struct vscsi_cmd cmd;
	uint8_t cdb[6];

	tur_cmd_init(t, &cmd, lun, cdb);
	if (tag)
		*tag = cmd.tag;
	return vscsi_cmd_run_on(t->dev, vq, &cmd, res);
}

int run_tur(struct tctx *t, struct vscsi_vq *vq, const char *what)
{
	struct vscsi_result res;
	int ret;

	ret = tur_on(t, vq, lun0(t), &res, NULL);
	if (ret)
		return tfail(t, "expected %s to complete, got %s", what,
			     err_name(ret));
	return expect_good(t, what, &res);
}

/* Deterministic, position-dependent bytes: a misplaced block shows. */
void fill_pattern(uint8_t *buf, size_t len, uint64_t lba, unsigned int seed)
{
	uint32_t x = (uint32_t)(lba * 2654435761u) ^ (seed * 40503u) ^ 0x9e37;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = x >> 16;
	}
}

static size_t cdb_rw(uint8_t *cdb, bool write, bool use16, uint64_t lba,
		     uint32_t blocks)
{
	if (use16)
		return write ? scsi_cdb_write16(cdb, lba, blocks) :
			       scsi_cdb_read16(cdb, lba, blocks);
	return write ? scsi_cdb_write10(cdb, lba, blocks) :
		       scsi_cdb_read10(cdb, lba, blocks);
}

static int first_mismatch(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/* Write a pattern at @lba, read it back, compare.  512-byte blocks. */
int write_read_verify(struct tctx *t, struct vscsi_vq *vq, uint64_t lba,
		      uint32_t bytes, bool use16, const struct vscsi_split *wr,
		      const struct vscsi_split *rd, unsigned int seed)
{
	uint8_t *out = malloc(bytes), *in = malloc(bytes), cdb[16];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	int ret, bad;

	if (!out || !in) {
		ret = tfail(t, "expected buffers, got -ENOMEM");
		goto out;
	}
	fill_pattern(out, bytes, lba, seed);
	memset(in, 0, bytes);
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = cdb_rw(cdb, true, use16, lba, bytes / 512);
	cmd.data_out = out;
	cmd.data_out_len = bytes;
	cmd.split = wr;
	ret = vscsi_cmd_run_on(t->dev, vq, &cmd, &res);
	if (ret) {
		ret = tfail(t, "expected WRITE of %u bytes to complete, got %s",
			    bytes, err_name(ret));
		goto out;
	}
	ret = expect_good(t, "WRITE", &res);
	if (ret)
		goto out;
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = cdb_rw(cdb, false, use16, lba, bytes / 512);
	cmd.data_in = in;
	cmd.data_in_len = bytes;
	cmd.split = rd;
	ret = vscsi_cmd_run_on(t->dev, vq, &cmd, &res);
	if (ret) {
		ret = tfail(t, "expected READ of %u bytes to complete, got %s",
			    bytes, err_name(ret));
		goto out;
	}
	ret = expect_good(t, "READ", &res);
	if (ret)
		goto out;
	if (res.resid)
		ret = tfail(t, "expected READ resid 0, got %u", res.resid);
	bad = first_mismatch(out, in, bytes);
	if (!ret && bad >= 0)
		ret = tfail(t, "expected read-back byte %d = 0x%02x, got 0x%02x",
			    bad, out[bad], in[bad]);
out:
	free(out);
	free(in);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Harness                                                             */

static const struct tcase *const suites[] = {
	/*
	 * Debian's module oopses in more_cases (T10-PI bytes beyond the data)
	 * and in sec2_cases' drained reset: those go last, so that its column
	 * has a result for the cases before them.
	 */
	ioctl_cases, io_cases, bad_cases, tmf_cases, evt_cases, change_cases,
	sec_cases, bind_cases, pi_cases, log_cases, more_cases, sec2_cases,
	workers_cases, trace_cases,
	/* Skip on a module without fault points (stock). */
	fault_cases,
	/* Hostile at random: likely to crash Debian's module, so last. */
	fuzz_cases,
	/*
	 * A thousand teardowns under I/O: after the fuzzer, whose hostile
	 * requests it does not depend on, for the same reason.
	 */
	life_cases,
	/* Need two CPUs and race_inject.ko: only the race suite runs them. */
	race_cases,
};

#define MAX_EXCLUDES 16

struct selection {
	int nglobs;
	char **globs;
	int nexcludes;
	const char *excludes[MAX_EXCLUDES];
};

static bool selected(const struct selection *sel, const char *name)
{
	int i;

	for (i = 0; i < sel->nexcludes; i++)
		if (!fnmatch(sel->excludes[i], name, 0))
			return false;
	if (!sel->nglobs)
		return true;
	for (i = 0; i < sel->nglobs; i++)
		if (!fnmatch(sel->globs[i], name, 0))
			return true;
	return false;
}

static int run_case(const struct tconfig *cfg, const struct tcase *c)
{
	struct tctx t = { .cfg = cfg, .name = c->name, .arg = c->arg };
	int outcome;

	outcome = c->run(&t);
	/* A close that then hangs in the kernel must not hide the reason. */
	if (outcome == T_FAIL && t.dev) {
		printf("# %s: closing the device after: %s\n", c->name, t.msg);
		fflush(stdout);
	}
	vscsi_dev_close(t.dev);
	return ktest_report(outcome, c->name, t.msg);
}

int main(int argc, char **argv)
{
	unsigned int s;
	struct selection sel = { 0 };
	const struct tcase *c;
	struct tconfig cfg;
	bool list = false, fail_fast;
	int opt;

	while ((opt = getopt(argc, argv, "lx:")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 'x':
			if (sel.nexcludes == MAX_EXCLUDES) {
				fprintf(stderr, "vscsi-test: too many -x\n");
				return 2;
			}
			sel.excludes[sel.nexcludes++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: vscsi-test [-l] [-x GLOB]... "
				"[GLOB...]\n");
			return 2;
		}
	}
	sel.nglobs = argc - optind;
	sel.globs = argv + optind;
	config_load(&cfg);
	fail_fast = env_ul("VSCSI_FAIL_FAST", 0);
	ktest_init();
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (c = suites[s]; c->name; c++) {
			if (!selected(&sel, c->name))
				continue;
			if (list)
				puts(c->name);
			else
				run_case(&cfg, c);
			if (fail_fast && ktest_counts()[KTEST_FAIL])
				goto done;
		}
	}
done:
	return list ? 0 : ktest_summary();
}
