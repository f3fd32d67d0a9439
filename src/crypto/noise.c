/* Noise_NX_25519_ChaChaPoly_SHA256 on libsodium (contract in noise.h; the
 * section numbers are those of the Noise specification, revision 34). */
#include <sodium.h>
#include <string.h>

#include "crypto/noise.h"
#include "crypto/secret.h"

#define NONCE_MAX UINT64_MAX /* reserved, §5.1 */

/* ---- §12.3 ChaChaPoly, §5.1 CipherState ------------------------------------ */

static void nonce_bytes(uint64_t n, uint8_t out[crypto_aead_chacha20poly1305_IETF_NPUBBYTES])
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

/* What EncryptWithAd and DecryptWithAd do first: without a key the text
 * passes as it is (*passed); the reserved nonce ends the cipher; else the
 * nonce's bytes. */
static obol_err cipher_begin(const struct obol_noise_cipher *c, const uint8_t *in, size_t len, uint8_t *out,
			     uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], bool *passed)
{
	*passed = !c->has_key;
	if (*passed) {
		if (len > 0)
			memmove(out, in, len);
		return OBOL_OK;
	}
	if (c->n == NONCE_MAX)
		return OBOL_E_NOISE_EXHAUSTED;
	nonce_bytes(c->n, nonce);
	return OBOL_OK;
}

obol_err obol_noise_encrypt(struct obol_noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
			    size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long clen;
	bool passed;
	obol_err e = cipher_begin(c, in, len, out, nonce, &passed);
	if (e != OBOL_OK || passed)
		return e;
	if (crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, in, len, ad, ad_len, NULL, nonce, c->k) != 0)
		return OBOL_E_CRYPTO_LIBRARY;
	c->n++;
	return OBOL_OK;
}

obol_err obol_noise_decrypt(struct obol_noise_cipher *c, const uint8_t *ad, size_t ad_len, const uint8_t *in,
			    size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long plen;
	bool passed;
	obol_err e = cipher_begin(c, in, len, out, nonce, &passed);
	if (e != OBOL_OK || passed)
		return e;
	if (len < OBOL_NOISE_TAG_LEN)
		return OBOL_E_DECRYPT_FAILED;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL, in, len, ad, ad_len, nonce, c->k) != 0)
		return OBOL_E_DECRYPT_FAILED;
	c->n++;
	return OBOL_OK;
}

void obol_noise_cipher_wipe(struct obol_noise_cipher *c)
{
	obol_wipe(c, sizeof *c);
}

static void cipher_init(struct obol_noise_cipher *c, const uint8_t k[OBOL_NOISE_KEY_LEN])
{
	memcpy(c->k, k, OBOL_NOISE_KEY_LEN);
	c->n = 0;
	c->has_key = true;
}

/* ---- §4.3 HMAC-HASH and HKDF ----------------------------------------------- */

static void hmac(uint8_t out[OBOL_NOISE_HASH_LEN], const uint8_t key[OBOL_NOISE_HASH_LEN], const uint8_t *a,
		 size_t a_len, const uint8_t *b, size_t b_len)
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, OBOL_NOISE_HASH_LEN);
	crypto_auth_hmacsha256_update(&st, a, a_len);
	if (b_len > 0)
		crypto_auth_hmacsha256_update(&st, b, b_len);
	crypto_auth_hmacsha256_final(&st, out);
	obol_wipe(&st, sizeof st);
}

/* HKDF(ck, ikm, 2): o1, o2. */
static void hkdf2(const uint8_t ck[OBOL_NOISE_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
		  uint8_t o1[OBOL_NOISE_HASH_LEN], uint8_t o2[OBOL_NOISE_HASH_LEN])
{
	uint8_t temp[OBOL_NOISE_HASH_LEN], one = 0x01, two = 0x02;
	hmac(temp, ck, ikm, ikm_len, NULL, 0);
	hmac(o1, temp, &one, 1, NULL, 0);
	hmac(o2, temp, o1, OBOL_NOISE_HASH_LEN, &two, 1);
	obol_wipe(temp, sizeof temp);
}

/* ---- §5.2 SymmetricState ---------------------------------------------------- */

static void mix_hash(struct obol_noise_handshake *hs, const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, OBOL_NOISE_HASH_LEN);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, hs->h);
}

static void mix_key(struct obol_noise_handshake *hs, const uint8_t ikm[OBOL_NOISE_DH_LEN])
{
	uint8_t ck[OBOL_NOISE_HASH_LEN], k[OBOL_NOISE_HASH_LEN];
	hkdf2(hs->ck, ikm, OBOL_NOISE_DH_LEN, ck, k);
	memcpy(hs->ck, ck, sizeof ck);
	cipher_init(&hs->cs, k);
	obol_wipe(ck, sizeof ck);
	obol_wipe(k, sizeof k);
}

/* EncryptAndHash: out holds len (+ tag when keyed). */
static obol_err encrypt_and_hash(struct obol_noise_handshake *hs, const uint8_t *in, size_t len, uint8_t *out,
				 size_t *out_len)
{
	obol_err e = obol_noise_encrypt(&hs->cs, hs->h, OBOL_NOISE_HASH_LEN, in, len, out);
	if (e != OBOL_OK)
		return e;
	*out_len = len + (hs->cs.has_key ? OBOL_NOISE_TAG_LEN : 0);
	mix_hash(hs, out, *out_len);
	return OBOL_OK;
}

static obol_err decrypt_and_hash(struct obol_noise_handshake *hs, const uint8_t *in, size_t len, uint8_t *out)
{
	obol_err e = obol_noise_decrypt(&hs->cs, hs->h, OBOL_NOISE_HASH_LEN, in, len, out);
	if (e != OBOL_OK)
		return e;
	mix_hash(hs, in, len);
	return OBOL_OK;
}

/* ---- §12.1 the 25519 DH functions ----------------------------------------- */

static obol_err dh(uint8_t out[OBOL_NOISE_DH_LEN], const struct obol_box_keypair *kp,
		   const uint8_t pk[OBOL_NOISE_DH_LEN])
{
	/* libsodium refuses an all-zero result (a low-order point). */
	return crypto_scalarmult(out, kp->sk, pk) == 0 ? OBOL_OK : OBOL_E_KEY_INVALID;
}

static void keypair_from_secret(struct obol_box_keypair *kp, const uint8_t sk[OBOL_NOISE_DH_LEN])
{
	memcpy(kp->sk, sk, OBOL_NOISE_DH_LEN);
	crypto_scalarmult_base(kp->pk, kp->sk);
}

/* ---- §5.3 HandshakeState ---------------------------------------------------- */

/* §7.5: NX. */
static const enum obol_noise_token NX[2][OBOL_NOISE_TOKENS_MAX + 1] = {
	{ NOISE_TOK_E, 0 },
	{ NOISE_TOK_E, NOISE_TOK_EE, NOISE_TOK_S, NOISE_TOK_ES, 0 },
};

obol_err obol_noise_handshake_init(struct obol_noise_handshake *hs, const struct obol_noise_init *init)
{
	static const char name[] = OBOL_NOISE_PROTOCOL;
	memset(hs, 0, sizeof *hs);
	if ((init->s != NULL) == init->initiator)
		return OBOL_E_INVALID_ARGUMENT;
	/* InitializeSymmetric: the name is 32 bytes, exactly HASHLEN, so h is
	 * the name itself (zero-padded when shorter). */
	_Static_assert(sizeof name - 1 <= OBOL_NOISE_HASH_LEN, "protocol name fits HASHLEN");
	memcpy(hs->h, name, sizeof name - 1);
	memcpy(hs->ck, hs->h, OBOL_NOISE_HASH_LEN);
	mix_hash(hs, init->prologue, init->prologue_len);
	hs->initiator = init->initiator;
	if (init->s != NULL) {
		hs->s = *init->s;
		hs->has_s = true;
	}
	if (init->fixed_e != NULL) {
		memcpy(hs->fixed_e, init->fixed_e, OBOL_NOISE_DH_LEN);
		hs->has_fixed_e = true;
	}
	/* NX has no pre-messages. */
	memcpy(hs->patterns, NX, sizeof NX);
	hs->count = 2;
	return OBOL_OK;
}

/* Whether the next message is ours to write. */
static bool my_turn(const struct obol_noise_handshake *hs)
{
	return (hs->next % 2 == 0) == hs->initiator;
}

/* The DH a token calls for, from this side's point of view (§5.3). */
static obol_err token_dh(struct obol_noise_handshake *hs, enum obol_noise_token t)
{
	uint8_t out[OBOL_NOISE_DH_LEN];
	const struct obol_box_keypair *mine;
	const uint8_t *theirs;
	bool local_e = t == NOISE_TOK_EE || (t == NOISE_TOK_ES && hs->initiator) || (t == NOISE_TOK_SE && !hs->initiator);
	bool remote_e = t == NOISE_TOK_EE || (t == NOISE_TOK_ES && !hs->initiator) || (t == NOISE_TOK_SE && hs->initiator);
	mine = local_e ? &hs->e : &hs->s;
	theirs = remote_e ? hs->re : hs->rs;
	if ((local_e ? !hs->has_e : !hs->has_s) || (remote_e ? !hs->has_re : !hs->has_rs))
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = dh(out, mine, theirs);
	if (e == OBOL_OK)
		mix_key(hs, out);
	obol_wipe(out, sizeof out);
	return e;
}

obol_err obol_noise_write_message(struct obol_noise_handshake *hs, const uint8_t *payload, size_t payload_len,
				  uint8_t *out, size_t cap, size_t *len)
{
	size_t pos = 0, n = 0;
	obol_err e = OBOL_OK;
	if (hs->next >= hs->count || !my_turn(hs))
		return OBOL_E_INVALID_ARGUMENT;
	if (cap > OBOL_NOISE_MSG_MAX)
		cap = OBOL_NOISE_MSG_MAX;
	for (const enum obol_noise_token *t = hs->patterns[hs->next]; *t != 0 && e == OBOL_OK; t++) {
		switch (*t) {
		case NOISE_TOK_E:
			if (hs->has_e || pos + OBOL_NOISE_DH_LEN > cap)
				return hs->has_e ? OBOL_E_INVALID_ARGUMENT : OBOL_E_WIRE_OVERSIZED;
			if (hs->has_fixed_e)
				keypair_from_secret(&hs->e, hs->fixed_e);
			else
				obol_box_keypair_new(&hs->e);
			hs->has_e = true;
			memcpy(out + pos, hs->e.pk, OBOL_NOISE_DH_LEN);
			pos += OBOL_NOISE_DH_LEN;
			mix_hash(hs, hs->e.pk, OBOL_NOISE_DH_LEN);
			break;
		case NOISE_TOK_S:
			if (!hs->has_s)
				return OBOL_E_INVALID_ARGUMENT;
			if (pos + OBOL_NOISE_DH_LEN + (hs->cs.has_key ? OBOL_NOISE_TAG_LEN : 0) > cap)
				return OBOL_E_WIRE_OVERSIZED;
			e = encrypt_and_hash(hs, hs->s.pk, OBOL_NOISE_DH_LEN, out + pos, &n);
			pos += n;
			break;
		default:
			e = token_dh(hs, *t);
			break;
		}
	}
	if (e != OBOL_OK)
		return e;
	if (payload_len > cap || pos + payload_len + (hs->cs.has_key ? OBOL_NOISE_TAG_LEN : 0) > cap)
		return OBOL_E_WIRE_OVERSIZED;
	if ((e = encrypt_and_hash(hs, payload, payload_len, out + pos, &n)) != OBOL_OK)
		return e;
	*len = pos + n;
	hs->next++;
	return OBOL_OK;
}

obol_err obol_noise_read_message(struct obol_noise_handshake *hs, const uint8_t *msg, size_t len, uint8_t *payload,
				 size_t cap, size_t *payload_len)
{
	size_t pos = 0, n = 0;
	obol_err e = OBOL_OK;
	if (hs->next >= hs->count || my_turn(hs))
		return OBOL_E_INVALID_ARGUMENT;
	if (len > OBOL_NOISE_MSG_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	for (const enum obol_noise_token *t = hs->patterns[hs->next]; *t != 0 && e == OBOL_OK; t++) {
		switch (*t) {
		case NOISE_TOK_E:
			if (hs->has_re)
				return OBOL_E_INVALID_ARGUMENT;
			if (len - pos < OBOL_NOISE_DH_LEN)
				return OBOL_E_WIRE_TRUNCATED;
			memcpy(hs->re, msg + pos, OBOL_NOISE_DH_LEN);
			hs->has_re = true;
			pos += OBOL_NOISE_DH_LEN;
			mix_hash(hs, hs->re, OBOL_NOISE_DH_LEN);
			break;
		case NOISE_TOK_S:
			if (hs->has_rs)
				return OBOL_E_INVALID_ARGUMENT;
			n = OBOL_NOISE_DH_LEN + (hs->cs.has_key ? OBOL_NOISE_TAG_LEN : 0);
			if (len - pos < n)
				return OBOL_E_WIRE_TRUNCATED;
			if ((e = decrypt_and_hash(hs, msg + pos, n, hs->rs)) == OBOL_OK)
				hs->has_rs = true;
			pos += n;
			break;
		default:
			e = token_dh(hs, *t);
			break;
		}
	}
	if (e != OBOL_OK)
		return e;
	n = len - pos;
	if (hs->cs.has_key && n < OBOL_NOISE_TAG_LEN)
		return OBOL_E_WIRE_TRUNCATED;
	if (n - (hs->cs.has_key ? OBOL_NOISE_TAG_LEN : 0) > cap)
		return OBOL_E_WIRE_OVERSIZED;
	if ((e = decrypt_and_hash(hs, msg + pos, n, payload)) != OBOL_OK)
		return e;
	*payload_len = n - (hs->cs.has_key ? OBOL_NOISE_TAG_LEN : 0);
	hs->next++;
	return OBOL_OK;
}

bool obol_noise_handshake_done(const struct obol_noise_handshake *hs)
{
	return hs->next == hs->count;
}

void obol_noise_handshake_hash(const struct obol_noise_handshake *hs, uint8_t out[static OBOL_NOISE_HASH_LEN])
{
	memcpy(out, hs->h, OBOL_NOISE_HASH_LEN);
}

const uint8_t *obol_noise_remote_static(const struct obol_noise_handshake *hs)
{
	return hs->has_rs ? hs->rs : NULL;
}

obol_err obol_noise_split(const struct obol_noise_handshake *hs, struct obol_noise_cipher *c1,
			  struct obol_noise_cipher *c2)
{
	uint8_t k1[OBOL_NOISE_HASH_LEN], k2[OBOL_NOISE_HASH_LEN];
	if (!obol_noise_handshake_done(hs))
		return OBOL_E_INVALID_ARGUMENT;
	hkdf2(hs->ck, NULL, 0, k1, k2);
	cipher_init(c1, k1);
	cipher_init(c2, k2);
	obol_wipe(k1, sizeof k1);
	obol_wipe(k2, sizeof k2);
	return OBOL_OK;
}

void obol_noise_handshake_wipe(struct obol_noise_handshake *hs)
{
	obol_wipe(hs, sizeof *hs);
}
