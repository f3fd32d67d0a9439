/* The vendor certificate and the key document: pure encode, sign, verify. */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "schemes/common/keys_doc.h"
#include "schemes/common/vendor_cert.h"
#include "wire/json.h"

static void make_cert(struct obol_vendor_cert *c, const struct obol_sign_keypair *issuer)
{
	memset(c, 0, sizeof *c);
	c->vendor_id = 9;
	strcpy(c->name, "kiosk");
	c->account = 9;
	memset(c->sign_pk, 0x11, 32);
	c->valid_from = 1000;
	c->valid_until = 2000;
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, issuer);
	CHECK_OK(obol_vendor_cert_sign(c, &sg));
}

TEST(vendor_cert, sign_verify_and_refusals)
{
	struct obol_sign_keypair issuer, other;
	struct obol_vendor_cert c, d;
	char text[OBOL_VENDOR_CERT_TEXT_MAX];
	uint8_t h1[32], h2[32];
	obol_sign_keypair_new(&issuer);
	obol_sign_keypair_new(&other);
	make_cert(&c, &issuer);
	CHECK_OK(obol_vendor_cert_verify(&c, issuer.pk, 1500));
	CHECK_ERR(obol_vendor_cert_verify(&c, other.pk, 1500), OBOL_E_VENDOR_CERT_INVALID);
	CHECK_ERR(obol_vendor_cert_verify(&c, issuer.pk, 999), OBOL_E_VENDOR_CERT_EXPIRED);
	CHECK_ERR(obol_vendor_cert_verify(&c, issuer.pk, 2000), OBOL_E_VENDOR_CERT_EXPIRED);

	/* Each field is covered by the signature. */
	d = c;
	d.account = 10;
	CHECK_ERR(obol_vendor_cert_verify(&d, issuer.pk, 1500), OBOL_E_VENDOR_CERT_INVALID);
	d = c;
	d.valid_until = 3000;
	CHECK_ERR(obol_vendor_cert_verify(&d, issuer.pk, 1500), OBOL_E_VENDOR_CERT_INVALID);
	d = c;
	d.sign_pk[31] ^= 1;
	CHECK_ERR(obol_vendor_cert_verify(&d, issuer.pk, 1500), OBOL_E_VENDOR_CERT_INVALID);
	d = c;
	d.has_box_pk = true;
	CHECK_ERR(obol_vendor_cert_verify(&d, issuer.pk, 1500), OBOL_E_VENDOR_CERT_INVALID);

	/* Text round trip keeps the hash; another certificate has another hash. */
	REQUIRE_OK(obol_vendor_cert_to_text(&c, text));
	REQUIRE_OK(obol_vendor_cert_from_text(text, &d));
	CHECK_OK(obol_vendor_cert_verify(&d, issuer.pk, 1500));
	REQUIRE_OK(obol_vendor_cert_hash(&c, h1));
	REQUIRE_OK(obol_vendor_cert_hash(&d, h2));
	CHECK_MEM_EQ(h1, h2, 32);
	d.valid_from = 1001;
	REQUIRE_OK(obol_vendor_cert_hash(&d, h2));
	CHECK(memcmp(h1, h2, 32) != 0);
	CHECK(obol_vendor_cert_from_text("AAAA", &d) != OBOL_OK);
	text[10] = '\0';
	CHECK(obol_vendor_cert_from_text(text, &d) != OBOL_OK);
}

TEST(keys_doc, sign_and_verify)
{
	struct obol_sign_keypair m, other;
	uint8_t box[32], got[32];
	char mpk[OBOL_B64_LEN(32)], bpk[OBOL_B64_LEN(32)], cur[OBOL_CURRENCY_MAX + 1];
	json_t *doc = NULL, *keys = NULL;
	struct obol_ed25519_signer m_sg, other_sg;
	obol_sign_keypair_new(&m);
	obol_sign_keypair_new(&other);
	obol_ed25519_signer_local(&m_sg, &m);
	obol_ed25519_signer_local(&other_sg, &other);
	memset(box, 5, sizeof box);
	REQUIRE_OK(obol_b64_encode(m.pk, 32, mpk, sizeof mpk));
	REQUIRE_OK(obol_b64_encode(box, 32, bpk, sizeof bpk));
	json_t *inner = json_pack("{s:i, s:s, s:s, s:s, s:{s:i}}", "version", 1, "currency", "EUR", "master_pk", mpk,
				  "box_pk", bpk, "coupon", "denoms", 3);
	REQUIRE_OK(obol_keys_doc_sign(inner, &m_sg, &doc));
	char *text = json_dumps(doc, JSON_COMPACT);
	CHECK_OK(obol_keys_doc_verify(text, strlen(text), NULL, &keys, got, NULL, cur));
	CHECK_MEM_EQ(got, m.pk, 32);
	CHECK_EQ_STR(cur, "EUR");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(keys, "coupon"), "denoms")), 3);
	json_decref(keys);
	CHECK_OK(obol_keys_doc_verify(text, strlen(text), m.pk, NULL, NULL, NULL, NULL));
	CHECK_ERR(obol_keys_doc_verify(text, strlen(text), other.pk, NULL, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	json_decref(doc);

	/* A scheme part changed after signing. */
	REQUIRE_OK(obol_keys_doc_sign(inner, &m_sg, &doc));
	json_object_set_new(json_object_get(json_object_get(doc, "keys"), "coupon"), "denoms", json_integer(4));
	text = json_dumps(doc, JSON_COMPACT);
	CHECK_ERR(obol_keys_doc_verify(text, strlen(text), m.pk, NULL, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	json_decref(doc);
	/* Signed by a key other than the one it names. */
	REQUIRE_OK(obol_keys_doc_sign(inner, &other_sg, &doc));
	text = json_dumps(doc, JSON_COMPACT);
	CHECK_ERR(obol_keys_doc_verify(text, strlen(text), NULL, NULL, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	json_decref(doc);
	CHECK_ERR(obol_keys_doc_verify("nope", 4, NULL, NULL, NULL, NULL, NULL), OBOL_E_WIRE_MALFORMED);
	json_decref(inner);
}
