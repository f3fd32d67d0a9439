/* The agent's payword tables (migration component "payword"), one function
 * per operation, all inside the caller's transaction.
 *
 *   payword_settings  key -> value: token value, grace, validity
 *   payword_users     account id, user name, Argon2id hash, user key, chain key
 *   payword_vendors   account id, mode (generic/specific), revoked time
 *   payword_certs     serial, user, scope, the signed vendor certificate and
 *                     its counters (paid, moved_out, max_claimed), status
 *   payword_visits    user-signed visit commitments, per serial
 *   payword_claims    report lines paid, per serial
 *   payword_evidence  proven frauds: kind, culprit, the signed material (JSON)
 *
 * Everything a report touches is keyed by the certificate serial, so the
 * tables split by serial (DESIGN §4 scale-out). */
#ifndef OBOL_ISSUER_PAYWORD_DB_H
#define OBOL_ISSUER_PAYWORD_DB_H

#include "schemes/payword/agent.h"
#include "store/store.h"

#define PAYWORD_DB_MAX_ROWS 4096     /* claims or certificates loaded for one decision */
#define PAYWORD_DB_MAX_VISITS 65536  /* visits of one certificate */

struct payword_settings {
	struct obol_amount token_value;
	int64_t grace;    /* seconds in-doubt tokens wait for late reports */
	int64_t validity; /* seconds a certificate is valid */
};

OBOL_MUST_CHECK obol_err payword_db_migrate(struct obol_store *s);
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
OBOL_MUST_CHECK obol_err payword_db_user_revoke(struct obol_store *s, int64_t account, int64_t now);

/* NOT_FOUND when the vendor never registered for payword. */
OBOL_MUST_CHECK obol_err payword_db_vendor_get(struct obol_store *s, int64_t id, enum payword_vendor_mode *mode,
					       int64_t *revoked);
OBOL_MUST_CHECK obol_err payword_db_vendor_put(struct obol_store *s, int64_t id, enum payword_vendor_mode mode,
					       int64_t now);
OBOL_MUST_CHECK obol_err payword_db_vendor_revoke(struct obol_store *s, int64_t id, int64_t now);

struct payword_db_cert {
	int64_t user;
	struct payword_agent_cert c;
};
OBOL_MUST_CHECK obol_err payword_db_cert_insert(struct obol_store *s, const struct payword_db_cert *c);
/* Writes status, ended_at, pos, paid, moved_out, max_claimed. */
OBOL_MUST_CHECK obol_err payword_db_cert_update(struct obol_store *s, const struct payword_db_cert *c);
OBOL_MUST_CHECK obol_err payword_db_cert_get(struct obol_store *s, uint64_t serial, struct payword_db_cert *c);
/* The user's certificates of one scope, in serial order (*out malloc'ed). */
OBOL_MUST_CHECK obol_err payword_db_certs_of(struct obol_store *s, int64_t user, uint64_t scope,
					     struct payword_db_cert **out, size_t *n);
OBOL_MUST_CHECK obol_err payword_db_next_serial(struct obol_store *s, uint64_t *serial);

OBOL_MUST_CHECK obol_err payword_db_visits(struct obol_store *s, uint64_t serial, struct payword_agent_visit **out,
					   size_t *n);
OBOL_MUST_CHECK obol_err payword_db_visit_insert(struct obol_store *s, const struct payword_agent_visit *v);

/* Claims with their row ids (ids[i] for (*out)[i]): all of a serial
 * (payword_db_claims), or only those payword_agent_claim_check needs for
 * one report (payword_db_claims_for): the same order at the same vendor,
 * the nearest claim below its order, the last claim of its visit, and the
 * claims of earlier visits that reach into its visit. */
OBOL_MUST_CHECK obol_err payword_db_claims_for(struct obol_store *s, const struct payword_claim *c,
					       struct payword_agent_claim **out, int64_t **ids, size_t *n);
OBOL_MUST_CHECK obol_err payword_db_claims(struct obol_store *s, uint64_t serial, struct payword_agent_claim **out,
					   int64_t **ids, size_t *n);
OBOL_MUST_CHECK obol_err payword_db_claim_insert(struct obol_store *s, uint64_t serial,
						 const struct payword_agent_claim *c, const char *product);
OBOL_MUST_CHECK obol_err payword_db_claim_set_paid(struct obol_store *s, int64_t id, int64_t paid_tokens);

OBOL_MUST_CHECK obol_err payword_db_evidence_add(struct obol_store *s, const char *kind, uint64_t serial,
						 const char *culprit, const char *detail_json, int64_t now);
typedef obol_err (*payword_evidence_fn)(void *ctx, int64_t id, const char *kind, uint64_t serial,
					const char *culprit, const char *detail, int64_t created);
OBOL_MUST_CHECK obol_err payword_db_evidence_list(struct obol_store *s, payword_evidence_fn fn, void *ctx);

/* The revoked and superseded serials not yet expired at now (*out
 * malloc'ed), and the CRL sequence number: the count of certificates ever
 * ended, which only grows. */
OBOL_MUST_CHECK obol_err payword_db_crl(struct obol_store *s, int64_t now, uint64_t **out, size_t *n, uint64_t *seq);

/* Σ (n - paid - moved_out) x token value over all certificates: the value
 * the agent owes in payword (the audit's outstanding check). */
OBOL_MUST_CHECK obol_err payword_db_outstanding(struct obol_store *s, const char *currency, struct obol_amount *out);

#endif
