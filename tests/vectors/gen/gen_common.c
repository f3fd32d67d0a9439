/* Vectors of the parts every scheme shares: the issuer's key document
 * (GET /keys), the vendor certificate, the Obol-Auth request header, the
 * device link's static-key binding, the vendor's signed payment receipt,
 * and the sealed wallet file. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "net/reqauth.h"
#include "crypto/rsa.h"
#include "schemes/common/key_announce.h"
#include "schemes/common/keys_doc.h"
#include "schemes/common/receipt.h"
#include "schemes/common/vendor_cert.h"
#include "vg.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z */

static void b64(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (obol_b64_encode(p, n, out, cap) != OBOL_OK)
		out[0] = '\0';
}

static void gen_keys_doc(struct vg *g, const struct obol_sign_keypair *master)
{
	uint8_t box[OBOL_BOX_PK_LEN];
	char mpk[OBOL_B64_LEN(32)], bpk[OBOL_B64_LEN(32)];
	json_t *doc = NULL;
	vg_fixed("issuer box key", box);
	b64(master->pk, OBOL_SIGN_PK_LEN, mpk, sizeof mpk);
	b64(box, sizeof box, bpk, sizeof bpk);
	/* A key document of the shape the issuer serves: the common fields and
	 * one scheme part; the signature covers whatever the object holds. */
	json_t *keys = json_pack("{s:i, s:s, s:s, s:s, s:I, s:{s:[{s:i, s:s, s:I}]}}", "version", OBOL_KEYS_VERSION,
				 "currency", "EUR", "master_pk", mpk, "box_pk", bpk, "issued_at", (json_int_t)T0,
				 "codex", "accounts", "id", 1, "deposit", "EUR:20", "not_after",
				 (json_int_t)(T0 + 86400));
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, master);
	VG_OK(g, obol_keys_doc_sign(keys, &sg, &doc));
	char *canon = obol_json_dump_canonical(keys);
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	uint8_t sig[OBOL_SIGN_LEN];
	size_t slen = 0;
	const char *s64 = json_string_value(json_object_get(doc, "sig"));
	if (s64 == NULL || obol_b64_decode(s64, sig, sizeof sig, &slen, 1) != OBOL_OK || slen != sizeof sig)
		vg_fail(g, "keys document: no signature");
	vg_begin(g, "keys-document", "GET /keys");
	vg_in_json(g, "keys", json_incref(keys));
	if (text != NULL)
		vg_out_text(g, "encoded_json", text);
	if (canon != NULL) {
		vg_out_hex(g, "signed_bytes", canon, strlen(canon));
		vg_sig_ed25519(g, "master", OBOL_KEYS_CONTEXT, (const uint8_t *)canon, strlen(canon), sig);
		/* what a client runs on the served text */
		if (text == NULL || obol_keys_doc_verify(text, strlen(text), master->pk, NULL, NULL, NULL, NULL) != OBOL_OK)
			vg_fail(g, "keys document: obol_keys_doc_verify refuses it");
	}
	vg_end(g);
	free(canon);
	free(text);
	json_decref(doc);
	json_decref(keys);
}

static void gen_vendor_cert(struct vg *g, const struct obol_sign_keypair *master, const struct obol_sign_keypair *v,
			    bool with_box)
{
	struct obol_vendor_cert c;
	struct obol_vendor_cert_spec sp;
	uint8_t enc[OBOL_VENDOR_CERT_MAX], sb[OBOL_VENDOR_CERT_MAX], hash[32];
	size_t elen = 0, slen = 0;
	memset(&c, 0, sizeof c);
	c.vendor_id = 12;
	snprintf(c.name, sizeof c.name, "%s", "corner-shop");
	c.account = 40;
	memcpy(c.sign_pk, v->pk, OBOL_SIGN_PK_LEN);
	c.has_box_pk = with_box;
	if (with_box)
		vg_fixed("vendor box key", c.box_pk);
	c.valid_from = T0;
	c.valid_until = T0 + 365 * 86400;
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, master);
	VG_OK(g, obol_vendor_cert_sign(&c, &sg));
	VG_OK(g, obol_vendor_cert_encode(&c, enc, sizeof enc, &elen));
	VG_OK(g, obol_vendor_cert_hash(&c, hash));
	/* fields 1..7 of the certificate's own spec: the signed map */
	obol_vendor_cert_spec(&c, &sp);
	struct obol_fields unsigned_part = { sp.f, 7 };
	VG_OK(g, obol_cbor_encode(&unsigned_part, sb, sizeof sb, &slen));
	vg_begin(g, with_box ? "vendor-certificate" : "vendor-certificate-no-box-key", "vendor certificate");
	vg_in_uint(g, "vendor_id", c.vendor_id);
	vg_in_text(g, "name", c.name);
	vg_in_uint(g, "account", c.account);
	vg_in_hex(g, "sign_pk", c.sign_pk, OBOL_SIGN_PK_LEN);
	if (with_box)
		vg_in_hex(g, "box_pk", c.box_pk, OBOL_BOX_PK_LEN);
	vg_in_int(g, "valid_from", c.valid_from);
	vg_in_int(g, "valid_until", c.valid_until);
	vg_out_hex(g, "encoded_cbor", enc, elen);
	vg_out_hex(g, "signed_bytes", sb, slen);
	vg_sig_ed25519(g, "master", OBOL_VENDOR_CERT_CONTEXT, sb, slen, c.sig);
	vg_out_hex(g, "hash", hash, sizeof hash);
	vg_end(g);
}

static void gen_reqauth(struct vg *g, const struct obol_sign_keypair *acct)
{
	static const char body[] = "{\"denom\":1,\"request_id\":\"r-1\"}";
	const char *method = "POST", *path = "/coupon/withdraw";
	uint8_t bh[32], d[32], sig[OBOL_SIGN_LEN];
	char acc[24], ts[24], hdr[OBOL_AUTH_HEADER_MAX];
	int64_t account = 7, t = T0 + 60;
	obol_sha256(bh, body, strlen(body));
	obol_reqauth_digest(d, method, path, bh, account, t);
	VG_OK(g, obol_reqauth_make(hdr, method, path, bh, account, t, acct->sk));
	int64_t pa = 0, pt = 0;
	VG_OK(g, obol_reqauth_parse(hdr, &pa, &pt, sig));
	snprintf(acc, sizeof acc, "%lld", (long long)account);
	snprintf(ts, sizeof ts, "%lld", (long long)t);
	struct obol_hash_part p[] = {
		{ method, strlen(method) }, { path, strlen(path) }, { bh, 32 }, { acc, strlen(acc) }, { ts, strlen(ts) },
	};
	vg_begin(g, "request-auth", "request authentication");
	vg_in_text(g, "method", method);
	vg_in_text(g, "path", path);
	vg_in_text(g, "body", body);
	vg_in_int(g, "account", account);
	vg_in_int(g, "time", t);
	vg_out_hex(g, "body_hash", bh, sizeof bh);
	vg_hash_input(g, p, 5, d);
	vg_out_hex(g, "digest", d, sizeof d);
	vg_out_hex(g, "signed_bytes", d, sizeof d);
	vg_out_text(g, "header", hdr);
	vg_sig_ed25519(g, "account", OBOL_AUTH_CONTEXT, d, sizeof d, sig);
	vg_end(g);
}

static void gen_binding(struct vg *g)
{
	static const char label[] = "obol-devlink-v2 static key";
	uint8_t h1[32], spk[OBOL_BOX_PK_LEN], out[32];
	vg_fixed("devlink h1", h1);
	vg_fixed("devlink responder static key", spk);
	obol_devlink_binding(h1, spk, out);
	struct obol_hash_part p[] = { { label, sizeof label - 1 }, { h1, 32 }, { spk, sizeof spk } };
	vg_begin(g, "devlink-binding", "device-link binding");
	vg_in_hex(g, "h1", h1, sizeof h1);
	vg_in_hex(g, "static_pk", spk, sizeof spk);
	vg_hash_input(g, p, 3, out);
	vg_out_hex(g, "hash", out, sizeof out);
	vg_end(g);
}

/* The vendor's receipt for one payment (src/schemes/common/receipt.h): the
 * payment's id is H of the payment message's CBOR body as sent, here a
 * fixed stand-in body; the signed bytes are the map of keys 1..6, the frame
 * body the same map with 7: signature. */
static void gen_receipt(struct vg *g, const struct obol_sign_keypair *v)
{
	/* cbor{1: h'deadbeef', 2: 3}: any payment message's body is hashed alike */
	static const uint8_t pay_body[] = { 0xa2, 0x01, 0x44, 0xde, 0xad, 0xbe, 0xef, 0x02, 0x03 };
	struct obol_receipt r;
	struct obol_receipt_spec sp;
	uint8_t enc[OBOL_RECEIPT_MAX], sb[OBOL_RECEIPT_MAX];
	size_t elen = 0, slen = 0;
	char amount[OBOL_AMOUNT_STR_MAX];
	memset(&r, 0, sizeof r);
	snprintf(r.scheme, sizeof r.scheme, "%s", "coupon");
	r.vendor_id = 12; /* the certificate's above */
	VG_OK(g, obol_amount_parse("EUR:0.25", &r.amount));
	r.units = 5;
	r.time = T0 + 120;
	obol_receipt_payment_id(pay_body, sizeof pay_body, r.id);
	VG_OK(g, obol_receipt_sign(&r, v->sk));
	obol_receipt_spec(&r, &sp);
	VG_OK(g, obol_cbor_encode(&sp.fields, enc, sizeof enc, &elen));
	struct obol_fields unsigned_part = { sp.f, 6 };
	VG_OK(g, obol_cbor_encode(&unsigned_part, sb, sizeof sb, &slen));
	obol_amount_format(&r.amount, amount);
	vg_begin(g, "payment-receipt", "payment receipt");
	vg_in_text(g, "scheme", r.scheme);
	vg_in_uint(g, "vendor_id", r.vendor_id);
	vg_in_text(g, "amount", amount);
	vg_in_uint(g, "units", r.units);
	vg_in_int(g, "time", r.time);
	vg_in_hex(g, "payment_body", pay_body, sizeof pay_body);
	vg_out_hex(g, "id", r.id, sizeof r.id);
	vg_out_hex(g, "encoded_cbor", enc, elen);
	vg_out_hex(g, "signed_bytes", sb, slen);
	vg_sig_ed25519(g, "vendor", OBOL_RECEIPT_CONTEXT, sb, slen, r.sig);
	vg_end(g);
}

/* A sealed wallet file: the nonce is fresh per sealing, so in check mode the
 * file's sealed bytes must open under the fixed key to the same plaintext. */
static void gen_wallet_file(struct vg *g, bool passphrase)
{
	static const char plain[] = "{\"account\":\"alice\",\"issuer\":\"https://issuer.example\",\"version\":1}";
	static const char pass[] = "correct horse battery staple";
	struct obol_filekey k;
	uint8_t key[OBOL_FILEKEY_LEN], salt[32], *sealed = NULL, *opened = NULL, ref[512];
	size_t slen = 0, olen = 0;
	vg_fixed("wallet file key", key);
	vg_fixed("wallet file salt", salt);
	if (passphrase)
		VG_OK(g, obol_filekey_from_passphrase(&k, pass, salt, 1, 8));
	else
		obol_filekey_from_bytes(&k, key);
	vg_begin(g, passphrase ? "wallet-file-passphrase" : "wallet-file-key-file", "wallet file");
	VG_OK(g, obol_fileseal_seal(&k, (const uint8_t *)plain, strlen(plain), &sealed, &slen));
	if (g->ref != NULL) {
		size_t rlen = vg_ref_hex(g, "sealed", ref, sizeof ref);
		if (rlen > 0 && obol_fileseal_open(&k, ref, rlen, &opened, &olen) == OBOL_OK && olen == strlen(plain) &&
		    memcmp(opened, plain, olen) == 0 && rlen == slen && memcmp(ref, sealed, OBOL_FILESEAL_HEADER_LEN - 24) == 0) {
			free(sealed);
			sealed = malloc(rlen);
			if (sealed != NULL)
				memcpy(sealed, ref, rlen);
		}
		if (opened != NULL) {
			obol_wipe(opened, olen);
			free(opened);
		}
	}
	if (passphrase) {
		vg_in_text(g, "passphrase", pass);
		vg_in_hex(g, "salt", salt, 16);
		vg_in_uint(g, "opslimit", 1);
		vg_in_uint(g, "memlimit_kib", 8);
	} else {
		vg_in_hex(g, "key", key, sizeof key);
	}
	vg_in_text(g, "plaintext", plain);
	if (sealed != NULL)
		vg_out_hex(g, "sealed", sealed, slen);
	vg_end(g);
	free(sealed);
	obol_filekey_wipe(&k);
}

/* A key announcement by the master key (src/schemes/common/key_announce.h):
 * the signed bytes are the map of keys 1..11 that the kind carries, the
 * announcement on the wire the same map with 12: signature. */
static void gen_key_announce(struct vg *g, const struct obol_sign_keypair *master, struct obol_key_announce *a,
			     const char *name)
{
	uint8_t enc[OBOL_KEY_ANNOUNCE_MAX], sb[OBOL_KEY_ANNOUNCE_MAX], id[32];
	size_t elen = 0, slen = 0;
	char value[OBOL_AMOUNT_STR_MAX];
	VG_OK(g, obol_key_announce_sign(a, master->sk));
	VG_OK(g, obol_key_announce_encode(a, enc, sizeof enc, &elen));
	VG_OK(g, obol_key_announce_signed_bytes(a, sb, sizeof sb, &slen));
	obol_key_announce_key_id(a, id);
	vg_begin(g, name, "key announcement");
	vg_in_uint(g, "kind", a->kind);
	vg_in_text(g, "currency", a->currency);
	vg_in_uint(g, "serial", a->serial);
	if (a->kind != OBOL_KEY_REVOKE) {
		vg_in_hex(g, "key", a->key, a->key_len);
		vg_in_int(g, "valid_from", a->valid_from);
		vg_in_int(g, "use_until", a->use_until);
		vg_in_int(g, "accept_until", a->accept_until);
	} else {
		vg_in_int(g, "valid_from", a->valid_from);
		vg_in_hex(g, "revoked", a->revoked, sizeof a->revoked);
	}
	if (a->kind == OBOL_KEY_COUPON_DENOM || a->kind == OBOL_KEY_ECASH_BANK)
		vg_in_int(g, "legal_end", a->legal_end);
	if (a->kind == OBOL_KEY_COUPON_DENOM) {
		obol_amount_format(&a->value, value);
		vg_in_text(g, "value", value);
		vg_in_uint(g, "tokens", a->tokens);
	}
	vg_out_hex(g, "encoded_cbor", enc, elen);
	vg_out_hex(g, "signed_bytes", sb, slen);
	vg_sig_ed25519(g, "master", OBOL_KEY_ANNOUNCE_CONTEXT, sb, slen, a->sig);
	vg_out_hex(g, "key_id", id, sizeof id);
	if (obol_key_announce_verify(a, master->pk) != OBOL_OK)
		vg_fail(g, "%s: obol_key_announce_verify refuses it", name);
	vg_end(g);
}

static void gen_key_announces(struct vg *g, const struct obol_sign_keypair *master)
{
	struct obol_sign_keypair online;
	struct obol_key_announce on, d, r;
	vg_key_ed25519(g, "online", &online);
	memset(&on, 0, sizeof on);
	on.kind = OBOL_KEY_ONLINE;
	strcpy(on.currency, "EUR");
	on.serial = 1;
	memcpy(on.key, online.pk, OBOL_SIGN_PK_LEN);
	on.key_len = OBOL_SIGN_PK_LEN;
	on.valid_from = T0;
	on.use_until = T0 + 90 * 86400;
	on.accept_until = T0 + 120 * 86400;
	gen_key_announce(g, master, &on, "key-announcement-online");

	EVP_PKEY *dk = vg_key_rsa(g, "coupon-denom");
	uint8_t *der = NULL;
	size_t dlen = 0;
	if (dk == NULL || obol_rsa_public_to_der(dk, &der, &dlen) != OBOL_OK || dlen > sizeof d.key) {
		vg_fail(g, "key announcement: no coupon-denom key");
		EVP_PKEY_free(dk);
		OPENSSL_free(der);
		return;
	}
	memset(&d, 0, sizeof d);
	d.kind = OBOL_KEY_COUPON_DENOM;
	strcpy(d.currency, "EUR");
	d.serial = 2;
	memcpy(d.key, der, dlen);
	d.key_len = dlen;
	d.valid_from = T0;
	d.use_until = T0 + 365 * 86400;
	d.accept_until = T0 + 2 * 365 * 86400;
	d.legal_end = T0 + 5 * 365 * 86400;
	VG_OK(g, obol_amount_parse("EUR:1", &d.value));
	d.tokens = 1000;
	gen_key_announce(g, master, &d, "key-announcement-coupon-denom");
	OPENSSL_free(der);
	EVP_PKEY_free(dk);

	memset(&r, 0, sizeof r);
	r.kind = OBOL_KEY_REVOKE;
	strcpy(r.currency, "EUR");
	r.serial = 3;
	r.valid_from = T0 + 30 * 86400;
	obol_key_announce_key_id(&on, r.revoked);
	gen_key_announce(g, master, &r, "key-announcement-revocation");
}

void vg_common(struct vg *g)
{
	struct obol_sign_keypair master, vendor, account;
	vg_key_ed25519(g, "master", &master);
	vg_key_ed25519(g, "vendor", &vendor);
	vg_key_ed25519(g, "account", &account);
	gen_keys_doc(g, &master);
	gen_vendor_cert(g, &master, &vendor, true);
	gen_vendor_cert(g, &master, &vendor, false);
	gen_reqauth(g, &account);
	gen_binding(g);
	gen_receipt(g, &vendor);
	gen_wallet_file(g, false);
	gen_wallet_file(g, true);
	gen_key_announces(g, &master);
}
