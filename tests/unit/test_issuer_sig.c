/* The verifier's trust in the issuer's online keys
 * (src/schemes/common/issuer_sig.h): the registry per pinned master key,
 * obol_issuer_sig_verify, the key document that registers and may be signed
 * by an online key, the wallet file that keeps the keys across a restart,
 * and the scheme verifiers that go through it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/sign.h"
#include "schemes/codex/bank.h"
#include "schemes/codex/messages.h"
#include "schemes/common/issuer_sig.h"
#include "schemes/common/key_announce.h"
#include "schemes/common/keys_doc.h"
#include "schemes/common/vendor_cert.h"
#include "schemes/coupon/messages.h"
#include "schemes/payword/messages.h"
#include "test.h"
#include "wallet/file.h"
#include "wire/json.h"

#define T0 INT64_C(1767225600)
#define DAY INT64_C(86400)

static int64_t fixed;
static int64_t fixed_now(void *ctx)
{
	(void)ctx;
	return __atomic_load_n(&fixed, __ATOMIC_SEQ_CST);
}
static const struct obol_clock_source fixed_clock = { .now = fixed_now };

static void online(struct obol_key_announce *a, const struct obol_sign_keypair *master,
		   const struct obol_sign_keypair *k, uint64_t serial, int64_t from)
{
	memset(a, 0, sizeof *a);
	a->kind = OBOL_KEY_ONLINE;
	strcpy(a->currency, "EUR");
	a->serial = serial;
	memcpy(a->key, k->pk, OBOL_SIGN_PK_LEN);
	a->key_len = OBOL_SIGN_PK_LEN;
	a->valid_from = from;
	a->use_until = from + 90 * DAY;
	a->accept_until = from + 400 * DAY;
	REQUIRE_OK(obol_key_announce_sign(a, master->sk));
}

static void revoke(struct obol_key_announce *r, const struct obol_sign_keypair *master,
		   const struct obol_key_announce *of, uint64_t serial, int64_t at)
{
	memset(r, 0, sizeof *r);
	r->kind = OBOL_KEY_REVOKE;
	strcpy(r->currency, "EUR");
	r->serial = serial;
	r->valid_from = at;
	obol_key_announce_key_id(of, r->revoked);
	REQUIRE_OK(obol_key_announce_sign(r, master->sk));
}

/* A set of n announcements under master, registered as issued at `at`. */
static void reg(const struct obol_sign_keypair *master, const struct obol_key_announce *a, size_t n, int64_t at)
{
	struct obol_key_set *s = malloc(sizeof *s);
	REQUIRE(s != NULL);
	obol_key_set_init(s, master->pk);
	for (size_t i = 0; i < n; i++)
		REQUIRE_OK(obol_key_set_add(s, &a[i]));
	REQUIRE_OK(obol_issuer_keys_register(s, at));
	free(s);
}

static void cert_by(struct obol_vendor_cert *c, const struct obol_sign_keypair *signer, int64_t from)
{
	struct obol_ed25519_signer sg;
	memset(c, 0, sizeof *c);
	c->vendor_id = 9;
	strcpy(c->name, "kiosk");
	c->account = 9;
	memset(c->sign_pk, 0x11, 32);
	c->valid_from = from;
	c->valid_until = from + 365 * DAY;
	obol_ed25519_signer_local(&sg, signer);
	REQUIRE_OK(obol_vendor_cert_sign(c, &sg));
}

static const uint8_t msg[] = "a coupon lock reply";

TEST(issuer_sig, online_key_accepted_once_announced_master_always)
{
	struct obol_sign_keypair master, k1;
	struct obol_key_announce a;
	struct obol_vendor_cert c;
	uint8_t sig[OBOL_SIGN_LEN];
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	online(&a, &master, &k1, 1, T0);
	obol_sign(sig, "coupon-lock-reply", msg, sizeof msg, k1.sk);
	/* before the verifier learns k1: refused, and named */
	CHECK_ERR(obol_issuer_sig_verify(sig, "coupon-lock-reply", msg, sizeof msg, master.pk, T0 + DAY),
		  OBOL_E_KEY_NOT_ANNOUNCED);
	cert_by(&c, &k1, T0);
	CHECK_ERR(obol_vendor_cert_verify(&c, master.pk, T0 + DAY), OBOL_E_VENDOR_CERT_INVALID);
	reg(&master, &a, 1, T0);
	CHECK_OK(obol_issuer_sig_verify(sig, "coupon-lock-reply", msg, sizeof msg, master.pk, T0 + DAY));
	CHECK_OK(obol_vendor_cert_verify(&c, master.pk, T0 + DAY));
	/* the context and the bytes still count */
	CHECK_ERR(obol_issuer_sig_verify(sig, "vendor-cert", msg, sizeof msg, master.pk, T0 + DAY),
		  OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_issuer_sig_verify(sig, "coupon-lock-reply", msg, sizeof msg - 1, master.pk, T0 + DAY),
		  OBOL_E_SIGNATURE_INVALID);
	/* the master's own signature, before and after: at any time */
	obol_sign(sig, "coupon-lock-reply", msg, sizeof msg, master.sk);
	CHECK_OK(obol_issuer_sig_verify(sig, "coupon-lock-reply", msg, sizeof msg, master.pk, T0 + 9000 * DAY));
	obol_issuer_keys_forget_all();
	CHECK_OK(obol_issuer_sig_verify(sig, "coupon-lock-reply", msg, sizeof msg, master.pk, T0));
	CHECK_ERR(obol_vendor_cert_verify(&c, master.pk, T0 + DAY), OBOL_E_VENDOR_CERT_INVALID);
}

TEST(issuer_sig, windows_revocation_and_the_newest_set)
{
	struct obol_sign_keypair master, k1, k2;
	struct obol_key_announce a[3];
	uint8_t s1[OBOL_SIGN_LEN], s2[OBOL_SIGN_LEN];
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	obol_sign_keypair_new(&k2);
	online(&a[0], &master, &k1, 1, T0);
	online(&a[1], &master, &k2, 2, T0 + 80 * DAY); /* the next key, announced ahead */
	obol_sign(s1, "ctx", msg, sizeof msg, k1.sk);
	obol_sign(s2, "ctx", msg, sizeof msg, k2.sk);
	reg(&master, a, 2, T0);
	/* k1's window: from valid_from until accept_until */
	CHECK_ERR(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, T0 - 1), OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_OK(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, a[0].accept_until - 1));
	CHECK_ERR(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, a[0].accept_until),
		  OBOL_E_KEY_OUTSIDE_WINDOW);
	/* the lookahead: a verifier that learnt the set at T0 follows the
	 * issuer onto k2 on day 100 with nothing fetched since */
	CHECK_ERR(obol_issuer_sig_verify(s2, "ctx", msg, sizeof msg, master.pk, T0 + DAY), OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_OK(obol_issuer_sig_verify(s2, "ctx", msg, sizeof msg, master.pk, T0 + 100 * DAY));
	/* k1 revoked from day 10, learnt from a later document */
	revoke(&a[2], &master, &a[0], 3, T0 + 10 * DAY);
	reg(&master, a, 3, T0 + 9 * DAY);
	CHECK_OK(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, T0 + 10 * DAY - 1));
	CHECK_ERR(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, T0 + 10 * DAY), OBOL_E_KEY_REVOKED);
	CHECK_OK(obol_issuer_sig_verify(s2, "ctx", msg, sizeof msg, master.pk, T0 + 100 * DAY));
	/* an older document (replayed, or read from a stale cache) does not
	 * take the revocation back */
	reg(&master, a, 2, T0);
	CHECK_ERR(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, T0 + 10 * DAY), OBOL_E_KEY_REVOKED);
	/* nor does a document that lists nothing */
	reg(&master, a, 0, T0 + 20 * DAY);
	CHECK_ERR(obol_issuer_sig_verify(s1, "ctx", msg, sizeof msg, master.pk, T0 + 10 * DAY), OBOL_E_KEY_REVOKED);
	obol_issuer_keys_forget_all();
}

TEST(issuer_sig, a_set_speaks_only_for_its_master)
{
	struct obol_sign_keypair ma, mb, ka, kb, stray;
	struct obol_key_announce a, b;
	uint8_t sig[OBOL_SIGN_LEN];
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&ma);
	obol_sign_keypair_new(&mb);
	obol_sign_keypair_new(&ka);
	obol_sign_keypair_new(&kb);
	obol_sign_keypair_new(&stray);
	online(&a, &ma, &ka, 1, T0);
	online(&b, &mb, &kb, 1, T0);
	reg(&ma, &a, 1, T0);
	obol_sign(sig, "ctx", msg, sizeof msg, ka.sk);
	CHECK_OK(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, ma.pk, T0 + DAY));
	/* B has no set: A's online key does not speak for B */
	CHECK_ERR(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, mb.pk, T0 + DAY), OBOL_E_KEY_NOT_ANNOUNCED);
	reg(&mb, &b, 1, T0);
	CHECK_ERR(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, mb.pk, T0 + DAY), OBOL_E_SIGNATURE_INVALID);
	/* a key no master announced */
	obol_sign(sig, "ctx", msg, sizeof msg, stray.sk);
	CHECK_ERR(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, ma.pk, T0 + DAY), OBOL_E_SIGNATURE_INVALID);
	/* a set B's master did not sign cannot be made: an announcement of
	 * ka under mb's name does not verify */
	struct obol_key_set *s = malloc(sizeof *s);
	REQUIRE(s != NULL);
	obol_key_set_init(s, mb.pk);
	CHECK_ERR(obol_key_set_add(s, &a), OBOL_E_KEY_ANNOUNCE_INVALID);
	free(s);
	/* more masters than the table holds: the least recently used goes */
	struct obol_sign_keypair m[OBOL_ISSUER_KEYS_MAX], k;
	struct obol_key_announce x;
	obol_sign_keypair_new(&k);
	obol_sign(sig, "ctx", msg, sizeof msg, ka.sk);
	for (size_t i = 0; i < OBOL_ISSUER_KEYS_MAX - 1; i++) {
		obol_sign_keypair_new(&m[i]);
		online(&x, &m[i], &k, 1, T0);
		reg(&m[i], &x, 1, T0);
		if (i == 0) /* A is used: B is now the least recently used */
			CHECK_OK(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, ma.pk, T0 + DAY));
	}
	CHECK_OK(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, ma.pk, T0 + DAY));
	obol_sign(sig, "ctx", msg, sizeof msg, kb.sk);
	CHECK_ERR(obol_issuer_sig_verify(sig, "ctx", msg, sizeof msg, mb.pk, T0 + DAY), OBOL_E_KEY_NOT_ANNOUNCED);
	obol_issuer_keys_forget_all();
}

/* A key document: {"keys": {..., "announcements": [...]}, "sig"} signed by
 * signer, its text into *out (free it). */
static void keys_doc(const struct obol_sign_keypair *master, const struct obol_sign_keypair *signer,
		     const struct obol_key_announce *a, size_t n, int64_t issued_at, char **out)
{
	char mpk[OBOL_B64_LEN(32)], t[OBOL_KEY_ANNOUNCE_TEXT_MAX];
	json_t *doc = NULL;
	struct obol_ed25519_signer sg;
	REQUIRE_OK(obol_b64_encode(master->pk, 32, mpk, sizeof mpk));
	json_t *keys = json_pack("{s:i, s:s, s:s, s:s, s:I}", "version", OBOL_KEYS_VERSION, "currency", "EUR",
				 "master_pk", mpk, "box_pk", mpk, "issued_at", (json_int_t)issued_at);
	REQUIRE(keys != NULL);
	if (n > 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			REQUIRE_OK(obol_key_announce_to_text(&a[i], t));
			json_array_append_new(arr, json_string(t));
		}
		json_object_set_new(keys, "announcements", arr);
	}
	obol_ed25519_signer_local(&sg, signer);
	REQUIRE_OK(obol_keys_doc_sign(keys, &sg, &doc));
	*out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	json_decref(keys);
	REQUIRE(*out != NULL);
}

TEST(issuer_sig, keys_document_signed_by_an_online_key_it_announces)
{
	struct obol_sign_keypair master, k1, k2, stray;
	struct obol_key_announce a[2];
	struct obol_vendor_cert c;
	char *text;
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	obol_sign_keypair_new(&k2);
	obol_sign_keypair_new(&stray);
	__atomic_store_n(&fixed, T0 + DAY, __ATOMIC_SEQ_CST);
	obol_clock_set_source(&fixed_clock);
	online(&a[0], &master, &k1, 1, T0);
	online(&a[1], &master, &k2, 2, T0 + 80 * DAY);
	/* signed by a key it does not announce, or by none: refused, nothing learnt */
	keys_doc(&master, &stray, a, 2, T0, &text);
	CHECK_ERR(obol_keys_doc_verify(text, strlen(text), master.pk, NULL, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	keys_doc(&master, &k1, a, 0, T0, &text);
	CHECK_ERR(obol_keys_doc_verify(text, strlen(text), master.pk, NULL, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	/* by the next key before its window */
	keys_doc(&master, &k2, a, 2, T0, &text);
	CHECK_ERR(obol_keys_doc_verify(text, strlen(text), master.pk, NULL, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	cert_by(&c, &k1, T0);
	CHECK_ERR(obol_vendor_cert_verify(&c, master.pk, T0 + DAY), OBOL_E_VENDOR_CERT_INVALID);
	/* by the online key in use: verifies, pinned or at first contact, and
	 * the verifier now accepts what k1 signs */
	keys_doc(&master, &k1, a, 2, T0, &text);
	CHECK_OK(obol_keys_doc_verify(text, strlen(text), master.pk, NULL, NULL, NULL, NULL));
	CHECK_OK(obol_keys_doc_verify(text, strlen(text), NULL, NULL, NULL, NULL, NULL));
	free(text);
	CHECK_OK(obol_vendor_cert_verify(&c, master.pk, T0 + DAY));
	/* the master's own document still verifies */
	keys_doc(&master, &master, a, 2, T0, &text);
	CHECK_OK(obol_keys_doc_verify(text, strlen(text), master.pk, NULL, NULL, NULL, NULL));
	free(text);
	obol_clock_set_source(NULL);
	obol_issuer_keys_forget_all();
}

/* A certificate dated before the revocation of the key that signed it is
 * refused when it is checked after: the chain is checked at the present,
 * not at the certificate's valid_from. */
TEST(issuer_sig, a_revoked_key_cannot_backdate_a_certificate)
{
	struct obol_sign_keypair master, k1;
	struct obol_key_announce a[2];
	struct obol_vendor_cert c;
	struct coupon_cert cc;
	uint8_t buf[OBOL_VENDOR_CERT_MAX];
	size_t len;
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	online(&a[0], &master, &k1, 1, T0);
	revoke(&a[1], &master, &a[0], 2, T0 + 10 * DAY);
	reg(&master, a, 2, T0 + 10 * DAY);
	cert_by(&c, &k1, T0 + 5 * DAY); /* made after the leak, dated before */
	REQUIRE_OK(obol_vendor_cert_encode(&c, buf, sizeof buf, &len));
	__atomic_store_n(&fixed, T0 + 20 * DAY, __ATOMIC_SEQ_CST);
	obol_clock_set_source(&fixed_clock);
	CHECK_ERR(coupon_cert_open_obol(buf, len, master.pk, &cc), OBOL_E_COUPON_CERT_INVALID);
	CHECK_ERR(obol_vendor_cert_verify(&c, master.pk, T0 + 20 * DAY), OBOL_E_VENDOR_CERT_INVALID);
	/* before the revocation took effect it was good */
	__atomic_store_n(&fixed, T0 + 6 * DAY, __ATOMIC_SEQ_CST);
	CHECK_OK(coupon_cert_open_obol(buf, len, master.pk, &cc));
	obol_clock_set_source(NULL);
	obol_issuer_keys_forget_all();
}

/* The scheme verifiers that take no `now` check the chain at obol_now():
 * a Codex certificate and a payword certificate signed by an online key. */
TEST(issuer_sig, scheme_verifiers_follow_the_registry)
{
	struct obol_sign_keypair master, k1;
	struct obol_key_announce a;
	struct obol_ed25519_signer sg;
	struct codex_cert cx;
	struct payword_vcert vc;
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	online(&a, &master, &k1, 1, T0);
	__atomic_store_n(&fixed, T0 + DAY, __ATOMIC_SEQ_CST);
	obol_clock_set_source(&fixed_clock);
	obol_ed25519_signer_local(&sg, &k1);
	memset(&cx, 0, sizeof cx);
	cx.user_id = 7;
	strcpy(cx.name, "alice");
	cx.kind = 1;
	cx.not_after = T0 + 30 * DAY;
	REQUIRE_OK(codex_cert_sign(&cx, &sg));
	memset(&vc, 0, sizeof vc);
	vc.serial = 3;
	vc.first_order = 1;
	vc.n = 10;
	REQUIRE_OK(obol_amount_parse("EUR:0.01", &vc.token_value));
	strcpy(vc.username, "alice");
	vc.issued = T0;
	vc.not_after = T0 + 30 * DAY;
	REQUIRE_OK(payword_vcert_sign(&vc, &sg));
	CHECK_ERR(codex_cert_verify(&cx, master.pk), OBOL_E_CODEX_SIGNATURE);
	CHECK_ERR(payword_vcert_verify(&vc, master.pk), OBOL_E_PAYWORD_CERT_INVALID);
	reg(&master, &a, 1, T0);
	CHECK_OK(codex_cert_verify(&cx, master.pk));
	CHECK_OK(payword_vcert_verify(&vc, master.pk));
	/* after k1's acceptance */
	__atomic_store_n(&fixed, a.accept_until, __ATOMIC_SEQ_CST);
	CHECK_ERR(codex_cert_verify(&cx, master.pk), OBOL_E_CODEX_SIGNATURE);
	CHECK_ERR(payword_vcert_verify(&vc, master.pk), OBOL_E_PAYWORD_CERT_INVALID);
	obol_clock_set_source(NULL);
	obol_issuer_keys_forget_all();
}

/* A wallet that verified a key document keeps its online keys: reopened in
 * a process that has learnt nothing, with no network, it verifies a
 * certificate the issuer's online key signed, and on day 100 one by the
 * next key, announced ahead in the same document. */
TEST(issuer_sig, wallet_file_keeps_the_online_keys)
{
	struct obol_sign_keypair master, k1, k2;
	struct obol_key_announce a[2];
	struct obol_vendor_cert c1, c2;
	struct obol_wallet *w = NULL;
	char path[512], keyfile[512];
	struct obol_wallet_keysrc ks = { .key_file = keyfile };
	uint8_t box[32] = { 1 };
	char *text;
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	obol_sign_keypair_new(&k2);
	online(&a[0], &master, &k1, 1, T0);
	online(&a[1], &master, &k2, 2, T0 + 80 * DAY);
	snprintf(path, sizeof path, "%s/keys.wallet", test_tmpdir());
	snprintf(keyfile, sizeof keyfile, "%s/keys.key", test_tmpdir());
	FILE *f = fopen(keyfile, "wb");
	REQUIRE(f != NULL);
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, f);
	fclose(f);
	REQUIRE_OK(obol_wallet_create(path, &ks, &w));
	REQUIRE_OK(obol_wallet_set_issuer(w, "http://127.0.0.1:1", master.pk, box, "EUR"));
	__atomic_store_n(&fixed, T0 + DAY, __ATOMIC_SEQ_CST);
	obol_clock_set_source(&fixed_clock);
	keys_doc(&master, &k1, a, 2, T0, &text);
	REQUIRE_OK(obol_keys_doc_verify(text, strlen(text), master.pk, NULL, NULL, NULL, NULL));
	free(text);
	REQUIRE_OK(obol_wallet_save(w));
	json_t *list = json_object_get(json_object_get(obol_wallet_doc(w), "issuer"), "announcements");
	CHECK_EQ_INT(json_array_size(list), 2);
	obol_wallet_close(w);
	obol_clock_set_source(NULL);

	cert_by(&c1, &k1, T0);
	cert_by(&c2, &k2, T0 + 90 * DAY);
	obol_issuer_keys_forget_all();
	CHECK_ERR(obol_vendor_cert_verify(&c1, master.pk, T0 + DAY), OBOL_E_VENDOR_CERT_INVALID);
	REQUIRE_OK(obol_wallet_open(path, &ks, &w));
	CHECK_OK(obol_vendor_cert_verify(&c1, master.pk, T0 + DAY));
	CHECK_OK(obol_vendor_cert_verify(&c2, master.pk, T0 + 100 * DAY));
	/* a save keeps them (the registered set written back) */
	REQUIRE_OK(obol_wallet_save(w));
	obol_wallet_close(w);
	obol_issuer_keys_forget_all();
	REQUIRE_OK(obol_wallet_open(path, &ks, &w));
	CHECK_OK(obol_vendor_cert_verify(&c2, master.pk, T0 + 100 * DAY));
	obol_wallet_close(w);
	obol_issuer_keys_forget_all();
}

/* The bank takes at a sync the Codex state it recorded last even when the
 * online key that signed it has left its window (else the Codex could never
 * sync again); any other state needs a signature its keys verify today. */
TEST(issuer_sig, codex_bank_takes_its_recorded_state_from_a_retired_key)
{
	struct obol_sign_keypair master, k1;
	struct obol_key_announce a;
	struct obol_ed25519_signer sg;
	struct codex_state st, other;
	struct codex_bank_user u;
	struct obol_amount claimed;
	obol_issuer_keys_forget_all();
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	online(&a, &master, &k1, 1, T0);
	reg(&master, &a, 1, T0);
	memset(&st, 0, sizeof st);
	st.version = CODEX_STATE_VERSION;
	st.user_id = 7;
	strcpy(st.name, "alice");
	st.epoch = 3;
	REQUIRE_OK(obol_amount_parse("EUR:5", &st.balance));
	REQUIRE_OK(obol_amount_parse("EUR:1", &st.deposit));
	REQUIRE_OK(obol_amount_parse("EUR:1", &st.token_max));
	REQUIRE_OK(obol_amount_parse("EUR:1", &st.spent_max));
	st.tx_limit = 10;
	st.issued = T0 + DAY;
	st.not_after = T0 + 30 * DAY;
	obol_ed25519_signer_local(&sg, &k1);
	REQUIRE_OK(codex_state_sign(&st, &sg));
	memset(&u, 0, sizeof u);
	u.p.id = 7;
	strcpy(u.p.name, "alice");
	u.epoch = 3;
	REQUIRE_OK(codex_state_hash(&st, u.state_hash));
	claimed = st.balance;
	__atomic_store_n(&fixed, T0 + 2 * DAY, __ATOMIC_SEQ_CST);
	obol_clock_set_source(&fixed_clock);
	CHECK_OK(codex_bank_verify_log(master.pk, &u, &st, NULL, 0, &claimed, NULL, 0));
	/* k1's acceptance is over: its signature no longer verifies ... */
	__atomic_store_n(&fixed, a.accept_until + DAY, __ATOMIC_SEQ_CST);
	CHECK_ERR(codex_state_verify(&st, master.pk), OBOL_E_CODEX_SIGNATURE);
	/* ... but the state the bank recorded is still its own */
	CHECK_OK(codex_bank_verify_log(master.pk, &u, &st, NULL, 0, &claimed, NULL, 0));
	/* a state it did not record, under that signature: refused */
	other = st;
	REQUIRE_OK(obol_amount_parse("EUR:50", &other.balance));
	CHECK_ERR(codex_bank_verify_log(master.pk, &u, &other, NULL, 0, &claimed, NULL, 0), OBOL_E_CODEX_SIGNATURE);
	obol_clock_set_source(NULL);
	obol_issuer_keys_forget_all();
}

/* When a wallet or vendor fetches the key document again
 * (obol_keys_doc_due): never fetched, a day after the last fetch, and after
 * a clock set back past the last fetch; not within the day. */
TEST(issuer_sig, key_document_due_daily_and_after_a_clock_step_back)
{
	const int64_t t = 1800000000;
	CHECK(obol_keys_doc_due(0, t));
	CHECK(!obol_keys_doc_due(t, t));
	CHECK(!obol_keys_doc_due(t, t + OBOL_KEYS_DOC_REFRESH_S - 1));
	CHECK(obol_keys_doc_due(t, t + OBOL_KEYS_DOC_REFRESH_S));
	CHECK(obol_keys_doc_due(t, t - 1));
}
