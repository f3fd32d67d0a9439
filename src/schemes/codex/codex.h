/* The Codex (seed 004 §IV, §V; DESIGN §8): the user's self-updating wallet
 * state, in the seed's four layers, and the TransactionMonitor paths of §III
 * that change it (user.c).
 *
 *   user information: the bank's certificate (user id, name, keys), the
 *                     secret keys, the bank's public key, creation date;
 *   financial:        present balance, safe deposit (in the bank state),
 *                     transaction count and list (the log), token ids
 *                     generated (PAY entries) and received (RECEIVE entries
 *                     and the list of recently received ids);
 *   management:       expiry (date and count of transactions, in the bank
 *                     state), the hash-chained log, performance index;
 *   security:         the bank's signed, versioned blacklist.
 *
 * Each state the bank issues is signed by the bank (struct codex_state); the
 * log of an epoch is hash-chained from that state (messages.h), so a Codex
 * rolled back to an earlier copy presents an old state or a log that
 * disagrees with the tokens its payees hold, and the bank finds it (bank.h).
 *
 * The Codex is plain data: codex_serialize / codex_parse give its bytes,
 * which the wallet seals with the device key (crypto/seal.h). They hold the
 * secret keys: wipe with codex_free. No function here does I/O; the clock
 * comes in as `now`. */
#ifndef OBOL_SCHEMES_CODEX_CODEX_H
#define OBOL_SCHEMES_CODEX_CODEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "schemes/codex/messages.h"

#define CODEX_REQUEST_ID_MAX 32

struct codex_log_rec {
	struct codex_entry e;
	uint8_t token_hash[OBOL_HASH_LEN];
	uint8_t hash[OBOL_HASH_LEN];      /* the chain after this entry */
	uint8_t peer_pk[OBOL_SIGN_PK_LEN]; /* PAY: the payee's certified key, to check its ack */
	bool acked;                        /* PAY: the payee acknowledged (else pending, or refused: e.refused) */
};

struct codex_seen {
	uint8_t id[CODEX_TOKEN_ID_LEN];
	int64_t time; /* the token's time */
};

struct codex {
	/* user information layer */
	struct codex_cert cert;
	uint8_t sign_sk[OBOL_SIGN_SK_LEN]; /* secret */
	struct obol_box_keypair box;       /* secret half */
	uint8_t bank_pk[OBOL_SIGN_PK_LEN];
	int64_t created;
	/* financial and management layers: the bank's last state, and what
	 * happened since */
	struct codex_state state;
	struct obol_amount balance;
	uint8_t head[OBOL_HASH_LEN];
	size_t nlog;
	struct codex_log_rec log[CODEX_LOG_MAX];
	size_t nseen;
	struct codex_seen seen[CODEX_SEEN_MAX];
	/* security layer */
	struct codex_blacklist blacklist;
	/* a sync (or, with sync_close, a close) sent to the bank and not yet
	 * applied (codex_sync_begin) */
	bool sync_pending;
	bool sync_close;
	char sync_request_id[CODEX_REQUEST_ID_MAX + 1];
	bool sync_has_load;
	struct obol_amount sync_load;
};

/* A new, empty Codex on the heap (zeroed), or NULL. codex_free wipes and frees. */
struct codex *codex_alloc(void);
void codex_free(struct codex *c);

/* Fills a fresh Codex from what the bank issued at account creation: the
 * certificate and first state (both checked against bank_pk and against the
 * keys: CODEX_CERT_INVALID when the certificate is not for these keys or
 * the state names another user), the blacklist, and the user's own keys. */
OBOL_MUST_CHECK obol_err codex_init(struct codex *c, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
				    const struct codex_cert *cert, const struct codex_state *state,
				    const struct codex_blacklist *bl, const uint8_t sign_sk[static OBOL_SIGN_SK_LEN],
				    const struct obol_box_keypair *box, int64_t now);

/* Serialises the whole Codex (*out malloc'ed; holds secrets: the caller
 * wipes and frees it). */
OBOL_MUST_CHECK obol_err codex_serialize(const struct codex *c, uint8_t **out, size_t *len);
/* Parses and checks a serialised Codex: the bank's signatures on the
 * certificate, state and blacklist, that the keys match the certificate,
 * the log's hash chain and sequence from the state, and that the balance
 * equals the state's balance minus payments plus receipts. CODEX_MALFORMED,
 * CODEX_SIGNATURE, CODEX_LOG_BROKEN or CODEX_INCONSISTENT otherwise. */
OBOL_MUST_CHECK obol_err codex_parse(struct codex *c, const uint8_t *in, size_t len);

/* Recomputes the balance from the state and the log, and checks the chain
 * (what codex_parse checks after reading). */
OBOL_MUST_CHECK obol_err codex_check(const struct codex *c);

/* Expiry (seed §VI.B): CODEX_EXPIRED after the state's date, CODEX_TX_LIMIT
 * when the log holds the state's count of transactions. */
OBOL_MUST_CHECK obol_err codex_check_live(const struct codex *c, int64_t now);

/* Figures for display. */
uint64_t codex_tx_count(const struct codex *c); /* all transactions, past epochs included */
size_t codex_pending_count(const struct codex *c); /* PAY entries neither acknowledged nor refused */
size_t codex_refused_count(const struct codex *c);

/* ---- the TransactionMonitor (user.c) ------------------------------------ */

/* The payee's request (§VI.A: "B is required to provide his username and
 * userid"): its certificate and, optionally, the amount. */
OBOL_MUST_CHECK obol_err codex_request(const struct codex *c, const struct obol_amount *amount,
				       struct codex_msg_request *out);

/* Make payment (§III: create token → send → ack → write log → update Codex).
 * Checks, each with its error: no sync in progress (SYNC_PENDING); the
 * payee's certificate is the bank's and current (CERT_INVALID), not this
 * Codex (SELF_PAYMENT); the Codex is live (EXPIRED, TX_LIMIT); the axioms of
 * §V.A: amount > 0 and in the Codex's currency (AMOUNT_INVALID), amount ≤
 * balance (INSUFFICIENT); room in the log (FULL). Then it draws a unique
 * token id, signs the token, appends the PAY entry (pending), debits the
 * balance, and seals the payment to the payee. The caller must store the
 * Codex durably BEFORE sending `out`: the payer debits before sending, so a
 * crash never creates money. On error the Codex is unchanged. */
OBOL_MUST_CHECK obol_err codex_pay(struct codex *c, const struct codex_msg_request *req,
				   const struct obol_amount *amount, int64_t now, struct codex_msg_pay *out,
				   struct codex_token *token_out);

/* The payee's checks, shared by the wallet and the vendor daemon.
 * codex_payment_open: decrypt with the payee's box key (DECRYPT_FAILED),
 * parse (MALFORMED), check that the token names this payee by id and name
 * (NOT_FOR_ME). Then the caller checks the token id is unseen (TOKEN_SEEN).
 * codex_payment_check: the time is fresh (TOKEN_STALE), the payer is not on
 * the blacklist (PAYER_BLACKLISTED), the payer's certificate is the bank's,
 * current and names the payer (CERT_INVALID), the payer's state is the
 * bank's, of the token's epoch and live at the token's time and sequence
 * (STATE_STALE, EXPIRED, TX_LIMIT), the amount is > 0 (AMOUNT_INVALID) and
 * the token's signature verifies under the certified key (SIGNATURE). */
OBOL_MUST_CHECK obol_err codex_payment_open(const struct codex_cert *me, const struct obol_box_keypair *my_box,
					    const struct codex_msg_pay *m, struct codex_token *t,
					    struct codex_cert *payer_cert, struct codex_state *payer_state);
OBOL_MUST_CHECK obol_err codex_payment_check(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
					     const struct codex_blacklist *bl, const struct codex_token *t,
					     const struct codex_cert *payer_cert,
					     const struct codex_state *payer_state, int64_t now);
/* The payee's signed acknowledgement of a token. */
OBOL_MUST_CHECK obol_err codex_make_ack(const struct codex_token *t, uint64_t payee_id,
					const uint8_t sk[static OBOL_SIGN_SK_LEN], int64_t now,
					struct codex_msg_ack *out);

/* Receive payment (§III: receive & decrypt → names me → unseen and fresh →
 * blacklist → certified key → ack → write log → update Codex), with the
 * errors above, plus the payee's own Codex being live (EXPIRED, TX_LIMIT),
 * the currency (AMOUNT_INVALID), no sync in progress (SYNC_PENDING) and room
 * (FULL). Appends the RECEIVE entry, credits the balance, remembers the id,
 * and writes the acknowledgement. The caller stores the Codex durably, then
 * sends the ack. On error the Codex is unchanged. */
OBOL_MUST_CHECK obol_err codex_receive(struct codex *c, const struct codex_msg_pay *m, int64_t now,
				       struct codex_msg_ack *ack, struct codex_token *token_out);

/* The payer takes the payee's acknowledgement (TokenDispatcher): it must
 * match a pending PAY entry (ACK_UNKNOWN) and verify under that payee's
 * certified key (SIGNATURE). An ack for an already acknowledged token is
 * accepted again (idempotent). */
OBOL_MUST_CHECK obol_err codex_take_ack(struct codex *c, const struct codex_msg_ack *m);

/* Whether a payee's check that failed with e is answered with a signed
 * refusal: the checks of codex_payment_check and codex_receive on a token
 * that names the payee (not NOT_FOR_ME, not TOKEN_SEEN, not a fault of the
 * payee's own machine). */
bool codex_refusable(obol_err e);

/* The payee's signed refusal of token t (reason: the error its checks gave). */
OBOL_MUST_CHECK obol_err codex_make_refusal(const struct codex_token *t, uint64_t payee_id,
					    const uint8_t sk[static OBOL_SIGN_SK_LEN], obol_err reason, int64_t now,
					    struct codex_msg_refusal *out);

/* After codex_receive refused payment m with `reason`, the payee's signed
 * refusal, so that its payer is refunded at reconciliation instead of losing
 * the value. Only a token this Codex can open and that names it can be
 * refused (otherwise the error of codex_payment_open is returned and no
 * refusal made: the token's own payee may still take it). A token id this
 * Codex already holds (received, settled to it or refused before) gets no
 * refusal either (CODEX_TOKEN_SEEN): a refusal must never contradict a
 * receipt. The id is remembered among the received ids, so the same token
 * is never taken later (CODEX_FULL when there is no room, and no refusal).
 * The caller stores the Codex durably, then sends the refusal. */
OBOL_MUST_CHECK obol_err codex_refuse(struct codex *c, const struct codex_msg_pay *m, obol_err reason, int64_t now,
				      struct codex_msg_refusal *out);

/* The payer takes the payee's refusal: it must name a PAY entry of the
 * current log (REFUSAL_UNKNOWN), that token, this payer and that payee
 * (REFUSAL_WRONG_PARTY), and verify under that payee's certified key
 * (REFUSAL_FORGED); an acknowledged token cannot be refused
 * (REFUSAL_CONFLICT). The refusal is kept in the PAY entry and handed to
 * the bank at sync, which returns the value; the balance stays debited
 * until then. Taking the same refusal again is accepted (idempotent). An
 * ack for a refused token is REFUSAL_CONFLICT (codex_take_ack). */
OBOL_MUST_CHECK obol_err codex_take_refusal(struct codex *c, const struct codex_msg_refusal *m);

/* Replaces the blacklist with a newer one signed by the bank (SIGNATURE;
 * BLACKLIST_OLD when its version is lower than the one held). */
OBOL_MUST_CHECK obol_err codex_set_blacklist(struct codex *c, const struct codex_blacklist *bl);

/* ---- sync with the bank ------------------------------------------------- */

/* Remembers a token id that the bank settled to this Codex from its payer's
 * log (the payee never received it): if it arrives later it is a replay,
 * since its value is already in the state. Ids too old to pass the time
 * check are not kept. CODEX_FULL when there is no room. */
OBOL_MUST_CHECK obol_err codex_note_settled(struct codex *c, const uint8_t id[static CODEX_TOKEN_ID_LEN], int64_t time,
					    int64_t now);

/* Marks a sync as sent: payments and receipts are refused until it is
 * applied, so the log the bank saw is the log the new state closes. A
 * request already pending is kept (a retry sends the same request, so a
 * lost reply is answered again by the bank's idempotency).
 * load: an amount to move from the bank account into the Codex, or NULL;
 * close: the request deletes the account instead of renewing the Codex. */
OBOL_MUST_CHECK obol_err codex_sync_begin(struct codex *c, const char *request_id, const struct obol_amount *load,
					  bool close);
/* Forgets a pending request the bank refused for good (nothing moved). */
void codex_sync_abandon(struct codex *c);
/* Applies the bank's answer: the new state must be the bank's, for this
 * user, of the next epoch (STATE_STALE otherwise); the blacklist as
 * codex_set_blacklist. Closes the log: the new epoch starts empty from the
 * new state, whose balance the bank computed from every log it holds. */
OBOL_MUST_CHECK obol_err codex_sync_apply(struct codex *c, const struct codex_state *st,
					  const struct codex_blacklist *bl);

#endif
