/* The agent's payword tables (migration component "payword"), one function
 * per operation, all inside the caller's transaction.
 *
 *   payword_settings  key -> value: token value, grace, validity
 *   payword_users     account id, user name, Argon2id hash, user key, chain key
 *   payword_vendors   account id, mode (generic/specific), batch interval, revoked time
 *   payword_certs     serial, user, scope, the signed vendor certificate and
 *                     its counters (paid, moved_out, covered, max_claimed),
 *                     status, the user's signed position when superseded
 *   payword_claims    report lines: the signed range, its token, what was
 *                     paid and what is held (for review, or as the user's debt)
 *   payword_evidence  proven frauds: kind, culprit, the signed material (JSON)
 *
 * Everything a report touches is keyed by the certificate serial, so the
 * tables split by serial (DESIGN §4 scale-out). */
#ifndef OBOL_ISSUER_PAYWORD_DB_H
#define OBOL_ISSUER_PAYWORD_DB_H

#include "schemes/payword/agent.h"
#include "store/store.h"

/* Claims or certificates loaded for one decision: past it, that one user's
 * buy or that one report is PAYWORD_ROWS_LIMIT (a per-caller limit). */
#define PAYWORD_DB_MAX_ROWS 4096

struct payword_settings {
	struct obol_amount token_value;
	int64_t grace;    /* seconds unreported tokens wait for late reports */
	int64_t validity; /* seconds a certificate is valid */
};
#define PAYWORD_GRACE_DEFAULT 86400 /* covers the longest batch interval a vendor can set up */

OBOL_MUST_CHECK obol_err payword_db_migrate(struct obol_store *s);
/* The first `steps` migration steps only (tests of the migration). */
OBOL_MUST_CHECK obol_err payword_db_migrate_to(struct obol_store *s, size_t steps);
OBOL_MUST_CHECK obol_err payword_db_settings_put(struct obol_store *s, const struct payword_settings *st);
OBOL_MUST_CHECK obol_err payword_db_settings_get(struct obol_store *s, const char *currency,
						 struct payword_settings *st);

struct payword_db_user {
	int64_t account;
	struct payword_user u; /* holds the chain key: wipe after use */
	int64_t revoked;       /* 0, or when a double spend was proven */
};
OBOL_MUST_CHECK obol_err payword_db_user_insert(struct obol_store *s, const struct payword_db_user *u);
/* NOT_FOUND when unknown. */
OBOL_MUST_CHECK obol_err payword_db_user_get(struct obol_store *s, const char *username, struct payword_db_user *u);
OBOL_MUST_CHECK obol_err payword_db_user_by_account(struct obol_store *s, int64_t account, struct payword_db_user *u);
/* Revokes the user, and every live certificate of it (they go on the CRL). */
OBOL_MUST_CHECK obol_err payword_db_user_revoke(struct obol_store *s, int64_t account, int64_t now);

/* v->registered false when the vendor never registered for payword. */
OBOL_MUST_CHECK obol_err payword_db_vendor_get(struct obol_store *s, int64_t id, struct payword_agent_vendor *v);
OBOL_MUST_CHECK obol_err payword_db_vendor_put(struct obol_store *s, int64_t id, const struct payword_agent_vendor *v,
					       int64_t now);
OBOL_MUST_CHECK obol_err payword_db_vendor_revoke(struct obol_store *s, int64_t id, int64_t now);

struct payword_db_cert {
	int64_t user;
	struct payword_agent_cert c;
};
OBOL_MUST_CHECK obol_err payword_db_cert_insert(struct obol_store *s, const struct payword_db_cert *c);
/* Writes status, ended_at, pos, the position, paid, moved_out, covered, max_claimed. */
OBOL_MUST_CHECK obol_err payword_db_cert_update(struct obol_store *s, const struct payword_db_cert *c);
OBOL_MUST_CHECK obol_err payword_db_cert_get(struct obol_store *s, uint64_t serial, struct payword_db_cert *c);
/* The user's certificates of one scope that a buy can move, hold or
 * continue after (the live one, the ended ones whose balance is not zero,
 * the newest), in serial order (*out malloc'ed); PAYWORD_ROWS_LIMIT past
 * PAYWORD_DB_MAX_ROWS. */
OBOL_MUST_CHECK obol_err payword_db_certs_of(struct obol_store *s, int64_t user, uint64_t scope,
					     struct payword_db_cert **out, size_t *n);
OBOL_MUST_CHECK obol_err payword_db_next_serial(struct obol_store *s, uint64_t *serial);

/* Claims with their row ids (ids[i] for (*out)[i], *out and *ids malloc'ed). */
struct payword_db_claims {
	struct payword_agent_claim *c;
	int64_t *ids;
	uint64_t *serials;
	size_t n;
};
void payword_db_claims_free(struct payword_db_claims *cl);
/* The claims of a serial whose ranges share an order with [from, to]. */
OBOL_MUST_CHECK obol_err payword_db_claims_overlapping(struct obol_store *s, uint64_t serial, uint64_t from,
						       uint64_t to, struct payword_db_claims *out);
/* The claim with the highest last order below `to` (*found false: none). */
OBOL_MUST_CHECK obol_err payword_db_claim_below(struct obol_store *s, uint64_t serial, uint64_t to,
						struct payword_agent_claim *out, bool *found);
/* The claims held as debts of a user's certificates, or held for review
 * (user 0: every user's). */
OBOL_MUST_CHECK obol_err payword_db_claims_held(struct obol_store *s, int64_t user, enum payword_hold hold,
						struct payword_db_claims *out);
OBOL_MUST_CHECK obol_err payword_db_claim_get(struct obol_store *s, int64_t id, uint64_t *serial,
					      struct payword_agent_claim *out);
OBOL_MUST_CHECK obol_err payword_db_claim_insert(struct obol_store *s, uint64_t serial,
						 const struct payword_agent_claim *c, const char *product);
/* Writes paid_tokens, held_tokens and hold. */
OBOL_MUST_CHECK obol_err payword_db_claim_update(struct obol_store *s, int64_t id, const struct payword_agent_claim *c);

OBOL_MUST_CHECK obol_err payword_db_evidence_add(struct obol_store *s, const char *kind, uint64_t serial,
						 const char *culprit, const char *detail_json, int64_t now);
typedef obol_err (*payword_evidence_fn)(void *ctx, int64_t id, const char *kind, uint64_t serial,
					const char *culprit, const char *detail, int64_t created);
OBOL_MUST_CHECK obol_err payword_db_evidence_list(struct obol_store *s, payword_evidence_fn fn, void *ctx);

/* One page of the CRL: the serials after q->after, ascending, of the
 * certificates ended at or after q->since (0: at any time) and not expired
 * at q->now, at most q->limit into out; *more when another follows. Reads
 * by the component "payword-crl" indexes: a page costs its own rows, not the
 * list's. */
struct payword_db_crl_query {
	int64_t now, since;
	uint64_t after;
	size_t limit;
};
OBOL_MUST_CHECK obol_err payword_db_crl_page(struct obol_store *s, const struct payword_db_crl_query *q, uint64_t *out,
					     size_t *n, bool *more);

/* Σ balance x token value over the certificates whose balance is positive:
 * the value the agent owes in payword (the audit's outstanding check). A
 * negative balance is never part of the sum; it is reported by the audit's
 * findings (payword_db.c registers both). */
OBOL_MUST_CHECK obol_err payword_db_outstanding(struct obol_store *s, const char *currency, struct obol_amount *out);

#endif
