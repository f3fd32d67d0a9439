/* payword agent (obol's issuer in the payword scheme), pure: every decision
 * the agent takes, as functions of the request and the stored state that
 * return an effect (the state to store, the ledger moves, the answer); the
 * shells (src/issuer/payword_*.c) read, apply and write. Registration (seed
 * 003 §3.4, §3.5 "registering"), token generation (§3.5 steps A-D),
 * report ingestion and fraud evidence (§3.1, §3.5 "transaction informing
 * and verification"; DESIGN §7), the CRL (§3.2).
 *
 * Chain seeds. The agent generates every chain (seed §3.5 C), so it knows
 * its seed. It does not store seeds: at registration each user gets a
 * random 32-byte chain key, kept in the agent's user record, and the seed of
 * certificate s is
 *     S = SHA-256-parts("obol payword chain seed v1", chain key, s as 8 bytes BE)
 * so the certificate can be delivered again (step D after a lost reply)
 * without a copy of S lying in the database, and distinct serials never
 * share a chain. Seeds and chain keys are wiped after use.
 *
 * Evidence, not timing (P4). A vendor is paid only for the tokens of ranges
 * the user signed for it (messages.h, struct payword_range). Two signed
 * ranges of one certificate that share an order at two vendors prove a user
 * double spend; a range past the user's signed position on a superseded
 * certificate proves that the user spent tokens whose value it had moved;
 * a report whose range the user did not sign is the vendor's fabrication
 * (the vendor signed the request that carries it). Nothing else blames
 * anyone: the order and time in which reports arrive decide nothing.
 *
 * Value. Every token of a certificate is worth its token value. For each
 * certificate the agent counts tokens paid to vendors (`paid`), tokens whose
 * value moved to a later certificate (`moved_out`), and tokens of debt the
 * user's account paid into it (`covered`); what it still holds is
 *     balance = n + covered - paid - moved_out
 * and the sum over all certificates equals the "payword" liability account
 * (the audit's outstanding check). A balance below zero is a debt the
 * user's account could not cover: the audit names it (P1).
 *
 * Regeneration (top-up, or a lost certificate; seed §3.5 token generation,
 * §3.1's regeneration fraud, §4 atomicity). The live certificate is ended at
 * the user's signed position p (struct payword_position): the tokens from p
 * up were never signed for, and their value moves to the new chain at once.
 * The tokens below p that no vendor has reported are in doubt (a lost
 * reply, a vendor reporting in batches): their value stays with the old
 * certificate for `grace` seconds, which cover the longest batch interval a
 * vendor may register, and moves at the first regeneration after that. With
 * no position (a lost certificate), or a position at or below an order a
 * vendor already reported, every unreported token waits the grace. A report
 * that arrives after the value moved is paid from what the certificate
 * still holds, then from the user's account; what neither covers is held as
 * the user's debt (taken from its next token purchase) unless the user's own
 * signatures prove it spent the tokens twice, in which case the vendor, who
 * accepted in good faith, is paid and the certificate's balance goes
 * negative. */
#ifndef OBOL_SCHEMES_PAYWORD_AGENT_H
#define OBOL_SCHEMES_PAYWORD_AGENT_H

#include "schemes/payword/messages.h"

#define PAYWORD_CHAIN_KEY_LEN 32

/* Argon2id limits for password hashing (the shell picks them). */
struct payword_pw_params {
	unsigned long long opslimit;
	size_t memlimit;
};

/* The agent's user record. */
struct payword_user {
	char username[PAYWORD_USERNAME_MAX + 1];
	char pwhash[PAYWORD_PWHASH_MAX];             /* crypto_pwhash_str (Argon2id) */
	uint8_t user_pk[OBOL_SIGN_PK_LEN];           /* signs ranges and positions */
	uint8_t chain_key[PAYWORD_CHAIN_KEY_LEN];    /* secret: derives chain seeds */
};

/* --- registration ---------------------------------------------------------- */

/* The account a registration is made for: the operator opened it (case of
 * DESIGN §4's accounts); the request is signed with its key. */
struct payword_account_view {
	bool user_kind;        /* a user account (not a vendor's) */
	bool active;
	bool has_payword_user; /* already registered for payword */
	uint8_t auth_pk[OBOL_SIGN_PK_LEN];
};

/* Registration: the account must be an active user account the operator
 * opened, not yet registered (PAYWORD_USER_EXISTS); the name and password
 * are checked (PAYWORD_USERNAME, PAYWORD_PASSWORD_WEAK), the password hashed
 * with Argon2id and the chain key drawn. The user's key is the account's. */
OBOL_MUST_CHECK obol_err payword_agent_user_new(const struct payword_account_view *acc, const char *username,
						const char *password, const struct payword_pw_params *pw,
						struct payword_user *out);
/* Step A's check: the password against the user's stored hash
 * (PAYWORD_BAD_PASSWORD). For an unknown user (u NULL) the password is
 * checked against `decoy`, a user record the shell made at start with a
 * random password and the same Argon2id cost, and the answer is
 * PAYWORD_BAD_PASSWORD: an unknown user costs what a known one does. */
OBOL_MUST_CHECK obol_err payword_agent_login(const struct payword_user *u, const struct payword_user *decoy,
					     const char *password);

/* A vendor's payword registration as the agent stores it. */
struct payword_agent_vendor {
	bool registered;
	enum payword_vendor_mode mode;
	int64_t revoked;        /* 0, or when a fabrication was proven */
	int64_t batch_interval; /* seconds; 0 reports almost online */
};

struct payword_vendor_register_effect {
	bool store;                  /* insert or update the record below */
	struct payword_agent_vendor next;
};

/* A vendor chooses its system once (seed §3.4: PAYWORD_VENDOR_MODE for a
 * change) and states how it reports: a batch interval longer than the grace
 * is refused (PAYWORD_BATCH_INTERVAL), so late reports of an honest vendor
 * always find the value they are paid from. PAYWORD_VENDOR_REVOKED after a
 * proven fabrication. */
OBOL_MUST_CHECK obol_err payword_agent_vendor_register(const struct payword_agent_vendor *cur,
						       enum payword_vendor_mode mode, int64_t batch_interval,
						       int64_t grace, int64_t now,
						       struct payword_vendor_register_effect *out);

/* --- certificates and token generation ------------------------------------ */

enum payword_cert_status { PAYWORD_CERT_LIVE = 1, PAYWORD_CERT_SUPERSEDED = 2, PAYWORD_CERT_REVOKED = 3 };

/* The agent's record of a certificate. */
struct payword_agent_cert {
	struct payword_vcert vc;
	enum payword_cert_status status;
	int64_t ended_at;      /* when superseded or revoked; 0 while live */
	uint64_t pos;          /* superseded: the tokens from pos up moved at once */
	bool pos_signed;       /* pos is the user's signed position (else: none moved, or a record
				  from before signed positions) */
	struct payword_position position; /* with pos_signed */
	int64_t paid;          /* tokens paid to vendors */
	int64_t moved_out;     /* tokens whose value moved to a later certificate */
	int64_t covered;       /* tokens of debt the user's account paid into it */
	uint64_t max_claimed;  /* highest order any vendor reported (0: none) */
};

/* balance = n + covered - paid - moved_out (see above). */
int64_t payword_agent_cert_balance(const struct payword_agent_cert *c);

/* The seed of a certificate (see above); out is a secret. */
void payword_agent_chain_seed(const struct payword_user *u, uint64_t serial, uint8_t out[static PAYWORD_TOKEN_LEN]);

struct payword_buy_params {
	uint64_t serial;       /* the new certificate's serial (allocated by the shell) */
	uint64_t scope;        /* PAYWORD_GENERIC or a specific vendor's id */
	uint64_t buy_tokens;   /* tokens paid for now (may be 0 for a pure regeneration) */
	struct obol_amount token_value;
	bool has_position;     /* the wallet's signed position (false: the certificate was lost) */
	struct payword_position position;
	int64_t debt_tokens;   /* tokens of claims held as the user's debt, taken from the new chain */
	int64_t now;
	int64_t validity;      /* seconds until not_after */
	int64_t grace;         /* seconds unreported tokens wait for late reports */
};

struct payword_buy_effect {
	bool issued;                 /* a new certificate: false when nothing could be carried
					yet and nothing was bought (the live one was only ended) */
	struct payword_vcert vc;     /* the new certificate, signed */
	struct obol_amount cost;     /* buy_tokens x token value: debit the user */
	int64_t carried;             /* tokens of value carried from older certificates */
	int64_t debt_paid;           /* of debt_tokens, taken from the new chain: pay the held claims */
	int64_t held;                /* tokens of ended certificates still waiting for late reports */
	int64_t held_until;          /* when the last of them may move */
	/* Per input certificate, tokens whose value moves now (add to
	 * moved_out); the live one is superseded at live_pos (the shell updates
	 * its row and adds its serial to the CRL). */
	int64_t *moved;              /* caller array, one per input certificate */
	bool superseded_live;
	size_t live_index;
	uint64_t live_pos;
	bool live_pos_signed;
};

/* Steps A-C: given the user's certificates of this scope (live, superseded
 * and revoked), computes the new chain: order numbers continue after the
 * highest one ever issued; n = carried + bought - debt; the root H^n(S) is
 * signed in the vendor certificate. The password was checked and the
 * payment is the shell's ledger transfer of `cost`. Errors:
 * PAYWORD_POSITION_INVALID (a position that does not verify under the live
 * certificate's key), PAYWORD_TOKEN_VALUE (another token value),
 * PAYWORD_DEBT (the debt exceeds what would be carried and bought),
 * PAYWORD_TOKENS_LOW (nothing to carry, hold or buy), INVALID_ARGUMENT
 * (chain too long). */
OBOL_MUST_CHECK obol_err payword_agent_buy(const struct payword_user *u, const struct payword_agent_cert *certs,
					   size_t ncerts, const struct payword_buy_params *p,
					   const struct obol_ed25519_signer *signer, struct payword_buy_effect *out);

/* Step D: the user certificate (vendor certificate + seed) for download:
 * the live certificate of this user only (NOT_FOUND for another user's,
 * PAYWORD_CERT_REVOKED for an ended one). The caller wipes *out. */
OBOL_MUST_CHECK obol_err payword_agent_ucert(const struct payword_user *u, int64_t user_account,
					     int64_t cert_user, const struct payword_agent_cert *c,
					     struct payword_ucert *out);

/* --- reports (seed §3.5 transaction informing and verification) ----------- */

enum payword_hold { PAYWORD_HOLD_NONE = 0, PAYWORD_HOLD_REVIEW = 1, PAYWORD_HOLD_DEBT = 2 };

/* A claim the agent stored: the tokens [from, to] of one range. */
struct payword_agent_claim {
	uint64_t vendor;
	uint64_t from, to;
	uint8_t token[PAYWORD_TOKEN_LEN]; /* of order to */
	int64_t auth;
	bool signed_range;     /* false: a claim stored before signed ranges (no signature to judge by) */
	uint8_t sig[OBOL_SIGN_LEN];
	int64_t paid_tokens;   /* tokens paid to the vendor */
	int64_t held_tokens;   /* tokens not paid: held for review, or as the user's debt */
	enum payword_hold hold;
	int64_t received;
};

/* A claim held as the user's debt is paid when the user's next token
 * purchase takes its tokens from the new chain (debt_paid): its tokens are
 * paid to its vendor, through the certificate it names (covered and paid
 * grow together; the balance is unchanged). */
void payword_agent_debt_paid(struct payword_agent_claim *claim, struct payword_agent_cert *cert);

/* The stateless checks of a report line, given the certificate it names
 * and the nearest claimed token below its range's end (NULL: none): the
 * range is signed by the certificate's user for the reporting vendor
 * (PAYWORD_RANGE_INVALID: the vendor's fabrication, see agent.h's head;
 * PAYWORD_ORDER_RANGE), the value is the range's token count x token value
 * (PAYWORD_TOKEN_VALUE, PAYWORD_VALUE_MISMATCH), and the token hashes to the
 * nearest claimed token below it or to the root (PAYWORD_TOKEN_INVALID;
 * O(gap) hashes). Stored claims are never removed, so the check stands for
 * the unit of work that follows. */
OBOL_MUST_CHECK obol_err payword_agent_claim_verify(const struct payword_vcert *vc,
						    const struct payword_agent_claim *nearest_below,
						    const struct payword_claim *c);

/* What the unit of work reads for one report line. */
struct payword_claim_state {
	const struct payword_agent_cert *cert;
	const struct payword_agent_vendor *vendor;
	/* The certificate's stored claims whose ranges share an order with
	 * this one, at any vendor. */
	const struct payword_agent_claim *claims;
	size_t nclaims;
	int64_t user_tokens;   /* whole tokens the user's account balance can cover */
	bool user_revoked;     /* the user's fraud was proven before */
	int64_t grace;
	int64_t now;
};

enum payword_finding {
	PAYWORD_FINDING_NONE = 0,
	PAYWORD_FINDING_DOUBLE_SPEND = 1, /* two signed ranges at two vendors share an order */
	PAYWORD_FINDING_POSITION = 2,     /* a signed range reaches past the user's signed position */
};

struct payword_claim_effect {
	bool duplicate;                 /* the same report again (lost reply): answer, store nothing */
	struct payword_agent_claim store; /* the claim to store */
	int64_t cover_tokens;           /* first: move this many tokens of value from the user's account
					   into the certificate (a debt it pays) */
	int64_t pay_tokens;             /* then: pay the vendor this many tokens from the liability */
	struct payword_agent_cert next; /* the certificate's counters after both */
	enum payword_finding finding;   /* the user's fraud, proven by its own signatures */
	int conflict;                   /* with DOUBLE_SPEND: index of the other claim */
	bool revoke_user;               /* revoke the user and every certificate of it */
	const char *verdict;            /* "ok", "duplicate", "user-double-spend", "held" */
};

/* Judges one report line whose stateless checks passed (the claiming vendor
 * authenticated by the shell as c->vendor) against the state read for it:
 *   - the vendor has registered (PAYWORD_VENDOR_NOT_REGISTERED, retryable:
 *     its registration may still be on the way) and is not revoked
 *     (PAYWORD_VENDOR_REVOKED); a specific chain is claimed by its vendor
 *     only (PAYWORD_WRONG_VENDOR);
 *   - the same claim again is a duplicate; another claim of this vendor
 *     sharing an order with it is PAYWORD_CLAIM_REPLAYED;
 *   - a signed range of another vendor sharing an order with it, or a range
 *     reaching the user's signed position on a superseded certificate, is
 *     the user's fraud: the user is revoked, the vendor paid in full;
 *   - tokens shared with a claim stored before signed ranges (no signature
 *     to judge by) are held for review, neither paid nor refused;
 *   - the vendor is paid from the certificate's balance; a shortfall is
 *     covered from the user's account; what neither covers is held as the
 *     user's debt, unless the user's fraud is proven, by this report or
 *     before (then paid: the balance goes negative and the audit names
 *     it). Within the grace a shortfall arises only from ranges that
 *     overlap, so whether a vendor is paid does not depend on which report
 *     came first; after it (the value went back to the user) a vendor that
 *     reported late is paid as far as the user's value goes.
 * Returns OBOL_OK with *out saying what to store, move and answer; an error
 * when the report is refused and nothing changes. */
OBOL_MUST_CHECK obol_err payword_agent_claim_apply(const struct payword_claim_state *st,
						   const struct payword_claim *c,
						   struct payword_claim_effect *out);

/* The operator's decision on a claim held for review (`obol issuer payword
 * review`): pay its held tokens from the certificate's balance (and the
 * user's account, as a report would) or drop them. */
struct payword_review_effect {
	int64_t cover_tokens, pay_tokens;
	struct payword_agent_claim claim;
	struct payword_agent_cert next;
};
OBOL_MUST_CHECK obol_err payword_agent_review(const struct payword_agent_cert *cert,
					      const struct payword_agent_claim *claim, bool pay, int64_t user_tokens,
					      struct payword_review_effect *out);

/* Builds and signs a CRL of the given serials (sorted in place, duplicates
 * dropped). No count is refused (P6). */
OBOL_MUST_CHECK obol_err payword_agent_crl(uint64_t *serials, size_t count, uint64_t seq, int64_t now,
					   const struct obol_ed25519_signer *signer, struct payword_crl *out);

#endif
