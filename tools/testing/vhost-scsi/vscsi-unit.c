// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi-unit - checks of libvhost-scsi's pure parts (ring layout, event
 * index arithmetic, LUN encoding, CDB builders, sense parsing, guest
 * memory allocator, the fuzzer's replay plans).  Needs no device.  Reports through ktest.h; -l
 * lists the case names.  run-all runs the ASan/UBSan build that
 * tools/testing/unit makes of it (vscsi_unit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../vhost-scsi/vscsi.h"
#include "../../vhost-scsi/vscsi-fuzz.h"
#include "../lib/ktest.h"

static char msg[256];

#define EXPECT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf(msg, sizeof(msg), __VA_ARGS__);	\
			return 1;					\
		}							\
	} while (0)

static int ring_layout_legacy_128(void)
{
	struct vscsi_ring_layout l;

	EXPECT(!vscsi_ring_layout(128, 4096, &l), "expected 0, got error");
	EXPECT(l.avail_off == 2048, "expected avail at 2048, got %zu",
	       l.avail_off);
	/* avail: 2048 + 6 + 256 = 2310 -> used at 4096 */
	EXPECT(l.used_off == 4096, "expected used at 4096, got %zu",
	       l.used_off);
	EXPECT(l.total == 4096 + 6 + 8 * 128, "expected total %d, got %zu",
	       4096 + 6 + 8 * 128, l.total);
	return 0;
}

static int ring_layout_rejects_non_power_of_2(void)
{
	struct vscsi_ring_layout l;

	EXPECT(vscsi_ring_layout(100, 4096, &l) < 0,
	       "expected error for num 100, got 0");
	EXPECT(vscsi_ring_layout(0, 4096, &l) < 0,
	       "expected error for num 0, got 0");
	return 0;
}

static int need_event_wraps(void)
{
	EXPECT(vscsi_need_event(5, 6, 5), "expected kick crossing 5, got none");
	EXPECT(!vscsi_need_event(7, 6, 5), "expected no kick before 7, got one");
	EXPECT(vscsi_need_event(0xffff, 1, 0xfffe),
	       "expected kick across the 16-bit wrap, got none");
	return 0;
}

static int lun_encoding(void)
{
	static const uint8_t want[8] = { 1, 3, 0x40 | 0x12, 0x34, 0, 0, 0, 0 };
	uint8_t lun[8];

	vscsi_lun_encode(lun, 3, 0x1234);
	EXPECT(!memcmp(lun, want, 8), "expected 01 03 52 34, got %02x %02x "
	       "%02x %02x", lun[0], lun[1], lun[2], lun[3]);
	return 0;
}

static int header_sizes(void)
{
	EXPECT(sizeof(struct virtio_scsi_cmd_req) == 51,
	       "expected cmd_req 51 bytes, got %zu",
	       sizeof(struct virtio_scsi_cmd_req));
	EXPECT(VSCSI_RESP_SIZE == 108, "expected cmd_resp 108 bytes, got %zu",
	       VSCSI_RESP_SIZE);
	return 0;
}

static int cdb_read16(void)
{
	uint8_t cdb[16];

	EXPECT(scsi_cdb_read16(cdb, 0x0102030405060708ULL, 0x11223344) == 16,
	       "expected length 16, got other");
	EXPECT(cdb[0] == 0x88 && scsi_get_be64(cdb + 2) == 0x0102030405060708ULL
	       && scsi_get_be32(cdb + 10) == 0x11223344,
	       "expected 88/lba/len, got %02x", cdb[0]);
	return 0;
}

static int cdb_inquiry_evpd(void)
{
	uint8_t cdb[6];

	scsi_cdb_inquiry(cdb, true, 0x83, 0x200);
	EXPECT(cdb[0] == 0x12 && cdb[1] == 1 && cdb[2] == 0x83 &&
	       scsi_get_be16(cdb + 3) == 0x200,
	       "expected 12 01 83 02 00, got %02x %02x %02x %02x %02x",
	       cdb[0], cdb[1], cdb[2], cdb[3], cdb[4]);
	return 0;
}

static int sense_fixed_and_descriptor(void)
{
	uint8_t fixed[18] = { 0x70, 0, 0x05, [7] = 10, [12] = 0x25 };
	uint8_t desc[8] = { 0x72, 0x06, 0x29, 0x01 };
	struct scsi_sense s;

	EXPECT(!scsi_sense_parse(fixed, sizeof(fixed), &s) && s.key == 5 &&
	       s.asc == 0x25 && !s.descriptor,
	       "expected fixed 5/25/00, got %x/%02x/%02x", s.key, s.asc, s.ascq);
	EXPECT(!scsi_sense_parse(desc, sizeof(desc), &s) && s.key == 6 &&
	       s.asc == 0x29 && s.ascq == 1 && s.descriptor,
	       "expected descriptor 6/29/01, got %x/%02x/%02x", s.key, s.asc,
	       s.ascq);
	EXPECT(scsi_sense_parse(desc, 0, &s) < 0, "expected error for empty "
	       "sense, got 0");
	return 0;
}

static int mem_alloc_align_and_coalesce(void)
{
	struct vscsi_mem mem;
	uint64_t a, b, c;
	int ret = 0;

	EXPECT(!vscsi_mem_init(&mem, VSCSI_GPA_BASE, 1 << 20),
	       "expected mem init 0, got error");
	a = vscsi_mem_alloc(&mem, 100, 64);
	b = vscsi_mem_alloc(&mem, 5000, 4096);
	c = vscsi_mem_alloc(&mem, 1, 1);
	if (a != VSCSI_GPA_BASE || b % 4096 || !c || !vscsi_mem_ptr(&mem, b, 5000)) {
		snprintf(msg, sizeof(msg), "expected aligned GPAs in RAM, got "
			 "%#llx %#llx %#llx", (unsigned long long)a,
			 (unsigned long long)b, (unsigned long long)c);
		ret = 1;
	}
	vscsi_mem_free(&mem, b, 5000);
	vscsi_mem_free(&mem, a, 100);
	vscsi_mem_free(&mem, c, 1);
	if (!ret && (mem.nfree != 1 || vscsi_mem_free_bytes(&mem) != 1 << 20)) {
		snprintf(msg, sizeof(msg), "expected one free extent of 1 MiB, "
			 "got %u extents", mem.nfree);
		ret = 1;
	}
	if (!ret && vscsi_mem_ptr(&mem, 0, 1)) {
		snprintf(msg, sizeof(msg), "expected GPA 0 unmapped, got mapped");
		ret = 1;
	}
	vscsi_mem_exit(&mem);
	return ret;
}

/* A replay plan reads back as written; bad ones are refused. */
static int fuzz_plan_round_trip(void)
{
	static const char *const bad[] = { "", "x", "3-1", "2q", "1,,2" };
	const char *want = "0-3,5r,9i,12";
	unsigned char *plan;
	unsigned long len, i;
	char out[64] = "";
	FILE *fp;

	EXPECT(!vscsi_fuzz_plan_parse(want, &plan, &len) && len == 13,
	       "expected \"%s\" to parse into 13 batches", want);
	fp = fmemopen(out, sizeof(out), "w");
	EXPECT(fp, "expected fmemopen to work");
	vscsi_fuzz_plan_print(fp, plan, len);
	fclose(fp);
	free(plan);
	EXPECT(!strcmp(out, want), "expected \"%s\" back, got \"%s\"",
	       want, out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		plan = NULL;
		EXPECT(vscsi_fuzz_plan_parse(bad[i], &plan, &len) == -EINVAL,
		       "expected plan \"%s\" to be refused", bad[i]);
		free(plan);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
	{ "ring_layout_legacy_128", ring_layout_legacy_128 },
	{ "ring_layout_rejects_non_power_of_2",
	  ring_layout_rejects_non_power_of_2 },
	{ "need_event_wraps", need_event_wraps },
	{ "lun_encoding", lun_encoding },
	{ "header_sizes", header_sizes },
	{ "cdb_read16", cdb_read16 },
	{ "cdb_inquiry_evpd", cdb_inquiry_evpd },
	{ "sense_fixed_and_descriptor", sense_fixed_and_descriptor },
	{ "mem_alloc_align_and_coalesce", mem_alloc_align_and_coalesce },
	{ "fuzz_plan_round_trip", fuzz_plan_round_trip },
};

int main(int argc, char **argv)
{
	bool list = argc > 1 && !strcmp(argv[1], "-l");
	unsigned int i;

	ktest_init();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (list)
			puts(cases[i].name);
		else if (cases[i].run())
			ktest_report(KTEST_FAIL, cases[i].name, msg);
		else
			ktest_pass(cases[i].name);
	}
	return list ? 0 : ktest_summary();
}
