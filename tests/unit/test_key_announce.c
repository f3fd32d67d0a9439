/* Key announcements and the chain master → online key → message
 * (src/schemes/common/key_announce.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cli/bench_keys.h"
#include "crypto/rsa.h"
#include "crypto/sign.h"
#include "schemes/common/key_announce.h"
#include "schemes/common/keys_doc.h"
#include "test.h"

#define T0 INT64_C(1767225600)
#define DAY INT64_C(86400)

static void online(struct obol_key_announce *a, const uint8_t pk[OBOL_SIGN_PK_LEN], uint64_t serial, int64_t from)
{
	memset(a, 0, sizeof *a);
	a->kind = OBOL_KEY_ONLINE;
	strcpy(a->currency, "EUR");
	a->serial = serial;
	memcpy(a->key, pk, OBOL_SIGN_PK_LEN);
	a->key_len = OBOL_SIGN_PK_LEN;
	a->valid_from = from;
	a->use_until = from + 90 * DAY;
	a->accept_until = from + 120 * DAY;
}

/* A coupon denomination's announcement, its key a test RSA key (made once
 * per case: cli/bench_keys.h). */
static void denom(struct obol_key_announce *a, uint64_t serial)
{
	static uint8_t der[OBOL_KEY_PUB_MAX];
	static size_t der_len;
	if (der_len == 0) {
		EVP_PKEY *k = NULL;
		uint8_t *d = NULL;
		size_t n = 0;
		if (bench_rsa_keys(&k, 1) == OBOL_OK && obol_rsa_public_to_der(k, &d, &n) == OBOL_OK && n <= sizeof der) {
			memcpy(der, d, n);
			der_len = n;
		}
		OPENSSL_free(d);
		EVP_PKEY_free(k);
	}
	memset(a, 0, sizeof *a);
	a->kind = OBOL_KEY_COUPON_DENOM;
	strcpy(a->currency, "EUR");
	a->serial = serial;
	memcpy(a->key, der, der_len);
	a->key_len = der_len;
	a->valid_from = T0;
	a->use_until = T0 + 365 * DAY;
	a->accept_until = T0 + 2 * 365 * DAY;
	a->legal_end = T0 + 5 * 365 * DAY;
	if (obol_amount_parse("EUR:1", &a->value) != OBOL_OK)
		a->value.units = 0;
	a->tokens = 1000;
}

static void revoke(struct obol_key_announce *a, const struct obol_key_announce *of, uint64_t serial, int64_t at)
{
	memset(a, 0, sizeof *a);
	a->kind = OBOL_KEY_REVOKE;
	strcpy(a->currency, "EUR");
	a->serial = serial;
	a->valid_from = at;
	obol_key_announce_key_id(of, a->revoked);
}

TEST(key_announce, round_trip_of_every_kind)
{
	struct obol_sign_keypair master, k;
	struct obol_key_announce a[4], b;
	uint8_t enc[OBOL_KEY_ANNOUNCE_MAX], sb[OBOL_KEY_ANNOUNCE_MAX];
	char text[OBOL_KEY_ANNOUNCE_TEXT_MAX];
	size_t elen, slen;
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k);
	online(&a[0], k.pk, 1, T0);
	denom(&a[1], 2);
	a[2] = a[1];
	a[2].kind = OBOL_KEY_ECASH_BANK;
	a[2].tokens = 0;
	memset(&a[2].value, 0, sizeof a[2].value);
	revoke(&a[3], &a[0], 4, T0 + DAY);
	for (int i = 0; i < 4; i++) {
		REQUIRE_OK(obol_key_announce_sign(&a[i], master.sk));
		CHECK_OK(obol_key_announce_verify(&a[i], master.pk));
		REQUIRE_OK(obol_key_announce_encode(&a[i], enc, sizeof enc, &elen));
		REQUIRE_OK(obol_key_announce_decode(enc, elen, &b));
		CHECK_OK(obol_key_announce_verify(&b, master.pk));
		CHECK(memcmp(b.sig, a[i].sig, OBOL_SIGN_LEN) == 0);
		REQUIRE_OK(obol_key_announce_to_text(&a[i], text));
		REQUIRE_OK(obol_key_announce_from_text(text, &b));
		CHECK_OK(obol_key_announce_verify(&b, master.pk));
		/* a signing request carries the signed bytes; they read back alike */
		REQUIRE_OK(obol_key_announce_signed_bytes(&a[i], sb, sizeof sb, &slen));
		REQUIRE_OK(obol_key_announce_from_signed_bytes(sb, slen, &b));
		memcpy(b.sig, a[i].sig, OBOL_SIGN_LEN);
		CHECK_OK(obol_key_announce_verify(&b, master.pk));
		/* the full map is the signed map with the signature appended */
		CHECK(elen == slen + 3 + 64 && /* 0x0c, 0x58 0x40, the signature */ memcmp(enc + 1, sb + 1, slen - 1) == 0);
	}
}

TEST(key_announce, forged_or_changed_is_refused)
{
	struct obol_sign_keypair master, other, k;
	struct obol_key_announce a, b;
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&other);
	obol_sign_keypair_new(&k);
	denom(&a, 7);
	REQUIRE_OK(obol_key_announce_sign(&a, master.sk));
	CHECK_ERR(obol_key_announce_verify(&a, other.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	/* each signed field, changed after signing */
	b = a; b.serial++;                    CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.key[5] ^= 1;                 CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.valid_from--;                CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.use_until++;                 CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.accept_until++;              CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.legal_end++;                 CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.tokens = 10;                 CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; strcpy(b.currency, "USD"); strcpy(b.value.currency, "USD");
	CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.kind = OBOL_KEY_ECASH_BANK;  CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	b = a; b.sig[0] ^= 1;                 CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
	/* a signature made for another purpose (context) never verifies */
	uint8_t sb[OBOL_KEY_ANNOUNCE_MAX];
	size_t slen;
	REQUIRE_OK(obol_key_announce_signed_bytes(&a, sb, sizeof sb, &slen));
	b = a;
	obol_sign(b.sig, "vendor-cert", sb, slen, master.sk);
	CHECK_ERR(obol_key_announce_verify(&b, master.pk), OBOL_E_KEY_ANNOUNCE_INVALID);
}

TEST(key_announce, malformed_is_refused_before_signing)
{
	struct obol_sign_keypair master, k;
	struct obol_key_announce a;
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k);
	online(&a, k.pk, 1, T0); a.key_len = 33;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	online(&a, k.pk, 1, T0); a.use_until = a.valid_from;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	online(&a, k.pk, 1, T0); a.accept_until = a.use_until - 1;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	online(&a, k.pk, 1, T0); a.kind = 9;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	online(&a, k.pk, 1, T0); strcpy(a.currency, "eur!");
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	denom(&a, 2); a.legal_end = a.accept_until - 1;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	denom(&a, 2); a.tokens = 0;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	denom(&a, 2); memset(&a.value, 0, sizeof a.value); strcpy(a.value.currency, "EUR");
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	denom(&a, 2); a.key_len = OBOL_SIGN_PK_LEN; /* the start of an RSA key is none */
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	denom(&a, 2); a.key[a.key_len - 3] ^= 0xff; /* nor one whose modulus or exponent are broken */
	a.key[20] ^= 0x01;
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
	denom(&a, 2); memcpy(a.key, k.pk, OBOL_SIGN_PK_LEN); /* an Ed25519 key as a coin key */
	CHECK_ERR(obol_key_announce_sign(&a, master.sk), OBOL_E_KEY_ANNOUNCE_INVALID);
}

TEST(key_announce, wire_garbage_is_refused)
{
	struct obol_sign_keypair master, k;
	struct obol_key_announce a, b;
	uint8_t enc[OBOL_KEY_ANNOUNCE_MAX + 8];
	size_t elen;
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k);
	online(&a, k.pk, 1, T0);
	REQUIRE_OK(obol_key_announce_sign(&a, master.sk));
	REQUIRE_OK(obol_key_announce_encode(&a, enc, sizeof enc, &elen));
	for (size_t cut = 0; cut < elen; cut++)
		CHECK(obol_key_announce_decode(enc, cut, &b) != OBOL_OK);
	enc[elen] = 0x00;
	CHECK_ERR(obol_key_announce_decode(enc, elen + 1, &b), OBOL_E_WIRE_TRAILING_DATA);
	CHECK(obol_key_announce_from_text("not base64 at all!", &b) != OBOL_OK);
	/* a field its kind does not carry: an online key with a legal end */
	struct obol_key_announce c;
	denom(&c, 3);
	REQUIRE_OK(obol_key_announce_sign(&c, master.sk));
	REQUIRE_OK(obol_key_announce_encode(&c, enc, sizeof enc, &elen));
	/* byte 3 is kind's value (map header, key 1, value 2): make it ONLINE */
	REQUIRE(enc[1] == 0x01 && enc[2] == 0x02);
	enc[2] = 0x01;
	CHECK_ERR(obol_key_announce_decode(enc, elen, &b), OBOL_E_KEY_ANNOUNCE_INVALID);
}

TEST(key_announce, chain_master_online_message)
{
	struct obol_sign_keypair master, other, k1, k2, stray;
	struct obol_key_announce a1, a2, r, forged;
	struct obol_key_set s;
	uint8_t sig[OBOL_SIGN_LEN];
	static const uint8_t msg[] = "a key document";
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&other);
	obol_sign_keypair_new(&k1);
	obol_sign_keypair_new(&k2);
	obol_sign_keypair_new(&stray);
	online(&a1, k1.pk, 1, T0);
	online(&a2, k2.pk, 2, T0 + 80 * DAY); /* the next key, announced ahead */
	REQUIRE_OK(obol_key_announce_sign(&a1, master.sk));
	REQUIRE_OK(obol_key_announce_sign(&a2, master.sk));
	obol_key_set_init(&s, master.pk);
	REQUIRE_OK(obol_key_set_add(&s, &a1));
	REQUIRE_OK(obol_key_set_add(&s, &a2));
	REQUIRE_OK(obol_key_set_add(&s, &a1)); /* again: no change */
	CHECK_EQ_INT(s.n, 2);
	/* an announcement by another master key is not added */
	online(&forged, stray.pk, 3, T0);
	REQUIRE_OK(obol_key_announce_sign(&forged, other.sk));
	CHECK_ERR(obol_key_set_add(&s, &forged), OBOL_E_KEY_ANNOUNCE_INVALID);
	/* nor another announcement under a serial already taken */
	online(&forged, stray.pk, 1, T0);
	REQUIRE_OK(obol_key_announce_sign(&forged, master.sk));
	CHECK_ERR(obol_key_set_add(&s, &forged), OBOL_E_KEY_ANNOUNCE_INVALID);
	CHECK_EQ_INT(s.n, 2);

	obol_sign(sig, "issuer-keys", msg, sizeof msg, k1.sk);
	CHECK_OK(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg, T0 + DAY));
	CHECK_ERR(obol_key_set_verify_signed(&s, k1.pk, sig, "vendor-cert", msg, sizeof msg, T0 + DAY),
		  OBOL_E_KEY_SIGNATURE_INVALID);
	CHECK_ERR(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg - 1, T0 + DAY),
		  OBOL_E_KEY_SIGNATURE_INVALID);
	/* windows: before valid_from, at accept_until */
	CHECK_ERR(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg, T0 - 1),
		  OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_ERR(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg, a1.accept_until),
		  OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_OK(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg, a1.accept_until - 1));
	/* a key the master never announced: its own valid signature is worthless */
	obol_sign(sig, "issuer-keys", msg, sizeof msg, stray.sk);
	CHECK_ERR(obol_key_set_verify_signed(&s, stray.pk, sig, "issuer-keys", msg, sizeof msg, T0 + DAY),
		  OBOL_E_KEY_NOT_ANNOUNCED);
	/* the next key: usable from its own valid_from */
	obol_sign(sig, "issuer-keys", msg, sizeof msg, k2.sk);
	CHECK_ERR(obol_key_set_verify_signed(&s, k2.pk, sig, "issuer-keys", msg, sizeof msg, T0 + DAY),
		  OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_OK(obol_key_set_verify_signed(&s, k2.pk, sig, "issuer-keys", msg, sizeof msg, T0 + 80 * DAY));
	CHECK(obol_key_announce_usable(&a1, T0) && !obol_key_announce_usable(&a1, a1.use_until));
	CHECK(obol_key_announce_acceptable(&a1, a1.use_until));

	/* revocation of k1 from day 10 */
	revoke(&r, &a1, 9, T0 + 10 * DAY);
	REQUIRE_OK(obol_key_announce_sign(&r, master.sk));
	REQUIRE_OK(obol_key_set_add(&s, &r));
	obol_sign(sig, "issuer-keys", msg, sizeof msg, k1.sk);
	CHECK_OK(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg, T0 + 10 * DAY - 1));
	CHECK_ERR(obol_key_set_verify_signed(&s, k1.pk, sig, "issuer-keys", msg, sizeof msg, T0 + 10 * DAY),
		  OBOL_E_KEY_REVOKED);
	obol_sign(sig, "issuer-keys", msg, sizeof msg, k2.sk);
	CHECK_OK(obol_key_set_verify_signed(&s, k2.pk, sig, "issuer-keys", msg, sizeof msg, T0 + 80 * DAY));
}

/* A message that names no key: the verifier tries the acceptable online
 * keys, and names why a signature by a known but unacceptable key fails. */
TEST(key_announce, chain_without_key_id_tries_acceptable_keys)
{
	struct obol_sign_keypair master, k1, k2, stray;
	struct obol_key_announce a1, a2, r;
	struct obol_key_set s;
	uint8_t sig[OBOL_SIGN_LEN], who[OBOL_SIGN_PK_LEN];
	const uint8_t msg[] = "a vendor certificate";
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&k1);
	obol_sign_keypair_new(&k2);
	obol_sign_keypair_new(&stray);
	online(&a1, k1.pk, 1, T0);
	online(&a2, k2.pk, 2, T0 + 90 * DAY);
	REQUIRE_OK(obol_key_announce_sign(&a1, master.sk));
	REQUIRE_OK(obol_key_announce_sign(&a2, master.sk));
	obol_key_set_init(&s, master.pk);
	REQUIRE_OK(obol_key_set_add(&s, &a1));
	REQUIRE_OK(obol_key_set_add(&s, &a2));

	obol_sign(sig, "vendor-cert", msg, sizeof msg, k1.sk);
	CHECK_OK(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + DAY, who));
	CHECK_MEM_EQ(who, k1.pk, OBOL_SIGN_PK_LEN);
	/* in k1's grace period, both k1's and k2's signatures are accepted */
	CHECK_OK(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + 100 * DAY, NULL));
	obol_sign(sig, "vendor-cert", msg, sizeof msg, k2.sk);
	CHECK_OK(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + 100 * DAY, who));
	CHECK_MEM_EQ(who, k2.pk, OBOL_SIGN_PK_LEN);
	/* the next key before its window, the first after its acceptance */
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + DAY, NULL),
		  OBOL_E_KEY_OUTSIDE_WINDOW);
	obol_sign(sig, "vendor-cert", msg, sizeof msg, k1.sk);
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, a1.accept_until, NULL),
		  OBOL_E_KEY_OUTSIDE_WINDOW);
	/* another context, a changed message, a key the master never announced, the master itself */
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "issuer-keys", msg, sizeof msg, T0 + DAY, NULL),
		  OBOL_E_KEY_SIGNATURE_INVALID);
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg - 1, T0 + DAY, NULL),
		  OBOL_E_KEY_SIGNATURE_INVALID);
	obol_sign(sig, "vendor-cert", msg, sizeof msg, stray.sk);
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + DAY, NULL),
		  OBOL_E_KEY_SIGNATURE_INVALID);
	obol_sign(sig, "vendor-cert", msg, sizeof msg, master.sk);
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + DAY, NULL),
		  OBOL_E_KEY_SIGNATURE_INVALID);
	/* k1 revoked from day 10: what it signs is refused from then on, by name */
	revoke(&r, &a1, 3, T0 + 10 * DAY);
	REQUIRE_OK(obol_key_announce_sign(&r, master.sk));
	REQUIRE_OK(obol_key_set_add(&s, &r));
	obol_sign(sig, "vendor-cert", msg, sizeof msg, k1.sk);
	CHECK_OK(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + 10 * DAY - 1, NULL));
	CHECK_ERR(obol_key_set_verify_any(&s, sig, "vendor-cert", msg, sizeof msg, T0 + 10 * DAY, NULL),
		  OBOL_E_KEY_REVOKED);
}

TEST(key_announce, coin_windows)
{
	struct obol_key_announce d;
	denom(&d, 1);
	CHECK(obol_key_announce_usable(&d, T0) && obol_key_announce_acceptable(&d, T0));
	CHECK(!obol_key_announce_usable(&d, d.use_until) && obol_key_announce_acceptable(&d, d.use_until));
	CHECK(!obol_key_announce_acceptable(&d, d.accept_until) && obol_key_announce_refundable(&d, d.accept_until));
	CHECK(!obol_key_announce_refundable(&d, d.legal_end));
	struct obol_key_announce o;
	uint8_t pk[OBOL_SIGN_PK_LEN] = { 1 };
	online(&o, pk, 1, T0);
	CHECK(!obol_key_announce_refundable(&o, T0));
}

/* GET /keys lists the announcements; a client refuses a document listing
 * one the master did not sign, even under the master's document signature. */
TEST(key_announce, keys_document_lists_announcements)
{
	struct obol_sign_keypair master, other, k;
	struct obol_key_announce a, bad;
	char t1[OBOL_KEY_ANNOUNCE_TEXT_MAX], t2[OBOL_KEY_ANNOUNCE_TEXT_MAX], mpk[OBOL_B64_LEN(32)];
	struct obol_key_set *set = malloc(sizeof *set);
	json_t *doc = NULL;
	REQUIRE(set != NULL);
	obol_sign_keypair_new(&master);
	obol_sign_keypair_new(&other);
	obol_sign_keypair_new(&k);
	online(&a, k.pk, 1, T0);
	REQUIRE_OK(obol_key_announce_sign(&a, master.sk));
	online(&bad, k.pk, 2, T0);
	REQUIRE_OK(obol_key_announce_sign(&bad, other.sk));
	REQUIRE_OK(obol_key_announce_to_text(&a, t1));
	REQUIRE_OK(obol_key_announce_to_text(&bad, t2));
	REQUIRE_OK(obol_b64_encode(master.pk, 32, mpk, sizeof mpk));
	const char *lists[][2] = { { t1, NULL }, { t1, t2 }, { "garbage", NULL } };
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, &master);
	for (int i = 0; i < 3; i++) {
		json_t *keys = json_pack("{s:i, s:s, s:s, s:s, s:I, s:[]}", "version", OBOL_KEYS_VERSION, "currency", "EUR",
					 "master_pk", mpk, "box_pk", mpk, "issued_at", (json_int_t)T0, "announcements");
		REQUIRE(keys != NULL);
		json_t *arr = json_object_get(keys, "announcements");
		for (int j = 0; j < 2 && lists[i][j] != NULL; j++)
			json_array_append_new(arr, json_string(lists[i][j]));
		REQUIRE_OK(obol_keys_doc_sign(keys, &sg, &doc));
		char *text = json_dumps(doc, JSON_COMPACT);
		json_t *got = NULL;
		obol_err e = obol_keys_doc_verify(text, strlen(text), master.pk, &got, NULL, NULL, NULL);
		if (i == 0) {
			CHECK_OK(e);
			REQUIRE(got != NULL);
			CHECK_OK(obol_keys_doc_key_set(got, master.pk, set));
			CHECK_EQ_INT(set->n, 1);
			CHECK_OK(obol_key_set_find(set, OBOL_KEY_ONLINE, k.pk, 32, T0, NULL));
		} else {
			CHECK_ERR(e, OBOL_E_KEYS_INVALID);
		}
		json_decref(got);
		free(text);
		json_decref(doc);
		json_decref(keys);
	}
	free(set);
}
