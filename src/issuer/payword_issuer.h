/* The payword scheme's state in the issuer daemon (loaded at start). */
#ifndef OBOL_ISSUER_PAYWORD_ISSUER_H
#define OBOL_ISSUER_PAYWORD_ISSUER_H

#include "issuer/issuer.h"
#include "issuer/payword_db.h"
#include "issuer/payword_guard.h"

struct payword_issuer_state {
	struct payword_settings settings;
	struct payword_pw_params pw;  /* Argon2id limits for passwords */
	struct payword_guard *guard;  /* failed checks and Argon2id slots */
	struct payword_user decoy;    /* checked for unknown users: the same cost */
};

struct payword_issuer_state *payword_issuer_state(struct obol_issuer *iss);

/* One report line from an authenticated vendor (claim->vendor), judged and
 * applied inside the caller's transaction (payword_report.c); *reply is the
 * answer for the vendor. The unit of POST /payword/report after its
 * stateless checks passed. */
OBOL_MUST_CHECK obol_err payword_report_ingest(struct obol_store *s, const struct payword_claim *claim, int64_t grace,
					       int64_t now, json_t **reply);

/* The operator's decision on a claim held for review (`obol issuer payword
 * review`), inside the caller's transaction: pay its held tokens (from the
 * certificate's balance, then the user's account, as a report would) or
 * drop them. *paid says how many tokens were paid. NOT_FOUND when the claim
 * holds nothing for review. */
OBOL_MUST_CHECK obol_err payword_review_apply(struct obol_store *s, int64_t claim_id, bool pay, int64_t *paid);

#endif
