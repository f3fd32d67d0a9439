/* The bank's keys as every verifier holds them (docs/protocol.md "Scheme
 * ecash", "Bank keys"): the bank key rotates, so coins, certificates,
 * revocation pages and directory blocks are signed by the key usable when
 * they were signed, and verified under the set of bank keys the master
 * announced (kind ECASH_BANK, key_announce.h), each with its windows:
 *
 *   valid_from <= t < use_until   the key signs at t (the latest to begin
 *                                 of those usable at t: the successor takes
 *                                 over when its window begins)
 *   now < accept_until            coins and certificates it signed are taken
 *                                 (payment, transfer, deposit, exchange)
 *   now < legal_end               coins it signed are refunded
 *
 * Coins and certificates carry the time they were signed (issued, signed
 * by the bank): the key that signed one is the key of the set usable at
 * that time, found without trying keys. Lists (revocation pages, directory
 * blocks) are verified under every key of the set. A set made of one key
 * with no windows (ecash_bank_keys_one) is the bank of an issuer before its
 * first key ceremony, and what a client holds that knows only GET /keys
 * "ecash"."bank_key".
 *
 * Pure: no I/O. */
#ifndef OBOL_SCHEMES_ECASH_BANK_KEYS_H
#define OBOL_SCHEMES_ECASH_BANK_KEYS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define ECASH_BANK_KEYS_MAX 8 /* live bank keys: about legal_end / use of a key */

struct ecash_bank_key {
	EVP_PKEY *pk; /* a reference the set holds (the private key in a bank that signs itself) */
	uint8_t id[32]; /* ECASH_ID_LEN: SHA-256 of the DER public key */
	int64_t valid_from, use_until, accept_until, legal_end;
};
struct ecash_bank_keys {
	struct ecash_bank_key k[ECASH_BANK_KEYS_MAX];
	size_t n;
};

/* An empty set. */
void ecash_bank_keys_init(struct ecash_bank_keys *s);
/* Adds pk (the set takes a new reference) with its windows; a key already
 * in the set (same id) is not added again. WIRE_OVERSIZED when full,
 * KEY_INVALID for windows out of order (valid_from < use_until <=
 * accept_until <= legal_end). */
OBOL_MUST_CHECK obol_err ecash_bank_keys_add(struct ecash_bank_keys *s, EVP_PKEY *pk, int64_t valid_from,
					     int64_t use_until, int64_t accept_until, int64_t legal_end);
/* The set of the one key pk with no windows (always usable, accepted,
 * refunded). */
OBOL_MUST_CHECK obol_err ecash_bank_keys_one(struct ecash_bank_keys *s, EVP_PKEY *pk);
/* Adds pk with its windows (as ecash_bank_keys_add) while other threads
 * read the set: the new entry is written whole before the count that shows
 * it (release; every reader of this file loads the count with acquire), and
 * no entry is changed or removed. One writer at a time (the caller's lock).
 * WIRE_OVERSIZED when full (restart the process: a load keeps only the live
 * keys). */
OBOL_MUST_CHECK obol_err ecash_bank_keys_append(struct ecash_bank_keys *s, EVP_PKEY *pk, int64_t valid_from,
						int64_t use_until, int64_t accept_until, int64_t legal_end);
/* Appends (ecash_bank_keys_append) every key of src that s lacks, as a
 * public key only when public_only. *added counts them. */
OBOL_MUST_CHECK obol_err ecash_bank_keys_merge(struct ecash_bank_keys *s, const struct ecash_bank_keys *src,
					       bool public_only, size_t *added);
/* Releases the set's references; the set is then empty. */
void ecash_bank_keys_clear(struct ecash_bank_keys *s);
/* A copy of src in dst (new references; dst is overwritten, not cleared). */
OBOL_MUST_CHECK obol_err ecash_bank_keys_copy(struct ecash_bank_keys *dst, const struct ecash_bank_keys *src);

/* The key that signs at t: of those with valid_from <= t < use_until, the
 * one that began last; NULL when none. */
const struct ecash_bank_key *ecash_bank_keys_at(const struct ecash_bank_keys *s, int64_t t);
/* The key of the set with this id, or NULL. */
const struct ecash_bank_key *ecash_bank_keys_find(const struct ecash_bank_keys *s, const uint8_t id[static 32]);

/* Whether what k signed is taken at now: OK before accept_until,
 * ECASH_BANK_KEY_RETIRED after it (refund it) until legal_end,
 * ECASH_BANK_KEY_ENDED from then. */
OBOL_MUST_CHECK obol_err ecash_bank_key_accepts(const struct ecash_bank_key *k, int64_t now);
/* Whether a coin k signed is refunded at now: OK before legal_end, else
 * ECASH_BANK_KEY_ENDED. */
OBOL_MUST_CHECK obol_err ecash_bank_key_refunds(const struct ecash_bank_key *k, int64_t now);

/* Verifies an RSA-PSS signature over msg by the key of s usable at t:
 * ECASH_BANK_KEY_UNKNOWN when no key of s is, `bad` when it does not
 * verify. *out (may be NULL) is the key. */
OBOL_MUST_CHECK obol_err ecash_bank_keys_verify_at(const struct ecash_bank_keys *s, int64_t t, const uint8_t *msg,
						   size_t len, const uint8_t *sig, size_t sig_len, obol_err bad,
						   const struct ecash_bank_key **out);
/* Verifies it under each key of s in turn (lists, whose signing time is not
 * in their bytes): `bad` when none verifies it (ECASH_BANK_KEY_UNKNOWN for
 * an empty set). */
OBOL_MUST_CHECK obol_err ecash_bank_keys_verify_any(const struct ecash_bank_keys *s, const uint8_t *msg, size_t len,
						    const uint8_t *sig, size_t sig_len, obol_err bad);

struct obol_key_set;
/* The bank keys of currency among the verified announcements of set (kind
 * ECASH_BANK; a key a revocation of set names is left out), added to *out
 * with their announced windows. *found is how many (0: the issuer
 * announces no bank key; the caller falls back on GET /keys "bank_key"). */
OBOL_MUST_CHECK obol_err ecash_bank_keys_from_announced(struct ecash_bank_keys *out, const struct obol_key_set *set,
							const char *currency, size_t *found);

/* The bank keys a verified GET /keys document lists (keys: its "keys"
 * object, as obol_keys_doc_verify returns it, so master_pk and currency are
 * the pinned issuer's): the ECASH_BANK announcements, verified under its
 * master_pk, with their windows. An issuer that announces none yet: with
 * first_contact, its "ecash"."bank_key" alone with no windows (what a
 * client pins when it first meets the issuer, as before announcements);
 * without, none (*out empty: a bank key the master did not announce is
 * never taken on later). *out is initialised here (ecash_bank_keys_clear
 * it). KEYS_INVALID when an announcement does not verify, or a first
 * contact finds no key at all. */
OBOL_MUST_CHECK obol_err ecash_bank_keys_from_doc(const json_t *keys, bool first_contact, struct ecash_bank_keys *out);

#endif
