/* The coupon scheme at the issuer F (seed 000/001 §4.1, §4.2; DESIGN §5),
 * free of I/O: each function takes the parsed request, the coin's stored
 * state and `now`, and returns the answer and the state to store. The shell
 * (src/issuer/coupon_*.c) reads and writes the state with compare-and-set
 * and posts the ledger entries the effects name.
 *
 * Each operation is split in two: a stateless `verify` (signatures, the
 * sealed box: the expensive part, run on any thread) and a stateful `apply`
 * (checks against the stored coin: cheap, run inside the transaction). */
#ifndef OBOL_SCHEMES_COUPON_ISSUER_H
#define OBOL_SCHEMES_COUPON_ISSUER_H

#include <stdbool.h>
#include <stdint.h>

#include "schemes/coupon/messages.h"

struct coupon_issuer {
	const struct coupon_denom *denoms; /* with private keys */
	size_t ndenoms;
	const struct obol_box_keypair *box;        /* opens sealed authorisations */
	uint8_t sign_pk[OBOL_SIGN_PK_LEN];         /* master key: verifies C */
	const uint8_t *sign_sk;                    /* OBOL_SIGN_SK_LEN: signs answers */
	coupon_cert_open_fn cert_open;
	int64_t lock_max_s;                        /* policy: T <= now + lock_max_s */
};

const struct coupon_denom *coupon_issuer_denom(const struct coupon_issuer *is, uint64_t id);

/* What F stores per coin, keyed by coin id (the coin is unknown to F until
 * its first lock: the withdrawal was blind). Tokens with index in
 * [credited_index, n) have been credited to vendors; the coin still owes
 * credited_index tokens of M/n. */
struct coupon_coin_state {
	uint8_t coin_id[COUPON_ID_LEN];
	uint32_t denom;
	uint64_t last_index;               /* index of the last token F knows */
	uint8_t last_token[COUPON_ID_LEN]; /* H^last_index(S) */
	uint64_t credited_index;
	bool locked;                       /* a lock is recorded (it may have passed its T) */
	uint8_t lock_cert_hash[COUPON_ID_LEN];
	uint8_t lock_vendor_pk[OBOL_SIGN_PK_LEN];
	int64_t lock_vendor_account;
	int64_t lock_until;                /* T */
	uint8_t lock_auth_hash[COUPON_ID_LEN]; /* H(sealed box) of the lock, for retries */
	int64_t version;                   /* bumped by every change: compare-and-set */
};

/* ---- withdraw (seed §4.1 second phase) ----
 * Checks the denomination (known, now <= withdraw_until) and the blinded
 * message's length, then blind-signs (RFC 9474 §4.3). The shell debits M from
 * the account in the same unit of work that records the withdrawal, and sends
 * the answer only after that commit. Errors: COUPON_DENOM_UNKNOWN,
 * COUPON_WITHDRAW_CLOSED, COUPON_BLINDED_LENGTH. */
OBOL_MUST_CHECK obol_err coupon_issuer_withdraw(const struct coupon_issuer *is, const struct coupon_withdraw_req *req,
						int64_t now, struct coupon_withdraw_reply *out,
						const struct coupon_denom **denom);

/* ---- lock (DESIGN §5 step 4) ---- */
struct coupon_lock_checked {
	const struct coupon_denom *denom;
	struct coupon_cert cert;
	struct coupon_auth auth;             /* the opened box: holds the token; wipe */
	uint8_t auth_hash[COUPON_ID_LEN];
};
/* The stateless checks, in this order: denomination known and spendable
 * (COUPON_DENOM_UNKNOWN, COUPON_DENOM_EXPIRED); the coin's signature under
 * the denomination's key (COUPON_COIN_SIGNATURE); C signed by F and valid
 * (COUPON_CERT_INVALID, COUPON_CERT_EXPIRED); V's signature over the request
 * under C's key (COUPON_VENDOR_SIGNATURE); the box opens
 * (COUPON_AUTH_UNREADABLE) and names this coin, this C and this T
 * (COUPON_AUTH_WRONG_COIN, _WRONG_VENDOR, _WRONG_DEADLINE); T in the future
 * (COUPON_DEADLINE_PAST) and within policy: T <= now + lock_max_s, C's
 * validity and the denomination's spend-until (COUPON_DEADLINE_TOO_FAR). */
OBOL_MUST_CHECK obol_err coupon_issuer_lock_verify(const struct coupon_issuer *is, const struct coupon_lock_req *req,
						   int64_t now, struct coupon_lock_checked *out);

struct coupon_lock_effect {
	struct coupon_coin_state next; /* store this (insert when cur was NULL) */
	bool repeat;                   /* the same lock again: nothing to store */
	/* A lock whose T passed is replaced: its holder is first credited the
	 * tokens F knows and has not credited (every revealed token is money to
	 * the vendor holding the lock). */
	uint64_t expired_credit_tokens;
	int64_t expired_vendor_account;
	uint64_t last_index;           /* on COUPON_INDEX_MISMATCH: F's last index, for the wallet to resync */
	struct coupon_lock_reply reply; /* unsigned: sign with coupon_issuer_sign_lock_reply */
};
/* The stateful checks against cur (NULL for a coin F has never seen): a
 * repeat of the current lock (same box, same C) answers the same; the coin
 * has tokens left (COUPON_COIN_SPENT); p is one below F's last index, n-1 for
 * a new coin (COUPON_INDEX_MISMATCH, effect->last_index set; checked before
 * the hash so a wallet that lost track learns where to resync);
 * H(token) equals F's last token, or the coin id for a new coin
 * (COUPON_TOKEN_NOT_IN_CHAIN); no lock of another or the same vendor holds
 * the coin before its T (COUPON_COIN_LOCKED). */
OBOL_MUST_CHECK obol_err coupon_issuer_lock_apply(const struct coupon_issuer *is, const struct coupon_lock_req *req,
						  const struct coupon_lock_checked *chk,
						  const struct coupon_coin_state *cur, int64_t now,
						  struct coupon_lock_effect *out);
void coupon_issuer_sign_lock_reply(const struct coupon_issuer *is, struct coupon_lock_reply *r,
				   const uint8_t cert_hash[static COUPON_ID_LEN]);

/* ---- settle and checkpoint-settle (DESIGN §5 step 6) ---- */
/* Verifies C's signature (not its validity: a vendor whose certificate
 * lapsed after the lock is still owed its tokens) and V's signature over the
 * request: COUPON_CERT_INVALID, COUPON_VENDOR_SIGNATURE. */
OBOL_MUST_CHECK obol_err coupon_issuer_settle_verify(const struct coupon_issuer *is, const struct coupon_settle_req *req,
						     struct coupon_cert *cert);

/* A settle F already answered, found by the shell under (coin id, j, H(C),
 * keep): a repeated settle answers the same and credits nothing. */
struct coupon_settle_record {
	uint64_t credited_tokens;
	bool locked, spent;
};

struct coupon_settle_effect {
	struct coupon_coin_state next;
	bool repeat;                   /* answered from the record: store nothing */
	uint64_t credit_tokens;        /* credit V (cur->lock_vendor_account) this many tokens */
	struct obol_amount credit;     /* = credit_tokens * M/n */
	int64_t vendor_account;
	struct coupon_settle_record record; /* store under (coin id, j, H(C), keep) */
	struct coupon_settle_reply reply;   /* unsigned: sign with coupon_issuer_sign_settle_reply */
};
/* The chain link of a settle checked ahead, outside the transaction (it may
 * cost up to n hashes, which must not hold up the group commit): the token
 * hashes to last_token in last_index - j steps. */
struct coupon_chain_checked {
	uint64_t last_index;
	uint8_t last_token[COUPON_ID_LEN];
};
/* Checks req's chain link against a coin state read before the
 * transaction: COUPON_SETTLE_INDEX, COUPON_SETTLE_NOT_IN_CHAIN. */
OBOL_MUST_CHECK obol_err coupon_issuer_settle_chain(const struct coupon_issuer *is, const struct coupon_settle_req *req,
						    const struct coupon_coin_state *cur,
						    struct coupon_chain_checked *out);

/* Checks, in order: F knows the coin (COUPON_COIN_UNKNOWN); a recorded
 * answer (prior) is a repeat; the coin is locked for this C
 * (COUPON_NOT_LOCK_HOLDER; a lock past its T still belongs to its vendor
 * until another vendor locks the coin); j <= F's last index
 * (COUPON_SETTLE_INDEX); H^(last-j)(token) == F's last token
 * (COUPON_SETTLE_NOT_IN_CHAIN; with pre, the link checked ahead stands only
 * if the coin's last token is still the one it was checked against, else
 * STORE_CONFLICT: read and check again). Then it credits the tokens from the lock's
 * start to j, the lock token included (credited_index - j of them), stores
 * the token, unlocks unless keep, and the coin is spent when j = 0. */
OBOL_MUST_CHECK obol_err coupon_issuer_settle_apply(const struct coupon_issuer *is, const struct coupon_settle_req *req,
						    const struct coupon_cert *cert,
						    const struct coupon_coin_state *cur,
						    const struct coupon_settle_record *prior,
						    const struct coupon_chain_checked *pre,
						    struct coupon_settle_effect *out);
void coupon_issuer_sign_settle_reply(const struct coupon_issuer *is, struct coupon_settle_reply *r,
				     const uint8_t cert_hash[static COUPON_ID_LEN]);

/* ---- coin status, for the vendor holding the lock ----
 * COUPON_CERT_INVALID, COUPON_VENDOR_SIGNATURE, COUPON_REQUEST_STALE (time
 * more than COUPON_STATUS_SKEW_S from now), COUPON_COIN_UNKNOWN,
 * COUPON_NOT_LOCK_HOLDER. */
OBOL_MUST_CHECK obol_err coupon_issuer_status(const struct coupon_issuer *is, const struct coupon_status_req *req,
					      const struct coupon_coin_state *cur, int64_t now,
					      struct coupon_status_reply *out);

#endif
