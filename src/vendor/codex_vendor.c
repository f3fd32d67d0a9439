/* The codex scheme on the vendor daemon: a payee (seed 004 §III "receive
 * payment") that deposits its tokens at the bank.
 *
 * Session (device-link frames of schemes/codex/messages.h):
 *   wallet HELLO {amount?}  -> REQUEST {certificate, amount}: the price, or
 *                              the amount the wallet offers when it is more;
 *   wallet PAY {sealed}     -> decrypt, names this vendor, token id unseen
 *                              (vendor store), fresh, payer not blacklisted,
 *                              payer's certified key and state, amount as
 *                              asked; then, in one durable unit, the token is
 *                              stored and its deposit queued in the outbox;
 *                              only then ACK {signed acknowledgement}.
 *                              A payment that fails a check after it was
 *                              opened and named this vendor is answered
 *                              with REFUSAL {signed refusal}, its id stored
 *                              first so it is never taken later: the payer
 *                              is refunded by the bank at its next sync.
 * The outbox POSTs /codex/deposit (idempotent by request id); the reply
 * carries the bank's current blacklist, which the vendor keeps.
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
#include "schemes/codex/codex.h"
#include "vendor/outbox.h"
#include "vendor/receipt.h"
#include "vendor/vendor.h"
#include "wire/cbor.h"

static const struct obol_migration codex_vendor_steps[] = {
	{ "CREATE TABLE codex_received (id BYTEA PRIMARY KEY, token BYTEA NOT NULL, amount BIGINT NOT NULL,"
	  " time BIGINT NOT NULL, outbox BIGINT NOT NULL);"
	  "CREATE TABLE codex_vendor_kv (k TEXT PRIMARY KEY, v BYTEA NOT NULL);",
	  NULL },
	/* ids of tokens the vendor refused (with a signed refusal): never taken later */
	{ "CREATE TABLE codex_refused (id BYTEA PRIMARY KEY, reason BIGINT NOT NULL, time BIGINT NOT NULL);", NULL },
};

struct cv_state {
	pthread_mutex_t lock; /* guards bl */
	bool ready;
	struct codex_cert cert;
	uint8_t cert_bytes[CODEX_CERT_MAX];
	size_t cert_len;
	struct codex_blacklist bl;
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

static obol_err load_tx(struct obol_store *s, void *arg)
{
	struct cv_start *c = arg;
	obol_err e = kv_get(s, "cert", c->st->cert_bytes, sizeof(c->st->cert_bytes), &c->st->cert_len);
	if (e == OBOL_OK)
		e = kv_get(s, "blacklist", c->bl_bytes, CODEX_BLACKLIST_BYTES_MAX, &c->bl_len);
	return e;
}

static obol_err b64_field(const json_t *obj, const char *key, uint8_t *out, size_t cap, size_t *n)
{
	const char *t = json_string_value(json_object_get(obj, key));
	return t ? obol_b64_decode(t, out, cap, n, 0) : OBOL_E_WIRE_MISSING_FIELD;
}

static obol_err fetch_cert(struct obol_vendor *v, struct cv_start *c)
{
	struct obol_http_client *client = NULL;
	char box64[OBOL_B64_LEN(OBOL_BOX_PK_LEN)];
	json_t *req = NULL, *reply = NULL;
	obol_err e = obol_b64_encode(obol_vendor_box_keys(v)->pk, OBOL_BOX_PK_LEN, box64, sizeof(box64));
	if (e == OBOL_OK)
		e = obol_vendor_issuer_client(v, &client);
	if (e == OBOL_OK && !(req = json_pack("{s:s}", "box_pk", box64)))
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_http_post_json(client, "/codex/vendor", req, OBOL_HTTP_AUTH, &reply);
	if (e == OBOL_OK)
		e = b64_field(reply, "cert", c->st->cert_bytes, sizeof(c->st->cert_bytes), &c->st->cert_len);
	if (e == OBOL_OK)
		e = b64_field(reply, "blacklist", c->bl_bytes, CODEX_BLACKLIST_BYTES_MAX, &c->bl_len);
	json_decref(req);
	json_decref(reply);
	obol_http_client_free(client);
	return e;
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
	if ((e = obol_store_migrate(s, "codex_vendor", codex_vendor_steps, OBOL_ARRAY_LEN(codex_vendor_steps))) != OBOL_OK)
		goto out;
	e = fetch_cert(v, &c);
	if (e == OBOL_OK)
		e = obol_store_transact(s, save_tx, &c);
	else
		e = obol_store_transact(s, load_tx, &c); /* the bank is unreachable: the last one */
	if (e == OBOL_OK && codex_cert_decode(st->cert_bytes, st->cert_len, &st->cert) == OBOL_OK &&
	    codex_cert_verify(&st->cert, obol_vendor_issuer_pk(v)) == OBOL_OK &&
	    memcmp(st->cert.box_pk, obol_vendor_box_keys(v)->pk, OBOL_BOX_PK_LEN) == 0 &&
	    codex_blacklist_decode(c.bl_bytes, c.bl_len, &st->bl) == OBOL_OK &&
	    codex_blacklist_verify(&st->bl, obol_vendor_issuer_pk(v)) == OBOL_OK)
		st->ready = true;
	else
		obol_log_warn("codex: no payee certificate from the bank; codex payments are refused");
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

/* The unit of work of a refusal: the id is stored as refused unless it
 * was taken or refused before (then TOKEN_SEEN: no refusal may contradict
 * an acknowledgement). */
static obol_err refuse_unit(struct obol_store *s, void *arg)
{
	struct take *k = arg;
	bool found;
	obol_err e;
	if ((e = seen(s, k->t->id, &found)) != OBOL_OK)
		return e;
	if (found)
		return OBOL_E_CODEX_TOKEN_SEEN;
	return obol_store_run(s, NULL, "INSERT INTO codex_refused (id, reason, time) VALUES (?, ?, ?)", "bii", k->t->id,
			      (size_t)CODEX_TOKEN_ID_LEN, (int64_t)k->reason, k->now);
}

/* The unit of work of an accepted payment: the remaining checks in the
 * seed's order, then the token and its deposit, committed together. */
static obol_err take_unit(struct obol_store *s, void *arg)
{
	struct take *k = arg;
	uint8_t blob[CODEX_TOKEN_MAX];
	char rid[32], *b64 = NULL;
	size_t n;
	bool found;
	int cmp;
	int64_t row;
	json_t *body = NULL;
	obol_err e;

	if ((e = seen(s, k->t->id, &found)) != OBOL_OK)
		return e;
	if (found)
		return OBOL_E_CODEX_TOKEN_SEEN;
	pthread_mutex_lock(&k->st->lock);
	e = codex_payment_check(obol_vendor_issuer_pk(k->v), &k->st->bl, k->t, k->payer, k->pst, k->now);
	pthread_mutex_unlock(&k->st->lock);
	if (e != OBOL_OK)
		return e;
	if (obol_amount_cmp(&k->t->amount, k->asked, &cmp) != OBOL_OK || cmp != 0)
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if ((e = codex_token_encode(k->t, blob, sizeof(blob), &n)) != OBOL_OK)
		return e;
	if (!(b64 = malloc(OBOL_B64_LEN(n))))
		return OBOL_E_NO_MEMORY;
	if ((e = obol_b64_encode(blob, n, b64, OBOL_B64_LEN(n))) != OBOL_OK)
		goto out;
	obol_outbox_request_id(rid);
	if (!(body = json_pack("{s:s, s:[s]}", "request_id", rid, "tokens", b64))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_outbox_enqueue(s, "codex", "deposit", "/codex/deposit", body, 0, &row)) != OBOL_OK)
		goto out;
	e = obol_store_run(s, NULL, "INSERT INTO codex_received (id, token, amount, time, outbox) VALUES (?, ?, ?, ?, ?)",
			   "bbiii", k->t->id, (size_t)CODEX_TOKEN_ID_LEN, blob, n, k->t->amount.units, k->now, row);
out:
	json_decref(body);
	free(b64);
	return e;
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
	memcpy(req->cert, st->cert_bytes, st->cert_len);
	req->cert_len = st->cert_len;
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
	obol_err e;
	if (!m)
		return OBOL_E_NO_MEMORY;
	codex_msg_pay_spec(m, f, &spec);
	if (!ss->asked) {
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
		goto out;
	}
	if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK ||
	    (e = codex_payment_open(&st->cert, obol_vendor_box_keys(v), m, &t, &payer, &pst)) != OBOL_OK)
		goto out;
	if ((e = obol_vendor_run(v, take_unit, &k)) != OBOL_OK) {
		/* a check of this token failed: refuse it with a signed refusal */
		struct codex_msg_refusal ref;
		if (!codex_refusable(e))
			goto out;
		k.reason = e;
		if ((e = obol_vendor_run(v, refuse_unit, &k)) != OBOL_OK ||
		    (e = codex_make_refusal(&t, st->cert.user_id, obol_vendor_sign_keys(v)->sk, k.reason, k.now, &ref)) !=
			    OBOL_OK)
			goto out;
		ss->asked = false;
		codex_msg_refusal_spec(&ref, f, &spec);
		e = obol_vendor_out_add(out, CODEX_MSG_REFUSAL, &spec);
		goto out;
	}
	obol_vendor_outbox_kick(v);
	/* stored and queued: acknowledge (TokenDispatcher's ack) */
	if ((e = codex_make_ack(&t, st->cert.user_id, obol_vendor_sign_keys(v)->sk, k.now, &ack)) != OBOL_OK)
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

static obol_err cv_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body, size_t len,
			 struct obol_vendor_out *out)
{
	struct cv_state *st = obol_vendor_scheme_state(v, "codex");
	if (!st || !st->ready)
		return OBOL_E_CODEX_UNKNOWN_USER;
	switch (type) {
	case CODEX_MSG_HELLO:
		return on_hello(st, session, obol_vendor_price(v), body, len, out);
	case CODEX_MSG_PAY:
		return on_pay(v, st, session, body, len, out);
	default:
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	}
}

/* The bank answered a deposit: keep its blacklist when it is newer. */
static obol_err cv_done(struct obol_vendor *v, struct obol_store *s, int64_t row, const char *kind, obol_err result,
			const json_t *reply)
{
	struct cv_state *st = obol_vendor_scheme_state(v, "codex");
	struct codex_blacklist *bl;
	uint8_t *buf;
	size_t n;
	obol_err e = OBOL_OK;
	(void)row;
	if (result != OBOL_OK || !reply || !st || strcmp(kind, "deposit") != 0)
		return OBOL_OK;
	bl = malloc(sizeof(*bl));
	buf = malloc(CODEX_BLACKLIST_BYTES_MAX);
	if (bl && buf && b64_field(reply, "blacklist", buf, CODEX_BLACKLIST_BYTES_MAX, &n) == OBOL_OK &&
	    codex_blacklist_decode(buf, n, bl) == OBOL_OK && codex_blacklist_verify(bl, obol_vendor_issuer_pk(v)) == OBOL_OK) {
		pthread_mutex_lock(&st->lock);
		if (bl->version > st->bl.version) {
			memcpy(&st->bl, bl, sizeof(*bl));
			e = kv_put(s, "blacklist", buf, n);
		}
		pthread_mutex_unlock(&st->lock);
	}
	free(bl);
	free(buf);
	return e;
}

OBOL_VENDOR_SCHEME(codex_vendor_scheme, .name = "codex", .type_min = OBOL_DL_CODEX_MIN, .type_max = OBOL_DL_CODEX_MAX,
		   .start = cv_start, .stop = cv_stop, .open = cv_open, .on_frame = cv_frame, .close = cv_close,
		   .outbox_done = cv_done)
