/* payword agent (obol's issuer in the payword scheme), pure: registration
 * (seed 003 §3.4, §3.5 "registering"), token generation (§3.5 steps A-D),
 * report ingestion and fraud checks (§3.1, §3.5 "transaction informing and
 * verification"; DESIGN §7).
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
 * Value. Every token of a certificate is worth its token value. For each
 * certificate the agent counts tokens paid to vendors (`paid`, net of
 * reversals of fabricated claims) and tokens whose value moved to a later
 * certificate (`moved_out`); the value a certificate still owes is
 *     (n - paid - moved_out) x token value,
 * and the sum over all certificates equals the "payword" liability account
 * (the audit's outstanding check). It covers the unspent tokens of live
 * chains and the in-doubt tokens of superseded ones.
 *
 * Regeneration (top-up, or a lost certificate; seed §3.5 token generation,
 * DESIGN §7, seed §4 atomicity). The live certificate is superseded at the
 * wallet's position p (the next order it would spend; for a lost wallet the
 * order after the last one any vendor reported). Its tokens from p up are
 * unspent: their value moves to the new chain at once. Its unreported tokens
 * below p are in doubt (a lost reply, a vendor still to report in batch):
 * their value stays with the old certificate for `grace` seconds, during
 * which late reports are still paid from it, and returns at the first
 * regeneration after that. A report for a token whose value already moved
 * (an unreported expense of a lost wallet, seed §3.1) is still paid to the
 * vendor that accepted it in good faith, and the certificate's negative
 * balance is taken from the user's next regeneration. */
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
	uint8_t user_pk[OBOL_SIGN_PK_LEN];           /* signs visit commitments */
	uint8_t chain_key[PAYWORD_CHAIN_KEY_LEN];    /* secret: derives chain seeds */
};

/* Registration: checks the name and password, hashes the password with
 * Argon2id and draws the chain key. */
OBOL_MUST_CHECK obol_err payword_agent_user_new(const char *username, const char *password,
						const uint8_t user_pk[static OBOL_SIGN_PK_LEN],
						const struct payword_pw_params *pw, struct payword_user *out);
/* Step C's first check: the password against the stored hash
 * (PAYWORD_BAD_PASSWORD). */
OBOL_MUST_CHECK obol_err payword_agent_user_auth(const struct payword_user *u, const char *password);


enum payword_cert_status { PAYWORD_CERT_LIVE = 1, PAYWORD_CERT_SUPERSEDED = 2, PAYWORD_CERT_REVOKED = 3 };

/* The agent's record of a certificate. */
struct payword_agent_cert {
	struct payword_vcert vc;
	enum payword_cert_status status;
	int64_t ended_at;      /* when superseded or revoked; 0 while live */
	uint64_t pos;          /* the wallet's position when superseded */
	int64_t paid;          /* tokens paid to vendors, net of reversals */
	int64_t moved_out;     /* tokens whose value moved to a later certificate */
	uint64_t max_claimed;  /* highest order any vendor reported (0: none) */
};

/* The seed of a certificate (see above); out is a secret. */
void payword_agent_chain_seed(const struct payword_user *u, uint64_t serial, uint8_t out[static PAYWORD_TOKEN_LEN]);

struct payword_buy_params {
	uint64_t serial;       /* the new certificate's serial (allocated by the shell) */
	uint64_t scope;        /* PAYWORD_GENERIC or a specific vendor's id */
	uint64_t buy_tokens;   /* tokens paid for now (may be 0 for a pure regeneration) */
	struct obol_amount token_value;
	bool has_pos;          /* the wallet told its position (false: the certificate was lost) */
	uint64_t pos;
	int64_t now;
	int64_t validity;      /* seconds until not_after */
	int64_t grace;         /* seconds in-doubt tokens are held for late reports */
};

struct payword_buy_result {
	struct payword_vcert vc;     /* the new certificate, signed */
	struct obol_amount cost;     /* buy_tokens x token value: debit the user */
	int64_t carried;             /* tokens of value carried from old certificates */
	/* Per input certificate: tokens whose value moves now (add to moved_out);
	 * the live one is superseded at pos (the shell updates its row and adds
	 * its serial to the CRL). */
	int64_t *moved;              /* caller array, one per input certificate */
	bool superseded_live;
	size_t live_index;
	uint64_t live_pos;
};

/* Step C: given the user's certificates of this scope (live, superseded and
 * revoked), computes the new chain: order numbers continue after the
 * highest one ever issued; n = carried tokens + bought tokens; the root
 * H^n(S) is signed in the vendor certificate. The password was checked and
 * the payment is the shell's ledger transfer of `cost`. Errors:
 * PAYWORD_TOKEN_VALUE (another token value), PAYWORD_DEBT (n would be < 1
 * because late reports exceed the value), PAYWORD_TOKENS_LOW (nothing to
 * carry and nothing bought), INVALID_ARGUMENT (chain too long). */
OBOL_MUST_CHECK obol_err payword_agent_buy(const struct payword_user *u, const struct payword_agent_cert *certs,
					   size_t ncerts, const struct payword_buy_params *p,
					   const uint8_t agent_sk[static OBOL_SIGN_SK_LEN],
					   struct payword_buy_result *out);

/* Step D: the user certificate (vendor certificate + seed) for download. The
 * caller wipes *out. */
void payword_agent_ucert(const struct payword_user *u, const struct payword_vcert *vc, struct payword_ucert *out);

/* --- reports (seed §3.5 transaction informing and verification) -------- */

/* A visit the agent knows of (the first report that carried it). */
struct payword_agent_visit {
	struct payword_commit c;
	int64_t received;
};

/* A claim the agent stored: the tokens [from, to] of one visit. */
struct payword_agent_claim {
	uint64_t vendor;
	uint64_t visit_start;
	uint64_t from, to;
	uint64_t order;        /* = to */
	uint8_t token[PAYWORD_TOKEN_LEN];
	int64_t auth;
	int64_t paid_tokens;   /* tokens of it still paid (after reversals) */
	int64_t received;
};

enum payword_fraud { PAYWORD_FRAUD_NONE = 0, PAYWORD_FRAUD_USER_DOUBLE_SPEND = 1, PAYWORD_FRAUD_VENDOR_FABRICATION = 2 };

/* A reversal of an earlier claim proven fabricated. */
struct payword_reversal {
	size_t claim;          /* index into the claims given */
	int64_t tokens;        /* tokens of it to take back from its vendor */
	uint64_t vendor;
};

struct payword_verdict {
	bool duplicate;        /* the same report again (lost reply): answer OK, change nothing */
	bool new_visit;        /* store the claim's commitment as a visit */
	uint64_t from, to;     /* the claim's tokens */
	int64_t pay_tokens;    /* tokens to pay the claiming vendor now */
	bool user_double_spend;          /* revoke the certificate; keep the evidence */
	int conflict_visit;              /* index of the other visit involved, -1 none */
	bool claimant_fabricated;        /* the claim itself: refuse it, revoke the vendor */
	struct payword_reversal *rev;    /* caller array of capacity nclaims */
	size_t nrev;                     /* earlier claims proven fabricated: reverse, revoke their vendor */
};

/* Checks one report line (the claiming vendor authenticated by the shell as
 * claim->vendor) against the certificate, the visits and claims known for
 * its serial, at time now:
 *   - the commitment is the user's (signature under the certificate's key),
 *     names this vendor and serial; the token hashes to the root; the value
 *     is the token count x token value; the vendor may take this chain
 *     (specific scope); a superseded or revoked certificate is honoured only
 *     for visits committed before it ended;
 *   - the same report again is a duplicate; another claim of the same order
 *     by the same vendor is PAYWORD_CLAIM_REPLAYED;
 *   - a token below its visit's start is outside every visit: vendor
 *     fabrication (PAYWORD_CLAIM_OUTSIDE_VISIT);
 *   - two commitments with one start, or whose starts and times disagree in
 *     order, are a user double spend (an honest wallet never signs them);
 *   - a visit covers orders up to the start of the next visit of the serial.
 *     A claim reaching into the next visit V' is a vendor fabrication when
 *     the agent received it after V' was committed and after the vendor had
 *     begun a later visit of its own (it then held a later token, from which
 *     the claimed ones derive: seed §3.1's example); otherwise the vendor got
 *     the tokens from the user inside its visit, and the user spent them
 *     twice. The same test is applied, when a new visit arrives, to earlier
 *     claims it cuts.
 * Returns OBOL_OK with *v saying what to pay, store, reverse and revoke;
 * PAYWORD_CLAIM_OUTSIDE_VISIT when the claim itself is fabricated (v->rev
 * and the claimant's revocation still apply); another error when the report
 * is refused and nothing changes. */
OBOL_MUST_CHECK obol_err payword_agent_claim_check(const struct payword_agent_cert *cert,
						   const struct payword_agent_visit *visits, size_t nvisits,
						   const struct payword_agent_claim *claims, size_t nclaims,
						   const struct payword_claim *claim, int64_t now,
						   struct payword_verdict *v);

/* Builds and signs a CRL of the given serials (sorted in place). */
OBOL_MUST_CHECK obol_err payword_agent_crl(uint64_t *serials, size_t count, uint64_t seq, int64_t now,
					   const uint8_t agent_sk[static OBOL_SIGN_SK_LEN], struct payword_crl *out);

#endif
