/* The coupon scheme's messages (seed 000/001 §4, DESIGN §5): every message
 * type, its fields, its limits, and the exact bytes each signature and the
 * sealed authorisation cover. Written once here; the device link (CBOR) and
 * the issuer API (JSON) both encode them from the same field specs.
 *
 * docs/protocol.md lists each with the seed step it implements. */
#ifndef OBOL_SCHEMES_COUPON_MESSAGES_H
#define OBOL_SCHEMES_COUPON_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "wire/fields.h"

/* Device link (CBOR frames), one session per connection. The numbers lie in
 * the coupon range the vendor daemon dispatches on (src/net/devlink.h:
 * OBOL_DL_COUPON_MIN 16 .. OBOL_DL_COUPON_MAX 47). Errors travel in the
 * common ERROR frame (type 1), except a refused lock, which the vendor relays
 * as COUPON_MSG_REFUSED so the wallet gets the issuer's last index. */
#define COUPON_MSG_BUY 16       /* U->V: units wanted */
#define COUPON_MSG_OFFER 17     /* V->U: step 1, C and T, price */
#define COUPON_MSG_PAY 18       /* U->V: step 2, coin + sealed authorisation */
#define COUPON_MSG_LOCKED 19    /* V->U: step 4's answer, relayed (index, token, T, F's signature) */
#define COUPON_MSG_TOKEN_REQ 20 /* V->U: step 5, "send count more tokens" */
#define COUPON_MSG_TOKEN 21     /* U->V: step 5, (H^j(S), j) */
#define COUPON_MSG_SERVED 22    /* V->U: one unit of service, after the token is durable */
#define COUPON_MSG_END 23       /* U->V: the wallet wants no more units */
#define COUPON_MSG_RECEIPT 24   /* V->U: session summary; settlement is queued or done */
#define COUPON_MSG_REFUSED 25   /* V->U: F refused the lock: {code, name, last_index?, locked_until?, issuer_sig?} */
#define COUPON_MSG_DL_MIN 16
#define COUPON_MSG_DL_MAX 47
/* Issuer API bodies (JSON over HTTP); numbered for docs/protocol.md only. */
#define COUPON_MSG_WITHDRAW_REQ 0x180   /* U->F POST /coupon/withdraw (account-authenticated) */
#define COUPON_MSG_WITHDRAW_REPLY 0x181
#define COUPON_MSG_LOCK_REQ 0x182       /* V->F POST /coupon/lock, step 3 */
#define COUPON_MSG_LOCK_REPLY 0x183     /* F->V, step 4 */
#define COUPON_MSG_SETTLE_REQ 0x184     /* V->F POST /coupon/settle, step 6 */
#define COUPON_MSG_SETTLE_REPLY 0x185
#define COUPON_MSG_STATUS_REQ 0x186     /* V->F POST /coupon/status (lock holder only) */
#define COUPON_MSG_STATUS_REPLY 0x187
#define COUPON_MSG_COIN_STATUS_REQ 0x188   /* U->F POST /coupon/coin-status (authenticated by the coin itself) */
#define COUPON_MSG_COIN_STATUS_REPLY 0x189
#define COUPON_MSG_REFUND_REQ 0x18a        /* U->F POST /coupon/refund (account-authenticated), after spend-until */
#define COUPON_MSG_REFUND_REPLY 0x18b

/* Limits. */
#define COUPON_ID_LEN OBOL_HASH_LEN          /* coin id H^n(S), tokens, H(C) */
#define COUPON_SIG_MAX OBOL_BLINDRSA_MAX_MODULUS
#define COUPON_CERT_MAX 2048                 /* bytes of an encoded vendor certificate */
#define COUPON_UNITS_MAX (UINT64_C(1) << 20) /* units in one session */
#define COUPON_DATA_MAX 1024                 /* bytes of service data in one SERVED */
#define COUPON_ERRNAME_MAX 63
#define COUPON_DENOM_MAX UINT32_MAX
#define COUPON_LOCK_MAX_S (7 * 86400)        /* no policy may allow a longer lock */
/* A holder proof (coupon_holder_proof in issuer.h) reaches at most this many
 * tokens below the issuer's last index, and always costs this many hashes
 * (a few ms). It covers what a lapsed lock's holder may hold unsettled:
 * less than a checkpoint's worth of tokens plus one ask
 * (COUPON_VENDOR_ASK_MAX, vendor.h). */
#define COUPON_PROOF_SPAN 16384
/* One settle makes the issuer walk at most this many tokens (about 20 ms of
 * hashing); a vendor holding more checkpoints in steps. */
#define COUPON_SETTLE_SPAN_MAX 65536

/* The message the issuer blind-signs (DESIGN §5):
 *   "obol coupon v1" || denom id (4 bytes big-endian) || H^n(S)
 * RFC 9474 RSABSSA-SHA384-PSS-Randomized signs prefix(32) || this message. */
#define COUPON_COIN_TAG "obol coupon v1"
#define COUPON_COIN_MSG_LEN (sizeof(COUPON_COIN_TAG) - 1 + 4 + COUPON_ID_LEN)
void coupon_coin_message(uint8_t out[static COUPON_COIN_MSG_LEN], uint32_t denom,
			 const uint8_t coin_id[static COUPON_ID_LEN]);

/* The sealed authorisation (DESIGN §5 step 2; replaces the seed's
 * (H^(n-m)(S)||T)^e and (H^(n-m)(S)||C)^e): a libsodium sealed box to the
 * issuer's X25519 key over the fixed 116-byte plaintext
 *   "OCA1" | coin id (32) | index p (8, BE) | token H^p(S) (32) | T (8, BE) | H(C) (32)
 */
#define COUPON_AUTH_MAGIC "OCA1"
#define COUPON_AUTH_PLAIN_LEN (4 + 32 + 8 + 32 + 8 + 32)
#define COUPON_AUTH_LEN (COUPON_AUTH_PLAIN_LEN + OBOL_SEALBOX_OVERHEAD)

struct coupon_auth {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t index;
	uint8_t token[COUPON_ID_LEN]; /* secret until the lock: wipe */
	int64_t deadline;
	uint8_t cert_hash[COUPON_ID_LEN];
};
OBOL_MUST_CHECK obol_err coupon_auth_seal(const struct coupon_auth *a, const uint8_t issuer_box_pk[static OBOL_BOX_PK_LEN],
					  uint8_t out[static COUPON_AUTH_LEN]);
/* COUPON_AUTH_UNREADABLE when the box does not open or its plaintext is not
 * of the form above. */
OBOL_MUST_CHECK obol_err coupon_auth_open(const uint8_t box[static COUPON_AUTH_LEN], const struct obol_box_keypair *kp,
					  struct coupon_auth *out);
/* The same through an opener (the issuer's signing process, crypto/seal.h). */
OBOL_MUST_CHECK obol_err coupon_auth_open_by(const uint8_t box[static COUPON_AUTH_LEN], const struct obol_box_opener *by,
						struct coupon_auth *out);

/* The holder's status query (POST /coupon/coin-status), authenticated by the
 * coin itself: a sealed box to the issuer's X25519 key over the 112 bytes
 *   "OCQ1" | coin id (32) | denom (4, BE) | index q (8, BE) | token H^q(S) (32) | reply key (32)
 * The token proves the holder (coupon_holder_proof); the answer is sealed
 * under the reply key, so only the holder reads it. */
#define COUPON_QUERY_MAGIC "OCQ1"
#define COUPON_QUERY_PLAIN_LEN (4 + 32 + 4 + 8 + 32 + 32)
#define COUPON_QUERY_LEN (COUPON_QUERY_PLAIN_LEN + OBOL_SEALBOX_OVERHEAD)
#define COUPON_REPLY_KEY_LEN 32

struct coupon_query {
	uint8_t coin_id[COUPON_ID_LEN];
	uint32_t denom;
	uint64_t index;
	uint8_t token[COUPON_ID_LEN];                /* secret: wipe */
	uint8_t reply_key[COUPON_REPLY_KEY_LEN];     /* secret: wipe */
};
OBOL_MUST_CHECK obol_err coupon_query_seal(const struct coupon_query *q, const uint8_t issuer_box_pk[static OBOL_BOX_PK_LEN],
					   uint8_t out[static COUPON_QUERY_LEN]);
/* COUPON_AUTH_UNREADABLE when the box does not open or is not of this form. */
OBOL_MUST_CHECK obol_err coupon_query_open(const uint8_t box[static COUPON_QUERY_LEN], const struct obol_box_keypair *kp,
					   struct coupon_query *out);
/* The same through an opener (the issuer's signing process, crypto/seal.h). */
OBOL_MUST_CHECK obol_err coupon_query_open_by(const uint8_t box[static COUPON_QUERY_LEN], const struct obol_box_opener *by,
						struct coupon_query *out);

/* The sealed refund authorisation (POST /coupon/refund): a box to the
 * issuer's X25519 key over the 84 bytes
 *   "OCF1" | coin id (32) | index p (8, BE) | token H^p(S) (32) | account (8, BE)
 * p is one below the issuer's last index: the holder proves the coin's next
 * unrevealed token and names the account its rest is credited to. */
#define COUPON_REFUND_MAGIC "OCF1"
#define COUPON_REFUND_PLAIN_LEN (4 + 32 + 8 + 32 + 8)
#define COUPON_REFUND_LEN (COUPON_REFUND_PLAIN_LEN + OBOL_SEALBOX_OVERHEAD)

struct coupon_refund_auth {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t index;
	uint8_t token[COUPON_ID_LEN]; /* secret: wipe */
	uint64_t account;
};
OBOL_MUST_CHECK obol_err coupon_refund_seal(const struct coupon_refund_auth *a,
					    const uint8_t issuer_box_pk[static OBOL_BOX_PK_LEN],
					    uint8_t out[static COUPON_REFUND_LEN]);
OBOL_MUST_CHECK obol_err coupon_refund_open(const uint8_t box[static COUPON_REFUND_LEN], const struct obol_box_keypair *kp,
					    struct coupon_refund_auth *out);
/* The same through an opener (the issuer's signing process, crypto/seal.h). */
OBOL_MUST_CHECK obol_err coupon_refund_open_by(const uint8_t box[static COUPON_REFUND_LEN], const struct obol_box_opener *by,
						struct coupon_refund_auth *out);

/* ---- Device-link messages ---- */

/* ahead: how many units' worth of tokens the vendor may ask in one
 * TOKEN_REQ (the wallet's prepayment window; 1 = pay each unit just before
 * it is served). More per request means fewer durable writes per token. */
#define COUPON_AHEAD_MAX 1024
struct coupon_buy {
	uint64_t units;
	uint64_t ahead;
};

struct coupon_offer {
	uint8_t cert[COUPON_CERT_MAX]; /* the vendor certificate C, as the issuer encoded it */
	size_t cert_len;
	int64_t deadline;              /* T: the coin is locked for V until then */
	struct obol_amount price;      /* per unit of service */
	uint64_t units;                /* units V agrees to serve in this session */
};

/* The signed coin: denomination, coin id H^n(S), the RFC 9474 prefix, the
 * signature. Public. */
struct coupon_coin {
	uint64_t denom;
	uint8_t id[COUPON_ID_LEN];
	uint8_t prefix[OBOL_BLINDRSA_PREFIX_LEN];
	uint8_t sig[COUPON_SIG_MAX];
	size_t sig_len;
};

struct coupon_pay {
	struct coupon_coin coin;
	uint8_t auth[COUPON_AUTH_LEN];
};

/* The issuer's lock answer (step 4), also relayed to the wallet as LOCKED. */
struct coupon_lock_reply {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t index;                /* p: the lock token's index */
	uint8_t token[COUPON_ID_LEN];  /* H^p(S) */
	int64_t deadline;              /* T */
	uint8_t issuer_sig[OBOL_SIGN_LEN];
};

struct coupon_token_req {
	uint64_t count; /* tokens asked */
};

struct coupon_token {
	uint64_t index; /* j */
	uint8_t token[COUPON_ID_LEN];
};

struct coupon_served {
	uint64_t unit;  /* units served so far in this session, these included */
	uint64_t count; /* units served by this frame */
	uint8_t data[COUPON_DATA_MAX];
	size_t data_len;
};

struct coupon_end {
	uint64_t reason; /* 0: done */
};

struct coupon_receipt {
	uint64_t units;            /* units served */
	bool settled;              /* every coin of the session is settled at F already */
	struct obol_amount paid;   /* value of the tokens received, lock tokens included */
	uint64_t coins;            /* coins locked in the session */
};

/* A refusal relayed by V (REFUSED). When the issuer signed it (see struct
 * coupon_refusal) it carries last_index, locked_until and issuer_sig; only
 * then does the wallet change the coin it holds. */
struct coupon_error {
	uint64_t code;
	char name[COUPON_ERRNAME_MAX + 1];
	uint64_t last_index;       /* the issuer's last index */
	bool has_last_index;
	int64_t locked_until;      /* COUPON_COIN_LOCKED: the lock's T */
	bool has_locked_until;
	uint8_t issuer_sig[OBOL_SIGN_LEN];
	bool has_issuer_sig;
};

/* ---- Issuer API bodies ---- */

#define COUPON_REQUEST_ID_MAX 64
struct coupon_withdraw_req {
	char request_id[COUPON_REQUEST_ID_MAX + 1]; /* the client's idempotency key */
	uint64_t denom;
	uint8_t blinded[COUPON_SIG_MAX];
	size_t blinded_len;
};

struct coupon_withdraw_reply {
	uint64_t denom;
	uint8_t blind_sig[COUPON_SIG_MAX];
	size_t blind_sig_len;
};

struct coupon_lock_req {
	struct coupon_coin coin;
	uint8_t auth[COUPON_AUTH_LEN];
	uint8_t cert[COUPON_CERT_MAX];
	size_t cert_len;
	int64_t deadline;
	uint8_t vendor_sig[OBOL_SIGN_LEN];
};

struct coupon_settle_req {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t index;               /* j */
	uint8_t token[COUPON_ID_LEN]; /* H^j(S) */
	bool keep;                    /* checkpoint: keep the lock */
	uint8_t cert[COUPON_CERT_MAX];
	size_t cert_len;
	/* The lock this settle ends or checkpoints: H(sealed box) of its PAY.
	 * Absent only in settles queued before locks were named (legacy). */
	uint8_t lock[COUPON_ID_LEN];
	bool has_lock;
	uint8_t vendor_sig[OBOL_SIGN_LEN];
};

struct coupon_settle_reply {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t index;             /* j */
	uint64_t credited_tokens;   /* tokens credited by this settle (0 on a repeat of nothing new) */
	struct obol_amount credited;
	bool locked;                /* the lock is kept (checkpoint) */
	bool spent;                 /* j = 0: the coin is used up */
	uint8_t lock[COUPON_ID_LEN]; /* as in the request */
	bool has_lock;
	uint8_t issuer_sig[OBOL_SIGN_LEN];
};

struct coupon_status_req {
	uint8_t coin_id[COUPON_ID_LEN];
	uint8_t cert[COUPON_CERT_MAX];
	size_t cert_len;
	int64_t time;               /* the vendor's clock, within COUPON_STATUS_SKEW_S of F's */
	uint8_t vendor_sig[OBOL_SIGN_LEN];
};
#define COUPON_STATUS_SKEW_S 300

struct coupon_status_reply {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t last_index;
	uint8_t last_token[COUPON_ID_LEN];
	uint64_t credited_index;    /* tokens from n down to here are credited */
	bool locked;
	int64_t locked_until;
	bool spent;
	uint8_t lock[COUPON_ID_LEN]; /* H(sealed box) of the lock (the vendor finds a lock it lost track of) */
};

/* The holder's status query and its answer. The answer travels sealed
 * (obol_fileseal under the query's reply key: XChaCha20-Poly1305), which
 * authenticates it: only the issuer opened the query. */
struct coupon_coin_status_req {
	uint8_t box[COUPON_QUERY_LEN];
};
#define COUPON_STATUS_BOX_MAX 512
struct coupon_coin_status_reply {
	uint8_t box[COUPON_STATUS_BOX_MAX];
	size_t box_len;
};
struct coupon_coin_status {
	uint8_t coin_id[COUPON_ID_LEN];
	uint8_t query[COUPON_ID_LEN]; /* H(the query's box): the answer is to that query */
	bool known;                   /* F has seen the coin locked (or refunded) */
	uint64_t last_index;          /* F's last index (n for a coin it has not seen) */
	uint64_t credited_index;      /* 0: nothing left (spent or refunded) */
	bool locked;                  /* a lock holds the coin until locked_until */
	int64_t locked_until;
};
/* The answer's plaintext is the CBOR of coupon_spec_coin_status. */
OBOL_MUST_CHECK obol_err coupon_coin_status_seal(const struct coupon_coin_status *st,
						 const uint8_t key[static COUPON_REPLY_KEY_LEN],
						 struct coupon_coin_status_reply *out);
/* COUPON_STATUS_REPLY_INVALID when it does not open under key or is malformed. */
OBOL_MUST_CHECK obol_err coupon_coin_status_open(const struct coupon_coin_status_reply *r,
						 const uint8_t key[static COUPON_REPLY_KEY_LEN],
						 struct coupon_coin_status *out);

struct coupon_refund_req {
	char request_id[COUPON_REQUEST_ID_MAX + 1];
	struct coupon_coin coin;
	uint8_t box[COUPON_REFUND_LEN];
};

struct coupon_refund_reply {
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t index;             /* p: the token the holder showed */
	uint64_t refunded_tokens;   /* p + 1 */
	struct obol_amount refunded;
	uint64_t account;
	uint8_t issuer_sig[OBOL_SIGN_LEN];
};

/* A message's field spec. Each builder fills `out` (storage the caller owns,
 * COUPON_FIELDS_MAX entries) pointing into msg; the result drives both
 * obol_cbor_* and obol_json_* (wire/fields.h). */
#define COUPON_FIELDS_MAX 12
struct coupon_spec {
	struct obol_field f[COUPON_FIELDS_MAX];
	struct obol_fields fields;
};
void coupon_spec_buy(struct coupon_spec *s, struct coupon_buy *m);
void coupon_spec_offer(struct coupon_spec *s, struct coupon_offer *m);
void coupon_spec_pay(struct coupon_spec *s, struct coupon_pay *m);
void coupon_spec_lock_reply(struct coupon_spec *s, struct coupon_lock_reply *m);
void coupon_spec_token_req(struct coupon_spec *s, struct coupon_token_req *m);
void coupon_spec_token(struct coupon_spec *s, struct coupon_token *m);
void coupon_spec_served(struct coupon_spec *s, struct coupon_served *m);
void coupon_spec_end(struct coupon_spec *s, struct coupon_end *m);
void coupon_spec_receipt(struct coupon_spec *s, struct coupon_receipt *m);
void coupon_spec_error(struct coupon_spec *s, struct coupon_error *m);
void coupon_spec_withdraw_req(struct coupon_spec *s, struct coupon_withdraw_req *m);
void coupon_spec_withdraw_reply(struct coupon_spec *s, struct coupon_withdraw_reply *m);
void coupon_spec_lock_req(struct coupon_spec *s, struct coupon_lock_req *m);
void coupon_spec_settle_req(struct coupon_spec *s, struct coupon_settle_req *m);
void coupon_spec_settle_reply(struct coupon_spec *s, struct coupon_settle_reply *m);
void coupon_spec_status_req(struct coupon_spec *s, struct coupon_status_req *m);
void coupon_spec_status_reply(struct coupon_spec *s, struct coupon_status_reply *m);
void coupon_spec_coin_status_req(struct coupon_spec *s, struct coupon_coin_status_req *m);
void coupon_spec_coin_status_reply(struct coupon_spec *s, struct coupon_coin_status_reply *m);
void coupon_spec_coin_status(struct coupon_spec *s, struct coupon_coin_status *m);
void coupon_spec_refund_req(struct coupon_spec *s, struct coupon_refund_req *m);
void coupon_spec_refund_reply(struct coupon_spec *s, struct coupon_refund_reply *m);

/* Fills an ERROR message for e (with the issuer's last index when known). */
void coupon_error_set(struct coupon_error *m, obol_err e, const uint64_t *last_index);

/* ---- What each signature covers ----
 * Every signature is Ed25519 (crypto/sign.h) under its own context over the
 * SHA-256 of the length-prefixed parts listed (obol_sha256_parts). */
#define COUPON_CTX_LOCK_REQ "coupon-lock"
#define COUPON_CTX_LOCK_REPLY "coupon-lock-reply"
#define COUPON_CTX_SETTLE_REQ "coupon-settle"
#define COUPON_CTX_SETTLE_REPLY "coupon-settle-reply"
#define COUPON_CTX_STATUS_REQ "coupon-status"
#define COUPON_CTX_REFUSAL "coupon-refusal"
#define COUPON_CTX_REFUND_REPLY "coupon-refund-reply"

/* denom | coin id | prefix | coin sig | auth box | H(C) | T */
void coupon_digest_lock_req(uint8_t out[static OBOL_HASH_LEN], const struct coupon_lock_req *m,
			    const uint8_t cert_hash[static COUPON_ID_LEN]);
/* coin id | p | token | T | H(C) */
void coupon_digest_lock_reply(uint8_t out[static OBOL_HASH_LEN], const struct coupon_lock_reply *m,
			      const uint8_t cert_hash[static COUPON_ID_LEN]);
/* coin id | j | token | keep | H(C) [| lock, when named] */
void coupon_digest_settle_req(uint8_t out[static OBOL_HASH_LEN], const struct coupon_settle_req *m,
			      const uint8_t cert_hash[static COUPON_ID_LEN]);
/* coin id | j | credited tokens | credited amount text | locked | spent | H(C) [| lock] */
void coupon_digest_settle_reply(uint8_t out[static OBOL_HASH_LEN], const struct coupon_settle_reply *m,
				const uint8_t cert_hash[static COUPON_ID_LEN]);
/* coin id | H(C) | time */
void coupon_digest_status_req(uint8_t out[static OBOL_HASH_LEN], const struct coupon_status_req *m,
			      const uint8_t cert_hash[static COUPON_ID_LEN]);

/* The issuer's signed refusal of a lock (or refund) that changes what the
 * holder believes of its coin: COUPON_INDEX_MISMATCH (resync to last_index),
 * COUPON_COIN_LOCKED (held until locked_until), COUPON_COIN_SPENT. It is
 * given only to a request whose token proves the holder, and it is bound to
 * that request's sealed box, so it cannot be replayed into another session:
 *   code (8) | coin id | last index (8) | locked until (8) | H(C) | H(box)
 * (H(C) is 32 zero bytes for a refund, which names no vendor). */
struct coupon_refusal {
	uint64_t code;
	uint8_t coin_id[COUPON_ID_LEN];
	uint64_t last_index;
	int64_t locked_until;           /* 0 when not locked */
	uint8_t issuer_sig[OBOL_SIGN_LEN];
};
void coupon_digest_refusal(uint8_t out[static OBOL_HASH_LEN], const struct coupon_refusal *r,
			   const uint8_t cert_hash[static COUPON_ID_LEN], const uint8_t box_hash[static COUPON_ID_LEN]);
/* Whether a refusal of this code names the coin's state (INDEX_MISMATCH,
 * COIN_LOCKED, COIN_SPENT: only to a proven holder); the others carry
 * zeros, and say nothing of the coin. */
bool coupon_refusal_names_state(uint64_t code);
/* The refusal as an error reply's detail: "last_index=L locked_until=T sig=B64"
 * when it names the coin's state, else "sig=B64" (at most
 * OBOL_HTTP_DETAIL_MAX characters), and back (code and coin id come from the
 * error and the request; absent fields are 0). PEER_ERROR when detail is not
 * of this form. */
void coupon_refusal_detail(const struct coupon_refusal *r, char *out, size_t cap);
OBOL_MUST_CHECK obol_err coupon_refusal_from_detail(const char *detail, struct coupon_refusal *r);
/* The refusal as the REFUSED frame's fields (last_index and locked_until
 * only when it names the coin's state), and back (false when the frame
 * carries no signed refusal, or fields its code does not have). */
void coupon_error_from_refusal(struct coupon_error *m, const struct coupon_refusal *r);
bool coupon_refusal_from_error(const struct coupon_error *m, const uint8_t coin_id[static COUPON_ID_LEN],
			       struct coupon_refusal *r);

/* coin id | p | refunded tokens | refunded amount text | account */
void coupon_digest_refund_reply(uint8_t out[static OBOL_HASH_LEN], const struct coupon_refund_reply *m);

/* ---- Denominations and vendor certificates as the scheme sees them ---- */

/* A denomination (DESIGN §4 keys, §5): value M, n tokens of M/n each, its own
 * RSA key (public for wallets and vendors, private at the issuer), windows. */
struct coupon_denom {
	uint32_t id;
	struct obol_amount value;       /* M */
	uint64_t n;                     /* tokens per coin */
	struct obol_amount token_value; /* M / n, exact */
	EVP_PKEY *key;                  /* not owned */
	/* The key's windows (key_announce.h; docs/operations.md "Rotation"):
	 * one (value, n) is a series of keys, each with its own id. */
	int64_t valid_from;             /* first second a coin may be withdrawn */
	int64_t withdraw_until;         /* last second a coin may be withdrawn */
	int64_t spend_until;            /* last second a coin may be locked */
	int64_t legal_end;              /* last second a coin's rest is refunded */
};

/* Checks a denomination's figures (value > 0, 1 <= n <= OBOL_HASHCHAIN_MAX_N,
 * M divisible into n parts, valid_from <= withdraw_until <= spend_until <=
 * legal_end) and sets
 * token_value. COUPON_DENOM_CONFIG otherwise. */
OBOL_MUST_CHECK obol_err coupon_denom_check(struct coupon_denom *d);

/* How many tokens of value tv pay `a`: ceil(a / tv), 0 when a <= 0. */
OBOL_MUST_CHECK obol_err coupon_tokens_for(const struct obol_amount *a, const struct obol_amount *tv, uint64_t *n);

/* What the scheme needs of a vendor certificate C. The encoding and the
 * issuer's signature belong to the platform (struct obol_vendor_cert); the
 * core takes a function that verifies C under the issuer's master key and
 * reads these fields, so it stays free of the platform's code. */
struct coupon_cert {
	uint8_t hash[COUPON_ID_LEN];     /* H(C) = SHA-256 of the encoded certificate */
	uint8_t vendor_pk[OBOL_SIGN_PK_LEN];
	int64_t vendor_account;          /* the account credited at settle */
	int64_t valid_from, valid_until;
};
/* Returns OBOL_OK and fills out only when C is well-formed and carries the
 * issuer's valid signature under issuer_pk. */
typedef obol_err (*coupon_cert_open_fn)(const uint8_t *cert, size_t len,
					const uint8_t issuer_pk[static OBOL_SIGN_PK_LEN],
					struct coupon_cert *out);

/* The coupon_cert_open_fn for the platform's certificate
 * (src/schemes/common/vendor_cert.h): C is its CBOR encoding, H(C) the
 * SHA-256 of those bytes (= obol_vendor_cert_hash), vendor_pk its sign_pk,
 * vendor_account its payout account. */
obol_err coupon_cert_open_obol(const uint8_t *cert, size_t len, const uint8_t issuer_pk[static OBOL_SIGN_PK_LEN],
			       struct coupon_cert *out);

/* Opens C and checks its validity at now: COUPON_CERT_INVALID or
 * COUPON_CERT_EXPIRED. */
OBOL_MUST_CHECK obol_err coupon_cert_check(coupon_cert_open_fn open, const uint8_t *cert, size_t len,
					   const uint8_t issuer_pk[static OBOL_SIGN_PK_LEN], int64_t now,
					   struct coupon_cert *out);

/* Verifies the coin's RFC 9474 signature under the denomination's key
 * (prepared message prefix || coupon_coin_message). COUPON_COIN_SIGNATURE. */
OBOL_MUST_CHECK obol_err coupon_coin_verify(const struct coupon_coin *c, const struct coupon_denom *d);

#endif
