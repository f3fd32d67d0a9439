/* payword vendor: the purchase checks of seed 003 §3.5 (steps 1-8), pure.
 *
 * The shell keeps, per certificate serial, what the vendor last held of it
 * (struct payword_vendor_serial), the newest CRL, and every accepted sale
 * (for idempotent retries and the product endpoint). It draws the
 * authorisation number, calls payword_vendor_purchase, stores the new serial
 * state and the sale durably, queues the claim for the agent, and only then
 * answers the wallet. */
#ifndef OBOL_SCHEMES_PAYWORD_VENDOR_H
#define OBOL_SCHEMES_PAYWORD_VENDOR_H

#include "schemes/payword/messages.h"

/* How a vendor reports to the agent (seed §3.1, §3.5): almost online, each
 * report sent at once without waiting for the agent; or in batches, at
 * regular intervals. */
enum payword_report_mode { PAYWORD_REPORT_ONLINE = 1, PAYWORD_REPORT_BATCH = 2 };

/* When a report made at `now` is due: now (almost online), or the next
 * multiple of `interval` seconds (batch: every report of one interval leaves
 * together). */
int64_t payword_vendor_report_due(enum payword_report_mode mode, int64_t interval, int64_t now);

/* The longest a CRL may have been issued before a purchase, by default,
 * and the shortest a vendor may state. */
#define PAYWORD_CRL_MAX_AGE_DEFAULT 60
#define PAYWORD_CRL_MAX_AGE_MIN 2

struct payword_vendor_cfg {
	uint64_t vendor_id;
	enum payword_vendor_mode mode;
	uint8_t agent_pk[OBOL_SIGN_PK_LEN];
	int64_t crl_max_age; /* seconds: no sale while the CRL held was issued longer ago (P6) */
};

/* What the vendor holds of one certificate. */
struct payword_vendor_serial {
	uint64_t serial;
	bool has_token;
	uint64_t last_order;                   /* highest order accepted here */
	uint8_t last_token[PAYWORD_TOKEN_LEN]; /* its token: later tokens are checked against it */
	bool has_vcert;
	uint8_t vcert_hash[OBOL_HASH_LEN];     /* SHA-256 of the vendor certificate whose agent
						  signature verified here: the same bytes again
						  need no second Ed25519 verification */
};

/* An accepted sale, with the range the user signed for it and the user's
 * key (the product page answers only requests signed by the buyer). */
struct payword_vendor_sale {
	uint64_t serial;
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	char product[PAYWORD_PRODUCT_MAX + 1];
	struct obol_amount value;
	int64_t auth;
	struct payword_range range;
	uint8_t user_pk[OBOL_SIGN_PK_LEN];
};

/* PAYWORD_CRL_STALE unless crl (NULL before the first fetch) was issued at
 * most cfg->crl_max_age seconds before now: the vendor sells nothing then,
 * and says so when asked for a price, before the wallet signs a range. */
OBOL_MUST_CHECK obol_err payword_vendor_crl_fresh(const struct payword_vendor_cfg *cfg, const struct payword_crl *crl,
						  int64_t now);

/* Checks a purchase (seed §3.5), in this order: a CRL issued at most
 * cfg->crl_max_age seconds before now (PAYWORD_CRL_STALE; crl NULL before
 * the first fetch); serial and user name against the certificate
 * (PAYWORD_CERT_MISMATCH); the CRL (PAYWORD_CERT_REVOKED); the agent's
 * signature (PAYWORD_CERT_INVALID), verified once per certificate: a
 * certificate whose bytes hash to st->vcert_hash verified before (seed §4:
 * "the digital signature verification ... can be considered a strong
 * delaying factor"); expiry; the chain's scope (specific chains only at
 * their vendor, generic chains only at generic vendors:
 * PAYWORD_WRONG_VENDOR); the value (tokens x token value); the range: its
 * orders are exactly the tokens paid, from the first one not yet spent
 * here (PAYWORD_VALUE_MISMATCH, PAYWORD_TOKEN_REUSED), and it carries the
 * user's signature for this vendor (PAYWORD_RANGE_INVALID: one Ed25519
 * verification per purchase); the hash distance of the token to the last
 * token held, or to the root (PAYWORD_TOKEN_INVALID). On success fills
 * *st_out (the new state; st may be NULL for a serial never seen) and *claim
 * (the report line, with `auth`). On failure nothing is written and the
 * error says why (the reply is then PAYWORD_AUTH_NONE). auth must be > 0
 * (drawn at random by the shell). */
OBOL_MUST_CHECK obol_err payword_vendor_purchase(const struct payword_vendor_cfg *cfg, const struct payword_crl *crl,
						 const struct payword_vendor_serial *st,
						 const struct payword_pay *req, int64_t now, int64_t auth,
						 struct payword_vendor_serial *st_out,
						 struct payword_claim *claim);

/* A purchase whose (serial, order) matches an accepted sale is a retry after
 * a lost reply (DESIGN §7, seed §4 atomicity): OBOL_OK when it is the same
 * token, product, value and signed range (answer the stored auth again);
 * PAYWORD_TOKEN_REUSED when it differs. */
OBOL_MUST_CHECK obol_err payword_vendor_match_retry(const struct payword_vendor_sale *sale,
						    const struct payword_pay *req);

/* The sale record of an accepted purchase. */
void payword_vendor_sale_from(const struct payword_pay *req, int64_t auth, struct payword_vendor_sale *sale);

/* Replaces *held by a newly fetched CRL after checking the agent's signature
 * and that it is not older (seq) than the one held (held may have count 0
 * and seq 0 when none is held). Ownership of fresh->serials moves to *held on
 * success; the old list is freed. */
OBOL_MUST_CHECK obol_err payword_vendor_crl_update(struct payword_crl *held, struct payword_crl *fresh,
						   const uint8_t agent_pk[static OBOL_SIGN_PK_LEN]);

/* The CRL fetched in pages (GET /payword/crl/page, docs/protocol.md): the
 * whole list, or a delta of the certificates ended since a time. A delta
 * asks from PAYWORD_CRL_DELTA_MARGIN before the held list's time, so that a
 * certificate ended by a transaction that committed after that list was read
 * is not missed; the whole list is fetched again once the last whole fetch
 * is PAYWORD_CRL_FULL_EVERY old, which drops the expired serials a delta
 * never removes (and is what a client too far behind gets). */
#define PAYWORD_CRL_DELTA_MARGIN 300
#define PAYWORD_CRL_FULL_EVERY 86400
struct payword_crl_fetch {
	int64_t since;  /* asked: 0 for the whole list */
	uint64_t after; /* the next page starts after this serial */
	int64_t issued; /* the oldest page's time: the list holds every certificate ended before it */
	bool started, done;
	uint64_t *serials; /* ascending, unique */
	size_t count, cap;
};
/* Starts a fetch: a delta when held (has) was fetched whole less than
 * PAYWORD_CRL_FULL_EVERY before now (full_at), else the whole list. */
void payword_crl_fetch_begin(struct payword_crl_fetch *f, const struct payword_crl *held, bool has, int64_t full_at,
			     int64_t now);
/* Takes the next page: PAYWORD_CRL_INVALID unless it verifies under the
 * agent's key and answers this fetch's since and after (a page of another
 * range or another question cannot stand for this one); NO_MEMORY. Sets
 * f->done on the last page. */
OBOL_MUST_CHECK obol_err payword_crl_fetch_take(struct payword_crl_fetch *f, const struct payword_crl_page *p,
						const uint8_t agent_pk[static OBOL_SIGN_PK_LEN]);
/* Applies a done fetch to *held: the whole list replaces it (and sets
 * *full_at), a delta is merged into it; held->issued becomes the first
 * oldest page's time. PAYWORD_CRL_INVALID for a fetch
 * not done or older than the list held. */
OBOL_MUST_CHECK obol_err payword_crl_fetch_apply(struct payword_crl_fetch *f, struct payword_crl *held,
						 int64_t *full_at);
void payword_crl_fetch_free(struct payword_crl_fetch *f);

/* The product page (seed §3.5 step 8): a request for `product` at this
 * vendor with the authorisation number of `sale`, signed by the buyer's key
 * at a time within PAYWORD_FETCH_WINDOW of now. PAYWORD_AUTH_INVALID
 * otherwise (another product, another vendor, a stale time, a signature by
 * anyone but the buyer). */
OBOL_MUST_CHECK obol_err payword_vendor_fetch_check(const struct payword_vendor_cfg *cfg,
						    const struct payword_vendor_sale *sale,
						    const struct payword_fetch *f, int64_t now);

#endif
