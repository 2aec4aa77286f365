// SPDX-License-Identifier: GPL-2.0
/*
 * The dirty log (VHOST_F_LOG_ALL), as live migration uses it: the test
 * gives the device a bitmap in its own memory (VHOST_SET_LOG_BASE, one bit
 * per 4 KiB guest page), acks LOG_ALL, has the device write into guest
 * pages it chose and checks that the bitmap holds exactly those pages:
 * none missed (the destination would see stale memory), none extra.  The
 * rings are set up without VHOST_VRING_F_LOG, so the vhost core logs no
 * used-ring page and nothing else may be marked.  Then commands in flight
 * on the slow LUN while the log is switched on or moved.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vscsi-test.h"

#define LPAGE		4096ULL
#define LOG_ALL		(1ULL << VHOST_F_LOG_ALL)
/* Guest pages one case may lay its buffers over. */
#define LOG_AREA_PAGES	96
#define LOG_MAX_RANGES	64

/* A bitmap the device logs into, covering every page of guest RAM. */
struct logmap {
	uint8_t *bits;
	size_t len;
};

/* Guest ranges a case expects the device to have written. */
struct want {
	unsigned int n;
	uint64_t gpa[LOG_MAX_RANGES];
	uint64_t len[LOG_MAX_RANGES];
};

static void want_add(struct want *w, uint64_t gpa, uint64_t len)
{
	if (w->n < LOG_MAX_RANGES && len) {
		w->gpa[w->n] = gpa;
		w->len[w->n++] = len;
	}
}

static int log_set_base(struct tctx *t, const struct logmap *m)
{
	uint64_t base = (uintptr_t)m->bits;

	if (ioctl(t->dev->fd, VHOST_SET_LOG_BASE, &base))
		return tfail(t, "expected VHOST_SET_LOG_BASE to return 0, got "
			     "%s", err_name(-errno));
	return T_PASS;
}

/* Map a bitmap for every page up to the end of guest RAM and hand it over. */
static int log_map(struct tctx *t, struct logmap *m)
{
	uint64_t pages = (t->dev->mem.gpa + t->dev->mem.size) / LPAGE;

	m->len = (pages + 7) / 8;
	m->bits = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->bits == MAP_FAILED) {
		m->bits = NULL;
		return tfail(t, "expected a %zu-byte log bitmap, got %s",
			     m->len, err_name(-errno));
	}
	return log_set_base(t, m);
}

static void log_unmap(struct logmap *m)
{
	if (m->bits)
		munmap(m->bits, m->len);
	m->bits = NULL;
}

static int log_enable(struct tctx *t, bool on)
{
	uint64_t f = on ? t->dev->acked | LOG_ALL : t->dev->acked & ~LOG_ALL;
	int ret;

	if (!(t->dev->offered & LOG_ALL))
		return tskip(t, "the device does not offer VHOST_F_LOG_ALL");
	ret = vscsi_set_features(t->dev, f);
	if (ret)
		return tfail(t, "expected SET_FEATURES(%s LOG_ALL) to return 0, "
			     "got %s", on ? "with" : "without", err_name(ret));
	return T_PASS;
}

/* Attach, map the bitmap, and with @on ack LOG_ALL. */
static int log_attach(struct tctx *t, struct logmap *m, bool on)
{
	int ret = fix_attach(t, NULL);

	if (!ret)
		ret = log_map(t, m);
	if (!ret && on)
		ret = log_enable(t, true);
	return ret;
}

static bool page_wanted(const struct want *w, uint64_t page)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (page >= w->gpa[i] / LPAGE &&
		    page <= (w->gpa[i] + w->len[i] - 1) / LPAGE)
			return true;
	return false;
}

static bool page_logged(const struct logmap *m, uint64_t page)
{
	return page / 8 < m->len && (m->bits[page / 8] >> (page % 8) & 1);
}

/* The bitmap marks exactly the pages of @w: none missing, none extra. */
static int expect_logged(struct tctx *t, const struct logmap *m,
			 const struct want *w, const char *what)
{
	unsigned int missing = 0, extra = 0, wanted = 0;
	uint64_t first_missing = 0, first_extra = 0, p;

	for (p = 0; p < m->len * 8; p++) {
		bool want = page_wanted(w, p), got = page_logged(m, p);

		wanted += want;
		if (want && !got && !missing++)
			first_missing = p * LPAGE;
		if (got && !want && !extra++)
			first_extra = p * LPAGE;
	}
	if (missing)
		return tfail(t, "%s: expected %u pages logged, %u missing "
			     "(first at GPA 0x%llx), %u extra", what, wanted,
			     missing, (unsigned long long)first_missing, extra);
	if (extra)
		return tfail(t, "%s: expected only the %u pages written logged, "
			     "got %u more (first at GPA 0x%llx)", what, wanted,
			     extra, (unsigned long long)first_extra);
	tnote(t, "%s: %u pages logged, none missing, none extra", what,
	      wanted);
	return T_PASS;
}

/* ------------------------------------------------------------------ */
/* READs laid out by hand                                              */

/* Where a READ's writable stream goes: a response and data pieces. */
struct layout {
	uint64_t resp_off;		/* in the area */
	unsigned int pieces;
	uint64_t piece_off[LOG_MAX_RANGES - 1];
	uint32_t piece_len;
	bool indirect;
	bool merge_resp;		/* response and data in one descriptor */
};

/* Response and 3 pages of data on pages apart, one descriptor each. */
static const struct layout lay_split = {
	.resp_off = LPAGE - VSCSI_RESP_SIZE, .pieces = 3,
	.piece_off = { 2 * LPAGE, 4 * LPAGE, 7 * LPAGE }, .piece_len = 4096,
};

static const struct layout lay_indirect = {
	.resp_off = LPAGE - VSCSI_RESP_SIZE, .pieces = 3,
	.piece_off = { 2 * LPAGE, 4 * LPAGE, 7 * LPAGE }, .piece_len = 4096,
	.indirect = true,
};

/* The response straddles a page; 8 KiB of data follow it unaligned. */
static const struct layout lay_crossing = {
	.resp_off = LPAGE - 50, .pieces = 1,
	.piece_off = { LPAGE - 50 + VSCSI_RESP_SIZE }, .piece_len = 8192,
	.merge_resp = true,
};

/* 40 pieces of one block, each in a page of its own: past the inline log. */
static struct layout lay_pieces = {
	.resp_off = 0, .pieces = 40, .piece_len = 512, .indirect = true,
};

/*
 * Header, response and data of one READ(10) of the whole data length:
 * T_PASS if GOOD, or with @out, T_PASS and the answer in it.
 */
static int read_answer(struct tctx *t, uint64_t area, const struct layout *l,
		       struct want *w, struct vscsi_result *out)
{
	struct vscsi_vq *vq = vscsi_req_vq(t->dev, 0);
	struct vscsi_seg segs[LOG_MAX_RANGES + 1];
	uint32_t total = l->pieces * l->piece_len, used_len;
	uint8_t *hdr, cdb[10];
	struct vscsi_result res = { 0 };
	uint64_t hdr_gpa;
	unsigned int i, n = 0;
	int head, ret;

	hdr_gpa = vscsi_mem_alloc(&t->dev->mem, LPAGE, LPAGE);
	if (!hdr_gpa)
		return tfail(t, "expected a header page, got none");
	hdr = vscsi_mem_ptr(&t->dev->mem, hdr_gpa, LPAGE);
	vscsi_lun_encode(hdr, t->cfg->target, lun0(t));
	hdr[8] = 0x4c;	/* tag */
	memcpy(hdr + VSCSI_REQ_FIXED_SIZE, cdb,
	       scsi_cdb_read10(cdb, 0, total / 512));
	segs[n++] = (struct vscsi_seg){ hdr_gpa, VSCSI_REQ_FIXED_SIZE +
					t->dev->cdb_size, false };
	if (l->merge_resp) {
		segs[n++] = (struct vscsi_seg){ area + l->resp_off,
						VSCSI_RESP_SIZE + total, true };
	} else {
		segs[n++] = (struct vscsi_seg){ area + l->resp_off,
						VSCSI_RESP_SIZE, true };
		for (i = 0; i < l->pieces; i++)
			segs[n++] = (struct vscsi_seg){ area + l->piece_off[i],
							l->piece_len, true };
	}
	for (i = 1; i < n; i++)
		want_add(w, segs[i].gpa, segs[i].len);
	head = vscsi_vq_add(vq, segs, n, l->indirect, NULL);
	if (head < 0)
		return tfail(t, "expected the READ posted, got %s",
			     err_name(head));
	ret = vscsi_vq_kick(vq);
	if (!ret)
		ret = vscsi_vq_wait(vq, head, VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret)
		return tfail(t, "expected the READ answered, got %s",
			     err_name(ret));
	vscsi_vq_collect(vq, head, &used_len);
	vscsi_resp_parse(vscsi_mem_ptr(&t->dev->mem, area + l->resp_off,
				       VSCSI_RESP_SIZE), &res);
	res.used_len = used_len;
	if (out) {
		*out = res;
		return T_PASS;
	}
	return expect_good(t, "READ(10)", &res);
}

static int read_laid_out(struct tctx *t, uint64_t area, const struct layout *l,
			 struct want *w)
{
	return read_answer(t, area, l, w, NULL);
}

static void lay_pieces_place(void)
{
	unsigned int i;

	for (i = 0; i < lay_pieces.pieces; i++)
		lay_pieces.piece_off[i] = (i + 1) * LPAGE + 1024;
}

static int log_read(struct tctx *t)
{
	const struct layout *l = t->arg;
	struct logmap m = { 0 };
	struct want w = { 0 };
	uint64_t area;
	int ret = log_attach(t, &m, true);

	if (ret)
		goto out;
	if (l == &lay_pieces)
		lay_pieces_place();
	area = vscsi_mem_alloc(&t->dev->mem, LOG_AREA_PAGES * LPAGE, LPAGE);
	if (!area) {
		ret = tfail(t, "expected %u guest pages, got none",
			    LOG_AREA_PAGES);
		goto out;
	}
	ret = read_laid_out(t, area, l, &w);
	if (!ret)
		ret = expect_logged(t, &m, &w, "READ");
out:
	log_unmap(&m);
	return ret;
}

/* Without LOG_ALL, a log base alone marks nothing. */
static int log_off_marks_nothing(struct tctx *t)
{
	struct logmap m = { 0 };
	struct want none = { 0 }, w = { 0 };
	uint64_t area;
	int ret = log_attach(t, &m, false);

	if (ret)
		goto out;
	area = vscsi_mem_alloc(&t->dev->mem, LOG_AREA_PAGES * LPAGE, LPAGE);
	ret = area ? read_laid_out(t, area, &lay_split, &w) :
		     tfail(t, "expected guest pages, got none");
	if (!ret)
		ret = expect_logged(t, &m, &none, "READ without LOG_ALL");
out:
	log_unmap(&m);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Control and event queues                                            */

/*
 * Wait for @ctl; the bitmap, cleared before it was posted, must hold
 * exactly the pages of the response it wrote.  The requests share pages,
 * so each is checked on its own.
 */
static int ctl_logged(struct tctx *t, const struct logmap *m,
		      struct vscsi_ctl *ctl, const char *what)
{
	int ret = vscsi_ctl_wait(t->dev, ctl, VSCSI_DEFAULT_TIMEOUT_MS);
	struct want w = { 0 };

	if (ret)
		return tfail(t, "expected %s answered, got %s", what,
			     err_name(ret));
	/*
	 * Debian's module answers TMFs with used.len 0: its column checks
	 * the whole response area.
	 */
	if (!ctl->used_len && !t->cfg->lax_used_len)
		return tfail(t, "expected %s to write its response, used.len "
			     "0", what);
	want_add(&w, ctl->gpa + ctl->out_len,
		 ctl->used_len ? ctl->used_len : ctl->in_len);
	return expect_logged(t, m, &w, what);
}

/*
 * A TMF answered at once (QUERY TASK), one answered after the target core
 * ran it (LOGICAL UNIT RESET, from the TMF's saved descriptor) and an AN
 * query.
 */
static int log_ctl_answers(struct tctx *t)
{
	struct virtio_scsi_ctrl_an_req an = { 0 };
	struct logmap m = { 0 };
	struct vscsi_ctl ctl;
	int ret = log_attach(t, &m, true);

	if (!ret)
		ret = vscsi_tmf_submit(t->dev, &ctl,
				       VIRTIO_SCSI_T_TMF_QUERY_TASK,
				       t->cfg->target, lun0(t), 77) ?:
		      ctl_logged(t, &m, &ctl, "QUERY TASK");
	if (!ret) {
		memset(m.bits, 0, m.len);
		ret = vscsi_tmf_submit(t->dev, &ctl,
				       VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
				       t->cfg->target, lun0(t), 0) ?:
		      ctl_logged(t, &m, &ctl, "LOGICAL UNIT RESET");
	}
	if (!ret) {
		memset(m.bits, 0, m.len);
		an.type = htole32(VIRTIO_SCSI_T_AN_QUERY);
		vscsi_lun_encode(an.lun, t->cfg->target, lun0(t));
		ret = vscsi_ctl_submit(t->dev, &ctl, &an, sizeof(an),
				       sizeof(struct virtio_scsi_ctrl_an_resp)) ?:
		      ctl_logged(t, &m, &ctl, "AN QUERY");
	}
	log_unmap(&m);
	return ret;
}

/* An EVENTS_MISSED notice written into a buffer that straddles a page. */
static int log_event(struct tctx *t)
{
	struct vscsi_vq *vq;
	struct vscsi_seg seg;
	struct logmap m = { 0 };
	struct want w = { 0 };
	uint64_t area;
	int head, ret = log_attach(t, &m, true);

	if (ret)
		goto out;
	vq = &t->dev->vqs[VSCSI_VQ_EVT];
	area = vscsi_mem_alloc(&t->dev->mem, 2 * LPAGE, LPAGE);
	ret = vscsi_set_events_missed(t->dev, 1);
	if (!area || ret) {
		ret = tfail(t, "expected a buffer and SET_EVENTS_MISSED, got "
			    "%s", err_name(ret));
		goto out;
	}
	seg = (struct vscsi_seg){ area + LPAGE - 8,
				  sizeof(struct virtio_scsi_event), true };
	head = vscsi_vq_add(vq, &seg, 1, false, NULL);
	ret = head < 0 ? head : vscsi_vq_kick(vq);
	if (!ret)
		ret = vscsi_vq_wait(vq, head, VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret) {
		ret = tfail(t, "expected the EVENTS_MISSED notice, got %s",
			    err_name(ret));
		goto out;
	}
	vscsi_vq_collect(vq, head, NULL);
	want_add(&w, seg.gpa, seg.len);
	ret = expect_logged(t, &m, &w, "event");
out:
	log_unmap(&m);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands in flight while the log changes                            */

static void want_slow(struct want *w, const struct slow_set *s)
{
	unsigned int i;

	for (i = 0; i < SLOW_CMDS; i++)
		want_add(w, s->req[i].in_start,
			 s->req[i].resp_len + s->req[i].cmd.data_in_len);
}

/* Reads popped with the log off, completed after it was switched on. */
static int log_enabled_in_flight(struct tctx *t)
{
	static struct slow_set s;
	struct logmap m = { 0 };
	struct want w = { 0 };
	int ret = fix_slow(t);

	if (!ret)
		ret = log_map(t, &m);
	if (ret)
		goto out;
	ret = slow_set_submit(t, vscsi_req_vq(t->dev, 0), &s, true);
	if (!ret)
		ret = slow_settle(t, SLOW_CMDS);
	if (!ret)
		ret = log_enable(t, true);
	ret = slow_wait_all(t, &s, ret);
	if (ret)
		goto out;
	want_slow(&w, &s);
	ret = expect_logged(t, &m, &w, "reads completed after LOG_ALL on");
out:
	log_unmap(&m);
	return ret;
}

/* The client moves the log (a bigger bitmap) with reads in flight. */
static int log_base_moved_in_flight(struct tctx *t)
{
	static struct slow_set s;
	struct logmap old = { 0 }, m = { 0 };
	struct want w = { 0 }, none = { 0 };
	int ret = fix_slow(t);

	if (!ret)
		ret = log_map(t, &old);
	if (!ret)
		ret = log_enable(t, true);
	if (ret)
		goto out;
	ret = slow_set_submit(t, vscsi_req_vq(t->dev, 0), &s, true);
	if (!ret)
		ret = slow_settle(t, SLOW_CMDS);
	if (!ret)
		ret = log_map(t, &m);
	ret = slow_wait_all(t, &s, ret);
	if (ret)
		goto out;
	want_slow(&w, &s);
	ret = expect_logged(t, &m, &w, "the new log") ?:
	      expect_logged(t, &old, &none, "the old log");
out:
	log_unmap(&old);
	log_unmap(&m);
	return ret;
}

/*
 * What a migration on one host does with the endpoint: the destination's
 * QEMU may try to bind while the source still serves reads on the slow
 * LUN; it must get an error at once (one device per TPG), not wait.  The
 * source's CLEAR_ENDPOINT lets its reads finish, answered and logged; the
 * destination then binds and serves I/O.
 */
static int log_migration_handover(struct tctx *t)
{
	struct vscsi_opts o = { .path = t->cfg->dev_path };
	static struct slow_set s;
	struct vscsi_dev *dst = NULL;
	struct logmap m = { 0 };
	struct want w = { 0 };
	long long t0, took;
	int ret = fix_slow(t), err;

	if (!ret)
		ret = log_map(t, &m) ?: log_enable(t, true);
	if (!ret)
		ret = slow_set_submit(t, vscsi_req_vq(t->dev, 0), &s, true) ?:
		      slow_settle(t, SLOW_CMDS);
	if (!ret && (err = vscsi_dev_start(&dst, &o)))
		ret = tfail(t, "expected a second device, got %s",
			    err_name(err));
	if (!ret) {
		t0 = now_ms();
		err = vscsi_set_endpoint(dst, t->cfg->wwpn);
		took = now_ms() - t0;
		if (!err || took > 1000)
			ret = tfail(t, "expected the destination's early "
				    "SET_ENDPOINT to fail at once, got %s after "
				    "%lld ms", err_name(err), took);
		else
			tnote(t, "early SET_ENDPOINT: %s after %lld ms",
			      err_name(err), took);
	}
	if (!ret && (err = vscsi_clear_endpoint(t->dev, t->cfg->wwpn)))
		ret = tfail(t, "expected the source's CLEAR_ENDPOINT to return "
			    "0, got %s", err_name(err));
	ret = slow_wait_all(t, &s, ret);
	if (!ret) {
		want_slow(&w, &s);
		ret = expect_logged(t, &m, &w, "reads the source drained");
	}
	if (!ret && (err = vscsi_set_endpoint(dst, t->cfg->wwpn)))
		ret = tfail(t, "expected the destination's SET_ENDPOINT after "
			    "the source's CLEAR_ENDPOINT to return 0, got %s",
			    err_name(err));
	if (!ret) {
		vscsi_dev_close(t->dev);
		t->dev = dst;
		dst = NULL;
		ret = slow_lun_usable(t, "TUR on the destination");
	}
	if (dst)
		vscsi_dev_close(dst);
	log_unmap(&m);
	return ret;
}

/*
 * The guest rewrites chains the device still owns (the spec forbids it):
 * one READ's first writable descriptor is pointed past guest RAM, another
 * one's made to loop onto itself, and the log is switched on before they
 * complete.  The device reads each chain again to log it: it must not mark
 * a page outside guest RAM (the bitmap is followed by a zeroed guard that
 * such a mark would land in), must not loop, and must count both in
 * log_failed; the reads are answered and the queue keeps serving.
 */
#define LOG_GUARD	(64 * 1024)
#define LOG_FAR		(128ULL << 20)	/* past the end of guest RAM */

/*
 * Rewrite @head's first writable descriptor (saved in @save): pointed at
 * @far, or, with @loop, made to name itself as the next.
 */
static struct vring_desc *chain_rewrite(struct vscsi_vq *vq, uint16_t head,
					bool loop, uint64_t far,
					struct vring_desc *save)
{
	unsigned int i = head, n;
	struct vring_desc *d;

	for (n = 0; n < vq->num; n++, i = le16toh(d->next)) {
		d = &vq->desc[i];
		if (le16toh(d->flags) & VRING_DESC_F_WRITE)
			break;
		if (!(le16toh(d->flags) & VRING_DESC_F_NEXT))
			return NULL;
	}
	if (n == vq->num)
		return NULL;
	*save = *d;
	if (loop) {
		d->flags = htole16(le16toh(d->flags) | VRING_DESC_F_NEXT);
		d->next = htole16(i);
	} else {
		d->addr = htole64(far);
	}
	return d;
}

/* Wait until @n more used entries than @from are published. */
static bool used_reached(struct vscsi_vq *vq, uint16_t from, uint16_t n)
{
	long long t0 = now_ms();

	while (now_ms() - t0 < VSCSI_DEFAULT_TIMEOUT_MS) {
		if ((uint16_t)(le16toh(__atomic_load_n(&vq->used->idx,
						      __ATOMIC_ACQUIRE)) -
			       from) >= n)
			return true;
		usleep(10000);
	}
	return false;
}

static int log_chain_rewritten_in_flight(struct tctx *t)
{
	static struct slow_set s;
	struct vring_desc *d[2] = { NULL, NULL }, save[2];
	struct logmap m = { 0 };
	long long failed0, failed;
	struct vscsi_vq *vq;
	uint16_t used0 = 0;
	uint64_t end;
	size_t i;
	int ret = fix_slow(t);

	if (ret)
		return ret;
	vq = vscsi_req_vq(t->dev, 0);
	end = t->dev->mem.gpa + t->dev->mem.size;
	m.len = (end / LPAGE + 7) / 8;
	m.bits = mmap(NULL, m.len + LOG_GUARD, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.bits == MAP_FAILED)
		return tfail(t, "expected a log bitmap, got %s",
			     err_name(-errno));
	failed0 = vhost_stat("log_failed");
	ret = log_set_base(t, &m) ?:
	      slow_set_submit(t, vq, &s, true) ?:
	      slow_settle(t, SLOW_CMDS);
	if (!ret) {
		used0 = le16toh(vq->used->idx);
		d[0] = chain_rewrite(vq, s.req[0].head, false, end + LOG_FAR,
				     &save[0]);
		d[1] = chain_rewrite(vq, s.req[1].head, true, 0, &save[1]);
		if (!d[0] || !d[1])
			ret = tfail(t, "expected READs with writable "
				    "descriptors, got none");
	}
	if (!ret)
		ret = log_enable(t, true);
	/* The device is done with the chains: give the library them back. */
	if (!ret && !used_reached(vq, used0, SLOW_CMDS))
		ret = tfail(t, "expected the %d READs answered, got %u",
			    SLOW_CMDS, (uint16_t)(le16toh(vq->used->idx) -
						  used0));
	for (i = 0; i < 2; i++)
		if (d[i])
			*d[i] = save[i];
	ret = slow_wait_all(t, &s, ret);
	for (i = 0; !ret && i < LOG_GUARD; i++)
		if (m.bits[m.len + i])
			ret = tfail(t, "expected no page past guest RAM logged, "
				    "got byte %zu past the bitmap set", i);
	failed = vhost_stat("log_failed");
	if (!ret && failed - failed0 < 2)
		ret = tfail(t, "expected both rewritten chains counted in "
			    "log_failed, got %lld -> %lld", failed0, failed);
	if (!ret)
		ret = run_tur(t, vq, "TUR after the rewritten chains");
	munmap(m.bits, m.len + LOG_GUARD);
	return ret;
}

/* ---- fault injection: a logged READ whose mapping fails ---- */

static struct logmap fault_map;
static uint64_t fault_area;

static int fault_log_prepare(struct tctx *t)
{
	int ret;

	if (t->dev)
		return T_PASS;
	lay_pieces_place();
	ret = log_attach(t, &fault_map, true);
	if (ret)
		return ret;
	fault_area = vscsi_mem_alloc(&t->dev->mem, LOG_AREA_PAGES * LPAGE,
				     LPAGE);
	return fault_area ? T_PASS :
	       tfail(t, "expected %u guest pages, got none", LOG_AREA_PAGES);
}

/* *@res: 0 GOOD, -ENOMEM BUSY (the guest retries), -EPROTO otherwise. */
static int fault_log_run(struct tctx *t, int *res)
{
	struct vscsi_result r;
	struct want w = { 0 };
	int ret = read_answer(t, fault_area, &lay_pieces, &w, &r);

	if (ret)
		return ret;
	*res = r.response != VIRTIO_SCSI_S_OK ? -EPROTO :
	       r.status == SCSI_STATUS_GOOD ? 0 :
	       r.status == 0x08 /* BUSY */ ? -ENOMEM : -EPROTO;
	return T_PASS;
}

/* The retry is answered and its pages logged. */
static int fault_log_after(struct tctx *t, int res, bool injected)
{
	struct want w = { 0 };
	int ret;

	(void)injected;
	if (!res)
		return T_PASS;
	memset(fault_map.bits, 0, fault_map.len);
	ret = read_laid_out(t, fault_area, &lay_pieces, &w);
	return ret ? ret : expect_logged(t, &fault_map, &w, "retried READ");
}

/* Sweeps the 40-piece READ with LOG_ALL on: its scatterlist chunk. */
static int fault_logged_read(struct tctx *t)
{
	static const struct fault_op op = {
		.what = "logged READ", .prepare = fault_log_prepare,
		.run = fault_log_run, .after = fault_log_after,
	};
	int ret = fault_sweep(t, &op);

	log_unmap(&fault_map);
	return ret;
}

const struct tcase log_cases[] = {
	{ "log_off_marks_nothing", log_off_marks_nothing },
	{ "log_read_split", log_read, &lay_split },
	{ "log_read_indirect", log_read, &lay_indirect },
	{ "log_read_page_crossing_resp", log_read, &lay_crossing },
	{ "log_read_many_pieces", log_read, &lay_pieces },
	{ "log_event", log_event },
	{ "log_enabled_in_flight", log_enabled_in_flight },
	{ "log_base_moved_in_flight", log_base_moved_in_flight },
	{ "log_migration_handover", log_migration_handover },
	{ "log_chain_rewritten_in_flight", log_chain_rewritten_in_flight },
	/* Leaves a unit attention on LUN 0: the next fix_attach clears it. */
	{ "log_ctl_answers", log_ctl_answers },
	{ "fault_logged_read", fault_logged_read },
	{ NULL, NULL },
};
