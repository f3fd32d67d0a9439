/* The codex blacklist in `obol bench lists`: GET /codex/blacklist/page,
 * whole and as a delta of 100 entries, through the real issuer on loopback
 * and the wallet's own page loop (codex_wallet_blacklist_pages), next to a
 * SELECT of the same rows from the same SQLite file in the same run
 * (bench.h), with the bytes each fetch moves. */
#include "cli/bench_lists_codex.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench_sqlite.h"
#include "core/clock.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "schemes/codex/api.h"
#include "store/store.h"
#include "wallet/codex_wallet.h"
#include "wire/json.h"

#define DELTA_ENTRIES 100

struct codex_lists {
	struct obol_http_client *c;
	uint8_t bank_pk[OBOL_SIGN_PK_LEN];
	size_t n;
	sqlite3 *db;
	sqlite3_stmt *all, *recent;
};

/* n listed users, ids first + 1 .. first + n, at version v, live a month. */
static obol_err fill(struct obol_store *s, int64_t n, int64_t first, int64_t v, int64_t until)
{
	return obol_store_run(s, NULL,
			      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
			      " INSERT INTO codex_listed (user_id, since, until, version) SELECT ? + x, 0, ?, ? FROM c",
			      "iiii", n, first, until, v);
}

/* One fetch since version `since` (0: whole), page after page. */
static obol_err fetch(struct codex_lists *l, uint64_t since, size_t want)
{
	struct codex_blacklist_fetch f;
	struct codex_blset held = { .version = since };
	codex_blacklist_fetch_begin(&f, &held);
	obol_err e = codex_wallet_blacklist_pages(l->c, l->bank_pk, &f, NULL);
	if (e == OBOL_OK && f.count != want)
		e = OBOL_E_INTERNAL; /* a fetch that misses rows measures nothing */
	codex_blacklist_fetch_free(&f);
	return e;
}

static obol_err ours_whole(void *arg)
{
	struct codex_lists *l = arg;
	return fetch(l, 0, l->n);
}

static obol_err ours_delta(void *arg)
{
	return fetch(arg, 1, DELTA_ENTRIES);
}

static obol_err raw_whole(void *arg)
{
	struct codex_lists *l = arg;
	return obol_bench_raw_rows(l->all, l->n);
}

static obol_err raw_delta(void *arg)
{
	struct codex_lists *l = arg;
	return obol_bench_raw_rows(l->recent, DELTA_ENTRIES);
}

/* The bytes of the page bodies of one fetch, and their count. */
static obol_err fetch_bytes(struct codex_lists *l, uint64_t since, size_t *bytes, size_t *pages)
{
	struct codex_blacklist_fetch f;
	struct codex_blset held = { .version = since };
	struct codex_blacklist_loop loop = { .count_bytes = true };
	codex_blacklist_fetch_begin(&f, &held);
	obol_err e = codex_wallet_blacklist_pages(l->c, l->bank_pk, &f, &loop);
	*bytes = loop.bytes;
	*pages = loop.pages;
	codex_blacklist_fetch_free(&f);
	return e;
}

obol_err obol_bench_lists_codex_run(size_t n, double seconds, struct obol_bench_lists_codex *r)
{
	char dir[] = "/tmp/obol-bench-codex-XXXXXX", url[96], path[80], base[64];
	struct codex_lists l = { .n = n };
	struct obol_issuer *iss = NULL;
	struct obol_store *s = NULL;
	int64_t now = obol_now(), until = now + 30 * 86400;
	obol_err e;
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->figs[0] = (struct obol_bench_fig){ "codex_whole", "codex blacklist, whole, paged",
					      "SELECT of the same users", 0, 0 };
	r->figs[1] = (struct obol_bench_fig){ "codex_delta", "codex blacklist, delta of 100",
					      "SELECT of the same 100 users", 0, 0 };
	if (n < DELTA_ENTRIES)
		return OBOL_E_INVALID_ARGUMENT;
	if (mkdtemp(dir) == NULL)
		return OBOL_E_IO;
	snprintf(path, sizeof(path), "%s/issuer.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	FILE *devnull = fopen("/dev/null", "w");
	e = devnull != NULL ? obol_issuer_init_db(url, "XTS", NULL, 0, devnull) : OBOL_E_IO;
	if (devnull != NULL)
		fclose(devnull);
	/* versions 1 (all but the newest hundred) and 2 (those) */
	if (e == OBOL_OK && (e = obol_store_open(url, false, &s)) == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK) {
		if ((e = fill(s, (int64_t)(n - DELTA_ENTRIES), 0, 1, until)) == OBOL_OK &&
		    (e = fill(s, DELTA_ENTRIES, (int64_t)n, 2, until)) == OBOL_OK &&
		    (e = obol_store_run(s, NULL, "UPDATE codex_blacklist SET version = 2 WHERE id = 1", "")) == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	if (e == OBOL_OK)
		e = obol_store_exec(s, "ANALYZE codex_listed");
	obol_store_close(s);
	struct obol_issuer_config cfg = { .db_url = url, .listen = "127.0.0.1:0", .threads = 2 };
	if (e == OBOL_OK && (e = obol_issuer_start(&cfg, &iss)) == OBOL_OK) {
		memcpy(l.bank_pk, obol_issuer_keys(iss)->master_pk, OBOL_SIGN_PK_LEN);
		snprintf(base, sizeof(base), "http://127.0.0.1:%u", obol_issuer_port(iss));
		e = obol_http_client_new(base, 0, &l.c);
	}
	/* the raw reader: the same rows, the same order, no signature or wire */
	if (e == OBOL_OK &&
	    (sqlite3_open_v2(path, &l.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(l.db,
				"SELECT user_id, until FROM codex_listed WHERE version > 0 AND version <= 2 AND until >= ?1"
				" ORDER BY user_id",
				-1, &l.all, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(l.db,
				"SELECT user_id, until FROM codex_listed WHERE version > 1 AND version <= 2 AND until >= ?1"
				" ORDER BY user_id",
				-1, &l.recent, NULL) != SQLITE_OK ||
	     sqlite3_bind_int64(l.all, 1, now) != SQLITE_OK || sqlite3_bind_int64(l.recent, 1, now) != SQLITE_OK))
		e = OBOL_E_STORE_OPEN;
	if (e == OBOL_OK)
		e = fetch_bytes(&l, 0, &r->whole_bytes, &r->whole_pages);
	if (e == OBOL_OK)
		e = fetch_bytes(&l, 1, &r->delta_bytes, &r->delta_pages);
	if (e == OBOL_OK)
		e = obol_bench_pair(&r->figs[0], ours_whole, &l, raw_whole, &l, 1, seconds);
	if (e == OBOL_OK)
		e = obol_bench_pair(&r->figs[1], ours_delta, &l, raw_delta, &l, 1, seconds);
	sqlite3_finalize(l.all);
	sqlite3_finalize(l.recent);
	sqlite3_close(l.db);
	obol_http_client_free(l.c);
	if (iss != NULL)
		obol_issuer_stop(iss);
	obol_bench_sqlite_remove(path, dir);
	return e;
}

void obol_bench_lists_codex_print(const struct obol_bench_lists_codex *r, bool json, FILE *out)
{
	if (json) {
		fprintf(out,
			",\"codex\":{\"entries\":%zu,\"whole_bytes\":%zu,\"whole_pages\":%zu,\"whole_raw_bytes\":%zu,"
			"\"delta_bytes\":%zu,\"delta_pages\":%zu,\"delta_raw_bytes\":%d,\"figures\":",
			r->n, r->whole_bytes, r->whole_pages, 16 * r->n, r->delta_bytes, r->delta_pages, 16 * DELTA_ENTRIES);
		obol_bench_print_json(out, r->figs, 2);
		fprintf(out, "}");
		return;
	}
	char title[200];
	snprintf(title, sizeof(title),
		 "codex blacklist, %zu entries (SQLite): whole %zu bytes in %zu pages (raw %zu), delta of %d %zu bytes "
		 "in %zu page (raw %d)",
		 r->n, r->whole_bytes, r->whole_pages, 16 * r->n, DELTA_ENTRIES, r->delta_bytes, r->delta_pages,
		 16 * DELTA_ENTRIES);
	obol_bench_print_table(out, title, r->figs, 2);
}
