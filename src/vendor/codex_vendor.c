/* The codex scheme on the vendor daemon: a payee (seed 004 §III "receive
 * payment") that deposits its tokens at the bank.
 *
 * Session (device-link frames of schemes/codex/messages.h):
 *   wallet HELLO {amount?}  -> REQUEST {certificate, amount}: the price, or
 *                              the amount the wallet offers when it is more;
 *   wallet PAY {sealed}     -> decrypt, names this vendor, token id unseen
 *                              (vendor store), fresh, payer not blacklisted,
 *                              payer's certified key and state, the bank's
 *                              offline limits, amount as asked, and the
 *                              token's place after the last one this payer
 *                              paid here (a copied Codex cannot pay this
 *                              vendor twice from one epoch); then, in one
 *                              durable unit, the token and the payer's
 *                              place are stored and its deposit queued in
 *                              the outbox; only then ACK {signed
 *                              acknowledgement}.
 *                              A payment that fails a check after it was
 *                              opened and named this vendor is answered
 *                              with REFUSAL {signed refusal}, stored first
 *                              (so the id is never taken later) with a
 *                              deposit that hands the refusal to the bank:
 *                              the payer is refunded at its next sync even
 *                              if the refusal never reaches it.
 * The outbox POSTs /codex/deposit (idempotent by request id); the reply
 * carries the bank's current whole blacklist (capped at its newest
 * CODEX_BLACKLIST_MAX entries), which the vendor keeps. Besides it the
 * vendor keeps a paged copy of every live listing (a codex_blset, in table
 * codex_vendor_blocked), fetched from GET /codex/blacklist/page at start
 * and whenever the whole list it holds is newer than the copy (seen at the
 * next HELLO), at most CODEX_VENDOR_BL_PAGES_PER_REFRESH pages a refresh;
 * a payer on either is refused (PAYER_BLACKLISTED). When its
 * certificate nears its end, the next session start asks the bank for a new
 * one (at most once an hour).
 *
 * At start the vendor asks the bank to certify its keys as a codex payee
 * (POST /codex/vendor) and keeps certificate and blacklist in its store, so
 * it also starts when the bank is unreachable. A vendor that never got a
 * certificate refuses codex frames (CODEX_UNKNOWN_USER) and serves the other
 * schemes as usual. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/codex/api.h"
#include "schemes/codex/blacklist_pages.h"
#include "schemes/codex/codex.h"
#include "vendor/outbox.h"
#include "vendor/receipt.h"
#include "vendor/vendor.h"
#include "wallet/codex_wallet.h"
#include "wire/cbor.h"
#include "wire/json.h"

static const struct obol_migration codex_vendor_steps[] = {
	{ "CREATE TABLE codex_received (id BYTEA PRIMARY KEY, token BYTEA NOT NULL, amount BIGINT NOT NULL,"
	  " time BIGINT NOT NULL, outbox BIGINT NOT NULL);"
	  "CREATE TABLE codex_vendor_kv (k TEXT PRIMARY KEY, v BYTEA NOT NULL);",
	  NULL },
	/* ids of tokens the vendor refused (with a signed refusal): never taken later */
	{ "CREATE TABLE codex_refused (id BYTEA PRIMARY KEY, reason BIGINT NOT NULL, time BIGINT NOT NULL);", NULL },
	/* the signed refusal itself (for the bank), and the last place of each
	 * payer's log this vendor took a token from, kept while it can matter */
	{ "ALTER TABLE codex_refused ADD COLUMN refusal BYTEA;"
	  "CREATE TABLE codex_vendor_peers (payer BIGINT PRIMARY KEY, epoch BIGINT NOT NULL, seq BIGINT NOT NULL,"
	  " spent BIGINT NOT NULL, until BIGINT NOT NULL);",
	  NULL },
	/* the paged copy of the bank's blacklist (its version in codex_vendor_kv) */
	{ "CREATE TABLE codex_vendor_blocked (user_id BIGINT PRIMARY KEY, until BIGINT NOT NULL);", NULL },
};

/* Pages of the blacklist one refresh takes at most (8,192 entries a page):
 * a vendor further behind resumes the same fetch at its next refresh. */
#define CODEX_VENDOR_BL_PAGES_PER_REFRESH 64
/* Seconds after a failed refresh before a HELLO tries again: a bank out of
 * reach must not hold every session up. */
#define CODEX_VENDOR_BL_RETRY 60

struct cv_state {
	pthread_mutex_t lock; /* guards bl, cert, cert_bytes, renew_tried */
	bool ready;
	int64_t renew_tried; /* the last time a renewal of the certificate was asked for */
	struct codex_cert cert;
	uint8_t cert_bytes[CODEX_CERT_MAX];
	size_t cert_len;
	struct codex_blacklist bl;
	struct codex_blset blocked; /* the paged copy; guarded by lock */
	pthread_mutex_t refresh_lock; /* one refresh at a time: guards pending; resuming is written under both locks */
	struct codex_blacklist_fetch pending;
	bool resuming;
	int64_t refresh_failed; /* when the last refresh failed; guarded by lock */
};

struct cv_session {
	bool asked;
	struct obol_amount amount;
};

/* ---- the vendor's kv table ------------------------------------------------- */

static obol_err kv_put(struct obol_store *s, const char *k, const uint8_t *v, size_t n)
{
	obol_err e = obol_store_run(s, NULL, "DELETE FROM codex_vendor_kv WHERE k = ?", "t", k);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "INSERT INTO codex_vendor_kv (k, v) VALUES (?, ?)", "tb", k, v, n);
	return e;
}

static obol_err kv_get(struct obol_store *s, const char *k, uint8_t *out, size_t cap, size_t *n)
{
	struct obol_stmt *st;
	const void *p;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT v FROM codex_vendor_kv WHERE k = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_text(st, 1, k)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row)
			e = OBOL_E_NOT_FOUND;
		else if (!(p = obol_stmt_column_blob(st, 0, n)) || *n > cap)
			e = OBOL_E_CODEX_MALFORMED;
		else
			memcpy(out, p, *n);
	}
	obol_stmt_finish(st);
	return e;
}

/* ---- start: certificate and blacklist ---------------------------------------- */

struct cv_start {
	struct cv_state *st;
	uint8_t *bl_bytes;
	size_t bl_len;
	bool fetched;
};

static obol_err save_tx(struct obol_store *s, void *arg)
{
	struct cv_start *c = arg;
	obol_err e = kv_put(s, "cert", c->st->cert_bytes, c->st->cert_len);
	if (e == OBOL_OK)
		e = kv_put(s, "blacklist", c->bl_bytes, c->bl_len);
	return e;
}

static obol_err save_cert_tx(struct obol_store *s, void *arg)
{
	struct cv_start *c = arg;
	return kv_put(s, "cert", c->st->cert_bytes, c->st->cert_len);
}

static obol_err load_tx(struct obol_store *s, void *arg)
{
	struct cv_start *c = arg;
	obol_err e = kv_get(s, "cert", c->st->cert_bytes, sizeof(c->st->cert_bytes), &c->st->cert_len);
	if (e == OBOL_OK)
		e = kv_get(s, "blacklist", c->bl_bytes, CODEX_BLACKLIST_BYTES_MAX, &c->bl_len);
	return e;
}

static obol_err fetch_cert(struct obol_vendor *v, struct cv_start *c)
{
	struct obol_http_client *client = NULL;
	struct codex_api_vendor_req req;
	struct codex_api_open_reply *rep = calloc(1, sizeof(*rep));
	json_t *body = NULL, *reply = NULL;
	obol_err e;
	if (!rep)
		return OBOL_E_NO_MEMORY;
	memset(&req, 0, sizeof(req));
	memcpy(req.box_pk, obol_vendor_box_keys(v)->pk, OBOL_BOX_PK_LEN);
	/* a fresh id per attempt: keyed by content, a renewal would get the
	 * first certificate the bank stored for this body back */
	obol_outbox_request_id(req.request_id);
	req.has_request_id = true;
	codex_api_vendor_req_spec(&req);
	codex_api_open_reply_spec(rep);
	if ((e = obol_vendor_issuer_client(v, &client)) == OBOL_OK && (e = obol_json_encode(&req.spec, &body)) == OBOL_OK &&
	    (e = obol_http_post_json(client, "/codex/vendor", body, OBOL_HTTP_AUTH, &reply)) == OBOL_OK &&
	    (e = obol_json_decode(reply, &rep->spec)) == OBOL_OK) {
		memcpy(c->st->cert_bytes, rep->cert, rep->cert_len);
		c->st->cert_len = rep->cert_len;
		memcpy(c->bl_bytes, rep->blacklist, rep->blacklist_len);
		c->bl_len = rep->blacklist_len;
	}
	json_decref(body);
	json_decref(reply);
	obol_http_client_free(client);
	free(rep);
	return e;
}

/* ---- the paged copy of the blacklist ------------------------------------------ */

static uint64_t be64_get(const uint8_t b[static 8])
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return x;
}

static void be64_put(uint8_t b[static 8], uint64_t x)
{
	for (int i = 7; i >= 0; i--, x >>= 8)
		b[i] = (uint8_t)x;
}

/* The copy kept in the store: its entries ascending by user, its version
 * in codex_vendor_kv ("blocked_version", 8 bytes big-endian). */
static obol_err blocked_load_tx(struct obol_store *s, void *arg)
{
	struct codex_blset *b = arg;
	struct obol_stmt *st;
	uint8_t ver[8];
	size_t n;
	bool row;
	obol_err e = kv_get(s, "blocked_version", ver, sizeof(ver), &n);
	if (e == OBOL_E_NOT_FOUND)
		return OBOL_OK; /* none held yet */
	if (e != OBOL_OK)
		return e;
	if (n != sizeof(ver))
		return OBOL_E_CODEX_MALFORMED;
	b->version = be64_get(ver);
	if ((e = obol_stmt_prepare(s, "SELECT user_id, until FROM codex_vendor_blocked ORDER BY user_id", &st)) != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (b->n == b->cap) {
			size_t ncap = b->cap ? 2 * b->cap : 1024;
			struct codex_blacklist_item *nv = realloc(b->items, ncap * sizeof(*nv));
			if (!nv) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			b->items = nv;
			b->cap = ncap;
		}
		b->items[b->n].user = (uint64_t)obol_stmt_column_int64(st, 0);
		b->items[b->n].until = obol_stmt_column_int64(st, 1);
		b->n++;
	}
	obol_stmt_finish(st);
	return e;
}

struct blocked_save {
	const struct codex_blset *next; /* the copy after the fetch */
	const struct codex_blacklist_item *delta; /* the users the fetch named */
	size_t ndelta;
	bool whole; /* the fetch was the whole list: it replaces the copy */
	int64_t now;
};

/* The until the copy gives user (a delta may have raised it). */
static int64_t until_of(const struct codex_blset *b, uint64_t user, bool *found)
{
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->items[mid].user == user) {
			*found = true;
			return b->items[mid].until;
		}
		if (b->items[mid].user < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return 0;
}

/* Writes what a fetch changed, in one unit: the whole copy again after a
 * whole list, else the users the delta named; then the entries past their
 * until are dropped (as codex_blacklist_fetch_apply did) and the version
 * stored. */
static obol_err blocked_save_tx(struct obol_store *s, void *arg)
{
	const struct blocked_save *b = arg;
	const struct codex_blacklist_item *items = b->whole ? b->next->items : b->delta;
	size_t n = b->whole ? b->next->n : b->ndelta;
	uint8_t ver[8];
	obol_err e = OBOL_OK;
	if (b->whole)
		e = obol_store_run(s, NULL, "DELETE FROM codex_vendor_blocked", "");
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		bool found;
		int64_t until = until_of(b->next, items[i].user, &found);
		if (!found)
			continue; /* pruned */
		if (!b->whole)
			e = obol_store_run(s, NULL, "DELETE FROM codex_vendor_blocked WHERE user_id = ?", "i",
					   (int64_t)items[i].user);
		if (e == OBOL_OK)
			e = obol_store_run(s, NULL, "INSERT INTO codex_vendor_blocked (user_id, until) VALUES (?, ?)", "ii",
					   (int64_t)items[i].user, until);
	}
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "DELETE FROM codex_vendor_blocked WHERE until < ?", "i", b->now);
	be64_put(ver, b->next->version);
	if (e == OBOL_OK)
		e = kv_put(s, "blocked_version", ver, sizeof(ver));
	return e;
}

/* Takes at most max_pages pages of the fetch in progress from the bank,
 * through the wallet's page loop. */
static obol_err blocked_pages(struct obol_vendor *v, struct codex_blacklist_fetch *f, int max_pages)
{
	struct obol_http_client *client = NULL;
	struct codex_blacklist_loop loop = { .max_pages = (size_t)max_pages };
	obol_err e = obol_vendor_issuer_client(v, &client);
	if (e == OBOL_OK)
		e = codex_wallet_blacklist_pages(client, obol_vendor_issuer_pk(v), f, &loop);
	obol_http_client_free(client);
	return e;
}

/* Brings the paged copy toward the bank's current version: resumes the
 * fetch in progress (or begins the delta since the version held, the whole
 * list when none is held), at most CODEX_VENDOR_BL_PAGES_PER_REFRESH pages;
 * a done fetch is applied to a copy, stored, and only then swapped in. A
 * s: the store at start, NULL later (through obol_vendor_run). A
 * refresh already running elsewhere is left to finish (OK). A failed page
 * drops the fetch (the next refresh begins again); the copy held stays. */
static obol_err blocked_refresh(struct obol_vendor *v, struct obol_store *s, struct cv_state *st)
{
	struct codex_blset next = { 0 };
	struct codex_blacklist_item *delta = NULL;
	struct blocked_save sv;
	obol_err e;
	if (pthread_mutex_trylock(&st->refresh_lock) != 0)
		return OBOL_OK;
	if (!st->resuming) {
		pthread_mutex_lock(&st->lock);
		codex_blacklist_fetch_begin(&st->pending, &st->blocked);
		st->resuming = true;
		pthread_mutex_unlock(&st->lock);
	}
	if ((e = blocked_pages(v, &st->pending, CODEX_VENDOR_BL_PAGES_PER_REFRESH)) != OBOL_OK || !st->pending.done)
		goto out;
	pthread_mutex_lock(&st->lock);
	e = codex_blset_copy(&next, &st->blocked);
	pthread_mutex_unlock(&st->lock);
	sv = (struct blocked_save){ .next = &next, .whole = st->pending.since == 0, .now = obol_now() };
	/* the delta's users, kept before apply takes the fetch's items */
	if (e == OBOL_OK && !sv.whole && st->pending.count > 0) {
		if ((delta = malloc(st->pending.count * sizeof(*delta))) == NULL)
			e = OBOL_E_NO_MEMORY;
		else
			memcpy(delta, st->pending.items, st->pending.count * sizeof(*delta));
		sv.ndelta = st->pending.count;
	}
	sv.delta = delta;
	if (e == OBOL_OK && (e = codex_blacklist_fetch_apply(&st->pending, &next, sv.now)) == OBOL_OK &&
	    (e = s ? obol_store_transact(s, blocked_save_tx, &sv) : obol_vendor_run(v, blocked_save_tx, &sv)) == OBOL_OK) {
		pthread_mutex_lock(&st->lock);
		codex_blset_free(&st->blocked);
		st->blocked = next;
		memset(&next, 0, sizeof(next));
		pthread_mutex_unlock(&st->lock);
	}
	free(delta);
	codex_blacklist_fetch_free(&st->pending);
	pthread_mutex_lock(&st->lock);
	st->resuming = false;
	pthread_mutex_unlock(&st->lock);
out:
	if (e != OBOL_OK) {
		codex_blacklist_fetch_free(&st->pending);
		pthread_mutex_lock(&st->lock);
		st->resuming = false;
		st->refresh_failed = obol_now();
		pthread_mutex_unlock(&st->lock);
	}
	codex_blset_free(&next);
	pthread_mutex_unlock(&st->refresh_lock);
	return e;
}

/* Whether the paged copy is behind the whole list held, or a fetch is
 * under way, and no refresh failed in the last CODEX_VENDOR_BL_RETRY s. */
static bool blocked_behind(struct cv_state *st)
{
	bool behind;
	pthread_mutex_lock(&st->lock);
	behind = (st->bl.version > st->blocked.version || st->resuming) &&
		 obol_now() - st->refresh_failed >= CODEX_VENDOR_BL_RETRY;
	pthread_mutex_unlock(&st->lock);
	return behind;
}

static obol_err cv_start(struct obol_vendor *v, struct obol_store *s, void **state)
{
	struct cv_state *st = calloc(1, sizeof(*st));
	struct cv_start c = { .st = st, .bl_bytes = malloc(CODEX_BLACKLIST_BYTES_MAX) };
	obol_err e;

	*state = st;
	if (!st || !c.bl_bytes) {
		free(c.bl_bytes);
		return OBOL_E_NO_MEMORY;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->refresh_lock, NULL);
	if ((e = obol_store_migrate(s, "codex_vendor", codex_vendor_steps, OBOL_ARRAY_LEN(codex_vendor_steps))) != OBOL_OK)
		goto out;
	e = fetch_cert(v, &c);
	c.fetched = e == OBOL_OK;
	if (e == OBOL_OK)
		e = obol_store_transact(s, save_tx, &c);
	else
		e = obol_store_transact(s, load_tx, &c); /* the bank is unreachable: the last one */
	if (e == OBOL_OK && (e = obol_store_transact(s, blocked_load_tx, &st->blocked)) != OBOL_OK) {
		/* none held: the refresh below asks the whole list */
		obol_log_warn("codex: the stored copy of the blacklist: %s", obol_strerror(e));
		codex_blset_free(&st->blocked);
		e = OBOL_OK;
	}
	if (e == OBOL_OK && codex_cert_decode(st->cert_bytes, st->cert_len, &st->cert) == OBOL_OK &&
	    codex_cert_verify(&st->cert, obol_vendor_issuer_pk(v)) == OBOL_OK &&
	    memcmp(st->cert.box_pk, obol_vendor_box_keys(v)->pk, OBOL_BOX_PK_LEN) == 0 &&
	    codex_blacklist_decode(c.bl_bytes, c.bl_len, &st->bl) == OBOL_OK &&
	    codex_blacklist_verify(&st->bl, obol_vendor_issuer_pk(v)) == OBOL_OK)
		st->ready = true;
	else
		obol_log_warn("codex: no payee certificate from the bank; codex payments are refused");
	/* the bank answered: the paged copy too (the first pages of it) */
	if (st->ready && c.fetched && (e = blocked_refresh(v, s, st)) != OBOL_OK)
		obol_log_warn("codex: the paged blacklist from the bank: %s (the copy held stays)", obol_strerror(e));
	e = OBOL_OK;
out:
	free(c.bl_bytes);
	return e;
}

static void cv_stop(struct obol_vendor *v, void *state)
{
	struct cv_state *st = state;
	(void)v;
	if (!st)
		return;
	codex_blacklist_fetch_free(&st->pending);
	codex_blset_free(&st->blocked);
	pthread_mutex_destroy(&st->refresh_lock);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* ---- sessions ------------------------------------------------------------------ */

static obol_err cv_open(struct obol_vendor *v, void **session)
{
	(void)v;
	*session = calloc(1, sizeof(struct cv_session));
	return *session ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static void cv_close(struct obol_vendor *v, void *session)
{
	(void)v;
	free(session);
}

struct take {
	struct obol_vendor *v;
	struct cv_state *st;
	const struct codex_token *t;
	const struct codex_cert *payer;
	const struct codex_state *pst;
	const struct obol_amount *asked;
	int64_t now;
	obol_err reason; /* refuse_unit: why */
	struct codex_msg_refusal ref; /* refuse_unit: the signed refusal */
};

/* Whether the token id was taken or refused before. */
static obol_err seen(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN], bool *found)
{
	struct obol_stmt *st;
	obol_err e = obol_stmt_prepare(s,
				       "SELECT 1 FROM codex_received WHERE id = ?"
				       " UNION ALL SELECT 1 FROM codex_refused WHERE id = ?",
				       &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, CODEX_TOKEN_ID_LEN)) == OBOL_OK &&
	    (e = obol_stmt_bind_blob(st, 2, id, CODEX_TOKEN_ID_LEN)) == OBOL_OK)
		e = obol_stmt_step(st, found);
	obol_stmt_finish(st);
	return e;
}

/* Queues a deposit of the token blob and/or the refusal for the bank. */
static obol_err queue_deposit(struct obol_store *s, const uint8_t *tok, size_t tok_len,
			      const uint8_t *refusal, int64_t *row)
{
	struct codex_api_deposit_req *d = calloc(1, sizeof(*d));
	json_t *body = NULL;
	obol_err e;
	if (!d)
		return OBOL_E_NO_MEMORY;
	obol_outbox_request_id(d->request_id);
	if (tok) {
		memcpy(d->tokens[0], tok, tok_len);
		d->token_len[0] = tok_len;
		d->ntokens = 1;
	}
	if (refusal) {
		memcpy(d->refusals[0], refusal, CODEX_REFUSAL_LEN);
		d->nrefusals = 1;
		d->has_refusals = true;
	}
	codex_api_deposit_req_spec(d);
	if ((e = obol_json_encode(&d->spec, &body)) == OBOL_OK)
		e = obol_outbox_enqueue(s, "codex", "deposit", "/codex/deposit", body, 0, row);
	json_decref(body);
	free(d);
	return e;
}

/* The unit of work of a refusal: the id is stored as refused unless it
 * was taken or refused before (then TOKEN_SEEN: no refusal may contradict
 * an acknowledgement), and the refusal is queued for the bank. */
static obol_err refuse_unit(struct obol_store *s, void *arg)
{
	struct take *k = arg;
	bool found;
	int64_t row;
	obol_err e;
	if ((e = seen(s, k->t->id, &found)) != OBOL_OK)
		return e;
	if (found)
		return OBOL_E_CODEX_TOKEN_SEEN;
	if ((e = queue_deposit(s, NULL, 0, k->ref.refusal, &row)) != OBOL_OK)
		return e;
	return obol_store_run(s, NULL, "INSERT INTO codex_refused (id, reason, time, refusal) VALUES (?, ?, ?, ?)", "biib",
			      k->t->id, (size_t)CODEX_TOKEN_ID_LEN, (int64_t)k->reason, k->now, k->ref.refusal,
			      (size_t)CODEX_REFUSAL_LEN);
}

/* The last place of the payer's log this vendor took a token from. */
static obol_err peer_get(struct obol_store *s, const char *currency, uint64_t payer, struct codex_peer *p, bool *found)
{
	struct obol_stmt *st;
	obol_err e = obol_stmt_prepare(s, "SELECT epoch, seq, spent, until FROM codex_vendor_peers WHERE payer = ?", &st);
	*found = false;
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, (int64_t)payer)) == OBOL_OK && (e = obol_stmt_step(st, found)) == OBOL_OK &&
	    *found) {
		p->payer_id = payer;
		p->epoch = (uint64_t)obol_stmt_column_int64(st, 0);
		p->seq = (uint64_t)obol_stmt_column_int64(st, 1);
		if (obol_amount_from_units(currency, obol_stmt_column_int64(st, 2), &p->spent) != OBOL_OK)
			e = OBOL_E_CODEX_MALFORMED;
		p->until = obol_stmt_column_int64(st, 3);
	}
	obol_stmt_finish(st);
	return e;
}

static obol_err peer_put(struct obol_store *s, const struct codex_peer *p, int64_t now)
{
	obol_err e = obol_store_run(s, NULL, "DELETE FROM codex_vendor_peers WHERE payer = ? OR until < ?", "ii",
				    (int64_t)p->payer_id, now);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO codex_vendor_peers (payer, epoch, seq, spent, until) VALUES (?, ?, ?, ?, ?)",
				   "iiiii", (int64_t)p->payer_id, (int64_t)p->epoch, (int64_t)p->seq, p->spent.units,
				   p->until);
	return e;
}

/* The unit of work of an accepted payment: the remaining checks in the
 * seed's order, then the token, the payer's place and its deposit,
 * committed together. */
static obol_err take_unit(struct obol_store *s, void *arg)
{
	struct take *k = arg;
	uint8_t blob[CODEX_TOKEN_MAX];
	struct codex_peer last, next;
	size_t n;
	bool found;
	int cmp;
	int64_t row;
	obol_err e;

	if ((e = seen(s, k->t->id, &found)) != OBOL_OK)
		return e;
	if (found)
		return OBOL_E_CODEX_TOKEN_SEEN;
	pthread_mutex_lock(&k->st->lock);
	e = codex_payment_check(obol_vendor_issuer_pk(k->v), &k->st->bl, k->t, k->payer, k->pst, k->now);
	if (e == OBOL_OK && codex_blset_has(&k->st->blocked, k->t->payer_id))
		e = OBOL_E_CODEX_PAYER_BLACKLISTED; /* listed before the newest CODEX_BLACKLIST_MAX */
	pthread_mutex_unlock(&k->st->lock);
	if (e != OBOL_OK)
		return e;
	if (obol_amount_cmp(&k->t->amount, k->asked, &cmp) != OBOL_OK || cmp != 0)
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if ((e = peer_get(s, k->t->amount.currency, k->t->payer_id, &last, &found)) != OBOL_OK ||
	    (e = codex_place_check(found ? &last : NULL, k->t, k->now)) != OBOL_OK)
		return e;
	codex_place_next(k->t, k->pst, &next);
	if ((e = codex_token_encode(k->t, blob, sizeof(blob), &n)) != OBOL_OK ||
	    (e = queue_deposit(s, blob, n, NULL, &row)) != OBOL_OK || (e = peer_put(s, &next, k->now)) != OBOL_OK)
		return e;
	return obol_store_run(s, NULL, "INSERT INTO codex_received (id, token, amount, time, outbox) VALUES (?, ?, ?, ?, ?)",
			      "bbiii", k->t->id, (size_t)CODEX_TOKEN_ID_LEN, blob, n, k->t->amount.units, k->now, row);
}

static obol_err on_hello(struct cv_state *st, struct cv_session *ss, const struct obol_amount *price, const uint8_t *body,
			 size_t len, struct obol_vendor_out *out)
{
	struct codex_msg_hello h;
	struct codex_msg_request *req = calloc(1, sizeof(*req));
	struct obol_field f[2];
	struct obol_fields spec;
	int cmp;
	obol_err e;
	if (!req)
		return OBOL_E_NO_MEMORY;
	memset(&h, 0, sizeof(h));
	codex_msg_hello_spec(&h, f, &spec);
	if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK)
		goto out;
	ss->amount = *price;
	if (h.has_amount) {
		if ((e = obol_amount_cmp(&h.amount, price, &cmp)) != OBOL_OK) {
			e = OBOL_E_CODEX_AMOUNT_INVALID;
			goto out;
		}
		if (cmp > 0)
			ss->amount = h.amount;
	}
	pthread_mutex_lock(&st->lock);
	memcpy(req->cert, st->cert_bytes, st->cert_len);
	req->cert_len = st->cert_len;
	pthread_mutex_unlock(&st->lock);
	req->amount = ss->amount;
	req->has_amount = true;
	ss->asked = true;
	codex_msg_request_spec(req, f, &spec);
	e = obol_vendor_out_add(out, CODEX_MSG_REQUEST, &spec);
out:
	free(req);
	return e;
}

static obol_err on_pay(struct obol_vendor *v, struct cv_state *st, struct cv_session *ss, const uint8_t *body,
		       size_t len, struct obol_vendor_out *out)
{
	struct codex_msg_pay *m = calloc(1, sizeof(*m));
	struct codex_msg_ack ack;
	struct codex_token t;
	struct codex_cert payer;
	struct codex_state pst;
	struct obol_field f[2];
	struct obol_fields spec;
	struct take k = { .v = v, .st = st, .t = &t, .payer = &payer, .pst = &pst, .asked = &ss->amount,
			  .now = obol_now() };
	struct codex_cert me;
	obol_err e;
	if (!m)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_lock(&st->lock);
	me = st->cert;
	pthread_mutex_unlock(&st->lock);
	codex_msg_pay_spec(m, f, &spec);
	if (!ss->asked) {
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
		goto out;
	}
	if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK ||
	    (e = codex_payment_open(&me, obol_vendor_box_keys(v), m, &t, &payer, &pst)) != OBOL_OK)
		goto out;
	if ((e = obol_vendor_run(v, take_unit, &k)) != OBOL_OK) {
		/* a check of this token failed: refuse it with a signed refusal,
		 * stored (and queued for the bank) before it leaves */
		if (!codex_refusable(e))
			goto out;
		k.reason = e;
		if ((e = codex_make_refusal(&t, me.user_id, obol_vendor_sign_keys(v)->sk, k.reason, k.now, &k.ref)) !=
			    OBOL_OK ||
		    (e = obol_vendor_run(v, refuse_unit, &k)) != OBOL_OK)
			goto out;
		obol_vendor_outbox_kick(v);
		ss->asked = false;
		codex_msg_refusal_spec(&k.ref, f, &spec);
		e = obol_vendor_out_add(out, CODEX_MSG_REFUSAL, &spec);
		goto out;
	}
	obol_vendor_outbox_kick(v);
	/* stored and queued: acknowledge (TokenDispatcher's ack) */
	if ((e = codex_make_ack(&t, me.user_id, obol_vendor_sign_keys(v)->sk, k.now, &ack)) != OBOL_OK)
		goto out;
	ss->asked = false;
	codex_msg_ack_spec(&ack, f, &spec);
	if ((e = obol_vendor_out_add(out, CODEX_MSG_ACK, &spec)) == OBOL_OK) {
		uint8_t id[OBOL_RECEIPT_ID_LEN];
		obol_receipt_payment_id(body, len, id);
		e = obol_vendor_receipt_add(v, out, &(struct obol_vendor_receipt_req){ .scheme = "codex",
											.amount = &t.amount, .units = 1,
											.pay_id = id });
	}
out:
	free(m);
	return e;
}

/* Renews the certificate from the bank when it ends within
 * CODEX_CERT_RENEW_MARGIN (tried at most once an hour; the bank being
 * unreachable leaves the one held). */
static void maybe_renew(struct obol_vendor *v, struct cv_state *st, int64_t now)
{
	struct cv_state *tmp;
	struct cv_start c;
	bool due;
	pthread_mutex_lock(&st->lock);
	due = now > st->cert.not_after - CODEX_CERT_RENEW_MARGIN && now - st->renew_tried >= 3600;
	if (due)
		st->renew_tried = now;
	pthread_mutex_unlock(&st->lock);
	if (!due)
		return;
	tmp = calloc(1, sizeof(*tmp));
	c = (struct cv_start){ .st = tmp, .bl_bytes = malloc(CODEX_BLACKLIST_BYTES_MAX) };
	if (tmp && c.bl_bytes && fetch_cert(v, &c) == OBOL_OK &&
	    codex_cert_decode(tmp->cert_bytes, tmp->cert_len, &tmp->cert) == OBOL_OK &&
	    codex_cert_verify(&tmp->cert, obol_vendor_issuer_pk(v)) == OBOL_OK &&
	    memcmp(tmp->cert.box_pk, obol_vendor_box_keys(v)->pk, OBOL_BOX_PK_LEN) == 0 &&
	    obol_vendor_run(v, save_cert_tx, &c) == OBOL_OK) {
		pthread_mutex_lock(&st->lock);
		st->cert = tmp->cert;
		memcpy(st->cert_bytes, tmp->cert_bytes, tmp->cert_len);
		st->cert_len = tmp->cert_len;
		pthread_mutex_unlock(&st->lock);
		obol_log_info("codex: certificate renewed by the bank");
	}
	free(c.bl_bytes);
	free(tmp);
}

/* The paged copy catches up when a deposit brought a newer whole list,
 * or a fetch is under way (bounded; a failure leaves the copy held). */
static void blocked_catch_up(struct obol_vendor *v, struct cv_state *st)
{
	obol_err e;
	if (blocked_behind(st) && (e = blocked_refresh(v, NULL, st)) != OBOL_OK)
		obol_log_warn("codex: the paged blacklist from the bank: %s (the copy held stays)", obol_strerror(e));
}

static void cv_tick(struct obol_vendor *v, void *state)
{
	struct cv_state *st = state;
	if (st && st->ready)
		blocked_catch_up(v, st);
}

static obol_err cv_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body, size_t len,
			 struct obol_vendor_out *out)
{
	struct cv_state *st = obol_vendor_scheme_state(v, "codex");
	if (!st || !st->ready)
		return OBOL_E_CODEX_UNKNOWN_USER;
	switch (type) {
	case CODEX_MSG_HELLO:
		maybe_renew(v, st, obol_now());
		blocked_catch_up(v, st);
		return on_hello(st, session, obol_vendor_price(v), body, len, out);
	case CODEX_MSG_PAY:
		return on_pay(v, st, session, body, len, out);
	default:
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	}
}

/* The bank answered a deposit: keep its blacklist when it is newer (the
 * paged copy then catches up at the next HELLO, blocked_catch_up). */
static obol_err cv_done(struct obol_vendor *v, struct obol_store *s, int64_t row, const char *kind, obol_err result,
			const json_t *reply)
{
	struct cv_state *st = obol_vendor_scheme_state(v, "codex");
	struct codex_blacklist *bl;
	struct codex_api_deposit_reply *rep;
	obol_err e = OBOL_OK;
	(void)row;
	if (result != OBOL_OK || !reply || !st || strcmp(kind, "deposit") != 0)
		return OBOL_OK;
	bl = malloc(sizeof(*bl));
	rep = calloc(1, sizeof(*rep));
	if (bl && rep) {
		codex_api_deposit_reply_spec(rep);
		if (obol_json_decode(reply, &rep->spec) == OBOL_OK &&
		    codex_blacklist_decode(rep->blacklist, rep->blacklist_len, bl) == OBOL_OK &&
		    codex_blacklist_verify(bl, obol_vendor_issuer_pk(v)) == OBOL_OK) {
			pthread_mutex_lock(&st->lock);
			if (bl->version > st->bl.version) {
				memcpy(&st->bl, bl, sizeof(*bl));
				e = kv_put(s, "blacklist", rep->blacklist, rep->blacklist_len);
			}
			pthread_mutex_unlock(&st->lock);
		}
	}
	free(bl);
	free(rep);
	return e;
}

OBOL_VENDOR_SCHEME(codex_vendor_scheme, .name = "codex", .type_min = OBOL_DL_CODEX_MIN, .type_max = OBOL_DL_CODEX_MAX,
		   .start = cv_start, .stop = cv_stop, .open = cv_open, .on_frame = cv_frame, .close = cv_close,
		   .outbox_done = cv_done, .tick = cv_tick)
