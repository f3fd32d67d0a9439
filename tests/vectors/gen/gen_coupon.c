/* Vectors of the coupon scheme (src/schemes/coupon/messages.c): the coin
 * (RFC 9474 blind signature over the coin message), the sealed
 * authorisation, and the five signatures of lock, settle and status, each
 * an Ed25519 signature over the 32-byte SHA-256 of length-prefixed parts
 * (coupon_digest_*). Issuer API bodies are recorded as the JSON their field
 * specs give (keys sorted). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/amount.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "schemes/common/vendor_cert.h"
#include "schemes/coupon/issuer.h"
#include "schemes/coupon/messages.h"
#include "vg.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define PART(p_, l_) ((struct obol_hash_part){ .p = (p_), .len = (l_) })

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The JSON body a field spec gives, keys sorted. */
static void body_json(struct vg *g, struct coupon_spec *s)
{
	json_t *j = NULL;
	VG_OK(g, obol_json_encode(&s->fields, &j));
	char *t = j != NULL ? obol_json_dump_canonical(j) : NULL;
	if (t != NULL)
		vg_out_text(g, "encoded_json", t);
	free(t);
	json_decref(j);
}

static void digest_sig(struct vg *g, const char *key, const char *ctx, const struct obol_hash_part *p, size_t n,
		       const uint8_t digest[32], const uint8_t sig[OBOL_SIGN_LEN])
{
	vg_hash_input(g, p, n, digest);
	vg_out_hex(g, "digest", digest, 32);
	vg_out_hex(g, "signed_bytes", digest, 32);
	vg_sig_ed25519(g, key, ctx, digest, 32, sig);
}

void vg_coupon(struct vg *g)
{
	struct obol_sign_keypair master, vendor;
	struct obol_ed25519_signer sg;
	struct obol_vendor_cert vc;
	struct coupon_coin coin;
	struct coupon_denom d;
	struct obol_blindrsa_state st;
	uint8_t seed[32], r[32], salt[OBOL_BLINDRSA_SALT_LEN], msg[COUPON_COIN_MSG_LEN];
	uint8_t prepared[OBOL_BLINDRSA_PREFIX_LEN + COUPON_COIN_MSG_LEN], blinded[OBOL_BLINDRSA_MAX_MODULUS];
	uint8_t bsig[OBOL_BLINDRSA_MAX_MODULUS], cert[OBOL_VENDOR_CERT_MAX], cert_hash[32], digest[32];
	uint8_t box_seed[32], box_pk[32], box_sk[32], token[32], auth[COUPON_AUTH_LEN];
	size_t blen = 0, bslen = 0, cert_len = 0;
	const uint64_t n = 100, p = 99;

	vg_key_ed25519(g, "issuer", &master);
	vg_key_ed25519(g, "vendor", &vendor);
	EVP_PKEY *dk = vg_key_rsa(g, "coupon-denom");
	if (dk == NULL)
		return;
	memset(&d, 0, sizeof d);
	d.id = 1;
	d.n = n;
	d.key = dk;
	VG_OK(g, obol_amount_parse("EUR:1", &d.value));
	d.withdraw_until = T0 + 86400;
	d.spend_until = T0 + 30 * 86400;
	VG_OK(g, coupon_denom_check(&d));

	/* ---- the coin: H^n(S), the coin message, RFC 9474 with a fixed
	 * prefix, blind and salt (a wallet draws them at random) ---- */
	memset(&coin, 0, sizeof coin);
	vg_fixed("coupon chain seed", seed);
	obol_hashchain_step(coin.id, seed, n);
	coin.denom = d.id;
	coupon_coin_message(msg, d.id, coin.id);
	vg_fixed("coupon prefix", coin.prefix);
	memcpy(prepared, coin.prefix, OBOL_BLINDRSA_PREFIX_LEN);
	memcpy(prepared + OBOL_BLINDRSA_PREFIX_LEN, msg, sizeof msg);
	vg_fixed("coupon blind r", r);
	{
		uint8_t s32[32], s2[32];
		vg_fixed("coupon salt 1", s32);
		vg_fixed("coupon salt 2", s2);
		memcpy(salt, s32, 32);
		memcpy(salt + 32, s2, sizeof salt - 32);
	}
	obol_blindrsa_test_inject(r, sizeof r, salt, sizeof salt);
	VG_OK(g, obol_blindrsa_blind(dk, prepared, sizeof prepared, blinded, sizeof blinded, &blen, &st));
	obol_blindrsa_test_inject(NULL, 0, NULL, 0);
	VG_OK(g, obol_blindrsa_blind_sign(dk, blinded, blen, bsig, sizeof bsig, &bslen));
	VG_OK(g, obol_blindrsa_finalize(dk, &st, bsig, bslen, coin.sig, sizeof coin.sig, &coin.sig_len));
	obol_blindrsa_state_wipe(&st);
	VG_OK(g, coupon_coin_verify(&coin, &d));
	vg_begin(g, "coupon-coin", "coupon coin");
	vg_in_uint(g, "denom", d.id);
	vg_in_hex(g, "seed", seed, sizeof seed);
	vg_in_uint(g, "n", n);
	vg_in_hex(g, "prefix", coin.prefix, OBOL_BLINDRSA_PREFIX_LEN);
	vg_in_hex(g, "r", r, sizeof r);
	vg_in_hex(g, "salt", salt, sizeof salt);
	vg_out_hex(g, "coin_id", coin.id, sizeof coin.id);
	vg_out_hex(g, "coin_message", msg, sizeof msg);
	vg_out_hex(g, "signed_bytes", prepared, sizeof prepared);
	vg_out_hex(g, "blinded_msg", blinded, blen);
	vg_out_hex(g, "blind_sig", bsig, bslen);
	vg_sig_blindrsa(g, "coupon-denom", dk, prepared, sizeof prepared, coin.sig, coin.sig_len);
	vg_end(g);

	/* ---- the vendor certificate C and H(C) ---- */
	memset(&vc, 0, sizeof vc);
	vc.vendor_id = 12;
	snprintf(vc.name, sizeof vc.name, "corner-shop");
	vc.account = 40;
	memcpy(vc.sign_pk, vendor.pk, OBOL_SIGN_PK_LEN);
	vc.valid_from = T0;
	vc.valid_until = T0 + 365 * 86400;
	obol_ed25519_signer_local(&sg, &master);
	VG_OK(g, obol_vendor_cert_sign(&vc, &sg));
	VG_OK(g, obol_vendor_cert_encode(&vc, cert, sizeof cert, &cert_len));
	obol_sha256(cert_hash, cert, cert_len);

	/* ---- the sealed authorisation (step 2): p = n - 1, H^p(S), T, H(C) ---- */
	int64_t T = T0 + 3600;
	memcpy(token, seed, sizeof token);
	obol_hashchain_step(token, token, p);
	vg_fixed("coupon issuer box seed", box_seed);
	crypto_box_seed_keypair(box_pk, box_sk, box_seed);
	{
		struct coupon_auth a;
		struct obol_box_keypair kp;
		uint8_t plain[COUPON_AUTH_PLAIN_LEN], ref[COUPON_AUTH_LEN];
		memset(&a, 0, sizeof a);
		memcpy(a.coin_id, coin.id, 32);
		a.index = p;
		memcpy(a.token, token, 32);
		a.deadline = T;
		memcpy(a.cert_hash, cert_hash, 32);
		VG_OK(g, coupon_auth_seal(&a, box_pk, auth));
		memcpy(kp.pk, box_pk, 32);
		memcpy(kp.sk, box_sk, 32);
		vg_begin(g, "coupon-authorisation", "coupon authorisation");
		if (g->ref != NULL && vg_ref_hex(g, "sealed", ref, sizeof ref) == sizeof ref) {
			/* a sealed box is fresh each time: the file's must open to
			 * the same authorisation */
			struct coupon_auth o;
			if (coupon_auth_open(ref, &kp, &o) == OBOL_OK && memcmp(&o.coin_id, a.coin_id, 32) == 0 &&
			    o.index == a.index && memcmp(o.token, a.token, 32) == 0 && o.deadline == a.deadline &&
			    memcmp(o.cert_hash, a.cert_hash, 32) == 0)
				memcpy(auth, ref, sizeof auth);
			sodium_memzero(&o, sizeof o);
		}
		memcpy(plain, COUPON_AUTH_MAGIC, 4);
		memcpy(plain + 4, coin.id, 32);
		be64(plain + 36, p);
		memcpy(plain + 44, token, 32);
		be64(plain + 76, (uint64_t)T);
		memcpy(plain + 84, cert_hash, 32);
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_uint(g, "index", p);
		vg_in_hex(g, "token", token, 32);
		vg_in_int(g, "deadline", T);
		vg_in_hex(g, "cert_hash", cert_hash, 32);
		vg_in_hex(g, "issuer_box_sk", box_sk, 32);
		vg_in_hex(g, "issuer_box_pk", box_pk, 32);
		vg_out_hex(g, "plaintext", plain, sizeof plain);
		vg_out_hex(g, "sealed", auth, sizeof auth);
		{
			struct coupon_auth o;
			if (coupon_auth_open(auth, &kp, &o) != OBOL_OK || memcmp(o.token, token, 32) != 0)
				vg_fail(g, "coupon-authorisation: the recorded box does not open to it");
		}
		vg_end(g);
		sodium_memzero(&kp, sizeof kp);
	}

	/* The lock a settle names: H(sealed box) of its PAY. */
	uint8_t lock[32];
	obol_sha256(lock, auth, sizeof auth);

	/* ---- lock request (step 3), vendor ---- */
	{
		struct coupon_lock_req lr;
		struct coupon_spec sp;
		uint8_t dn[8], t[8];
		memset(&lr, 0, sizeof lr);
		lr.coin = coin;
		memcpy(lr.auth, auth, sizeof auth);
		memcpy(lr.cert, cert, cert_len);
		lr.cert_len = cert_len;
		lr.deadline = T;
		coupon_digest_lock_req(digest, &lr, cert_hash);
		obol_sign(lr.vendor_sig, COUPON_CTX_LOCK_REQ, digest, sizeof digest, vendor.sk);
		be64(dn, coin.denom);
		be64(t, (uint64_t)T);
		struct obol_hash_part pp[] = { PART(dn, 8), PART(coin.id, 32), PART(coin.prefix, 32),
					       PART(coin.sig, coin.sig_len), PART(auth, sizeof auth),
					       PART(cert_hash, 32), PART(t, 8) };
		vg_begin(g, "coupon-lock-request", "coupon lock request");
		vg_in_uint(g, "denom", coin.denom);
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_hex(g, "prefix", coin.prefix, 32);
		vg_in_hex(g, "coin_sig", coin.sig, coin.sig_len);
		vg_in_hex(g, "auth", auth, sizeof auth);
		vg_in_hex(g, "cert", cert, cert_len);
		vg_in_int(g, "deadline", T);
		vg_out_hex(g, "cert_hash", cert_hash, 32);
		coupon_spec_lock_req(&sp, &lr);
		body_json(g, &sp);
		digest_sig(g, "vendor", COUPON_CTX_LOCK_REQ, pp, 7, digest, lr.vendor_sig);
		vg_end(g);
	}

	/* ---- lock reply (step 4), issuer ---- */
	struct coupon_issuer is;
	memset(&is, 0, sizeof is);
	memcpy(is.sign_pk, master.pk, OBOL_SIGN_PK_LEN);
	{
		struct coupon_lock_reply rp;
		struct coupon_spec sp;
		uint8_t ix[8], t[8];
		memset(&rp, 0, sizeof rp);
		memcpy(rp.coin_id, coin.id, 32);
		rp.index = p;
		memcpy(rp.token, token, 32);
		rp.deadline = T;
		VG_OK(g, coupon_issuer_sign_lock_reply(&sg, &rp, cert_hash));
		coupon_digest_lock_reply(digest, &rp, cert_hash);
		be64(ix, p);
		be64(t, (uint64_t)T);
		struct obol_hash_part pp[] = { PART(coin.id, 32), PART(ix, 8), PART(token, 32), PART(t, 8),
					       PART(cert_hash, 32) };
		vg_begin(g, "coupon-lock-reply", "coupon lock reply");
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_uint(g, "index", p);
		vg_in_hex(g, "token", token, 32);
		vg_in_int(g, "deadline", T);
		vg_in_hex(g, "cert_hash", cert_hash, 32);
		coupon_spec_lock_reply(&sp, &rp);
		body_json(g, &sp);
		{
			/* also the body of the device-link message LOCKED */
			uint8_t cb[512];
			size_t cl = 0;
			VG_OK(g, obol_cbor_encode(&sp.fields, cb, sizeof cb, &cl));
			vg_out_hex(g, "encoded_cbor", cb, cl);
		}
		digest_sig(g, "issuer", COUPON_CTX_LOCK_REPLY, pp, 5, digest, rp.issuer_sig);
		vg_end(g);
	}

	/* ---- settle request (step 6), vendor: j = 95, with and without keep ---- */
	uint64_t j = 95;
	uint8_t tj[32];
	memcpy(tj, seed, 32);
	obol_hashchain_step(tj, tj, j);
	for (int keep = 1; keep >= 0; keep--) {
		struct coupon_settle_req sr;
		struct coupon_spec sp;
		uint8_t ix[8], k = (uint8_t)keep;
		memset(&sr, 0, sizeof sr);
		memcpy(sr.coin_id, coin.id, 32);
		sr.index = j;
		memcpy(sr.token, tj, 32);
		sr.keep = keep;
		memcpy(sr.cert, cert, cert_len);
		sr.cert_len = cert_len;
		memcpy(sr.lock, lock, sizeof lock);
		sr.has_lock = true;
		coupon_digest_settle_req(digest, &sr, cert_hash);
		obol_sign(sr.vendor_sig, COUPON_CTX_SETTLE_REQ, digest, sizeof digest, vendor.sk);
		be64(ix, j);
		struct obol_hash_part pp[] = { PART(coin.id, 32), PART(ix, 8), PART(tj, 32), PART(&k, 1),
					       PART(cert_hash, 32), PART(lock, 32) };
		vg_begin(g, keep ? "coupon-settle-request-keep" : "coupon-settle-request", "coupon settle request");
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_uint(g, "index", j);
		vg_in_hex(g, "token", tj, 32);
		vg_in_bool(g, "keep", keep);
		vg_in_hex(g, "cert", cert, cert_len);
		vg_in_hex(g, "lock", lock, 32);
		vg_out_hex(g, "cert_hash", cert_hash, 32);
		coupon_spec_settle_req(&sp, &sr);
		body_json(g, &sp);
		digest_sig(g, "vendor", COUPON_CTX_SETTLE_REQ, pp, 6, digest, sr.vendor_sig);
		vg_end(g);
	}

	/* ---- settle reply, issuer: 4 tokens credited, lock kept ---- */
	{
		struct coupon_settle_reply sr;
		struct coupon_spec sp;
		uint8_t ix[8], cnt[8], fl[2];
		char amt[OBOL_AMOUNT_STR_MAX];
		memset(&sr, 0, sizeof sr);
		memcpy(sr.coin_id, coin.id, 32);
		sr.index = j;
		sr.credited_tokens = p - j;
		VG_OK(g, obol_amount_mul(&sr.credited, &d.token_value, sr.credited_tokens));
		sr.locked = true;
		sr.spent = false;
		memcpy(sr.lock, lock, sizeof lock);
		sr.has_lock = true;
		VG_OK(g, coupon_issuer_sign_settle_reply(&sg, &sr, cert_hash));
		coupon_digest_settle_reply(digest, &sr, cert_hash);
		be64(ix, j);
		be64(cnt, sr.credited_tokens);
		obol_amount_format(&sr.credited, amt);
		fl[0] = 1;
		fl[1] = 0;
		struct obol_hash_part pp[] = { PART(coin.id, 32), PART(ix, 8), PART(cnt, 8), PART(amt, strlen(amt)),
					       PART(fl, 2), PART(cert_hash, 32), PART(lock, 32) };
		vg_begin(g, "coupon-settle-reply", "coupon settle reply");
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_uint(g, "index", j);
		vg_in_uint(g, "credited_tokens", sr.credited_tokens);
		vg_in_text(g, "credited", amt);
		vg_in_bool(g, "locked", sr.locked);
		vg_in_bool(g, "spent", sr.spent);
		vg_in_hex(g, "cert_hash", cert_hash, 32);
		vg_in_hex(g, "lock", lock, 32);
		coupon_spec_settle_reply(&sp, &sr);
		body_json(g, &sp);
		digest_sig(g, "issuer", COUPON_CTX_SETTLE_REPLY, pp, 7, digest, sr.issuer_sig);
		vg_end(g);
	}

	/* ---- status request, vendor ---- */
	{
		struct coupon_status_req sq;
		struct coupon_spec sp;
		uint8_t t[8];
		memset(&sq, 0, sizeof sq);
		memcpy(sq.coin_id, coin.id, 32);
		memcpy(sq.cert, cert, cert_len);
		sq.cert_len = cert_len;
		sq.time = T0 + 7200;
		coupon_digest_status_req(digest, &sq, cert_hash);
		obol_sign(sq.vendor_sig, COUPON_CTX_STATUS_REQ, digest, sizeof digest, vendor.sk);
		be64(t, (uint64_t)sq.time);
		struct obol_hash_part pp[] = { PART(coin.id, 32), PART(cert_hash, 32), PART(t, 8) };
		vg_begin(g, "coupon-status-request", "coupon status request");
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_hex(g, "cert", cert, cert_len);
		vg_in_int(g, "time", sq.time);
		vg_out_hex(g, "cert_hash", cert_hash, 32);
		coupon_spec_status_req(&sp, &sq);
		body_json(g, &sp);
		digest_sig(g, "vendor", COUPON_CTX_STATUS_REQ, pp, 3, digest, sq.vendor_sig);
		vg_end(g);
	}
	/* ---- the issuer's signed refusal of a lock (to the proven holder:
	 * the coin's state), bound to C and to the refused box ---- */
	{
		struct coupon_refusal rf;
		uint8_t code[8], ix[8], t[8];
		memset(&rf, 0, sizeof rf);
		rf.code = (uint64_t)OBOL_E_COUPON_COIN_LOCKED;
		memcpy(rf.coin_id, coin.id, 32);
		rf.last_index = p;
		rf.locked_until = T;
		VG_OK(g, coupon_issuer_sign_refusal(&sg, &rf, cert_hash, lock));
		coupon_digest_refusal(digest, &rf, cert_hash, lock);
		be64(code, rf.code);
		be64(ix, rf.last_index);
		be64(t, (uint64_t)rf.locked_until);
		struct obol_hash_part pp[] = { PART(code, 8), PART(coin.id, 32), PART(ix, 8), PART(t, 8),
					       PART(cert_hash, 32), PART(lock, 32) };
		vg_begin(g, "coupon-refusal", "coupon refusal");
		vg_in_uint(g, "code", rf.code);
		vg_in_text(g, "code_name", obol_strerror((obol_err)rf.code));
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_uint(g, "last_index", rf.last_index);
		vg_in_int(g, "locked_until", rf.locked_until);
		vg_in_hex(g, "cert_hash", cert_hash, 32);
		vg_in_hex(g, "box_hash", lock, 32);
		digest_sig(g, "issuer", COUPON_CTX_REFUSAL, pp, 6, digest, rf.issuer_sig);
		vg_end(g);
	}

	/* ---- refund reply: the holder of H^p(S) gets p + 1 tokens' value ---- */
	{
		struct coupon_refund_reply rr;
		struct coupon_spec sp;
		uint8_t ix[8], cnt[8], acc[8];
		char amt[OBOL_AMOUNT_STR_MAX];
		memset(&rr, 0, sizeof rr);
		memcpy(rr.coin_id, coin.id, 32);
		rr.index = p;
		rr.refunded_tokens = p + 1;
		VG_OK(g, obol_amount_mul(&rr.refunded, &d.token_value, rr.refunded_tokens));
		rr.account = 7;
		VG_OK(g, coupon_issuer_sign_refund_reply(&sg, &rr));
		coupon_digest_refund_reply(digest, &rr);
		be64(ix, rr.index);
		be64(cnt, rr.refunded_tokens);
		be64(acc, rr.account);
		obol_amount_format(&rr.refunded, amt);
		struct obol_hash_part pp[] = { PART(coin.id, 32), PART(ix, 8), PART(cnt, 8), PART(amt, strlen(amt)),
					       PART(acc, 8) };
		vg_begin(g, "coupon-refund-reply", "coupon refund reply");
		vg_in_hex(g, "coin_id", coin.id, 32);
		vg_in_uint(g, "index", rr.index);
		vg_in_uint(g, "refunded_tokens", rr.refunded_tokens);
		vg_in_text(g, "refunded", amt);
		vg_in_uint(g, "account", rr.account);
		coupon_spec_refund_reply(&sp, &rr);
		body_json(g, &sp);
		digest_sig(g, "issuer", COUPON_CTX_REFUND_REPLY, pp, 5, digest, rr.issuer_sig);
		vg_end(g);
	}
	sodium_memzero(box_sk, sizeof box_sk);
	EVP_PKEY_free(dk);
}
