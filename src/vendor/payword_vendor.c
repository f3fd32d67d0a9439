/* payword at the vendor: setup file, tables, and the purchase unit of work
 * (see payword_vendor.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/payword/wire.h"
#include "vendor/outbox.h"
#include "vendor/payword_vendor.h"
#include "vendor/prune.h"
#include "vendor/vendor_files.h"
#include "wire/json.h"

bool payword_product_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > PAYWORD_PRODUCT_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

obol_err payword_vendor_config_load(const char *dir, struct payword_vendor_state *st)
{
	char path[PATH_MAX], *text = NULL;
	json_t *j = NULL, *prods, *p;
	const char *key, *mode, *report;
	obol_err e;
	if ((e = obol_vendor_file_path(dir, "payword.json", path)) != OBOL_OK ||
	    (e = obol_vendor_file_read(path, &text)) != OBOL_OK)
		return e;
	e = OBOL_E_CONFIG;
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (j == NULL)
		return e;
	mode = json_string_value(json_object_get(j, "mode"));
	report = json_string_value(json_object_get(j, "report"));
	if (mode == NULL || payword_vendor_mode_parse(mode, &st->cfg.mode) != OBOL_OK)
		goto out;
	if (report == NULL || strcmp(report, "almost-online") == 0)
		st->report = PAYWORD_REPORT_ONLINE;
	else if (strcmp(report, "batch") == 0)
		st->report = PAYWORD_REPORT_BATCH;
	else
		goto out;
	st->batch_interval = json_integer_value(json_object_get(j, "batch_interval"));
	st->crl_interval = json_integer_value(json_object_get(j, "crl_interval"));
	st->cfg.crl_max_age = json_integer_value(json_object_get(j, "crl_max_age"));
	if (st->batch_interval <= 0)
		st->batch_interval = 5;
	if (st->crl_interval <= 0)
		st->crl_interval = 2;
	if (st->cfg.crl_max_age <= 0)
		st->cfg.crl_max_age = PAYWORD_CRL_MAX_AGE_DEFAULT;
	if (st->cfg.crl_max_age < PAYWORD_CRL_MAX_AGE_MIN)
		goto out;
	st->nproducts = 0;
	prods = json_object_get(j, "products");
	json_object_foreach(prods, key, p) {
		struct payword_product *pr = &st->products[st->nproducts];
		const char *price = json_string_value(json_object_get(p, "price"));
		const char *type = json_string_value(json_object_get(p, "type"));
		if (st->nproducts == PAYWORD_PRODUCTS_MAX || !payword_product_id_valid(key) || price == NULL ||
		    obol_amount_parse(price, &pr->price) != OBOL_OK ||
		    obol_strlcpy_checked(pr->type, type != NULL ? type : "application/octet-stream",
					 sizeof(pr->type)) != OBOL_OK)
			goto out;
		snprintf(pr->id, sizeof(pr->id), "%s", key);
		st->nproducts++;
	}
	e = OBOL_OK;
out:
	json_decref(j);
	return e;
}

obol_err payword_vendor_config_save(const char *dir, const struct payword_vendor_state *st)
{
	char path[PATH_MAX], price[OBOL_AMOUNT_STR_MAX], *text;
	json_t *prods = json_object();
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I}", "mode", payword_vendor_mode_name(st->cfg.mode), "report",
			      st->report == PAYWORD_REPORT_BATCH ? "batch" : "almost-online", "batch_interval",
			      (json_int_t)st->batch_interval, "crl_interval", (json_int_t)st->crl_interval,
			      "crl_max_age", (json_int_t)st->cfg.crl_max_age);
	obol_err e = OBOL_E_NO_MEMORY;
	if (j == NULL || prods == NULL)
		goto out;
	for (size_t i = 0; i < st->nproducts; i++) {
		obol_amount_format(&st->products[i].price, price);
		json_object_set_new(prods, st->products[i].id,
				    json_pack("{s:s, s:s}", "price", price, "type", st->products[i].type));
	}
	json_object_set(j, "products", prods);
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		goto out;
	e = obol_vendor_file_path(dir, "payword.json", path);
	if (e == OBOL_OK)
		e = obol_vendor_file_write(path, text, 0600);
	free(text);
out:
	json_decref(prods);
	json_decref(j);
	return e;
}

const struct payword_product *payword_vendor_product(const struct payword_vendor_state *st, const char *id)
{
	for (size_t i = 0; i < st->nproducts; i++)
		if (strcmp(st->products[i].id, id) == 0)
			return &st->products[i];
	return NULL;
}

/* --- tables ------------------------------------------------------------ */

static const struct obol_migration vendor_steps[] = {
	{ .sqlite = "CREATE TABLE payword_v_serials (serial BIGINT PRIMARY KEY, has_token BIGINT NOT NULL,"
		    " last_order BIGINT NOT NULL, last_token BYTEA, visit_open BIGINT NOT NULL,"
		    " v_vendor BIGINT NOT NULL, v_start BIGINT NOT NULL, v_time BIGINT NOT NULL, v_sig BYTEA,"
		    " vcert_hash BYTEA);"
		    "CREATE TABLE payword_v_sales (serial BIGINT NOT NULL, order_no BIGINT NOT NULL,"
		    " token BYTEA NOT NULL, product TEXT NOT NULL, value_units BIGINT NOT NULL,"
		    " auth BIGINT NOT NULL UNIQUE, outbox_id BIGINT NOT NULL, reported BIGINT NOT NULL,"
		    " report_error TEXT, created BIGINT NOT NULL, PRIMARY KEY (serial, order_no));"
		    "CREATE INDEX payword_v_sales_outbox ON payword_v_sales (outbox_id);" },
	/* Signed ranges instead of visits (issue 13): a sale keeps the range the
	 * user signed for it and the user's key, which the product page checks
	 * requests against; a serial no longer has a visit. */
	{ .sqlite = "ALTER TABLE payword_v_sales ADD COLUMN range_from BIGINT;"
		    "ALTER TABLE payword_v_sales ADD COLUMN range_sig BYTEA;"
		    "ALTER TABLE payword_v_sales ADD COLUMN user_pk BYTEA;"
		    "ALTER TABLE payword_v_serials DROP COLUMN visit_open;"
		    "ALTER TABLE payword_v_serials DROP COLUMN v_vendor;"
		    "ALTER TABLE payword_v_serials DROP COLUMN v_start;"
		    "ALTER TABLE payword_v_serials DROP COLUMN v_time;"
		    "ALTER TABLE payword_v_serials DROP COLUMN v_sig;" },
};

obol_err payword_vendor_migrate(struct obol_store *s)
{
	obol_err e = obol_store_migrate(s, "payword-vendor", vendor_steps, OBOL_ARRAY_LEN(vendor_steps));
	return e == OBOL_OK ? obol_vendor_prune_payword_migrate(s) : e;
}

static obol_err serial_get(struct obol_store *s, uint64_t serial, struct payword_vendor_serial *st, bool *found)
{
	struct obol_stmt *q = NULL;
	bool row = false;
	size_t tl = 0, hl = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT has_token, last_order, last_token, vcert_hash FROM payword_v_serials "
					  "WHERE serial = ?",
				       &q);
	if (e)
		return e;
	e = obol_stmt_bindf(q, "i", (int64_t)serial);
	if (e == OBOL_OK)
		e = obol_stmt_step(q, &row);
	*found = row;
	memset(st, 0, sizeof(*st));
	if (e == OBOL_OK && row) {
		const void *tok = obol_stmt_column_blob(q, 2, &tl);
		if (tl == PAYWORD_TOKEN_LEN)
			memcpy(st->last_token, tok, PAYWORD_TOKEN_LEN); /* before the next blob is read */
		const void *vh = obol_stmt_column_blob(q, 3, &hl);
		if (hl == OBOL_HASH_LEN) {
			memcpy(st->vcert_hash, vh, OBOL_HASH_LEN);
			st->has_vcert = true;
		}
		st->serial = serial;
		st->has_token = obol_stmt_column_int64(q, 0) != 0;
		st->last_order = (uint64_t)obol_stmt_column_int64(q, 1);
		if (st->has_token && tl != PAYWORD_TOKEN_LEN)
			e = OBOL_E_STORE_QUERY;
	}
	obol_stmt_finish(q);
	return e;
}

/* The serial's state, and the end of its certificate (vendor/prune.h: the
 * row can go some time after it). */
static obol_err serial_put(struct obol_store *s, const struct payword_vendor_serial *st, int64_t not_after)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO payword_v_serials (serial, has_token, last_order, last_token, vcert_hash,"
			      " not_after) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET"
			      " has_token = excluded.has_token, last_order = excluded.last_order,"
			      " last_token = excluded.last_token, vcert_hash = excluded.vcert_hash,"
			      " not_after = excluded.not_after",
			      "iiibbi", (int64_t)st->serial, (int64_t)st->has_token, (int64_t)st->last_order,
			      st->last_token, (size_t)PAYWORD_TOKEN_LEN, st->vcert_hash, (size_t)OBOL_HASH_LEN, not_after);
}

#define SALE_COLUMNS                                                                                     \
	"SELECT serial, order_no, token, product, value_units, auth, range_from, range_sig, user_pk " \
	"FROM payword_v_sales "

/* One sale row; PAYWORD_AUTH_INVALID for a sale made before sales kept
 * their range and buyer's key. */
static obol_err sale_row(struct obol_stmt *q, struct payword_vendor_sale *sale)
{
	size_t tl = 0, sl = 0, pl = 0;
	memset(sale, 0, sizeof(*sale));
	const void *tok = obol_stmt_column_blob(q, 2, &tl);
	if (tl != PAYWORD_TOKEN_LEN)
		return OBOL_E_STORE_QUERY;
	memcpy(sale->token, tok, PAYWORD_TOKEN_LEN);
	const void *sig = obol_stmt_column_blob(q, 7, &sl);
	if (sl == OBOL_SIGN_LEN)
		memcpy(sale->range.sig, sig, OBOL_SIGN_LEN);
	const void *pk = obol_stmt_column_blob(q, 8, &pl);
	if (pl == OBOL_SIGN_PK_LEN)
		memcpy(sale->user_pk, pk, OBOL_SIGN_PK_LEN);
	sale->serial = (uint64_t)obol_stmt_column_int64(q, 0);
	sale->order = (uint64_t)obol_stmt_column_int64(q, 1);
	sale->value.units = obol_stmt_column_int64(q, 4);
	sale->auth = obol_stmt_column_int64(q, 5);
	sale->range.serial = sale->serial;
	sale->range.from = (uint64_t)obol_stmt_column_int64(q, 6);
	sale->range.to = sale->order;
	if (obol_strlcpy_checked(sale->product, obol_stmt_column_text(q, 3), sizeof(sale->product)) != OBOL_OK)
		return OBOL_E_STORE_QUERY;
	return sl == OBOL_SIGN_LEN && pl == OBOL_SIGN_PK_LEN ? OBOL_OK : OBOL_E_PAYWORD_AUTH_INVALID;
}

static obol_err sale_get(struct obol_store *s, uint64_t serial, uint64_t order, struct payword_vendor_sale *sale,
			 bool *found)
{
	struct obol_stmt *q = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, SALE_COLUMNS "WHERE serial = ? AND order_no = ?", &q);
	if (e)
		return e;
	e = obol_stmt_bindf(q, "ii", (int64_t)serial, (int64_t)order);
	if (e == OBOL_OK)
		e = obol_stmt_step(q, &row);
	*found = row;
	if (e == OBOL_OK && row) {
		e = sale_row(q, sale);
		if (e == OBOL_E_PAYWORD_AUTH_INVALID)
			e = OBOL_E_PAYWORD_TOKEN_REUSED; /* an older sale of this order: not a retry of this one */
	}
	obol_stmt_finish(q);
	return e;
}

obol_err payword_vendor_sale_by_auth(struct obol_store *s, const char *product, int64_t auth,
				     struct payword_vendor_sale *out)
{
	struct obol_stmt *q = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, SALE_COLUMNS "WHERE auth = ? AND product = ?", &q);
	if (e)
		return e;
	e = obol_stmt_bindf(q, "it", auth, product);
	if (e == OBOL_OK)
		e = obol_stmt_step(q, &row);
	if (e == OBOL_OK)
		e = row ? sale_row(q, out) : OBOL_E_PAYWORD_AUTH_INVALID;
	obol_stmt_finish(q);
	return e;
}

/* --- the purchase unit --------------------------------------------------- */

struct buy_unit {
	struct payword_vendor_state *st;
	const struct payword_pay *req;
	int64_t now, auth;
	bool retry;
};

/* The report body for the agent: the claim, keyed by its content. */
static obol_err report_body(const struct payword_claim *c, json_t **out)
{
	struct payword_claim_wire w;
	struct payword_claim_spec spec;
	payword_claim_to_wire(c, &w);
	payword_claim_spec_init(&spec, &w);
	return obol_json_encode(&spec.spec, out);
}

static obol_err buy_fn(struct obol_store *s, void *ctx)
{
	struct buy_unit *b = ctx;
	struct payword_vendor_serial cur, next;
	struct payword_vendor_sale sale;
	struct payword_claim claim;
	bool have = false, sold = false;
	json_t *body = NULL;
	int64_t due, row = 0;
	struct payword_crl crl;
	obol_err e;

	e = sale_get(s, b->req->serial, b->req->order, &sale, &sold);
	if (e)
		return e;
	if (sold) {
		/* A retry after a lost reply: the same answer, nothing new. */
		memcpy(sale.value.currency, b->req->value.currency, sizeof(sale.value.currency));
		if ((e = payword_vendor_match_retry(&sale, b->req)) != OBOL_OK)
			return e;
		b->auth = sale.auth;
		b->retry = true;
		return OBOL_OK;
	}
	if ((e = serial_get(s, b->req->serial, &cur, &have)) != OBOL_OK)
		return e;
	pthread_mutex_lock(&b->st->mu);
	crl = b->st->crl;
	e = payword_vendor_purchase(&b->st->cfg, b->st->has_crl ? &crl : NULL, have ? &cur : NULL, b->req, b->now,
				    b->auth, &next, &claim);
	pthread_mutex_unlock(&b->st->mu);
	if (e)
		return e;
	due = payword_vendor_report_due(b->st->report, b->st->batch_interval, b->now);
	if ((e = serial_put(s, &next, b->req->vc.not_after)) != OBOL_OK || (e = report_body(&claim, &body)) != OBOL_OK)
		return e;
	e = obol_outbox_enqueue(s, "payword", "report", "/payword/report", body, due, &row);
	json_decref(body);
	if (e)
		return e;
	return obol_store_run(s, NULL,
			      "INSERT INTO payword_v_sales (serial, order_no, token, product, value_units, auth,"
			      " outbox_id, reported, report_error, created, range_from, range_sig, user_pk)"
			      " VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, ?)",
			      "iibtiiiiibb", (int64_t)b->req->serial, (int64_t)b->req->order, b->req->token,
			      (size_t)PAYWORD_TOKEN_LEN, b->req->product, b->req->value.units, b->auth, row, b->now,
			      (int64_t)b->req->range.from, b->req->range.sig, (size_t)OBOL_SIGN_LEN, b->req->vc.user_pk,
			      (size_t)OBOL_SIGN_PK_LEN);
}

obol_err payword_vendor_buy(struct obol_vendor *v, struct payword_vendor_state *st, const struct payword_pay *req,
			    int64_t *auth)
{
	struct buy_unit b = { .st = st, .req = req, .now = obol_now() };
	const struct payword_product *p = payword_vendor_product(st, req->product);
	int cmp;
	obol_err e;
	if (p == NULL)
		return OBOL_E_NOT_FOUND;
	if (obol_amount_cmp(&p->price, &req->value, &cmp) != OBOL_OK || cmp != 0)
		return OBOL_E_PAYWORD_VALUE_MISMATCH;
	/* Step 6: a random authorisation number, never -1. */
	do {
		obol_random(&b.auth, sizeof(b.auth));
		b.auth &= INT64_MAX >> 11; /* positive, exact in JSON and in doubles */
	} while (b.auth == 0);
	e = obol_vendor_run(v, buy_fn, &b);
	if (e)
		return e;
	if (st->report == PAYWORD_REPORT_ONLINE && !b.retry)
		obol_vendor_outbox_kick(v); /* almost online: send now, do not wait */
	*auth = b.auth;
	return OBOL_OK;
}
