/* The bank's ActivityMonitor (seed 004 §III, §VI.B; DESIGN §8), as pure
 * decisions over the records the shell (src/issuer/codex_*.c) loads into a
 * unit (struct codex_bank_unit): each operation changes those records in
 * memory, marking what changed, and appends to the unit's effect what the
 * shell must do besides writing them back (ledger moves, losses, findings,
 * blacklist entries). The shell reads, calls, and writes what it is told;
 * it decides nothing. The coupon issuer core (schemes/coupon/issuer.h) is
 * the model.
 *
 *   create account  codex_bank_open: the amount and the safe deposit move
 *                   into the codex liability; certificate and first state
 *                   (a closed account may open again);
 *   update Codex    codex_bank_sync: RetrieveLog (codex_bank_verify_log),
 *                   then every token is taken in once, known by its whole
 *                   signed bytes: credited to its payee and debited from
 *                   its payer ("the bank knows Bob has the money though Bob
 *                   has not been to the bank"); forks, omissions, refusals
 *                   and a payee's claim of a token it refused are found;
 *                   overspenders are covered from their safe deposit;
 *                   the Codex is renewed (new epoch, balance, expiry,
 *                   offline limits, certificate when due), or closed;
 *   delete account  codex_bank_sync with close: the value goes back now, the
 *                   deposit when every token the Codex could still have
 *                   issued has gone stale (codex_bank_release);
 *   create blacklist codex_bank_blacklist_build (signed, versioned; entries
 *                   whose Codex expired are left out);
 *   check consistency codex_bank_consistency;
 *   guarantee of payment and loss recovery: an overspent user's deficit is
 *                   paid from its safe deposit first, the rest from outside,
 *                   each case reported.
 *
 * Money is struct obol_amount throughout, in the ledger's currency. A
 * user's value (what its Codex should hold by every log the bank has) is
 * loaded + credits - debits; the codex liability account equals the sum of
 * every user's value and safe deposit. */
#ifndef OBOL_SCHEMES_CODEX_BANK_H
#define OBOL_SCHEMES_CODEX_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "schemes/codex/messages.h"

/* ---- policy and records ------------------------------------------------- */

/* What the bank decides with, set by its operator (issuer init --codex-*). */
struct codex_bank_policy {
	const char *currency;
	int64_t lifetime;             /* of a state (§VI.B expiry by date) */
	uint64_t tx_limit;            /* log entries per epoch (§VI.B expiry by count) */
	struct obol_amount token_max; /* the most one token may carry; zero: the per-epoch limit */
	int64_t cert_lifetime;        /* of a certificate */
	int64_t cert_renew_margin;    /* a sync renews a certificate that expires within this */
	int64_t hold_grace;           /* extra hold of a closed or blacklisted Codex's deposit */
	/* the key that signs certificates, states and blacklists (whichever
	 * key the bank's key hierarchy names for it) */
	const struct obol_ed25519_signer *signer; /* the issuer's online key */
	const uint8_t *sign_pk; /* OBOL_SIGN_PK_LEN */
};
/* The defaults of codex_bank_policy (sign keys and currency left NULL). */
void codex_bank_policy_default(struct codex_bank_policy *p);

/* What the bank knows of a party that can sign or receive tokens. */
struct codex_party {
	uint64_t id; /* its ledger account */
	char name[CODEX_NAME_MAX + 1];
	uint8_t kind; /* enum codex_party_kind */
	uint8_t sign_pk[OBOL_SIGN_PK_LEN];
};

/* The bank's record of a party (a user's Codex, or a vendor payee). */
struct codex_bank_user {
	struct codex_party p;
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	uint64_t epoch;                    /* of the last state issued */
	uint8_t state_hash[OBOL_HASH_LEN]; /* of the last state issued */
	int64_t state_not_after;           /* of the last state issued */
	int64_t cert_not_after;            /* of the last certificate issued */
	uint64_t tx_total;                 /* log entries of closed epochs */
	uint64_t perf;                     /* reconciliations without a finding against it */
	struct obol_amount loaded;         /* value put in from the account (and by cover) */
	struct obol_amount credits, debits; /* tokens to and from it, from every log held */
	struct obol_amount deposit;        /* safe deposit still held */
	/* Lent from the deposit to the value, to pay a payee before the user's
	 * own log came in: an honest Codex may spend offline what it received,
	 * and its payee may reach the bank before the payers' logs that credit
	 * it. Given back as the value allows; final (a loss row, the user
	 * found) only once its own log shows the value below zero, or it is
	 * found, or the deficit passes the deposit. Part of `loaded` and not
	 * of `deposit` while lent. */
	struct obol_amount advanced;
	bool blacklisted;
	bool closed;   /* deleted by its user; the deposit is held until codex_bank_release */
	bool released; /* closed or blacklisted, and what was left has gone back to the account */
	/* in a unit: the party's ledger account balance (read for a vendor or
	 * a closed user, whose tokens are paid on the account), and whether the
	 * record is new or changed */
	struct obol_amount account;
	bool fresh, dirty;
};

/* loaded + credits - debits. */
OBOL_MUST_CHECK obol_err codex_bank_value(const struct codex_bank_user *u, struct obol_amount *value);
/* When the deposit of a closed or blacklisted user may go back: the last
 * state's expiry, plus the freshness window in which a payee still takes a
 * token, plus the policy's grace for late logs. */
int64_t codex_bank_hold_until(const struct codex_bank_policy *pol, const struct codex_bank_user *u);

/* A token as the bank holds it, once per distinct signed form: two tokens
 * under one id with different bytes are two rows (variant 0, 1, ...). */
struct codex_bank_token {
	uint64_t payer_id, payee_id;
	uint8_t payee_kind; /* enum codex_party_kind: a vendor's tokens are paid on its account */
	uint64_t epoch;
	struct obol_amount amount;
	bool by_payer, by_payee; /* which logs (or deposits) hold it */
	bool refused; /* its payee signed a refusal of it: it moves no value */
};

/* What a token proves against a party (§VI.B fraud detection). */
enum codex_finding {
	CODEX_FIND_NONE = 0,
	CODEX_FIND_FORK = 1,      /* payer: another token holds its place or its id, or an epoch never issued */
	CODEX_FIND_OMITTED = 2,   /* payer: its handed-in log lacks a token its payee holds */
	CODEX_FIND_OVERSPENT = 3, /* payer: its value went below zero */
	CODEX_FIND_CONFLICT = 4,  /* payee: it claimed a token it signed a refusal of */
};
const char *codex_finding_name(enum codex_finding f);

struct codex_token_row {
	uint8_t id[CODEX_TOKEN_ID_LEN];
	uint32_t variant;
	struct codex_bank_token t;
	uint64_t seq;
	int64_t time;
	uint8_t finding; /* enum codex_finding the token itself proved on intake */
	uint8_t blob[CODEX_TOKEN_MAX]; /* its signed encoding: what identifies it */
	size_t blob_len;
	bool fresh, dirty; /* in a unit */
};

/* A payee's signed refusal the bank holds, keyed by the token's hash. */
struct codex_refusal_row {
	struct codex_refusal f;
	bool fresh; /* in a unit */
};

/* ---- a unit of work ------------------------------------------------------ */

enum codex_account_kind { CODEX_ACCT_PARTY = 1, CODEX_ACCT_LIABILITY, CODEX_ACCT_OUTSIDE };
struct codex_move {
	uint8_t from, to;        /* enum codex_account_kind */
	uint64_t from_id, to_id; /* the party's account for CODEX_ACCT_PARTY */
	struct obol_amount amount;
	const char *reason;      /* journal reason: "codex-load", ... */
	char ref[CODEX_NAME_MAX + 1];
};
struct codex_loss {
	uint64_t user;
	struct obol_amount deficit, from_deposit, from_outside;
	const char *reason;
};
struct codex_finding_rec {
	uint64_t party;
	uint8_t kind; /* enum codex_finding */
	uint8_t token_id[CODEX_TOKEN_ID_LEN];
};
struct codex_listing {
	uint64_t user;
	int64_t until; /* after this no token of the user passes a payee's checks */
};

/* What the shell does besides writing back the records marked fresh or
 * dirty: post the moves in order, record the losses and findings, add the
 * listings to the blacklist. */
struct codex_bank_effect {
	struct codex_move *moves;
	size_t nmoves, moves_cap;
	struct codex_loss *losses;
	size_t nlosses, losses_cap;
	struct codex_finding_rec *findings;
	size_t nfindings, findings_cap;
	struct codex_listing *listed;
	size_t nlisted, listed_cap;
};

/* The records one unit reads (loaded by the shell before the decision) and
 * the effect it builds. The arrays are the caller's (grown by the core with
 * realloc when it adds a row); codex_bank_unit_free frees them. */
struct codex_bank_unit {
	const struct codex_bank_policy *pol;
	int64_t now;
	struct codex_bank_user *users;
	size_t nusers, users_cap;
	struct codex_token_row *tokens;
	size_t ntokens, tokens_cap;
	struct codex_refusal_row *refusals;
	size_t nrefusals, refusals_cap;
	struct codex_bank_effect eff;
};
void codex_bank_unit_init(struct codex_bank_unit *k, const struct codex_bank_policy *pol, int64_t now);
void codex_bank_unit_free(struct codex_bank_unit *k);
/* The loader's side: add a record read from the store (copied). */
OBOL_MUST_CHECK obol_err codex_bank_unit_add_user(struct codex_bank_unit *k, const struct codex_bank_user *u);
OBOL_MUST_CHECK obol_err codex_bank_unit_add_token(struct codex_bank_unit *k, const struct codex_token_row *t);
OBOL_MUST_CHECK obol_err codex_bank_unit_add_refusal(struct codex_bank_unit *k, const struct codex_refusal *f);
/* The record of a party in the unit, or NULL. */
struct codex_bank_user *codex_bank_unit_user(struct codex_bank_unit *k, uint64_t id);

/* ---- create account ------------------------------------------------------ */

struct codex_open_req {
	const struct codex_party *party; /* the account: id, name, kind USER, its auth key */
	const uint8_t *box_pk;           /* OBOL_BOX_PK_LEN */
	struct obol_amount amount, deposit;
};
struct codex_open_out {
	struct codex_cert cert;
	struct codex_state state;
};
/* For a user account (the unit holds its record if it had a Codex before):
 * CODEX_AMOUNT_INVALID (amount < 0 or another currency),
 * CODEX_DEPOSIT_INVALID (deposit <= 0 or another currency),
 * CODEX_ALREADY_OPEN (its Codex is open), CODEX_BLACKLISTED. A closed
 * account opens again: its figures carry on (a held deposit is added to the
 * new one), its epochs go on from the last, so tokens of the closed Codex
 * still meet its log. Moves amount and deposit from the account into the
 * codex liability; certificate and state as codex_bank_issue_*. */
OBOL_MUST_CHECK obol_err codex_bank_open(struct codex_bank_unit *k, const struct codex_open_req *r,
					 struct codex_open_out *out);

/* A vendor account as a payee: creates or updates its record (keys) and
 * certifies its keys. */
OBOL_MUST_CHECK obol_err codex_bank_vendor(struct codex_bank_unit *k, const struct codex_party *party,
					   const uint8_t box_pk[static OBOL_BOX_PK_LEN], struct codex_cert *out);

/* The bank's certificate of a party's keys (pol->cert_lifetime); records
 * its expiry in u. */
OBOL_MUST_CHECK obol_err codex_bank_issue_cert(const struct codex_bank_policy *pol, struct codex_bank_user *u,
					       int64_t now, struct codex_cert *out);

/* Closes the user's epoch and issues the next state (epoch 1 at creation):
 * balance = the user's value (not negative: cover first), deposit, the
 * offline limits (spent_max = the deposit, token_max = the policy's cap or
 * spent_max), expiry now + lifetime, tx_limit, perf. Updates u's epoch,
 * state hash, expiry and tx_total (+ closed_entries). CODEX_BLACKLISTED for
 * a blacklisted user. */
OBOL_MUST_CHECK obol_err codex_bank_issue_state(const struct codex_bank_policy *pol, struct codex_bank_user *u,
						uint64_t closed_entries, int64_t now, struct codex_state *out);

/* ---- update Codex -------------------------------------------------------- */

/* RetrieveLog + the log's own consistency: the state is the bank's
 * (SIGNATURE) and the last it issued to this user (STATE_STALE: a
 * rolled-back or replaced Codex); entries 1..n follow the state's hash
 * chain and sequence (LOG_BROKEN), within its count (TX_LIMIT); a PAY entry
 * is a token of this user at its place in the chain, signed by it, and
 * (for a state with offline limits) of the current version, with the
 * running total of the log so far, within the limits (LOG_BROKEN,
 * OVER_LIMIT); a RECEIVE entry is a token to this user signed by a payer in
 * `parties` (UNKNOWN_USER when the payer is not there; SIGNATURE when its
 * signature fails); no token id twice (TOKEN_SEEN); amounts > 0 in the
 * currency (AMOUNT_INVALID); a PAY entry that carries its payee's refusal
 * names that token, this payer and the token's payee (REFUSAL_WRONG_PARTY)
 * and verifies under the payee's key in `parties` (UNKNOWN_USER when
 * absent; REFUSAL_FORGED); and the claimed balance equals the state's
 * balance - payments + receipts (INCONSISTENT). */
OBOL_MUST_CHECK obol_err codex_bank_verify_log(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
					       const struct codex_bank_user *u, const struct codex_state *st,
					       const struct codex_entry *entries, size_t n,
					       const struct obol_amount *claimed, const struct codex_party *parties,
					       size_t nparties);

struct codex_sync_req {
	uint64_t account;
	const struct codex_state *state;    /* the state the Codex holds */
	const struct codex_entry *entries;  /* its log */
	size_t n;
	const struct obol_amount *claimed;  /* its balance */
	const struct obol_amount *load;     /* to move from the account into the Codex, or NULL */
	bool close;                         /* delete the account instead of renewing */
	/* refusals handed in beside the log: the user's own as a payee, and
	 * its payees' refusals of its tokens of earlier epochs */
	const struct codex_refusal *refusals;
	size_t nrefusals;
};

struct codex_sync_out {
	bool renewed;             /* a new state was issued */
	struct codex_state state; /* when renewed */
	bool cert_renewed;        /* a new certificate (same keys, later expiry) */
	struct codex_cert cert;
	bool blacklisted;         /* the user is on the blacklist (nothing renewed) */
	bool closed;              /* close: the account is deleted */
	size_t findings;          /* frauds this sync proved, against anyone */
	size_t own_findings;      /* ... against this user */
	struct obol_amount value;    /* the user's value at the bank after the sync */
	struct obol_amount paid_out; /* close: the value paid back now */
	struct obol_amount held;     /* close: the safe deposit held ... */
	int64_t held_until;          /* ... until then (codex_bank_release) */
	/* tokens to this user that other logs settled and it never reported,
	 * recent enough to pass the time check: the wallet adds them to its
	 * received ids */
	size_t nsettled;
	uint8_t (*settled_ids)[CODEX_TOKEN_ID_LEN]; /* malloc'ed: codex_sync_out_free */
	int64_t *settled_times;
};
void codex_sync_out_free(struct codex_sync_out *o);

/* Update Codex (§III: RetrieveLog → Check Consistency → credit and debit
 * from the logs → UpdateAccount; §VI.B). The unit holds the user's record,
 * the records of every party the log and the refusals name, every stored
 * token with an id or a place (payer, epoch, seq) the log names, every
 * token the user's payees reported for its current epoch, the tokens
 * settled to it recently, and the stored refusals of those tokens.
 * Refused, changing nothing: CODEX_UNKNOWN_USER, CODEX_ACCOUNT_DELETED,
 * CODEX_BLACKLISTED (a user already on the blacklist: what is left of its
 * deposit waits for codex_bank_release), the errors of
 * codex_bank_verify_log. A refusal handed in beside the log that does not
 * verify under its payee's key, or names neither this user as payer nor as
 * payee, proves nothing and is left aside. Then every token is taken in
 * (codex_bank_take_*), the load is taken, every party that went below zero
 * is covered, and the Codex is renewed, or closed (value paid back now,
 * deposit held), unless a finding put the user on the blacklist (answered
 * OK with out->blacklisted: the findings stand). */
OBOL_MUST_CHECK obol_err codex_bank_sync(struct codex_bank_unit *k, const struct codex_sync_req *r,
					 struct codex_sync_out *out);

/* ---- a vendor's deposit --------------------------------------------------- */

struct codex_deposit_req {
	uint64_t vendor;
	const struct codex_token *tokens;
	size_t n;
	const struct codex_refusal *refusals; /* the vendor's own refusals */
	size_t nrefusals;
};
struct codex_deposit_out {
	obol_err *results;       /* caller's array of n: per token, OK or why it is not paid */
	struct obol_amount paid; /* paid to the vendor now */
};
/* A vendor hands in the tokens it took: each is checked (names this vendor:
 * NOT_PAYEE; amount: AMOUNT_INVALID; payer a known user: UNKNOWN_USER;
 * signature: SIGNATURE) and taken in as a payee's claim: paid to the vendor
 * unless its payer's log paid it before (TOKEN_SEEN for the same token
 * deposited twice, TOKEN_REFUSED for one the vendor refused). The vendor's
 * refusals are taken in as at a sync (one that is not the vendor's own is
 * left aside). The unit holds the vendor's record, every
 * payer's, and the stored tokens and refusals with those ids and places. */
OBOL_MUST_CHECK obol_err codex_bank_deposit(struct codex_bank_unit *k, const struct codex_deposit_req *r,
					    struct codex_deposit_out *out);

/* ---- release --------------------------------------------------------------- */

struct codex_release_out {
	struct obol_amount paid; /* what went back to the account */
	int64_t held_until;      /* CODEX_DEPOSIT_HELD: when to ask again */
};
/* What is left of a closed or blacklisted Codex (value and safe deposit,
 * after every fraud was covered from it) goes back to its account, once,
 * after codex_bank_hold_until: CODEX_DEPOSIT_HELD before (out->held_until
 * set), CODEX_NOTHING_HELD for an open Codex or one released before,
 * CODEX_UNKNOWN_USER without one. A token of it that comes later still
 * pays its payee, from outside (a loss, reported). */
OBOL_MUST_CHECK obol_err codex_bank_release(struct codex_bank_unit *k, uint64_t account,
					    struct codex_release_out *out);

/* ---- the blacklist ----------------------------------------------------------- */

/* Builds the signed blacklist from the listed users whose `until` has not
 * passed (an entry past it can no longer matter: no token of that user
 * passes a payee's time and expiry checks), sorted by id; when more than
 * CODEX_BLACKLIST_MAX are live, the most recent (highest `since`) are kept.
 * version: the new version (the previous plus one). *next_prune: the
 * earliest `until` among those kept (INT64_MAX when none), when the list
 * must be built again. */
struct codex_blacklist_entry {
	uint64_t user;
	int64_t since, until;
};
OBOL_MUST_CHECK obol_err codex_bank_blacklist_build(const struct codex_bank_policy *pol,
						    struct codex_blacklist_entry *entries, size_t n, uint64_t version,
						    int64_t now, struct codex_blacklist *out, int64_t *next_prune);

/* ---- check consistency ---------------------------------------------------- */

struct codex_consistency {
	size_t users, tokens;
	size_t unlogged;   /* tokens a payee holds whose payer closed the epoch without them, payer not blacklisted */
	size_t overspent;  /* users whose value or deposit is negative */
	size_t mismatched; /* users whose stored credits/debits differ from their tokens */
	size_t conflicts_open; /* refused tokens a user payee also claims, that payee not on the blacklist */
	struct obol_amount total_value, total_deposit; /* Σ values, Σ safe deposits */
	struct obol_amount dispersed; /* what the bank holds for codexes (the liability) */
	bool ok;
};

/* Check consistency (§III): recomputes every user's credits and debits from
 * the tokens (a refused token moves nothing) and compares them with its
 * record; counts tokens that a payee holds and its payer's closed log
 * lacks (unless the payer is blacklisted, i.e. the fraud was found and
 * settled); counts users below zero and conflicts not acted on; and checks
 * Σ (value + deposit) == dispersed. out->ok tells; CODEX_INCONSISTENT when
 * it does not hold. users must be sorted by id. */
OBOL_MUST_CHECK obol_err codex_bank_consistency(const char *currency, const struct codex_bank_user *users,
						size_t nusers, const struct codex_bank_token *tokens, size_t ntokens,
						const struct obol_amount *dispersed, struct codex_consistency *out);

#endif
