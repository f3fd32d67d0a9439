/* The coupon scheme's registration in the vendor daemon: tables, state,
 * recovery after a crash, and the outbox's settle answers (coupon_vendor.h). */
#include "vendor/coupon_vendor.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "vendor/outbox.h"
#include "vendor/prune.h"
#include "vendor/vendor_files.h"
#include "wire/json.h"

static const struct obol_migration vcoin_steps[] = {
	{ .sqlite = "CREATE TABLE coupon_vcoins (coin_id BYTEA NOT NULL, lock_index BIGINT NOT NULL, "
		    "denom BIGINT NOT NULL, deadline BIGINT NOT NULL, last_index BIGINT NOT NULL, "
		    "last_token BYTEA NOT NULL, state BIGINT NOT NULL, outbox_row BIGINT, "
		    "credited_tokens BIGINT NOT NULL, created BIGINT NOT NULL, "
		    "PRIMARY KEY (coin_id, lock_index));"
		    "CREATE INDEX coupon_vcoins_state ON coupon_vcoins (state);"
		    "CREATE INDEX coupon_vcoins_row ON coupon_vcoins (outbox_row);" },
	/* 2: the lock a coin's settles name (NULL for coins locked before), its
	 * checkpoints, and the intents of locks not yet recorded. A coin OPEN
	 * at the upgrade checkpoints from its last token. */
	{ .sqlite = "ALTER TABLE coupon_vcoins ADD COLUMN lock_hash BYTEA;"
		    "ALTER TABLE coupon_vcoins ADD COLUMN checkpoint_index BIGINT;"
		    "ALTER TABLE coupon_vcoins ADD COLUMN checkpoint_at BIGINT;"
		    "UPDATE coupon_vcoins SET checkpoint_index = last_index, checkpoint_at = created;"
		    "CREATE TABLE coupon_vlocks (lock_hash BYTEA PRIMARY KEY, coin_id BYTEA NOT NULL, "
		    "denom BIGINT NOT NULL, deadline BIGINT NOT NULL, created BIGINT NOT NULL);" },
};

obol_err coupon_vendor_migrate(struct obol_store *s)
{
	obol_err e = obol_store_migrate(s, "coupon_vendor", vcoin_steps, OBOL_ARRAY_LEN(vcoin_steps));
	return e == OBOL_OK ? obol_vendor_prune_coupon_migrate(s) : e;
}

obol_err coupon_vcoin_insert(struct obol_store *s, const struct coupon_vendor_coin *c, int64_t deadline, int64_t now)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO coupon_vcoins (coin_id, lock_index, denom, deadline, last_index, last_token, "
			      "state, outbox_row, credited_tokens, created, lock_hash, checkpoint_index, checkpoint_at) "
			      "VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 0, ?, ?, ?, ?)",
			      "biiiibibii", c->coin_id, (size_t)COUPON_ID_LEN, (int64_t)c->lock_index, (int64_t)c->denom,
			      deadline, (int64_t)c->last_index, c->last_token, (size_t)COUPON_ID_LEN, now, c->lock,
			      (size_t)COUPON_ID_LEN, (int64_t)c->checkpoint_index, now);
}

obol_err coupon_vcoin_queue_checkpoint(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
				       const struct coupon_vendor_coin *c, int64_t now)
{
	struct coupon_settle_req req;
	struct coupon_spec spec;
	json_t *body = NULL;
	int64_t changes = 0;
	coupon_vendor_settle_req(cfg, c, true, &req);
	coupon_spec_settle_req(&spec, &req);
	obol_err e = obol_json_encode(&spec.fields, &body);
	if (e == OBOL_OK)
		e = obol_outbox_enqueue(s, "coupon", "checkpoint", "/coupon/settle", body, 0, NULL);
	if (e == OBOL_OK)
		e = obol_store_run(s, &changes,
				   "UPDATE coupon_vcoins SET checkpoint_index = ?, checkpoint_at = ? "
				   "WHERE coin_id = ? AND lock_index = ? AND state = 0",
				   "iibi", (int64_t)c->last_index, now, c->coin_id, (size_t)COUPON_ID_LEN,
				   (int64_t)c->lock_index);
	if (e == OBOL_OK && changes != 1)
		e = OBOL_E_INTERNAL;
	json_decref(body);
	return e;
}

obol_err coupon_vcoin_token(struct obol_store *s, const struct coupon_vendor_cfg *cfg, const struct coupon_vendor_coin *c,
			    int64_t now, bool checkpoint)
{
	int64_t changes = 0;
	obol_err e = obol_store_run(s, &changes,
				    "UPDATE coupon_vcoins SET last_index = ?, last_token = ? "
				    "WHERE coin_id = ? AND lock_index = ? AND state = 0 AND last_index > ?",
				    "ibbii", (int64_t)c->last_index, c->last_token, (size_t)COUPON_ID_LEN, c->coin_id,
				    (size_t)COUPON_ID_LEN, (int64_t)c->lock_index, (int64_t)c->last_index);
	if (e != OBOL_OK)
		return e;
	if (changes != 1)
		return OBOL_E_COUPON_SESSION_DEADLINE; /* settled at T - margin by the timer */
	return checkpoint ? coupon_vcoin_queue_checkpoint(s, cfg, c, now) : OBOL_OK;
}

obol_err coupon_vcoin_queue_settle(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
				   const struct coupon_vendor_coin *c, int64_t *row)
{
	struct coupon_settle_req req;
	struct coupon_spec spec;
	struct obol_stmt *st;
	json_t *body = NULL;
	int64_t changes = 0;
	bool found;
	obol_err e;
	/* queued before (by the timer, or an earlier call): that row */
	if ((e = obol_stmt_prepare(s, "SELECT outbox_row FROM coupon_vcoins WHERE coin_id = ? AND lock_index = ? "
				      "AND state <> 0",
				   &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "bi", c->coin_id, (size_t)COUPON_ID_LEN, (int64_t)c->lock_index)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &found)) == OBOL_OK && found)
		*row = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	if (e != OBOL_OK || found)
		return e;
	coupon_vendor_settle_req(cfg, c, false, &req);
	coupon_spec_settle_req(&spec, &req);
	if ((e = obol_json_encode(&spec.fields, &body)) == OBOL_OK)
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

obol_err coupon_vcoins_open(struct obol_store *s, const struct coupon_vendor_cfg *cfg, coupon_vcoin_pick pick,
			    int64_t now, struct coupon_vendor_coin *out, size_t cap, size_t *n)
{
	struct obol_stmt *st;
	bool row;
	obol_err e;
	*n = 0;
	if ((e = obol_stmt_prepare(s,
				   "SELECT coin_id, lock_index, denom, last_index, last_token, lock_hash, deadline, "
				   "checkpoint_index, checkpoint_at FROM coupon_vcoins WHERE state = 0 ORDER BY created",
				   &st)) != OBOL_OK)
		return e;
	while (*n < cap && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct coupon_vendor_coin *c = &out[*n];
		size_t l1, l2, l3 = 0;
		const void *id = obol_stmt_column_blob(st, 0, &l1);
		const void *tok = obol_stmt_column_blob(st, 4, &l2);
		const void *lock = obol_stmt_column_is_null(st, 5) ? NULL : obol_stmt_column_blob(st, 5, &l3);
		memset(c, 0, sizeof(*c));
		if (l1 != COUPON_ID_LEN || l2 != COUPON_ID_LEN || (lock && l3 != COUPON_ID_LEN)) {
			e = OBOL_E_STORE_QUERY;
			break;
		}
		memcpy(c->coin_id, id, COUPON_ID_LEN);
		c->lock_index = (uint64_t)obol_stmt_column_int64(st, 1);
		c->denom = (uint32_t)obol_stmt_column_int64(st, 2);
		c->last_index = (uint64_t)obol_stmt_column_int64(st, 3);
		memcpy(c->last_token, tok, COUPON_ID_LEN);
		if (lock) {
			memcpy(c->lock, lock, COUPON_ID_LEN);
			c->has_lock = true;
		}
		if (pick(cfg, obol_stmt_column_int64(st, 6), (uint64_t)obol_stmt_column_int64(st, 7),
			 obol_stmt_column_int64(st, 8), c, now))
			(*n)++;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err coupon_vlock_add(struct obol_store *s, const struct coupon_vlock *l)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO coupon_vlocks (lock_hash, coin_id, denom, deadline, created) "
			      "VALUES (?, ?, ?, ?, ?)",
			      "bbiii", l->lock, (size_t)COUPON_ID_LEN, l->coin_id, (size_t)COUPON_ID_LEN, (int64_t)l->denom,
			      l->deadline, l->created);
}

obol_err coupon_vlock_del(struct obol_store *s, const uint8_t lock[static COUPON_ID_LEN])
{
	return obol_store_run(s, NULL, "DELETE FROM coupon_vlocks WHERE lock_hash = ?", "b", lock,
			      (size_t)COUPON_ID_LEN);
}

obol_err coupon_vlock_postpone(struct obol_store *s, const uint8_t lock[static COUPON_ID_LEN], int64_t until)
{
	return obol_store_run(s, NULL, "UPDATE coupon_vlocks SET created = ? WHERE lock_hash = ?", "ib", until, lock,
			      (size_t)COUPON_ID_LEN);
}

obol_err coupon_vlocks_older(struct obol_store *s, int64_t before, struct coupon_vlock *out, size_t cap, size_t *n)
{
	struct obol_stmt *st;
	bool row;
	obol_err e;
	*n = 0;
	if ((e = obol_stmt_prepare(s,
				   "SELECT lock_hash, coin_id, denom, deadline, created FROM coupon_vlocks "
				   "WHERE created < ? ORDER BY created",
				   &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "i", before)) != OBOL_OK)
		goto out;
	while (*n < cap && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct coupon_vlock *l = &out[*n];
		size_t l1, l2;
		const void *lock = obol_stmt_column_blob(st, 0, &l1);
		const void *id = obol_stmt_column_blob(st, 1, &l2);
		if (l1 != COUPON_ID_LEN || l2 != COUPON_ID_LEN) {
			e = OBOL_E_STORE_QUERY;
			break;
		}
		memcpy(l->lock, lock, COUPON_ID_LEN);
		memcpy(l->coin_id, id, COUPON_ID_LEN);
		l->denom = (uint32_t)obol_stmt_column_int64(st, 2);
		l->deadline = obol_stmt_column_int64(st, 3);
		l->created = obol_stmt_column_int64(st, 4);
		(*n)++;
	}
out:
	obol_stmt_finish(st);
	return e;
}

/* Every coin left OPEN by a crash is settled at its last durable token. */
static bool pick_all(const struct coupon_vendor_cfg *cfg, int64_t deadline, uint64_t cp_index, int64_t cp_at,
		     const struct coupon_vendor_coin *c, int64_t now)
{
	(void)cfg, (void)deadline, (void)cp_index, (void)cp_at, (void)c, (void)now;
	return true;
}

static obol_err recover_open(struct obol_store *s, const struct coupon_vendor_cfg *cfg, int *n)
{
	struct coupon_vendor_coin open[64];
	size_t k;
	obol_err e;
	*n = 0;
	do {
		if ((e = coupon_vcoins_open(s, cfg, pick_all, 0, open, 64, &k)) != OBOL_OK)
			return e;
		for (size_t i = 0; i < k && e == OBOL_OK; i++) {
			int64_t r;
			e = coupon_vcoin_queue_settle(s, cfg, &open[i], &r);
		}
		*n += (int)k;
	} while (e == OBOL_OK && k == 64);
	return e;
}

/* A count from the environment, or the default. */
static obol_err env_count(const char *name, uint64_t max, uint64_t dflt, uint64_t *out)
{
	const char *v = getenv(name);
	*out = dflt;
	if (v && obol_parse_u64(v, 0, max, out) != OBOL_OK) {
		obol_log_error("coupon: %s takes 0..%llu", name, (unsigned long long)max);
		return OBOL_E_INVALID_ARGUMENT;
	}
	return OBOL_OK;
}

void coupon_vstate_cfg(struct coupon_vstate *st, struct coupon_vendor_cfg *cfg, uint8_t cert[OBOL_VENDOR_CERT_MAX])
{
	pthread_mutex_lock(&st->cert_mu);
	*cfg = st->cfg;
	memcpy(cert, st->cert, st->cfg.cert_len);
	pthread_mutex_unlock(&st->cert_mu);
	cfg->cert = cert;
}

obol_err coupon_vendor_keys_refresh(struct obol_vendor *v, struct coupon_vstate *st, size_t *added)
{
	struct coupon_keys *k = calloc(1, sizeof *k);
	json_t *keys = NULL;
	size_t n = 0;
	if (added)
		*added = 0;
	if (!k)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_vendor_issuer_keys(v, true, &keys);
	if (e == OBOL_OK)
		e = coupon_keys_parse(json_object_get(keys, "coupon"), k);
	json_decref(keys);
	if (e != OBOL_OK) {
		free(k);
		return e;
	}
	/* only the timer thread appends: the entries below have is final */
	size_t have = st->keys.ndenoms;
	for (size_t i = 0; i < k->ndenoms; i++) {
		bool held = false;
		for (size_t j = 0; j < have && !held; j++)
			held = st->keys.denoms[j].id == k->denoms[i].id;
		if (held || have == COUPON_KEYS_DENOMS_MAX)
			continue;
		st->keys.denoms[have++] = k->denoms[i];
		k->denoms[i].key = NULL;
		n++;
	}
	coupon_keys_free(k);
	free(k);
	if (n > 0) {
		pthread_mutex_lock(&st->cert_mu);
		st->keys.ndenoms = have;
		st->cfg.ndenoms = have;
		pthread_mutex_unlock(&st->cert_mu);
		obol_log_info("coupon: %zu new key(s) from the issuer accepted", n);
	}
	if (added)
		*added = n;
	return OBOL_OK;
}

/* The vendor's certificate was renewed: new sessions offer the new C. A
 * coin locked under the old one settles with the C its session or row
 * carries; the issuer takes either (coupon_lock_holder). */
static void coupon_vendor_cert_renewed(struct obol_vendor *v, void *state)
{
	struct coupon_vstate *st = state;
	struct obol_vendor_cert cur = obol_vendor_cert(v);
	uint8_t buf[OBOL_VENDOR_CERT_MAX];
	size_t len;
	if (st == NULL || obol_vendor_cert_encode(&cur, buf, sizeof buf, &len) != OBOL_OK) {
		obol_log_error("coupon: cannot encode the renewed certificate; offers keep the old one");
		return;
	}
	pthread_mutex_lock(&st->cert_mu);
	memcpy(st->cert, buf, len);
	st->cfg.cert_len = len;
	obol_sha256(st->cfg.cert_hash, st->cert, len);
	pthread_mutex_unlock(&st->cert_mu);
}

static obol_err coupon_vendor_start_cb(struct obol_vendor *v, struct obol_store *s, void **state)
{
	struct coupon_vstate *st = calloc(1, sizeof(*st));
	struct obol_vendor_cert cur = obol_vendor_cert(v);
	json_t *keys = NULL;
	char path[PATH_MAX];
	uint64_t cp_tokens, cp_s;
	size_t len;
	int recovered = 0;
	obol_err e = OBOL_E_NO_MEMORY;
	if (!st)
		return e;
	pthread_mutex_init(&st->cert_mu, NULL);
	if ((e = coupon_vendor_migrate(s)) != OBOL_OK ||
	    (e = obol_vendor_issuer_keys(v, false, &keys)) != OBOL_OK ||
	    (e = coupon_keys_parse(json_object_get(keys, "coupon"), &st->keys)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(&cur, st->cert, sizeof(st->cert), &len)) != OBOL_OK ||
	    (e = env_count(COUPON_CHECKPOINT_TOKENS_ENV, COUPON_VENDOR_ASK_MAX, COUPON_VENDOR_CHECKPOINT_TOKENS,
			   &cp_tokens)) != OBOL_OK ||
	    (e = env_count(COUPON_CHECKPOINT_SECONDS_ENV, 86400, COUPON_VENDOR_CHECKPOINT_S, &cp_s)) != OBOL_OK ||
	    (e = obol_vendor_file_path(obol_vendor_dir(v), "vendor.db", path)) != OBOL_OK)
		goto out;
	snprintf(st->db_url, sizeof(st->db_url), "sqlite:%s", path);
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
	cfg->checkpoint_tokens = cp_tokens;
	cfg->checkpoint_s = (int64_t)cp_s;
	st->started = obol_now();
	if ((e = obol_store_begin(s)) != OBOL_OK)
		goto out;
	if ((e = recover_open(s, cfg, &recovered)) != OBOL_OK || (e = obol_store_commit(s)) != OBOL_OK) {
		obol_store_rollback(s);
		goto out;
	}
	if (recovered > 0)
		obol_log_info("coupon: %d coin(s) left open by the last run are queued for settlement", recovered);
	/* in process the simulator runs the timer's passes (coupon_vendor_tick) */
	if (!obol_vendor_in_process(v))
		e = coupon_timer_start(v, st);
out:
	json_decref(keys);
	if (e != OBOL_OK) {
		coupon_keys_free(&st->keys);
		pthread_mutex_destroy(&st->cert_mu);
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
	coupon_timer_stop(st);
	coupon_keys_free(&st->keys);
	pthread_mutex_destroy(&st->cert_mu);
	free(st);
}

/* The settle (or checkpoint) answer for an outbox row: checked against the
 * request the row sent, and recorded with the coin. */
static obol_err coupon_outbox_done(struct obol_vendor *v, struct obol_store *s, int64_t row_id, const char *kind,
				   obol_err result, const json_t *reply)
{
	struct coupon_vstate *st = obol_vendor_scheme_state(v, "coupon");
	bool final = strcmp(kind, "settle") == 0;
	struct obol_outbox_row row;
	struct coupon_settle_req req;
	struct coupon_settle_reply rep;
	struct coupon_spec spec;
	json_t *body = NULL;
	obol_err e;
	if ((!final && strcmp(kind, "checkpoint") != 0) || !st)
		return OBOL_OK;
	if (result == OBOL_E_COUPON_SETTLE_SPAN) {
		/* an earlier checkpoint of the coin has not landed yet (a
		 * transient failure let this row pass it): keep the row, it is
		 * sent again at the next pass */
		obol_log_warn("coupon: settlement row %lld waits for an earlier checkpoint", (long long)row_id);
		return result;
	}
	if (result != OBOL_OK) {
		obol_log_warn("coupon: the issuer refused %s row %lld: %s", kind, (long long)row_id, obol_strerror(result));
		return final ? obol_store_run(s, NULL, "UPDATE coupon_vcoins SET state = 3 WHERE outbox_row = ?", "i", row_id)
			     : OBOL_OK;
	}
	memset(&row, 0, sizeof(row));
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	if ((e = obol_outbox_get(s, row_id, &row)) != OBOL_OK)
		return e;
	json_error_t jerr;
	body = json_loads(row.body, JSON_REJECT_DUPLICATES, &jerr);
	coupon_spec_settle_req(&spec, &req);
	e = body ? obol_json_decode(body, &spec.fields) : OBOL_E_WIRE_MALFORMED;
	json_decref(body);
	obol_outbox_row_free(&row);
	if (e != OBOL_OK)
		return e;
	coupon_spec_settle_reply(&spec, &rep);
	if ((e = obol_json_decode(reply, &spec.fields)) != OBOL_OK ||
	    (e = coupon_vendor_check_settle_reply(&st->cfg, &req, &rep)) != OBOL_OK)
		return e;
	if (final)
		return obol_store_run(s, NULL,
				      "UPDATE coupon_vcoins SET state = 2, credited_tokens = credited_tokens + ? "
				      "WHERE outbox_row = ?",
				      "ii", (int64_t)rep.credited_tokens, row_id);
	return obol_store_run(s, NULL,
			      "UPDATE coupon_vcoins SET credited_tokens = credited_tokens + ? "
			      "WHERE coin_id = ? AND lock_hash = ?",
			      "ibb", (int64_t)rep.credited_tokens, req.coin_id, (size_t)COUPON_ID_LEN, req.lock,
			      (size_t)COUPON_ID_LEN);
}

/* A vendor run in process: the timer's pass, on the caller's thread. */
static void coupon_vendor_tick(struct obol_vendor *v, void *state)
{
	obol_err e = coupon_timer_pass(v, state, NULL, obol_now());
	if (e != OBOL_OK && e != OBOL_E_NETWORK)
		obol_log_warn("coupon: the settlement timer: %s", obol_strerror(e));
}

OBOL_VENDOR_SCHEME(coupon_vendor_scheme, .name = "coupon", .type_min = COUPON_MSG_DL_MIN,
		   .type_max = COUPON_MSG_DL_MAX, .start = coupon_vendor_start_cb, .stop = coupon_vendor_stop_cb,
		   .open = coupon_session_open, .on_frame = coupon_session_frame, .close = coupon_session_close,
		   .expired = coupon_session_expired, .outbox_done = coupon_outbox_done, .tick = coupon_vendor_tick,
		   .cert_renewed = coupon_vendor_cert_renewed)
