/* The issuer's bytes per operation (bench_lists_bytes.h). Each operation
 * runs n times through the real issuer daemon code and the wallet library
 * that a real wallet uses; the database's used pages are read before and
 * after (SQLite: page_count - freelist_count, times page_size, through a
 * connection of its own, which sees the WAL), and so is the payload of its
 * tables (dbstat), i.e. what a SELECT of the rows added returns.
 *
 * Measured: coupon withdraw, payword buy, ecash top-up (of one coin). The
 * others of the list (coupon lock and settle, ecash deposit,
 * payword report, codex open, sync and payment) need a vendor and a device
 * link each and are not measured here yet (docs/operations.md gives their
 * sizes from the e2e databases).
 *
 * The wallet is a file in the temporary directory. A payword purchase costs
 * an Argon2id password check at the agent, so fewer of them are run: their
 * figure is good to a page (4096 bytes) over n. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench_lists_bytes.h"
#include "core/amount.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/rsa.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "schemes/common/keys_doc.h"
#include "schemes/coupon/keys.h"
#include "schemes/coupon/wallet.h"
#include "store/ledger.h"
#include "wallet/coupon_wallet.h"
#include "wallet/ecash_wallet.h"
#include "wallet/file.h"
#include "wallet/payword.h"

struct size {
	double used;    /* bytes of the pages in use */
	double payload; /* bytes of the tables' rows */
};

/* The database at path as it is now (a fresh connection: it sees every
 * commit, in the WAL or not). payload is -1 when SQLite has no dbstat. */
static obol_err size_of(const char *path, struct size *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	obol_err e = OBOL_E_STORE_OPEN;
	out->used = out->payload = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM"
			       " pragma_freelist_count), (SELECT page_size FROM pragma_page_size)",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	out->used = (double)sqlite3_column_int64(st, 0) * (double)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	e = OBOL_OK;
	if (sqlite3_prepare_v2(db,
			       "SELECT COALESCE(SUM(payload), 0) FROM dbstat WHERE name IN"
			       " (SELECT name FROM sqlite_schema WHERE type = 'table')",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		out->payload = (double)sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return e;
}

/* The rows of every table, "name=rows" for the tables whose count changed
 * since before (NULL: just fill counts). */
struct counts {
	char name[32][48];
	int64_t rows[32];
	size_t n;
};

static obol_err counts_of(const char *path, struct counts *c)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	obol_err e = OBOL_E_STORE_OPEN;
	memset(c, 0, sizeof(*c));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW && c->n < OBOL_ARRAY_LEN(c->name))
		snprintf(c->name[c->n++], sizeof(c->name[0]), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < c->n; i++) {
		char q[96];
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM \"%s\"", c->name[i]);
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			goto out;
		c->rows[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	e = OBOL_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return e;
}

static void grown(const struct counts *before, const struct counts *after, size_t n, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < after->n; i++) {
		int64_t was = 0;
		for (size_t j = 0; j < before->n; j++)
			if (strcmp(before->name[j], after->name[i]) == 0)
				was = before->rows[j];
		if (after->rows[i] == was)
			continue;
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "%s%s %.3g", len ? ", " : "", after->name[i],
			 (double)(after->rows[i] - was) / (double)n);
	}
}

/* One issuer, its user and its keys, for every operation. */
struct world {
	char dir[64], path[96], url[112], wpath[96];
	struct obol_issuer *iss;
	struct obol_http_client *user;
	struct coupon_keys coupon;
	bool has_coupon;
	struct obol_wallet *w;
	struct ecash_wallet ew;
	bool has_ecash;
	FILE *devnull; /* what the wallet library prints */
};

#define PAYWORD_PASSWORD "bench bytes password"

struct fund {
	const uint8_t *pk;
	int64_t id;
};

static obol_err make_user(struct obol_store *s, void *ctx)
{
	struct fund *f = ctx;
	struct obol_amount a;
	obol_err e = obol_account_create(s, OBOL_ACCOUNT_USER, "bench-bytes", f->pk, &f->id);
	if (e == OBOL_OK)
		e = obol_amount_parse("EUR:1000000", &a);
	return e == OBOL_OK ? obol_ledger_fund(s, f->id, &a, "bench") : e;
}

static obol_err world_up(struct world *w)
{
	struct obol_init_arg args[] = { { "coupon-denom", "EUR:1,100" } };
	struct obol_sign_keypair kp;
	struct obol_store *s = NULL;
	struct fund f = { .pk = NULL };
	char base[64], *body = NULL;
	size_t len = 0;
	long status = 0;
	json_t *keys = NULL;
	FILE *devnull = w->devnull = fopen("/dev/null", "w");
	obol_err e = OBOL_E_IO;
	snprintf(w->dir, sizeof(w->dir), "/tmp/obol-bench-bytes-XXXXXX");
	if (devnull == NULL || mkdtemp(w->dir) == NULL)
		goto out;
	snprintf(w->path, sizeof(w->path), "%s/issuer.db", w->dir);
	snprintf(w->url, sizeof(w->url), "sqlite:%s", w->path);
	if ((e = obol_issuer_init_db(w->url, "EUR", args, OBOL_ARRAY_LEN(args), devnull)) != OBOL_OK)
		goto out;
	obol_sign_keypair_new(&kp);
	f.pk = kp.pk;
	if ((e = obol_store_open(w->url, false, &s)) != OBOL_OK || (e = obol_ledger_attach(s)) != OBOL_OK ||
	    (e = obol_store_transact(s, make_user, &f)) != OBOL_OK)
		goto out;
	obol_store_close(s);
	s = NULL;
	struct obol_issuer_config cfg = { .db_url = w->url, .listen = "127.0.0.1:0", .threads = 2 };
	if ((e = obol_issuer_start(&cfg, &w->iss)) != OBOL_OK)
		goto out;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", obol_issuer_port(w->iss));
	if ((e = obol_http_client_new(base, 30000, &w->user)) != OBOL_OK)
		goto out;
	obol_http_client_set_account(w->user, f.id, kp.sk);
	if ((e = obol_http_request(w->user, "GET", "/keys", NULL, 0, 0, &status, &body, &len)) != OBOL_OK ||
	    (e = obol_keys_doc_verify(body, len, NULL, &keys, NULL, NULL, NULL)) != OBOL_OK ||
	    (e = coupon_keys_parse(json_object_get(keys, "coupon"), &w->coupon)) != OBOL_OK)
		goto out;
	w->has_coupon = true;
	uint8_t master_pk[OBOL_SIGN_PK_LEN], box_pk[OBOL_BOX_PK_LEN];
	char currency[OBOL_CURRENCY_MAX + 1];
	int64_t pw_account = 0;
	json_decref(keys);
	keys = NULL;
	snprintf(w->wpath, sizeof(w->wpath), "%s/wallet", w->dir);
	struct obol_wallet_keysrc ks = { 0 };
	if ((e = obol_keys_doc_verify(body, len, NULL, &keys, master_pk, box_pk, currency)) != OBOL_OK ||
	    (e = obol_wallet_create(w->wpath, &ks, &w->w)) != OBOL_OK ||
	    (e = obol_wallet_set_issuer(w->w, base, master_pk, box_pk, currency)) != OBOL_OK ||
	    (e = obol_wallet_set_account(w->w, f.id, "bench-bytes", kp.sk)) != OBOL_OK ||
	    (e = obol_wallet_save(w->w)) != OBOL_OK ||
	    (e = payword_wallet_register(w->w, "bench-bytes", PAYWORD_PASSWORD, &pw_account)) != OBOL_OK ||
	    (e = ecash_wallet_load(w->w, &w->ew)) != OBOL_OK)
		goto out;
	w->has_ecash = true;
	e = ecash_wallet_register(&w->ew, OBOL_RSA_DEFAULT_BITS, devnull);
out:
	OBOL_WIPE(kp);
	json_decref(keys);
	free(body);
	obol_store_close(s);
	return e;
}

static void world_down(struct world *w)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	obol_http_client_free(w->user);
	if (w->iss != NULL)
		obol_issuer_stop(w->iss);
	if (w->has_coupon)
		coupon_keys_free(&w->coupon);
	if (w->has_ecash)
		ecash_wallet_free(&w->ew);
	obol_wallet_close(w->w);
	if (w->wpath[0] != '\0') {
		char f[128];
		unlink(w->wpath);
		snprintf(f, sizeof(f), "%s.lock", w->wpath);
		unlink(f);
	}
	for (size_t i = 0; w->path[0] != '\0' && i < OBOL_ARRAY_LEN(suffix); i++) {
		char f[128];
		snprintf(f, sizeof(f), "%s%s", w->path, suffix[i]);
		unlink(f);
	}
	if (w->dir[0] != '\0')
		rmdir(w->dir);
	if (w->devnull != NULL)
		fclose(w->devnull);
}

/* ---- the operations: each runs once ---- */

static obol_err coupon_withdraw(struct world *w)
{
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_wallet_coin coin;
	uint8_t raw[16];
	char rid[32];
	bool definite = false;
	obol_random(raw, sizeof(raw));
	obol_err e = obol_b64_encode(raw, sizeof(raw), rid, sizeof(rid));
	if (e == OBOL_OK)
		e = coupon_wallet_withdraw_prepare(&w->coupon.denoms[0], obol_now(), &p, &req);
	if (e == OBOL_OK)
		e = coupon_withdraw_exchange(w->user, &w->coupon.denoms[0], rid, &req, &p, &coin, &definite);
	OBOL_WIPE(coin);
	OBOL_WIPE(p);
	return e;
}

static obol_err payword_buy(struct world *w)
{
	struct payword_buy_outcome o;
	return payword_wallet_buy_tokens(w->w, PAYWORD_PASSWORD, 0, 10, false, &o);
}

static obol_err ecash_topup(struct world *w)
{
	struct obol_amount v;
	obol_err e = obol_amount_parse("EUR:1", &v);
	return e == OBOL_OK ? ecash_wallet_topup(&w->ew, &v, 1, w->devnull) : e;
}

struct op {
	const char *name;
	obol_err (*run)(struct world *w);
	size_t n, quick_n; /* runs */
};

static const struct op ops[] = {
	{ "coupon withdraw", coupon_withdraw, 1000, 200 },
	{ "payword buy", payword_buy, 100, 25 },
	{ "ecash top-up", ecash_topup, 1000, 200 },
};

/* n runs of op, the database read before and after. */
static obol_err measure(struct world *w, const struct op *op, size_t n, struct bench_bytes_figure *f)
{
	struct size a, b;
	struct counts ca, cb;
	obol_err e;
	if ((e = size_of(w->path, &a)) != OBOL_OK || (e = counts_of(w->path, &ca)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < n; i++)
		if ((e = op->run(w)) != OBOL_OK)
			return e;
	if ((e = size_of(w->path, &b)) != OBOL_OK || (e = counts_of(w->path, &cb)) != OBOL_OK)
		return e;
	f->op = op->name;
	f->n = n;
	f->db_per_op = (b.used - a.used) / (double)n;
	f->raw_per_op = a.payload < 0 || b.payload < 0 ? -1 : (b.payload - a.payload) / (double)n;
	grown(&ca, &cb, n, f->tables, sizeof(f->tables));
	return OBOL_OK;
}

obol_err bench_lists_bytes_run(bool quick, struct bench_bytes *out)
{
	struct world w;
	obol_err e;
	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	if (setenv("OBOL_PASSPHRASE", "bench bytes", 1) != 0) /* the bench's own wallet file */
		return OBOL_E_INTERNAL;
	if ((e = world_up(&w)) == OBOL_OK)
		for (size_t i = 0; i < OBOL_ARRAY_LEN(ops) && e == OBOL_OK; i++)
			if ((e = measure(&w, &ops[i], quick ? ops[i].quick_n : ops[i].n, &out->f[out->n])) == OBOL_OK)
				out->n++;
	world_down(&w);
	return e;
}

void bench_lists_bytes_print(FILE *out, const struct bench_bytes *b)
{
	fprintf(out, "\nissuer database bytes per operation (SQLite)\n");
	fprintf(out, "%-20s %6s %12s %12s %7s  %s\n", "operation", "n", "db bytes/op", "raw bytes/op", "ratio",
		"rows added per operation");
	for (size_t i = 0; i < b->n; i++) {
		const struct bench_bytes_figure *f = &b->f[i];
		fprintf(out, "%-20s %6zu %12.0f %12.0f %7.2f  %s\n", f->op, f->n, f->db_per_op, f->raw_per_op,
			f->raw_per_op > 0 ? f->db_per_op / f->raw_per_op : 0.0, f->tables);
	}
}

void bench_lists_bytes_print_json(FILE *out, const struct bench_bytes *b)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < b->n; i++) {
		const struct bench_bytes_figure *f = &b->f[i];
		json_array_append_new(a, json_pack("{s:s, s:I, s:f, s:f, s:s}", "op", f->op, "n", (json_int_t)f->n,
						   "db_bytes_per_op", f->db_per_op, "raw_bytes_per_op", f->raw_per_op,
						   "rows_per_op", f->tables));
	}
	char *text = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
	fputs(text != NULL ? text : "[]", out);
	free(text);
	json_decref(a);
}
