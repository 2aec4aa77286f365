// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi fuzz - structure-aware fuzzing of /dev/vhost-scsi.
 *
 * The fuzzer plays a hostile guest.  It works in batches: on every queue
 * at once (control, event, every request queue) it publishes well-formed
 * requests and mutates some of them field by field (descriptor lengths,
 * flags, next pointers, addresses, indirect tables; header fields, LUN
 * bytes, CDBs of SPC/SBC opcodes with random allocation lengths, PI
 * fields, truncated headers and responses; TMF and AN requests of every
 * type and shape; event buffers of odd sizes), kicks, and waits for the
 * batch.  Between batches it issues the ioctls QEMU may issue (features,
 * memory table, endpoint clear and set with the rings re-based, close and
 * reopen, also with a batch in flight).
 *
 * Invariants, checked as it runs:
 *  - every chain published on a request or control queue is returned
 *    within the batch timeout, exactly once (the library counts used
 *    entries for chains it does not have in flight);
 *  - used.len never exceeds the device-writable bytes of the chain;
 *  - nothing outside the chain's device-writable bytes changed: each
 *    request lives in its own allocation with a page of poisoned slack on
 *    either side, and every byte of it is compared with what was
 *    published (the slack with the poison, the rest with a shadow copy);
 *  - a well-formed request gets a response written;
 *  - every request queue still answers a TEST UNIT READY with GOOD after
 *    each batch;
 *  - Slab returns to its baseline (within a bound) after the last close.
 * The VM rig checks the kernel log and that the module unloads.
 *
 * Finding, seed 1 --queues 4 (LUN 0, slow LUN 2), request 97824: an
 * INQUIRY whose data-in began in three descriptors within one page put
 * zeros at the start of that page, in its leading slack.  The target
 * core emulates INQUIRY through one mapping of the data pages
 * (transport_kmap_data_sg() maps them back to back and adds only the first
 * entry's offset), and the driver handed it one entry per pinned piece:
 * the page repeated, later entries at an offset.  The driver now bounces
 * such buffers; cases-io.c's inquiry_data_in_shared_page is the short
 * replay.
 *
 * Everything the fuzzer sends is drawn from one generator seeded with
 * --seed, never from what the device answered, so a seed and a request
 * count replay the same sequence.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vscsi.h"
#include "vscsi-fuzz.h"

#define PAGE		4096u
#define FZ_POISON	0xa5	/* every byte the device may not write */
#define FZ_MAXD		12	/* descriptors of one chain */
#define FZ_TABLE	256	/* bytes reserved for an indirect table */
#define FZ_QSIZE	256	/* ring entries per queue */
#define FZ_MEM		(128UL << 20)
#define FZ_OUTSIDE	0x1000ULL	/* below the memory table's base */
#define FZ_RAW_NEXT	0x8000	/* local next value: "outside the table" */
#define FZ_MAX_BATCH	48	/* chains per queue per batch */

struct fz_chain;

/* One chain the fuzzer published, from its build to its check. */
struct fz_req {
	struct vscsi_vq *vq;
	int head;
	uint64_t gpa, alloc;	/* the request's own allocation */
	uint8_t *shadow;	/* the allocation as published, but its slack */
	/* Device-writable ranges of the allocation: offset, length. */
	uint64_t wr_off[FZ_MAXD], wr_len[FZ_MAXD];
	unsigned int nwr;
	uint64_t wmax;		/* device-writable bytes of the chain */
	uint64_t resp_off;	/* response offset in the allocation */
	bool check_resp;	/* well formed: a response must be written */
	uint32_t resp_len;
	unsigned long seq;	/* request number, for the report */
	char what[200];
	struct fz_chain *chain;	/* as published, for the report */
	uint16_t avail_idx;	/* its avail entry */
	unsigned int live_idx;	/* its place in fz.live */
};

/* A chain as built in local memory, before it reaches the ring. */
struct fz_chain {
	struct vring_desc d[FZ_MAXD];	/* next: local index or FZ_RAW_NEXT|n */
	unsigned int n;
	bool indirect;
	uint32_t table_len;		/* indirect: the ring descriptor's len */
	uint16_t table_flags;
};

/* The last chains published, for the report of an overrun. */
#define FZ_HISTORY	512

struct fz_past {
	unsigned long seq;
	unsigned int vq;
	uint64_t gpa, alloc;
	struct fz_chain chain;
};

struct fz {
	struct vscsi_fuzz_opts o;
	struct fz_past past[FZ_HISTORY];
	struct vscsi_fuzz_stats *st;
	struct vscsi_dev *dev;
	uint64_t rng;
	uint64_t features;
	char *why;
	size_t why_len;
	struct fz_req **live;		/* every chain the device may hold */
	unsigned int nlive, live_cap;
	unsigned long seq;
	unsigned long batch;		/* batch number, as in a plan */
	unsigned long batch_cap;	/* requests left in this batch */
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static uint64_t rnd(struct fz *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint32_t below(struct fz *f, uint32_t n)
{
	return rnd(f) % n;
}

static bool chance(struct fz *f, unsigned int one_in)
{
	return below(f, one_in) == 0;
}

static int fz_fail(struct fz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fz_fail(struct fz *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!f->st->fail_kind) {
		f->st->fail_kind = fmt;
		f->st->fail_batch = f->batch;
	}
	n = snprintf(f->why, f->why_len, "seed %" PRIu64 ", batch %lu, request %lu: ",
		     f->o.seed, f->batch, f->seq);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < f->why_len)
		vsnprintf(f->why + n, f->why_len - n, fmt, ap);
	va_end(ap);
	return 1;
}

/*
 * Start the generator for one part of batch @batch: its requests (@part
 * 0) or its ioctl (1).  Each part draws from its own stream, so that a
 * plan can drop any of them and leave the rest as they were.
 */
static void reseed(struct fz *f, unsigned long batch, unsigned int part)
{
	f->rng = f->o.seed ^ (batch * 0xd1b54a32d192ed03ULL) ^
		 ((uint64_t)part << 62);
	rnd(f);
}

/* Eight bytes per draw: data-out buffers reach 70,000 bytes. */
static void fill_random(struct fz *f, uint8_t *p, size_t len)
{
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = rnd(f);
		memcpy(p + i, &v, 8);
	}
	if (i < len) {
		v = rnd(f);
		memcpy(p + i, &v, len - i);
	}
}

/* ------------------------------------------------------------------ */
/* CDBs                                                                */

/* Opcodes that change persistent target state, or take minutes. */
static bool opcode_denied(uint8_t op)
{
	static const uint8_t denied[] = {
		0x04, 0x07, 0x15, 0x16, 0x17, 0x3b, 0x41, 0x48, 0x4c, 0x55,
		0x56, 0x57, 0x5f, 0x7f, 0x83, 0x93, 0x9f, 0xa4, 0xa9,
	};
	unsigned int i;

	for (i = 0; i < sizeof(denied); i++)
		if (op == denied[i])
			return true;
	return false;
}

/* SPC and SBC commands, each with its length field filled at random. */
static void cdb_known(struct fz *f, uint8_t *cdb)
{
	static const uint8_t ops[] = {
		0x00, 0x03, 0x12, 0x1a, 0x5a, 0x4d, 0xa0, 0xa3, 0x1c, 0x5e,
		0x3c, 0x1b, 0x1e, 0x08, 0x28, 0xa8, 0x88, 0x0a, 0x2a, 0xaa,
		0x8a, 0x2f, 0x8f, 0x35, 0x91, 0x25, 0x9e, 0x42, 0x89, 0x2e,
		0x34, 0x37, 0x8e, 0x84,
	};
	uint8_t op = ops[below(f, sizeof(ops))];
	uint32_t len = chance(f, 4) ? rnd(f) : below(f, 600);
	uint64_t lba = chance(f, 8) ? rnd(f) : below(f, 4096);

	cdb[0] = op;
	if (op < 0x20) {
		cdb[4] = len;
		if (op == 0x08 || op == 0x0a)
			cdb[3] = lba;
	} else if (op < 0x80) {
		scsi_put_be32(cdb + 2, lba);
		scsi_put_be16(cdb + 7, len);
	} else if (op < 0xa0) {
		scsi_put_be64(cdb + 2, lba);
		scsi_put_be32(cdb + 10, len);
		if (op == 0x9e || op == 0x84)
			cdb[1] = chance(f, 2) ? 0x10 : below(f, 32);
	} else {
		scsi_put_be32(cdb + 2, lba);
		scsi_put_be32(cdb + 6, len);
		if (op == 0xa3)
			cdb[1] = chance(f, 2) ? 0x0a : 0x0c;
	}
	if (op == 0x12) {	/* INQUIRY: a VPD page now and then */
		cdb[1] = chance(f, 2);
		cdb[2] = chance(f, 2) ? below(f, 4) * 0x40 + below(f, 4) :
			 (uint8_t)rnd(f);
		scsi_put_be16(cdb + 3, len);
		cdb[5] = 0;
	}
}

/* A CDB: a known command, mutated now and then, or random bytes. */
static void cdb_build(struct fz *f, uint8_t *cdb, char *what, size_t wlen)
{
	unsigned int i, n;

	memset(cdb, 0, VSCSI_CDB_SIZE);
	if (chance(f, 16))
		fill_random(f, cdb, VSCSI_CDB_SIZE);
	else
		cdb_known(f, cdb);
	if (chance(f, 4))
		for (i = 0, n = 1 + below(f, 3); i < n; i++)
			cdb[below(f, VSCSI_CDB_SIZE)] = rnd(f);
	if (opcode_denied(cdb[0]))
		cdb[0] = 0x00;
	snprintf(what, wlen, "cdb %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x",
		 cdb[0], cdb[1], cdb[2], cdb[3], cdb[4], cdb[5], cdb[6],
		 cdb[7], cdb[8], cdb[9]);
}

/* ------------------------------------------------------------------ */
/* Request contents                                                    */

static void lun_build(struct fz *f, uint8_t *lun, bool data)
{
	unsigned int l = f->o.luns[below(f, f->o.nluns)];

	switch (below(f, 16)) {
	case 0:
		fill_random(f, lun, 8);
		break;
	case 1:
		vscsi_lun_encode(lun, f->o.target + 1 + below(f, 3), l);
		break;
	case 2:
		vscsi_lun_encode(lun, f->o.target, 200 + below(f, 16000));
		break;
	case 3:
		vscsi_lun_encode(lun, f->o.target, l);
		lun[below(f, 8)] ^= 1u << below(f, 8);
		break;
	case 4:		/* peripheral device addressing */
		memset(lun, 0, 8);
		lun[0] = 1;
		lun[1] = f->o.target;
		lun[3] = l;
		break;
	default:
		vscsi_lun_encode(lun, f->o.target, l);
	}
	/* The slow LUN takes seconds per data command: not in a batch. */
	if (data && f->o.slow_lun >= 0 && lun[0] == 1 &&
	    lun[1] == f->o.target && (lun[2] & 0x3f) == 0 &&
	    lun[3] == f->o.slow_lun && !(lun[4] | lun[5] | lun[6] | lun[7]))
		lun[3] = f->o.luns[0];
}

static uint32_t data_len(struct fz *f)
{
	switch (below(f, 8)) {
	case 0:
	case 1:
		return 0;
	case 2:
		return 1 + below(f, 64);
	case 3:
		return 512 * (1 + below(f, 16));
	case 4:
		return chance(f, 4) ? 1 + below(f, 70000) : 1 + below(f, 8192);
	default:
		return below(f, 1025);
	}
}

/*
 * A request-queue command: @out gets header || data-out; the writable
 * side is *@in_len bytes (response || data-in).  Return the readable
 * length.
 */
static uint32_t build_cmd(struct fz *f, uint8_t *out, uint32_t *in_len,
			  uint32_t *resp_len, bool *well_formed, char *what,
			  size_t wlen)
{
	bool pi = f->features & (1ULL << VIRTIO_SCSI_F_T10_PI);
	uint32_t fixed = VSCSI_REQ_FIXED_SIZE + (pi ? 8 : 0);
	uint32_t hdr = fixed + VSCSI_CDB_SIZE, dout, din, pio, pii;
	uint8_t cdb[VSCSI_CDB_SIZE];

	cdb_build(f, cdb, what, wlen);
	dout = data_len(f);
	din = data_len(f);
	lun_build(f, out, dout || din);
	scsi_put_be64(out + 8, rnd(f));			/* tag */
	out[16] = chance(f, 8) ? rnd(f) : below(f, 4);	/* task_attr */
	out[17] = chance(f, 8) ? rnd(f) : 0;		/* prio */
	out[18] = chance(f, 8) ? rnd(f) : 0;		/* crn */
	if (pi) {
		pio = chance(f, 2) ? 0 : chance(f, 2) ? below(f, dout + 1) : rnd(f);
		pii = chance(f, 2) ? 0 : chance(f, 2) ? below(f, din + 1) : rnd(f);
		pio = htole32(pio);
		pii = htole32(pii);
		memcpy(out + 19, &pio, 4);
		memcpy(out + 23, &pii, 4);
	}
	memcpy(out + fixed, cdb, VSCSI_CDB_SIZE);
	*well_formed = true;
	if (chance(f, 16)) {		/* truncated header */
		hdr = below(f, hdr);
		*well_formed = false;
	}
	fill_random(f, out + hdr, dout);
	*resp_len = VSCSI_RESP_SIZE;
	if (chance(f, 16)) {		/* truncated response */
		*resp_len = below(f, VSCSI_RESP_SIZE);
		*well_formed = false;
	}
	*in_len = *resp_len + din;
	return hdr + dout;
}

/* A TMF or AN request of any type and shape; readable length returned. */
static uint32_t build_ctl(struct fz *f, uint8_t *out, uint32_t *in_len,
			  char *what, size_t wlen)
{
	uint32_t type, sub = below(f, 10), len, v;

	switch (below(f, 8)) {
	case 0:
		type = VIRTIO_SCSI_T_AN_QUERY;
		break;
	case 1:
		type = VIRTIO_SCSI_T_AN_SUBSCRIBE;
		break;
	case 2:
		type = chance(f, 2) ? 3 + below(f, 4) : (uint32_t)rnd(f);
		break;
	default:
		type = VIRTIO_SCSI_T_TMF;
	}
	v = htole32(type);
	memcpy(out, &v, 4);
	if (type == VIRTIO_SCSI_T_TMF) {
		f->st->tmf++;
		v = htole32(chance(f, 8) ? (uint32_t)rnd(f) : sub);
		memcpy(out + 4, &v, 4);
		lun_build(f, out + 8, false);
		scsi_put_be64(out + 16, rnd(f));
		len = sizeof(struct virtio_scsi_ctrl_tmf_req);
		*in_len = sizeof(struct virtio_scsi_ctrl_tmf_resp);
	} else {
		f->st->an++;
		lun_build(f, out + 4, false);
		v = htole32(chance(f, 2) ? (uint32_t)rnd(f) : 1u << below(f, 8));
		memcpy(out + 12, &v, 4);
		len = sizeof(struct virtio_scsi_ctrl_an_req);
		*in_len = sizeof(struct virtio_scsi_ctrl_an_resp);
	}
	if (chance(f, 6))
		len = chance(f, 2) ? below(f, len) : len + below(f, 64);
	if (chance(f, 6))
		*in_len = chance(f, 2) ? below(f, *in_len) : *in_len + below(f, 64);
	snprintf(what, wlen, "control type %u subtype %u, %u bytes out, %u in",
		 type, type == VIRTIO_SCSI_T_TMF ? le32toh(v) : 0, len,
		 *in_len);
	return len;
}

/* ------------------------------------------------------------------ */
/* Chains                                                              */

/* Cut [gpa, gpa + len) into 1..3 descriptors at random offsets. */
static void chain_stream(struct fz *f, struct fz_chain *c, uint64_t gpa,
			 uint32_t len, bool write)
{
	unsigned int parts = 1 + below(f, 3), i;
	uint32_t at = 0, cut;

	if (!len && !chance(f, 4))
		return;
	for (i = 0; i < parts && c->n < FZ_MAXD - 3; i++) {
		cut = i + 1 == parts ? len : at + below(f, len - at + 1);
		c->d[c->n].addr = gpa + at;
		c->d[c->n].len = cut - at;
		c->d[c->n].flags = write ? VRING_DESC_F_WRITE : 0;
		c->n++;
		at = cut;
	}
	if (at < len)	/* out of room: the rest in the last one */
		c->d[c->n - 1].len += len - at;
}

static void chain_link(struct fz_chain *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++) {
		c->d[i].next = i + 1 < c->n ? i + 1 : 0;
		if (i + 1 < c->n)
			c->d[i].flags |= VRING_DESC_F_NEXT;
	}
}

/* Damage one field of one descriptor; describe it in @what. */
static void chain_mutate(struct fz *f, struct fz_req *r, struct fz_chain *c,
			 char *what, size_t wlen)
{
	unsigned int i = below(f, c->n), kind = below(f, 9);
	struct vring_desc *d = &c->d[i];

	switch (kind) {
	case 0:
		d->len = 0;
		break;
	case 1:
		d->len = below(f, d->len + 64);
		break;
	case 2:
		d->flags ^= VRING_DESC_F_WRITE;
		break;
	case 3:
		d->flags ^= VRING_DESC_F_NEXT;
		break;
	case 4:
		d->flags ^= VRING_DESC_F_INDIRECT;
		break;
	case 5:
		d->next = chance(f, 2) ? below(f, c->n) :
			  FZ_RAW_NEXT | below(f, 300);
		d->flags |= VRING_DESC_F_NEXT;
		break;
	case 6:
		d->addr = chance(f, 2) ? FZ_OUTSIDE :
			  VSCSI_GPA_BASE + FZ_MEM - below(f, 64);
		break;
	case 7:
		d->addr = r->gpa + below(f, r->alloc);
		break;
	default:
		d->len = rnd(f);
		break;
	}
	snprintf(what, wlen, "desc %u/%u mutation %u (addr %#llx len %u flags %#x next %#x)",
		 i, c->n, kind, (unsigned long long)d->addr, d->len, d->flags,
		 d->next);
}

/*
 * Bytes of the allocation the device may write: those of the writable
 * descriptors, cut to the allocation (mutated lengths included).  A
 * writable descriptor reaching past the allocation, or long enough to
 * reach other requests, is shortened first, so that no other chain's
 * buffer is ever writable through this one.
 */
static void chain_writable(struct fz_req *r, struct fz_chain *c)
{
	uint64_t end = r->gpa + r->alloc;
	unsigned int i;

	r->wmax = 0;
	r->nwr = 0;
	for (i = 0; i < c->n; i++) {
		struct vring_desc *d = &c->d[i];
		bool inside = d->addr >= r->gpa && d->addr < end;

		if (d->addr < VSCSI_GPA_BASE ||
		    d->addr >= VSCSI_GPA_BASE + FZ_MEM)
			continue;	/* unmapped: translation fails */
		if (!inside || d->addr + d->len > end) {
			/* readable-only memory may be long: never written */
			if (!(d->flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)))
				continue;
			d->len = inside ? end - d->addr : 0;
			if (!inside)
				d->addr = FZ_OUTSIDE;
		}
		if (!(d->flags & VRING_DESC_F_WRITE))
			continue;
		r->wmax += d->len;
		r->wr_off[r->nwr] = d->addr - r->gpa;
		r->wr_len[r->nwr++] = d->len;
	}
}

/* Ring descriptor id for local index @next. */
static uint16_t chain_next_id(const struct fz_chain *c, const uint16_t *ids,
			      uint16_t next, unsigned int table)
{
	if (next & FZ_RAW_NEXT)
		return table + (next & 0x7fff);
	return c->indirect ? next : ids[next];
}

/* An indirect chain's table, in the request's allocation. */
static void chain_table(struct fz *f, struct fz_req *r, struct fz_chain *c)
{
	struct vring_desc *t;
	unsigned int i;

	t = vscsi_mem_ptr(&f->dev->mem, r->gpa + PAGE, FZ_TABLE);
	for (i = 0; i < c->n; i++) {
		t[i].addr = htole64(c->d[i].addr);
		t[i].len = htole32(c->d[i].len);
		t[i].flags = htole16(c->d[i].flags);
		t[i].next = htole16(chain_next_id(c, NULL, c->d[i].next,
						  c->n));
	}
}

/* Write the chain into the ring (an indirect one: its table) and publish. */
static int chain_publish(struct fz_req *r, struct fz_chain *c)
{
	struct vscsi_vq *vq = r->vq;
	uint16_t ids[FZ_MAXD];
	unsigned int i;

	if (c->indirect) {
		ids[0] = vscsi_vq_desc_get(vq);
		/*
		 * INDIRECT with NEXT is illegal, and vhost follows the next
		 * after the table: make it an id outside the ring, never
		 * another chain's descriptor.
		 */
		vscsi_vq_desc_set(vq, ids[0], r->gpa + PAGE, c->table_len,
				  c->table_flags, vq->num + 1);
		return vscsi_vq_publish_raw(vq, ids, 1, r);
	}
	for (i = 0; i < c->n; i++)
		ids[i] = vscsi_vq_desc_get(vq);
	for (i = 0; i < c->n; i++)
		vscsi_vq_desc_set(vq, ids[i], c->d[i].addr, c->d[i].len,
				  c->d[i].flags,
				  chain_next_id(c, ids, c->d[i].next, vq->num));
	return vscsi_vq_publish_raw(vq, ids, c->n, r);
}

/* ------------------------------------------------------------------ */
/* One request                                                         */

static void req_free(struct fz *f, struct fz_req *r)
{
	if (f->dev && r->gpa)
		vscsi_mem_free(&f->dev->mem, r->gpa, r->alloc);
	free(r->shadow);
	free(r->chain);
	free(r);
}

static int live_add(struct fz *f, struct fz_req *r)
{
	struct fz_req **n;

	if (f->nlive == f->live_cap) {
		n = realloc(f->live, (f->live_cap * 2 + 64) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		f->live = n;
		f->live_cap = f->live_cap * 2 + 64;
	}
	r->live_idx = f->nlive;
	f->live[f->nlive++] = r;
	return 0;
}

static void live_del(struct fz *f, struct fz_req *r)
{
	struct fz_req *last = f->live[--f->nlive];

	f->live[r->live_idx] = last;
	last->live_idx = r->live_idx;
}

/*
 * Lay out a request in its own allocation: a page of slack, room for an
 * indirect table, the readable bytes @out, a gap, the writable bytes, a
 * page of slack.  Everything but the readable bytes is poisoned.
 */
static struct fz_req *req_alloc(struct fz *f, struct vscsi_vq *vq,
				const uint8_t *out, uint32_t out_len,
				uint32_t in_len)
{
	struct fz_req *r = calloc(1, sizeof(*r));
	uint8_t *p;

	if (!r)
		return NULL;
	r->vq = vq;
	r->seq = f->seq;
	r->alloc = PAGE + FZ_TABLE + out_len + 64 + in_len + PAGE;
	r->gpa = vscsi_mem_alloc_raw(&f->dev->mem, r->alloc, 64);
	r->shadow = malloc(r->alloc - 2 * PAGE);
	if (!r->gpa || !r->shadow) {
		req_free(f, r);
		return NULL;
	}
	p = vscsi_mem_ptr(&f->dev->mem, r->gpa, r->alloc);
	memset(p, FZ_POISON, r->alloc);
	memcpy(p + PAGE + FZ_TABLE, out, out_len);
	r->resp_off = PAGE + FZ_TABLE + out_len + 64;
	return r;
}

/* Build the chain over @r's streams, mutate it now and then, publish. */
static int req_chain(struct fz *f, struct fz_req *r, uint32_t out_len,
		     uint32_t in_len, unsigned int mutate_one_in)
{
	struct fz_chain c = { .n = 0 };
	unsigned int i, n;
	int head;

	chain_stream(f, &c, r->gpa + PAGE + FZ_TABLE, out_len, false);
	chain_stream(f, &c, r->gpa + r->resp_off, in_len, true);
	if (!c.n) {
		c.d[0] = (struct vring_desc){ r->gpa + r->resp_off, 0,
					      VRING_DESC_F_WRITE, 0 };
		c.n = 1;
	}
	chain_link(&c);
	c.indirect = f->features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC) &&
		     chance(f, 4);
	c.table_len = c.n * sizeof(struct vring_desc);
	c.table_flags = VRING_DESC_F_INDIRECT;
	if (chance(f, mutate_one_in)) {
		f->st->mutated++;
		r->check_resp = false;
		for (i = 0, n = 1 + below(f, 3); i < n; i++)
			chain_mutate(f, r, &c, r->what + strlen(r->what),
				     sizeof(r->what) - strlen(r->what));
		if (c.indirect && chance(f, 4)) {
			c.table_len = chance(f, 2) ? below(f, c.table_len + 32) :
				      c.table_len + 16 * below(f, 4);
			c.table_flags |= chance(f, 2) ? VRING_DESC_F_WRITE :
					 VRING_DESC_F_NEXT;
		}
	}
	chain_writable(r, &c);
	if (c.indirect)
		chain_table(f, r, &c);
	memcpy(r->shadow, vscsi_mem_ptr(&f->dev->mem, r->gpa + PAGE,
					r->alloc - 2 * PAGE),
	       r->alloc - 2 * PAGE);
	if (r->vq->num_free < (c.indirect ? 1 : c.n))
		return -ENOSPC;
	r->avail_idx = r->vq->avail_idx;
	head = chain_publish(r, &c);
	if (head < 0)
		return head;
	r->chain = malloc(sizeof(c));
	if (r->chain)
		*r->chain = c;
	f->past[r->seq % FZ_HISTORY] = (struct fz_past){ r->seq, r->vq->index,
							  r->gpa, r->alloc, c };
	r->head = head;
	f->st->requests++;
	f->seq++;
	return live_add(f, r);
}

/* One request on @vq (control, event or request queue). */
static int req_one(struct fz *f, struct vscsi_vq *vq)
{
	uint8_t out[VSCSI_REQ_FIXED_SIZE + 8 + VSCSI_CDB_SIZE + 70000 + 64];
	uint32_t out_len, in_len, resp_len = 0;
	bool well_formed = false;
	char what[120] = "";
	struct fz_req *r;
	int ret;

	if (vq->index == VSCSI_VQ_CTL) {
		out_len = build_ctl(f, out, &in_len, what, sizeof(what));
	} else if (vq->index == VSCSI_VQ_EVT) {
		f->st->events++;
		out_len = chance(f, 6) ? below(f, 8) : 0;
		fill_random(f, out, out_len);
		in_len = chance(f, 2) ? below(f, 40) : 16;
		snprintf(what, sizeof(what), "event buffer %u/%u", out_len,
			 in_len);
	} else {
		out_len = build_cmd(f, out, &in_len, &resp_len, &well_formed,
				    what, sizeof(what));
	}
	if (vq->num_free < FZ_MAXD)
		return -ENOSPC;
	r = req_alloc(f, vq, out, out_len, in_len);
	if (!r)
		return -ENOMEM;
	snprintf(r->what, sizeof(r->what), "%s; ", what);
	r->check_resp = well_formed;
	r->resp_len = resp_len;
	ret = req_chain(f, r, out_len, in_len, 5);
	if (ret)
		req_free(f, r);
	return ret;
}

/* The chain as published, on the log. */
static void req_dump(struct fz *f, const struct fz_req *r, uint32_t used_len)
{
	const struct fz_chain *c = r->chain;
	unsigned int i;

	if (!f->o.log || !c)
		return;
	fprintf(f->o.log, "# request %lu: vq %u head %d avail %u used.len %u, allocation %#llx+%llu, %s chain of %u (table len %u flags %#x)\n",
		r->seq, r->vq->index, r->head, r->avail_idx, used_len,
		(unsigned long long)r->gpa, (unsigned long long)r->alloc,
		c->indirect ? "indirect" : "direct", c->n, c->table_len,
		c->table_flags);
	for (i = 0; i < c->n; i++)
		fprintf(f->o.log, "#   desc %u: addr %#llx (+%lld) len %u flags %#x next %#x\n",
			i, (unsigned long long)c->d[i].addr,
			(long long)(c->d[i].addr - r->gpa), c->d[i].len,
			c->d[i].flags, c->d[i].next);
}

/* Recent chains with a descriptor or allocation covering @gpa. */
static void past_dump(struct fz *f, uint64_t gpa)
{
	unsigned int i, k;

	for (i = 0; f->o.log && i < FZ_HISTORY; i++) {
		const struct fz_past *p = &f->past[i];
		bool hit = gpa >= p->gpa && gpa < p->gpa + p->alloc;

		for (k = 0; k < p->chain.n; k++)
			hit |= gpa >= p->chain.d[k].addr &&
			       gpa - p->chain.d[k].addr < p->chain.d[k].len;
		if (!hit || !p->alloc)
			continue;
		fprintf(f->o.log, "# earlier request %lu on vq %u: allocation %#llx+%llu, %s\n",
			p->seq, p->vq, (unsigned long long)p->gpa,
			(unsigned long long)p->alloc,
			p->chain.indirect ? "indirect" : "direct");
		for (k = 0; k < p->chain.n; k++)
			fprintf(f->o.log, "#   desc %u: addr %#llx len %u flags %#x next %#x\n",
				k, (unsigned long long)p->chain.d[k].addr,
				p->chain.d[k].len, p->chain.d[k].flags,
				p->chain.d[k].next);
	}
}

/* Is byte @i of @r's allocation device-writable? */
static bool req_writable(const struct fz_req *r, uint64_t i)
{
	unsigned int k;

	for (k = 0; k < r->nwr; k++)
		if (i >= r->wr_off[k] && i - r->wr_off[k] < r->wr_len[k])
			return true;
	return false;
}

/* A page of the poison, to compare each request's slack with. */
static const uint8_t *poison_page(void)
{
	static uint8_t page[PAGE];

	if (page[0] != FZ_POISON)
		memset(page, FZ_POISON, sizeof(page));
	return page;
}

/* Byte @i of @r's allocation as published. */
static uint8_t req_published(const struct fz_req *r, uint64_t i)
{
	if (i < PAGE || i >= r->alloc - PAGE)
		return FZ_POISON;
	return r->shadow[i - PAGE];
}

/*
 * The first byte of [@at, @end) outside the writable ranges that differs
 * from @ref (published bytes from @at on), or -1.  The ranges are few:
 * compare a page at once and look closer only where it differs.
 */
static int64_t req_overrun_in(const struct fz_req *r, const uint8_t *p,
			      uint64_t at, uint64_t end, const uint8_t *ref)
{
	uint64_t i, step;

	for (; at < end; at += step, ref += step) {
		step = end - at < PAGE ? end - at : PAGE;
		if (!memcmp(p + at, ref, step))
			continue;
		for (i = 0; i < step; i++)
			if (p[at + i] != ref[i] && !req_writable(r, at + i))
				return at + i;
	}
	return -1;
}

/* The first byte outside the writable ranges that changed, or -1. */
static int64_t req_overrun(const struct fz_req *r, const uint8_t *p)
{
	int64_t i = req_overrun_in(r, p, 0, PAGE, poison_page());

	if (i < 0)
		i = req_overrun_in(r, p, PAGE, r->alloc - PAGE, r->shadow);
	if (i < 0)
		i = req_overrun_in(r, p, r->alloc - PAGE, r->alloc,
				   poison_page());
	return i;
}

/* The checks on a chain the device returned. */
static int req_check(struct fz *f, struct fz_req *r, uint32_t used_len)
{
	const uint8_t *p = vscsi_mem_ptr(&f->dev->mem, r->gpa, r->alloc);
	int64_t i;

	f->st->answered++;
	if (used_len > r->wmax || req_overrun(r, p) >= 0)
		req_dump(f, r, used_len);
	if (used_len > r->wmax)
		return fz_fail(f, "request %lu on vq %u: used.len %u exceeds the %llu device-writable bytes (%s)",
			       r->seq, r->vq->index, used_len,
			       (unsigned long long)r->wmax, r->what);
	i = req_overrun(r, p);
	if (i >= 0) {
		unsigned int k;

		past_dump(f, r->gpa + i);
		for (k = 0; f->o.log && k < f->nlive; k++)
			if (f->live[k]->vq->index == VSCSI_VQ_EVT)
				req_dump(f, f->live[k], 0);
		if (f->o.log)
			fprintf(f->o.log, "# ring HVAs: memory %p, vq0 desc %p used %p\n",
				(void *)f->dev->mem.host, (void *)f->dev->vqs[0].desc,
				(void *)f->dev->vqs[0].used);
	}
	if (i >= 0)
		return fz_fail(f, "request %lu on vq %u: byte %lld of its allocation (%s) changed from %#x to %#x outside the device-writable buffers (%s)",
			       r->seq, r->vq->index, (long long)i,
			       i < PAGE ? "leading slack" :
			       (uint64_t)i >= r->alloc - PAGE ? "trailing slack" :
			       "table, readable or gap",
			       req_published(r, i), p[i], r->what);
	/* virtio_scsi_cmd_resp.response is byte 11; 0xa5 is no response */
	if (r->check_resp && (used_len < r->resp_len ||
			      p[r->resp_off + 11] == FZ_POISON))
		return fz_fail(f, "request %lu on vq %u: well formed, yet used.len %u and response byte %#x (%s)",
			       r->seq, r->vq->index, used_len,
			       p[r->resp_off + 11], r->what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Batches                                                             */

/* Collect returned chain @head of @vq and check it. */
static int batch_collect(struct fz *f, struct vscsi_vq *vq, int head)
{
	struct fz_req *r = vq->slots[head].owner;
	uint32_t used_len;
	int ret;

	int64_t t0;

	vscsi_vq_collect(vq, head, &used_len);
	if (!r)
		return 0;
	t0 = vscsi_now_ms();
	ret = req_check(f, r, used_len);
	f->st->ms_check += vscsi_now_ms() - t0;
	live_del(f, r);
	req_free(f, r);
	return ret;
}

/* Requests of @vq the device still holds. */
static unsigned int vq_pending(struct fz *f, struct vscsi_vq *vq)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->nlive; i++)
		n += f->live[i]->vq == vq;
	return n;
}

static int wait_failed(struct fz *f, struct vscsi_vq *vq, unsigned int left)
{
	unsigned int i;

	for (i = 0; i < f->nlive; i++)
		if (f->live[i]->vq == vq)
			break;
	return fz_fail(f, "vq %u: %u requests not answered within %d ms (%s), the first request %lu: %s",
		       vq->index, left, f->o.timeout_ms,
		       vq->missed_calls ? "returned without a call" :
		       "never returned", f->live[i]->seq, f->live[i]->what);
}

/*
 * Collect every returned chain of @vq from slot @from on (the lowest
 * returned one: vscsi_vq_wait_any()), one pass over the ring per
 * wake-up; *@left counts down the fuzzer's own chains.
 */
static int vq_collect_all(struct fz *f, struct vscsi_vq *vq, int from,
			  unsigned int *left)
{
	unsigned int i;
	int ret;

	for (i = from; i < vq->num; i++) {
		if (!vq->slots[i].done)
			continue;
		*left -= vq->slots[i].owner && *left;
		ret = batch_collect(f, vq, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* Every chain on the control and request queues comes back in time. */
static int batch_wait(struct fz *f)
{
	int64_t deadline = vscsi_now_ms() + f->o.timeout_ms;
	unsigned int q, left;
	int head, ret;

	for (q = 0; q < f->dev->nvqs; q++) {
		struct vscsi_vq *vq = &f->dev->vqs[q];

		if (q == VSCSI_VQ_EVT)
			continue;
		for (left = vq_pending(f, vq); left;) {
			int64_t ms = deadline - vscsi_now_ms();

			head = vscsi_vq_wait_any(vq, ms > 0 ? (int)ms : 0);
			if (head < 0)
				return wait_failed(f, vq, left);
			ret = vq_collect_all(f, vq, head, &left);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Event buffers the device used: check them without waiting. */
static int batch_events(struct fz *f)
{
	struct vscsi_vq *vq = &f->dev->vqs[VSCSI_VQ_EVT];
	unsigned int i;
	int ret;

	vscsi_vq_reap(vq);
	for (i = 0; i < vq->num; i++) {
		if (!vq->slots[i].done)
			continue;
		ret = batch_collect(f, vq, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* The device answered each chain at most once. */
static int batch_once(struct fz *f)
{
	unsigned int q;

	for (q = 0; q < f->dev->nvqs; q++)
		if (f->dev->vqs[q].bogus_used)
			return fz_fail(f, "vq %u: %lu used entries for chains not in flight (answered twice, or a head never published)",
				       q, f->dev->vqs[q].bogus_used);
	return 0;
}

/*
 * TEST UNIT READY on every request queue at once (those in @need), one
 * round: each answer GOOD clears its queue from @need, CHECK CONDITION
 * (a unit attention, e.g. after a LUN change) leaves it there.
 */
static int tur_round(struct fz *f, struct vscsi_req *req, bool *need)
{
	struct vscsi_cmd cmd = { .target = f->o.target, .lun = f->o.luns[0],
				 .timeout_ms = f->o.timeout_ms };
	struct vscsi_result *res;
	uint8_t cdb[6];
	unsigned int q;
	int ret = 0;

	cmd.cdb = cdb;
	cmd.cdb_len = scsi_cdb_tur(cdb);
	for (q = 0; !ret && q < f->o.queues; q++) {
		cmd.tag = 0x7475720000000000ULL | f->st->turs++;
		if (need[q])
			ret = vscsi_req_submit(f->dev, vscsi_req_vq(f->dev, q),
					       &req[q], &cmd, true);
	}
	for (q = 0; !ret && q < f->o.queues; q++) {
		if (!need[q])
			continue;
		ret = vscsi_req_wait(f->dev, &req[q], f->o.timeout_ms);
		if (ret && !req[q].completed)
			vscsi_req_abandon(&req[q]);
		if (ret)
			return fz_fail(f, "request queue %u: TEST UNIT READY after the batch: %s",
				       q, strerror(-ret));
		res = &req[q].res;
		if (res->response == VIRTIO_SCSI_S_OK &&
		    res->status == SCSI_STATUS_CHECK_CONDITION)
			continue;
		need[q] = false;
		if (res->response != VIRTIO_SCSI_S_OK ||
		    res->status != SCSI_STATUS_GOOD)
			return fz_fail(f, "request queue %u: TEST UNIT READY after the batch answered response %s status %#x, expected OK and GOOD",
				       q, vscsi_response_name(res->response),
				       res->status);
	}
	return ret < 0 ? fz_fail(f, "TEST UNIT READY: %s", strerror(-ret)) : ret;
}

/*
 * TEST UNIT READY on every request queue: GOOD, past unit attentions
 * (the admin churn's LUN changes queue several).  All queues at once:
 * one wake-up of the device serves them all.
 */
static int batch_tur(struct fz *f)
{
	struct vscsi_req *req = calloc(f->o.queues, sizeof(*req));
	bool *need = calloc(f->o.queues, sizeof(*need));
	unsigned int q, tries, left = f->o.queues;
	int ret = req && need ? 0 : fz_fail(f, "out of memory");

	for (q = 0; q < f->o.queues && need; q++)
		need[q] = true;
	for (tries = 0; !ret && left && tries < 16; tries++) {
		ret = tur_round(f, req, need);
		for (left = 0, q = 0; q < f->o.queues; q++)
			left += need[q];
	}
	if (!ret && left)
		ret = fz_fail(f, "TEST UNIT READY after the batch: CHECK CONDITION 16 times in a row on %u request queues",
			      left);
	free(req);
	free(need);
	return ret;
}

/* Publish up to FZ_MAX_BATCH requests on @vq; kick now and then. */
static int batch_fill(struct fz *f, struct vscsi_vq *vq, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n && f->st->requests < f->o.count && f->batch_cap;
	     i++) {
		ret = req_one(f, vq);
		if (ret == -ENOSPC)
			break;
		if (ret)
			return ret;
		f->batch_cap--;
		if (chance(f, 8))
			vscsi_vq_kick(vq);
	}
	return 0;
}

static int batch_publish(struct fz *f)
{
	unsigned int q;
	int ret;

	for (q = 0; q < f->dev->nvqs; q++) {
		struct vscsi_vq *vq = &f->dev->vqs[q];
		unsigned int n = q == VSCSI_VQ_CTL ? below(f, 4) :
				 q == VSCSI_VQ_EVT ? (chance(f, 8) ? 1 : 0) :
				 1 + below(f, FZ_MAX_BATCH);

		if (q == VSCSI_VQ_EVT && vq_pending(f, vq) >= vq->num / 2)
			n = 0;
		ret = batch_fill(f, vq, n);
		if (ret)
			return ret;
	}
	for (q = 0; q < f->dev->nvqs; q++)
		vscsi_vq_kick_force(&f->dev->vqs[q]);
	return 0;
}

/* Add the time since *@t to *@sum; restart *@t. */
static void lap(int64_t *t, int64_t *sum)
{
	int64_t now = vscsi_now_ms();

	*sum += now - *t;
	*t = now;
}

static int batch_run(struct fz *f)
{
	int64_t t = vscsi_now_ms(), wait;
	int ret;

	f->st->batches++;
	ret = batch_publish(f);
	lap(&t, &f->st->ms_publish);
	if (ret < 0)
		return fz_fail(f, "publishing a batch: %s", strerror(-ret));
	wait = f->st->ms_wait;
	ret = batch_wait(f);
	lap(&t, &f->st->ms_wait);
	if (f->st->ms_wait - wait > f->st->ms_slowest)
		f->st->ms_slowest = f->st->ms_wait - wait;
	if (!ret)
		ret = batch_events(f);
	if (!ret)
		ret = batch_once(f);
	if (!ret)
		ret = batch_tur(f);
	lap(&t, &f->st->ms_tur);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Device lifecycle and interleaved ioctls                             */

/* Tell the admin churn whether the endpoint is held (see the header). */
static void fz_bound(struct fz *f, bool bound)
{
	if (f->o.bound)
		f->o.bound(f->o.arg, bound);
}

static int fz_set_endpoint(struct fz *f)
{
	int ret = vscsi_set_endpoint(f->dev, f->o.wwpn);

	if (!ret)
		fz_bound(f, true);
	return ret;
}

static void dev_close(struct fz *f)
{
	unsigned int i;

	/* The device is gone with the fd: its chains are simply dropped. */
	fz_bound(f, false);
	vscsi_dev_close(f->dev);
	f->dev = NULL;
	for (i = 0; i < f->nlive; i++)
		req_free(f, f->live[i]);
	f->nlive = 0;
}

static int dev_open(struct fz *f)
{
	struct vscsi_opts opts = {
		.path = f->o.path,
		.mem_size = FZ_MEM,
		.queue_size = FZ_QSIZE,
		.req_queues = f->o.queues,
		.features_given = true,
	};
	uint64_t offered;
	int ret;

	/* With or without T10-PI, as a guest would negotiate. */
	ret = vscsi_dev_open(&f->dev, f->o.path);
	if (ret)
		return ret;
	ret = vscsi_get_features(f->dev, &offered);
	vscsi_dev_close(f->dev);
	f->dev = NULL;
	if (ret)
		return ret;
	opts.features = offered & (VSCSI_DEFAULT_FEATURES |
				   (chance(f, 2) ? 1ULL << VIRTIO_SCSI_F_T10_PI : 0));
	if (chance(f, 8))
		opts.features &= ~(1ULL << VIRTIO_RING_F_EVENT_IDX);
	f->features = opts.features;
	ret = vscsi_dev_start(&f->dev, &opts);
	if (ret)
		return ret;
	ret = fz_set_endpoint(f);
	if (ret) {
		vscsi_dev_close(f->dev);
		f->dev = NULL;
	}
	return ret;
}

/* The same guest memory, as one region or cut in two at a page. */
static int ioctl_mem_table(struct fz *f)
{
	struct vhost_memory *t = calloc(1, sizeof(*t) + 2 * sizeof(t->regions[0]));
	uint64_t cut = (1 + below(f, FZ_MEM / PAGE - 1)) * (uint64_t)PAGE;
	int ret;

	if (!t)
		return -ENOMEM;
	t->nregions = chance(f, 2) ? 1 : 2;
	t->regions[0].guest_phys_addr = f->dev->mem.gpa;
	t->regions[0].userspace_addr = (uintptr_t)f->dev->mem.host;
	t->regions[0].memory_size = t->nregions == 1 ? FZ_MEM : cut;
	t->regions[1].guest_phys_addr = f->dev->mem.gpa + cut;
	t->regions[1].userspace_addr = (uintptr_t)f->dev->mem.host + cut;
	t->regions[1].memory_size = FZ_MEM - cut;
	ret = ioctl(f->dev->fd, VHOST_SET_MEM_TABLE, t) ? -errno : 0;
	free(t);
	return ret;
}

static int vq_ioctl(struct vscsi_vq *vq, unsigned long req, unsigned int num)
{
	struct vhost_vring_state s = { .index = vq->index, .num = num };

	return ioctl(vq->dev->fd, req, &s) ? -errno : 0;
}

static int vq_set_fd(struct vscsi_vq *vq, unsigned long req, int fd)
{
	struct vhost_vring_file file = { .index = vq->index, .fd = fd };

	return ioctl(vq->dev->fd, req, &file) ? -errno : 0;
}

/*
 * Hand @vq to the device again, as after RESET_OWNER: size, @base, the
 * ring addresses and the three eventfds.
 */
static int vq_register(struct vscsi_vq *vq, unsigned int base)
{
	int ret = vq_ioctl(vq, VHOST_SET_VRING_NUM, vq->num);

	if (!ret)
		ret = vq_ioctl(vq, VHOST_SET_VRING_BASE, base);
	if (!ret)
		ret = vscsi_vq_set_addr(vq, NULL, NULL, NULL);
	if (!ret)
		ret = vq_set_fd(vq, VHOST_SET_VRING_KICK, vq->kick_fd);
	if (!ret)
		ret = vq_set_fd(vq, VHOST_SET_VRING_CALL, vq->call_fd);
	if (!ret)
		ret = vq_set_fd(vq, VHOST_SET_VRING_ERR, vq->err_fd);
	return ret;
}

/*
 * SET_VRING_* on a stopped queue, as QEMU may issue them in any order: a
 * size and ring addresses the device must refuse (EINVAL, not a crash),
 * eventfds taken away and given back, then the queue as it was.  Return
 * 1 on a broken expectation, -errno when an ioctl that must work failed.
 */
static int vq_stopped_poke(struct fz *f, struct vscsi_vq *vq, unsigned int base)
{
	unsigned int bad = chance(f, 2) ? 0 : vq->num + 1 + below(f, vq->num - 1);
	int ret;

	f->st->vring_stopped++;
	ret = vq_ioctl(vq, VHOST_SET_VRING_NUM, bad);
	if (ret != -EINVAL)
		return fz_fail(f, "vq %u: SET_VRING_NUM %u while stopped: expected EINVAL, got %s",
			       vq->index, bad, strerror(-ret));
	/* vhost checks the avail and used alignment, not the table's */
	ret = vscsi_vq_set_addr(vq, NULL, NULL, (uint8_t *)vq->used + 2);
	if (ret != -EINVAL)
		return fz_fail(f, "vq %u: SET_VRING_ADDR with a misaligned used ring: expected EINVAL, got %s",
			       vq->index, strerror(-ret));
	ret = vq_set_fd(vq, VHOST_SET_VRING_CALL, -1);
	if (!ret)
		ret = vq_set_fd(vq, VHOST_SET_VRING_KICK, -1);
	if (!ret && chance(f, 2))
		ret = vq_set_fd(vq, VHOST_SET_VRING_ERR, -1);
	return ret ? ret : vq_register(vq, base);
}

/*
 * What QEMU does when it stops and restarts the device: clear the
 * endpoint, read each ring's base and write it back with the addresses
 * (now and then with other SET_VRING_* ioctls first: vq_stopped_poke()),
 * set the endpoint again.
 */
static int ioctl_endpoint_cycle(struct fz *f)
{
	struct vhost_vring_state s;
	unsigned int q;
	int ret;

	fz_bound(f, false);
	ret = vscsi_clear_endpoint(f->dev, f->o.wwpn);
	for (q = 0; !ret && q < f->dev->nvqs; q++) {
		s.index = q;
		ret = ioctl(f->dev->fd, VHOST_GET_VRING_BASE, &s) ? -errno : 0;
		if (!ret && chance(f, 2))
			ret = vq_stopped_poke(f, &f->dev->vqs[q], s.num);
		else if (!ret)
			ret = vq_register(&f->dev->vqs[q], s.num);
	}
	return ret ? ret : fz_set_endpoint(f);
}

/*
 * RESET_OWNER, as QEMU issues it when the guest resets the device: the
 * device forgets its owner, features, memory table and rings; set them
 * all up again (the rings as they were, from the bases read while the
 * endpoint was clear) and bind again.
 */
static int ioctl_reset_owner(struct fz *f)
{
	unsigned int bases[VSCSI_VQ_REQ0 + 64], q;
	struct vhost_vring_state s;
	int ret;

	if (f->dev->nvqs > sizeof(bases) / sizeof(bases[0]))
		return -E2BIG;
	f->st->reset_owners++;
	fz_bound(f, false);
	ret = vscsi_clear_endpoint(f->dev, f->o.wwpn);
	for (q = 0; !ret && q < f->dev->nvqs; q++) {
		s.index = q;
		ret = ioctl(f->dev->fd, VHOST_GET_VRING_BASE, &s) ? -errno : 0;
		bases[q] = s.num;
	}
	if (!ret)
		ret = ioctl(f->dev->fd, VHOST_RESET_OWNER) ? -errno : 0;
	if (!ret)
		ret = ioctl(f->dev->fd, VHOST_SET_OWNER) ? -errno : 0;
	if (!ret)
		ret = vscsi_set_features(f->dev, f->features);
	if (!ret)
		ret = ioctl_mem_table(f);
	for (q = 0; !ret && q < f->dev->nvqs; q++)
		ret = vq_register(&f->dev->vqs[q], bases[q]);
	return ret ? ret : fz_set_endpoint(f);
}

/* Close with a batch in flight (nothing of it is checked), reopen. */
static int ioctl_close_inflight(struct fz *f)
{
	int ret;

	f->st->inflight_closes++;
	ret = batch_publish(f);
	if (ret)
		return ret;
	if (chance(f, 2))
		usleep(below(f, 2000));
	dev_close(f);
	f->st->reopens++;
	return dev_open(f);
}

/* One of the ioctls QEMU may issue between batches. */
static int ioctl_one(struct fz *f)
{
	const char *what[] = { "SET_FEATURES", "SET_MEM_TABLE",
			       "endpoint cycle", "events missed",
			       "close and reopen", "close in flight",
			       "RESET_OWNER" };
	unsigned int op = below(f, 7);
	uint32_t one = 1;
	int ret;

	f->st->ioctls++;
	if (f->o.log && getenv("VSCSI_FUZZ_TRACE")) {
		fprintf(f->o.log, "# fuzz: request %lu, batch %lu: %s\n",
			f->seq, f->st->batches, what[op]);
		fflush(f->o.log);
	}
	switch (op) {
	case 0:
		ret = vscsi_set_features(f->dev, f->features);
		break;
	case 1:
		ret = ioctl_mem_table(f);
		break;
	case 2:
		ret = ioctl_endpoint_cycle(f);
		break;
	case 3:		/* owes the guest a notice on the event queue */
		ret = vscsi_set_events_missed(f->dev, one);
		if (!ret)
			ret = batch_fill(f, &f->dev->vqs[VSCSI_VQ_EVT], 2);
		if (!ret)
			ret = vscsi_vq_kick_force(&f->dev->vqs[VSCSI_VQ_EVT]);
		break;
	case 4:
		dev_close(f);
		f->st->reopens++;
		ret = dev_open(f);
		break;
	case 5:
		ret = ioctl_close_inflight(f);
		break;
	default:
		ret = ioctl_reset_owner(f);
	}
	if (ret > 0)
		return ret;
	if (ret)
		return fz_fail(f, "%s: %s", what[op], strerror(-ret));
	return 0;
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

/* A field of /proc/meminfo in kB, or -1. */
static long meminfo_kb(const char *field)
{
	char line[128];
	size_t len = strlen(field);
	long kb = -1;
	FILE *fp = fopen("/proc/meminfo", "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, field, len) && line[len] == ':')
			kb = strtol(line + len + 1, NULL, 10);
	fclose(fp);
	return kb;
}

/* Slab back within the bound of @base, given up to five seconds. */
static int mem_check(struct fz *f, long base)
{
	int i;

	for (i = 0; i < 50; i++) {
		f->st->slab_delta_kb = meminfo_kb("Slab") - base;
		if (f->st->slab_delta_kb <= f->o.mem_bound_kb)
			return 0;
		usleep(100000);
	}
	return fz_fail(f, "Slab grew by %ld kB over the run (bound %ld kB) and did not come back after close",
		       f->st->slab_delta_kb, f->o.mem_bound_kb);
}

static void progress(struct fz *f, int64_t t0, int64_t *last)
{
	int64_t now = vscsi_now_ms();

	if (!f->o.log || now - *last < 10000)
		return;
	*last = now;
	fprintf(f->o.log, "# fuzz: %lu requests, %lu batches, %lu ioctls, %lu reopens, %.0f req/s\n",
		f->st->requests, f->st->batches, f->st->ioctls,
		f->st->reopens, f->st->requests * 1000.0 / (now - t0 + 1));
	fflush(f->o.log);
}

/* Batch @f->batch's parts the plan keeps (both without a plan). */
static unsigned int plan_parts(const struct fz *f)
{
	if (!f->o.plan)
		return VSCSI_FUZZ_PLAN_REQ | VSCSI_FUZZ_PLAN_IOCTL;
	return f->o.plan[f->batch];
}

static bool fuzz_more(const struct fz *f)
{
	if (f->st->requests >= f->o.count)
		return false;
	return !f->o.plan || f->batch < f->o.plan_len;
}

/* One batch and, one time in eight, an ioctl after it. */
static int fuzz_step(struct fz *f)
{
	unsigned int parts = plan_parts(f);
	const char *msg;
	int64_t t;
	int ret = 0;

	f->batch_cap = ULONG_MAX;
	if (f->o.plan && f->o.last_cap && f->batch + 1 == f->o.plan_len)
		f->batch_cap = f->o.last_cap;
	reseed(f, f->batch, 0);
	if (parts & VSCSI_FUZZ_PLAN_REQ)
		ret = batch_run(f);
	reseed(f, f->batch, 1);
	if (!ret && chance(f, 8) && (parts & VSCSI_FUZZ_PLAN_IOCTL)) {
		t = vscsi_now_ms();
		ret = ioctl_one(f);
		lap(&t, &f->st->ms_ioctl);
	}
	msg = !ret && f->o.check ? f->o.check(f->o.arg) : NULL;
	if (msg)
		ret = fz_fail(f, "admin churn: %s", msg);
	f->batch++;
	return ret;
}

static int fuzz_loop(struct fz *f)
{
	int64_t t0 = vscsi_now_ms(), last = t0;
	struct rusage ru;
	int ret = 0;

	while (!ret && fuzz_more(f)) {
		ret = fuzz_step(f);
		progress(f, t0, &last);
	}
	f->st->seconds = (vscsi_now_ms() - t0) / 1000.0;
	if (!getrusage(RUSAGE_SELF, &ru)) {
		f->st->cpu_user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
		f->st->cpu_sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	return ret;
}

int vscsi_fuzz_run(const struct vscsi_fuzz_opts *opts,
		   struct vscsi_fuzz_stats *stats, char *why, size_t why_len)
{
	struct fz f = { .o = *opts, .st = stats, .why = why,
			.why_len = why_len };
	long base;
	int ret;

	memset(stats, 0, sizeof(*stats));
	why[0] = 0;
	f.rng = opts->seed;
	if (!f.o.nluns || !f.o.queues || !f.o.wwpn)
		return -EINVAL;
	if (!f.o.timeout_ms)
		f.o.timeout_ms = 10000;
	if (!f.o.mem_bound_kb)
		f.o.mem_bound_kb = 16384;
	base = meminfo_kb("Slab");
	ret = dev_open(&f);
	if (ret)
		return ret;
	ret = fuzz_loop(&f);
	if (f.dev)
		dev_close(&f);
	if (!ret)
		ret = mem_check(&f, base);
	free(f.live);
	return ret;
}

void vscsi_fuzz_print(FILE *fp, const struct vscsi_fuzz_opts *o,
		      const struct vscsi_fuzz_stats *s)
{
	fprintf(fp, "fuzz: seed %" PRIu64 " queues %u: %lu requests (%lu answered, %lu with damaged chains, %lu TMF, %lu AN, %lu event buffers), %lu batches, %lu TURs, %lu ioctls, %lu reopens (%lu with requests in flight), %lu RESET_OWNER, %lu SET_VRING_* rounds while stopped, Slab %+ld kB, %.1f s, %.0f requests/s\n",
		o->seed, o->queues, s->requests, s->answered, s->mutated,
		s->tmf, s->an, s->events, s->batches, s->turs, s->ioctls,
		s->reopens, s->inflight_closes, s->reset_owners,
		s->vring_stopped, s->slab_delta_kb, s->seconds,
		s->seconds > 0 ? s->requests / s->seconds : 0.0);
	fprintf(fp, "fuzz: time: publishing %.1f s, waiting for answers %.1f s (checking them %.1f s, slowest batch %.1f s), TURs and event checks %.1f s, ioctls %.1f s\n",
		s->ms_publish / 1000.0, s->ms_wait / 1000.0,
		s->ms_check / 1000.0, s->ms_slowest / 1000.0,
		s->ms_tur / 1000.0, s->ms_ioctl / 1000.0);
	fprintf(fp, "fuzz: CPU of the fuzzer's process: user %.1f s, system %.1f s\n",
		s->cpu_user, s->cpu_sys);
}
