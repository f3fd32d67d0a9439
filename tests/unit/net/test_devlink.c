/* The device link, version 2: the Noise handshake and what it proves, frames
 * in records over a socketpair and over TCP, and a man in the middle of the
 * records who reads, changes, replays, reorders and drops them. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "link_fixture.h"
#include "net/devlink.h"
#include "wire/cbor.h"

struct msg {
	uint64_t n;
	char text[32];
};

static struct obol_fields msg_spec(struct msg *m, struct obol_field f[2])
{
	f[0] = (struct obol_field){ .name = "n", .key = 1, .kind = OBOL_FIELD_UINT, .value = &m->n };
	f[1] = (struct obol_field){ .name = "text", .key = 2, .kind = OBOL_FIELD_TEXT, .value = m->text, .max = 31 };
	return (struct obol_fields){ f, 2 };
}

static obol_err send_msg(struct obol_devlink *l, uint32_t type, uint64_t n, const char *text)
{
	struct msg m = { .n = n };
	struct obol_field f[2];
	snprintf(m.text, sizeof m.text, "%s", text);
	struct obol_fields s = msg_spec(&m, f);
	return obol_devlink_write(l, type, &s);
}

/* Reads one frame from l and returns the outcome; *type gets the frame's
 * type when type is not NULL (the body is not looked at). */
static obol_err read_type(struct obol_devlink *l, uint32_t *type)
{
	uint32_t t;
	const uint8_t *body;
	size_t len;
	obol_err e = obol_devlink_read(l, &t, &body, &len);
	if (e == OBOL_OK && type != NULL)
		*type = t;
	return e;
}

/* A master key, a vendor it certified, and the wallet's expectation. */
struct fixture {
	struct obol_sign_keypair master;
	struct test_link_vendor v;
	struct obol_devlink_expect x;
};

static void fixture(struct fixture *f)
{
	obol_sign_keypair_new(&f->master);
	if (test_link_vendor(f->master.sk, &f->v) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "no vendor identity");
	f->x = (struct obol_devlink_expect){ .issuer_pk = f->master.pk };
}

TEST(devlink, frame_round_trip_in_a_session)
{
	struct fixture fx;
	struct obol_devlink *a = NULL, *b = NULL;
	struct msg out = { 0 };
	struct obol_field f[2];
	uint32_t type;
	const uint8_t *body;
	size_t len;
	fixture(&fx);
	REQUIRE_OK(test_link_pair(&fx.x, &fx.v.id, 1000, &a, &b));
	/* The wallet learned who it talks to; the vendor learned nothing. */
	REQUIRE(obol_devlink_peer(a) != NULL);
	CHECK_EQ_INT(obol_devlink_peer(a)->kind, OBOL_DL_CRED_VENDOR);
	CHECK_EQ_STR(obol_devlink_peer(a)->cert.name, "test shop");
	CHECK_MEM_EQ(obol_devlink_peer(a)->static_pk, fx.v.box.pk, 32);
	CHECK(obol_devlink_peer(b) == NULL);
	REQUIRE_OK(send_msg(a, 17, 42, "tea"));
	REQUIRE_OK(send_msg(a, 18, 43, "cake"));
	REQUIRE_OK(obol_devlink_read(b, &type, &body, &len));
	CHECK_EQ_INT(type, 17);
	struct obol_fields s = msg_spec(&out, f);
	REQUIRE_OK(obol_cbor_decode(body, len, &s));
	CHECK_EQ_INT(out.n, 42);
	CHECK_EQ_STR(out.text, "tea");
	REQUIRE_OK(read_type(b, &type));
	CHECK_EQ_INT(type, 18);
	REQUIRE_OK(send_msg(b, 19, 1, "back"));
	REQUIRE_OK(read_type(a, &type));
	CHECK_EQ_INT(type, 19);
	obol_devlink_close(a);
	CHECK_ERR(read_type(b, NULL), OBOL_E_DEVLINK_CLOSED);
	obol_devlink_close(b);
}

struct writer {
	struct obol_devlink *l;
	const struct obol_fields *spec;
	obol_err e;
};

/* Writes the big frame, then a small one (a socketpair holds less than both). */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	w->e = obol_devlink_write(w->l, 20, w->spec);
	if (w->e == OBOL_OK)
		w->e = send_msg(w->l, 21, 1, "after");
	return NULL;
}

TEST(devlink, large_frames_span_records)
{
	struct fixture fx;
	struct obol_devlink *a = NULL, *b = NULL;
	static uint8_t blob[OBOL_FRAME_MAX - 64], got[OBOL_FRAME_MAX];
	size_t n = sizeof blob, glen = 0;
	struct obol_field f[1] = { OBOL_F_BYTES("blob", 1, blob, 0, sizeof blob, &n) };
	struct obol_field g[1] = { OBOL_F_BYTES("blob", 1, got, 0, sizeof got, &glen) };
	uint32_t type;
	const uint8_t *body;
	size_t len;
	fixture(&fx);
	obol_random(blob, sizeof blob);
	REQUIRE_OK(test_link_pair(&fx.x, &fx.v.id, 2000, &a, &b));
	/* Two records for the big frame, then a small frame: each starts its own. */
	struct obol_fields spec = OBOL_FIELDS(f), gspec = OBOL_FIELDS(g);
	struct writer w = { a, &spec, OBOL_OK };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, writer_main, &w) == 0);
	obol_err e = obol_devlink_read(b, &type, &body, &len);
	if (e != OBOL_OK)
		pthread_join(th, NULL);
	REQUIRE_OK(e);
	CHECK_EQ_INT(type, 20);
	REQUIRE_OK(obol_cbor_decode(body, len, &gspec));
	CHECK_EQ_INT(glen, sizeof blob);
	CHECK_MEM_EQ(got, blob, sizeof blob);
	REQUIRE_OK(read_type(b, &type));
	CHECK_EQ_INT(type, 21);
	pthread_join(th, NULL);
	CHECK_OK(w.e);
	obol_devlink_close(a);
	obol_devlink_close(b);
}

TEST(devlink, error_frames_oversized_and_truncated_frames_inside_the_session)
{
	struct fixture fx;
	struct obol_devlink *a = NULL, *b = NULL;
	static const uint8_t huge[] = { 0, 0x10, 0, 0 };
	static const uint8_t part[] = { 0, 0, 0, 100, 0x83, 0x10 };
	fixture(&fx);
	REQUIRE_OK(test_link_pair(&fx.x, &fx.v.id, 1000, &a, &b));
	REQUIRE_OK(obol_devlink_write_error(a, OBOL_E_HASHCHAIN_NOT_IN_CHAIN));
	CHECK_ERR(read_type(b, NULL), OBOL_E_HASHCHAIN_NOT_IN_CHAIN);
	/* An announced length over the limit: refused, and the sender told. */
	REQUIRE_OK(obol_devlink_write_frame(a, huge, sizeof huge));
	CHECK_ERR(read_type(b, NULL), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(read_type(a, NULL), OBOL_E_WIRE_OVERSIZED);
	obol_devlink_close(a);
	obol_devlink_close(b);
	/* A frame whose stream ends inside it. */
	REQUIRE_OK(test_link_pair(&fx.x, &fx.v.id, 1000, &a, &b));
	REQUIRE_OK(obol_devlink_write_frame(a, part, sizeof part));
	obol_devlink_close(a);
	CHECK_ERR(read_type(b, NULL), OBOL_E_WIRE_TRUNCATED);
	obol_devlink_close(b);
}

TEST(devlink, no_frames_before_the_handshake)
{
	struct obol_devlink *a = NULL;
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_OK(obol_devlink_from_fd(sv[0], 100, &a));
	CHECK_ERR(read_type(a, NULL), OBOL_E_INTERNAL);
	CHECK_ERR(send_msg(a, 17, 1, "x"), OBOL_E_INTERNAL);
	obol_devlink_close(a);
	close(sv[1]);
}

/* ---- what the handshake proves ---------------------------------------------- */

TEST(devlink, an_impostor_without_the_certified_key_is_refused)
{
	struct fixture fx;
	struct obol_devlink *a = NULL, *b = NULL;
	fixture(&fx);
	/* The genuine certificate, another static key: the wallet sees a key
	 * the certificate does not name. */
	struct obol_box_keypair other;
	obol_box_keypair_new(&other);
	struct obol_devlink_identity imp = fx.v.id;
	imp.key = &other;
	CHECK_ERR(test_link_pair(&fx.x, &imp, 1000, &a, &b), OBOL_E_DEVLINK_IMPOSTOR);
	obol_devlink_close(a);
	obol_devlink_close(b);
	/* The genuine certificate and its public key, without the private
	 * half: message 2 does not decrypt at the wallet. */
	struct obol_box_keypair fake = { 0 };
	memcpy(fake.pk, fx.v.box.pk, 32);
	obol_random(fake.sk, 32);
	imp.key = &fake;
	CHECK_ERR(test_link_pair(&fx.x, &imp, 1000, &a, &b), OBOL_E_DEVLINK_HANDSHAKE);
	obol_devlink_close(a);
	obol_devlink_close(b);
}

TEST(devlink, certificates_of_another_issuer_expired_or_keyless_are_refused)
{
	struct fixture fx, other;
	struct obol_devlink *a = NULL, *b = NULL;
	fixture(&fx);
	fixture(&other);
	CHECK_ERR(test_link_pair(&fx.x, &other.v.id, 1000, &a, &b), OBOL_E_VENDOR_CERT_INVALID);
	obol_devlink_close(a);
	obol_devlink_close(b);
	size_t len;
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, &fx.master);
	fx.v.cert.valid_until = obol_now() - 1;
	fx.v.cert.valid_from = obol_now() - 100;
	REQUIRE_OK(obol_vendor_cert_sign(&fx.v.cert, &sg));
	REQUIRE_OK(obol_vendor_cert_encode(&fx.v.cert, fx.v.cbor, sizeof fx.v.cbor, &len));
	fx.v.id.cred_len = len;
	CHECK_ERR(test_link_pair(&fx.x, &fx.v.id, 1000, &a, &b), OBOL_E_VENDOR_CERT_EXPIRED);
	obol_devlink_close(a);
	obol_devlink_close(b);
	fx.v.cert.valid_until = obol_now() + 100;
	fx.v.cert.has_box_pk = false;
	REQUIRE_OK(obol_vendor_cert_sign(&fx.v.cert, &sg));
	REQUIRE_OK(obol_vendor_cert_encode(&fx.v.cert, fx.v.cbor, sizeof fx.v.cbor, &len));
	fx.v.id.cred_len = len;
	CHECK_ERR(test_link_pair(&fx.x, &fx.v.id, 1000, &a, &b), OBOL_E_DEVLINK_IMPOSTOR);
	obol_devlink_close(a);
	obol_devlink_close(b);
	/* A wallet that takes no vendor certificates. */
	struct obol_devlink_expect none = { 0 };
	CHECK_ERR(test_link_pair(&none, &other.v.id, 1000, &a, &b), OBOL_E_DEVLINK_CREDENTIAL);
	obol_devlink_close(a);
	obol_devlink_close(b);
}

/* A SIGNED credential: an Ed25519 key standing for a bank-certified key. */
struct signer {
	struct obol_sign_keypair kp;
	uint8_t seen[32];
	bool corrupt;
};

static obol_err sign_binding(void *ctx, const uint8_t binding[32], uint8_t *sig, size_t cap, size_t *len)
{
	struct signer *s = ctx;
	if (cap < OBOL_SIGN_LEN)
		return OBOL_E_WIRE_OVERSIZED;
	obol_sign(sig, "test-link", binding, 32, s->kp.sk);
	if (s->corrupt)
		sig[0] ^= 1;
	*len = OBOL_SIGN_LEN;
	memcpy(s->seen, binding, 32);
	return OBOL_OK;
}

static obol_err check_binding(void *ctx, const uint8_t *cred, size_t cred_len, const uint8_t binding[32],
			      const uint8_t *sig, size_t sig_len)
{
	struct signer *s = ctx;
	if (cred_len != 32 || memcmp(cred, s->kp.pk, 32) != 0)
		return OBOL_E_DEVLINK_CREDENTIAL;
	if (sig_len != OBOL_SIGN_LEN || obol_sign_verify(sig, "test-link", binding, 32, cred) != OBOL_OK)
		return OBOL_E_DEVLINK_IMPOSTOR;
	return OBOL_OK;
}

TEST(devlink, a_signed_credential_binds_the_static_key_to_this_handshake)
{
	struct signer s = { 0 };
	struct obol_box_keypair key;
	struct obol_devlink *a = NULL, *b = NULL;
	uint8_t again[32];
	obol_sign_keypair_new(&s.kp);
	obol_box_keypair_new(&key);
	struct obol_devlink_identity id = { .key = &key, .kind = OBOL_DL_CRED_SIGNED, .cred = s.kp.pk,
					    .cred_len = 32, .sign = sign_binding, .ctx = &s };
	struct obol_devlink_expect x = { .check = check_binding, .ctx = &s };
	REQUIRE_OK(test_link_pair(&x, &id, 1000, &a, &b));
	CHECK_EQ_INT(obol_devlink_peer(a)->kind, OBOL_DL_CRED_SIGNED);
	memcpy(again, s.seen, 32);
	obol_devlink_close(a);
	obol_devlink_close(b);
	/* Each handshake signs another binding (the initiator's fresh e). */
	REQUIRE_OK(test_link_pair(&x, &id, 1000, &a, &b));
	CHECK(memcmp(again, s.seen, 32) != 0);
	obol_devlink_close(a);
	obol_devlink_close(b);
	s.corrupt = true;
	CHECK_ERR(test_link_pair(&x, &id, 1000, &a, &b), OBOL_E_DEVLINK_IMPOSTOR);
	obol_devlink_close(a);
	obol_devlink_close(b);
	/* A vendor-only wallet does not take it. */
	struct obol_sign_keypair m;
	obol_sign_keypair_new(&m);
	struct obol_devlink_expect vendor_only = { .issuer_pk = m.pk };
	s.corrupt = false;
	CHECK_ERR(test_link_pair(&vendor_only, &id, 1000, &a, &b), OBOL_E_DEVLINK_CREDENTIAL);
	obol_devlink_close(a);
	obol_devlink_close(b);
}

/* ---- version 1 peers, and a vendor too busy ------------------------------------ */

/* The v1 refusal's bytes, as a v1 wallet reads them. */
static const uint8_t V1_REFUSAL[] = { 0, 0, 0, 21, 0x83, 1, 1, 0xa2, 1, 0x18, 0xd1, 2, 0x6c,
				      'W', 'I', 'R', 'E', '_', 'V', 'E', 'R', 'S', 'I', 'O', 'N' };

TEST(devlink, a_version_1_wallet_is_told_in_its_own_version)
{
	struct fixture fx;
	struct obol_devlink *b = NULL;
	int sv[2];
	/* A v1 coupon BUY frame: [16, 1, {1: 5}]. */
	static const uint8_t v1_buy[] = { 0, 0, 0, 6, 0x83, 0x10, 0x01, 0xa1, 0x01, 0x05 };
	uint8_t got[64];
	fixture(&fx);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_OK(obol_devlink_from_fd(sv[1], 1000, &b));
	REQUIRE(write(sv[0], v1_buy, sizeof v1_buy) == (ssize_t)sizeof v1_buy);
	CHECK_ERR(obol_devlink_respond(b, &fx.v.id), OBOL_E_DEVLINK_OLD_PEER);
	obol_devlink_close(b);
	ssize_t n = read(sv[0], got, sizeof got);
	CHECK_EQ_INT(n, sizeof V1_REFUSAL);
	CHECK_MEM_EQ(got, V1_REFUSAL, sizeof V1_REFUSAL);
	close(sv[0]);
}

/* A peer that reads the HELLO and answers with fixed bytes. */
struct canned {
	int fd;
	const uint8_t *answer;
	size_t len;
};

static void *canned_main(void *arg)
{
	struct canned *c = arg;
	uint8_t buf[256];
	ssize_t n = read(c->fd, buf, sizeof buf); /* the HELLO */
	if (n > 0 && write(c->fd, c->answer, c->len) != (ssize_t)c->len)
		n = -1;
	return NULL;
}

static obol_err initiate_against(const uint8_t *answer, size_t len)
{
	struct fixture fx;
	struct obol_devlink *a = NULL;
	pthread_t th;
	int sv[2];
	fixture(&fx);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || obol_devlink_from_fd(sv[0], 1000, &a) != OBOL_OK)
		return OBOL_E_IO;
	struct canned c = { sv[1], answer, len };
	pthread_create(&th, NULL, canned_main, &c);
	obol_err e = obol_devlink_initiate(a, &fx.x);
	pthread_join(th, NULL);
	obol_devlink_close(a);
	close(sv[1]);
	return e;
}

TEST(devlink, a_version_1_vendor_or_a_busy_one_ends_the_connect_with_its_name)
{
	uint8_t busy[64];
	size_t n;
	/* A v1 vendor answers a v2 HELLO with its v1 WIRE_VERSION refusal. */
	CHECK_ERR(initiate_against(V1_REFUSAL, sizeof V1_REFUSAL), OBOL_E_DEVLINK_OLD_PEER);
	REQUIRE_OK(obol_devlink_error_frame(OBOL_E_DEVLINK_BUSY, busy, sizeof busy, &n));
	CHECK_ERR(initiate_against(busy, n), OBOL_E_DEVLINK_BUSY);
	/* Anything else where ACCEPT belongs. */
	static const uint8_t junk[] = { 0, 0, 0, 3, 0xff, 0xff, 0xff };
	CHECK_ERR(initiate_against(junk, sizeof junk), OBOL_E_DEVLINK_HANDSHAKE);
}

TEST(devlink, a_first_frame_that_is_no_hello_is_refused)
{
	struct fixture fx;
	struct obol_devlink *b = NULL;
	int sv[2];
	static const uint8_t junk[] = { 0, 0, 0, 3, 0xff, 0xff, 0xff };
	fixture(&fx);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_OK(obol_devlink_from_fd(sv[1], 1000, &b));
	REQUIRE(write(sv[0], junk, sizeof junk) == (ssize_t)sizeof junk);
	CHECK_ERR(obol_devlink_respond(b, &fx.v.id), OBOL_E_WIRE_MALFORMED);
	obol_devlink_close(b);
	/* The other side was told, in clear, in a frame naming the refusal. */
	uint8_t got[128];
	ssize_t n = read(sv[0], got, sizeof got);
	CHECK(n > 4 && memmem(got, (size_t)n, "WIRE_MALFORMED", 14) != NULL);
	close(sv[0]);
	/* A well-formed frame that is no HELLO. */
	uint8_t frame[64];
	size_t len;
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_OK(obol_devlink_from_fd(sv[1], 1000, &b));
	REQUIRE_OK(obol_devlink_error_frame(OBOL_E_NOT_FOUND, frame, sizeof frame, &len));
	REQUIRE(write(sv[0], frame, len) == (ssize_t)len);
	CHECK_ERR(obol_devlink_respond(b, &fx.v.id), OBOL_E_DEVLINK_HANDSHAKE);
	obol_devlink_close(b);
	n = read(sv[0], got, sizeof got);
	CHECK(n > 4 && memmem(got, (size_t)n, "DEVLINK_HANDSHAKE", 17) != NULL);
	close(sv[0]);
}

TEST(devlink, a_silent_peer_times_out)
{
	struct fixture fx;
	struct obol_devlink *a = NULL;
	int sv[2];
	fixture(&fx);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_OK(obol_devlink_from_fd(sv[0], 100, &a));
	CHECK_ERR(obol_devlink_initiate(a, &fx.x), OBOL_E_NETWORK);
	obol_devlink_close(a);
	close(sv[1]);
}

/* ---- a man in the middle of the records ---------------------------------------- */

/* a <-> (ma | mb) <-> b: the test holds ma and mb and forwards by hand. */
struct mitm {
	struct fixture fx;
	struct obol_devlink *a, *b;
	int ma, mb;
	struct test_link_responder *resp;
};

static obol_err read_exact(int fd, uint8_t *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return OBOL_E_NETWORK;
		got += (size_t)r;
	}
	return OBOL_OK;
}

/* Reads one clear frame (4-byte length) or one record (2-byte length). */
static obol_err grab(int fd, size_t hdr, uint8_t *buf, size_t cap, size_t *len)
{
	obol_err e = read_exact(fd, buf, hdr);
	if (e != OBOL_OK)
		return e;
	size_t n = hdr == 4 ? (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]
			    : (size_t)buf[0] << 8 | buf[1];
	if (hdr + n > cap)
		return OBOL_E_WIRE_OVERSIZED;
	*len = hdr + n;
	return read_exact(fd, buf + hdr, n);
}

struct initiator {
	struct mitm *m;
	obol_err e;
};

static void *initiate_main(void *arg)
{
	struct initiator *in = arg;
	in->e = obol_devlink_initiate(in->m->a, &in->m->fx.x);
	return NULL;
}

static void mitm_up(struct mitm *m)
{
	int s1[2], s2[2];
	uint8_t buf[4096];
	size_t n;
	pthread_t th;
	struct initiator in = { m, OBOL_OK };
	fixture(&m->fx);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s1) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s2) != 0 ||
	    obol_devlink_from_fd(s1[0], 1000, &m->a) != OBOL_OK || obol_devlink_from_fd(s2[0], 1000, &m->b) != OBOL_OK) {
		obol_test_fail(__FILE__, __LINE__, "no sockets");
		return;
	}
	m->ma = s1[1];
	m->mb = s2[1];
	m->resp = test_link_respond_async(m->b, &m->fx.v.id);
	pthread_create(&th, NULL, initiate_main, &in);
	/* The handshake passes untouched. */
	if (grab(m->ma, 4, buf, sizeof buf, &n) != OBOL_OK || write(m->mb, buf, n) != (ssize_t)n ||
	    grab(m->mb, 4, buf, sizeof buf, &n) != OBOL_OK || write(m->ma, buf, n) != (ssize_t)n)
		obol_test_fail(__FILE__, __LINE__, "handshake relay failed");
	pthread_join(th, NULL);
	if (in.e != OBOL_OK || test_link_respond_join(m->resp) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "handshake failed: %s", obol_strerror(in.e));
}

static void mitm_down(struct mitm *m)
{
	obol_devlink_close(m->a);
	obol_devlink_close(m->b);
	close(m->ma);
	close(m->mb);
}

/* The wallet sends frames, the man in the middle takes their records. */
static void take(struct mitm *m, int count, uint8_t rec[][256], size_t *len)
{
	for (int i = 0; i < count; i++) {
		char text[16];
		snprintf(text, sizeof text, "secret-%d", i);
		if (send_msg(m->a, 30, (uint64_t)i, text) != OBOL_OK || grab(m->ma, 2, rec[i], 256, &len[i]) != OBOL_OK)
			obol_test_fail(__FILE__, __LINE__, "no record %d", i);
	}
}

static void give(struct mitm *m, const uint8_t *rec, size_t len)
{
	if (write(m->mb, rec, len) != (ssize_t)len)
		obol_test_fail(__FILE__, __LINE__, "relay failed");
}

TEST(devlink, the_man_in_the_middle_reads_nothing_of_the_frames)
{
	struct mitm m;
	uint8_t rec[2][256];
	size_t len[2];
	uint32_t type;
	mitm_up(&m);
	take(&m, 2, rec, len);
	for (int i = 0; i < 2; i++) {
		CHECK(memmem(rec[i], len[i], "secret", 6) == NULL);
		give(&m, rec[i], len[i]);
		CHECK_OK(read_type(m.b, &type));
	}
	/* The two records of the same-shaped frames have nothing in common
	 * past the length. */
	CHECK(len[0] == len[1] && memcmp(rec[0] + 2, rec[1] + 2, len[0] - 2) != 0);
	mitm_down(&m);
}

TEST(devlink, a_changed_bit_ends_the_link_with_its_name_on_both_ends)
{
	uint8_t rec[2][256];
	size_t len[2];
	uint32_t type;
	/* Every byte position of a record: length, ciphertext, tag. */
	for (size_t pos = 2; pos < 40; pos += 5) {
		struct mitm m;
		mitm_up(&m);
		take(&m, 2, rec, len);
		give(&m, rec[0], len[0]);
		CHECK_OK(read_type(m.b, &type));
		rec[1][pos] ^= 0x01;
		give(&m, rec[1], len[1]);
		CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_TAMPERED);
		/* Reading stays ended; the vendor can still tell the wallet. */
		CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_TAMPERED);
		REQUIRE_OK(obol_devlink_write_error(m.b, OBOL_E_DEVLINK_TAMPERED));
		uint8_t back[256];
		size_t n;
		REQUIRE_OK(grab(m.mb, 2, back, sizeof back, &n));
		if (write(m.ma, back, n) != (ssize_t)n)
			obol_test_fail(__FILE__, __LINE__, "relay failed");
		CHECK_ERR(read_type(m.a, &type), OBOL_E_DEVLINK_TAMPERED);
		mitm_down(&m);
	}
	/* A changed length: the record cannot be genuine. */
	struct mitm m;
	mitm_up(&m);
	take(&m, 1, rec, len);
	rec[0][1] = 8;
	give(&m, rec[0], 2 + 8);
	CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_TAMPERED);
	mitm_down(&m);
	/* A record made up from nothing. */
	mitm_up(&m);
	take(&m, 1, rec, len);
	obol_random(rec[0] + 2, len[0] - 2);
	give(&m, rec[0], len[0]);
	CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_TAMPERED);
	mitm_down(&m);
}

TEST(devlink, a_replayed_frame_ends_the_link_as_a_replay)
{
	struct mitm m;
	uint8_t rec[2][256];
	size_t len[2];
	uint32_t type;
	mitm_up(&m);
	take(&m, 2, rec, len);
	give(&m, rec[0], len[0]);
	CHECK_OK(read_type(m.b, &type));
	give(&m, rec[0], len[0]);
	CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_REPLAYED);
	mitm_down(&m);
	/* A replay from another session of the same pair is just made up. */
	struct mitm m2;
	mitm_up(&m);
	mitm_up(&m2);
	take(&m, 1, rec, len);
	give(&m2, rec[0], len[0]);
	CHECK_ERR(read_type(m2.b, &type), OBOL_E_DEVLINK_TAMPERED);
	mitm_down(&m);
	mitm_down(&m2);
}

TEST(devlink, a_reordered_or_dropped_frame_ends_the_link_as_out_of_order)
{
	struct mitm m;
	uint8_t rec[3][256];
	size_t len[3];
	uint32_t type;
	mitm_up(&m);
	take(&m, 2, rec, len);
	give(&m, rec[1], len[1]);
	give(&m, rec[0], len[0]);
	CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_OUT_OF_ORDER);
	mitm_down(&m);
	/* Dropped: the first never arrives. */
	mitm_up(&m);
	take(&m, 3, rec, len);
	give(&m, rec[0], len[0]);
	CHECK_OK(read_type(m.b, &type));
	give(&m, rec[2], len[2]);
	CHECK_ERR(read_type(m.b, &type), OBOL_E_DEVLINK_OUT_OF_ORDER);
	mitm_down(&m);
	/* Cut inside a record. */
	mitm_up(&m);
	take(&m, 1, rec, len);
	give(&m, rec[0], len[0] - 3);
	close(m.mb);
	m.mb = -1;
	CHECK_ERR(read_type(m.b, &type), OBOL_E_WIRE_TRUNCATED);
	mitm_down(&m);
}

/* ---- over real sockets --------------------------------------------------------- */

struct server {
	int lfd;
	const struct obol_devlink_identity *id;
	struct obol_devlink *s;
	obol_err e;
};

static void *server_main(void *arg)
{
	struct server *sv = arg;
	sv->e = obol_devlink_accept(sv->lfd, 2000, 2000, &sv->s);
	if (sv->e == OBOL_OK)
		sv->e = obol_devlink_respond(sv->s, sv->id);
	return NULL;
}

static void over(const char *addr_in, bool tcp)
{
	struct fixture fx;
	struct server sv = { .lfd = -1 };
	uint16_t port = 1;
	char addr[600];
	struct obol_devlink *c = NULL;
	pthread_t th;
	uint32_t type;
	fixture(&fx);
	sv.id = &fx.v.id;
	REQUIRE_OK(obol_devlink_listen(addr_in, &sv.lfd, &port));
	if (tcp) {
		CHECK(port != 0);
		snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	} else {
		CHECK_EQ_INT(port, 0);
		snprintf(addr, sizeof addr, "%s", addr_in);
	}
	pthread_create(&th, NULL, server_main, &sv);
	REQUIRE_OK(obol_devlink_connect_vendor(addr, 1000, fx.master.pk, &c));
	pthread_join(th, NULL);
	REQUIRE_OK(sv.e);
	REQUIRE_OK(send_msg(c, 20, 7, "x"));
	REQUIRE_OK(read_type(sv.s, &type));
	CHECK_EQ_INT(type, 20);
	REQUIRE_OK(send_msg(sv.s, 21, 8, "y"));
	REQUIRE_OK(read_type(c, &type));
	CHECK_EQ_INT(type, 21);
	obol_devlink_close(c);
	obol_devlink_close(sv.s);
	/* No connection waiting: accept times out. */
	struct obol_devlink *none = NULL;
	CHECK_ERR(obol_devlink_accept(sv.lfd, 50, 1000, &none), OBOL_E_NETWORK);
	close(sv.lfd);
	if (tcp) /* Nobody listens there any more. */
		CHECK_ERR(obol_devlink_connect_vendor(addr, 500, fx.master.pk, &c), OBOL_E_NETWORK);
}

TEST(devlink, tcp_on_port_zero)
{
	over("127.0.0.1:0", true);
}

TEST(devlink, unix_socket)
{
	char addr[600];
	snprintf(addr, sizeof addr, "unix:%s/link", test_tmpdir());
	over(addr, false);
}

/* A pair of links on a socketpair, marked as bench links in clear as asked;
 * the handshake's outcome on the initiator's side. */
static obol_err bench_pair(struct fixture *fx, bool clear_a, bool clear_b, struct obol_devlink **a,
			   struct obol_devlink **b)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || obol_devlink_from_fd(sv[0], 1000, a) != OBOL_OK ||
	    obol_devlink_from_fd(sv[1], 1000, b) != OBOL_OK || (clear_a && obol_devlink_bench_cleartext(*a) != OBOL_OK) ||
	    (clear_b && obol_devlink_bench_cleartext(*b) != OBOL_OK)) {
		obol_test_fail(__FILE__, __LINE__, "no links");
		return OBOL_E_INTERNAL;
	}
	struct test_link_responder *r = test_link_respond_async(*b, &fx->v.id);
	obol_err e = obol_devlink_initiate(*a, &fx->x);
	if (e != OBOL_OK) {
		obol_devlink_close(*a); /* a responder still reading ends */
		*a = NULL;
	}
	obol_err er = test_link_respond_join(r);
	if (e == OBOL_OK)
		CHECK_OK(er);
	return e;
}

TEST(devlink, a_bench_link_in_clear_completes_a_handshake_only_with_another)
{
	struct fixture fx;
	struct obol_devlink *a = NULL, *b = NULL;
	fixture(&fx);
	/* Either end marked alone: the prologues differ, message 2 does not
	 * decrypt, and the initiator stops before any frame. */
	CHECK_ERR(bench_pair(&fx, true, false, &a, &b), OBOL_E_DEVLINK_HANDSHAKE);
	obol_devlink_close(b);
	CHECK_ERR(bench_pair(&fx, false, true, &a, &b), OBOL_E_DEVLINK_HANDSHAKE);
	obol_devlink_close(b);
	/* Both marked: frames travel in records of the usual framing and
	 * length, in clear, the tag's bytes zero. */
	REQUIRE_OK(bench_pair(&fx, true, true, &a, &b));
	CHECK_ERR(obol_devlink_bench_cleartext(a), OBOL_E_INTERNAL); /* after the handshake: too late */
	uint8_t rec[256];
	REQUIRE_OK(send_msg(a, 30, 7, "secret-0"));
	REQUIRE_OK(grab(obol_devlink_fd(b), 2, rec, sizeof rec, &(size_t){ 0 }));
	size_t len = (size_t)rec[0] << 8 | rec[1];
	CHECK(memmem(rec + 2, len, "secret-0", 8) != NULL);
	static const uint8_t zero_tag[16];
	CHECK(len > 16 && memcmp(rec + 2 + len - 16, zero_tag, 16) == 0);
	uint32_t type;
	REQUIRE_OK(send_msg(b, 31, 8, "back"));
	REQUIRE_OK(read_type(a, &type));
	CHECK_EQ_INT(type, 31);
	obol_devlink_close(a);
	obol_devlink_close(b);
}
