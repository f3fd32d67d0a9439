/* The coupon scheme's registration in the vendor daemon: tables, state,
 * recovery after a crash, and the outbox's settle answers (coupon_vendor.h). */
#include "vendor/coupon_vendor.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "vendor/outbox.h"
#include "wire/json.h"

static const struct obol_migration vcoin_steps[] = {
	{ .sqlite = "CREATE TABLE coupon_vcoins (coin_id BYTEA NOT NULL, lock_index BIGINT NOT NULL, "
		    "denom BIGINT NOT NULL, deadline BIGINT NOT NULL, last_index BIGINT NOT NULL, "
		    "last_token BYTEA NOT NULL, state BIGINT NOT NULL, outbox_row BIGINT, "
		    "credited_tokens BIGINT NOT NULL, created BIGINT NOT NULL, "
		    "PRIMARY KEY (coin_id, lock_index));"
		    "CREATE INDEX coupon_vcoins_state ON coupon_vcoins (state);"
		    "CREATE INDEX coupon_vcoins_row ON coupon_vcoins (outbox_row);" },
};

obol_err coupon_vcoin_insert(struct obol_store *s, const struct coupon_vendor_coin *c, int64_t deadline)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO coupon_vcoins (coin_id, lock_index, denom, deadline, last_index, last_token, "
			      "state, outbox_row, credited_tokens, created) VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 0, ?)",
			      "biiiibi", c->coin_id, (size_t)COUPON_ID_LEN, (int64_t)c->lock_index, (int64_t)c->denom,
			      deadline, (int64_t)c->last_index, c->last_token, (size_t)COUPON_ID_LEN, obol_now());
}

obol_err coupon_vcoin_token(struct obol_store *s, const struct coupon_vendor_coin *c)
{
	int64_t changes = 0;
	obol_err e = obol_store_run(s, &changes,
				    "UPDATE coupon_vcoins SET last_index = ?, last_token = ? "
				    "WHERE coin_id = ? AND lock_index = ? AND state = 0 AND last_index > ?",
				    "ibbii", (int64_t)c->last_index, c->last_token, (size_t)COUPON_ID_LEN, c->coin_id,
				    (size_t)COUPON_ID_LEN, (int64_t)c->lock_index, (int64_t)c->last_index);
	return e == OBOL_OK && changes != 1 ? OBOL_E_INTERNAL : e;
}

obol_err coupon_vcoin_queue_settle(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
				   const struct coupon_vendor_coin *c, int64_t *row)
{
	struct coupon_settle_req req;
	struct coupon_spec spec;
	json_t *body = NULL;
	int64_t changes = 0;
	coupon_vendor_settle_req(cfg, c, false, &req);
	coupon_spec_settle_req(&spec, &req);
	obol_err e = obol_json_encode(&spec.fields, &body);
	if (e == OBOL_OK)
		e = obol_outbox_enqueue(s, "coupon", "settle", "/coupon/settle", body, 0, row);
	if (e == OBOL_OK)
		e = obol_store_run(s, &changes,
				   "UPDATE coupon_vcoins SET state = 1, outbox_row = ? "
				   "WHERE coin_id = ? AND lock_index = ? AND state = 0",
				   "ibi", *row, c->coin_id, (size_t)COUPON_ID_LEN, (int64_t)c->lock_index);
	if (e == OBOL_OK && changes != 1)
		e = OBOL_E_INTERNAL;
	json_decref(body);
	return e;
}

obol_err coupon_vcoin_state_by_row(struct obol_store *s, int64_t row, int *state)
{
	struct obol_stmt *st;
	bool found;
	obol_err e = obol_stmt_prepare(s, "SELECT state FROM coupon_vcoins WHERE outbox_row = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "i", row)) == OBOL_OK && (e = obol_stmt_step(st, &found)) == OBOL_OK)
		*state = found ? (int)obol_stmt_column_int64(st, 0) : -1;
	obol_stmt_finish(st);
	return e;
}

/* Every coin left OPEN by a crash is settled at its last durable token. */
static obol_err recover_open(struct obol_store *s, const struct coupon_vendor_cfg *cfg, int *n)
{
	struct coupon_vendor_coin open[64];
	struct obol_stmt *st;
	size_t k = 0;
	bool row;
	obol_err e;
	*n = 0;
	do {
		k = 0;
		if ((e = obol_stmt_prepare(s,
					   "SELECT coin_id, lock_index, denom, last_index, last_token FROM coupon_vcoins "
					   "WHERE state = 0 LIMIT 64",
					   &st)) != OBOL_OK)
			return e;
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row && k < 64) {
			struct coupon_vendor_coin *c = &open[k++];
			size_t l1, l2;
			const void *id = obol_stmt_column_blob(st, 0, &l1);
			const void *tok = obol_stmt_column_blob(st, 4, &l2);
			memset(c, 0, sizeof(*c));
			if (l1 != COUPON_ID_LEN || l2 != COUPON_ID_LEN) {
				e = OBOL_E_STORE_QUERY;
				break;
			}
			memcpy(c->coin_id, id, COUPON_ID_LEN);
			c->lock_index = (uint64_t)obol_stmt_column_int64(st, 1);
			c->denom = (uint32_t)obol_stmt_column_int64(st, 2);
			c->last_index = (uint64_t)obol_stmt_column_int64(st, 3);
			memcpy(c->last_token, tok, COUPON_ID_LEN);
		}
		obol_stmt_finish(st);
		for (size_t i = 0; i < k && e == OBOL_OK; i++) {
			int64_t r;
			e = coupon_vcoin_queue_settle(s, cfg, &open[i], &r);
		}
		*n += (int)k;
	} while (e == OBOL_OK && k == 64);
	return e;
}

static obol_err coupon_vendor_start_cb(struct obol_vendor *v, struct obol_store *s, void **state)
{
	struct coupon_vstate *st = calloc(1, sizeof(*st));
	json_t *keys = NULL;
	size_t len;
	int recovered = 0;
	obol_err e = OBOL_E_NO_MEMORY;
	if (!st)
		return e;
	if ((e = obol_store_migrate(s, "coupon_vendor", vcoin_steps, OBOL_ARRAY_LEN(vcoin_steps))) != OBOL_OK ||
	    (e = obol_vendor_issuer_keys(v, false, &keys)) != OBOL_OK ||
	    (e = coupon_keys_parse(json_object_get(keys, "coupon"), &st->keys)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(obol_vendor_cert(v), st->cert, sizeof(st->cert), &len)) != OBOL_OK)
		goto out;
	struct coupon_vendor_cfg *cfg = &st->cfg;
	cfg->cert = st->cert;
	cfg->cert_len = len;
	obol_sha256(cfg->cert_hash, st->cert, len);
	cfg->sign_sk = obol_vendor_sign_keys(v)->sk;
	memcpy(cfg->issuer_pk, obol_vendor_issuer_pk(v), OBOL_SIGN_PK_LEN);
	cfg->denoms = st->keys.denoms;
	cfg->ndenoms = st->keys.ndenoms;
	cfg->price = *obol_vendor_price(v);
	cfg->lock_s = COUPON_VENDOR_LOCK_S < st->keys.lock_max_s ? COUPON_VENDOR_LOCK_S : st->keys.lock_max_s;
	cfg->margin_s = cfg->lock_s / 5;
	if ((e = obol_store_begin(s)) != OBOL_OK)
		goto out;
	if ((e = recover_open(s, cfg, &recovered)) != OBOL_OK || (e = obol_store_commit(s)) != OBOL_OK) {
		obol_store_rollback(s);
		goto out;
	}
	if (recovered > 0)
		obol_log_info("coupon: %d coin(s) left open by the last run are queued for settlement", recovered);
out:
	json_decref(keys);
	if (e != OBOL_OK) {
		coupon_keys_free(&st->keys);
		free(st);
		return e;
	}
	*state = st;
	return OBOL_OK;
}

static void coupon_vendor_stop_cb(struct obol_vendor *v, void *state)
{
	struct coupon_vstate *st = state;
	(void)v;
	if (!st)
		return;
	coupon_keys_free(&st->keys);
	free(st);
}

/* The settle answer for an outbox row: checked against the request (rebuilt
 * from the coin row: Ed25519 is deterministic) and recorded with the coin. */
static obol_err coupon_outbox_done(struct obol_vendor *v, struct obol_store *s, int64_t row_id, const char *kind,
				   obol_err result, const json_t *reply)
{
	struct coupon_vstate *st = obol_vendor_scheme_state(v, "coupon");
	struct coupon_vendor_coin c;
	struct obol_stmt *q;
	bool row;
	obol_err e;
	if (strcmp(kind, "settle") != 0 || !st)
		return OBOL_OK;
	if (result != OBOL_OK) {
		obol_log_warn("coupon: the issuer refused settlement row %lld: %s", (long long)row_id,
			      obol_strerror(result));
		return obol_store_run(s, NULL, "UPDATE coupon_vcoins SET state = 3 WHERE outbox_row = ?", "i", row_id);
	}
	if ((e = obol_stmt_prepare(s, "SELECT coin_id, last_index, last_token FROM coupon_vcoins WHERE outbox_row = ?",
				   &q)) != OBOL_OK)
		return e;
	memset(&c, 0, sizeof(c));
	if ((e = obol_stmt_bindf(q, "i", row_id)) == OBOL_OK && (e = obol_stmt_step(q, &row)) == OBOL_OK) {
		size_t l1, l2;
		const void *id = row ? obol_stmt_column_blob(q, 0, &l1) : NULL;
		const void *tok = row ? obol_stmt_column_blob(q, 2, &l2) : NULL;
		if (!row || l1 != COUPON_ID_LEN || l2 != COUPON_ID_LEN) {
			e = OBOL_E_NOT_FOUND;
		} else {
			memcpy(c.coin_id, id, COUPON_ID_LEN);
			c.last_index = (uint64_t)obol_stmt_column_int64(q, 1);
			memcpy(c.last_token, tok, COUPON_ID_LEN);
		}
	}
	obol_stmt_finish(q);
	if (e != OBOL_OK)
		return e;
	struct coupon_settle_req req;
	struct coupon_settle_reply rep;
	struct coupon_spec spec;
	coupon_vendor_settle_req(&st->cfg, &c, false, &req);
	memset(&rep, 0, sizeof(rep));
	coupon_spec_settle_reply(&spec, &rep);
	if ((e = obol_json_decode(reply, &spec.fields)) != OBOL_OK ||
	    (e = coupon_vendor_check_settle_reply(&st->cfg, &req, &rep)) != OBOL_OK)
		return e;
	return obol_store_run(s, NULL, "UPDATE coupon_vcoins SET state = 2, credited_tokens = ? WHERE outbox_row = ?",
			      "ii", (int64_t)rep.credited_tokens, row_id);
}

OBOL_VENDOR_SCHEME(coupon_vendor_scheme, .name = "coupon", .type_min = COUPON_MSG_DL_MIN,
		   .type_max = COUPON_MSG_DL_MAX, .start = coupon_vendor_start_cb, .stop = coupon_vendor_stop_cb,
		   .open = coupon_session_open, .on_frame = coupon_session_frame, .close = coupon_session_close,
		   .outbox_done = coupon_outbox_done)
