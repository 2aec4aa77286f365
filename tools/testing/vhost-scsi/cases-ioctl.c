// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl cases: ABI version, feature negotiation, endpoint lifecycle and
 * the events-missed flag.  Most need only an open device, not a target.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vscsi-test.h"

#define UNKNOWN_WWPN "naa.50014050badc0ffe"

/* Open and own the device, nothing else: features are still unset. */
static int fix_open(struct tctx *t)
{
	int ret;

	ret = vscsi_dev_open(&t->dev, t->cfg->dev_path);
	if (ret == -ENOENT)
		return tskip(t, "%s does not exist (vhost_scsi not loaded)",
			     t->cfg->dev_path);
	if (ret)
		return tfail(t, "expected open+SET_OWNER to return 0, got %s",
			     err_name(ret));
	return T_PASS;
}

static int abi_version_is_1(struct tctx *t)
{
	int ret, version = -1;

	ret = fix_open(t);
	if (ret)
		return ret;
	ret = vscsi_get_abi_version(t->dev, &version);
	if (ret)
		return tfail(t, "expected GET_ABI_VERSION 0, got %s",
			     err_name(ret));
	if (version != VHOST_SCSI_ABI_VERSION)
		return tfail(t, "expected ABI version %d, got %d",
			     VHOST_SCSI_ABI_VERSION, version);
	return T_PASS;
}

static void note_features(struct tctx *t, uint64_t features)
{
	char line[512] = "";
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		const char *name = vscsi_feature_name(bit);
		size_t len = strlen(line);

		if (!(features & (1ULL << bit)))
			continue;
		if (name)
			snprintf(line + len, sizeof(line) - len, " %s", name);
		else
			snprintf(line + len, sizeof(line) - len, " bit%u", bit);
	}
	tnote(t, "offered 0x%016" PRIx64 ":%s", features, line);
}

static int features_offered_include_version1_anylayout(struct tctx *t)
{
	uint64_t need = (1ULL << VIRTIO_F_VERSION_1) |
			(1ULL << VIRTIO_F_ANY_LAYOUT);
	uint64_t offered = 0;
	int ret;

	ret = fix_open(t);
	if (ret)
		return ret;
	ret = vscsi_get_features(t->dev, &offered);
	if (ret)
		return tfail(t, "expected GET_FEATURES 0, got %s", err_name(ret));
	note_features(t, offered);
	if ((offered & need) != need)
		return tfail(t, "expected VERSION_1|ANY_LAYOUT (0x%" PRIx64
			     ") offered, got 0x%016" PRIx64, need, offered);
	return T_PASS;
}

/*
 * Upstream GET_FEATURES reports what is offered, not what was acked, so
 * the contract tested is: acking any offered subset succeeds and does not
 * change the offer.
 */
static int features_roundtrip(struct tctx *t)
{
	uint64_t offered, again, acks[3];
	unsigned int i;
	int ret;

	ret = fix_open(t);
	if (ret)
		return ret;
	ret = vscsi_get_features(t->dev, &offered);
	if (ret)
		return tfail(t, "expected GET_FEATURES 0, got %s", err_name(ret));
	acks[0] = offered & VSCSI_DEFAULT_FEATURES;
	acks[1] = 0;
	acks[2] = offered;
	for (i = 0; i < 3; i++) {
		ret = vscsi_set_features(t->dev, acks[i]);
		if (ret)
			return tfail(t, "expected SET_FEATURES(0x%" PRIx64
				     ") 0, got %s", acks[i], err_name(ret));
		ret = vscsi_get_features(t->dev, &again);
		if (ret)
			return tfail(t, "expected GET_FEATURES 0, got %s",
				     err_name(ret));
		if ((again & acks[i]) != acks[i])
			return tfail(t, "expected GET after SET(0x%" PRIx64
				     ") to include it, got 0x%" PRIx64,
				     acks[i], again);
	}
	if (again != offered)
		return tfail(t, "expected offer to stay 0x%" PRIx64 ", got 0x%"
			     PRIx64, offered, again);
	return T_PASS;
}

/* ---- acked features change how the device calls us ---- */

/* Drain the call eventfd; the count read, 0 when none was pending. */
static uint64_t call_drain(struct vscsi_vq *vq)
{
	uint64_t count;

	if (read(vq->call_fd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

/*
 * Run a TUR on @vq taking the completion from the ring by polling (not by
 * waiting for a call), then check whether the device called: @want_call
 * within 2 s, or no call 200 ms after the completion.
 */
static int tur_expect_call(struct tctx *t, struct vscsi_vq *vq,
			   bool want_call, const char *what)
{
	struct pollfd pfd = { .fd = vq->call_fd, .events = POLLIN };
	long long deadline = now_ms() + VSCSI_DEFAULT_TIMEOUT_MS;
	struct vscsi_req req;
	struct vscsi_cmd cmd;
	uint8_t cdb[6];
	int ret;

	call_drain(vq);
	tur_cmd_init(t, &cmd, lun0(t), cdb);
	ret = vscsi_req_submit(t->dev, vq, &req, &cmd, true);
	if (ret)
		return tfail(t, "expected %s: TUR submit 0, got %s", what,
			     err_name(ret));
	while (!vscsi_req_poll(t->dev, &req) && now_ms() < deadline)
		usleep(10000);
	if (!req.completed) {
		vscsi_req_abandon(&req);
		return tfail(t, "expected %s: TUR in the used ring, got none",
			     what);
	}
	ret = expect_good(t, what, &req.res);
	if (ret)
		return ret;
	ret = poll(&pfd, 1, want_call ? 2000 : 200);
	if (want_call && ret != 1)
		return tfail(t, "expected %s: a call, got none", what);
	if (!want_call && ret != 0)
		return tfail(t, "expected %s: no call, got %" PRIu64
			     " (used idx %u, used_event %u, error fd %d)",
			     what, call_drain(vq), le16toh(vq->used->idx),
			     le16toh(vq->avail->ring[vq->num]),
			     vscsi_vq_error_signalled(vq));
	call_drain(vq);
	return T_PASS;
}

static int attach_features(struct tctx *t, uint64_t features)
{
	struct vscsi_opts opts = {
		.features_given = true,
		.features = features,
	};

	vscsi_dev_close(t->dev);
	t->dev = NULL;
	return fix_attach(t, &opts);
}

/*
 * EVENT_IDX not acked: the device must follow avail->flags (virtio 1.x
 * 2.7.10): no call while VRING_AVAIL_F_NO_INTERRUPT is set, a call again
 * once it is cleared.
 */
static int notify_flags_without_event_idx(struct tctx *t)
{
	struct vscsi_vq *vq;
	int ret;

	ret = attach_features(t, VSCSI_DEFAULT_FEATURES &
			      ~(1ULL << VIRTIO_RING_F_EVENT_IDX));
	if (ret)
		return ret;
	vq = vscsi_req_vq(t->dev, 0);
	ret = tur_expect_call(t, vq, true, "flags 0");
	if (ret)
		return ret;
	vq->avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	ret = tur_expect_call(t, vq, false, "NO_INTERRUPT set");
	if (ret)
		return ret;
	vq->avail->flags = 0;
	return tur_expect_call(t, vq, true, "NO_INTERRUPT cleared");
}

/*
 * EVENT_IDX acked: used_event decides and avail->flags is ignored: a call
 * when the used index passes used_event even with NO_INTERRUPT set, none
 * when used_event lies far ahead.  The case places used_event itself: the
 * library's reaping would otherwise arm it again (used_event = last_used)
 * each time the ring is polled before the completion, and the device then
 * rightly calls.
 */
static int notify_used_event_with_event_idx(struct tctx *t)
{
	struct vscsi_vq *vq;
	uint16_t *used_event;
	int ret;

	ret = attach_features(t, VSCSI_DEFAULT_FEATURES);
	if (ret)
		return ret;
	vq = vscsi_req_vq(t->dev, 0);
	used_event = &vq->avail->ring[vq->num];
	/* The first call on a ring is unconditional: get it over with. */
	ret = run_tur(t, vq, "first TUR");
	if (ret)
		return ret;
	vq->caller_used_event = true;
	vq->avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	*used_event = htole16(vq->last_used);
	ret = tur_expect_call(t, vq, true, "used_event reached, flags ignored");
	if (ret)
		return ret;
	vq->avail->flags = 0;
	*used_event = htole16(vq->last_used + 0x8000);
	ret = tur_expect_call(t, vq, false, "used_event far ahead");
	if (ret)
		return ret;
	*used_event = htole16(vq->last_used);
	ret = tur_expect_call(t, vq, true, "used_event reached again");
	vq->caller_used_event = false;
	return ret;
}

/* ---- a legacy driver: VIRTIO_F_VERSION_1 not acked ---- */

/*
 * What a legacy (virtio 0.9.5) driver acks: no VERSION_1 and, for the
 * strictest one, no ANY_LAYOUT either.  The device serves it as
 * Documentation/target/vhost-scsi.rst ("A legacy driver") says: fields in
 * the guest's byte order, which without CONFIG_VHOST_CROSS_ENDIAN_LEGACY
 * (Debian's kernel) is this machine's, little endian; any layout.
 */
#define LEGACY_FEATURES	(VSCSI_DEFAULT_FEATURES & \
			 ~((1ULL << VIRTIO_F_VERSION_1) | \
			   (1ULL << VIRTIO_F_ANY_LAYOUT)))
/* Far past the end of any test LUN: LBA OUT OF RANGE. */
#define LEGACY_BAD_LBA	0xfffffff0u
/* Blocks of LUN 0 no other case writes, and this case's two patterns. */
#define LEGACY_LBA	4000
#define LEGACY_SEED	0x1e6

/*
 * The response's 32-bit fields: a 1-block READ into a 2-block buffer
 * leaves resid 512; a READ past the end gets a fixed-format sense whose
 * length the response states.
 */
static int legacy_cmd_fields(struct tctx *t)
{
	struct vscsi_result res;
	struct scsi_sense sense;
	struct vscsi_cmd cmd;
	uint8_t cdb[10], buf[1024];
	int ret;

	read10_cmd_init(t, &cmd, lun0(t), cdb, LEGACY_LBA, 1, buf,
			sizeof(buf));
	ret = run_cmd(t, &cmd, "READ(10)", &res);
	if (ret)
		return ret;
	ret = expect_good(t, "READ(10) of 1 block into 2", &res);
	if (ret)
		return ret;
	if (res.resid != 512)
		return tfail(t, "expected resid 512 (little endian), got 0x%08x",
			     res.resid);
	cmd.cdb_len = scsi_cdb_read10(cdb, LEGACY_BAD_LBA, 1);
	cmd.data_in_len = 512;
	ret = run_cmd(t, &cmd, "READ(10) past the end", &res);
	if (ret)
		return ret;
	scsi_sense_parse(res.sense, res.sense_len, &sense);
	if (res.status != SCSI_STATUS_CHECK_CONDITION || res.sense_len < 18 ||
	    res.sense_len > VSCSI_SENSE_SIZE || sense.asc != 0x21)
		return tfail(t, "expected READ(10) past the end CHECK CONDITION with 18..%u sense bytes 5/21/00, got status 0x%02x, sense_len 0x%08x, sense %x/%02x/%02x",
			     VSCSI_SENSE_SIZE, res.status, res.sense_len,
			     sense.key, sense.asc, sense.ascq);
	return T_PASS;
}

/*
 * Control and event queue: a TMF's 32-bit subtype as the guest wrote it
 * (read the other way round it is no TMF at all: REJECTED), and the
 * event word of an events-missed event.
 */
static int legacy_ctl_evt_fields(struct tctx *t)
{
	struct vscsi_event ev;
	uint8_t response;
	int ret;

	ret = vscsi_tmf(t->dev, VIRTIO_SCSI_T_TMF_ABORT_TASK_SET,
			t->cfg->target, lun0(t), 0, &response,
			t->cfg->drop_ms);
	if (ret)
		return tfail(t, "expected ABORT TASK SET answered, got %s",
			     err_name(ret));
	/* FUNCTION COMPLETE is VIRTIO_SCSI_S_OK (virtio 1.x 5.6.6.1.1). */
	if (response != VIRTIO_SCSI_S_OK)
		return tfail(t, "expected ABORT TASK SET answered FUNCTION_COMPLETE, got %s(%u)",
			     vscsi_response_name(response), response);
	ret = vscsi_set_events_missed(t->dev, 1);
	if (!ret)
		ret = vscsi_event_post(t->dev, 4);
	if (!ret)
		ret = vscsi_event_get(t->dev, &ev, VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret)
		return tfail(t, "expected an events-missed event, got %s",
			     err_name(ret));
	if (ev.event != (VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED))
		return tfail(t, "expected event 0x%08x (little endian), got 0x%08x",
			     VIRTIO_SCSI_T_NO_EVENT |
			     VIRTIO_SCSI_T_EVENTS_MISSED, ev.event);
	return T_PASS;
}

/* Fields in the guest's byte order on all three kinds of queue. */
static int legacy_fields_guest_endian(struct tctx *t)
{
	int ret = attach_features(t, LEGACY_FEATURES);

	if (ret)
		return ret;
	ret = legacy_cmd_fields(t);
	if (!ret)
		ret = legacy_ctl_evt_fields(t);
	return ret;
}

/*
 * ANY_LAYOUT not acked either: a request cut every 7 bytes (header, CDB,
 * response and data split across descriptors, at most 89 of them: one
 * chain fits the ring) is still served.  A first write in the natural
 * layout puts another pattern under the split one, so that a split WRITE
 * that moved no data cannot pass.
 */
static int legacy_any_layout_without_ack(struct tctx *t)
{
	struct vscsi_split every7 = { .mode = VSCSI_SPLIT_EVERY, .every = 7 };
	struct vscsi_vq *vq;
	int ret = attach_features(t, LEGACY_FEATURES);

	if (ret)
		return ret;
	vq = vscsi_req_vq(t->dev, 0);
	ret = write_read_verify(t, vq, LEGACY_LBA, 512, false, NULL, NULL,
				LEGACY_SEED);
	if (!ret)
		ret = write_read_verify(t, vq, LEGACY_LBA, 512, false, &every7,
					&every7, LEGACY_SEED + 1);
	return ret;
}

static int features_unknown_bits_rejected(struct tctx *t)
{
	uint64_t offered, bad;
	unsigned int bit;
	int ret;

	ret = fix_open(t);
	if (ret)
		return ret;
	ret = vscsi_get_features(t->dev, &offered);
	if (ret)
		return tfail(t, "expected GET_FEATURES 0, got %s", err_name(ret));
	for (bit = 0; bit < 64; bit++) {
		if (offered & (1ULL << bit))
			continue;
		bad = (offered & VSCSI_DEFAULT_FEATURES) | (1ULL << bit);
		ret = vscsi_set_features(t->dev, bad);
		if (ret != -EOPNOTSUPP)
			return tfail(t, "expected SET_FEATURES with unoffered "
				     "bit %u -EOPNOTSUPP, got %s", bit,
				     err_name(ret));
	}
	return T_PASS;
}

/*
 * The offer is exactly the set the user guide's feature table lists as
 * offered: the vhost core's six and HOTPLUG, CHANGE and T10_PI; never
 * INOUT.
 */
static int features_offered_as_documented(struct tctx *t)
{
	const uint64_t want = (1ULL << VIRTIO_SCSI_F_HOTPLUG) |
			      (1ULL << VIRTIO_SCSI_F_CHANGE) |
			      (1ULL << VIRTIO_SCSI_F_T10_PI) |
			      (1ULL << VIRTIO_F_NOTIFY_ON_EMPTY) |
			      (1ULL << VHOST_F_LOG_ALL) |
			      (1ULL << VIRTIO_F_ANY_LAYOUT) |
			      (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			      (1ULL << VIRTIO_RING_F_EVENT_IDX) |
			      (1ULL << VIRTIO_F_VERSION_1);
	uint64_t offered = 0;
	int ret = fix_open(t);

	if (ret)
		return ret;
	ret = vscsi_get_features(t->dev, &offered);
	if (ret)
		return tfail(t, "expected GET_FEATURES 0, got %s", err_name(ret));
	if (offered != want)
		return tfail(t, "expected the offer 0x%016" PRIx64 " of the "
			     "guide's table, got 0x%016" PRIx64, want, offered);
	return T_PASS;
}

static int endpoint_unknown_wwpn_fails(struct tctx *t)
{
	int ret = fix_device(t, NULL);

	if (ret)
		return ret;
	ret = vscsi_set_endpoint(t->dev, UNKNOWN_WWPN);
	if (ret != -ENODEV && ret != -EINVAL)
		return tfail(t, "expected SET_ENDPOINT(%s) -ENODEV or -EINVAL, "
			     "got %s", UNKNOWN_WWPN, err_name(ret));
	return T_PASS;
}

static int endpoint_bad_abi_version_fails(struct tctx *t)
{
	struct vhost_scsi_target target = { 0 };
	int ret = fix_need_wwpn(t);

	if (ret || (ret = fix_device(t, NULL)))
		return ret;
	target.abi_version = VHOST_SCSI_ABI_VERSION + 1000;
	strncpy(target.vhost_wwpn, t->cfg->wwpn,
		sizeof(target.vhost_wwpn) - 1);
	ret = vscsi_set_endpoint_raw(t->dev, &target);
	if (ret != -EINVAL)
		return tfail(t, "expected SET_ENDPOINT with abi_version %d "
			     "-EINVAL, got %s", target.abi_version,
			     err_name(ret));
	return T_PASS;
}

static int endpoint_set_succeeds(struct tctx *t)
{
	int ret = fix_need_wwpn(t);

	if (ret || (ret = fix_device(t, NULL)))
		return ret;
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret)
		return tfail(t, "expected SET_ENDPOINT(%s) 0, got %s",
			     t->cfg->wwpn, err_name(ret));
	return T_PASS;
}

static int endpoint_set_twice_eexist(struct tctx *t)
{
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
	if (ret != -EEXIST)
		return tfail(t, "expected second SET_ENDPOINT -EEXIST, got %s",
			     err_name(ret));
	return T_PASS;
}

static int endpoint_clear_idempotent(struct tctx *t)
{
	int ret = fix_need_wwpn(t);
	const char *step[] = { "clear before set", "set", "clear",
			       "clear again", "set after clear", "final clear" };
	unsigned int i;

	if (ret || (ret = fix_device(t, NULL)))
		return ret;
	for (i = 0; i < 6; i++) {
		if (i == 1 || i == 4)
			ret = vscsi_set_endpoint(t->dev, t->cfg->wwpn);
		else
			ret = vscsi_clear_endpoint(t->dev, t->cfg->wwpn);
		if (ret)
			return tfail(t, "expected %s to return 0, got %s",
				     step[i], err_name(ret));
	}
	return T_PASS;
}

static int events_missed_roundtrip(struct tctx *t)
{
	static const uint32_t values[] = { 1, 0, 1 };
	uint32_t got;
	unsigned int i;
	int ret;

	ret = fix_open(t);
	if (ret)
		return ret;
	for (i = 0; i < 3; i++) {
		ret = vscsi_set_events_missed(t->dev, values[i]);
		if (ret)
			return tfail(t, "expected SET_EVENTS_MISSED(%u) 0, got %s",
				     values[i], err_name(ret));
		got = 0xdead;
		ret = vscsi_get_events_missed(t->dev, &got);
		if (ret)
			return tfail(t, "expected GET_EVENTS_MISSED 0, got %s",
				     err_name(ret));
		if (got != values[i])
			return tfail(t, "expected events_missed %u, got %u",
				     values[i], got);
	}
	return T_PASS;
}

/* With events_missed set, an event buffer comes back flagged MISSED. */
static int events_missed_reported(struct tctx *t)
{
	struct vscsi_event ev;
	int ret = fix_attach(t, NULL);

	if (ret)
		return ret;
	ret = vscsi_set_events_missed(t->dev, 1);
	if (!ret)
		ret = vscsi_event_post(t->dev, 4);
	if (ret)
		return tfail(t, "expected event setup 0, got %s", err_name(ret));
	ret = vscsi_event_get(t->dev, &ev, VSCSI_DEFAULT_TIMEOUT_MS);
	if (ret)
		return tfail(t, "expected an event, got %s", err_name(ret));
	if (ev.event != (VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED))
		return tfail(t, "expected event 0x%x, got 0x%x",
			     VIRTIO_SCSI_T_NO_EVENT |
			     VIRTIO_SCSI_T_EVENTS_MISSED, ev.event);
	return T_PASS;
}

const struct tcase ioctl_cases[] = {
	{ "abi_version_is_1", abi_version_is_1 },
	{ "features_offered_include_version1_anylayout",
	  features_offered_include_version1_anylayout },
	{ "features_roundtrip", features_roundtrip },
	{ "features_unknown_bits_rejected", features_unknown_bits_rejected },
	{ "features_offered_as_documented", features_offered_as_documented },
	{ "notify_flags_without_event_idx", notify_flags_without_event_idx },
	{ "notify_used_event_with_event_idx",
	  notify_used_event_with_event_idx },
	{ "legacy_fields_guest_endian", legacy_fields_guest_endian },
	{ "legacy_any_layout_without_ack", legacy_any_layout_without_ack },
	{ "endpoint_unknown_wwpn_fails", endpoint_unknown_wwpn_fails },
	{ "endpoint_bad_abi_version_fails", endpoint_bad_abi_version_fails },
	{ "endpoint_set_succeeds", endpoint_set_succeeds },
	{ "endpoint_set_twice_eexist", endpoint_set_twice_eexist },
	{ "endpoint_clear_idempotent", endpoint_clear_idempotent },
	{ "events_missed_roundtrip", events_missed_roundtrip },
	{ "events_missed_reported", events_missed_reported },
	{ NULL, NULL },
};
