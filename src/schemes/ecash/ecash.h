/* The ecash scheme (seed 002, chapters 3, 4 and 6; DESIGN §6): the objects
 * every role handles and the checks every role shares. No I/O: callers pass
 * `now` and the state they hold.
 *
 * Objects and their signatures (RSA-PSS-SHA512 over the canonical bytes that
 * ecash_*_bytes build; every signed text starts with its own label, so a
 * signature made for one purpose never verifies for another):
 *
 *   certificate  bank signs {customer key, account, issued, expiry}   σ3 (§3.2 step 6)
 *   coin m       bank signs {serial, value, issued, expiry, owner}   σ0 (§3.3.1)
 *   claim        payer signs {H(m), payee id, timestamp, H(previous claim), signer ids}
 *                                                                    σ2 (§3.3.2, §3.5.6)
 *   owner proof  the coin's owner key signs the first claim's bytes (Ed25519)
 *   nonce proof  payer signs {merchant nonce, merchant id}           σ1 (§3.3.2 step 5)
 *
 * A key's id is SHA-256 of its DER SubjectPublicKeyInfo; the merchant id M_ID
 * of the seed is the id of the merchant's certified key, so a claim names its
 * payee by key, and the next holder's claim is signed by that key: a coin's
 * claims form a chain (transferability, §3.5.6). In the ring variant (§4) the
 * first claim and σ1 are RST ring signatures over several certified keys.
 *
 * The owner key (obol's departure from the seed's bearer coin): the wallet
 * draws an Ed25519 key pair per coin and the bank puts its public half in m,
 * so only the wallet holding the secret half can make the coin's first
 * claim. A coin copied off the link is worth nothing to the copier, and two
 * first claims on one coin both carry the owner's signature: the evidence
 * against the wallet the coin was issued to. The owner key is fresh for
 * every coin, so it tells a merchant nothing about which ring member paid.
 * Later claims are bound by the chain: each is signed by the key the
 * previous claim names. */
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
#include "schemes/ecash/bank_keys.h"

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
#define ECASH_OWNER_LEN 32         /* a coin's owner key: Ed25519 public key */
#define ECASH_OWNER_SK_LEN 64      /* its secret (libsodium's seed || public key) */
#define ECASH_OWNER_SEED_LEN 32
#define ECASH_OWNER_SIG_LEN 64
/* Entries a stored revocation list (a wallet's file, a vendor's cache) may
 * hold when decoded: a bound on one client's memory (about 2.7 GB), far
 * above any list the bank serves (it travels in pages, rl_pages.h, and is
 * pruned of keys that can no longer sign a claim on a live coin). */
#define ECASH_REVOKED_MAX (1u << 26)
/* Registrations per directory block: the bank answers the block of this many
 * consecutive registrations holding a key, the widest ring (§4.1.1). */
#define ECASH_DIRECTORY_SPAN ECASH_RING_MAX
#define ECASH_KEYS_PER_ACCOUNT 4   /* live (unexpired, unrevoked) keys one account may hold */

/* The bank's certificate on a customer's (or merchant's) key: σ3. */
struct ecash_cert {
	uint8_t key[ECASH_KEY_DER_MAX]; /* DER SubjectPublicKeyInfo */
	size_t key_len;
	int64_t account; /* the issuer account the key is linked to */
	int64_t issued, expiry;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* An e-cash coin m with the bank's signature σ0. Its owner key says who may
 * make its first claim; after that it travels by its chain of claims
 * (§3.5.6). A coin issued before owner keys existed has none (has_owner
 * false): its bytes are the v1 form, and merchants no longer take it. */
struct ecash_coin {
	uint8_t serial[ECASH_SERIAL_LEN];
	struct obol_amount value;
	int64_t issued, expiry;
	uint8_t owner[ECASH_OWNER_LEN];
	bool has_owner;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* One signed claim σ2. With one certificate it is a plain RSA-PSS signature by
 * that key; with two or more it is a ring signature over their keys (§4.3.2).
 * The first claim on an owned coin also carries the owner's signature over
 * the same bytes. sig_len 0 (and no owner signature) is a claim whose
 * signatures are still to come (a payment's first message, merchant.h).
 * certs and sig are heap-owned (ecash_claim_clear). */
struct ecash_claim {
	uint8_t payee[ECASH_ID_LEN]; /* M_ID: the receiving merchant's key id */
	int64_t ts;                   /* the payer's timestamp */
	struct ecash_cert *certs;
	size_t ncerts;
	uint8_t *sig;
	size_t sig_len;
	uint8_t owner_sig[ECASH_OWNER_SIG_LEN];
	bool has_owner_sig;
};

/* A coin as it travels: m, σ0 and its chain of claims (empty in the wallet
 * that withdrew it). The last claim names the current holder. */
struct ecash_held_coin {
	struct ecash_coin coin;
	struct ecash_claim chain[ECASH_CHAIN_MAX];
	size_t nchain;
};

/* A revoked key and when its revocation took effect. */
struct ecash_revoked {
	uint8_t id[ECASH_ID_LEN];
	int64_t at;
};

/* The bank's revocation list as a client holds it, put together from the
 * bank-signed pages it checked (rl_pages.h), cached by merchants and
 * wallets. A key revoked at `at` signs nothing valid from then on; what it
 * signed before stays good (ecash_cert_verify, ecash_cert_verify_claim). */
struct ecash_revocations {
	bool held;      /* a list was fetched (or loaded): else none is known */
	int64_t issued; /* its version: complete for revocations up to this time */
	int64_t whole_at; /* the version of its last whole fetch (rl_pages.h) */
	struct ecash_revoked *keys; /* heap, ids sorted ascending */
	size_t n;
};

/* One registration in the directory: the certificate and its place in the
 * order of registration (seq: 0 for the bank's first). */
struct ecash_dir_entry {
	uint64_t seq;
	struct ecash_cert cert;
};

/* The bank's signed directory block of registrations [first, first + span),
 * the live certificates among them, from which a wallet takes its ring
 * (§4.1.1, ecash_ring_pick). */
struct ecash_directory {
	int64_t issued;
	uint64_t first, span;
	struct ecash_dir_entry *e; /* heap, seq ascending */
	size_t n;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};

/* Verification policy shared by merchants and the bank. */
struct ecash_policy {
	int64_t max_skew;      /* seconds a claim timestamp may differ from now (merchant) */
	size_t ring_min, ring_max;
	unsigned min_key_bits; /* customer keys shorter than this are refused */
	/* A received coin is taken on (a transfer) only while its first claim
	 * is younger than this (half the bank's deposit window; 0: no limit):
	 * after the window, the first payer may exchange a payment its payee
	 * never deposited (bank.h), and the coin would be worth nothing. */
	int64_t transfer_max_age;
	/* A merchant takes a claim only while its revocation list covers the
	 * claim's time: ts < the list's issue + max_skew. The bank honours a
	 * claim made up to max_skew after its signer's revocation (verify.c);
	 * a key revoked after the list was issued is unknown to the merchant,
	 * so a later claim it signed (or a ring it is in) may be refused at
	 * deposit, and the merchant would have given its receipt for nothing.
	 * Set for the receiving wallet, which refreshes its list when needed
	 * (ecash_wallet_receive); false: the list's age is not checked. */
	bool list_covers_claims;
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
void ecash_bytes_i64(struct ecash_bytes *b, int64_t v);                 /* 8 bytes big-endian, bare */
void ecash_bytes_free(struct ecash_bytes *b);
/* OBOL_E_NO_MEMORY (and b freed) when a put failed. */
OBOL_MUST_CHECK obol_err ecash_bytes_done(struct ecash_bytes *b);

OBOL_MUST_CHECK obol_err ecash_coin_bytes(const struct ecash_coin *c, struct ecash_bytes *out);
void ecash_coin_digest(const struct ecash_coin *c, uint8_t out[static OBOL_HASH_LEN]);
OBOL_MUST_CHECK obol_err ecash_cert_bytes(const struct ecash_cert *c, struct ecash_bytes *out);
void ecash_cert_digest(const struct ecash_cert *c, uint8_t out[static OBOL_HASH_LEN]);
/* What the payer (and, on a first claim, the coin's owner key) signs for
 * claim `c` on `coin` after the claim whose link is prev_digest (zeros for
 * the first claim). */
OBOL_MUST_CHECK obol_err ecash_claim_bytes(const struct ecash_coin *coin, const struct ecash_claim *c,
					   const uint8_t prev_digest[static OBOL_HASH_LEN],
					   struct ecash_bytes *out);
/* The link of a claim into the next one: H(claim bytes || signature). */
OBOL_MUST_CHECK obol_err ecash_claim_digest(const struct ecash_coin *coin, const struct ecash_claim *c,
					    const uint8_t prev_digest[static OBOL_HASH_LEN],
					    uint8_t out[static OBOL_HASH_LEN]);
/* The link of a held coin's last claim (zeros for a coin without claims). */
OBOL_MUST_CHECK obol_err ecash_chain_digest(const struct ecash_held_coin *h, uint8_t out[static OBOL_HASH_LEN]);
OBOL_MUST_CHECK obol_err ecash_nonce_bytes(const uint8_t nonce[static ECASH_NONCE_LEN],
					   const uint8_t merchant[static ECASH_ID_LEN], struct ecash_bytes *out);
/* What a customer signs to answer a bank nonce: registration (digest NULL),
 * top-up (digest over the ordered coins), deposit, refund, exchange (over
 * the coins brought and the request's terms). */
OBOL_MUST_CHECK obol_err ecash_bank_nonce_bytes(const char *purpose, const uint8_t nonce[static ECASH_NONCE_LEN],
						const uint8_t *digest, struct ecash_bytes *out);

/* ---- signing and verification of single objects ---- */

OBOL_MUST_CHECK obol_err ecash_sign_bytes(EVP_PKEY *sk, const struct ecash_bytes *b, uint8_t sig[static ECASH_SIG_MAX],
					  size_t *sig_len);
/* σ0 by the bank key of `bank` in use at the coin's issue (bank_keys.h):
 * ECASH_BANK_KEY_UNKNOWN when none was, ECASH_COIN_SIGNATURE when it does
 * not verify. */
OBOL_MUST_CHECK obol_err ecash_coin_verify(const struct ecash_bank_keys *bank, const struct ecash_coin *c);
/* Whether a coin (σ0 verified) is taken at now by its bank key's windows:
 * OK, ECASH_BANK_KEY_RETIRED (past accept_until: refund it),
 * ECASH_BANK_KEY_ENDED (past legal_end), ECASH_BANK_KEY_UNKNOWN. */
OBOL_MUST_CHECK obol_err ecash_coin_accepted(const struct ecash_bank_keys *bank, const struct ecash_coin *c,
					     int64_t now);
/* Whether it is refunded at now: OK before its key's legal_end,
 * ECASH_BANK_KEY_ENDED after, ECASH_BANK_KEY_UNKNOWN. */
OBOL_MUST_CHECK obol_err ecash_coin_refunded(const struct ecash_bank_keys *bank, const struct ecash_coin *c,
					     int64_t now);

/* σ3 for an act at the verifier's own clock `now` (a payer's key at the
 * merchant, a request's key at the bank): the bank's signature by its key
 * in use at the certificate's issue (ECASH_BANK_KEY_UNKNOWN when none was),
 * that bank key's acceptance at now (ECASH_BANK_KEY_RETIRED, _ENDED), the
 * key's strength, validity at now (ECASH_CERT_EXPIRED) and the revocation
 * list (rl may be NULL): revoked at or before now is ECASH_KEY_REVOKED. */
OBOL_MUST_CHECK obol_err ecash_cert_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_cert *c,
					   const struct ecash_revocations *rl, const struct ecash_policy *pol,
					   int64_t now);
/* σ3 for a claim judged by its signed time ts: as above at ts, but a claim
 * made before the key's revocation took effect, allowing the clock skew
 * merchants tolerate (ts < revoked + max_skew), stays good: a payer revoked
 * after an honest payment does not cost its payee the payment. */
/* σ3 of a requester that brings its own coins back (deposit, refund,
 * exchange: the bank's coins_auth): the bank's signature as above, the
 * key's strength, issued by now, and its bank key before its legal end at
 * now (ECASH_BANK_KEY_ENDED); neither the certificate's expiry nor its bank
 * key's acceptance is asked: a holder keeps its claim to its money.
 * Revocation is the caller's check. */
OBOL_MUST_CHECK obol_err ecash_cert_verify_holder(const struct ecash_bank_keys *bank, const struct ecash_cert *c,
						  const struct ecash_policy *pol, int64_t now);
OBOL_MUST_CHECK obol_err ecash_cert_verify_claim(const struct ecash_bank_keys *bank_pk, const struct ecash_cert *c,
						 const struct ecash_revocations *rl, const struct ecash_policy *pol,
						 int64_t ts);

/* A signer set (one certificate, or a ring): its size within policy
 * (ECASH_RING_SIZE), distinct keys (ECASH_RING_DUPLICATE), and every
 * certificate (σ3) valid (§4.3.2 step 4): at the verifier's clock `when`
 * (claim false), or for a claim signed at `when` (claim true). */
OBOL_MUST_CHECK obol_err ecash_signers_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_cert *certs, size_t n,
					      const struct ecash_revocations *rl, const struct ecash_policy *pol,
					      int64_t when, bool claim);

/* Flags of ecash_chain_verify. */
enum {
	/* The last claim's signatures are still to come (the first message of
	 * a payment): everything else of it is checked. */
	ECASH_CHAIN_LAST_UNSIGNED = 1,
};
/* Verifies the whole chain of a held coin: σ0, every claim's certificates
 * (σ3, at the claim's time), every σ2 over the link to the previous claim,
 * the owner's signature on the first claim of an owned coin
 * (ECASH_OWNER_SIGNATURE; none on later claims), that each claim after the
 * first is a plain signature by the previous claim's payee
 * (ECASH_CHAIN_BROKEN, ECASH_RING_NOT_FIRST), ring sizes, distinct ring
 * members, and timestamps inside the coin's life that never go backwards.
 * Freshness, payee and registries are the merchant's and the bank's own
 * checks. When `digest` is not NULL it receives the last claim's link
 * (zeros for no claim). */
OBOL_MUST_CHECK obol_err ecash_chain_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_held_coin *h,
					    const struct ecash_revocations *rl, const struct ecash_policy *pol,
					    unsigned flags, uint8_t *digest);

/* A claim to make (ecash_claim_make). */
struct ecash_claim_req {
	const uint8_t *payee; /* ECASH_ID_LEN bytes: whom the coin goes to */
	int64_t ts;
	EVP_PKEY *sk;                /* the signer's private key */
	const struct ecash_cert *cert; /* plain signer: its certificate (ring NULL) */
	const struct ecash_cert *ring; /* or ring[0..nring), ring[signer] being sk's */
	size_t nring, signer;
	/* The coin owner's secret key: required for the first claim on an owned
	 * coin, and refused for any other (ECASH_OWNER_SIGNATURE). */
	const uint8_t *owner_sk; /* ECASH_OWNER_SK_LEN bytes or NULL */
};
/* Makes a claim on h and appends it to h->chain (nothing changes on error). */
OBOL_MUST_CHECK obol_err ecash_claim_make(struct ecash_held_coin *h, const struct ecash_claim_req *req);

/* Signs or verifies bytes as a plain signer (n == 1) or a ring (n >= 2) of
 * certified keys. Verification failures are `bad` (the caller's named
 * error); legacy_ring also accepts a ring signature of obol's first ring
 * cipher (claims on coins issued before owner keys, ringsig.h). */
OBOL_MUST_CHECK obol_err ecash_group_sign(const struct ecash_cert *certs, size_t n, size_t signer, EVP_PKEY *sk,
					  const struct ecash_bytes *msg, uint8_t **sig, size_t *sig_len);
OBOL_MUST_CHECK obol_err ecash_group_verify(const struct ecash_cert *certs, size_t n, const struct ecash_bytes *msg,
					    const uint8_t *sig, size_t sig_len, obol_err bad, bool legacy_ring);

/* The coin owner's signature over a claim's bytes (context "ecash-owner"). */
void ecash_owner_sign(const uint8_t sk[static ECASH_OWNER_SK_LEN], const struct ecash_bytes *claim,
		      uint8_t sig[static ECASH_OWNER_SIG_LEN]);
OBOL_MUST_CHECK obol_err ecash_owner_verify(const uint8_t pk[static ECASH_OWNER_LEN], const struct ecash_bytes *claim,
					    const uint8_t sig[static ECASH_OWNER_SIG_LEN]);
/* Draws an owner key pair (pk into pk, secret into sk: wipe it after use). */
void ecash_owner_keypair(uint8_t pk[static ECASH_OWNER_LEN], uint8_t sk[static ECASH_OWNER_SK_LEN]);

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

/* Whether id is on the list; *at (may be NULL) is when its revocation took
 * effect. */
bool ecash_revoked(const struct ecash_revocations *rl, const uint8_t id[static ECASH_ID_LEN], int64_t *at);
/* Sorts the entries by id and keeps the earliest time of a repeated id. */
void ecash_revocations_sort(struct ecash_revocations *rl);
OBOL_MUST_CHECK obol_err ecash_directory_bytes(const struct ecash_directory *d, struct ecash_bytes *out);
/* Under any key of bank_pk (a block is signed by the key in use when it was
 * served). */
OBOL_MUST_CHECK obol_err ecash_directory_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_directory *d);

#endif
