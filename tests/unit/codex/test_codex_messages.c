/* The codex scheme's binary forms and signatures (src/schemes/codex/messages.c). */
#include <stdlib.h>
#include <string.h>

#include "schemes/codex/messages.h"
#include "world.h"
#include "../test.h"

/* Every proper prefix, and one trailing byte, of a valid encoding is refused. */
typedef obol_err (*decode_fn)(const uint8_t *in, size_t len, void *out);
static void check_truncations(const uint8_t *enc, size_t len, decode_fn dec, void *out)
{
	uint8_t *longer = malloc(len + 1);
	for (size_t k = 0; k < len; k++)
		CHECK_ERR(dec(enc, k, out), OBOL_E_CODEX_MALFORMED);
	memcpy(longer, enc, len);
	longer[len] = 0;
	CHECK_ERR(dec(longer, len + 1, out), OBOL_E_CODEX_MALFORMED);
	free(longer);
}

static obol_err dec_cert(const uint8_t *in, size_t len, void *out) { return codex_cert_decode(in, len, out); }
static obol_err dec_state(const uint8_t *in, size_t len, void *out) { return codex_state_decode(in, len, out); }
static obol_err dec_token(const uint8_t *in, size_t len, void *out) { return codex_token_decode(in, len, out); }

TEST(codex_msg, cert_roundtrip_forgery_and_truncation)
{
	struct world w;
	struct codex_cert c, back;
	uint8_t buf[CODEX_CERT_MAX];
	size_t n;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	c = w.cx[0]->cert;
	REQUIRE_OK(codex_cert_encode(&c, buf, sizeof(buf), &n));
	REQUIRE_OK(codex_cert_decode(buf, n, &back));
	CHECK(memcmp(&c, &back, sizeof(c)) == 0);
	CHECK_OK(codex_cert_verify(&back, w.bank.pk));
	/* any changed field breaks the bank's signature */
	back.user_id++;
	CHECK_ERR(codex_cert_verify(&back, w.bank.pk), OBOL_E_CODEX_SIGNATURE);
	back = c;
	back.box_pk[0] ^= 1;
	CHECK_ERR(codex_cert_verify(&back, w.bank.pk), OBOL_E_CODEX_SIGNATURE);
	/* another key's signature */
	CHECK_ERR(codex_cert_verify(&c, w.cx[1]->cert.sign_pk), OBOL_E_CODEX_SIGNATURE);
	check_truncations(buf, n, dec_cert, &back);
	buf[0] = 'X';
	CHECK_ERR(codex_cert_decode(buf, n, &back), OBOL_E_CODEX_MALFORMED);
	world_free(&w);
}

TEST(codex_msg, state_roundtrip_and_forgery)
{
	struct world w;
	struct codex_state s, back;
	uint8_t buf[CODEX_STATE_MAX];
	size_t n;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	s = w.cx[0]->state;
	REQUIRE_OK(codex_state_encode(&s, buf, sizeof(buf), &n));
	REQUIRE_OK(codex_state_decode(buf, n, &back));
	CHECK(memcmp(&s, &back, sizeof(s)) == 0);
	CHECK_OK(codex_state_verify(&back, w.bank.pk));
	back.balance.units += 1; /* a richer Codex is a forgery */
	CHECK_ERR(codex_state_verify(&back, w.bank.pk), OBOL_E_CODEX_SIGNATURE);
	back = s;
	back.not_after += 1; /* a longer life too */
	CHECK_ERR(codex_state_verify(&back, w.bank.pk), OBOL_E_CODEX_SIGNATURE);
	check_truncations(buf, n, dec_state, &back);
	/* a state's signature does not verify as a certificate's (contexts) */
	{
		struct codex_cert c = w.cx[0]->cert;
		memcpy(c.sig, s.sig, OBOL_SIGN_LEN);
		CHECK_ERR(codex_cert_verify(&c, w.bank.pk), OBOL_E_CODEX_SIGNATURE);
	}
	world_free(&w);
}

TEST(codex_msg, token_ack_roundtrip)
{
	struct world w;
	struct codex_token t, back;
	struct codex_ack a, aback;
	uint8_t buf[CODEX_TOKEN_MAX], abuf[CODEX_ACK_LEN];
	size_t n;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	memset(&t, 0, sizeof(t));
	t.id[0] = 7;
	t.payer_id = 101;
	strcpy(t.payer_name, "alice");
	t.payee_id = 102;
	strcpy(t.payee_name, "bob");
	t.version = CODEX_TOKEN_VERSION;
	t.amount = eur(250);
	t.spent = eur(250);
	t.time = WORLD_T0;
	t.epoch = 1;
	t.seq = 1;
	REQUIRE_OK(codex_token_sign(&t, w.cx[0]->sign_sk));
	REQUIRE_OK(codex_token_encode(&t, buf, sizeof(buf), &n));
	REQUIRE_OK(codex_token_decode(buf, n, &back));
	CHECK(memcmp(&t, &back, sizeof(t)) == 0);
	CHECK_OK(codex_token_verify(&back, w.cx[0]->cert.sign_pk));
	CHECK_ERR(codex_token_verify(&back, w.cx[1]->cert.sign_pk), OBOL_E_CODEX_SIGNATURE);
	back.amount.units = 2500; /* a raised amount */
	CHECK_ERR(codex_token_verify(&back, w.cx[0]->cert.sign_pk), OBOL_E_CODEX_SIGNATURE);
	back = t;
	back.payee_id = 103; /* redirected to another payee */
	CHECK_ERR(codex_token_verify(&back, w.cx[0]->cert.sign_pk), OBOL_E_CODEX_SIGNATURE);
	check_truncations(buf, n, dec_token, &back);
	/* negative amounts are never encoded */
	back = t;
	back.amount.units = -1;
	CHECK_ERR(codex_token_encode(&back, buf, sizeof(buf), &n), OBOL_E_INVALID_ARGUMENT);
	/* a bad name is refused on both sides */
	back = t;
	strcpy(back.payer_name, "a b");
	CHECK_ERR(codex_token_encode(&back, buf, sizeof(buf), &n), OBOL_E_INVALID_ARGUMENT);

	memset(&a, 0, sizeof(a));
	REQUIRE_OK(codex_token_hash(&t, a.token_hash));
	a.payee_id = 102;
	a.time = WORLD_T0;
	REQUIRE_OK(codex_ack_sign(&a, w.cx[1]->sign_sk));
	REQUIRE_OK(codex_ack_encode(&a, abuf));
	REQUIRE_OK(codex_ack_decode(abuf, sizeof(abuf), &aback));
	CHECK_OK(codex_ack_verify(&aback, w.cx[1]->cert.sign_pk));
	aback.time++;
	CHECK_ERR(codex_ack_verify(&aback, w.cx[1]->cert.sign_pk), OBOL_E_CODEX_SIGNATURE);
	CHECK_ERR(codex_ack_decode(abuf, sizeof(abuf) - 1, &aback), OBOL_E_CODEX_MALFORMED);
	world_free(&w);
}

TEST(codex_msg, blacklist_roundtrip_order_and_signature)
{
	struct world w;
	static struct codex_blacklist bl, back;
	uint8_t *buf;
	size_t n;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_blacklist_with(&w, 104, &bl));
	w.bl = bl;
	REQUIRE_OK(world_blacklist_with(&w, 102, &bl));
	w.bl = bl;
	REQUIRE_OK(world_blacklist_with(&w, 102, &bl)); /* no-op */
	CHECK_EQ_INT(bl.n, 2);
	CHECK_EQ_INT(bl.version, 2);
	CHECK_EQ_INT(bl.ids[0], 102);
	CHECK(codex_blacklist_has(&bl, 104));
	CHECK(!codex_blacklist_has(&bl, 101));
	REQUIRE_OK(codex_blacklist_encode(&bl, &buf, &n));
	CHECK_EQ_INT(n, CODEX_BLACKLIST_LEN(2));
	REQUIRE_OK(codex_blacklist_decode(buf, n, &back));
	CHECK_OK(codex_blacklist_verify(&back, w.bank.pk));
	CHECK_EQ_INT(back.n, 2);
	/* removing a name breaks the signature */
	back.n = 1;
	CHECK_ERR(codex_blacklist_verify(&back, w.bank.pk), OBOL_E_CODEX_SIGNATURE);
	/* ids out of order are malformed */
	{
		uint8_t t = buf[4 + 1 + 8 + 8 + 4 + 7];
		buf[4 + 1 + 8 + 8 + 4 + 7] = buf[4 + 1 + 8 + 8 + 4 + 15];
		buf[4 + 1 + 8 + 8 + 4 + 15] = t;
		CHECK_ERR(codex_blacklist_decode(buf, n, &back), OBOL_E_CODEX_MALFORMED);
	}
	CHECK_ERR(codex_blacklist_decode(buf, n - 1, &back), OBOL_E_CODEX_MALFORMED);
	free(buf);
	world_free(&w);
}

TEST(codex_msg, log_chain_binds_every_field)
{
	uint8_t s[32] = { 1 }, h0[32], a[32], b[32], th[32] = { 2 };
	codex_log_start(h0, s);
	codex_log_step(a, h0, CODEX_ENTRY_PAY, 1, 5, th);
	codex_log_step(b, h0, CODEX_ENTRY_RECEIVE, 1, 5, th);
	CHECK(memcmp(a, b, 32) != 0);
	codex_log_step(b, h0, CODEX_ENTRY_PAY, 2, 5, th);
	CHECK(memcmp(a, b, 32) != 0);
	codex_log_step(b, h0, CODEX_ENTRY_PAY, 1, 6, th);
	CHECK(memcmp(a, b, 32) != 0);
	/* in place (out aliases prev) gives the same result */
	memcpy(b, h0, 32);
	codex_log_step(b, b, CODEX_ENTRY_PAY, 1, 5, th);
	CHECK_MEM_EQ(a, b, 32);
}
