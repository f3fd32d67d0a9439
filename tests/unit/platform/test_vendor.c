/* The vendor daemon in process, with a scheme that lives only in this test
 * binary (types 240..247): frames reach the scheme's session, errors come
 * back as ERROR frames, unknown types are refused, the outbox delivers to the
 * issuer authenticated as the vendor and reports back to the scheme. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "core/clock.h"
#include "issuer/issuer.h"
#include "issuer/vendors.h"
#include "net/devlink.h"
#include "vendor/outbox.h"
#include "vendor/vendor.h"
#include "wire/cbor.h"

enum { T_PING = 240, T_PONG = 241, T_PAY = 242, T_QUEUED = 243, T_FAIL = 244 };

static int opened, closed, delivered;
static obol_err delivered_result;

struct num {
	uint64_t n;
};

static struct obol_fields num_spec(struct num *m, struct obol_field *f)
{
	*f = (struct obol_field){ .name = "n", .key = 1, .kind = OBOL_FIELD_UINT, .value = &m->n };
	return (struct obol_fields){ f, 1 };
}

static obol_err t_open(struct obol_vendor *v, void **session)
{
	(void)v;
	opened++;
	*session = calloc(1, sizeof(int));
	return *session != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static void t_close(struct obol_vendor *v, void *session)
{
	(void)v;
	closed++;
	free(session);
}

static obol_err queue_pay(struct obol_store *s, void *arg)
{
	char rid[32];
	obol_outbox_request_id(rid);
	json_t *body = json_pack("{s:s, s:s}", "request_id", rid, "amount", "EUR:0.25");
	obol_err e = obol_outbox_enqueue(s, "testscheme", "pay", "/test/fund", body, 0, arg);
	json_decref(body);
	return e;
}

static obol_err t_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body, size_t len,
			struct obol_vendor_out *out)
{
	struct num m = { 0 };
	struct obol_field f;
	struct obol_fields spec = num_spec(&m, &f);
	int *count = session;
	obol_err e;
	(*count)++;
	switch (type) {
	case T_PING:
		if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK)
			return e;
		m.n = m.n + (uint64_t)*count;
		return obol_vendor_out_add(out, T_PONG, &spec);
	case T_PAY: {
		int64_t id = 0;
		if ((e = obol_vendor_run(v, queue_pay, &id)) != OBOL_OK)
			return e;
		obol_vendor_outbox_kick(v);
		m.n = (uint64_t)id;
		return obol_vendor_out_add(out, T_QUEUED, &spec);
	}
	default:
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	}
}

static obol_err t_done(struct obol_vendor *v, struct obol_store *s, int64_t row, const char *kind, obol_err result,
		       const json_t *reply)
{
	(void)v;
	(void)s;
	(void)row;
	(void)reply;
	if (strcmp(kind, "pay") == 0) {
		delivered++;
		delivered_result = result;
	}
	return OBOL_OK;
}

OBOL_VENDOR_SCHEME(test_vendor_scheme, .name = "testscheme", .type_min = 240, .type_max = 247, .open = t_open,
		   .on_frame = t_frame, .close = t_close, .outbox_done = t_done)

struct vsetup {
	struct obol_issuer *iss;
	struct obol_vendor *v;
	char dir[512];
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
};

static obol_err vendor_add(struct obol_store *s, void *arg)
{
	struct vsetup *st = arg;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(st->iss, obol_now(), &sg);
	return e != OBOL_OK ? e : obol_issuer_vendor_add(s, &sg, "kiosk", st->sign.pk, st->box.pk, 10, obol_now(),
				      &st->cert);
}

TEST(vendor, sessions_errors_and_outbox)
{
	struct vsetup st = { 0 };
	const char *db = test_db_url_new("issuer");
	char url[64], addr[64];
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE_OK(obol_issuer_init_db(db, "EUR", NULL, 0, devnull));
	fclose(devnull);
	struct obol_issuer_config icfg = { .db_url = db, .listen = "127.0.0.1:0", .threads = 2 };
	REQUIRE_OK(obol_issuer_start(&icfg, &st.iss));
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_issuer_port(st.iss));
	snprintf(st.dir, sizeof st.dir, "%s/shop", test_tmpdir());
	REQUIRE_OK(obol_vendor_keys_create(st.dir, &st.sign, &st.box));
	/* Without a certificate the vendor does not start. */
	struct obol_vendor_config vcfg = { .dir = st.dir, .listen = "127.0.0.1:0", .issuer_url = url,
					   .outbox_interval_ms = 50 };
	CHECK_ERR(obol_vendor_start(&vcfg, &st.v), OBOL_E_VENDOR_NO_CERT);
	REQUIRE_OK(obol_issuer_run(st.iss, vendor_add, &st));
	REQUIRE_OK(obol_vendor_start(&vcfg, &st.v));
	CHECK_EQ_INT(obol_vendor_cert(st.v).vendor_id, st.cert.vendor_id);
	CHECK_EQ_STR(obol_vendor_price(st.v)->currency, "EUR");

	struct obol_devlink *l = NULL;
	struct num m = { .n = 10 };
	struct obol_field f;
	struct obol_fields spec = num_spec(&m, &f);
	uint32_t type;
	const uint8_t *body;
	size_t len;
	snprintf(addr, sizeof addr, "127.0.0.1:%u", obol_vendor_port(st.v));
	REQUIRE_OK(obol_devlink_connect_vendor(addr, 2000, obol_issuer_keys(st.iss)->master_pk, &l));
	REQUIRE_OK(obol_devlink_write(l, T_PING, &spec));
	REQUIRE_OK(obol_devlink_read(l, &type, &body, &len));
	CHECK_EQ_INT(type, T_PONG);
	REQUIRE_OK(obol_cbor_decode(body, len, &spec));
	CHECK_EQ_INT(m.n, 11);
	/* The same session: its state carries over. */
	REQUIRE_OK(obol_devlink_write(l, T_PING, &spec));
	REQUIRE_OK(obol_devlink_read(l, &type, &body, &len));
	REQUIRE_OK(obol_cbor_decode(body, len, &spec));
	CHECK_EQ_INT(m.n, 13);
	/* A handler's error, and a type no scheme owns, come back as ERROR frames. */
	REQUIRE_OK(obol_devlink_write(l, T_FAIL, &spec));
	CHECK_ERR(obol_devlink_read(l, &type, &body, &len), OBOL_E_WIRE_UNEXPECTED_MESSAGE);
	REQUIRE_OK(obol_devlink_write(l, 9, &spec));
	CHECK_ERR(obol_devlink_read(l, &type, &body, &len), OBOL_E_WIRE_UNKNOWN_TYPE);
	/* The link still works after them. */
	REQUIRE_OK(obol_devlink_write(l, T_PAY, &spec));
	REQUIRE_OK(obol_devlink_read(l, &type, &body, &len));
	CHECK_EQ_INT(type, T_QUEUED);
	obol_devlink_close(l);

	/* The outbox delivers to the issuer as the vendor's account. */
	for (int i = 0; i < 300 && delivered == 0; i++) {
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	CHECK_EQ_INT(delivered, 1);
	CHECK_ERR(delivered_result, OBOL_OK);
	for (int i = 0; i < 100 && closed == 0; i++) {
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	CHECK_EQ_INT(opened, 1);
	CHECK_EQ_INT(closed, 1);

	/* A garbage frame ends the link after an ERROR frame. */
	REQUIRE_OK(obol_devlink_connect_vendor(addr, 2000, obol_issuer_keys(st.iss)->master_pk, &l));
	uint8_t junk[] = { 0, 0, 0, 2, 0xff, 0x00 };
	REQUIRE_OK(obol_devlink_write_frame(l, junk, sizeof junk));
	obol_err e = obol_devlink_read(l, &type, &body, &len);
	CHECK(e != OBOL_OK && obol_strerror(e)[0] == 'W');
	CHECK_ERR(obol_devlink_read(l, &type, &body, &len), OBOL_E_DEVLINK_CLOSED);
	obol_devlink_close(l);

	obol_vendor_stop(st.v);
	obol_issuer_stop(st.iss);
}
