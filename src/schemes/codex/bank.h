/* The bank's ActivityMonitor (seed 004 §III, §VI.B; DESIGN §8), as pure
 * decisions over records the shell (src/issuer/codex_*.c) loads and stores:
 *
 *   create account  codex_bank_issue_cert + codex_bank_issue_state, with the
 *                   safe deposit recorded in the user's figures;
 *   update Codex    RetrieveLog: codex_bank_verify_log checks the log the
 *                   wallet hands in against the state the bank issued last;
 *                   each token is then classified against the bank's tables
 *                   (codex_bank_classify, codex_bank_omitted), credited to its
 *                   payee and debited from its payer ("the bank knows Bob has
 *                   the money though Bob has not been to the bank");
 *                   codex_bank_issue_state renews the Codex (new epoch,
 *                   balance, expiry);
 *   create blacklist codex_bank_blacklist_add (signed, versioned);
 *   check consistency codex_bank_consistency: every token in a payee's log
 *                   is in its payer's log and within the payer's funds, and
 *                   the total of all balances equals the total dispersed;
 *   guarantee of payment and loss recovery: codex_bank_cover pays an
 *                   overspent payer's deficit from its safe deposit and names
 *                   the loss beyond it.
 *
 * Money in the bank's figures is in units of 10^-8 of the ledger currency. A
 * user's value (what its Codex should hold by every log the bank has) is
 * loaded + credits - debits; the value held for all codexes is the sum of the
 * values plus the safe deposits, which the ledger's "codex" liability account
 * must equal. */
#ifndef OBOL_SCHEMES_CODEX_BANK_H
#define OBOL_SCHEMES_CODEX_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "schemes/codex/messages.h"

/* What the bank knows of a party that can sign or receive tokens. */
struct codex_party {
	uint64_t id;
	char name[CODEX_NAME_MAX + 1];
	uint8_t kind; /* enum codex_party_kind */
	uint8_t sign_pk[OBOL_SIGN_PK_LEN];
};

/* The bank's record of a user's Codex. */
struct codex_bank_user {
	struct codex_party p;
	uint64_t epoch;                    /* of the last state issued */
	uint8_t state_hash[OBOL_HASH_LEN]; /* of the last state issued */
	uint64_t tx_total;                 /* log entries of closed epochs */
	uint64_t perf;                     /* clean reconciliations */
	int64_t loaded;                    /* value put in from the account (and by cover) */
	int64_t credits, debits;           /* tokens to and from it, from every log held */
	int64_t deposit;                   /* safe deposit still held */
	bool blacklisted;
};

/* loaded + credits - debits; OBOL_E_AMOUNT_OVERFLOW when it does not fit. */
OBOL_MUST_CHECK obol_err codex_bank_value(const struct codex_bank_user *u, int64_t *value);

/* The bank's certificate of a party's keys (CODEX_CERT_LIFETIME). */
OBOL_MUST_CHECK obol_err codex_bank_issue_cert(const struct codex_party *p, const uint8_t box_pk[static OBOL_BOX_PK_LEN],
					       int64_t now, const uint8_t bank_sk[static OBOL_SIGN_SK_LEN],
					       struct codex_cert *out);

/* Closes the user's epoch and issues the next state (epoch 1 at creation:
 * pass a record with epoch 0): balance = the user's value (which must not be
 * negative: cover first), deposit, expiry now + lifetime, tx_limit, perf.
 * Updates u->epoch, u->state_hash, u->tx_total (+ closed_entries).
 * CODEX_BLACKLISTED for a blacklisted user (its Codex is not renewed). */
OBOL_MUST_CHECK obol_err codex_bank_issue_state(struct codex_bank_user *u, const char *currency,
						uint64_t closed_entries, int64_t now, int64_t lifetime,
						uint64_t tx_limit, const uint8_t bank_sk[static OBOL_SIGN_SK_LEN],
						struct codex_state *out);

/* RetrieveLog + the log's own consistency: the state is the bank's
 * (SIGNATURE) and the last it issued to this user (STATE_STALE: a rolled-back
 * or replaced Codex); entries 1..n follow the state's hash chain and
 * sequence (LOG_BROKEN), within its count (TX_LIMIT); a PAY entry is a token
 * of this user at its place in the chain, signed by it; a RECEIVE entry is a
 * token to this user signed by a payer in `parties` (UNKNOWN_USER when the
 * payer is not there; SIGNATURE when its signature fails); no token id twice
 * (TOKEN_SEEN); amounts > 0 in the currency (AMOUNT_INVALID); a PAY entry
 * that carries its payee's refusal names that token, this payer and the
 * token's payee (REFUSAL_WRONG_PARTY) and verifies under the payee's key in
 * `parties` (UNKNOWN_USER when absent; REFUSAL_FORGED); and the claimed
 * balance equals the state's balance - payments + receipts (INCONSISTENT:
 * a refused payment stays debited in the Codex until the bank's new state
 * returns it). */
OBOL_MUST_CHECK obol_err codex_bank_verify_log(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
					       const struct codex_bank_user *u, const struct codex_state *st,
					       const struct codex_entry *entries, size_t n,
					       const struct obol_amount *claimed, const struct codex_party *parties,
					       size_t nparties);

/* What a token reported by its payee proves about its payer (§VI.B fraud
 * detection through the hash-chained log). */
enum codex_finding {
	CODEX_FIND_NONE = 0,
	CODEX_FIND_FORK = 1,    /* another token holds its place in the payer's log: a rolled-back Codex paid twice */
	CODEX_FIND_OMITTED = 2, /* the payer closed that epoch with a log that lacks it: a rolled-back Codex */
};
const char *codex_finding_name(enum codex_finding f);

/* Classifies token t, reported by its payee, against the bank's tables:
 * slot_id is the id of the token the bank holds at the same (payer, epoch,
 * seq) (from the payer's handed-in log or another payee's), or NULL;
 * payer_epoch is the payer's current epoch at the bank (an epoch below it is
 * closed: the payer handed in its whole log). */
enum codex_finding codex_bank_classify(const struct codex_token *t, const uint8_t *slot_id, uint64_t payer_epoch);

/* At the payer's own sync: how many of the `nknown` tokens its payees
 * already reported for this epoch (ids and seqs) the handed-in log lacks at
 * their place. Any is proof of a rolled-back Codex (CODEX_FIND_OMITTED or
 * FORK). */
size_t codex_bank_omitted(const struct codex_entry *entries, size_t n, const uint8_t (*known_ids)[CODEX_TOKEN_ID_LEN],
			  const uint64_t *known_seqs, size_t nknown);

/* Guarantee of payment and loss recovery (§VI.B): when the user's value is
 * negative (it paid more than it held), its safe deposit pays the deficit
 * as far as it goes: *from_deposit is taken from u->deposit, *loss is what
 * remains, which the bank puts in from outside; afterwards the value is 0.
 * Both 0 when the value is not negative. */
OBOL_MUST_CHECK obol_err codex_bank_cover(struct codex_bank_user *u, int64_t *from_deposit, int64_t *loss);

/* Adds a user to the blacklist (kept ascending), bumps its version and
 * signs it. Already listed: unchanged, OBOL_OK. CODEX_FULL when full. */
OBOL_MUST_CHECK obol_err codex_bank_blacklist_add(struct codex_blacklist *bl, uint64_t user_id, int64_t now,
						  const uint8_t bank_sk[static OBOL_SIGN_SK_LEN]);

/* One token as the bank's table holds it, for the consistency check. */
struct codex_bank_token {
	uint64_t payer_id, payee_id;
	uint8_t payee_kind; /* enum codex_party_kind: a vendor's tokens are paid out at deposit */
	uint64_t epoch;
	int64_t amount;
	bool by_payer, by_payee; /* which logs hold it */
	bool refused;            /* the payer's log held the payee's refusal: nobody is debited or credited */
};

struct codex_consistency {
	size_t users, tokens;
	size_t unlogged;   /* tokens a payee holds whose payer closed the epoch without them, payer not blacklisted */
	size_t overspent;  /* users whose value is negative */
	size_t mismatched; /* users whose stored credits/debits differ from their tokens */
	size_t refused_claimed; /* tokens a payee refused that a payee log or deposit also holds */
	int64_t total_value, total_deposit; /* Σ values, Σ safe deposits */
	int64_t dispersed; /* what the bank holds for codexes (the liability) */
	bool ok;
};

/* Check consistency (§III): recomputes every user's credits and debits from
 * the tokens and compares them with its record; counts tokens that a payee
 * holds and its payer's closed log lacks (unless the payer is blacklisted,
 * i.e. the fraud was found and settled); counts overspent users; and checks
 * Σ (value + deposit) == dispersed. out->ok tells; CODEX_INCONSISTENT when
 * it does not hold, OBOL_E_AMOUNT_OVERFLOW on overflow. users must be
 * sorted by id. */
OBOL_MUST_CHECK obol_err codex_bank_consistency(const struct codex_bank_user *users, size_t nusers,
						const struct codex_bank_token *tokens, size_t ntokens,
						int64_t dispersed, struct codex_consistency *out);

#endif
