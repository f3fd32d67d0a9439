/* `obol bench lists`, the ecash revocation list (GET
 * /ecash/revocations/page): n revoked keys with live certificates, fetched
 * whole (every page) and as a delta of the 100 revoked last, through the
 * real issuer on loopback and the page loop the vendor and the wallet run
 * (each page's bank signature checked), next to a SELECT of the same rows
 * from the same SQLite file in the same run. See bench_lists_ecash.h. */
#include <sqlite3.h>
#include <string.h>

#include "cli/bench_lists_ecash.h"
#include "cli/bench_sqlite.h"
#include "core/clock.h"
#include "issuer/ecash_issuer.h"
#include "store/store.h"
#include "vendor/ecash_rl_fetch.h"

#define ECASH_DELTA 100

struct ctx {
	struct obol_http_client *c;
	const struct ecash_bank_keys *bank_pk;
	int64_t since;
	size_t n;
	sqlite3_stmt *all, *recent;
};

/* n registrations numbered first .., ids ascending with the number, their
 * certificates live until expiry, each revoked at `at`: two statements. */
static obol_err fill(struct obol_store *s, int64_t first, int64_t n, int64_t at, int64_t expiry)
{
	obol_err e = obol_store_run(s, NULL,
				    "WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
				    " INSERT INTO ecash_certs (key_id, account, cert, issued, expiry, seq)"
				    " SELECT CAST(printf('%032d', x) AS BLOB), 1, '{}', 0, ?, x FROM c",
				    "iii", first, first + n - 1, expiry);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO ecash_revoked (key_id, at, reason) SELECT key_id, ?, 'bench'"
				   " FROM ecash_certs WHERE seq >= ? AND seq < ?",
				   "iii", at, first, first + n);
	return e;
}

static obol_err fetch(struct ctx *x, int64_t since, size_t want, struct ecash_rl_fetch_stats *stats)
{
	struct ecash_rl_fetch f;
	memset(&f, 0, sizeof(f));
	f.since = since;
	obol_err e = ecash_rl_fetch_pages(x->c, x->bank_pk, &f, stats);
	if (e == OBOL_OK && f.n != want)
		e = OBOL_E_INTERNAL; /* a fetch that misses rows measures nothing */
	ecash_rl_fetch_free(&f);
	return e;
}

static obol_err ours_whole(void *arg)
{
	struct ctx *x = arg;
	return fetch(x, 0, x->n, NULL);
}

static obol_err ours_delta(void *arg)
{
	struct ctx *x = arg;
	return fetch(x, x->since, ECASH_DELTA, NULL);
}

static obol_err raw_whole(void *arg)
{
	struct ctx *x = arg;
	return obol_bench_raw_rows(x->all, x->n);
}

static obol_err raw_delta(void *arg)
{
	struct ctx *x = arg;
	return obol_bench_raw_rows(x->recent, ECASH_DELTA);
}

obol_err bench_lists_ecash(const char *db_url, const char *path, struct obol_issuer *iss, struct obol_http_client *c,
			   size_t n, double seconds, struct bench_lists_ecash *out)
{
	struct ecash_issuer_state *st = NULL;
	struct obol_store *s = NULL;
	sqlite3 *db = NULL;
	struct ecash_rl_fetch_stats whole = { 0 }, delta = { 0 };
	int64_t now = obol_now();
	struct ctx x = { .c = c, .n = n, .since = now - 60 };
	memset(out, 0, sizeof(*out));
	out->n = n;
	out->figs[0] = (struct obol_bench_fig){ "ecash_rl_whole", "ecash revocation list, whole, paged",
						"SELECT of the same keys", 0, 0 };
	out->figs[1] = (struct obol_bench_fig){ "ecash_rl_delta", "ecash revocation list, delta of 100",
						"SELECT of the same 100 keys", 0, 0 };
	obol_err e = n >= ECASH_DELTA ? ecash_issuer_state(iss, &st) : OBOL_E_INVALID_ARGUMENT;
	if (e == OBOL_OK && (e = obol_store_open(db_url, false, &s)) == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK) {
		if ((e = fill(s, 0, (int64_t)n - ECASH_DELTA, now - 400 * 86400, now + 86400)) == OBOL_OK &&
		    (e = fill(s, (int64_t)n, ECASH_DELTA, now - 30, now + 86400)) == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	if (e == OBOL_OK && (e = obol_store_exec(s, "ANALYZE ecash_revoked")) == OBOL_OK)
		e = obol_store_exec(s, "ANALYZE ecash_certs");
	obol_store_close(s);
	if (e != OBOL_OK)
		return e;
	x.bank_pk = &st->bank.keys;
	/* the rows a page reads, in the order it reads them */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT r.key_id, r.at FROM ecash_revoked r JOIN ecash_certs c ON c.key_id = r.key_id"
			       " WHERE r.at <= ?1 AND c.expiry > ?2 ORDER BY r.key_id",
			       -1, &x.all, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT r.key_id, r.at FROM ecash_revoked r JOIN ecash_certs c ON c.key_id = r.key_id"
			       " WHERE r.at >= ?3 AND r.at <= ?1 AND c.expiry > ?2 ORDER BY +r.key_id",
			       -1, &x.recent, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(x.all, 1, now + 86400) != SQLITE_OK || sqlite3_bind_int64(x.all, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int64(x.recent, 1, now + 86400) != SQLITE_OK ||
	    sqlite3_bind_int64(x.recent, 2, now) != SQLITE_OK || sqlite3_bind_int64(x.recent, 3, x.since) != SQLITE_OK)
		e = OBOL_E_STORE_OPEN;
	if (e == OBOL_OK)
		e = fetch(&x, 0, n, &whole);
	if (e == OBOL_OK)
		e = fetch(&x, x.since, ECASH_DELTA, &delta);
	if (e == OBOL_OK)
		e = obol_bench_pair(&out->figs[0], ours_whole, &x, raw_whole, &x, 1, seconds);
	if (e == OBOL_OK)
		e = obol_bench_pair(&out->figs[1], ours_delta, &x, raw_delta, &x, 1, seconds);
	sqlite3_finalize(x.all);
	sqlite3_finalize(x.recent);
	sqlite3_close(db);
	out->whole_bytes = whole.bytes;
	out->whole_pages = whole.pages;
	out->delta_bytes = delta.bytes;
	out->delta_pages = delta.pages;
	return e;
}

void bench_lists_ecash_print(FILE *f, const struct bench_lists_ecash *b, bool json)
{
	/* raw: 32 bytes of id and 8 of time per key */
	if (json) {
		fprintf(f,
			",\"ecash_rl_entries\":%zu,\"ecash_rl_whole_bytes\":%zu,\"ecash_rl_whole_pages\":%zu,"
			"\"ecash_rl_whole_raw_bytes\":%zu,\"ecash_rl_delta_bytes\":%zu,\"ecash_rl_delta_pages\":%zu,"
			"\"ecash_rl_delta_raw_bytes\":%d,\"ecash_figures\":",
			b->n, b->whole_bytes, b->whole_pages, 40 * b->n, b->delta_bytes, b->delta_pages, 40 * ECASH_DELTA);
		obol_bench_print_json(f, b->figs, 2);
		return;
	}
	char title[220];
	snprintf(title, sizeof(title),
		 "ecash revocation list, %zu keys (SQLite): whole %zu bytes in %zu pages (raw %zu), delta of %d %zu "
		 "bytes in %zu page (raw %d)",
		 b->n, b->whole_bytes, b->whole_pages, 40 * b->n, ECASH_DELTA, b->delta_bytes, b->delta_pages,
		 40 * ECASH_DELTA);
	obol_bench_print_table(f, title, b->figs, 2);
}
