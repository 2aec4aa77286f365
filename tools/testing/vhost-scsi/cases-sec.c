// SPDX-License-Identifier: GPL-2.0
/*
 * Security cases of the mapping path: the data direction a guest can
 * choose, what the target core may write into, segment layouts a backstore
 * cannot take, protection buffers, and sense bytes left from an earlier
 * command.
 *
 * The shared-page cases never let a broken module write into memory the
 * VM cannot lose: the page under test is a private mapping of a scratch
 * file, and the zero-page case runs only after that same check passed.
 * The zero-page case is therefore last in the table.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vscsi-test.h"

#define PAGE		4096u
#define FILE_BYTE	0x3c	/* the scratch file's content */
#define WP_BYTE		0x55	/* fiowp's content (setup-targets.sh) */
#define SENSE_DATA_PROTECT	0x07

/* A request built by hand: the data buffers are wherever the case says. */
struct chain {
	uint8_t target;
	uint16_t lun;
	const uint8_t *cdb;
	size_t cdb_len;
	uint64_t out_gpa;	/* data-out descriptor, none if out_len is 0 */
	uint32_t out_len;
	uint64_t in_gpa;	/* data-in descriptor, none if in_len is 0 */
	uint32_t in_len;
};

/* Send @c on request queue 0 and wait for its response. */
static int chain_run(struct tctx *t, const struct chain *c,
		     struct vscsi_result *res)
{
	struct vscsi_mem *mem = &t->dev->mem;
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	uint32_t hdr_len = VSCSI_REQ_FIXED_SIZE + t->dev->cdb_size, used;
	uint64_t hdr = vscsi_mem_alloc(mem, hdr_len, 64);
	uint64_t resp = vscsi_mem_alloc(mem, VSCSI_RESP_SIZE, 64);
	struct vscsi_seg segs[4];
	unsigned int n = 0;
	uint8_t *h;
	int head;

	if (!hdr || !resp)
		return tfail(t, "expected guest memory, got none");
	h = vscsi_mem_ptr(mem, hdr, hdr_len);
	vscsi_lun_encode(h, c->target, c->lun);
	h[8] = 0x5e;			/* tag */
	memcpy(h + VSCSI_REQ_FIXED_SIZE, c->cdb, c->cdb_len);
	memset(vscsi_mem_ptr(mem, resp, VSCSI_RESP_SIZE), 0xff,
	       VSCSI_RESP_SIZE);
	segs[n++] = (struct vscsi_seg){ hdr, hdr_len, false };
	if (c->out_len)
		segs[n++] = (struct vscsi_seg){ c->out_gpa, c->out_len, false };
	segs[n++] = (struct vscsi_seg){ resp, VSCSI_RESP_SIZE, true };
	if (c->in_len)
		segs[n++] = (struct vscsi_seg){ c->in_gpa, c->in_len, true };
	head = vscsi_vq_add(vq, segs, n, false, NULL);
	if (head < 0)
		return tfail(t, "expected the chain queued, got %s",
			     err_name(head));
	vscsi_vq_kick(vq);
	if (vscsi_vq_wait(vq, head, VSCSI_DEFAULT_TIMEOUT_MS))
		return tfail(t, "expected an answer within %d ms, got none",
			     VSCSI_DEFAULT_TIMEOUT_MS);
	vscsi_vq_collect(vq, head, &used);
	vscsi_resp_parse(vscsi_mem_ptr(mem, resp, VSCSI_RESP_SIZE), res);
	vscsi_mem_free(mem, hdr, hdr_len);
	vscsi_mem_free(mem, resp, VSCSI_RESP_SIZE);
	return T_PASS;
}

int expect_sense(struct tctx *t, const char *what,
		 const struct vscsi_result *res, uint8_t key, uint8_t asc,
		 uint8_t ascq)
{
	struct scsi_sense s;

	scsi_sense_parse(res->sense, res->sense_len, &s);
	if (res->response == VIRTIO_SCSI_S_OK &&
	    res->status == SCSI_STATUS_CHECK_CONDITION && s.key == key &&
	    s.asc == asc && s.ascq == ascq)
		return T_PASS;
	return tfail(t, "expected %s answered CHECK CONDITION %x/%02x/%02x, "
		     "got %s status 0x%02x sense %x/%02x/%02x", what, key, asc,
		     ascq, vscsi_response_name(res->response), res->status,
		     s.key, s.asc, s.ascq);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* ---- the guest chooses the direction: shared pages ---- */

/*
 * A page of guest memory backed by a private mapping of a scratch file of
 * FILE_BYTE, only ever read: its page is the file's page cache page.
 */
struct file_page {
	int fd;
	uint64_t gpa;
	uint8_t *p;
};

static int file_page_map(struct tctx *t, struct file_page *fp)
{
	char path[] = "/tmp/vscsi-sec-XXXXXX";
	uint8_t buf[PAGE];
	volatile uint8_t sink;

	fp->gpa = vscsi_mem_alloc_untouched(&t->dev->mem, PAGE);
	fp->fd = mkstemp(path);
	if (!fp->gpa || fp->fd < 0)
		return tfail(t, "expected a page and a scratch file, got none");
	unlink(path);
	memset(buf, FILE_BYTE, sizeof(buf));
	fp->p = vscsi_mem_ptr(&t->dev->mem, fp->gpa, PAGE);
	if (pwrite(fp->fd, buf, PAGE, 0) != PAGE ||
	    mmap(fp->p, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		 fp->fd, 0) == MAP_FAILED)
		return tfail(t, "expected the file mapped, got errno %d", errno);
	sink = fp->p[0];	/* map the page cache page, read-only */
	(void)sink;
	return T_PASS;
}

/* Put anonymous memory back under the page and give it back. */
static void file_page_unmap(struct tctx *t, struct file_page *fp)
{
	if (fp->p)
		mmap(fp->p, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (fp->gpa)
		vscsi_mem_free(&t->dev->mem, fp->gpa, PAGE);
	if (fp->fd >= 0)
		close(fp->fd);
}

/* The file and the guest page must still hold FILE_BYTE only. */
static int file_page_check(struct tctx *t, const struct file_page *fp)
{
	uint8_t buf[PAGE];

	if (pread(fp->fd, buf, PAGE, 0) != PAGE)
		return tfail(t, "expected to read the scratch file back");
	if (!all_bytes(buf, PAGE, FILE_BYTE))
		return tfail(t, "expected the file behind the guest page "
			     "unchanged, got it written (host page cache "
			     "corrupted)");
	if (!all_bytes(fp->p, PAGE, FILE_BYTE))
		return tfail(t, "expected the guest page unchanged, got it "
			     "written");
	return T_PASS;
}

/*
 * A command that returns data, its allocation buffer in a device-READABLE
 * descriptor on a file page the guest only read: answered S_FAILURE, and
 * neither the file nor the page written.
 */
static int in_cmd_readable_buffer(struct tctx *t, const uint8_t *cdb,
				  size_t cdb_len, const char *what)
{
	struct file_page fp = { .fd = -1 };
	struct vscsi_result res;
	struct chain c = {
		.target = t->cfg->target, .lun = lun0(t),
		.cdb = cdb, .cdb_len = cdb_len, .out_len = PAGE,
	};
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = file_page_map(t, &fp);
	if (!ret) {
		c.out_gpa = fp.gpa;
		ret = chain_run(t, &c, &res);
	}
	if (!ret)
		ret = file_page_check(t, &fp);
	if (!ret)
		ret = expect_response(t, what, &res, VIRTIO_SCSI_S_FAILURE);
	file_page_unmap(t, &fp);
	return ret;
}

static int sec_inquiry_readable_buffer(struct tctx *t)
{
	uint8_t cdb[6];

	return in_cmd_readable_buffer(t, cdb,
				      scsi_cdb_inquiry(cdb, false, 0, 255),
				      "INQUIRY");
}

static int sec_mode_sense_readable_buffer(struct tctx *t)
{
	/* MODE SENSE(10), all pages, allocation length 4096 */
	static const uint8_t cdb[10] = { 0x5a, 0, 0x3f, 0, 0, 0, 0, 0x10, 0 };

	return in_cmd_readable_buffer(t, cdb, sizeof(cdb), "MODE SENSE(10)");
}

static int sec_report_luns_readable_buffer(struct tctx *t)
{
	uint8_t cdb[12];

	return in_cmd_readable_buffer(t, cdb, scsi_cdb_report_luns(cdb, PAGE),
				      "REPORT LUNS");
}

static int sec_pr_in_readable_buffer(struct tctx *t)
{
	/* PERSISTENT RESERVE IN, REPORT CAPABILITIES, allocation 4096 */
	static const uint8_t cdb[10] = { 0x5e, 0x02, 0, 0, 0, 0, 0, 0x10, 0 };

	return in_cmd_readable_buffer(t, cdb, sizeof(cdb),
				      "PERSISTENT RESERVE IN");
}

static int sec_read_capacity_readable_buffer(struct tctx *t)
{
	uint8_t cdb[10];

	return in_cmd_readable_buffer(t, cdb, scsi_cdb_read_capacity10(cdb),
				      "READ CAPACITY(10)");
}

/* A vendor code with a data-in buffer: refused, not handed on. */
static int sec_vendor_opcode_data_in_failure(struct tctx *t)
{
	static const uint8_t cdb[6] = { 0xc0 };
	struct vscsi_cmd cmd;
	uint8_t buf[512];
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = sizeof(cdb);
	cmd.data_in = buf;
	cmd.data_in_len = sizeof(buf);
	return expect_refused(t, &cmd, VIRTIO_SCSI_S_FAILURE,
			      "opcode 0xc0 with data-in");
}

/*
 * Data-out pages are pinned for writing: a WRITE from a file page the
 * guest only read leaves the guest with its own copy (copy-on-write was
 * broken), which no longer follows the file.  The data written is the
 * page's.
 */
static int sec_write_pins_data_out_for_writing(struct tctx *t)
{
	struct file_page fp = { .fd = -1 };
	uint8_t cdb[10], buf[PAGE], back[PAGE];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	struct chain c = {
		.target = t->cfg->target, .lun = lun0(t), .cdb = cdb,
		.cdb_len = scsi_cdb_write10(cdb, 2048, PAGE / 512),
		.out_len = PAGE,
	};
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = file_page_map(t, &fp);
	c.out_gpa = fp.gpa;
	if (!ret)
		ret = chain_run(t, &c, &res);
	if (!ret)
		ret = expect_good(t, "WRITE(10) from the file page", &res);
	memset(buf, FILE_BYTE + 1, sizeof(buf));
	if (!ret && pwrite(fp.fd, buf, PAGE, 0) != PAGE)
		ret = tfail(t, "expected the scratch file rewritten");
	if (!ret && !all_bytes(fp.p, PAGE, FILE_BYTE))
		ret = tfail(t, "expected the guest page to be its own copy "
			    "(pinned for writing), got it following the file");
	file_page_unmap(t, &fp);
	if (ret)
		return ret;
	read10_cmd_init(t, &cmd, lun0(t), cdb, 2048, PAGE / 512, back, PAGE);
	ret = run_cmd(t, &cmd, "READ", &res);
	if (ret)
		return ret;
	ret = expect_good(t, "READ(10)", &res);
	if (!ret && !all_bytes(back, PAGE, FILE_BYTE))
		ret = tfail(t, "expected the page's bytes on the LUN");
	return ret;
}

/* A fresh anonymous page in a new process must read as zeros. */
static bool zero_page_intact(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		_exit(p != MAP_FAILED && all_bytes(p, PAGE, 0) ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * INQUIRY into a never-written anonymous page (the shared zero page when
 * read) through a device-readable descriptor.  Only tried once the file
 * version passed on this module, so a broken module is caught there and
 * the VM's zero page is never written.
 */
static int sec_inquiry_readable_zero_page(struct tctx *t)
{
	uint8_t cdb[6];
	struct vscsi_result res;
	struct chain c = { .cdb = cdb, .out_len = PAGE };
	volatile uint8_t sink;
	uint8_t *p;
	char first[sizeof(t->msg)];
	int ret = sec_inquiry_readable_buffer(t);

	if (ret) {
		memcpy(first, t->msg, sizeof(first));
		return tfail(t, "expected the file-page INQUIRY case to pass "
			     "first, got: %s", first);
	}
	c.target = t->cfg->target;
	c.lun = lun0(t);
	c.cdb_len = scsi_cdb_inquiry(cdb, false, 0, 255);
	c.out_gpa = vscsi_mem_alloc_untouched(&t->dev->mem, PAGE);
	if (!c.out_gpa)
		return tfail(t, "expected a page, got none");
	p = vscsi_mem_ptr(&t->dev->mem, c.out_gpa, PAGE);
	sink = p[0];		/* map the zero page */
	(void)sink;
	ret = chain_run(t, &c, &res);
	if (!ret && !all_bytes(p, PAGE, 0))
		ret = tfail(t, "expected the never-written page to read zeros");
	if (!ret && !zero_page_intact())
		ret = tfail(t, "expected fresh anonymous memory to read zeros, "
			    "got the zero page written");
	return ret ? ret : expect_response(t, "INQUIRY", &res,
					   VIRTIO_SCSI_S_FAILURE);
}

/* ---- the guest chooses the direction: write protection ---- */

static int fix_wp(struct tctx *t)
{
	if (!t->cfg->wp_target)
		return tskip(t, "VSCSI_WP_TARGET not set (no write-protected "
			     "TPG)");
	return fix_attach(t, NULL);
}

/* Blocks 16..23 of the write-protected LUN must still be WP_BYTE. */
static int wp_blocks_intact(struct tctx *t, const char *what)
{
	uint8_t cdb[10], buf[8 * 512];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	int ret;

	read10_cmd_init(t, &cmd, 0, cdb, 16, 8, buf, sizeof(buf));
	cmd.target = t->cfg->wp_target;
	ret = run_cmd(t, &cmd, "READ", &res);
	if (ret)
		return ret;
	ret = expect_good(t, "READ of the write-protected LUN", &res);
	if (!ret && !all_bytes(buf, sizeof(buf), WP_BYTE))
		ret = tfail(t, "expected the write-protected LUN unchanged "
			    "after %s, got it written", what);
	return ret;
}

/* The mapping itself: a plain WRITE is refused with DATA PROTECT. */
static int sec_wp_write10_data_protect(struct tctx *t)
{
	uint8_t cdb[10], buf[512];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	int ret = fix_wp(t);

	if (ret)
		return ret;
	memset(buf, 0xab, sizeof(buf));
	cmd_init(t, &cmd, 0);
	cmd.target = t->cfg->wp_target;
	cmd.cdb = cdb;
	cmd.cdb_len = scsi_cdb_write10(cdb, 16, 1);
	cmd.data_out = buf;
	cmd.data_out_len = sizeof(buf);
	ret = run_cmd(t, &cmd, "WRITE", &res);
	if (ret)
		return ret;
	ret = expect_sense(t, "WRITE(10)", &res, SENSE_DATA_PROTECT, 0x27, 0);
	return ret ? ret : wp_blocks_intact(t, "WRITE(10)");
}

/*
 * A write-class CDB with the guest's buffer in a data-in descriptor: @len
 * bytes of @param, or a block of @fill bytes if @param is NULL; no buffer
 * if @len is 0.
 */
struct wp_write {
	uint8_t cdb[16];
	size_t cdb_len;
	const uint8_t *param;
	uint8_t fill;
	uint32_t len;
	const char *what;
};

/* WRITE SAME(10), LBA 16, 8 blocks. */
static const struct wp_write wp_write_same10 = {
	{ 0x41, 0, 0, 0, 0, 16, 0, 0, 8, 0 }, 10, NULL, 0xab, 512,
	"WRITE SAME(10) with a data-in buffer" };
/* WRITE SAME(16) with UNMAP, LBA 16, 8 blocks. */
static const struct wp_write wp_write_same16_unmap = {
	{ 0x93, 0x08, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 8 }, 16, NULL, 0, 512,
	"WRITE SAME(16) UNMAP with a data-in buffer" };
/* Without any buffer, WRITE SAME with UNMAP needs no data to discard. */
static const struct wp_write wp_write_same16_no_buffer = {
	{ 0x93, 0x08, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 8 }, 16, NULL, 0, 0,
	"WRITE SAME(16) UNMAP without a buffer" };
/* UNMAP, parameter list length 24: one descriptor, LBA 16, 8 blocks. */
static const uint8_t unmap_param[24] = {
	0, 22, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 8 };
static const struct wp_write wp_unmap = {
	{ 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 }, 10, unmap_param, 0,
	sizeof(unmap_param), "UNMAP with a data-in buffer" };

/*
 * The write-class request t->arg on the write-protected LUN: the LUN
 * unchanged, and the answer S_FAILURE, or DATA PROTECT for no buffer.
 */
static int wp_write_class(struct tctx *t)
{
	const struct wp_write *spec = t->arg;
	const char *what = spec->what;
	uint32_t len = spec->len;
	struct vscsi_result res;
	struct chain c = {
		.cdb = spec->cdb, .cdb_len = spec->cdb_len, .in_len = len,
	};
	uint8_t *p;
	int ret = fix_wp(t);

	if (ret)
		return ret;
	c.target = t->cfg->wp_target;
	c.in_gpa = vscsi_mem_alloc(&t->dev->mem, PAGE, PAGE);
	if (!c.in_gpa)
		return tfail(t, "expected guest memory, got none");
	p = vscsi_mem_ptr(&t->dev->mem, c.in_gpa, PAGE);
	if (spec->param)
		memcpy(p, spec->param, len);
	else
		memset(p, spec->fill, len);
	ret = chain_run(t, &c, &res);
	if (!ret)
		ret = wp_blocks_intact(t, what);
	if (ret)
		return ret;
	if (len)
		return expect_response(t, what, &res, VIRTIO_SCSI_S_FAILURE);
	return expect_sense(t, what, &res, SENSE_DATA_PROTECT, 0x27, 0);
}

/* ---- segments the backstore cannot take ---- */

/* "WARNING:" lines in the kernel log, or -1 if it cannot be read. */
static int kernel_warnings(void)
{
	int size = klogctl(10, NULL, 0), n, count = 0;	/* SIZE_BUFFER */
	char *buf, *p;

	if (size <= 0 || !(buf = malloc(size + 1)))
		return -1;
	n = klogctl(3, buf, size);			/* READ_ALL */
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "WARNING:")); p++)
		count++;
	free(buf);
	return count;
}

/* Data segments of 100, 900 and 3096 bytes: none sector aligned. */
static void misaligned_split(const struct tctx *t, struct vscsi_split *sp)
{
	uint32_t hdr = VSCSI_REQ_FIXED_SIZE + t->dev->cdb_size;

	memset(sp, 0, sizeof(*sp));
	sp->mode = VSCSI_SPLIT_CUTS;
	sp->n_out_cuts = 3;
	sp->out_cuts[0] = hdr;
	sp->out_cuts[1] = hdr + 100;
	sp->out_cuts[2] = hdr + 1000;
	sp->n_in_cuts = 3;
	sp->in_cuts[0] = VSCSI_RESP_SIZE;
	sp->in_cuts[1] = VSCSI_RESP_SIZE + 100;
	sp->in_cuts[2] = VSCSI_RESP_SIZE + 1000;
}

static int misaligned_rw(struct tctx *t, unsigned int lun, bool write,
			 const struct vscsi_split *sp)
{
	uint8_t cdb[10], buf[PAGE];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	int ret;

	memset(buf, 0x77, sizeof(buf));
	cmd_init(t, &cmd, lun);
	cmd.cdb = cdb;
	cmd.cdb_len = write ? scsi_cdb_write10(cdb, 64, PAGE / 512) :
			      scsi_cdb_read10(cdb, 64, PAGE / 512);
	if (write) {
		cmd.data_out = buf;
		cmd.data_out_len = PAGE;
	} else {
		cmd.data_in = buf;
		cmd.data_in_len = PAGE;
	}
	cmd.split = sp;
	cmd.timeout_ms = 3 * t->cfg->slow_ms + VSCSI_DEFAULT_TIMEOUT_MS;
	ret = vscsi_cmd_run(t->dev, &cmd, &res);
	if (ret)
		return tfail(t, "expected the %s answered, got %s",
			     write ? "WRITE" : "READ", err_name(ret));
	return expect_sense(t, write ? "misaligned WRITE(10)" :
			    "misaligned READ(10)", &res,
			    SCSI_SENSE_ILLEGAL_REQUEST, 0x0e, 0x03);
}

/*
 * The block LUN (iblock over dm-delay over brd, which warns on segments
 * that are not sector aligned): misaligned segments are answered CHECK
 * CONDITION, INVALID FIELD IN COMMAND INFORMATION UNIT, and the kernel
 * logs no warning.
 */
static int sec_misaligned_segments_block_lun(struct tctx *t)
{
	struct vscsi_split sp;
	int before, after, ret;

	if (t->cfg->slow_lun < 0)
		return tskip(t, "VSCSI_SLOW_LUN not set (no block LUN)");
	ret = fix_attach(t, NULL);
	if (ret)
		return ret;
	misaligned_split(t, &sp);
	before = kernel_warnings();
	ret = misaligned_rw(t, t->cfg->slow_lun, true, &sp);
	if (!ret)
		ret = misaligned_rw(t, t->cfg->slow_lun, false, &sp);
	after = kernel_warnings();
	if (!ret && after > before)
		ret = tfail(t, "expected no kernel WARNING, got %d new",
			    after - before);
	return ret;
}

/* The same layout on the fileio LUN works, data verified. */
static int sec_misaligned_segments_fileio_ok(struct tctx *t)
{
	struct tconfig cfg = *t->cfg;
	const struct tconfig *saved = t->cfg;
	struct vscsi_split sp;
	int ret;

	if (cfg.nluns < 2)
		return tskip(t, "VSCSI_LUNS has no second (fileio) LUN");
	ret = fix_attach(t, NULL);
	if (ret)
		return ret;
	misaligned_split(t, &sp);
	cfg.luns[0] = cfg.luns[1];	/* write_read_verify uses lun0() */
	t->cfg = &cfg;
	ret = write_read_verify(t, vscsi_req_vq(t->dev, 0), 64, PAGE, false,
				&sp, &sp, 7);
	t->cfg = saved;
	return ret;
}

/* ---- protection information ---- */

/*
 * 8 MiB of data with its 128 KiB of protection bytes (8 per 512-byte
 * block) to a LUN without protection: mapped, and the data moves.
 */
static int sec_pi_8m_transfer(struct tctx *t)
{
	const uint32_t data = 8u << 20, pi = data / 512 * 8;
	uint8_t *out = calloc(1, pi + data), *in = malloc(pi + data);
	int ret = attach_pi(t);

	if (!ret && (!out || !in))
		ret = tfail(t, "expected buffers, got -ENOMEM");
	if (ret)
		goto out;
	fill_pattern(out + pi, data, 0, 11);
	ret = rw16(t, true, 0, out, data, pi, NULL);
	if (!ret)
		ret = rw16(t, false, 0, in, data, pi, NULL);
	if (!ret && memcmp(out + pi, in + pi, data))
		ret = tfail(t, "expected the 8 MiB read back, got other bytes");
out:
	free(out);
	free(in);
	return ret;
}

/* Protection bytes that are not whole 8-byte tuples: CHECK CONDITION. */
static int sec_pi_partial_tuple_check_condition(struct tctx *t)
{
	uint8_t out[12 + 512] = { 0 };
	struct vscsi_result res;
	int ret = attach_pi(t);

	if (!ret)
		ret = pi_write_block(t, out, sizeof(out), 12, &res);
	return ret ? ret : expect_sense(t, "WRITE(10) with 12 PI bytes", &res,
					SCSI_SENSE_ILLEGAL_REQUEST, 0x0e, 0x03);
}

/* ---- sense ---- */

static int run_out(struct tctx *t, const uint8_t *cdb, size_t cdb_len,
		   const uint8_t *buf, uint32_t len, struct vscsi_result *res)
{
	struct vscsi_cmd cmd;
	int ret;

	cmd_init(t, &cmd, lun0(t));
	cmd.cdb = cdb;
	cmd.cdb_len = cdb_len;
	cmd.data_out = buf;
	cmd.data_out_len = len;
	ret = vscsi_cmd_run(t->dev, &cmd, res);
	return ret ? tfail(t, "expected an answer, got %s", err_name(ret)) : 0;
}

/*
 * A MISCOMPARE (whose sense carries an INFORMATION field), then an
 * ILLEGAL REQUEST on the same pooled command: the second sense holds only
 * what the target core wrote for it, no INFORMATION bytes of the first.
 */
static int sec_sense_not_stale(struct tctx *t)
{
	/* COMPARE AND WRITE, LBA 3000, 1 block */
	static const uint8_t caw[16] = { 0x89, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0xb8,
					 0, 0, 0, 1 };
	uint8_t cdb[10], buf[1024];
	struct vscsi_result res;
	struct vscsi_cmd cmd;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	memset(buf, 0x11, sizeof(buf));
	ret = run_out(t, cdb, scsi_cdb_write10(cdb, 3000, 1), buf, 512, &res);
	if (!ret)
		ret = expect_good(t, "WRITE(10)", &res);
	buf[0x123] = 0x22;		/* miscompare at offset 0x123 */
	if (!ret)
		ret = run_out(t, caw, sizeof(caw), buf, sizeof(buf), &res);
	if (!ret)
		ret = expect_sense(t, "COMPARE AND WRITE", &res, 0x0e, 0x1d, 0);
	if (ret)
		return ret;
	tnote(t, "MISCOMPARE sense: %02x .. %02x %02x %02x %02x", res.sense[0],
	      res.sense[3], res.sense[4], res.sense[5], res.sense[6]);
	read10_cmd_init(t, &cmd, lun0(t), cdb, 0xfffffff0u, 1, buf, 512);
	ret = run_cmd(t, &cmd, "READ", &res);
	if (ret)
		return ret;
	ret = expect_sense(t, "READ(10) past the end", &res,
			   SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);
	if (!ret && (res.sense[0] != 0x70 ||
		     !all_bytes(res.sense + 3, 4, 0) ||
		     !all_bytes(res.sense + 18, sizeof(res.sense) - 18, 0)))
		ret = tfail(t, "expected fixed sense without INFORMATION, got "
			    "byte 0 0x%02x, bytes 3-6 %02x %02x %02x %02x "
			    "(stale)", res.sense[0], res.sense[3], res.sense[4],
			    res.sense[5], res.sense[6]);
	return ret;
}

/*
 * Run order is table order.  The zero-page case stays last: it is the
 * one that could harm the VM on a module that corrupts shared pages (it
 * guards itself by the file-page case first).
 */
const struct tcase sec_cases[] = {
	{ "sec_inquiry_readable_buffer", sec_inquiry_readable_buffer },
	{ "sec_mode_sense_readable_buffer", sec_mode_sense_readable_buffer },
	{ "sec_report_luns_readable_buffer", sec_report_luns_readable_buffer },
	{ "sec_pr_in_readable_buffer", sec_pr_in_readable_buffer },
	{ "sec_read_capacity_readable_buffer",
	  sec_read_capacity_readable_buffer },
	{ "sec_vendor_opcode_data_in_failure",
	  sec_vendor_opcode_data_in_failure },
	{ "sec_write_pins_data_out_for_writing",
	  sec_write_pins_data_out_for_writing },
	{ "sec_wp_write10_data_protect", sec_wp_write10_data_protect },
	{ "sec_wp_write_same10_data_in", wp_write_class, &wp_write_same10 },
	{ "sec_wp_write_same16_unmap_data_in", wp_write_class,
	  &wp_write_same16_unmap },
	{ "sec_wp_write_same16_unmap_no_buffer", wp_write_class,
	  &wp_write_same16_no_buffer },
	{ "sec_wp_unmap_data_in", wp_write_class, &wp_unmap },
	{ "sec_misaligned_segments_block_lun",
	  sec_misaligned_segments_block_lun },
	{ "sec_misaligned_segments_fileio_ok",
	  sec_misaligned_segments_fileio_ok },
	{ "sec_pi_8m_transfer", sec_pi_8m_transfer },
	{ "sec_pi_partial_tuple_check_condition",
	  sec_pi_partial_tuple_check_condition },
	{ "sec_sense_not_stale", sec_sense_not_stale },
	{ "sec_inquiry_readable_zero_page", sec_inquiry_readable_zero_page },
	{ NULL, NULL },
};
