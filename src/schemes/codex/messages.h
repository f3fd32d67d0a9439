/* The codex scheme (seed 004, "Codex Enables Secure Offline Micropayments";
 * DESIGN §8): every message type, limit and signed structure, in one place.
 *
 * Roles: the bank (obol's issuer; seed §III ActivityMonitor) creates codex
 * accounts with a safe deposit, certifies each user's keys, issues each Codex
 * state, reconciles logs and keeps the blacklist; users (wallets; seed §III
 * TransactionMonitor) pay each other offline with payee-specific tokens; a
 * vendor daemon is a payee that deposits its tokens at the bank.
 *
 * Signed structures have one fixed binary form (big-endian integers, text as
 * a one-byte length and its bytes), written here once and produced and parsed
 * only by messages.c. Signatures are Ed25519 with a context (crypto/sign.h),
 * so a signature made for one structure never verifies as another. */
#ifndef OBOL_SCHEMES_CODEX_MESSAGES_H
#define OBOL_SCHEMES_CODEX_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/hash.h"
#include "crypto/seal.h"
#include "crypto/ed25519_signer.h"
#include "crypto/sign.h"
#include "net/devlink.h"
#include "wire/fields.h"

/* Device-link message types (payee <-> payer), in the codex range of
 * net/devlink.h (the vendor daemon routes frames by that range). The same
 * frames travel in files between two wallets that meet offline. */
enum codex_msg_type {
	CODEX_MSG_HELLO = OBOL_DL_CODEX_MIN,       /* payer -> payee: "I want to pay" {amount?} */
	CODEX_MSG_REQUEST = OBOL_DL_CODEX_MIN + 1, /* payee -> payer: its certificate, the amount (§VI.A: payee gives name and id) */
	CODEX_MSG_PAY = OBOL_DL_CODEX_MIN + 2,     /* payer -> payee: the sealed payment */
	CODEX_MSG_ACK = OBOL_DL_CODEX_MIN + 3,     /* payee -> payer: the signed acknowledgement (§III TokenDispatcher) */
	CODEX_MSG_REFUSAL = OBOL_DL_CODEX_MIN + 4, /* payee -> payer: the signed refusal of a token it did not take */
};

#define CODEX_NAME_MAX 32
#define CODEX_TOKEN_ID_LEN 16
#define CODEX_LOG_MAX 1024       /* entries of one epoch; the most a state's tx_limit allows */
#define CODEX_SEEN_MAX 4096      /* received token ids kept for replay checks */
#define CODEX_PEERS_MAX 4096     /* payers a payee Codex remembers the last place of (while their state lives) */
#define CODEX_REFUSALS_MAX 4096  /* refusals a Codex keeps until the bank has them and their token is stale */
#define CODEX_SYNC_REFUSALS_MAX 1024 /* refusals handed in beside one log; more wait for the next sync */
/* User ids one signed blacklist carries: what fits a reply with room to
 * spare. The bank's list itself has no cap (its table grows, and entries
 * whose Codex expired are pruned); when more live entries than this are
 * listed, the most recent ones are sent (docs/protocol.md). */
#define CODEX_BLACKLIST_MAX 16384
/* A token is fresh when its time lies within this many seconds of the
 * payee's clock (seed §VI.A: "date and time stamps ... hint if the token is
 * an old one"). Received ids are kept at least twice as long. */
#define CODEX_FRESH_WINDOW 3600
/* Defaults the bank applies to a new state (issuer-side policy). */
#define CODEX_DEFAULT_LIFETIME (30 * 86400)
#define CODEX_DEFAULT_TX_LIMIT 256
#define CODEX_CERT_LIFETIME (365 * 86400)
/* A sync renews the certificate when it expires within this margin. */
#define CODEX_CERT_RENEW_MARGIN (90 * 86400)
/* After the last token a closed or blacklisted Codex could issue has gone
 * stale, its safe deposit is held this much longer for payees that hand in
 * their logs late. */
#define CODEX_DEFAULT_HOLD_GRACE (7 * 86400)

/* Signature contexts. */
#define CODEX_CTX_CERT "codex-cert"
#define CODEX_CTX_STATE "codex-state"
#define CODEX_CTX_TOKEN "codex-token"
#define CODEX_CTX_ACK "codex-ack"
#define CODEX_CTX_BLACKLIST "codex-blacklist"
#define CODEX_CTX_REFUSAL "codex-refusal"

enum codex_party_kind { CODEX_PARTY_USER = 1, CODEX_PARTY_VENDOR = 2 };

/* The bank's certificate of a party's keys ("verify the payer's certified
 * key", §III): the payer's signature key and the box key tokens to it are
 * sealed to. */
struct codex_cert {
	uint64_t user_id;
	char name[CODEX_NAME_MAX + 1];
	uint8_t kind; /* enum codex_party_kind */
	uint8_t sign_pk[OBOL_SIGN_PK_LEN];
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	int64_t not_after;
	uint8_t sig[OBOL_SIGN_LEN]; /* bank, CODEX_CTX_CERT */
};
/* "OCXC" 4 | version 1 | user_id 8 | name 1+n | kind 1 | sign_pk 32 | box_pk 32 | not_after 8 | sig 64 */
#define CODEX_CERT_MAX (4 + 1 + 8 + 1 + CODEX_NAME_MAX + 1 + 32 + 32 + 8 + OBOL_SIGN_LEN)

/* A bank-issued Codex state (§IV financial and management layers as the
 * bank last settled them). Each sync closes an epoch and issues the next
 * state; the log of the new epoch is hash-chained from this state, so a
 * Codex that presents an older state, or a log that does not continue it,
 * is evident. */
struct codex_state {
	uint8_t version;          /* CODEX_STATE_VERSION; 1: before the offline limits (read only to sync it) */
	uint64_t user_id;
	char name[CODEX_NAME_MAX + 1];
	uint64_t epoch;           /* 1 at account creation, +1 per sync */
	struct obol_amount balance; /* value of the Codex at the start of the epoch */
	struct obol_amount deposit; /* the safe deposit held at the bank (§VI.B) */
	/* The offline limits every payee checks (version 2): the most one token
	 * may carry, and the most the tokens of this epoch may add up to (a
	 * token carries its payer's running total, `spent`). The bank sets
	 * spent_max to the safe deposit, so the deposit covers what one log of
	 * this epoch can pay. */
	struct obol_amount token_max, spent_max;
	uint64_t tx_total;        /* transactions before this epoch (count layer) */
	uint64_t tx_limit;        /* most log entries in this epoch (§VI.B expiry by count) */
	int64_t not_after;        /* expiry date (§VI.B) */
	int64_t issued;
	uint64_t perf;            /* performance index: reconciliations without a finding against this user (§IV management) */
	uint8_t sig[OBOL_SIGN_LEN]; /* bank, CODEX_CTX_STATE */
};
#define CODEX_STATE_VERSION 2
/* "OCXS" 4 | v 1 | user_id 8 | name 1+n | epoch 8 | balance 8 | deposit 8 | currency 1+n |
 * [v2: token_max 8 | spent_max 8 |] tx_total 8 | tx_limit 8 | not_after 8 | issued 8 | perf 8 | sig 64 */
#define CODEX_STATE_MAX (4 + 1 + 8 + 1 + CODEX_NAME_MAX + 8 + 8 + 8 + 1 + OBOL_CURRENCY_MAX + 7 * 8 + OBOL_SIGN_LEN)

/* The payment token (seed Fig. 4): token id, payer name and id, payee name
 * and id, amount, date and time, payer signature; plus the payer's epoch,
 * its sequence number in that epoch's log and the log hash before it, which
 * tie the token to one place in the payer's hash-chained log: two tokens at
 * one place, or a token the payer's log omits, prove a rolled-back Codex. */
struct codex_token {
	uint8_t version; /* CODEX_TOKEN_VERSION; 1: before `spent` (read only in old logs) */
	uint8_t id[CODEX_TOKEN_ID_LEN];
	uint64_t payer_id;
	char payer_name[CODEX_NAME_MAX + 1];
	uint64_t payee_id;
	char payee_name[CODEX_NAME_MAX + 1];
	struct obol_amount amount;
	int64_t time;
	uint64_t epoch, seq;
	/* v2: the payer's payments of this epoch up to and including this one;
	 * a payee checks it against the state's spent_max, and against what the
	 * same payer paid it before (a rolled-back Codex cannot go back). */
	struct obol_amount spent;
	uint8_t prev[OBOL_HASH_LEN];
	uint8_t sig[OBOL_SIGN_LEN]; /* payer, CODEX_CTX_TOKEN */
};
#define CODEX_TOKEN_VERSION 2
/* "OCXT" 4 | v 1 | id 16 | payer_id 8 | payer_name 1+n | payee_id 8 | payee_name 1+n |
 * amount 8 | currency 1+n | time 8 | epoch 8 | seq 8 | [v2: spent 8 |] prev 32 | sig 64 */
#define CODEX_TOKEN_MAX                                                                              \
	(4 + 1 + 16 + 8 + 1 + CODEX_NAME_MAX + 8 + 1 + CODEX_NAME_MAX + 8 + 1 + OBOL_CURRENCY_MAX + 32 + \
	 32 + OBOL_SIGN_LEN)

/* The payee's acknowledgement (§III "Check Blacklist & Send Ack"). */
struct codex_ack {
	uint8_t token_hash[OBOL_HASH_LEN]; /* SHA-256 of the token's encoding */
	uint64_t payee_id;
	int64_t time;
	uint8_t sig[OBOL_SIGN_LEN]; /* payee, CODEX_CTX_ACK */
};
#define CODEX_ACK_LEN (4 + 1 + 32 + 8 + 8 + OBOL_SIGN_LEN)

/* The payee's refusal of a token it opened, that names it, and that it did
 * not take (a check of codex_payment_check failed, or its own Codex could
 * not take it): its signed word that it holds no value for this token. The
 * payer keeps it with the PAY entry of its log; at the payer's sync the bank
 * verifies it under the payee's certified key and returns the token's value
 * to the payer instead of crediting the payee, and refuses the payee any
 * later claim of the token (CODEX_TOKEN_REFUSED). An honest payee never
 * refuses a token id it took, and never takes an id it refused. */
struct codex_refusal {
	uint8_t token_id[CODEX_TOKEN_ID_LEN];
	uint8_t token_hash[OBOL_HASH_LEN]; /* SHA-256 of the token's encoding */
	uint64_t payer_id, payee_id;
	int64_t time;
	uint32_t reason;            /* the obol_err the payee's check gave (a declared code) */
	uint8_t sig[OBOL_SIGN_LEN]; /* payee, CODEX_CTX_REFUSAL */
};
/* "OCXR" 4 | v 1 | token_id 16 | token_hash 32 | payer_id 8 | payee_id 8 | time 8 | reason 4 | sig 64 */
#define CODEX_REFUSAL_LEN (4 + 1 + 16 + 32 + 8 + 8 + 8 + 4 + OBOL_SIGN_LEN)

/* The signed, versioned blacklist (§III CreateBlacklist, §VI.A). */
struct codex_blacklist {
	uint64_t version;
	int64_t issued;
	size_t n;
	uint64_t ids[CODEX_BLACKLIST_MAX]; /* ascending, unique */
	uint8_t sig[OBOL_SIGN_LEN];        /* bank, CODEX_CTX_BLACKLIST */
};
#define CODEX_BLACKLIST_LEN(n) (4 + 1 + 8 + 8 + 4 + 8 * (size_t)(n) + OBOL_SIGN_LEN)
#define CODEX_BLACKLIST_BYTES_MAX CODEX_BLACKLIST_LEN(CODEX_BLACKLIST_MAX)

/* What the payer seals to the payee: token | payer certificate | payer state,
 * each as u16 length + bytes. */
#define CODEX_PAYMENT_MAX (6 + CODEX_TOKEN_MAX + CODEX_CERT_MAX + CODEX_STATE_MAX)
#define CODEX_SEALED_MAX (CODEX_PAYMENT_MAX + OBOL_SEALBOX_OVERHEAD)

/* A log entry (§III LogWriter): kind, time and the whole token; a PAY entry
 * whose payee refused the token also carries the signed refusal. */
enum codex_entry_kind { CODEX_ENTRY_PAY = 1, CODEX_ENTRY_RECEIVE = 2 };
/* kind 1 | time 8 | u16 token length | token [| refusal CODEX_REFUSAL_LEN, PAY only] */
#define CODEX_ENTRY_MAX (1 + 8 + 2 + CODEX_TOKEN_MAX + CODEX_REFUSAL_LEN)

/* Whether an amount is above zero. */
static inline bool codex_amount_positive(const struct obol_amount *a)
{
	return !obol_amount_is_negative(a) && !obol_amount_is_zero(a);
}

/* ---- encodings (messages.c) --------------------------------------------- */

/* Each encode writes the full signed form (signature included) into out
 * (cap bytes) and sets *len; OBOL_E_INVALID_ARGUMENT when a field is out of
 * range (a name too long, a negative amount). Each decode parses exactly len
 * bytes: CODEX_MALFORMED for a wrong magic or version, a truncated or
 * oversized input, trailing bytes or a field out of range. Decoding checks
 * no signature; the *_verify functions do. */
OBOL_MUST_CHECK obol_err codex_cert_encode(const struct codex_cert *c, uint8_t *out, size_t cap, size_t *len);
OBOL_MUST_CHECK obol_err codex_cert_decode(const uint8_t *in, size_t len, struct codex_cert *c);
OBOL_MUST_CHECK obol_err codex_state_encode(const struct codex_state *s, uint8_t *out, size_t cap, size_t *len);
OBOL_MUST_CHECK obol_err codex_state_decode(const uint8_t *in, size_t len, struct codex_state *s);
OBOL_MUST_CHECK obol_err codex_token_encode(const struct codex_token *t, uint8_t *out, size_t cap, size_t *len);
OBOL_MUST_CHECK obol_err codex_token_decode(const uint8_t *in, size_t len, struct codex_token *t);
OBOL_MUST_CHECK obol_err codex_ack_encode(const struct codex_ack *a, uint8_t out[static CODEX_ACK_LEN]);
OBOL_MUST_CHECK obol_err codex_ack_decode(const uint8_t *in, size_t len, struct codex_ack *a);
OBOL_MUST_CHECK obol_err codex_refusal_encode(const struct codex_refusal *f, uint8_t out[static CODEX_REFUSAL_LEN]);
/* Also CODEX_MALFORMED when the reason is 0 or not a declared error. */
OBOL_MUST_CHECK obol_err codex_refusal_decode(const uint8_t *in, size_t len, struct codex_refusal *f);
/* *out malloc'ed (CODEX_BLACKLIST_LEN(b->n) bytes). */
OBOL_MUST_CHECK obol_err codex_blacklist_encode(const struct codex_blacklist *b, uint8_t **out, size_t *len);
OBOL_MUST_CHECK obol_err codex_blacklist_decode(const uint8_t *in, size_t len, struct codex_blacklist *b);

/* Signing (the signature field is set) and verifying (CODEX_SIGNATURE).
 * What the bank signs (certificate, state, blacklist) verifies under bank_pk,
 * the issuer's master key, or an online key it announced, acceptable now
 * (schemes/common/issuer_sig.h); tokens, acks and refusals under the party's
 * own key pk. */
OBOL_MUST_CHECK obol_err codex_cert_sign(struct codex_cert *c, const struct obol_ed25519_signer *signer);
OBOL_MUST_CHECK obol_err codex_cert_verify(const struct codex_cert *c, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN]);
OBOL_MUST_CHECK obol_err codex_state_sign(struct codex_state *s, const struct obol_ed25519_signer *signer);
OBOL_MUST_CHECK obol_err codex_state_verify(const struct codex_state *s, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN]);
OBOL_MUST_CHECK obol_err codex_token_sign(struct codex_token *t, const uint8_t sk[static OBOL_SIGN_SK_LEN]);
OBOL_MUST_CHECK obol_err codex_token_verify(const struct codex_token *t, const uint8_t pk[static OBOL_SIGN_PK_LEN]);
OBOL_MUST_CHECK obol_err codex_ack_sign(struct codex_ack *a, const uint8_t sk[static OBOL_SIGN_SK_LEN]);
OBOL_MUST_CHECK obol_err codex_ack_verify(const struct codex_ack *a, const uint8_t pk[static OBOL_SIGN_PK_LEN]);
OBOL_MUST_CHECK obol_err codex_refusal_sign(struct codex_refusal *f, const uint8_t sk[static OBOL_SIGN_SK_LEN]);
/* CODEX_REFUSAL_FORGED when the signature does not verify under pk. */
OBOL_MUST_CHECK obol_err codex_refusal_verify(const struct codex_refusal *f, const uint8_t pk[static OBOL_SIGN_PK_LEN]);
/* Whether refusal f answers token t (th: its hash) for the payee whose
 * certified key is payee_pk: CODEX_REFUSAL_WRONG_PARTY when it names another
 * token id, token, payer or payee; CODEX_REFUSAL_FORGED when the payee's
 * signature does not verify. Shared by the payer and the bank. */
OBOL_MUST_CHECK obol_err codex_refusal_check(const struct codex_refusal *f, const struct codex_token *t,
					     const uint8_t th[static OBOL_HASH_LEN],
					     const uint8_t payee_pk[static OBOL_SIGN_PK_LEN]);
OBOL_MUST_CHECK obol_err codex_blacklist_sign(struct codex_blacklist *b, const struct obol_ed25519_signer *signer);
/* Whether b's signature is exactly pk's (not any key of the issuer's set):
 * the bank asks it of its stored list to know the key that signed it. */
bool codex_blacklist_signed_by(const struct codex_blacklist *b, const uint8_t pk[static OBOL_SIGN_PK_LEN]);
OBOL_MUST_CHECK obol_err codex_blacklist_verify(const struct codex_blacklist *b,
						const uint8_t bank_pk[static OBOL_SIGN_PK_LEN]);
bool codex_blacklist_has(const struct codex_blacklist *b, uint64_t user_id);

/* SHA-256 of a token's full encoding (signature included): what an
 * acknowledgement and a log entry bind. */
OBOL_MUST_CHECK obol_err codex_token_hash(const struct codex_token *t, uint8_t out[static OBOL_HASH_LEN]);
/* SHA-256 of a state's full encoding: where the epoch's log chain starts. */
OBOL_MUST_CHECK obol_err codex_state_hash(const struct codex_state *s, uint8_t out[static OBOL_HASH_LEN]);

/* The log hash chain: h_0 = H("codex-log-v1" | state hash), and
 * h_seq = H("codex-log-v1" | h_(seq-1) | kind | seq | time | token hash)
 * (obol_sha256_parts). */
void codex_log_start(uint8_t out[static OBOL_HASH_LEN], const uint8_t state_hash[static OBOL_HASH_LEN]);
void codex_log_step(uint8_t out[static OBOL_HASH_LEN], const uint8_t prev[static OBOL_HASH_LEN], uint8_t kind,
		    uint64_t seq, int64_t time, const uint8_t token_hash[static OBOL_HASH_LEN]);

/* A log entry as it travels to the bank at sync. */
struct codex_entry {
	uint8_t kind; /* enum codex_entry_kind */
	int64_t time; /* when it was written */
	struct codex_token token;
	bool refused; /* PAY: the payee's signed refusal is held */
	struct codex_refusal refusal;
};
OBOL_MUST_CHECK obol_err codex_entry_encode(const struct codex_entry *e, uint8_t *out, size_t cap, size_t *len);
OBOL_MUST_CHECK obol_err codex_entry_decode(const uint8_t *in, size_t len, struct codex_entry *e);

/* The sealed payment's plaintext. */
OBOL_MUST_CHECK obol_err codex_payment_encode(const struct codex_token *t, const struct codex_cert *payer_cert,
					      const struct codex_state *payer_state, uint8_t *out, size_t cap,
					      size_t *len);
OBOL_MUST_CHECK obol_err codex_payment_decode(const uint8_t *in, size_t len, struct codex_token *t,
					      struct codex_cert *payer_cert, struct codex_state *payer_state);

/* Device-link bodies. */
struct codex_msg_hello {
	struct obol_amount amount; /* what the payer means to pay (optional) */
	bool has_amount;
};
struct codex_msg_request {
	uint8_t cert[CODEX_CERT_MAX];
	size_t cert_len;
	struct obol_amount amount; /* what the payee asks (optional: the payer chooses) */
	bool has_amount;
};
struct codex_msg_pay {
	uint8_t sealed[CODEX_SEALED_MAX];
	size_t sealed_len;
};
struct codex_msg_ack {
	uint8_t ack[CODEX_ACK_LEN];
};
struct codex_msg_refusal {
	uint8_t refusal[CODEX_REFUSAL_LEN];
};
/* Field specs over the structs above (spec storage in caller's f[]). */
void codex_msg_hello_spec(struct codex_msg_hello *m, struct obol_field f[1], struct obol_fields *spec);
void codex_msg_request_spec(struct codex_msg_request *m, struct obol_field f[2], struct obol_fields *spec);
void codex_msg_pay_spec(struct codex_msg_pay *m, struct obol_field f[1], struct obol_fields *spec);
void codex_msg_ack_spec(struct codex_msg_ack *m, struct obol_field f[1], struct obol_fields *spec);
void codex_msg_refusal_spec(struct codex_msg_refusal *m, struct obol_field f[1], struct obol_fields *spec);

#endif
