/* obol bench crypto: the primitives obol builds on, each next to the same
 * operation done raw by OpenSSL or libsodium in the same run (bench.h).
 *
 *   blind_sign    obol_blindrsa_blind_sign (RSA-2048 private op + re-check)
 *                 vs EVP_PKEY_sign with RSA_NO_PADDING on a prepared context
 *   finalize      obol_blindrsa_finalize vs BN_mod_mul unblinding + EVP PSS verify
 *   rsa_verify    obol_blindrsa_verify vs EVP_DigestVerify (PSS, SHA-384, salt 48)
 *   sealbox_open  obol_sealbox_open vs crypto_box_seal_open (64-byte message)
 *   ed25519_verify obol_sign_verify vs crypto_sign_verify_detached over the
 *                 same framed bytes
 *   sha256_chain  obol_hashchain_step vs a crypto_hash_sha256 loop */
#include <getopt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "crypto/sign.h"

#define MOD 256 /* RSA-2048 */
#define CHAIN_STEPS 1000
#define SEAL_MSG 64
#define ED_CONTEXT "bench"

struct bench {
	EVP_PKEY *sk, *pk;
	EVP_PKEY_CTX *raw_sign;
	EVP_MD_CTX *raw_md;
	BN_CTX *bn;
	BIGNUM *n, *inv, *z, *s;
	uint8_t prepared[OBOL_BLINDRSA_PREFIX_LEN + 32];
	size_t plen;
	uint8_t blinded[MOD], bsig[MOD], sig[MOD], out[MOD];
	size_t blen, bslen, slen;
	struct obol_blindrsa_state st;
	struct obol_box_keypair box;
	uint8_t sealed[SEAL_MSG + OBOL_SEALBOX_OVERHEAD], opened[SEAL_MSG];
	struct obol_sign_keypair ed;
	uint8_t ed_msg[64], ed_sig[OBOL_SIGN_LEN], ed_frame[64 + 64];
	size_t ed_frame_len;
	uint8_t h[OBOL_HASH_LEN];
};

static obol_err ours_blind_sign(void *a)
{
	struct bench *b = a;
	size_t len;
	return obol_blindrsa_blind_sign(b->sk, b->blinded, b->blen, b->out, sizeof(b->out), &len);
}

static obol_err raw_blind_sign(void *a)
{
	struct bench *b = a;
	size_t len = sizeof(b->out);
	return EVP_PKEY_sign(b->raw_sign, b->out, &len, b->blinded, b->blen) == 1 ? OBOL_OK
										  : OBOL_E_CRYPTO_LIBRARY;
}

static obol_err ours_finalize(void *a)
{
	struct bench *b = a;
	size_t len;
	return obol_blindrsa_finalize(b->pk, &b->st, b->bsig, b->bslen, b->out, sizeof(b->out), &len);
}

static obol_err raw_pss_verify(struct bench *b, const uint8_t *sig, size_t len)
{
	EVP_PKEY_CTX *pctx = NULL;
	if (EVP_MD_CTX_reset(b->raw_md) != 1 ||
	    EVP_DigestVerifyInit(b->raw_md, &pctx, EVP_sha384(), NULL, b->pk) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, OBOL_BLINDRSA_SALT_LEN) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1)
		return OBOL_E_CRYPTO_LIBRARY;
	return EVP_DigestVerify(b->raw_md, sig, len, b->prepared, b->plen) == 1 ? OBOL_OK
										   : OBOL_E_SIGNATURE_INVALID;
}

static obol_err raw_finalize(void *a)
{
	struct bench *b = a;
	if (BN_bin2bn(b->bsig, (int)b->bslen, b->z) == NULL || BN_mod_mul(b->s, b->z, b->inv, b->n, b->bn) != 1 ||
	    BN_bn2binpad(b->s, b->out, MOD) != MOD)
		return OBOL_E_CRYPTO_LIBRARY;
	return raw_pss_verify(b, b->out, MOD);
}

static obol_err ours_rsa_verify(void *a)
{
	struct bench *b = a;
	return obol_blindrsa_verify(b->pk, b->prepared, b->plen, b->sig, b->slen);
}

static obol_err raw_rsa_verify(void *a)
{
	struct bench *b = a;
	return raw_pss_verify(b, b->sig, b->slen);
}

static obol_err ours_sealbox_open(void *a)
{
	struct bench *b = a;
	return obol_sealbox_open(b->opened, b->sealed, sizeof(b->sealed), &b->box);
}

static obol_err raw_sealbox_open(void *a)
{
	struct bench *b = a;
	return crypto_box_seal_open(b->opened, b->sealed, sizeof(b->sealed), b->box.pk, b->box.sk) == 0
		       ? OBOL_OK
		       : OBOL_E_DECRYPT_FAILED;
}

static obol_err ours_ed25519_verify(void *a)
{
	struct bench *b = a;
	return obol_sign_verify(b->ed_sig, ED_CONTEXT, b->ed_msg, sizeof(b->ed_msg), b->ed.pk);
}

static obol_err raw_ed25519_verify(void *a)
{
	struct bench *b = a;
	return crypto_sign_verify_detached(b->ed_sig, b->ed_frame, b->ed_frame_len, b->ed.pk) == 0
		       ? OBOL_OK
		       : OBOL_E_SIGNATURE_INVALID;
}

static obol_err ours_sha256_chain(void *a)
{
	struct bench *b = a;
	obol_hashchain_step(b->h, b->h, CHAIN_STEPS);
	return OBOL_OK;
}

static obol_err raw_sha256_chain(void *a)
{
	struct bench *b = a;
	for (int i = 0; i < CHAIN_STEPS; i++)
		crypto_hash_sha256(b->h, b->h, OBOL_HASH_LEN);
	return OBOL_OK;
}

/* Keys, one blinded message with its blind signature and signature, a sealed
 * box and an Ed25519 signature: the inputs every timed operation reuses. */
static obol_err setup(struct bench *b)
{
	uint8_t *der = NULL;
	size_t der_len;
	obol_err e;
	static const uint8_t msg[32] = "obol bench crypto: a coin id...";

	if ((e = obol_rsa_generate(2048, &b->sk)) != OBOL_OK)
		return e;
	if ((e = obol_rsa_public_to_der(b->sk, &der, &der_len)) != OBOL_OK)
		return e;
	e = obol_rsa_public_from_der(der, der_len, &b->pk);
	OPENSSL_free(der);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, msg, sizeof(msg), b->prepared,
				       sizeof(b->prepared), &b->plen)) != OBOL_OK ||
	    (e = obol_blindrsa_blind(b->pk, b->prepared, b->plen, b->blinded, sizeof(b->blinded), &b->blen,
				     &b->st)) != OBOL_OK ||
	    (e = obol_blindrsa_blind_sign(b->sk, b->blinded, b->blen, b->bsig, sizeof(b->bsig), &b->bslen)) !=
		    OBOL_OK ||
	    (e = obol_blindrsa_finalize(b->pk, &b->st, b->bsig, b->bslen, b->sig, sizeof(b->sig), &b->slen)) !=
		    OBOL_OK)
		return e;
	if (b->blen != MOD)
		return OBOL_E_INTERNAL;

	if ((b->raw_sign = EVP_PKEY_CTX_new_from_pkey(NULL, b->sk, NULL)) == NULL ||
	    EVP_PKEY_sign_init(b->raw_sign) != 1 || EVP_PKEY_CTX_set_rsa_padding(b->raw_sign, RSA_NO_PADDING) != 1 ||
	    (b->raw_md = EVP_MD_CTX_new()) == NULL || (b->bn = BN_CTX_new()) == NULL ||
	    (b->z = BN_new()) == NULL || (b->s = BN_new()) == NULL ||
	    (b->inv = BN_bin2bn(b->st.inv, (int)b->st.modulus_len, NULL)) == NULL ||
	    EVP_PKEY_get_bn_param(b->pk, OSSL_PKEY_PARAM_RSA_N, &b->n) != 1)
		return OBOL_E_CRYPTO_LIBRARY;

	obol_box_keypair_new(&b->box);
	obol_random(b->opened, sizeof(b->opened));
	if ((e = obol_sealbox_seal(b->sealed, b->opened, sizeof(b->opened), b->box.pk)) != OBOL_OK)
		return e;

	obol_sign_keypair_new(&b->ed);
	obol_random(b->ed_msg, sizeof(b->ed_msg));
	obol_sign(b->ed_sig, ED_CONTEXT, b->ed_msg, sizeof(b->ed_msg), b->ed.sk);
	/* the bytes obol_sign signs: "obol-sig-v1\0" || context || "\0" || msg (sign.h) */
	static const char prefix[] = "obol-sig-v1";
	size_t off = 0;
	memcpy(b->ed_frame, prefix, sizeof(prefix));
	off += sizeof(prefix);
	memcpy(b->ed_frame + off, ED_CONTEXT, sizeof(ED_CONTEXT));
	off += sizeof(ED_CONTEXT);
	memcpy(b->ed_frame + off, b->ed_msg, sizeof(b->ed_msg));
	b->ed_frame_len = off + sizeof(b->ed_msg);

	obol_random(b->h, sizeof(b->h));
	return OBOL_OK;
}

static void teardown(struct bench *b)
{
	EVP_PKEY_free(b->sk);
	EVP_PKEY_free(b->pk);
	EVP_PKEY_CTX_free(b->raw_sign);
	EVP_MD_CTX_free(b->raw_md);
	BN_CTX_free(b->bn);
	BN_free(b->n);
	BN_clear_free(b->inv);
	BN_free(b->z);
	BN_free(b->s);
	obol_blindrsa_state_wipe(&b->st);
	obol_wipe(&b->box, sizeof(b->box));
	obol_wipe(&b->ed, sizeof(b->ed));
}

static int cmd_bench_crypto(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "quick", no_argument, NULL, 'q' },
					      { "json", no_argument, NULL, 'j' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, c, rc = OBOL_EXIT_OK;
	double seconds = OBOL_BENCH_SECONDS;
	struct bench b;
	obol_err e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			seconds = OBOL_BENCH_QUICK_SECONDS;
		else if (c == 'j')
			json = 1;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if ((e = obol_crypto_init()) != OBOL_OK)
		return obol_cli_fail(cmd, e, "initialising the crypto libraries");

	struct obol_bench_fig figs[] = {
		{ "blind_sign", "blind-sign (RSA-2048)", "EVP_PKEY_sign, RSA_NO_PADDING", 0, 0 },
		{ "finalize", "finalize (unblind + verify)", "BN_mod_mul + EVP_DigestVerify PSS", 0, 0 },
		{ "rsa_verify", "RSA verify (PSS-SHA384)", "EVP_DigestVerify PSS-SHA384", 0, 0 },
		{ "sealbox_open", "sealed-box open (64 B)", "crypto_box_seal_open", 0, 0 },
		{ "ed25519_verify", "Ed25519 verify", "crypto_sign_verify_detached", 0, 0 },
		{ "sha256_chain", "SHA-256 chain steps", "crypto_hash_sha256 loop", 0, 0 },
	};
	const struct {
		obol_bench_op ours, raw;
		unsigned units;
	} ops[] = {
		{ ours_blind_sign, raw_blind_sign, 1 },     { ours_finalize, raw_finalize, 1 },
		{ ours_rsa_verify, raw_rsa_verify, 1 },     { ours_sealbox_open, raw_sealbox_open, 1 },
		{ ours_ed25519_verify, raw_ed25519_verify, 1 }, { ours_sha256_chain, raw_sha256_chain, CHAIN_STEPS },
	};

	memset(&b, 0, sizeof(b));
	if ((e = setup(&b)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "preparing the inputs");
		goto out;
	}
	for (size_t i = 0; i < OBOL_ARRAY_LEN(figs); i++) {
		if ((e = obol_bench_pair(&figs[i], ops[i].ours, &b, ops[i].raw, &b, ops[i].units, seconds)) !=
		    OBOL_OK) {
			rc = obol_cli_fail(cmd, e, figs[i].label);
			goto out;
		}
	}
	if (json)
		obol_bench_print_json(stdout, figs, OBOL_ARRAY_LEN(figs));
	else
		obol_bench_print_table(stdout, seconds < OBOL_BENCH_SECONDS
						       ? "obol bench crypto (--quick: about 0.2 s per figure)"
						       : "obol bench crypto (about 1 s per figure)",
				       figs, OBOL_ARRAY_LEN(figs));
out:
	teardown(&b);
	return rc;
}

OBOL_COMMAND(bench_crypto_cmd, "bench crypto", "[--quick] [--json]",
	     "measure blind RSA, sealed boxes, Ed25519 and SHA-256 chains against raw OpenSSL/libsodium",
	     "  --quick   about 0.2 s per figure instead of about 1 s\n"
	     "  --json    print one JSON object: <figure>_per_s, <figure>_raw_per_s, <figure>_ratio",
	     cmd_bench_crypto)
