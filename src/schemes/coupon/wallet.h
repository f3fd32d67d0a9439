/* The coupon scheme at the wallet U (seed 000/001 §4.1, §4.2, §5; DESIGN §5
 * steps 2 and 5), free of I/O: withdrawal (blind, unblind, verify), the
 * payment session (check C and T, choose the coin and index, seal the
 * authorisation, reveal tokens through the hash-chain traversal, resync from
 * the issuer's answer), and coin selection across several coins.
 *
 * The shell (src/cli/cmd_wallet_coupon.c) keeps the coins in the sealed
 * wallet file and writes it before it sends a PAY (the coin may be locked
 * from then on) and at the end of a session. */
#ifndef OBOL_SCHEMES_COUPON_WALLET_H
#define OBOL_SCHEMES_COUPON_WALLET_H

#include <stdbool.h>
#include <stdint.h>

#include "schemes/coupon/messages.h"

/* A coin in the wallet. seed is the secret S; everything else is public. */
struct coupon_wallet_coin {
	struct coupon_coin coin;
	uint8_t seed[OBOL_HASH_LEN];
	uint64_t n;
	uint64_t last_index;   /* the lowest index revealed: the coin still holds last_index tokens */
	int64_t locked_until;  /* the last lock this wallet authorised holds the coin until then... */
	bool lock_open;        /* ...unless its session ended with a receipt (the vendor settles then) */
	/* A refusal the wallet could not trust (unsigned, or naming no state)
	 * spoke of this coin: nothing of it was changed, and the issuer can tell
	 * where it stands (coupon_wallet_query_*, `obol wallet sync`). */
	bool in_doubt;
	/* The chain traversal where the last payment left it (saved form,
	 * obol_hashchain_trav_serialise; secret): the next payment goes on from
	 * there instead of hashing the chain again from S. 0 bytes: none yet. */
	uint8_t trav[OBOL_HASHCHAIN_TRAV_SER_MAX];
	size_t trav_len;
};

/* What the wallet knows of the issuer (from GET /keys) and its own policy. */
struct coupon_wallet_cfg {
	/* the master key: its signature or that of an online key it announced,
	 * acceptable now, verifies the issuer's replies (common/issuer_sig.h) */
	uint8_t issuer_pk[OBOL_SIGN_PK_LEN];
	uint8_t issuer_box_pk[OBOL_BOX_PK_LEN];
	coupon_cert_open_fn cert_open;
	const struct coupon_denom *denoms; /* public keys */
	size_t ndenoms;
	int64_t max_lock_s;                /* refuse a T further away than this */
};

/* ---- withdraw (seed §4.1: blind coin generation, removal of the blind factor) ---- */
struct coupon_withdraw_pending {
	uint32_t denom;
	uint64_t n;
	uint8_t seed[OBOL_HASH_LEN];       /* secret */
	uint8_t coin_id[COUPON_ID_LEN];
	uint8_t prefix[OBOL_BLINDRSA_PREFIX_LEN];
	struct obol_blindrsa_state blind;  /* secret */
};
/* Draws S, computes H^n(S), prepares (RFC 9474 §4.1, randomized) and blinds
 * "obol coupon v1" || denom || H^n(S). COUPON_WITHDRAW_NOT_YET or
 * COUPON_WITHDRAW_CLOSED when the denomination's key does not issue at now. */
OBOL_MUST_CHECK obol_err coupon_wallet_withdraw_prepare(const struct coupon_denom *d, int64_t now,
							struct coupon_withdraw_pending *p,
							struct coupon_withdraw_req *req);
/* Unblinds and verifies the issuer's answer (BLIND_SIGNATURE_INVALID when it
 * does not verify); fills a fresh coin and wipes the pending state. */
OBOL_MUST_CHECK obol_err coupon_wallet_withdraw_finalize(const struct coupon_denom *d,
							 struct coupon_withdraw_pending *p,
							 const struct coupon_withdraw_reply *r,
							 struct coupon_wallet_coin *coin);
void coupon_wallet_pending_wipe(struct coupon_withdraw_pending *p);

/* ---- coin management (seed §5 "a coin management system ... would
 * optimize the choice and strategies of coin spending") ----
 * Chooses coins to pay `amount` before deadline T at now: only coins with
 * tokens left, of a known denomination in amount's currency, spendable until
 * T, and not held by an open lock. When one coin covers the amount it takes
 * the one with the least value that does (the leftover stays small and whole
 * coins stay whole; a coin already opened wins a tie); otherwise it takes the
 * largest coins until the amount is covered, then swaps the last for the
 * smallest coin that still covers the rest (fewest locks, least leftover).
 * COUPON_NO_COIN when all usable coins together do not cover it. */
OBOL_MUST_CHECK obol_err coupon_wallet_select(const struct coupon_wallet_cfg *cfg,
					      const struct coupon_wallet_coin *coins, size_t ncoins,
					      const struct obol_amount *amount, int64_t deadline, int64_t now,
					      size_t *plan, size_t plan_cap, size_t *nplan);

/* Value still in a coin: last_index * M/n. */
OBOL_MUST_CHECK obol_err coupon_wallet_coin_value(const struct coupon_wallet_cfg *cfg,
						  const struct coupon_wallet_coin *c, struct obol_amount *out);

/* ---- the payment session ---- */
enum coupon_wallet_state {
	COUPON_WS_START,
	COUPON_WS_WAIT_OFFER,
	COUPON_WS_LOCKING,
	COUPON_WS_PAYING,
	COUPON_WS_DONE,
};

#define COUPON_WALLET_PLAN_MAX 16

/* What the payer asks for, and the limits it sets. The core enforces them
 * (P2): whatever the vendor reports, the wallet reveals no token past the
 * maximum amount, and none that starts beyond the units times the price it
 * accepted (so it pays that amount rounded up to one token at most). */
struct coupon_wallet_order {
	uint64_t units;                /* units to buy; 0: as many as budget pays at the offered price */
	struct obol_amount budget;     /* with units 0 */
	uint64_t ahead;                /* prepayment window, in units (1..COUPON_AHEAD_MAX; 0 = 1) */
	bool has_max_price;            /* refuse an offer above this price per unit: COUPON_OVER_MAX_PRICE */
	struct obol_amount max_price;
	bool has_max_amount;           /* never reveal tokens worth more than this: COUPON_OVER_MAX_AMOUNT */
	struct obol_amount max_amount;
};

struct coupon_wallet_session {
	enum coupon_wallet_state state;
	struct coupon_wallet_order order;
	uint64_t units_wanted, units_received;
	uint64_t ahead;                      /* the prepayment window offered in BUY */
	int64_t deadline;
	struct obol_amount price;
	struct obol_amount agreed;           /* units_wanted * price, fixed at the offer */
	struct obol_amount revealed;         /* tokens revealed in the session, lock tokens included */
	struct coupon_cert cert;
	size_t plan[COUPON_WALLET_PLAN_MAX]; /* indexes into the wallet's coins */
	size_t nplan, next_plan;
	size_t coin;                         /* the coin being spent */
	uint64_t lock_index;                 /* p of the PAY in flight */
	uint8_t pay_box[COUPON_ID_LEN];      /* H(sealed box) of the PAY in flight: F's refusals name it */
	unsigned resyncs;
	bool trav_ready;
	struct obol_hashchain_trav trav;     /* secret: wipe with coupon_wallet_session_wipe */
	size_t used[COUPON_WALLET_PLAN_MAX]; /* coins locked in this session */
	size_t nused;
	size_t skipped[COUPON_WALLET_PLAN_MAX]; /* coins refused in this session: not offered again */
	size_t nskipped;
};

void coupon_wallet_session_wipe(struct coupon_wallet_session *s);

/* Starts a session: BUY for order->units (or, with units 0, for up to
 * COUPON_UNITS_MAX: the wallet buys what the budget pays and ends it), with
 * the order's prepayment window. COUPON_PRICE for units or a budget out of
 * range, a window above COUPON_AHEAD_MAX, or limits of another currency. */
OBOL_MUST_CHECK obol_err coupon_wallet_order_start(struct coupon_wallet_session *s,
						   const struct coupon_wallet_order *order, struct coupon_buy *buy);
/* The same for `units` units, one unit ahead, no limits beyond them. */
OBOL_MUST_CHECK obol_err coupon_wallet_buy(struct coupon_wallet_session *s, uint64_t units, struct coupon_buy *buy);
/* The same for as many units as `budget` pays at the offered price. */
OBOL_MUST_CHECK obol_err coupon_wallet_buy_amount(struct coupon_wallet_session *s, const struct obol_amount *budget,
						  struct coupon_buy *buy);

/* OFFER (step 2): checks C (issuer-signed, valid: COUPON_OFFER_CERT), T (in
 * the future: COUPON_DEADLINE_PAST; within cfg->max_lock_s:
 * COUPON_DEADLINE_TOO_FAR), the units (COUPON_PRICE), the price against the
 * order's maximum (COUPON_OVER_MAX_PRICE) and units * price against its
 * maximum amount (COUPON_OVER_MAX_AMOUNT), before anything is revealed; then
 * fixes the amount agreed, chooses coins for it and pays with the first: PAY
 * with the sealed authorisation for p = last - 1, whose lock token counts as
 * revealed from then on. */
OBOL_MUST_CHECK obol_err coupon_wallet_on_offer(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
						struct coupon_wallet_coin *coins, size_t ncoins,
						const struct coupon_offer *offer, int64_t now, struct coupon_pay *pay);

/* LOCKED: F's signed answer relayed by V; checks F's signature, the coin, p
 * and T (COUPON_LOCK_REPLY_INVALID); the coin's index follows F's. */
OBOL_MUST_CHECK obol_err coupon_wallet_on_locked(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
						 struct coupon_wallet_coin *coins, const struct coupon_lock_reply *r);

enum coupon_wallet_answer { COUPON_WA_TOKEN, COUPON_WA_PAY, COUPON_WA_END };
/* TOKEN_REQ (step 5): reveals count more tokens of the current coin (fewer
 * when it has fewer left), or, when it has none left, pays with the next
 * coin of the plan (choosing more coins when the plan is done); END when the
 * vendor reports all the units served. Refused, with nothing revealed: a
 * request for more than `ahead` units' worth (rounded up to a token):
 * COUPON_TOKEN_TOO_MANY; tokens past the order's maximum amount:
 * COUPON_OVER_MAX_AMOUNT; a token that would start beyond the amount agreed
 * (a vendor asking again and again without serving): COUPON_OVER_AGREED. */
OBOL_MUST_CHECK obol_err coupon_wallet_on_token_req(const struct coupon_wallet_cfg *cfg,
						    struct coupon_wallet_session *s,
						    struct coupon_wallet_coin *coins, size_t ncoins,
						    const struct coupon_token_req *req, int64_t now,
						    enum coupon_wallet_answer *ans, struct coupon_token *tok,
						    struct coupon_pay *pay);

void coupon_wallet_on_served(struct coupon_wallet_session *s, const struct coupon_served *m);

/* REFUSED from V while a PAY is in flight. Only a refusal F signed for this
 * very PAY (its box and this C: coupon_refusal) changes the coin, and gives
 * its lock token back to the session's count:
 *   COUPON_INDEX_MISMATCH: the coin resyncs to F's last index and the PAY is
 *   rebuilt (twice at most; then the next coin pays);
 *   COUPON_COIN_LOCKED: the coin is set aside until the lock's T;
 *   COUPON_COIN_SPENT: the coin has nothing left;
 *   COUPON_TOKEN_NOT_IN_CHAIN, COUPON_DENOM_MISMATCH: the coin is in doubt.
 * A refusal of one of these codes without a valid signature changes nothing
 * but in_doubt (the lock token stays counted: the vendor may have locked).
 * In each case the coin is left out of the rest of the session and the next
 * coin pays (*retry, a new PAY in `pay`). Other errors end the session:
 * they are returned. */
OBOL_MUST_CHECK obol_err coupon_wallet_on_error(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
						struct coupon_wallet_coin *coins, size_t ncoins,
						const struct coupon_error *err, int64_t now, bool *retry,
						struct coupon_pay *pay);

/* RECEIPT: the session is over; V settles its coins, so their locks are no
 * longer counted as open. */
void coupon_wallet_on_receipt(struct coupon_wallet_session *s, struct coupon_wallet_coin *coins,
			      const struct coupon_receipt *r);

/* ---- asking the issuer about one of its coins (POST /coupon/coin-status) ----
 * The query is authenticated by the coin: it shows F a token at index q,
 * sealed to F, and F answers only when the token lies at most
 * COUPON_PROOF_SPAN below F's last index (the holder proof). Since the
 * wallet does not know that index (that is the question), it probes windows
 * of COUPON_PROOF_SPAN: first the one just below its own last index, then
 * downwards to 0, then upwards to n. */
struct coupon_wallet_query {
	uint64_t index;                          /* q of this probe */
	uint8_t reply_key[COUPON_REPLY_KEY_LEN]; /* secret: wipe */
	uint8_t query_hash[COUPON_ID_LEN];
};
/* The probe'th query for coin c (probe 0, 1, ...): COUPON_NO_COIN when every
 * window has been tried. Draws a fresh reply key. */
OBOL_MUST_CHECK obol_err coupon_wallet_query_make(const struct coupon_wallet_cfg *cfg,
						  const struct coupon_wallet_coin *c, unsigned probe,
						  struct coupon_wallet_query *q, struct coupon_coin_status_req *req);
/* Opens F's answer (COUPON_STATUS_REPLY_INVALID, also for an answer to
 * another query) and brings the coin in line: its last index becomes F's
 * (a coin F has not seen keeps n), nothing left (F's credited index 0)
 * makes it spent, a lock F reports sets it aside until T. While a lock
 * holds the coin (live or lapsed, not settled), a wallet index below F's
 * stays (it revealed those tokens to the lock's holder, or may have) and
 * the coin stays in doubt; otherwise in_doubt is cleared. *st is F's
 * answer. */
OBOL_MUST_CHECK obol_err coupon_wallet_query_apply(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_coin *c,
						   const struct coupon_wallet_query *q,
						   const struct coupon_coin_status_reply *reply, int64_t now,
						   struct coupon_coin_status *st);

/* ---- refund after spend-until ----
 * The request for coin c's rest, credited to `account`: the coin and the
 * sealed authorisation for its next token p = last - 1. COUPON_REFUND_EARLY
 * before the denomination's spend-until, COUPON_REFUND_LEGAL_END after its
 * legal end (the issuer refuses it then), COUPON_NO_COIN when the coin has
 * nothing left. *box_hash names the request in F's refusals. */
OBOL_MUST_CHECK obol_err coupon_wallet_refund_make(const struct coupon_wallet_cfg *cfg,
						   const struct coupon_wallet_coin *c, uint64_t account, int64_t now,
						   struct coupon_refund_req *req, uint8_t box_hash[static COUPON_ID_LEN]);
/* F's answer: signed by F for this coin, index and account
 * (COUPON_REFUND_REPLY_INVALID); the coin has nothing left. */
OBOL_MUST_CHECK obol_err coupon_wallet_refund_done(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_coin *c,
						   const struct coupon_refund_req *req,
						   const struct coupon_refund_reply *reply);
/* F's refusal of the refund, with its signed detail when it gave one
 * (refusal NULL otherwise): a signed COUPON_INDEX_MISMATCH resyncs the coin
 * (*retry: make the request again), a signed COUPON_COIN_SPENT empties it.
 * Returns the refusal otherwise. */
OBOL_MUST_CHECK obol_err coupon_wallet_refund_refused(const struct coupon_wallet_cfg *cfg,
						      struct coupon_wallet_coin *c, obol_err code,
						      const struct coupon_refusal *refusal,
						      const uint8_t box_hash[static COUPON_ID_LEN], bool *retry);

#endif
