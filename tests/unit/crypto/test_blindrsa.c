/* RFC 9474 blind RSA (blindrsa.c) against the Appendix A vectors in
 * tests/vectors/rfc9474.txt, plus round trips and refusals. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/blindrsa.h"
#include "crypto/rsa.h"
#include "crypto/secret.h"
#include "../test.h"

#define VEC_FILE "tests/vectors/rfc9474.txt"
#define MAXV 8
#define MAXF 12

struct field {
	char name[32];
	uint8_t *v;
	size_t len;
};
struct section {
	char name[64];
	struct field f[MAXF];
	int nf;
};
struct vectors {
	struct section s[MAXV];
	int ns;
};

static int load_vectors(struct vectors *vs)
{
	FILE *fp = fopen(VEC_FILE, "r");
	char line[4096];
	memset(vs, 0, sizeof(*vs));
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '[') {
			if (vs->ns == MAXV)
				goto bad;
			struct section *s = &vs->s[vs->ns++];
			snprintf(s->name, sizeof(s->name), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
			continue;
		}
		char *eq = strstr(line, " =");
		if (vs->ns == 0 || eq == NULL)
			goto bad;
		struct section *s = &vs->s[vs->ns - 1];
		if (s->nf == MAXF)
			goto bad;
		struct field *f = &s->f[s->nf++];
		*eq = '\0';
		snprintf(f->name, sizeof(f->name), "%s", line);
		const char *hex = eq + 2;
		while (*hex == ' ')
			hex++;
		if (strcmp(f->name, "sLen") == 0) { /* decimal; kept in len */
			uint64_t sl;
			if (obol_parse_u64(hex, 0, 64, &sl) != OBOL_OK)
				goto bad;
			f->len = (size_t)sl;
			continue;
		}
		f->len = strlen(hex) / 2;
		f->v = malloc(f->len + 1);
		if (f->v == NULL || strlen(hex) % 2 != 0 || (f->len > 0 && obol_hex_decode(hex, f->v, f->len) != OBOL_OK))
			goto bad;
	}
	fclose(fp);
	return 0;
bad:
	fclose(fp);
	return -1;
}

static const struct field *get(const struct section *s, const char *name)
{
	for (int i = 0; i < s->nf; i++)
		if (strcmp(s->f[i].name, name) == 0)
			return &s->f[i];
	return NULL;
}

static BIGNUM *bn_of(const struct section *s, const char *name)
{
	const struct field *f = get(s, name);
	return f ? BN_bin2bn(f->v, (int)f->len, NULL) : NULL;
}

/* An EVP_PKEY from n, e (and d, p, q for a private key; the CRT values are
 * derived). bad_crt makes dp and d wrong, to provoke a signing fault. */
static EVP_PKEY *key_from(const struct section *k, int private_key, int bad_crt)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *n = bn_of(k, "n"), *e = bn_of(k, "e"), *d = bn_of(k, "d"), *p = bn_of(k, "p"), *q = bn_of(k, "q");
	BIGNUM *p1 = BN_new(), *q1 = BN_new(), *dp = BN_new(), *dq = BN_new(), *qi = BN_new();
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;

	if (!bn || !n || !e || !d || !p || !q || !p1 || !q1 || !dp || !dq || !qi || !b || !ctx)
		goto out;
	if (!BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) || !BN_mod(dp, d, p1, bn) ||
	    !BN_mod(dq, d, q1, bn) || !BN_mod_inverse(qi, q, p, bn))
		goto out;
	if (bad_crt && (!BN_add_word(dp, 2) || !BN_add_word(d, 2)))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	if (private_key &&
	    (!OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, d) ||
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	     !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi)))
		goto out;
	if ((params = OSSL_PARAM_BLD_to_param(b)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, private_key ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	BN_CTX_free(bn);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_free(p1);
	BN_free(q1);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qi);
	return pkey;
}

/* r = inv^-1 mod n, big-endian, as the test hook takes it. */
static size_t r_from_inv(const struct section *k, const struct section *v, uint8_t *r, size_t cap)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *n = bn_of(k, "n"), *inv = bn_of(v, "inv"), *rr = NULL;
	size_t len = 0;
	if (bn && n && inv && (rr = BN_mod_inverse(NULL, inv, n, bn)) != NULL && (size_t)BN_num_bytes(rr) <= cap)
		len = (size_t)BN_bn2bin(rr, r);
	BN_CTX_free(bn);
	BN_free(n);
	BN_free(inv);
	BN_free(rr);
	return len;
}

struct prepared {
	uint8_t m[OBOL_BLINDRSA_PREFIX_LEN + 128];
	size_t len;
	size_t slen;
};

static int prepare_from(const struct section *v, struct prepared *p)
{
	const struct field *msg = get(v, "msg"), *pre = get(v, "msg_prefix"), *sl = get(v, "sLen");
	if (!msg || !pre || !sl || msg->len + pre->len > sizeof(p->m))
		return -1;
	memcpy(p->m, pre->v, pre->len);
	memcpy(p->m + pre->len, msg->v, msg->len);
	p->len = pre->len + msg->len;
	p->slen = sl->len;
	return 0;
}

TEST(blindrsa, rfc9474_appendix_a_vectors)
{
	struct vectors vs;
	REQUIRE(load_vectors(&vs) == 0);
	REQUIRE(vs.ns == 5 && strcmp(vs.s[0].name, "key") == 0);
	const struct section *k = &vs.s[0];
	EVP_PKEY *sk = key_from(k, 1, 0), *pk = key_from(k, 0, 0);
	REQUIRE(sk != NULL && pk != NULL);
	CHECK_EQ_INT(obol_rsa_modulus_len(pk), 512);

	int seen_pss_rand = 0, seen_pss_det = 0;
	for (int i = 1; i < vs.ns; i++) {
		const struct section *v = &vs.s[i];
		struct prepared p;
		struct obol_blindrsa_state st;
		uint8_t r[OBOL_BLINDRSA_MAX_MODULUS], blinded[OBOL_BLINDRSA_MAX_MODULUS];
		uint8_t bsig[OBOL_BLINDRSA_MAX_MODULUS], sig[OBOL_BLINDRSA_MAX_MODULUS];
		size_t blen, bslen, slen;
		const struct field *salt = get(v, "salt"), *want_bm = get(v, "blinded_msg"),
				   *want_bs = get(v, "blind_sig"), *want_sig = get(v, "sig");
		REQUIRE(prepare_from(v, &p) == 0 && salt && want_bm && want_bs && want_sig);
		size_t rlen = r_from_inv(k, v, r, sizeof(r));
		REQUIRE(rlen > 0);
		test_note("%s (sLen %zu)", v->name, p.slen);
		seen_pss_rand += strcmp(v->name, "RSABSSA-SHA384-PSS-Randomized") == 0;
		seen_pss_det += strcmp(v->name, "RSABSSA-SHA384-PSS-Deterministic") == 0;

		obol_blindrsa_test_inject(r, rlen, salt->v, salt->len);
		REQUIRE_OK(obol_blindrsa_blind_salt(pk, p.slen, p.m, p.len, blinded, sizeof(blinded), &blen, &st));
		obol_blindrsa_test_inject(NULL, 0, NULL, 0);
		CHECK_EQ_INT(blen, want_bm->len);
		CHECK_MEM_EQ(blinded, want_bm->v, want_bm->len);
		REQUIRE_OK(obol_blindrsa_blind_sign(sk, blinded, blen, bsig, sizeof(bsig), &bslen));
		CHECK_EQ_INT(bslen, want_bs->len);
		CHECK_MEM_EQ(bsig, want_bs->v, want_bs->len);
		REQUIRE_OK(obol_blindrsa_finalize(pk, &st, bsig, bslen, sig, sizeof(sig), &slen));
		CHECK_EQ_INT(slen, want_sig->len);
		CHECK_MEM_EQ(sig, want_sig->v, want_sig->len);
		CHECK_OK(obol_blindrsa_verify_salt(pk, p.slen, p.m, p.len, want_sig->v, want_sig->len));
		if (p.slen == OBOL_BLINDRSA_SALT_LEN)
			CHECK_OK(obol_blindrsa_verify(pk, p.m, p.len, want_sig->v, want_sig->len));

		/* negative: one changed bit of the message or the signature, the
		 * other salt length, a changed blind signature */
		uint8_t m2[sizeof(p.m)], s2[OBOL_BLINDRSA_MAX_MODULUS];
		memcpy(m2, p.m, p.len);
		m2[p.len - 1] ^= 0x01;
		CHECK_ERR(obol_blindrsa_verify_salt(pk, p.slen, m2, p.len, want_sig->v, want_sig->len),
			  OBOL_E_SIGNATURE_INVALID);
		memcpy(s2, want_sig->v, want_sig->len);
		s2[100] ^= 0x80;
		CHECK_ERR(obol_blindrsa_verify_salt(pk, p.slen, p.m, p.len, s2, want_sig->len),
			  OBOL_E_SIGNATURE_INVALID);
		CHECK_ERR(obol_blindrsa_verify_salt(pk, p.slen ? 0 : 48, p.m, p.len, want_sig->v, want_sig->len),
			  OBOL_E_SIGNATURE_INVALID);
		memcpy(s2, bsig, bslen);
		s2[7] ^= 0x04;
		CHECK_ERR(obol_blindrsa_finalize(pk, &st, s2, bslen, sig, sizeof(sig), &slen),
			  OBOL_E_BLIND_SIGNATURE_INVALID);
		obol_blindrsa_state_wipe(&st);
	}
	CHECK_EQ_INT(seen_pss_rand, 1);
	CHECK_EQ_INT(seen_pss_det, 1);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	for (int i = 0; i < vs.ns; i++)
		for (int j = 0; j < vs.s[i].nf; j++)
			free(vs.s[i].f[j].v);
}

TEST(blindrsa, refusals_on_the_vector_key)
{
	struct vectors vs;
	REQUIRE(load_vectors(&vs) == 0);
	const struct section *k = &vs.s[0], *v = &vs.s[1];
	EVP_PKEY *sk = key_from(k, 1, 0), *pk = key_from(k, 0, 0), *faulty = key_from(k, 1, 1);
	REQUIRE(sk != NULL && pk != NULL && faulty != NULL);
	const struct field *n = get(k, "n"), *p = get(k, "p"), *bm = get(v, "blinded_msg");
	struct prepared pr;
	REQUIRE(prepare_from(v, &pr) == 0);
	uint8_t buf[OBOL_BLINDRSA_MAX_MODULUS + 1], out[OBOL_BLINDRSA_MAX_MODULUS];
	size_t len;
	struct obol_blindrsa_state st;

	/* blind-sign: wrong length, a number >= n, no private key, a fault */
	CHECK_ERR(obol_blindrsa_blind_sign(sk, bm->v, bm->len - 1, out, sizeof(out), &len),
		  OBOL_E_BLIND_INPUT_INVALID);
	memcpy(buf, bm->v, bm->len);
	buf[bm->len] = 0;
	CHECK_ERR(obol_blindrsa_blind_sign(sk, buf, bm->len + 1, out, sizeof(out), &len),
		  OBOL_E_BLIND_INPUT_INVALID);
	CHECK_ERR(obol_blindrsa_blind_sign(sk, n->v, n->len, out, sizeof(out), &len), OBOL_E_BLIND_INPUT_INVALID);
	memset(buf, 0xff, n->len);
	CHECK_ERR(obol_blindrsa_blind_sign(sk, buf, n->len, out, sizeof(out), &len), OBOL_E_BLIND_INPUT_INVALID);
	CHECK_ERR(obol_blindrsa_blind_sign(pk, bm->v, bm->len, out, sizeof(out), &len), OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_blindrsa_blind_sign(sk, bm->v, bm->len, out, 100, &len), OBOL_E_INVALID_ARGUMENT);
	memset(out, 0, sizeof(out));
	CHECK_ERR(obol_blindrsa_blind_sign(faulty, bm->v, bm->len, out, sizeof(out), &len), OBOL_E_BLIND_SIGN_FAULT);
	uint8_t zero[OBOL_BLINDRSA_MAX_MODULUS] = { 0 };
	CHECK_MEM_EQ(out, zero, sizeof(out)); /* nothing leaked */

	/* blind: r = 0, r = n, r = p (not invertible) */
	CHECK_ERR((obol_blindrsa_test_inject(zero, 4, NULL, 0),
		   obol_blindrsa_blind(pk, pr.m, pr.len, out, sizeof(out), &len, &st)),
		  OBOL_E_BLIND_INPUT_INVALID);
	CHECK_ERR((obol_blindrsa_test_inject(n->v, n->len, NULL, 0),
		   obol_blindrsa_blind(pk, pr.m, pr.len, out, sizeof(out), &len, &st)),
		  OBOL_E_BLIND_INPUT_INVALID);
	CHECK_ERR((obol_blindrsa_test_inject(p->v, p->len, NULL, 0),
		   obol_blindrsa_blind(pk, pr.m, pr.len, out, sizeof(out), &len, &st)),
		  OBOL_E_BLIND_INPUT_INVALID);
	obol_blindrsa_test_inject(NULL, 0, NULL, 0);
	CHECK_ERR(obol_blindrsa_blind(pk, pr.m, pr.len, out, 10, &len, &st), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_blindrsa_blind_salt(pk, 49, pr.m, pr.len, out, sizeof(out), &len, &st),
		  OBOL_E_INVALID_ARGUMENT);
	uint8_t big[OBOL_BLINDRSA_PREFIX_LEN + OBOL_BLINDRSA_MAX_MSG + 1] = { 0 };
	CHECK_ERR(obol_blindrsa_blind(pk, big, sizeof(big), out, sizeof(out), &len, &st),
		  OBOL_E_BLIND_MESSAGE_TOO_LONG);

	/* finalize: wrong length, a number >= n */
	REQUIRE_OK(obol_blindrsa_blind(pk, pr.m, pr.len, out, sizeof(out), &len, &st));
	CHECK_ERR(obol_blindrsa_finalize(pk, &st, out, len - 1, buf, sizeof(buf), &len),
		  OBOL_E_BLIND_SIGNATURE_INVALID);
	CHECK_ERR(obol_blindrsa_finalize(pk, &st, n->v, n->len, buf, sizeof(buf), &len),
		  OBOL_E_BLIND_SIGNATURE_INVALID);
	/* verify: wrong length */
	CHECK_ERR(obol_blindrsa_verify(pk, pr.m, pr.len, n->v, n->len - 1), OBOL_E_SIGNATURE_INVALID);
	obol_blindrsa_state_wipe(&st);

	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(faulty);
	for (int i = 0; i < vs.ns; i++)
		for (int j = 0; j < vs.s[i].nf; j++)
			free(vs.s[i].f[j].v);
}

TEST(blindrsa, roundtrip_both_variants_2048_and_refusals)
{
	EVP_PKEY *sk = NULL, *other = NULL, *pk = NULL;
	REQUIRE_OK(obol_rsa_generate(2048, &sk));
	REQUIRE_OK(obol_rsa_generate(2048, &other));
	uint8_t *der = NULL;
	size_t der_len;
	REQUIRE_OK(obol_rsa_public_to_der(sk, &der, &der_len));
	REQUIRE_OK(obol_rsa_public_from_der(der, der_len, &pk));
	OPENSSL_free(der);

	const uint8_t msg[] = "obol coupon v1 / denomination / coin id";
	const enum obol_blindrsa_variant vars[2] = { OBOL_BLINDRSA_PSS_RANDOMIZED,
						     OBOL_BLINDRSA_PSS_DETERMINISTIC };
	for (int i = 0; i < 2; i++) {
		uint8_t prep[OBOL_BLINDRSA_PREFIX_LEN + sizeof(msg)], prep2[sizeof(prep)];
		uint8_t blinded[256], blinded2[256], bsig[256], sig[256];
		size_t plen, plen2, blen, blen2, bslen, slen;
		struct obol_blindrsa_state st, st2;
		REQUIRE_OK(obol_blindrsa_prepare(vars[i], msg, sizeof(msg), prep, sizeof(prep), &plen));
		REQUIRE_OK(obol_blindrsa_prepare(vars[i], msg, sizeof(msg), prep2, sizeof(prep2), &plen2));
		if (vars[i] == OBOL_BLINDRSA_PSS_RANDOMIZED) {
			CHECK_EQ_INT(plen, OBOL_BLINDRSA_PREFIX_LEN + sizeof(msg));
			CHECK(memcmp(prep, prep2, OBOL_BLINDRSA_PREFIX_LEN) != 0);
		} else {
			CHECK_EQ_INT(plen, sizeof(msg));
		}
		CHECK_MEM_EQ(prep + plen - sizeof(msg), msg, sizeof(msg));

		REQUIRE_OK(obol_blindrsa_blind(pk, prep, plen, blinded, sizeof(blinded), &blen, &st));
		/* the same message blinds differently each time */
		REQUIRE_OK(obol_blindrsa_blind(pk, prep, plen, blinded2, sizeof(blinded2), &blen2, &st2));
		CHECK(memcmp(blinded, blinded2, blen) != 0);
		REQUIRE_OK(obol_blindrsa_blind_sign(sk, blinded, blen, bsig, sizeof(bsig), &bslen));
		REQUIRE_OK(obol_blindrsa_finalize(pk, &st, bsig, bslen, sig, sizeof(sig), &slen));
		CHECK_OK(obol_blindrsa_verify(pk, prep, plen, sig, slen));
		/* the answer to another blinding does not finalize here */
		CHECK_ERR(obol_blindrsa_finalize(pk, &st2, bsig, bslen, sig, sizeof(sig), &slen),
			  OBOL_E_BLIND_SIGNATURE_INVALID);
		/* a signature from the wrong key: the other key signs a blinding made
		 * under its own modulus (a value blinded under pk may exceed the
		 * other modulus, which blind_sign rightly refuses) */
		uint8_t blinded_other[256], bsig_other[256];
		size_t blen_other;
		struct obol_blindrsa_state st_other;
		REQUIRE_OK(obol_blindrsa_blind(other, prep, plen, blinded_other, sizeof(blinded_other),
					       &blen_other, &st_other));
		obol_blindrsa_state_wipe(&st_other);
		REQUIRE_OK(obol_blindrsa_blind_sign(other, blinded_other, blen_other, bsig_other,
						    sizeof(bsig_other), &bslen));
		CHECK_ERR(obol_blindrsa_finalize(pk, &st, bsig_other, bslen, sig, sizeof(sig), &slen),
			  OBOL_E_BLIND_SIGNATURE_INVALID);
		REQUIRE_OK(obol_blindrsa_finalize(pk, &st, bsig, 256, sig, sizeof(sig), &slen));
		CHECK_ERR(obol_blindrsa_verify(other, prep, plen, sig, slen), OBOL_E_SIGNATURE_INVALID);
		obol_blindrsa_state_wipe(&st);
		obol_blindrsa_state_wipe(&st2);
	}

	uint8_t big[OBOL_BLINDRSA_MAX_MSG + 1] = { 0 }, out[OBOL_BLINDRSA_PREFIX_LEN + OBOL_BLINDRSA_MAX_MSG + 1];
	size_t len;
	CHECK_ERR(obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_DETERMINISTIC, big, sizeof(big), out, sizeof(out), &len),
		  OBOL_E_BLIND_MESSAGE_TOO_LONG);
	CHECK_ERR(obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, big, 10, out, 41, &len),
		  OBOL_E_BLIND_MESSAGE_TOO_LONG);

	/* a key that is not RSA */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	REQUIRE(ed != NULL);
	struct obol_blindrsa_state st;
	uint8_t blinded[512];
	CHECK_ERR(obol_blindrsa_blind(ed, msg, sizeof(msg), blinded, sizeof(blinded), &len, &st),
		  OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_blindrsa_verify(ed, msg, sizeof(msg), blinded, 64), OBOL_E_KEY_INVALID);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(other);
	EVP_PKEY_free(pk);
}
