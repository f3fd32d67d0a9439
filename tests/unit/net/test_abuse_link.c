/* Issue 16, item 3: the vendor's device links under abuse, with a scheme
 * that lives only in this test binary (types 248..255: PING answered with
 * PONG). Frames outside the session (a type no scheme owns) kept a link
 * open for ever, each one moving its 10 s timeout; 64 links so kept turned
 * every wallet away; a body nested too deep ended the link without the
 * ERROR frame the protocol promises. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "abuse.h"
#include "core/clock.h"
#include "issuer/vendors.h"
#include "net/devlink.h"
#include "vendor/vendor.h"
#include "wire/cbor.h"

enum { T_PING = 248, T_PONG = 249 };

struct num {
	uint64_t n;
};

static struct obol_fields num_spec(struct num *m, struct obol_field *f)
{
	*f = (struct obol_field){ .name = "n", .key = 1, .kind = OBOL_FIELD_UINT, .value = &m->n };
	return (struct obol_fields){ f, 1 };
}

static obol_err ping_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body, size_t len,
			   struct obol_vendor_out *out)
{
	struct num m = { 0 };
	struct obol_field f;
	struct obol_fields spec = num_spec(&m, &f);
	obol_err e;
	(void)v;
	(void)session;
	if (type != T_PING)
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK)
		return e;
	m.n++;
	return obol_vendor_out_add(out, T_PONG, &spec);
}

OBOL_VENDOR_SCHEME(abuse_link_scheme, .name = "abuselink", .type_min = 248, .type_max = 255,
		   .on_frame = ping_frame)

struct lsetup {
	struct abuse_issuer a;
	struct obol_vendor *v;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
	uint16_t port;
};

static obol_err vendor_add(struct obol_store *s, void *arg)
{
	struct lsetup *st = arg;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(st->a.iss, obol_now(), &sg);
	return e != OBOL_OK ? e : obol_issuer_vendor_add(s, &sg, "kiosk", st->sign.pk, st->box.pk, 10, obol_now(),
				      &st->cert);
}

static bool lsetup(struct lsetup *st, unsigned max_links, unsigned per_ip, unsigned idle_ms, unsigned session_s)
{
	struct obol_issuer_config icfg = { 0 };
	char dir[512];
	memset(st, 0, sizeof *st);
	if (!abuse_issuer_start(test_db_url_new("issuer"), &icfg, &st->a))
		return false;
	snprintf(dir, sizeof dir, "%s/shop", test_tmpdir());
	struct obol_vendor_config vcfg = { .dir = dir, .listen = "127.0.0.1:0", .issuer_url = st->a.url,
					   .max_links = max_links, .max_links_per_ip = per_ip,
					   .link_idle_ms = idle_ms, .link_session_s = session_s };
	if (obol_vendor_keys_create(dir, &st->sign, &st->box) != OBOL_OK ||
	    obol_issuer_run(st->a.iss, vendor_add, st) != OBOL_OK || obol_vendor_start(&vcfg, &st->v) != OBOL_OK)
		return false;
	st->port = obol_vendor_port(st->v);
	return true;
}

static void lteardown(struct lsetup *st)
{
	obol_vendor_stop(st->v);
	abuse_issuer_stop(&st->a);
}

/* A link with a session, from 127.0.0.src. */
static obol_err link_from(struct lsetup *st, unsigned src, struct obol_devlink **out)
{
	struct obol_devlink_expect x = { .issuer_pk = obol_issuer_keys(st->a.iss)->master_pk };
	int fd = abuse_connect_from(src, st->port);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	*out = NULL;
	if (fd < 0)
		return OBOL_E_NETWORK;
	if (poll(&p, 1, 5000) != 1) {
		close(fd);
		return OBOL_E_NETWORK;
	}
	obol_err e = obol_devlink_from_fd(fd, 5000, out);
	if (e == OBOL_OK && (e = obol_devlink_initiate(*out, &x)) != OBOL_OK) {
		obol_devlink_close(*out);
		*out = NULL;
	}
	return e;
}

static obol_err ping(struct obol_devlink *l, uint64_t n)
{
	struct num m = { .n = n };
	struct obol_field f;
	struct obol_fields spec = num_spec(&m, &f);
	uint32_t type;
	const uint8_t *body;
	size_t len;
	obol_err e = obol_devlink_write(l, T_PING, &spec);
	if (e == OBOL_OK)
		e = obol_devlink_read(l, &type, &body, &len);
	if (e == OBOL_OK && (type != T_PONG || obol_cbor_decode(body, len, &spec) != OBOL_OK || m.n != n + 1))
		e = OBOL_E_PEER_ERROR;
	return e;
}

/* The honest wallet: n times a new link from 127.0.0.1 and one PING. */
static void honest_links(struct lsetup *st, int n, struct abuse_latency *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < n && i < ABUSE_SAMPLES_MAX; i++) {
		struct obol_devlink *l = NULL;
		double t0 = abuse_now_ms();
		obol_err e = link_from(st, 1, &l);
		if (e == OBOL_OK)
			e = ping(l, (uint64_t)i);
		out->ms[out->n++] = abuse_now_ms() - t0;
		if (e != OBOL_OK) {
			out->failed++;
			test_note("honest link %d: %s", i, obol_strerror(e));
		}
		obol_devlink_close(l);
	}
	/* sorted, as abuse_quantile wants */
	for (int i = 1; i < out->n; i++)
		for (int j = i; j > 0 && out->ms[j - 1] > out->ms[j]; j--) {
			double t = out->ms[j];
			out->ms[j] = out->ms[j - 1];
			out->ms[j - 1] = t;
		}
}

/* Waits up to ms for what the vendor says on l: the error it ends with. */
static obol_err ending(struct obol_devlink *l, unsigned ms, double *after_ms)
{
	uint32_t type;
	const uint8_t *body;
	size_t len;
	double t0 = abuse_now_ms();
	obol_err e = obol_devlink_read_by(l, obol_mono_ns() + (uint64_t)ms * 1000000u, &type, &body, &len);
	*after_ms = abuse_now_ms() - t0;
	return e;
}

TEST(abuse, link_frames_outside_the_session_do_not_keep_it)
{
	struct lsetup st;
	struct obol_devlink *l = NULL;
	struct num m = { 0 };
	struct obol_field f;
	struct obol_fields spec = num_spec(&m, &f);
	uint32_t type;
	const uint8_t *body;
	size_t len;
	REQUIRE(lsetup(&st, 16, 8, 1500, 600));
	REQUIRE_OK(link_from(&st, 2, &l));
	REQUIRE_OK(ping(l, 1)); /* the session moves on */
	/* Then only frames of a type no scheme owns, every 300 ms: each is
	 * answered WIRE_UNKNOWN_TYPE, none moves the deadline. */
	double t0 = abuse_now_ms();
	obol_err e = OBOL_OK;
	while (abuse_now_ms() - t0 < 4000) {
		if (obol_devlink_write(l, 9, &spec) != OBOL_OK)
			break;
		e = obol_devlink_read(l, &type, &body, &len);
		if (e != OBOL_E_WIRE_UNKNOWN_TYPE)
			break;
		abuse_sleep_ms(300);
	}
	double lived = abuse_now_ms() - t0;
	test_note("a link sending only frames outside its session was ended after %.0f ms (deadline 1500 ms): %s",
		  lived, obol_strerror(e));
	CHECK_ERR(e, OBOL_E_DEVLINK_EXPIRED);
	CHECK(lived < 1500 + 1000);
	obol_devlink_close(l);
	lteardown(&st);
}

TEST(abuse, link_session_has_a_deadline)
{
	struct lsetup st;
	struct obol_devlink *l = NULL;
	REQUIRE(lsetup(&st, 16, 8, 1000, 2));
	REQUIRE_OK(link_from(&st, 2, &l));
	double t0 = abuse_now_ms();
	obol_err e = OBOL_OK;
	for (uint64_t i = 0; e == OBOL_OK && abuse_now_ms() - t0 < 5000; i++) {
		e = ping(l, i);
		abuse_sleep_ms(200);
	}
	double lived = abuse_now_ms() - t0;
	test_note("a link that kept its session moving was ended after %.0f ms (its limit: 2 s): %s", lived,
		  obol_strerror(e));
	CHECK_ERR(e, OBOL_E_DEVLINK_EXPIRED);
	CHECK(lived >= 1500 && lived < 3500);
	obol_devlink_close(l);
	lteardown(&st);
}

TEST(abuse, link_hog_gets_busy_alone)
{
	enum { HOG = 24 };
	struct lsetup st;
	struct obol_devlink *hog[HOG] = { 0 };
	struct abuse_latency base, attack;
	int held = 0, busy = 0;
	REQUIRE(lsetup(&st, 16, 4, 10000, 600));
	honest_links(&st, 20, &base);
	/* One address opens 24 links for 16 places, and keeps them with
	 * PINGs. */
	for (int i = 0; i < HOG; i++) {
		obol_err e = link_from(&st, 2, &hog[i]);
		if (e == OBOL_OK)
			held++;
		else if (e == OBOL_E_DEVLINK_BUSY)
			busy++;
		else
			test_note("hog link %d: %s", i, obol_strerror(e));
	}
	for (int i = 0; i < HOG; i++)
		if (hog[i] != NULL && ping(hog[i], 7) != OBOL_OK)
			held--;
	test_note("one address asked for %d links: %d held, %d refused DEVLINK_BUSY", HOG, held, busy);
	CHECK_EQ_INT(held, 4);
	CHECK_EQ_INT(busy, HOG - 4);
	honest_links(&st, 20, &attack);
	CHECK(abuse_report("link hog", &base, &attack, abuse_bound_ms(&base, ABUSE_FACTOR, ABUSE_FLOOR_MS)));
	for (int i = 0; i < HOG; i++)
		obol_devlink_close(hog[i]);
	lteardown(&st);
}

TEST(abuse, link_body_nested_too_deep_is_told)
{
	struct lsetup st;
	struct obol_devlink *l = NULL;
	double after;
	REQUIRE(lsetup(&st, 16, 8, 5000, 600));
	REQUIRE_OK(link_from(&st, 2, &l));
	/* [248, 2, {1: {1: {1: ... 12 deep}}}] */
	uint8_t frame[64];
	size_t n = 4;
	frame[n++] = 0x83;
	frame[n++] = 0x18;
	frame[n++] = T_PING;
	frame[n++] = 0x02;
	for (int i = 0; i < 12; i++) {
		frame[n++] = 0xa1;
		frame[n++] = 0x01;
	}
	frame[n++] = 0x00;
	uint32_t body = (uint32_t)(n - 4);
	frame[0] = (uint8_t)(body >> 24);
	frame[1] = (uint8_t)(body >> 16);
	frame[2] = (uint8_t)(body >> 8);
	frame[3] = (uint8_t)body;
	REQUIRE_OK(obol_devlink_write_frame(l, frame, n));
	CHECK_ERR(ending(l, 3000, &after), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(ending(l, 3000, &after), OBOL_E_DEVLINK_CLOSED);
	obol_devlink_close(l);
	lteardown(&st);
}
