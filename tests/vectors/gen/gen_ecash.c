/* Vectors of the ecash scheme (src/schemes/ecash/): the bank's certificate
 * of a customer key, coins, claims (one signer: a plain RSASSA-PSS
 * signature), the answers to bank nonces (register, top-up, deposit), the
 * payment nonce answer, the bank-signed revocation list and directory, the
 * deposit digest, and the merchant's device-link signature. Signed bytes are
 * "ecash bytes" (ecash_bytes_*: labels and byte strings with a 4-byte length,
 * integers as bare 8 bytes); RSASSA-PSS signatures draw a fresh salt, so the
 * check verifies the file's (vg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/amount.h"
#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "schemes/ecash/bank.h"
#include "schemes/ecash/customer.h"
#include "schemes/ecash/ecash.h"
#include "schemes/ecash/rl_pages.h"
#include "schemes/ecash/messages.h"
#include "wire/cbor.h"
#include "vg.h"

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define DAY INT64_C(86400)

struct party {
	const char *name;
	EVP_PKEY *sk;
	uint8_t spki[ECASH_KEY_DER_MAX];
	size_t spki_len;
	uint8_t id[ECASH_ID_LEN];
	struct ecash_cert cert;
	struct ecash_customer cust;
};

static void amount(struct vg *g, const char *k, const struct obol_amount *a)
{
	char t[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, t);
	vg_in_text(g, k, t);
}

static void out_bytes(struct vg *g, const char *k, const struct ecash_bytes *b)
{
	if (b->failed)
		vg_fail(g, "ecash bytes: out of memory");
	else
		vg_out_hex(g, k, b->p, b->len);
}

static void nonce(const char *label, uint8_t out[ECASH_NONCE_LEN])
{
	vg_fixed(label, out);
}

/* The CBOR map a field spec gives (how the object travels on the device link
 * and in the issuer API's CBOR-coded fields). */
static void encoded_cbor(struct vg *g, const struct obol_fields *spec)
{
	uint8_t buf[4096];
	size_t len = 0;
	VG_OK(g, obol_cbor_encode(spec, buf, sizeof buf, &len));
	vg_out_hex(g, "encoded_cbor", buf, len);
}

static void coin_inputs(struct vg *g, const struct ecash_coin *c)
{
	vg_in_hex(g, "serial", c->serial, ECASH_SERIAL_LEN);
	amount(g, "value", &c->value);
	vg_in_int(g, "issued", c->issued);
	vg_in_int(g, "expiry", c->expiry);
	if (c->has_owner)
		vg_in_hex(g, "owner", c->owner, ECASH_OWNER_LEN);
}

/* The customer registers: its answer to the bank nonce, then the bank's
 * certificate of its key. */
static void enrol(struct vg *g, struct ecash_bank *bank, EVP_PKEY *bank_pk, struct party *p, int64_t account,
		  bool record_answer)
{
	uint8_t n[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t slen = 0;
	uint8_t *der = NULL;
	size_t dlen = 0;
	char label[64];
	struct ecash_bytes b = { 0 };
	if ((p->sk = vg_key_rsa(g, p->name)) == NULL)
		return;
	VG_OK(g, obol_rsa_public_to_der(p->sk, &der, &dlen));
	if (der != NULL && dlen <= sizeof p->spki) {
		memcpy(p->spki, der, dlen);
		p->spki_len = dlen;
	}
	obol_rsa_der_free(der, dlen);
	ecash_key_id_der(p->spki, p->spki_len, p->id);
	snprintf(label, sizeof label, "ecash register nonce %s", p->name);
	nonce(label, n);
	VG_OK(g, ecash_customer_register_answer(p->sk, n, sig, &slen));
	VG_OK(g, ecash_bank_nonce_bytes("register", n, NULL, &b));
	if (record_answer) {
		vg_begin(g, "ecash-register-answer", "ecash bank nonce answer");
		vg_in_text(g, "purpose", "register");
		vg_in_hex(g, "nonce", n, sizeof n);
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, p->name, p->sk, b.p, b.len, sig, slen);
		vg_end(g);
	}
	ecash_bytes_free(&b);
	{
		struct ecash_register_in in = { .nonce = n, .key = p->spki, .key_len = p->spki_len, .sig = sig,
						 .sig_len = slen, .account = account, .now = T0 };
		VG_OK(g, ecash_bank_register(bank, &in, &p->cert));
	}
	VG_OK(g, ecash_cert_bytes(&p->cert, &b));
	snprintf(label, sizeof label, "ecash-certificate-%s", p->name + 6);
	vg_begin(g, label, "ecash certificate");
	vg_in_hex(g, "key", p->cert.key, p->cert.key_len);
	vg_in_int(g, "account", p->cert.account);
	vg_in_int(g, "issued", p->cert.issued);
	vg_in_int(g, "expiry", p->cert.expiry);
	out_bytes(g, "signed_bytes", &b);
	vg_sig_rsapss(g, "ecash-bank", bank_pk, b.p, b.len, p->cert.sig, p->cert.sig_len);
	{
		uint8_t t[24], dg[OBOL_HASH_LEN];
		struct ecash_cert_spec sp;
		ecash_cert_spec(&sp, &p->cert);
		encoded_cbor(g, &sp.s);
		for (int i = 0; i < 8; i++) {
			t[i] = (uint8_t)((uint64_t)p->cert.account >> (56 - 8 * i));
			t[8 + i] = (uint8_t)((uint64_t)p->cert.issued >> (56 - 8 * i));
			t[16 + i] = (uint8_t)((uint64_t)p->cert.expiry >> (56 - 8 * i));
		}
		struct obol_hash_part pp[] = { { "obol-ecash-cert-digest-v1", 25 },
					       { p->cert.key, p->cert.key_len },
					       { t, sizeof t },
					       { p->cert.sig, p->cert.sig_len } };
		ecash_cert_digest(&p->cert, dg);
		vg_hash_input(g, pp, 4, dg);
		vg_out_hex(g, "digest", dg, sizeof dg);
	}
	vg_end(g);
	ecash_bytes_free(&b);
	VG_OK(g, ecash_customer_init(&p->cust, p->sk, &bank->keys, &p->cert, account, T0));
	(void)bank_pk;
}

/* Records a claim: the bytes its signer signed, the signature, its link digest. */
static void claim(struct vg *g, const char *name, struct ecash_held_coin *h, const uint8_t *owner_sk,
		  const struct party *from, const struct party *to, int64_t ts)
{
	uint8_t prev[OBOL_HASH_LEN] = { 0 }, link[OBOL_HASH_LEN];
	struct ecash_bytes b = { 0 };
	for (size_t i = 0; i < h->nchain; i++)
		VG_OK(g, ecash_claim_digest(&h->coin, &h->chain[i], prev, prev));
	{
		struct ecash_claim_req req = { .payee = to->id, .ts = ts, .sk = from->sk, .cert = &from->cert,
					       .owner_sk = owner_sk };
		VG_OK(g, ecash_claim_make(h, &req));
	}
	struct ecash_claim *c = &h->chain[h->nchain - 1];
	VG_OK(g, ecash_claim_bytes(&h->coin, c, prev, &b));
	vg_begin(g, name, "ecash claim");
	coin_inputs(g, &h->coin);
	vg_in_hex(g, "payee", c->payee, ECASH_ID_LEN);
	vg_in_int(g, "ts", c->ts);
	vg_in_hex(g, "prev", prev, sizeof prev);
	{
		json_t *keys = json_array();
		json_array_append_new(keys, json_string(from->name));
		vg_in_json(g, "signers", keys);
	}
	out_bytes(g, "signed_bytes", &b);
	vg_sig_rsapss(g, from->name, from->sk, b.p, b.len, c->sig, c->sig_len);
	if (c->has_owner_sig)
		vg_sig_ed25519_as(g, "owner_sig", "coin-owner", "ecash-owner", b.p, b.len, c->owner_sig);
	VG_OK(g, ecash_claim_digest(&h->coin, c, prev, link));
	{
		struct obol_hash_part pp[] = { { "obol-ecash-claim-link-v1", 24 },
					       { b.p, b.len },
					       { c->sig, c->sig_len } };
		vg_hash_input(g, pp, 3, link);
	}
	vg_out_hex(g, "link", link, sizeof link);
	vg_end(g);
	ecash_bytes_free(&b);
}

/* A ring claim (§4.3.2): the first claim of a coin, signed by one of r
 * registered keys without saying which. RST signatures are randomized: the
 * checked-in one is kept when it verifies. */
static void ring_claim(struct vg *g, const struct ecash_coin *coin, const uint8_t *owner_sk,
		       const struct party *signer, const struct party *const *ring, size_t r, size_t at,
		       const struct party *to, int64_t ts)
{
	struct ecash_held_coin h;
	struct ecash_cert certs[3];
	struct ecash_bytes b = { 0 };
	uint8_t zero[OBOL_HASH_LEN] = { 0 }, link[OBOL_HASH_LEN], ref[ECASH_RINGSIG_MAX];
	memset(&h, 0, sizeof h);
	h.coin = *coin;
	for (size_t i = 0; i < r && i < 3; i++)
		certs[i] = ring[i]->cert;
	{
		struct ecash_claim_req req = { .payee = to->id, .ts = ts, .sk = signer->sk, .ring = certs, .nring = r,
					       .signer = at, .owner_sk = owner_sk };
		VG_OK(g, ecash_claim_make(&h, &req));
	}
	if (h.nchain != 1)
		goto out;
	struct ecash_claim *c = &h.chain[0];
	VG_OK(g, ecash_claim_bytes(&h.coin, c, zero, &b));
	vg_begin(g, "ecash-claim-ring", "ecash claim");
	coin_inputs(g, &h.coin);
	vg_in_hex(g, "payee", c->payee, ECASH_ID_LEN);
	vg_in_int(g, "ts", c->ts);
	vg_in_hex(g, "prev", zero, sizeof zero);
	{
		json_t *keys = json_array();
		for (size_t i = 0; i < r; i++)
			json_array_append_new(keys, json_string(ring[i]->name));
		vg_in_json(g, "signers", keys);
	}
	out_bytes(g, "signed_bytes", &b);
	size_t n = vg_ref_sig(g, ref, sizeof ref);
	if (n == c->sig_len &&
	    ecash_group_verify(c->certs, c->ncerts, &b, ref, n, OBOL_E_ECASH_CLAIM_SIGNATURE, false) == OBOL_OK)
		memcpy(c->sig, ref, n);
	if (ecash_group_verify(c->certs, c->ncerts, &b, c->sig, c->sig_len, OBOL_E_ECASH_CLAIM_SIGNATURE, false) !=
	    OBOL_OK)
		vg_fail(g, "ecash-claim-ring: the ring signature does not cover the recorded signed bytes");
	{
		json_t *keys = json_array();
		char *hex = malloc(2 * c->sig_len + 1);
		for (size_t i = 0; i < r; i++)
			json_array_append_new(keys, json_string(ring[i]->name));
		if (hex != NULL)
			obol_hex_encode(c->sig, c->sig_len, hex);
		json_object_set_new(g->cur, "sig", json_pack("{s:s, s:o, s:s}", "alg", "ring-rst-rsa-v2", "keys", keys,
							     "hex", hex != NULL ? hex : ""));
		free(hex);
	}
	if (c->has_owner_sig)
		vg_sig_ed25519_as(g, "owner_sig", "coin-owner", "ecash-owner", b.p, b.len, c->owner_sig);
	VG_OK(g, ecash_claim_digest(&h.coin, c, zero, link));
	{
		struct obol_hash_part pp[] = { { "obol-ecash-claim-link-v1", 24 },
					       { b.p, b.len },
					       { c->sig, c->sig_len } };
		vg_hash_input(g, pp, 3, link);
	}
	vg_out_hex(g, "link", link, sizeof link);
	vg_end(g);
out:
	ecash_bytes_free(&b);
	ecash_held_clear(&h);
}

void vg_ecash(struct vg *g)
{
	struct party alice = { .name = "ecash-alice" }, bob = { .name = "ecash-bob" }, carol = { .name = "ecash-carol" };
	struct ecash_bank bank;
	struct ecash_held_coin h;
	struct ecash_bytes b = { 0 };
	uint8_t n[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], dg[OBOL_HASH_LEN];
	size_t slen = 0;
	EVP_PKEY *bank_sk = vg_key_rsa(g, "ecash-bank");
	if (bank_sk == NULL)
		return;
	VG_OK(g, ecash_bank_init(&bank, bank_sk, "EUR"));
	memset(&h, 0, sizeof h);

	enrol(g, &bank, bank_sk, &alice, 7, true);
	enrol(g, &bank, bank_sk, &bob, 8, false);
	enrol(g, &bank, bank_sk, &carol, 9, false);
	if (g->errors)
		goto out;

	/* ---- top-up: the customer's answer over the coins it orders, each a
	 * value and the owner key of the coin to be ---- */
	struct obol_sign_keypair owner;
	vg_key_ed25519(g, "coin-owner", &owner);
	{
		struct ecash_coin_order orders[2];
		struct ecash_bytes tb = { 0 };
		char v0[OBOL_AMOUNT_STR_MAX], v1[OBOL_AMOUNT_STR_MAX], o1[2 * ECASH_OWNER_LEN + 1];
		uint8_t other[32];
		memset(orders, 0, sizeof orders);
		VG_OK(g, obol_amount_parse("EUR:1", &orders[0].value));
		VG_OK(g, obol_amount_parse("EUR:0.5", &orders[1].value));
		memcpy(orders[0].owner, owner.pk, ECASH_OWNER_LEN);
		vg_fixed("ecash second coin owner", other);
		memcpy(orders[1].owner, other, ECASH_OWNER_LEN);
		obol_amount_format(&orders[0].value, v0);
		obol_amount_format(&orders[1].value, v1);
		nonce("ecash topup nonce", n);
		VG_OK(g, ecash_customer_topup_answer(&alice.cust, n, orders, 2, sig, &slen));
		ecash_topup_digest(orders, 2, dg);
		ecash_bytes_label(&tb, "obol-ecash-topup-v2");
		for (size_t i = 0; i < 2; i++) {
			char v[OBOL_AMOUNT_STR_MAX];
			obol_amount_format(&orders[i].value, v);
			ecash_bytes_put(&tb, v, strlen(v));
			ecash_bytes_put(&tb, orders[i].owner, ECASH_OWNER_LEN);
		}
		VG_OK(g, ecash_bank_nonce_bytes("topup", n, dg, &b));
		vg_begin(g, "ecash-topup-answer", "ecash bank nonce answer");
		vg_in_text(g, "purpose", "topup");
		vg_in_hex(g, "nonce", n, sizeof n);
		obol_hex_encode(other, ECASH_OWNER_LEN, o1);
		{
			char o0[2 * ECASH_OWNER_LEN + 1];
			obol_hex_encode(owner.pk, ECASH_OWNER_LEN, o0);
			vg_in_json(g, "orders", json_pack("[{s:s, s:s}, {s:s, s:s}]", "value", v0, "owner", o0, "value",
							  v1, "owner", o1));
		}
		out_bytes(g, "hash_input", &tb);
		{
			uint8_t chk[OBOL_HASH_LEN];
			obol_sha256(chk, tb.p, tb.len);
			if (tb.failed || memcmp(chk, dg, sizeof chk) != 0)
				vg_fail(g, "ecash-topup-answer: the recorded order bytes are not what the code hashes");
		}
		vg_out_hex(g, "digest", dg, sizeof dg);
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, alice.name, alice.sk, b.p, b.len, sig, slen);
		vg_end(g);
		ecash_bytes_free(&b);
		ecash_bytes_free(&tb);
	}

	/* ---- a coin (§3.3.1 m = serial, value, date, expiry; σ0 by the bank) ---- */
	{
		struct ecash_coin *c = &h.coin;
		uint8_t s[32], t[16];
		vg_fixed("ecash coin serial", s);
		memcpy(c->serial, s, ECASH_SERIAL_LEN);
		VG_OK(g, obol_amount_parse("EUR:1", &c->value));
		c->issued = T0;
		c->expiry = T0 + 180 * DAY;
		memcpy(c->owner, owner.pk, ECASH_OWNER_LEN);
		c->has_owner = true;
		VG_OK(g, ecash_coin_bytes(c, &b));
		VG_OK(g, ecash_sign_bytes(bank_sk, &b, c->sig, &c->sig_len));
		vg_begin(g, "ecash-coin", "ecash coin");
		coin_inputs(g, c);
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, "ecash-bank", bank_sk, b.p, b.len, c->sig, c->sig_len);
		VG_OK(g, ecash_coin_verify(&bank.keys, c));
		{
			struct ecash_coin_spec sp;
			ecash_coin_spec(&sp, c);
			encoded_cbor(g, &sp.s);
		}
		ecash_coin_digest(c, dg);
		char v[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&c->value, v);
		for (int i = 0; i < 8; i++) {
			t[i] = (uint8_t)((uint64_t)c->issued >> (56 - 8 * i));
			t[8 + i] = (uint8_t)((uint64_t)c->expiry >> (56 - 8 * i));
		}
		struct obol_hash_part pp[] = { { "obol-ecash-coin-digest-v2", 25 },
					       { c->serial, ECASH_SERIAL_LEN },
					       { v, strlen(v) },
					       { t, sizeof t },
					       { c->owner, ECASH_OWNER_LEN } };
		vg_hash_input(g, pp, 5, dg);
		vg_out_hex(g, "digest", dg, sizeof dg);
		vg_end(g);
		ecash_bytes_free(&b);
	}

	/* ---- alice pays bob anonymously among alice, bob, carol ---- */
	{
		const struct party *ring[3] = { &carol, &alice, &bob };
		ring_claim(g, &h.coin, owner.sk, &alice, ring, 3, 1, &bob, T0 + 1800);
	}

	/* ---- alice pays bob, bob pays carol ---- */
	claim(g, "ecash-claim-first", &h, owner.sk, &alice, &bob, T0 + 3600);
	claim(g, "ecash-claim-second", &h, NULL, &bob, &carol, T0 + 7200);

	/* ---- σ1: the payer's answer to the merchant's payment nonce ---- */
	{
		uint8_t *s1 = NULL;
		size_t s1len = 0;
		nonce("ecash payment nonce", n);
		VG_OK(g, ecash_nonce_bytes(n, bob.id, &b));
		VG_OK(g, ecash_group_sign(&alice.cert, 1, 0, alice.sk, &b, &s1, &s1len));
		vg_begin(g, "ecash-payment-nonce-answer", "ecash payment nonce answer");
		vg_in_hex(g, "nonce", n, sizeof n);
		vg_in_hex(g, "merchant", bob.id, ECASH_ID_LEN);
		out_bytes(g, "signed_bytes", &b);
		if (s1 != NULL)
			vg_sig_rsapss(g, alice.name, alice.sk, b.p, b.len, s1, s1len);
		vg_end(g);
		free(s1);
		ecash_bytes_free(&b);
	}

	/* ---- carol deposits the coin: the deposit digest and her answer ---- */
	{
		struct ecash_bytes db = { 0 };
		uint8_t link[OBOL_HASH_LEN] = { 0 };
		VG_OK(g, ecash_coins_digest(&h, 1, NULL, dg));
		VG_OK(g, ecash_chain_digest(&h, link));
		ecash_bytes_label(&db, "obol-ecash-deposit-v1");
		ecash_bytes_put(&db, h.coin.serial, ECASH_SERIAL_LEN);
		ecash_bytes_put(&db, link, sizeof link);
		nonce("ecash deposit nonce", n);
		VG_OK(g, ecash_customer_coins_answer(&carol.cust, ECASH_ENTRY_DEPOSIT, n, &h, 1, NULL, sig, &slen));
		VG_OK(g, ecash_bank_nonce_bytes("deposit", n, dg, &b));
		vg_begin(g, "ecash-deposit-answer", "ecash bank nonce answer");
		vg_in_text(g, "purpose", "deposit");
		vg_in_hex(g, "nonce", n, sizeof n);
		{
			char sx[2 * ECASH_SERIAL_LEN + 1], lx[2 * OBOL_HASH_LEN + 1];
			obol_hex_encode(h.coin.serial, ECASH_SERIAL_LEN, sx);
			obol_hex_encode(link, sizeof link, lx);
			vg_in_json(g, "coins", json_pack("[{s:s, s:s}]", "serial", sx, "last_link", lx));
		}
		out_bytes(g, "hash_input", &db);
		{
			uint8_t chk[OBOL_HASH_LEN];
			obol_sha256(chk, db.p, db.len);
			if (db.failed || memcmp(chk, dg, sizeof chk) != 0)
				vg_fail(g, "ecash-deposit-answer: the recorded deposit bytes are not what the code hashes");
		}
		vg_out_hex(g, "digest", dg, sizeof dg);
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, carol.name, carol.sk, b.p, b.len, sig, slen);
		vg_end(g);
		ecash_bytes_free(&b);
		ecash_bytes_free(&db);
	}

	/* ---- the bank's revocation list (one signed page) and directory ---- */
	{
		struct ecash_rl_page pg;
		struct ecash_revoked keys[2];
		int lo = memcmp(bob.id, carol.id, ECASH_ID_LEN) < 0;
		memcpy(keys[0].id, lo ? bob.id : carol.id, ECASH_ID_LEN);
		memcpy(keys[1].id, lo ? carol.id : bob.id, ECASH_ID_LEN);
		keys[0].at = T0 + DAY / 2;
		keys[1].at = T0 + DAY / 4;
		memset(&pg, 0, sizeof pg);
		pg.version = T0 + DAY;
		pg.since = T0;
		memcpy(pg.through, keys[1].id, ECASH_ID_LEN); /* more pages follow */
		pg.keys = keys;
		pg.n = 2;
		VG_OK(g, ecash_rl_page_sign(bank_sk, &pg));
		VG_OK(g, ecash_rl_page_bytes(&pg, &b));
		vg_begin(g, "ecash-revocation-page", "ecash revocation list page");
		vg_in_int(g, "version", pg.version);
		vg_in_int(g, "since", pg.since);
		vg_in_hex(g, "after", pg.after, ECASH_ID_LEN);
		vg_in_hex(g, "through", pg.through, ECASH_ID_LEN);
		{
			char x[2 * ECASH_ID_LEN + 1];
			json_t *a = json_array();
			for (size_t i = 0; i < pg.n; i++) {
				obol_hex_encode(keys[i].id, ECASH_ID_LEN, x);
				json_array_append_new(a, json_pack("{s:s, s:I}", "id", x, "at", (json_int_t)keys[i].at));
			}
			vg_in_json(g, "revoked", a);
		}
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, "ecash-bank", bank_sk, b.p, b.len, pg.sig, pg.sig_len);
		VG_OK(g, ecash_rl_page_verify(&bank.keys, &pg));
		vg_end(g);
		ecash_bytes_free(&b);
	}
	{
		struct ecash_directory d;
		struct ecash_dir_entry e[2] = { { .seq = 1, .cert = alice.cert }, { .seq = 2, .cert = bob.cert } };
		memset(&d, 0, sizeof d);
		d.issued = T0 + DAY;
		d.first = 0;
		d.span = ECASH_DIRECTORY_SPAN;
		d.e = e;
		d.n = 2;
		VG_OK(g, ecash_bank_sign_directory(&bank, &d));
		VG_OK(g, ecash_directory_bytes(&d, &b));
		vg_begin(g, "ecash-directory", "ecash directory");
		vg_in_int(g, "issued", d.issued);
		vg_in_uint(g, "first", d.first);
		vg_in_uint(g, "span", d.span);
		vg_in_json(g, "entries", json_pack("[{s:i, s:s}, {s:i, s:s}]", "seq", 1, "certificate",
						   "ecash-certificate-alice", "seq", 2, "certificate",
						   "ecash-certificate-bob"));
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, "ecash-bank", bank_sk, b.p, b.len, d.sig, d.sig_len);
		vg_end(g);
		ecash_bytes_free(&b);
	}

	/* ---- the merchant's device-link signature over the binding ---- */
	{
		uint8_t binding[32];
		vg_fixed("ecash devlink binding", binding);
		ecash_bytes_label(&b, "obol-devlink-v2 ecash merchant");
		ecash_bytes_put(&b, binding, sizeof binding);
		VG_OK(g, ecash_sign_bytes(bob.sk, &b, sig, &slen));
		vg_begin(g, "ecash-devlink-merchant", "ecash device-link merchant signature");
		vg_in_hex(g, "binding", binding, sizeof binding);
		out_bytes(g, "signed_bytes", &b);
		vg_sig_rsapss(g, bob.name, bob.sk, b.p, b.len, sig, slen);
		vg_end(g);
		ecash_bytes_free(&b);
	}
out:
	ecash_held_clear(&h);
	EVP_PKEY_free(alice.sk);
	EVP_PKEY_free(bob.sk);
	EVP_PKEY_free(carol.sk);
	EVP_PKEY_free(bank_sk);
}
