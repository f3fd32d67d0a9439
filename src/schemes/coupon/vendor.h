/* The coupon scheme at the vendor V (DESIGN §5 steps 1, 3, 5, 6; seed
 * 000/001 §4.2): one session per wallet connection, as a state machine free
 * of I/O. The shell (src/vendor/coupon*.c) moves the frames, talks to F, and
 * keeps one promise the core cannot: after coupon_vendor_on_token returns OK
 * the token is stored durably before coupon_vendor_next is called, because
 * next is what grants a unit of service.
 *
 *   START --BUY--> OFFERED --PAY--> LOCKING --F's lock answer--> ACTIVE
 *   ACTIVE: next() -> ASK (TOKEN_REQ) | SERVE (SERVED) | END
 *   ASKING --TOKEN--> ACTIVE;  ASKING --PAY (current coin used up)--> LOCKING
 *   any --END--> ENDED: settle every coin locked in the session.
 */
#ifndef OBOL_SCHEMES_COUPON_VENDOR_H
#define OBOL_SCHEMES_COUPON_VENDOR_H

#include <stdbool.h>
#include <stdint.h>

#include "schemes/coupon/messages.h"

#define COUPON_SESSION_COINS_MAX 16
/* Most tokens one TOKEN_REQ asks for, and most tokens between checkpoints:
 * then a settle claims fewer than two of these since the last one (within
 * COUPON_SETTLE_SPAN_MAX), and a lapsed lock holds fewer unsettled than a
 * holder proof reaches (COUPON_PROOF_SPAN). */
#define COUPON_VENDOR_ASK_MAX 8192

struct coupon_vendor_cfg {
	const uint8_t *cert; /* C as the issuer encoded it */
	size_t cert_len;
	uint8_t cert_hash[COUPON_ID_LEN];
	const uint8_t *sign_sk;                /* V's Ed25519 key, OBOL_SIGN_SK_LEN */
	uint8_t issuer_pk[OBOL_SIGN_PK_LEN];   /* the master key: verifies F's answers, signed
						* by it or an online key it announced */
	const struct coupon_denom *denoms;     /* public keys, from GET /keys */
	size_t ndenoms;
	struct obol_amount price;              /* per unit of service */
	int64_t lock_s;                        /* T = now + lock_s */
	int64_t margin_s;                      /* stop serving this long before T, to settle in time */
	/* Checkpoint settles (keep the lock, credit what came so far): after
	 * this many tokens (at most COUPON_VENDOR_ASK_MAX; 0 = that most) and
	 * after this many seconds with tokens not checkpointed (0 = never by
	 * time), so a crash or a lapsed T loses little. */
	uint64_t checkpoint_tokens;
	int64_t checkpoint_s;
};

enum coupon_vendor_state {
	COUPON_VS_START,
	COUPON_VS_OFFERED,
	COUPON_VS_LOCKING,
	COUPON_VS_ACTIVE,
	COUPON_VS_ASKING,
	COUPON_VS_ENDED,
};

/* One coin locked in the session: what V holds and will settle. */
struct coupon_vendor_coin {
	uint8_t coin_id[COUPON_ID_LEN];
	uint32_t denom;
	struct obol_amount token_value;
	uint64_t lock_index;                  /* p */
	uint64_t last_index;                  /* j of the last token received */
	uint8_t last_token[COUPON_ID_LEN];
	uint8_t lock[COUPON_ID_LEN];          /* H(sealed box): the lock instance, named by its settles */
	bool has_lock;                        /* false only for coins locked before locks were named */
	uint64_t checkpoint_index;            /* the last checkpoint's index (the lock's at first) */
	int64_t checkpoint_at;                /* and its time (the shell's clock) */
	bool settled;
};

struct coupon_vendor_session {
	enum coupon_vendor_state state;
	int64_t deadline;                 /* T */
	uint64_t units_wanted, units_served;
	uint64_t ahead;                   /* units the wallet lets V ask for at once */
	struct obol_amount paid;          /* value of tokens received, lock tokens included */
	struct obol_amount consumed;      /* units_served * price */
	uint64_t asked;                   /* tokens asked and not yet received */
	struct coupon_vendor_coin coins[COUPON_SESSION_COINS_MAX];
	size_t ncoins;
	struct coupon_lock_req lock;      /* the lock in flight (LOCKING) */
	struct coupon_coin pending_coin;
	uint8_t pending_lock[COUPON_ID_LEN]; /* H(box) of the lock in flight */
};

/* BUY -> OFFER (step 1: C and T). COUPON_PRICE when units or ahead is out
 * of range. */
OBOL_MUST_CHECK obol_err coupon_vendor_start(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
					     const struct coupon_buy *buy, int64_t now, struct coupon_offer *offer);

/* PAY -> the signed lock request for F (step 3). Accepted in OFFERED, or in
 * ASKING when the session's current coin has no tokens left. Checks the
 * coin's denomination and signature locally first (COUPON_DENOM_UNKNOWN;
 * COUPON_DENOM_EXPIRED when T is past the key's spend-until, its
 * acceptance; COUPON_COIN_SIGNATURE), refuses a coin already in the session
 * (COUPON_SESSION_STATE), and COUPON_SESSION_DEADLINE near T. */
OBOL_MUST_CHECK obol_err coupon_vendor_on_pay(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
					      const struct coupon_pay *pay, int64_t now, struct coupon_lock_req *req);

/* F's lock answer: checks F's signature and that it answers this request's
 * coin and T (COUPON_LOCK_REPLY_INVALID). The lock token counts as paid; the
 * coin remembers its lock (H of the box) for its settles. The reply is
 * relayed to the wallet as LOCKED. */
OBOL_MUST_CHECK obol_err coupon_vendor_on_lock_reply(const struct coupon_vendor_cfg *cfg,
						     struct coupon_vendor_session *s,
						     const struct coupon_lock_reply *reply);
/* F refused the lock: back to the state before PAY, so the wallet may offer
 * another coin. */
void coupon_vendor_on_lock_refused(struct coupon_vendor_session *s);

enum coupon_vendor_action {
	COUPON_VA_ASK,   /* send TOKEN_REQ (req filled) */
	COUPON_VA_SERVE, /* serve one unit and send SERVED (served->unit filled; the shell adds data) */
	COUPON_VA_END,   /* all units served, or T too close: send RECEIPT and settle */
};
/* The next step of an ACTIVE session. Granting SERVE counts the unit as
 * served; call it only once every token received is durable. ASK asks for
 * the tokens of up to `ahead` units (no more than the units left, the coin
 * holds, or COUPON_VENDOR_ASK_MAX). A session within margin_s of T ends (the
 * shell reports COUPON_SESSION_DEADLINE). */
OBOL_MUST_CHECK obol_err coupon_vendor_next(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
					    int64_t now, enum coupon_vendor_action *act,
					    struct coupon_token_req *req, struct coupon_served *served);

/* TOKEN (step 5): in ASKING and not within margin_s of T
 * (COUPON_SESSION_DEADLINE: the vendor takes no token it would not serve);
 * j below the last index (COUPON_TOKEN_REPLAYED), at most the tokens asked
 * (COUPON_TOKEN_TOO_MANY), and H^(last-j)(token) == last token
 * (COUPON_TOKEN_NOT_IN_CHAIN). On OK the coin's last token moves to j and
 * the session is ACTIVE again; *coin says which coin of the session to store
 * durably. */
OBOL_MUST_CHECK obol_err coupon_vendor_on_token(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
						const struct coupon_token *tok, int64_t now, size_t *coin);

/* Ends the session (END from the wallet, or next() said END): fills the
 * receipt. Each coin of the session is then settled with
 * coupon_vendor_settle_req. */
void coupon_vendor_end(struct coupon_vendor_session *s, struct coupon_receipt *r);

/* The signed settle request for one coin (step 6); keep = checkpoint. It
 * names the coin's lock when the coin knows it. */
void coupon_vendor_settle_req(const struct coupon_vendor_cfg *cfg, const struct coupon_vendor_coin *c, bool keep,
			      struct coupon_settle_req *req);

/* The signed status request for a coin (POST /coupon/status: the lock
 * holder asks where a coin it locked stands). */
void coupon_vendor_status_req(const struct coupon_vendor_cfg *cfg, const uint8_t coin_id[static COUPON_ID_LEN],
			      int64_t now, struct coupon_status_req *req);

/* Whether a coin whose last checkpoint (or lock) stands at checkpoint_index,
 * taken at checkpoint_at, is due for a checkpoint settle now that its last
 * token is at last_index: cfg->checkpoint_tokens tokens since, or
 * cfg->checkpoint_s seconds with at least one token since. */
bool coupon_vendor_checkpoint_due(const struct coupon_vendor_cfg *cfg, uint64_t checkpoint_index,
				  int64_t checkpoint_at, uint64_t last_index, int64_t now);
/* Whether a coin locked until T must be settled now (T - margin_s reached),
 * whatever its session and link are doing. */
bool coupon_vendor_settle_due(const struct coupon_vendor_cfg *cfg, int64_t deadline, int64_t now);
/* Checks F's settle answer against the request: F's signature, coin, index,
 * keep and lock (COUPON_SETTLE_REPLY_INVALID). */
OBOL_MUST_CHECK obol_err coupon_vendor_check_settle_reply(const struct coupon_vendor_cfg *cfg,
							  const struct coupon_settle_req *req,
							  const struct coupon_settle_reply *reply);

#endif
