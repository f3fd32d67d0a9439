/* obol bench lists: the lists clients fetch, at N entries (default 10^6),
 * fetched whole and as a delta of 100 entries through the real issuer on
 * loopback and the vendor's own page loop, each next to the raw cost of a
 * SELECT of the same rows from the same SQLite database in the same run
 * (bench.h), with the bytes each fetch moves.
 *
 * Measured today: the payword CRL (GET /payword/crl/page), the ecash
 * revocation list (GET /ecash/revocations/page, bench_lists_ecash.c) and
 * the codex blacklist (GET /codex/blacklist/page, bench_lists_codex.c).
 *
 * The bench builds its own issuer database in a temporary directory (an
 * SQLite file) and removes it. */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/bench_sqlite.h"
#include "cli/bench_lists_bytes.h"
#include "cli/bench_lists_codex.h"
#include "cli/bench_lists_ecash.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "schemes/payword/wire.h"
#include "store/ledger.h"
#include "vendor/payword_vendor.h"
#include "wire/json.h"

#define DELTA_ENTRIES 100

struct lists {
	struct obol_http_client *c;
	uint8_t agent_pk[OBOL_SIGN_PK_LEN];
	int64_t since;    /* the delta's question: the DELTA_ENTRIES ended last */
	size_t n;         /* entries of the whole list */
	sqlite3 *db;      /* the raw reader */
	sqlite3_stmt *all, *recent;
};

/* n ended certificates (nothing left in them), serials first + 1 ..
 * first + n, the x-th ended at ended0 + step * x: one statement. */
struct fill {
	int64_t n, first, ended0, step, not_after;
};

static obol_err fill(struct obol_store *s, void *ctx)
{
	const struct fill *f = ctx;
	static const uint8_t vcert[1] = { 0 };
	return obol_store_run(s, NULL,
			      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
			      " INSERT INTO payword_certs (serial, user_id, scope, vcert, token_units, n, status, ended_at,"
			      " pos, paid, moved_out, max_claimed, not_after, covered)"
			      " SELECT ? + x, 1, 0, ?, 1, 0, 2, ? + ? * x, 0, 0, 0, 0, ?, 0 FROM c",
			      "iibiii", f->n, f->first, vcert, sizeof(vcert), f->ended0, f->step, f->not_after);
}

/* One fetch through the vendor's own page loop, as many pages as it takes;
 * loop->bytes gets the bytes of the page bodies when loop->count_bytes. */
static obol_err fetch(struct lists *l, int64_t since, size_t want, struct payword_crl_loop *loop)
{
	struct payword_crl_fetch f;
	memset(&f, 0, sizeof(f));
	f.since = since;
	loop->max_pages = SIZE_MAX;
	obol_err e = payword_vendor_crl_fetch(l->c, l->agent_pk, &f, loop);
	if (e == OBOL_OK && (!f.done || f.count != want))
		e = OBOL_E_INTERNAL; /* a fetch that misses rows measures nothing */
	payword_crl_fetch_free(&f);
	return e;
}

static obol_err ours_whole(void *arg)
{
	struct lists *l = arg;
	struct payword_crl_loop loop = { 0 };
	return fetch(l, 0, l->n, &loop);
}

static obol_err ours_delta(void *arg)
{
	struct lists *l = arg;
	struct payword_crl_loop loop = { 0 };
	return fetch(l, l->since, DELTA_ENTRIES, &loop);
}

static obol_err raw_whole(void *arg)
{
	struct lists *l = arg;
	return obol_bench_raw_rows(l->all, l->n);
}

static obol_err raw_delta(void *arg)
{
	struct lists *l = arg;
	return obol_bench_raw_rows(l->recent, DELTA_ENTRIES);
}

/* The bytes of the page bodies of one fetch, and their count. */
static obol_err fetch_bytes(struct lists *l, int64_t since, size_t want, size_t *bytes, size_t *pages)
{
	struct payword_crl_loop loop = { .count_bytes = true };
	obol_err e = fetch(l, since, want, &loop);
	*bytes = loop.bytes;
	*pages = loop.pages;
	return e;
}

static int cmd_bench_lists(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "entries", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	bool json = false, quick = false;
	uint64_t entries = 1000000;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'q': quick = true; break;
		case 'n':
			if (obol_parse_u64(optarg, DELTA_ENTRIES, 10000000, &entries) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--entries takes 100..10000000");
			break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);

	char dir[] = "/tmp/obol-bench-lists-XXXXXX", url[96], path[80], base[64];
	if (mkdtemp(dir) == NULL)
		return obol_cli_fail(cmd, OBOL_E_IO, "cannot make a temporary directory");
	snprintf(path, sizeof(path), "%s/issuer.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	struct lists l = { .n = (size_t)entries };
	struct obol_issuer *iss = NULL;
	struct obol_store *s = NULL;
	struct obol_bench_fig figs[2] = {
		{ "crl_whole", "payword CRL, whole, paged", "SELECT of the same serials", 0, 0 },
		{ "crl_delta", "payword CRL, delta of 100", "SELECT of the same 100 serials", 0, 0 },
	};
	size_t whole_bytes = 0, whole_pages = 0, delta_bytes = 0, delta_pages = 0;
	struct bench_lists_ecash ecash;
	double seconds = quick ? OBOL_BENCH_QUICK_SECONDS : OBOL_BENCH_SECONDS;
	int64_t now = obol_now();
	struct fill old = { (int64_t)entries - DELTA_ENTRIES, 0, now - 400 * 86400, 1, now + 86400 };
	struct fill recent = { DELTA_ENTRIES, (int64_t)entries, now - 60, 0, now + 86400 };
	struct obol_issuer_config cfg = { .db_url = url, .listen = "127.0.0.1:0", .threads = 2 };
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = devnull != NULL ? obol_issuer_init_db(url, "XTS", NULL, 0, devnull) : OBOL_E_IO;
	if (devnull != NULL)
		fclose(devnull);
	if (e == OBOL_OK && (e = obol_store_open(url, false, &s)) == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK) {
		if ((e = fill(s, &old)) == OBOL_OK && (e = fill(s, &recent)) == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	if (e == OBOL_OK)
		e = obol_store_exec(s, "ANALYZE payword_certs");
	obol_store_close(s);
	l.since = now - 60;
	if (e == OBOL_OK && (e = obol_issuer_start(&cfg, &iss)) == OBOL_OK) {
		memcpy(l.agent_pk, obol_issuer_keys(iss)->master_pk, OBOL_SIGN_PK_LEN);
		snprintf(base, sizeof(base), "http://127.0.0.1:%u", obol_issuer_port(iss));
		e = obol_http_client_new(base, 0, &l.c);
	}
	if (e == OBOL_OK &&
	    (sqlite3_open_v2(path, &l.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(l.db,
				"SELECT serial FROM payword_certs WHERE status <> 1 AND not_after >= ?1 ORDER BY serial",
				-1, &l.all, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(l.db,
				"SELECT serial FROM payword_certs WHERE status <> 1 AND ended_at >= ?2 AND not_after >= ?1"
				" ORDER BY +serial",
				-1, &l.recent, NULL) != SQLITE_OK ||
	     sqlite3_bind_int64(l.all, 1, now) != SQLITE_OK || sqlite3_bind_int64(l.recent, 1, now) != SQLITE_OK ||
	     sqlite3_bind_int64(l.recent, 2, l.since) != SQLITE_OK))
		e = OBOL_E_STORE_OPEN;
	if (e == OBOL_OK)
		e = fetch_bytes(&l, 0, l.n, &whole_bytes, &whole_pages);
	if (e == OBOL_OK)
		e = fetch_bytes(&l, l.since, DELTA_ENTRIES, &delta_bytes, &delta_pages);
	if (e == OBOL_OK)
		e = obol_bench_pair(&figs[0], ours_whole, &l, raw_whole, &l, 1, seconds);
	if (e == OBOL_OK)
		e = obol_bench_pair(&figs[1], ours_delta, &l, raw_delta, &l, 1, seconds);
	if (e == OBOL_OK)
		e = bench_lists_ecash(url, path, iss, l.c, l.n, seconds, &ecash);
	sqlite3_finalize(l.all);
	sqlite3_finalize(l.recent);
	sqlite3_close(l.db);
	obol_http_client_free(l.c);
	if (iss != NULL)
		obol_issuer_stop(iss);
	obol_bench_sqlite_remove(path, dir);
	struct obol_bench_lists_codex codex;
	if (e == OBOL_OK)
		e = obol_bench_lists_codex_run(l.n, seconds, &codex);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot measure the lists");
	static struct bench_bytes bytes;
	if ((e = bench_lists_bytes_run(quick, &bytes)) != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot measure the bytes per operation");

	if (json) {
		printf("{\"bench\":\"lists\",\"entries\":%zu,\"delta_entries\":%d,\"crl_whole_bytes\":%zu,"
		       "\"crl_whole_pages\":%zu,\"crl_whole_raw_bytes\":%zu,\"crl_delta_bytes\":%zu,\"crl_delta_pages\":%zu,"
		       "\"crl_delta_raw_bytes\":%d,\"figures\":",
		       l.n, DELTA_ENTRIES, whole_bytes, whole_pages, 8 * l.n, delta_bytes, delta_pages, 8 * DELTA_ENTRIES);
		obol_bench_print_json(stdout, figs, 2);
		obol_bench_lists_codex_print(&codex, true, stdout);
		bench_lists_ecash_print(stdout, &ecash, true);
		printf(",\"bytes_per_op\":");
		bench_lists_bytes_print_json(stdout, &bytes);
		printf("}\n");
	} else {
		char title[200];
		snprintf(title, sizeof(title),
			 "lists bench, %zu entries (SQLite): payword CRL whole %zu bytes in %zu pages (raw %zu), delta "
			 "of %d %zu bytes in %zu page (raw %d)",
			 l.n, whole_bytes, whole_pages, 8 * l.n, DELTA_ENTRIES, delta_bytes, delta_pages,
			 8 * DELTA_ENTRIES);
		obol_bench_print_table(stdout, title, figs, 2);
		obol_bench_lists_codex_print(&codex, false, stdout);
		bench_lists_ecash_print(stdout, &ecash, false);
		bench_lists_bytes_print(stdout, &bytes);
	}
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(bench_lists_cmd, "bench lists", "[--entries N] [--quick] [--json]",
	     "the lists clients fetch, whole and as a delta of 100, against a raw SELECT of the same rows",
	     "  --entries N  entries in each list (default 1000000, at least 100)\n"
	     "  --quick      0.2 s per figure instead of 1\n"
	     "  --json       one JSON object: entries, crl_whole_bytes, crl_whole_pages, crl_delta_bytes, ...,\n"
	     "               figures: {crl_whole_per_s, crl_whole_raw_per_s, crl_whole_ratio, crl_delta_...},\n"
	     "               bytes_per_op: [{op, n, db_bytes_per_op, raw_bytes_per_op, rows_per_op}]\n"
	     "Builds its own issuer database (SQLite, in a temporary directory) and removes it.\n"
	     "Measured: the payword CRL, the codex blacklist (bench_lists_codex.c) and the ecash\n"
	     "revocation list (ecash_rl_..., ecash_figures; bench_lists_ecash.c).\n"
	     "Then the issuer database's bytes per operation: n operations through a real issuer,\n"
	     "the used pages (tables and indexes) before and after, next to the rows' payload (what\n"
	     "a SELECT of them returns). Measured today: coupon withdraw, payword buy, ecash top-up.",
	     cmd_bench_lists)
