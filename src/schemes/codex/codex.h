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
#include "schemes/codex/blacklist_pages.h"
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

/* The last place of a payer's log this Codex took a token from: a later
 * token of the same payer must come after it (a later epoch, or a higher
 * seq with a running total that has grown by at least its amount), so a
 * Codex rolled back or copied cannot make this payee take the same
 * epoch's money twice (seed §VI.A's second case of double spending, made
 * to hold for copies). Kept until no token of that state can pass. */
struct codex_peer {
	uint64_t payer_id;
	uint64_t epoch, seq;
	struct obol_amount spent;
	int64_t until; /* the payer state's not_after + CODEX_FRESH_WINDOW */
};

/* A signed refusal this Codex keeps for the bank. */
enum codex_refusal_role {
	CODEX_REFUSAL_ISSUED = 1, /* this Codex refused a token as its payee */
	CODEX_REFUSAL_HELD = 2,   /* a payee refused a token of this Codex that is no longer in the current log
				     (or came while a sync was pending) */
};
struct codex_refusal_rec {
	struct codex_refusal f;
	uint8_t role;     /* enum codex_refusal_role */
	bool in_sync;     /* part of the pending sync request */
	bool reported;    /* ISSUED: the bank has it; kept until its token is stale, so the id is never taken */
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
	size_t npeers;
	struct codex_peer peers[CODEX_PEERS_MAX];
	size_t nrefusals;
	struct codex_refusal_rec refusals[CODEX_REFUSALS_MAX];
	/* security layer: the signed whole list that comes with the bank's
	 * answers (its newest CODEX_BLACKLIST_MAX entries), and the copy kept
	 * from the paged list (every live entry through blocked.version); a
	 * payer on either is refused */
	struct codex_blacklist blacklist;
	struct codex_blset blocked;
	/* a sync (or, with sync_close, a close) sent to the bank and not yet
	 * applied (codex_sync_begin). What it sends (the state, the log's
	 * entries, the balance, the load and the refusals marked in_sync) does
	 * not change until it is applied or abandoned, so a retry is the same
	 * request and gets the bank's stored answer. */
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
 * wipes and frees it). CODEX_BLACKLIST_TOO_LONG when the paged copy of the
 * blacklist takes more than CODEX_BLOCKED_BYTES_MAX: nothing is written,
 * and the file keeps the copy it had. */
OBOL_MUST_CHECK obol_err codex_serialize(const struct codex *c, uint8_t **out, size_t *len);
/* Parses and checks a serialised Codex: that the keys match the certificate,
 * the log's hash chain and sequence from the state, and that the balance
 * equals the state's balance minus payments plus receipts. CODEX_MALFORMED,
 * CODEX_CERT_INVALID, CODEX_LOG_BROKEN or CODEX_INCONSISTENT otherwise.
 * The bank's signatures on the certificate, state and blacklist are not
 * checked again: they were when the Codex took them in (codex_init, the
 * sync's answer), and the bytes come from the wallet file, sealed with the
 * device key (wallet/file.h). Checking them against the issuer's keys of
 * today would lock a Codex whose state an online key signed that has since
 * left its window out of the very sync that renews it; a payee checks them
 * at its own present when paid (user.c). */
OBOL_MUST_CHECK obol_err codex_parse(struct codex *c, const uint8_t *in, size_t len);

/* Recomputes the balance from the state and the log, and checks the chain
 * (what codex_parse checks after reading). */
OBOL_MUST_CHECK obol_err codex_check(const struct codex *c);

/* Expiry (seed §VI.B): CODEX_EXPIRED after the state's date, CODEX_TX_LIMIT
 * when the log holds the state's count of transactions;
 * CODEX_STATE_OLD_FORMAT for a state issued before the offline limits
 * (sync first). */
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

/* What the payer pays: the amount (NULL: the amount the payee asks), and
 * the most it agrees to pay (NULL: no cap besides the balance). The amount
 * paid is never more than max (P2), whatever the payee asks. */
struct codex_pay_req {
	const struct codex_msg_request *req;
	const struct obol_amount *amount;
	const struct obol_amount *max;
};

/* Make payment (§III: create token → send → ack → write log → update Codex).
 * Checks, each with its error: no sync in progress (SYNC_PENDING); the
 * payee's certificate is the bank's and current (CERT_INVALID), not this
 * Codex (SELF_PAYMENT); the Codex is live (EXPIRED, TX_LIMIT,
 * STATE_OLD_FORMAT); an amount is given or asked, equal to the one asked
 * when both are (AMOUNT_INVALID), and not above max (OVER_CAP); the axioms
 * of §V.A: amount > 0 and in the Codex's currency (AMOUNT_INVALID), amount
 * ≤ balance (INSUFFICIENT); the state's offline limits: amount ≤ token_max
 * and this epoch's payments plus amount ≤ spent_max (OVER_LIMIT); room in
 * the log (FULL). Then it draws a unique token id, signs the token (with
 * the epoch's running total), appends the PAY entry (pending), debits the
 * balance, and seals the payment to the payee. The caller must store the
 * Codex durably BEFORE sending `out`: the payer debits before sending, so a
 * crash never creates money. On error the Codex is unchanged. */
OBOL_MUST_CHECK obol_err codex_pay(struct codex *c, const struct codex_pay_req *r, int64_t now,
				   struct codex_msg_pay *out, struct codex_token *token_out);
/* The running total of this epoch's payments (PAY entries, refused or not). */
OBOL_MUST_CHECK obol_err codex_spent(const struct codex *c, struct obol_amount *out);

/* The payee's checks, shared by the wallet and the vendor daemon.
 * codex_payment_open: decrypt with the payee's box key (DECRYPT_FAILED),
 * parse (MALFORMED), check that the token names this payee by id and name
 * (NOT_FOR_ME). Then the caller checks the token id is unseen (TOKEN_SEEN).
 * codex_payment_check: the time is fresh (TOKEN_STALE), the payer is not on
 * the blacklist (PAYER_BLACKLISTED), the payer's certificate is the bank's,
 * current and names the payer (CERT_INVALID), the payer's state is the
 * bank's, of the token's epoch and live at the token's time and sequence
 * (STATE_STALE, EXPIRED, TX_LIMIT), state and token carry the offline
 * limits (STATE_OLD_FORMAT), the amount is > 0 in the state's currency
 * (AMOUNT_INVALID), within the state's limits: amount ≤ token_max and
 * amount ≤ spent ≤ spent_max (OVER_LIMIT), and the token's signature
 * verifies under the certified key (SIGNATURE). Then the caller checks the
 * token's place against the payer's last one (codex_place_check). */
OBOL_MUST_CHECK obol_err codex_payment_open(const struct codex_cert *me, const struct obol_box_keypair *my_box,
					    const struct codex_msg_pay *m, struct codex_token *t,
					    struct codex_cert *payer_cert, struct codex_state *payer_state);
OBOL_MUST_CHECK obol_err codex_payment_check(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
					     const struct codex_blacklist *bl, const struct codex_token *t,
					     const struct codex_cert *payer_cert,
					     const struct codex_state *payer_state, int64_t now);
/* Whether token t comes after the last place `last` of its payer that this
 * payee took (NULL: none, or it has expired): a later epoch, or the same
 * epoch with a higher seq and a running total grown by at least the amount.
 * CODEX_PLACE_REUSED otherwise. */
OBOL_MUST_CHECK obol_err codex_place_check(const struct codex_peer *last, const struct codex_token *t, int64_t now);
/* The record to keep after taking t under the payer's state ps. */
void codex_place_next(const struct codex_token *t, const struct codex_state *ps, struct codex_peer *out);

/* The payee's signed acknowledgement of a token. */
OBOL_MUST_CHECK obol_err codex_make_ack(const struct codex_token *t, uint64_t payee_id,
					const uint8_t sk[static OBOL_SIGN_SK_LEN], int64_t now,
					struct codex_msg_ack *out);

/* Receive payment (§III: receive & decrypt → names me → unseen and fresh →
 * blacklist → certified key → ack → write log → update Codex), with the
 * errors above, plus the payee's own Codex being live (EXPIRED, TX_LIMIT,
 * STATE_OLD_FORMAT), the currency (AMOUNT_INVALID), no sync in progress
 * (SYNC_PENDING), the token's place after the payer's last one here
 * (PLACE_REUSED) and room (FULL). Appends the RECEIVE entry, credits the
 * balance, remembers the id and the payer's place, and writes the
 * acknowledgement. The caller stores the Codex durably, then sends the ack.
 * On error the Codex is unchanged. */
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
 * receipt. The refusal is kept in the Codex's list of refusals, which is
 * handed to the bank at the next sync (so the payer is refunded even when
 * the refusal never reaches it) and keeps the id from ever being taken
 * later; it has room of its own, so a full list of received ids is
 * refused with a signed refusal all the same (CODEX_FULL only when the
 * list of refusals is full too). The caller stores the Codex durably, then
 * sends the refusal. */
OBOL_MUST_CHECK obol_err codex_refuse(struct codex *c, const struct codex_msg_pay *m, obol_err reason, int64_t now,
				      struct codex_msg_refusal *out);

/* The payer takes the payee's refusal. One that names a PAY entry of the
 * current log must name that token, this payer and that payee
 * (REFUSAL_WRONG_PARTY) and verify under that payee's certified key
 * (REFUSAL_FORGED); an acknowledged token cannot be refused
 * (REFUSAL_CONFLICT). It is kept in the PAY entry, or, while a sync is
 * pending (whose request must not change), in the list of refusals for the
 * next sync. A refusal of this payer's token that is not in the current log
 * (its epoch was synced before the refusal came) is kept in that list too;
 * the bank checks it. One naming another payer is REFUSAL_UNKNOWN. The bank
 * returns the value at the sync that hands the refusal in; the balance
 * stays debited until then. Taking the same refusal again is accepted
 * (idempotent); FULL when the list has no room. An ack for a refused token
 * is REFUSAL_CONFLICT (codex_take_ack). */
OBOL_MUST_CHECK obol_err codex_take_refusal(struct codex *c, const struct codex_msg_refusal *m);

/* Whether user_id is on this Codex's blacklist (the signed whole list or
 * the paged copy). */
bool codex_payer_listed(const struct codex *c, uint64_t user_id);

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
 * applied, so the log the bank saw is the log the new state closes; the
 * refusals not yet handed in are marked as part of it. A request already
 * pending is kept (a retry sends the same request, so a lost reply is
 * answered again by the bank's idempotency).
 * load: an amount to move from the bank account into the Codex, or NULL;
 * close: the request deletes the account instead of renewing the Codex. */
OBOL_MUST_CHECK obol_err codex_sync_begin(struct codex *c, const char *request_id, const struct obol_amount *load,
					  bool close);
/* Forgets a pending request the bank refused for good (nothing moved). */
void codex_sync_abandon(struct codex *c);
/* Whether the bank's error e to a sync or close settles it for good: one of
 * its named refusals of the request itself, after which nothing moved and
 * the request can be abandoned. Anything else (a transport failure, a 5xx, a
 * database whose commit may or may not have happened, an idempotency
 * mismatch) leaves the outcome unknown: the request stays pending and is
 * sent again, unchanged, until the bank answers it. */
bool codex_sync_refused_for_good(obol_err e);

/* The bank's answer to a sync. */
struct codex_sync_answer {
	const struct codex_state *state;     /* the new state */
	const struct codex_blacklist *bl;    /* the bank's blacklist */
	const struct codex_cert *cert;       /* a renewed certificate, or NULL */
};
/* Applies the bank's answer: the new state must be the bank's, for this
 * user, of the next epoch (STATE_STALE otherwise); a renewed certificate
 * must be the bank's and certify this Codex's keys (CERT_INVALID); the
 * blacklist must be the bank's (SIGNATURE), and the newer of it and the one
 * held is kept (one fetched while the sync was pending may be newer). Closes
 * the log: the new epoch starts empty from the new state, whose balance the
 * bank computed from every log it holds; the refusals the request carried
 * are now the bank's. */
OBOL_MUST_CHECK obol_err codex_sync_apply(struct codex *c, const struct codex_sync_answer *a, int64_t now);

#endif
