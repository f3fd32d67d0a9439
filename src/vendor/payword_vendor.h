/* The payword scheme in the vendor daemon (seed 003 §3.4 vendor module,
 * §3.5 purchase and transaction informing; DESIGN §7, §9).
 *
 * Setup: DIR/payword.json, written by `obol vendor payword setup` and
 * `obol vendor payword product`:
 *   {"mode": "generic" | "specific",          the system chosen at registration
 *    "report": "almost-online" | "batch",     how reports go to the agent
 *    "batch_interval": SECONDS,               batch mode: reports leave at multiples of it
 *    "crl_interval": SECONDS,                 how often the CRL is fetched (default 2)
 *    "crl_max_age": SECONDS,                  no sale while the CRL held was issued longer
 *                                             ago than this (default 60)
 *    "products": {ID: {"price": "CUR:V.F", "type": MIME}}}
 * with each product's content in DIR/payword-products/ID. Without the file
 * the vendor takes no payword payments.
 *
 * At start the vendor registers its mode and batch interval at the agent
 * (an outbox row, sent before any report; until it has arrived the agent
 * answers reports with a retryable error). It sells nothing while the CRL
 * it holds is older than crl_max_age (issue 13: a vendor that cannot
 * learn of revocations must not accept); a CRL fetch that fails is an
 * error in the log. Purchases (device link, PAYWORD_MSG_*) are checked by
 * the pure core (schemes/payword/vendor.h) in one durable unit of work that
 * also stores the sale and queues its report; the reply leaves after the
 * commit. Almost-online: the report is due at once and the outbox is woken,
 * without waiting for the agent. Batch: it is due at the next multiple of
 * batch_interval, so one pass sends the batch.
 *
 * Vendor tables (migration component "payword-vendor"):
 *   payword_v_serials  what the vendor holds of each certificate
 *   payword_v_sales    accepted sales: authorisation number, token, the user's
 *                      signed range and key, report state */
#ifndef OBOL_VENDOR_PAYWORD_VENDOR_H
#define OBOL_VENDOR_PAYWORD_VENDOR_H

#include <pthread.h>

#include "schemes/payword/vendor.h"
#include "vendor/vendor.h"

#define PAYWORD_PRODUCTS_MAX 64

struct payword_product {
	char id[PAYWORD_PRODUCT_MAX + 1];
	struct obol_amount price;
	char type[64];
};

/* A CRL fetch under way across refreshes (payword_vendor_crl_refresh). */
struct payword_crl_refresh {
	struct payword_crl_fetch pending;
	bool resuming; /* pending is begun and not done */
	int64_t begun; /* when pending was begun */
};

struct payword_vendor_state {
	struct payword_vendor_cfg cfg;
	enum payword_report_mode report;
	int64_t batch_interval, crl_interval; /* crl_max_age is in cfg */
	struct payword_product products[PAYWORD_PRODUCTS_MAX];
	size_t nproducts;
	char dir[4096];

	pthread_mutex_t mu; /* guards crl and has_crl */
	struct payword_crl crl;
	bool has_crl;       /* a CRL was fetched and verified */
	int64_t crl_full_at; /* the time of the last whole fetch of the CRL (deltas between) */
	/* A fetch under way across refreshes, touched only by the one
	 * refresher (the CRL thread, or the tick in process), never under mu. */
	struct payword_crl_refresh crl_refresh;
	pthread_t crl_thread;
	bool crl_thread_running;
	int64_t crl_tried;  /* in process (no thread): when the tick last fetched */
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stopping;
	struct obol_vendor *v;
};

/* Reads DIR/payword.json; NOT_FOUND when absent. */
OBOL_MUST_CHECK obol_err payword_vendor_config_load(const char *dir, struct payword_vendor_state *st);
/* Writes DIR/payword.json from st (setup commands). */
OBOL_MUST_CHECK obol_err payword_vendor_config_save(const char *dir, const struct payword_vendor_state *st);

const struct payword_product *payword_vendor_product(const struct payword_vendor_state *st, const char *id);
/* Product ids are 1..64 of [A-Za-z0-9._-], not starting with '.'. */
bool payword_product_id_valid(const char *id);

/* The vendor tables. */
OBOL_MUST_CHECK obol_err payword_vendor_migrate(struct obol_store *s);

/* The sale of an authorisation number for a product (product endpoint);
 * PAYWORD_AUTH_INVALID when there is none, or when it was made before
 * sales kept their buyer's key. */
OBOL_MUST_CHECK obol_err payword_vendor_sale_by_auth(struct obol_store *s, const char *product, int64_t auth,
						     struct payword_vendor_sale *out);

/* One purchase, as the session handler runs it: the retry check, the core,
 * the durable sale and the queued report. */
OBOL_MUST_CHECK obol_err payword_vendor_buy(struct obol_vendor *v, struct payword_vendor_state *st,
					    const struct payword_pay *req, int64_t *auth);

/* The pages one CRL refresh follows at most. A page holds up to
 * PAYWORD_CRL_PAGE_MAX serials, so 64 pages carry 2^21 serials: a list that
 * long is fetched in one refresh. A fetch not done after them is kept and
 * resumed at the next refresh, so an agent that answers page after page (a
 * bad or stolen agent key, a broken agent) holds the refresher for at most
 * this many requests each time; a fetch resumed for longer than crl_max_age
 * is dropped and begun again (the list it would give is stale by then), which
 * bounds the memory it holds too. */
#define PAYWORD_CRL_PAGES_PER_REFRESH 64

/* One run of the page loop. */
struct payword_crl_loop {
	size_t max_pages;  /* pages to follow in this run, at least 1 */
	bool count_bytes;  /* add the compact JSON size of each page to bytes */
	size_t pages;      /* out: pages taken in this run */
	size_t bytes;      /* out: their bytes, when count_bytes */
};

/* The page loop of a CRL fetch begun with payword_crl_fetch_begin: GET
 * /payword/crl/page?since=&after= until the last page or loop->max_pages
 * pages, each page checked by payword_crl_fetch_take. f->done tells whether
 * the fetch is complete; one that is not is resumed by calling again with
 * the same f. The caller applies a done fetch. INVALID_ARGUMENT for
 * max_pages 0. */
struct obol_http_client;
OBOL_MUST_CHECK obol_err payword_vendor_crl_fetch(struct obol_http_client *c,
						  const uint8_t agent_pk[static OBOL_SIGN_PK_LEN],
						  struct payword_crl_fetch *f, struct payword_crl_loop *loop);

/* One refresh of the CRL held (*held, *has, *full_at, under mu): resumes
 * the fetch under way in r, or begins one (a delta or the whole list,
 * payword_crl_fetch_begin) when there is none or the one under way was
 * begun more than max_age before now; follows at most max_pages pages; a
 * fetch done is applied (and r ends), one not done stays in r for the next
 * refresh. A failed fetch ends r: the next refresh begins again. */
struct payword_crl_refresh_req {
	struct obol_http_client *c;
	const uint8_t *agent_pk; /* OBOL_SIGN_PK_LEN */
	int64_t max_age, now;
	size_t max_pages;
	pthread_mutex_t *mu;
	struct payword_crl *held;
	bool *has;
	int64_t *full_at;
};
OBOL_MUST_CHECK obol_err payword_vendor_crl_refresh(struct payword_crl_refresh *r,
						    const struct payword_crl_refresh_req *q);
void payword_crl_refresh_free(struct payword_crl_refresh *r);

#endif
