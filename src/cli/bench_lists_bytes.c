/* The issuer's bytes per operation (bench_lists_bytes.h). Each operation
 * runs n times through the real issuer daemon code and the wallet library
 * that a real wallet uses; the database's used pages are read before and
 * after (SQLite: page_count - freelist_count, times page_size, through a
 * connection of its own, which sees the WAL), and so is the payload of its
 * tables (dbstat), i.e. what a SELECT of the rows added returns.
 *
 * Measured: coupon withdraw, payword buy, ecash top-up (of one coin), ecash
 * deposit (of one coin: fresh coins withdrawn to our own account, the
 * wallet's "deposit --fresh", through POST /ecash/deposit as a merchant's
 * deposit; the top-up of the coin before each is outside the measure), and
 * coupon payment (a lock and its settle: one unit paid with a fresh coin to
 * the vendor daemon's code started in this process, over a real device link
 * on loopback, with its own store in the temporary directory; the coin's
 * withdrawal is outside the measure), codex open (a new funded account
 * for each, made outside the measure) and codex payment (a payment to
 * that vendor, offline for the bank, the vendor's deposit of its token and
 * the payer's sync that reports it). Not measured here yet: payword report
 * (docs/operations.md gives its size from the e2e databases).
 *
 * The wallet is a file in the temporary directory. A payword purchase costs
 * an Argon2id password check at the agent (seconds each on a loaded
 * machine), so fewer of them are run (10 with --quick): their db figure is
 * good to a page (4096 bytes) over n; the raw figure is exact. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
#include "issuer/vendors.h"
#include "net/devlink.h"
#include "schemes/codex/codex.h"
#include "vendor/outbox.h"
#include "vendor/vendor.h"
#include "wallet/codex_wallet.h"
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
	/* the vendor, for the coupon payment: in process, on loopback */
	json_t *keys_doc;
	uint8_t master_pk[OBOL_SIGN_PK_LEN];
	char vdir[80], vaddr[32];
	struct obol_sign_keypair vsign;
	struct obol_box_keypair vbox;
	struct obol_vendor *v;
	struct coupon_wallet_store ws;
	bool has_ws;
	/* codex: a wallet of its own, its account changed before each open */
	char cwpath[96];
	struct obol_wallet *cw;
	struct codex *cx;
	size_t ncodex; /* accounts made for it */
	FILE *devnull; /* what the wallet library prints */
};

#define PAYWORD_PASSWORD "bench bytes password"

struct fund {
	const uint8_t *pk;
	const char *name;
	int64_t id;
};

static obol_err make_user(struct obol_store *s, void *ctx)
{
	struct fund *f = ctx;
	struct obol_amount a;
	obol_err e = obol_account_create(s, OBOL_ACCOUNT_USER, f->name, f->pk, &f->id);
	if (e == OBOL_OK)
		e = obol_amount_parse("EUR:1000000", &a);
	return e == OBOL_OK ? obol_ledger_fund(s, f->id, &a, "bench") : e;
}

static obol_err world_up(struct world *w)
{
	struct obol_init_arg args[] = { { "coupon-denom", "EUR:1,100" } };
	struct obol_sign_keypair kp;
	struct obol_store *s = NULL;
	struct fund f = { .pk = NULL, .name = "bench-bytes" };
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
	    (e = coupon_wstore_init(&w->ws, keys)) != OBOL_OK)
		goto out;
	w->has_ws = true;
	memcpy(w->master_pk, master_pk, sizeof(master_pk));
	if ((e = obol_wallet_create(w->wpath, &ks, &w->w)) != OBOL_OK ||
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
	obol_vendor_stop(w->v);
	if (w->has_ws)
		coupon_wstore_free(&w->ws);
	OBOL_WIPE(w->vsign);
	OBOL_WIPE(w->vbox);
	if (w->vdir[0] != '\0') {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", w->vdir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench lists: %s is left behind\n", w->vdir);
	}
	obol_http_client_free(w->user);
	if (w->iss != NULL)
		obol_issuer_stop(w->iss);
	if (w->has_coupon)
		coupon_keys_free(&w->coupon);
	if (w->has_ecash)
		ecash_wallet_free(&w->ew);
	obol_wallet_close(w->w);
	codex_free(w->cx);
	obol_wallet_close(w->cw);
	const char *wallets[] = { w->wpath, w->cwpath };
	for (size_t i = 0; i < OBOL_ARRAY_LEN(wallets); i++)
		if (wallets[i][0] != '\0') {
			char f[128];
			unlink(wallets[i]);
			snprintf(f, sizeof(f), "%s.lock", wallets[i]);
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

static obol_err withdraw_coin(struct world *w, struct coupon_wallet_coin *coin)
{
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	uint8_t raw[16];
	char rid[32];
	bool definite = false;
	obol_random(raw, sizeof(raw));
	obol_err e = obol_b64_encode(raw, sizeof(raw), rid, sizeof(rid));
	if (e == OBOL_OK)
		e = coupon_wallet_withdraw_prepare(&w->coupon.denoms[0], obol_now(), &p, &req);
	if (e == OBOL_OK)
		e = coupon_withdraw_exchange(w->user, &w->coupon.denoms[0], rid, &req, &p, coin, &definite);
	OBOL_WIPE(p);
	return e;
}

static obol_err coupon_withdraw(struct world *w)
{
	struct coupon_wallet_coin coin;
	obol_err e = withdraw_coin(w, &coin);
	OBOL_WIPE(coin);
	return e;
}

static obol_err add_vendor(struct obol_store *s, void *ctx)
{
	struct world *w = ctx;
	struct obol_vendor_cert cert;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(w->iss, obol_now(), &sg);
	return e != OBOL_OK ? e
			    : obol_issuer_vendor_add(s, &sg, "bench-kiosk", w->vsign.pk, w->vbox.pk, 10, obol_now(),
						     &cert);
}

/* The vendor daemon's code in this process (its device link on loopback,
 * its outbox thread, its own store in the temporary directory), certified
 * by the issuer. */
static obol_err vendor_up(struct world *w)
{
	char url[48];
	obol_err e;
	snprintf(w->vdir, sizeof(w->vdir), "%s/vendor", w->dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", obol_issuer_port(w->iss));
	struct obol_vendor_config vcfg = { .dir = w->vdir, .listen = "127.0.0.1:0", .issuer_url = url,
					   .price = "EUR:0.01", .outbox_interval_ms = 50 };
	if ((e = obol_vendor_keys_create(w->vdir, &w->vsign, &w->vbox)) != OBOL_OK ||
	    (e = obol_issuer_run(w->iss, add_vendor, w)) != OBOL_OK ||
	    (e = obol_vendor_start(&vcfg, &w->v)) != OBOL_OK)
		return e;
	snprintf(w->vaddr, sizeof(w->vaddr), "127.0.0.1:%u", obol_vendor_port(w->v));
	return OBOL_OK;
}

/* coupon payment: before each run, a fresh coin is withdrawn (outside the
 * measure) and is the wallet's only one; the run pays one unit with it,
 * which locks it at the issuer and settles it (the vendor settles before
 * its receipt when the issuer answers at once, else through its outbox:
 * the run waits for that). */
static obol_err coupon_one_coin(struct world *w)
{
	struct coupon_wallet_coin coin;
	obol_err e = w->v == NULL ? vendor_up(w) : OBOL_OK;
	for (size_t i = 0; i < w->ws.ncoins; i++)
		OBOL_WIPE(w->ws.coins[i]);
	w->ws.ncoins = 0;
	if (e == OBOL_OK && (e = withdraw_coin(w, &coin)) == OBOL_OK)
		e = coupon_wstore_add(&w->ws, &coin);
	OBOL_WIPE(coin);
	return e;
}

static obol_err coupon_pay(struct world *w)
{
	struct obol_devlink *dl = NULL;
	struct coupon_wallet_order order = { .units = 1, .ahead = 1 };
	struct coupon_pay_result res;
	obol_err e = obol_devlink_connect_vendor(w->vaddr, 5000, w->master_pk, &dl);
	if (e == OBOL_OK)
		e = coupon_pay_session(dl, &w->ws, &order, NULL, NULL, NULL, &res);
	obol_devlink_close(dl);
	if (e == OBOL_OK && (res.coins != 1 || res.units != 1))
		e = OBOL_E_INTERNAL;
	if (e == OBOL_OK && !res.settled)
		e = OBOL_E_INTERNAL; /* measured only when settled in the session */
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

/* ecash deposit: before each run, what the wallet holds is deposited
 * (fresh coins withdrawn to our own account, ECASH_COINS_MAX a request)
 * and one coin is topped up, outside the measure; the run deposits that
 * one coin, one request. */
static obol_err ecash_one_coin(struct world *w)
{
	struct ecash_deposit_opts o = { .fresh = true };
	obol_err e = OBOL_OK;
	while (e == OBOL_OK && w->ew.ncoins > 0)
		e = ecash_wallet_deposit(&w->ew, &o, w->devnull);
	return e == OBOL_OK ? ecash_topup(w) : e;
}

static obol_err ecash_deposit(struct world *w)
{
	struct ecash_deposit_opts o = { .fresh = true };
	obol_err e = w->ew.ncoins == 1 ? OBOL_OK : OBOL_E_INTERNAL;
	return e == OBOL_OK ? ecash_wallet_deposit(&w->ew, &o, w->devnull) : e;
}

/* codex open: before each run, a new funded account (outside the
 * measure), set as the codex wallet's account, its Codex section emptied
 * (one Codex per account); the run opens a Codex of EUR 10 with a safe
 * deposit of EUR 2 (POST /codex/open, and the blacklist the wallet fetches
 * after it). The last one opened stays for the codex payments. */
static obol_err codex_account(struct world *w)
{
	struct obol_sign_keypair kp;
	char name[32];
	struct fund f = { .name = name };
	obol_err e = OBOL_OK;
	json_t *sec;
	if (w->cw == NULL) {
		const char *url;
		uint8_t master[32], box[32];
		char currency[16];
		struct obol_wallet_keysrc ks = { 0 };
		snprintf(w->cwpath, sizeof(w->cwpath), "%s/codex-wallet", w->dir);
		if ((e = obol_wallet_issuer(w->w, &url, master, box, currency)) != OBOL_OK ||
		    (e = obol_wallet_create(w->cwpath, &ks, &w->cw)) != OBOL_OK ||
		    (e = obol_wallet_set_issuer(w->cw, url, master, box, currency)) != OBOL_OK)
			return e;
	}
	obol_sign_keypair_new(&kp);
	f.pk = kp.pk;
	snprintf(name, sizeof(name), "bench-codex-%zu", w->ncodex++);
	if ((e = obol_issuer_run(w->iss, make_user, &f)) != OBOL_OK ||
	    (e = obol_wallet_set_account(w->cw, f.id, name, kp.sk)) != OBOL_OK)
		goto out;
	if ((sec = obol_wallet_section(w->cw, "codex")) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	json_object_clear(sec);
	codex_free(w->cx);
	w->cx = NULL;
out:
	OBOL_WIPE(kp);
	return e;
}

static obol_err codex_open(struct world *w)
{
	struct obol_amount amount, deposit;
	obol_err e = obol_amount_parse("EUR:10", &amount);
	if (e == OBOL_OK)
		e = obol_amount_parse("EUR:2", &deposit);
	return e == OBOL_OK ? codex_wallet_open(w->cw, &amount, &deposit, &w->cx) : e;
}

static obol_err vendor_pending(struct obol_store *s, void *ctx)
{
	return obol_outbox_count(s, "codex", OBOL_OUTBOX_PENDING, ctx);
}

/* codex payment: the Codex opened last pays the vendor daemon's code
 * (EUR 0.01, over a real device link on loopback: offline for the bank),
 * the vendor deposits the token it took (its outbox; the run waits for it),
 * and the payer syncs, which reports the payment to the bank (POST
 * /codex/sync). */
static obol_err codex_pay_sync(struct world *w)
{
	struct codex_token tok;
	struct codex_wallet_sync_info info;
	int64_t pending = 1;
	obol_err e = w->v == NULL ? vendor_up(w) : OBOL_OK;
	if (e == OBOL_OK && w->cx == NULL)
		e = OBOL_E_CODEX_UNKNOWN_USER;
	if (e == OBOL_OK)
		e = codex_wallet_pay_vendor(w->cw, w->cx, &(struct codex_wallet_pay){ .addr = w->vaddr }, &tok);
	for (int i = 0; e == OBOL_OK && i < 3000; i++) {
		struct timespec ts = { 0, 10 * 1000000 };
		if ((e = obol_vendor_run(w->v, vendor_pending, &pending)) != OBOL_OK || pending == 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (e == OBOL_OK && pending != 0)
		e = OBOL_E_INTERNAL; /* measured only once the vendor's deposit is in */
	if (e == OBOL_OK)
		e = codex_wallet_sync(w->cw, w->cx, NULL, false, &info);
	OBOL_WIPE(tok);
	return e;
}

struct op {
	const char *name;
	obol_err (*run)(struct world *w);
	size_t n, quick_n; /* runs */
	/* NULL, or run before each run outside the measure (each run is then
	 * measured on its own and the growths added) */
	obol_err (*prep)(struct world *w);
};

static const struct op ops[] = {
	{ .name = "coupon withdraw", .run = coupon_withdraw, .n = 1000, .quick_n = 200 },
	{ .name = "payword buy", .run = payword_buy, .n = 100, .quick_n = 10 },
	{ .name = "coupon payment", .run = coupon_pay, .n = 200, .quick_n = 50, .prep = coupon_one_coin },
	{ .name = "ecash top-up", .run = ecash_topup, .n = 1000, .quick_n = 200 },
	{ .name = "ecash deposit", .run = ecash_deposit, .n = 300, .quick_n = 40, .prep = ecash_one_coin },
	{ .name = "codex open", .run = codex_open, .n = 200, .quick_n = 30, .prep = codex_account },
	{ .name = "codex payment", .run = codex_pay_sync, .n = 200, .quick_n = 30 },
};

/* n runs of op, the database read before and after them (with a prep:
 * before and after each run, the growths added). */
static obol_err measure(struct world *w, const struct op *op, size_t n, struct bench_bytes_figure *f)
{
	struct size a, b;
	struct counts ca, cb, c1, c2;
	double used = 0, payload = 0;
	bool has_payload = true;
	obol_err e;
	memset(&cb, 0, sizeof(cb));
	for (size_t i = 0; i < n; i++) {
		if (op->prep != NULL && (e = op->prep(w)) != OBOL_OK)
			return e;
		if ((op->prep != NULL || i == 0) &&
		    ((e = size_of(w->path, &a)) != OBOL_OK || (e = counts_of(w->path, &c1)) != OBOL_OK))
			return e;
		if (i == 0)
			ca = c1;
		if ((e = op->run(w)) != OBOL_OK)
			return e;
		if (op->prep == NULL && i + 1 < n)
			continue;
		if ((e = size_of(w->path, &b)) != OBOL_OK || (e = counts_of(w->path, &c2)) != OBOL_OK)
			return e;
		used += b.used - a.used;
		has_payload = has_payload && a.payload >= 0 && b.payload >= 0;
		payload += b.payload - a.payload;
		/* the rows the runs added, without those of the preps */
		for (size_t t = 0; t < c2.n; t++) {
			int64_t was = 0;
			for (size_t j = 0; j < c1.n; j++)
				if (strcmp(c1.name[j], c2.name[t]) == 0)
					was = c1.rows[j];
			size_t k = 0;
			while (k < cb.n && strcmp(cb.name[k], c2.name[t]) != 0)
				k++;
			if (k == cb.n && cb.n < OBOL_ARRAY_LEN(cb.name)) {
				memcpy(cb.name[cb.n], c2.name[t], sizeof(cb.name[0]));
				for (size_t j = 0; j < ca.n; j++)
					if (strcmp(ca.name[j], c2.name[t]) == 0)
						cb.rows[cb.n] = ca.rows[j];
				cb.n++;
			}
			if (k < cb.n)
				cb.rows[k] += c2.rows[t] - was;
		}
	}
	f->op = op->name;
	f->n = n;
	/* fewer than 4 pages of growth says too little: their rows may have
	 * filled the free room of pages already in use */
	f->db_per_op = used >= 4 * 4096 ? used / (double)n : -1;
	f->raw_per_op = has_payload ? payload / (double)n : -1;
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
	fprintf(out, "\nissuer database bytes per operation (SQLite; db \"-\": under 4 pages grown, too few runs)\n");
	fprintf(out, "%-20s %6s %12s %12s %7s  %s\n", "operation", "n", "db bytes/op", "raw bytes/op", "ratio",
		"rows added per operation");
	for (size_t i = 0; i < b->n; i++) {
		const struct bench_bytes_figure *f = &b->f[i];
		if (f->db_per_op < 0)
			fprintf(out, "%-20s %6zu %12s %12.0f %7s  %s\n", f->op, f->n, "-", f->raw_per_op, "-",
				f->tables);
		else
			fprintf(out, "%-20s %6zu %12.0f %12.0f %7.2f  %s\n", f->op, f->n, f->db_per_op,
				f->raw_per_op, f->raw_per_op > 0 ? f->db_per_op / f->raw_per_op : 0.0, f->tables);
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
