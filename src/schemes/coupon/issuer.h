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

#include "crypto/ed25519_signer.h"
#include "schemes/coupon/messages.h"

struct coupon_issuer {
	const struct coupon_denom *denoms; /* with private keys */
	size_t ndenoms;
	const struct obol_box_keypair *box;        /* opens sealed authorisations */
	const struct obol_box_opener *opener;      /* or this, when set (a signing process) */
	/* When set, blind signatures are made by it (the issuer's signing
	 * process holds the keys; each denomination's key is then public). */
	obol_err (*blind_sign)(void *ctx, const struct coupon_denom *d, const uint8_t *blinded, size_t len,
			       uint8_t *sig, size_t cap, size_t *sig_len);
	void *blind_sign_ctx;
	uint8_t sign_pk[OBOL_SIGN_PK_LEN];         /* master key: verifies C */
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
 * Checks the denomination (known, valid_from <= now <= withdraw_until) and the blinded
 * message's length, then blind-signs (RFC 9474 §4.3). The shell debits M from
 * the account in the same unit of work that records the withdrawal, and sends
 * the answer only after that commit. Errors: COUPON_DENOM_UNKNOWN,
 * COUPON_WITHDRAW_NOT_YET, COUPON_WITHDRAW_CLOSED, COUPON_BLINDED_LENGTH. */
OBOL_MUST_CHECK obol_err coupon_issuer_withdraw(const struct coupon_issuer *is, const struct coupon_withdraw_req *req,
						int64_t now, struct coupon_withdraw_reply *out,
						const struct coupon_denom **denom);

/* ---- the holder proof (P7: nobody learns the state of a coin it does not hold) ----
 * F says something about a coin's state (its index, that it is locked or
 * spent) only to a request whose token proves the holder: a token nobody has
 * shown F yet, i.e. one below F's last index. With F's last index `last`
 * and token `last_token` (n and the coin id for a coin F has not seen), the
 * token t at index q proves the holder when
 *   q < last, last - q <= COUPON_PROOF_SPAN and H^(last-q)(t) = last_token,
 * or, for a coin spent to its end (last = 0), q = 0 and t = last_token (its
 * seed, known only to the holder and the vendor that took it). Every call
 * hashes exactly COUPON_PROOF_SPAN times and compares in constant time, so
 * the time a refusal takes says nothing about where the coin stands. */
bool coupon_holder_proof(uint64_t last, const uint8_t last_token[static COUPON_ID_LEN], uint64_t q,
			 const uint8_t token[static COUPON_ID_LEN]);

/* F's last index and token of a coin: from cur, or, for a coin F has not
 * seen (cur NULL), the denomination's n and the coin id. */
void coupon_coin_view(const struct coupon_coin_state *cur, const struct coupon_denom *d,
		      const uint8_t coin_id[static COUPON_ID_LEN], uint64_t *last,
		      uint8_t last_token[static COUPON_ID_LEN]);

/* A holder proof checked ahead, on the request thread after a read of the
 * coin (one hash for the coin's next token, COUPON_PROOF_SPAN for any
 * other, which must not hold up the group commit); it stands inside the
 * transaction only while the coin's last index and token are still the
 * ones it was checked against. */
struct coupon_proof_checked {
	uint64_t last_index;
	uint8_t last_token[COUPON_ID_LEN];
	bool proven;
};

/* ---- lock (DESIGN §5 step 4) ---- */
struct coupon_lock_checked {
	const struct coupon_denom *denom;
	struct coupon_cert cert;
	struct coupon_auth auth;             /* the opened box: holds the token; wipe */
	uint8_t auth_hash[COUPON_ID_LEN];    /* H(box): names the lock instance */
	/* A refusal that only time brought (COUPON_DENOM_EXPIRED,
	 * COUPON_CERT_EXPIRED, COUPON_DEADLINE_PAST), found with every other
	 * check passed: it refuses a new lock, not a repeat of the lock F made
	 * for this very request (coupon_issuer_lock_apply), whose first answer
	 * a vendor that lost it is still owed. OBOL_OK for none. */
	obol_err lapsed;
};
/* The stateless checks, in this order: denomination known and spendable
 * (COUPON_DENOM_UNKNOWN, COUPON_DENOM_EXPIRED); the coin's signature under
 * the denomination's key (COUPON_COIN_SIGNATURE); C signed by F and valid
 * (COUPON_CERT_INVALID, COUPON_CERT_EXPIRED); V's signature over the request
 * under C's key (COUPON_VENDOR_SIGNATURE); the box opens
 * (COUPON_AUTH_UNREADABLE) and names this coin, this C and this T
 * (COUPON_AUTH_WRONG_COIN, _WRONG_VENDOR, _WRONG_DEADLINE); T in the future
 * (COUPON_DEADLINE_PAST) and within policy: T <= now + lock_max_s, C's
 * validity and the denomination's spend-until (COUPON_DEADLINE_TOO_FAR).
 * The first refusal in this order is returned. When it is one of time's
 * (spend-until, C's validity, T) and every other check passed, it is also
 * kept in out->lapsed, with out filled as for OBOL_OK: the caller may then
 * still answer a repeat (coupon_issuer_lock_apply), and must wipe
 * out->auth. */
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
	/* With COUPON_INDEX_MISMATCH, COUPON_COIN_LOCKED or COUPON_COIN_SPENT to a
	 * proven holder: the refusal to sign (coupon_issuer_sign_refusal) and
	 * send, so the wallet may act on it. */
	struct coupon_refusal refusal;
	bool has_refusal;
	struct coupon_lock_reply reply; /* unsigned: sign with coupon_issuer_sign_lock_reply */
};
/* The holder proof of the lock's token against cur (see above), as read
 * before the unit. */
void coupon_issuer_lock_proof(const struct coupon_issuer *is, const struct coupon_lock_checked *chk,
			      const struct coupon_coin_state *cur, struct coupon_proof_checked *out);
/* The stateful checks against cur (NULL for a coin F has never seen):
 *   a repeat of the current lock (same box, same C) answers the same,
 *   also when chk->lapsed (T or C passed since: the lost answer is owed);
 *   otherwise chk->lapsed, when set, is the answer, unsigned (pre may be
 *   NULL then: no token is judged);
 *   a coin registered under another denomination (COUPON_DENOM_MISMATCH);
 *   the token is the coin's next one: p = F's last index - 1 and H(token) =
 *   F's last token (n - 1 and the coin id for a new coin). Then the coin has
 *   tokens left (COUPON_COIN_SPENT) and no lock holds it before its T
 *   (COUPON_COIN_LOCKED); otherwise it is locked.
 * Any other token is judged by its holder proof, which pre must carry
 * (checked against the same last index and token: else
 * COUPON_STATE_MOVED, and the caller reads the coin, checks it with
 * coupon_issuer_lock_proof and runs this again: the issuer's shell turns it
 * into a STORE_CONFLICT of this unit alone, retried by the one retry policy
 * with its pre-check redone): a proven holder gets COUPON_INDEX_MISMATCH (or
 * COUPON_COIN_SPENT) naming F's last index, anyone else
 * COUPON_TOKEN_NOT_IN_CHAIN, which says nothing about the coin. Every
 * refusal here comes with a refusal to sign, bound to the request's box;
 * only those to a proven holder name the coin's state. */
OBOL_MUST_CHECK obol_err coupon_issuer_lock_apply(const struct coupon_issuer *is, const struct coupon_lock_req *req,
						  const struct coupon_lock_checked *chk,
						  const struct coupon_coin_state *cur,
						  const struct coupon_proof_checked *pre, int64_t now,
						  struct coupon_lock_effect *out);
/* The issuer's answers are signed by its online key through signer
 * (crypto/ed25519_signer.h); the signer's error when it signs nothing. */
OBOL_MUST_CHECK obol_err coupon_issuer_sign_lock_reply(const struct obol_ed25519_signer *signer,
						       struct coupon_lock_reply *r,
						       const uint8_t cert_hash[static COUPON_ID_LEN]);
/* Signs a refusal for the request with C's hash (zeros for a refund) and box hash. */
OBOL_MUST_CHECK obol_err coupon_issuer_sign_refusal(const struct obol_ed25519_signer *signer, struct coupon_refusal *r,
						    const uint8_t cert_hash[static COUPON_ID_LEN],
						    const uint8_t box_hash[static COUPON_ID_LEN]);

/* ---- settle and checkpoint-settle (DESIGN §5 step 6) ---- */
/* Whether C is the lock holder of the coin: a lock is recorded and C is the
 * certificate it was made under, or a renewal of it (another C of the same
 * vendor signing key and account, src/issuer/vendors.h): a vendor that
 * renewed its certificate while a coin was locked to it still settles it. */
bool coupon_lock_holder(const struct coupon_coin_state *cur, const struct coupon_cert *cert);
/* Verifies C's signature (not its validity: a vendor whose certificate
 * lapsed after the lock is still owed its tokens) and V's signature over the
 * request: COUPON_CERT_INVALID, COUPON_VENDOR_SIGNATURE. */
OBOL_MUST_CHECK obol_err coupon_issuer_settle_verify(const struct coupon_issuer *is, const struct coupon_settle_req *req,
						     struct coupon_cert *cert);

/* A settle F already answered, found by the shell under (coin id, lock, j,
 * H(C), keep): a repeated settle answers the same and credits nothing. */
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
	struct coupon_settle_record record; /* store under (coin id, lock, j, H(C), keep) */
	struct coupon_settle_reply reply;   /* unsigned: sign with coupon_issuer_sign_settle_reply */
};
/* The chain link of a settle checked ahead, outside the transaction and
 * without holding a database connection: the token hashes to last_token in
 * last_index - j steps. */
struct coupon_chain_checked {
	uint64_t last_index;
	uint8_t last_token[COUPON_ID_LEN];
};
/* Checks req's chain link against a coin state read before the
 * transaction: COUPON_SETTLE_INDEX (j above the last index),
 * COUPON_SETTLE_SPAN (more than COUPON_SETTLE_SPAN_MAX tokens below it:
 * refused before any hashing, so one request costs at most that many
 * hashes), COUPON_SETTLE_NOT_IN_CHAIN. */
OBOL_MUST_CHECK obol_err coupon_issuer_settle_chain(const struct coupon_issuer *is, const struct coupon_settle_req *req,
						    const struct coupon_coin_state *cur,
						    struct coupon_chain_checked *out);

/* Checks, in order: F knows the coin (COUPON_COIN_UNKNOWN); a recorded
 * answer (prior) is a repeat; the coin is locked for this C
 * (COUPON_NOT_LOCK_HOLDER; a lock past its T still belongs to its vendor
 * until another vendor locks the coin); the lock is the one the settle names
 * (COUPON_LOCK_ENDED: a late settle of an earlier lock of the same vendor
 * never ends a later one); j <= F's last index (COUPON_SETTLE_INDEX); at
 * most COUPON_SETTLE_SPAN_MAX tokens (COUPON_SETTLE_SPAN);
 * H^(last-j)(token) == F's last token (COUPON_SETTLE_NOT_IN_CHAIN; with pre,
 * the link checked ahead stands only if the coin's last token is still the
 * one it was checked against, else STORE_CONFLICT: read and check again).
 * Then it credits the tokens from the lock's start to j, the lock token
 * included (credited_index - j of them), stores the token, unlocks unless
 * keep, and the coin is spent when j = 0. A settle that names no lock
 * (queued by a vendor before locks were named) is judged as before, by C. */
OBOL_MUST_CHECK obol_err coupon_issuer_settle_apply(const struct coupon_issuer *is, const struct coupon_settle_req *req,
						    const struct coupon_cert *cert,
						    const struct coupon_coin_state *cur,
						    const struct coupon_settle_record *prior,
						    const struct coupon_chain_checked *pre,
						    struct coupon_settle_effect *out);
OBOL_MUST_CHECK obol_err coupon_issuer_sign_settle_reply(const struct obol_ed25519_signer *signer,
							 struct coupon_settle_reply *r,
							 const uint8_t cert_hash[static COUPON_ID_LEN]);

/* ---- coin status, for the vendor holding the lock ----
 * COUPON_CERT_INVALID, COUPON_VENDOR_SIGNATURE, COUPON_REQUEST_STALE (time
 * more than COUPON_STATUS_SKEW_S from now), COUPON_COIN_UNKNOWN,
 * COUPON_NOT_LOCK_HOLDER. The answer names the lock (H of its box), so a
 * vendor that lost track of a lock it asked for can recognise it. */
OBOL_MUST_CHECK obol_err coupon_issuer_status(const struct coupon_issuer *is, const struct coupon_status_req *req,
					      const struct coupon_coin_state *cur, int64_t now,
					      struct coupon_status_reply *out);

/* ---- coin status, for the holder (POST /coupon/coin-status) ----
 * Opens the query (COUPON_AUTH_UNREADABLE) and checks that it names a
 * denomination (COUPON_DENOM_UNKNOWN, whatever the coin); *query_hash is
 * H(box), which the answer repeats. */
OBOL_MUST_CHECK obol_err coupon_issuer_query_open(const struct coupon_issuer *is,
						  const struct coupon_coin_status_req *req, struct coupon_query *out,
						  uint8_t query_hash[static COUPON_ID_LEN]);
/* Answers it against cur (NULL: F has not seen the coin) when the token
 * proves the holder, else COUPON_TOKEN_NOT_IN_CHAIN (the same answer for a
 * junk token, a token above the last index and a coin F has not seen); a
 * proven holder of a coin registered under another denomination gets
 * COUPON_DENOM_MISMATCH. Costs COUPON_PROOF_SPAN hashes: run it outside any
 * transaction. The shell seals *out under q->reply_key. */
OBOL_MUST_CHECK obol_err coupon_issuer_query_answer(const struct coupon_issuer *is, const struct coupon_query *q,
						    const uint8_t query_hash[static COUPON_ID_LEN],
						    const struct coupon_coin_state *cur, struct coupon_coin_status *out);

/* ---- refund after spend-until (seed 000 §3: the rest of a coin must not be
 * lost to the issuer) ----
 * The holder shows the coin and its next unrevealed token, sealed with the
 * account to credit; F credits the coin's rest there once. This ends the
 * coin's anonymity: F links the account to the coin id, and so to every lock
 * and settle of that coin. */
struct coupon_refund_checked {
	const struct coupon_denom *denom;
	struct coupon_refund_auth auth;      /* holds the token; wipe */
	uint8_t box_hash[COUPON_ID_LEN];
};
/* Stateless checks, in order: the denomination is known
 * (COUPON_DENOM_UNKNOWN) and past its spend-until (COUPON_REFUND_EARLY: until
 * then the coin is spent, not refunded, and no lock can outlive it) but not
 * past its legal end (COUPON_REFUND_LEGAL_END: the issuer's promise to
 * refund coins under the key ends there, docs/operations.md); the
 * coin's signature (COUPON_COIN_SIGNATURE); the box opens
 * (COUPON_AUTH_UNREADABLE), names this coin (COUPON_AUTH_WRONG_COIN) and the
 * authenticated account (COUPON_REFUND_ACCOUNT). */
OBOL_MUST_CHECK obol_err coupon_issuer_refund_verify(const struct coupon_issuer *is, const struct coupon_refund_req *req,
						     int64_t account, int64_t now, struct coupon_refund_checked *out);

struct coupon_refund_effect {
	struct coupon_coin_state next; /* store this (insert when cur was NULL) */
	uint64_t expired_credit_tokens; /* the lapsed lock's holder is credited these first */
	int64_t expired_vendor_account;
	uint64_t refund_tokens;         /* then the account these: p + 1 */
	struct obol_amount refund;
	struct coupon_refusal refusal;  /* as for the lock; H(C) is zeros */
	bool has_refusal;
	struct coupon_refund_reply reply; /* unsigned: sign with coupon_issuer_sign_refund_reply */
};
void coupon_issuer_refund_proof(const struct coupon_issuer *is, const struct coupon_refund_checked *chk,
				const struct coupon_coin_state *cur, struct coupon_proof_checked *out);
/* Against cur (NULL: never locked, the whole coin is refunded): the
 * denomination it was registered with (COUPON_DENOM_MISMATCH); the token is
 * the next one (p = last - 1, H(token) = last token), else the holder proof
 * in pre decides between a signed COUPON_INDEX_MISMATCH and
 * COUPON_TOKEN_NOT_IN_CHAIN (COUPON_STATE_MOVED without a current pre); nothing
 * left (COUPON_COIN_SPENT, signed). Then a lapsed lock's holder is credited
 * the tokens F knows of, the account p + 1 tokens, and the coin owes nothing
 * more (credited index 0, unlocked): a second refund, lock or settle of it
 * is refused. */
OBOL_MUST_CHECK obol_err coupon_issuer_refund_apply(const struct coupon_issuer *is,
						    const struct coupon_refund_checked *chk,
						    const struct coupon_coin_state *cur,
						    const struct coupon_proof_checked *pre, int64_t now,
						    struct coupon_refund_effect *out);
OBOL_MUST_CHECK obol_err coupon_issuer_sign_refund_reply(const struct obol_ed25519_signer *signer,
							 struct coupon_refund_reply *r);

#endif
