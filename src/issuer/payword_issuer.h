/* The payword scheme's state in the issuer daemon (loaded at start). */
#ifndef OBOL_ISSUER_PAYWORD_ISSUER_H
#define OBOL_ISSUER_PAYWORD_ISSUER_H

#include "issuer/issuer.h"
#include "issuer/payword_db.h"

struct payword_issuer_state {
	struct payword_settings settings;
	struct payword_pw_params pw; /* Argon2id limits for registration */
};

struct payword_issuer_state *payword_issuer_state(struct obol_issuer *iss);

/* One report line from an authenticated vendor (claim->vendor), checked and
 * applied inside the caller's transaction (payword_report.c); *reply is the
 * answer for the vendor. The unit of POST /payword/report. */
OBOL_MUST_CHECK obol_err payword_report_ingest(struct obol_store *s, const struct payword_claim *claim, int64_t now,
					       json_t **reply);

#endif
