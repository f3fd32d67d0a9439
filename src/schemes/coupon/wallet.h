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
	/* The chain traversal where the last payment left it (saved form,
	 * obol_hashchain_trav_serialise; secret): the next payment goes on from
	 * there instead of hashing the chain again from S. 0 bytes: none yet. */
	uint8_t trav[OBOL_HASHCHAIN_TRAV_SER_MAX];
	size_t trav_len;
};

/* What the wallet knows of the issuer (from GET /keys) and its own policy. */
struct coupon_wallet_cfg {
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
 * "obol coupon v1" || denom || H^n(S). COUPON_WITHDRAW_CLOSED when the
 * denomination no longer issues at now. */
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

struct coupon_wallet_session {
	enum coupon_wallet_state state;
	uint64_t units_wanted, units_received;
	uint64_t ahead;                      /* the prepayment window offered in BUY */
	struct obol_amount budget;           /* coupon_wallet_buy_amount: spend at most this */
	bool has_budget;
	int64_t deadline;
	struct obol_amount price;
	struct coupon_cert cert;
	size_t plan[COUPON_WALLET_PLAN_MAX]; /* indexes into the wallet's coins */
	size_t nplan, next_plan;
	size_t coin;                         /* the coin being spent */
	uint64_t lock_index;                 /* p of the PAY in flight */
	unsigned resyncs;
	bool trav_ready;
	struct obol_hashchain_trav trav;     /* secret: wipe with coupon_wallet_session_wipe */
	size_t used[COUPON_WALLET_PLAN_MAX]; /* coins locked in this session */
	size_t nused;
};

void coupon_wallet_session_wipe(struct coupon_wallet_session *s);

/* Starts a session for `units` units: BUY, with a prepayment window of one
 * unit (set s->ahead and buy->ahead together, up to COUPON_AHEAD_MAX, to let
 * the vendor ask for several units' tokens at once). */
OBOL_MUST_CHECK obol_err coupon_wallet_buy(struct coupon_wallet_session *s, uint64_t units, struct coupon_buy *buy);
/* Starts a session that buys as many units as `budget` pays at the price the
 * vendor offers (BUY for up to COUPON_UNITS_MAX; the wallet ends it). */
OBOL_MUST_CHECK obol_err coupon_wallet_buy_amount(struct coupon_wallet_session *s, const struct obol_amount *budget,
						  struct coupon_buy *buy);

/* OFFER (step 2): checks C (issuer-signed, valid: COUPON_OFFER_CERT), T (in
 * the future: COUPON_DEADLINE_PAST; within cfg->max_lock_s:
 * COUPON_DEADLINE_TOO_FAR), the units (COUPON_PRICE), then chooses coins for units * price
 * and pays with the first: PAY with the sealed authorisation for p = last-1. */
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
 * wallet has all the units it wanted. A request for more than `ahead`
 * units' worth (rounded up to a token) is COUPON_TOKEN_TOO_MANY: the wallet
 * never prepays more than it offered. */
OBOL_MUST_CHECK obol_err coupon_wallet_on_token_req(const struct coupon_wallet_cfg *cfg,
						    struct coupon_wallet_session *s,
						    struct coupon_wallet_coin *coins, size_t ncoins,
						    const struct coupon_token_req *req, int64_t now,
						    enum coupon_wallet_answer *ans, struct coupon_token *tok,
						    struct coupon_pay *pay);

void coupon_wallet_on_served(struct coupon_wallet_session *s, const struct coupon_served *m);

/* ERROR from V while a PAY is in flight. COUPON_INDEX_MISMATCH with F's last
 * index: the coin resyncs to it and the PAY is rebuilt (twice at most);
 * COUPON_COIN_LOCKED: the coin is marked locked and the next coin pays.
 * *retry says a new PAY is in `pay`; otherwise the error is returned. */
OBOL_MUST_CHECK obol_err coupon_wallet_on_error(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
						struct coupon_wallet_coin *coins, size_t ncoins,
						const struct coupon_error *err, int64_t now, bool *retry,
						struct coupon_pay *pay);

/* RECEIPT: the session is over; V settles its coins, so their locks are no
 * longer counted as open. */
void coupon_wallet_on_receipt(struct coupon_wallet_session *s, struct coupon_wallet_coin *coins,
			      const struct coupon_receipt *r);

#endif
