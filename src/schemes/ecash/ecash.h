/* The ecash scheme (seed 002, chapters 3, 4 and 6; DESIGN §6): the objects
 * every role handles and the checks every role shares. No I/O: callers pass
 * `now` and the state they hold.
 *
 * Objects and their signatures (all RSA-PSS-SHA512 over the canonical bytes
 * that ecash_*_bytes build; every signed text starts with its own label, so a
 * signature made for one purpose never verifies for another):
 *
 *   certificate  bank signs {customer key, account, issued, expiry}   σ3 (§3.2 step 6)
 *   coin m       bank signs {serial, value, issued, expiry}           σ0 (§3.3.1)
 *   claim        payer signs {H(m), payee id, timestamp, H(previous claim)}
 *                                                                    σ2 (§3.3.2, §3.5.6)
 *   nonce proof  payer signs {merchant nonce, merchant id}           σ1 (§3.3.2 step 5)
 *
 * A key's id is SHA-256 of its DER SubjectPublicKeyInfo; the merchant id M_ID
 * of the seed is the id of the merchant's certified key, so a claim names its
 * payee by key, and the next holder's claim is signed by that key: a coin's
 * claims form a chain (transferability, §3.5.6). In the ring variant (§4) the
 * first claim and σ1 are RST ring signatures over several certified keys. */
#ifndef OBOL_SCHEMES_ECASH_ECASH_H
#define OBOL_SCHEMES_ECASH_ECASH_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/hash.h"
#include "crypto/ringsig.h"
#include "crypto/rsa.h"

#define ECASH_ID_LEN 32            /* key id: SHA-256 of the DER public key */
#define ECASH_SERIAL_LEN 16        /* coin serial, drawn at random by the bank */
#define ECASH_NONCE_LEN 32
#define ECASH_KEY_DER_MAX 600      /* DER public key of up to 4096 bits */
#define ECASH_SIG_MAX OBOL_RSA_MAX_MODULUS
#define ECASH_RING_DEFAULT 8
#define ECASH_RING_MAX OBOL_RING_MAX
/* Bytes of a ring signature over ECASH_RING_MAX keys of the largest size. */
#define ECASH_RINGSIG_MAX ((ECASH_RING_MAX + 1) * (OBOL_RSA_MAX_MODULUS + 24))
#define ECASH_CHAIN_MAX 8          /* claims on one coin: first spend + 7 transfers */
#define ECASH_COINS_MAX 64         /* coins in one top-up, payment or deposit */
#define ECASH_REVOKED_MAX 4096     /* keys on one revocation list */
#define ECASH_DIRECTORY_MAX 1024   /* certificates in one directory */

/* The bank's certificate on a customer's (or merchant's) key: σ3. */
struct ecash_cert {
	uint8_t key[ECASH_KEY_DER_MAX]; /* DER SubjectPublicKeyInfo */
	size_t key_len;
	int64_t account; /* the issuer account the key is linked to */
	int64_t issued, expiry;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* An e-cash coin m with the bank's signature σ0. Bearer value: not bound to a
 * customer (§3.5.6). */
struct ecash_coin {
	uint8_t serial[ECASH_SERIAL_LEN];
	struct obol_amount value;
	int64_t issued, expiry;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* One signed claim σ2. With one certificate it is a plain RSA-PSS signature by
 * that key; with two or more it is a ring signature over their keys (§4.3.2).
 * certs and sig are heap-owned (ecash_claim_clear). */
struct ecash_claim {
	uint8_t payee[ECASH_ID_LEN]; /* M_ID: the receiving merchant's key id */
	int64_t ts;                   /* the payer's timestamp */
	struct ecash_cert *certs;
	size_t ncerts;
	uint8_t *sig;
	size_t sig_len;
};

/* A coin as it travels: m, σ0 and its chain of claims (empty in the wallet
 * that withdrew it). The last claim names the current holder. */
struct ecash_held_coin {
	struct ecash_coin coin;
	struct ecash_claim chain[ECASH_CHAIN_MAX];
	size_t nchain;
};

/* The bank's signed revocation list of key ids, cached by merchants. */
struct ecash_revocations {
	uint64_t seq;
	int64_t issued;
	uint8_t (*ids)[ECASH_ID_LEN]; /* heap, sorted ascending */
	size_t n;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* The bank's signed directory of registered certificates, from which a
 * wallet picks ring members (§4.1.1). */
struct ecash_directory {
	int64_t issued;
	struct ecash_cert *certs; /* heap */
	size_t n;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* Verification policy shared by merchants and the bank. */
struct ecash_policy {
	int64_t max_skew;      /* seconds a claim timestamp may differ from now (merchant) */
	size_t ring_min, ring_max;
	unsigned min_key_bits; /* customer keys shorter than this are refused */
};
void ecash_policy_default(struct ecash_policy *p);

/* ---- keys ---- */

/* The id of a DER public key. */
void ecash_key_id_der(const uint8_t *der, size_t len, uint8_t id[static ECASH_ID_LEN]);
OBOL_MUST_CHECK obol_err ecash_key_id(EVP_PKEY *k, uint8_t id[static ECASH_ID_LEN]);
/* Parses a DER public key and checks that it is RSA of at least min_bits.
 * ECASH_KEY_WEAK otherwise. *out is owned by the caller (EVP_PKEY_free). */
OBOL_MUST_CHECK obol_err ecash_key_parse(const uint8_t *der, size_t len, unsigned min_bits, EVP_PKEY **out);

/* ---- verification caches (keycache.c): shortcuts to results that never
 * change, shared by all threads ---- */

/* A parsed public key (a new reference; EVP_PKEY_free it), from the cache. */
OBOL_MUST_CHECK obol_err ecash_key_get(const uint8_t *der, size_t len, EVP_PKEY **out);
/* The id of a key that signs certificates (the bank's), cached by object. */
OBOL_MUST_CHECK obol_err ecash_signer_id(EVP_PKEY *k, uint8_t id[static ECASH_ID_LEN]);
/* Whether cert's signature was already found valid under bank key bank_id. */
bool ecash_cert_known_valid(const uint8_t bank_id[static ECASH_ID_LEN], const struct ecash_cert *c);
void ecash_cert_note_valid(const uint8_t bank_id[static ECASH_ID_LEN], const struct ecash_cert *c);
/* Empties the caches (tests, benches measuring cold paths). */
void ecash_caches_clear(void);

/* ---- canonical signed bytes (heap; free with free()) ---- */

struct ecash_bytes {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};
void ecash_bytes_label(struct ecash_bytes *b, const char *label);
void ecash_bytes_put(struct ecash_bytes *b, const void *p, size_t len); /* u32 length || bytes */
void ecash_bytes_i64(struct ecash_bytes *b, int64_t v);
void ecash_bytes_free(struct ecash_bytes *b);

OBOL_MUST_CHECK obol_err ecash_coin_bytes(const struct ecash_coin *c, struct ecash_bytes *out);
void ecash_coin_digest(const struct ecash_coin *c, uint8_t out[static OBOL_HASH_LEN]);
OBOL_MUST_CHECK obol_err ecash_cert_bytes(const struct ecash_cert *c, struct ecash_bytes *out);
void ecash_cert_digest(const struct ecash_cert *c, uint8_t out[static OBOL_HASH_LEN]);
/* What the payer signs for claim `c` on `coin` after the claim `prev` (NULL
 * for the first claim). */
OBOL_MUST_CHECK obol_err ecash_claim_bytes(const struct ecash_coin *coin, const struct ecash_claim *c,
					   const uint8_t prev_digest[static OBOL_HASH_LEN],
					   struct ecash_bytes *out);
/* The link of a claim into the next one: H(claim bytes || signature). The
 * first claim links to a digest of zeros. */
OBOL_MUST_CHECK obol_err ecash_claim_digest(const struct ecash_coin *coin, const struct ecash_claim *c,
					    const uint8_t prev_digest[static OBOL_HASH_LEN],
					    uint8_t out[static OBOL_HASH_LEN]);
OBOL_MUST_CHECK obol_err ecash_nonce_bytes(const uint8_t nonce[static ECASH_NONCE_LEN],
					   const uint8_t merchant[static ECASH_ID_LEN], struct ecash_bytes *out);
/* What a customer signs to answer a bank nonce: registration (digest NULL),
 * top-up (digest over the requested values), deposit (over the serials). */
OBOL_MUST_CHECK obol_err ecash_bank_nonce_bytes(const char *purpose, const uint8_t nonce[static ECASH_NONCE_LEN],
						const uint8_t *digest, struct ecash_bytes *out);

/* ---- signing and verification of single objects ---- */

OBOL_MUST_CHECK obol_err ecash_sign_bytes(EVP_PKEY *sk, const struct ecash_bytes *b, uint8_t sig[static ECASH_SIG_MAX],
					  size_t *sig_len);
/* σ0: ECASH_COIN_SIGNATURE when it does not verify. */
OBOL_MUST_CHECK obol_err ecash_coin_verify(EVP_PKEY *bank_pk, const struct ecash_coin *c);
/* σ3: the bank's signature, the key's strength, validity at time `when`
 * (ECASH_CERT_EXPIRED) and the revocation list (rl may be NULL). */
OBOL_MUST_CHECK obol_err ecash_cert_verify(EVP_PKEY *bank_pk, const struct ecash_cert *c,
					   const struct ecash_revocations *rl, const struct ecash_policy *pol,
					   int64_t when);

/* A signer set (one certificate, or a ring): its size within policy
 * (ECASH_RING_SIZE), distinct keys (ECASH_RING_DUPLICATE), and every
 * certificate (σ3) valid at `when` (§4.3.2 step 4). */
OBOL_MUST_CHECK obol_err ecash_signers_verify(EVP_PKEY *bank_pk, const struct ecash_cert *certs, size_t n,
					      const struct ecash_revocations *rl, const struct ecash_policy *pol,
					      int64_t when);

/* Verifies the whole chain of a held coin: σ0, every claim's certificates
 * (σ3, valid at the claim's timestamp, not revoked), every σ2 over the link
 * to the previous claim, that each claim after the first is a plain
 * signature by the previous claim's payee (ECASH_CHAIN_BROKEN,
 * ECASH_RING_NOT_FIRST), ring sizes, distinct ring members, and timestamps
 * inside the coin's life that never go backwards. Freshness, payee and
 * registries are the merchant's and the bank's own checks. When `digest` is
 * not NULL it receives the last claim's link digest (zeros for no claim). */
OBOL_MUST_CHECK obol_err ecash_chain_verify(EVP_PKEY *bank_pk, const struct ecash_held_coin *h,
					    const struct ecash_revocations *rl, const struct ecash_policy *pol,
					    uint8_t *digest);

/* Makes a claim on h (appends it to h->chain) paying `payee` at time ts, as
 * the plain signer `sk` with certificate `cert` (ring == NULL), or as member
 * `signer` of ring[0..nring) (certificates; ring[signer] is sk's). */
OBOL_MUST_CHECK obol_err ecash_claim_make(struct ecash_held_coin *h, const uint8_t payee[static ECASH_ID_LEN],
					  int64_t ts, EVP_PKEY *sk, const struct ecash_cert *cert,
					  const struct ecash_cert *ring, size_t nring, size_t signer);

/* Signs or verifies bytes as a plain signer (n == 1) or a ring (n >= 2) of
 * certified keys. Verification failures are `bad` (the caller's named error). */
OBOL_MUST_CHECK obol_err ecash_group_sign(const struct ecash_cert *certs, size_t n, size_t signer, EVP_PKEY *sk,
					  const struct ecash_bytes *msg, uint8_t **sig, size_t *sig_len);
OBOL_MUST_CHECK obol_err ecash_group_verify(const struct ecash_cert *certs, size_t n, const struct ecash_bytes *msg,
					    const uint8_t *sig, size_t sig_len, obol_err bad);

/* The key ids of a claim's signers, in order (ids holds ncerts entries). */
void ecash_claim_signer_ids(const struct ecash_claim *c, uint8_t (*ids)[ECASH_ID_LEN]);
/* Whether two claims have the same signer set (same keys, same order). */
bool ecash_claim_same_signers(const struct ecash_claim *a, const struct ecash_claim *b);

/* ---- ownership ---- */

void ecash_claim_clear(struct ecash_claim *c);
OBOL_MUST_CHECK obol_err ecash_claim_copy(struct ecash_claim *dst, const struct ecash_claim *src);
void ecash_held_clear(struct ecash_held_coin *h);
OBOL_MUST_CHECK obol_err ecash_held_copy(struct ecash_held_coin *dst, const struct ecash_held_coin *src);
void ecash_revocations_clear(struct ecash_revocations *rl);
void ecash_directory_clear(struct ecash_directory *d);

/* ---- bank-signed lists ---- */

OBOL_MUST_CHECK obol_err ecash_revocations_bytes(const struct ecash_revocations *rl, struct ecash_bytes *out);
OBOL_MUST_CHECK obol_err ecash_revocations_verify(EVP_PKEY *bank_pk, const struct ecash_revocations *rl);
bool ecash_revoked(const struct ecash_revocations *rl, const uint8_t id[static ECASH_ID_LEN]);
OBOL_MUST_CHECK obol_err ecash_directory_bytes(const struct ecash_directory *d, struct ecash_bytes *out);
OBOL_MUST_CHECK obol_err ecash_directory_verify(EVP_PKEY *bank_pk, const struct ecash_directory *d);

#endif
