/* obol bench store: durable commits per second of the ledger, one transfer
 * per transaction and with group commit, next to the raw limit of the same
 * database measured in the same run: a bare insert+commit loop (SQLite with
 * the same pragmas; PostgreSQL through libpq), each commit durable.
 *
 * The bench writes to the database it is given: a ledger in the test
 * currency XTS with accounts bench-u*, bench-v, and a table bench_raw. It
 * refuses a database whose ledger keeps another currency. */
#include <getopt.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "store/batch.h"
#include "store/ledger.h"

#define BENCH_CURRENCY "XTS"
#define BENCH_MAX_THREADS 256

struct bench {
	const char *url;
	double seconds;
	int threads;
	int64_t users[BENCH_MAX_THREADS], vendor;
};

static double elapsed_s(uint64_t t0)
{
	return (double)(obol_mono_ns() - t0) / 1e9;
}

/* ---- raw baselines ---- */

static obol_err raw_sqlite(const struct bench *b, double *rate)
{
	const char *path = b->url + strlen("sqlite:");
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
	obol_err e = OBOL_E_STORE_QUERY;
	int flags = SQLITE_OPEN_READWRITE | (strncmp(path, "file:", 5) == 0 ? SQLITE_OPEN_URI : 0);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			     "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, v BIGINT)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO bench_raw (v) VALUES (?)", -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
		goto out;
	uint64_t t0 = obol_mono_ns();
	long n = 0;
	while (elapsed_s(t0) < b->seconds) {
		sqlite3_bind_int64(ins, 1, n);
		if (sqlite3_step(begin) != SQLITE_DONE || sqlite3_step(ins) != SQLITE_DONE ||
		    sqlite3_step(commit) != SQLITE_DONE)
			goto out;
		sqlite3_reset(begin);
		sqlite3_reset(ins);
		sqlite3_reset(commit);
		n++;
	}
	*rate = (double)n / elapsed_s(t0);
	e = OBOL_OK;
out:
	if (e != OBOL_OK && db != NULL)
		fprintf(stderr, "bench: raw sqlite: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close_v2(db);
	return e;
}

static bool pg_ok(PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	PQclear(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static obol_err raw_postgres(const struct bench *b, double *rate)
{
	PGconn *c = PQconnectdb(b->url);
	obol_err e = OBOL_E_STORE_QUERY;
	if (PQstatus(c) != CONNECTION_OK)
		goto out;
	if (!pg_ok(PQexec(c, "SET client_min_messages = warning")) ||
	    !pg_ok(PQexec(c, "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, v BIGINT)")) ||
	    !pg_ok(PQprepare(c, "ins", "INSERT INTO bench_raw (v) VALUES ($1)", 1, NULL)))
		goto out;
	uint64_t t0 = obol_mono_ns();
	long n = 0;
	while (elapsed_s(t0) < b->seconds) {
		char v[24];
		const char *vals[1] = { v };
		snprintf(v, sizeof(v), "%ld", n);
		if (!pg_ok(PQexec(c, "BEGIN")) || !pg_ok(PQexecPrepared(c, "ins", 1, vals, NULL, NULL, 0)) ||
		    !pg_ok(PQexec(c, "COMMIT")))
			goto out;
		n++;
	}
	*rate = (double)n / elapsed_s(t0);
	e = OBOL_OK;
out:
	if (e != OBOL_OK)
		fprintf(stderr, "bench: raw postgres: %s", PQerrorMessage(c));
	PQfinish(c);
	return e;
}

/* ---- the ledger ---- */

struct xfer {
	int64_t from, to;
	struct obol_amount amount;
};

static obol_err xfer_unit(struct obol_store *s, void *ctx)
{
	struct xfer *x = ctx;
	return obol_ledger_transfer(s, x->from, x->to, &x->amount, "bench", NULL, NULL);
}

static obol_err setup_tx(struct obol_store *s, void *ctx)
{
	struct bench *b = ctx;
	struct obol_account a;
	struct obol_amount fund;
	obol_err e = obol_amount_from_units(BENCH_CURRENCY, INT64_C(100000000000000), &fund);
	for (int i = 0; e == OBOL_OK && i <= b->threads; i++) {
		char name[32];
		bool vendor = i == b->threads;
		int64_t *id = vendor ? &b->vendor : &b->users[i];
		snprintf(name, sizeof(name), vendor ? "bench-v" : "bench-u%d", i);
		e = obol_account_by_name(s, name, &a);
		if (e == OBOL_OK) {
			*id = a.id;
			continue;
		}
		if (e != OBOL_E_LEDGER_ACCOUNT_UNKNOWN)
			break;
		e = obol_account_create(s, vendor ? OBOL_ACCOUNT_VENDOR : OBOL_ACCOUNT_USER, name, NULL, id);
		if (e == OBOL_OK && !vendor)
			e = obol_ledger_fund(s, *id, &fund, "bench");
	}
	return e;
}

static obol_err single(const struct bench *b, double *rate)
{
	struct obol_store *s = NULL;
	struct xfer x = { .from = b->users[0], .to = b->vendor };
	obol_err e = obol_amount_from_units(BENCH_CURRENCY, 1, &x.amount);
	if (e == OBOL_OK)
		e = obol_ledger_open(b->url, &s);
	uint64_t t0 = obol_mono_ns();
	long n = 0;
	while (e == OBOL_OK && elapsed_s(t0) < b->seconds) {
		e = obol_store_transact(s, xfer_unit, &x);
		n++;
	}
	*rate = (double)n / elapsed_s(t0);
	obol_store_close(s);
	return e;
}

struct client {
	struct obol_batcher *batcher;
	const atomic_bool *stop;
	struct xfer x;
	long done;
	obol_err e;
};

static void *client(void *arg)
{
	struct client *c = arg;
	while (!atomic_load(c->stop) && c->e == OBOL_OK) {
		c->e = obol_batcher_run(c->batcher, xfer_unit, &c->x);
		if (c->e == OBOL_OK)
			c->done++;
	}
	return NULL;
}

struct group_result {
	double rate, tx_rate, avg_batch;
	uint64_t retries;
};

static obol_err group(const struct bench *b, struct group_result *r)
{
	struct obol_store *s = NULL;
	struct obol_batcher *bt = NULL;
	struct client *cl = calloc((size_t)b->threads, sizeof(*cl));
	pthread_t *th = calloc((size_t)b->threads, sizeof(*th));
	atomic_bool stop = false;
	obol_err e = cl && th ? obol_ledger_open(b->url, &s) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_batcher_start(s, (size_t)b->threads, &bt);
	if (e != OBOL_OK) {
		obol_store_close(s);
		goto out;
	}
	int started = 0;
	uint64_t t0 = obol_mono_ns();
	for (; started < b->threads; started++) {
		cl[started] = (struct client){ .batcher = bt, .stop = &stop,
					       .x = { .from = b->users[started], .to = b->vendor } };
		e = obol_amount_from_units(BENCH_CURRENCY, 1, &cl[started].x.amount);
		if (e != OBOL_OK || pthread_create(&th[started], NULL, client, &cl[started]) != 0)
			break;
	}
	while (elapsed_s(t0) < b->seconds)
		usleep(10000);
	atomic_store(&stop, true);
	long done = 0;
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		done += cl[i].done;
		if (cl[i].e != OBOL_OK && e == OBOL_OK)
			e = cl[i].e;
	}
	double secs = elapsed_s(t0);
	uint64_t batches = 0, units = 0;
	obol_batcher_stats(bt, &batches, &units, &r->retries);
	obol_batcher_stop(bt);
	r->rate = (double)done / secs;
	r->tx_rate = (double)batches / secs;
	r->avg_batch = batches ? (double)units / (double)batches : 0;
out:
	free(cl);
	free(th);
	return e;
}

static int cmd_bench_store(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },	{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .seconds = 3.0, .threads = 32 };
	struct obol_store *s = NULL;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			b.url = optarg;
		else if (c == 'q')
			b.seconds = 1.0;
		else if (c == 'j')
			json = true;
		else if (c == 't')
			b.threads = atoi(optarg);
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (b.url == NULL || optind != argc)
		return obol_cli_usage_error(cmd, "--db URL is required");
	if (b.threads < 1 || b.threads > BENCH_MAX_THREADS)
		return obol_cli_usage_error(cmd, "--threads is 1 to 256");

	obol_err e = obol_store_open(b.url, true, &s);
	if (e == OBOL_OK)
		e = obol_ledger_init(s, BENCH_CURRENCY);
	if (e == OBOL_OK)
		e = obol_store_transact(s, setup_tx, &b);
	bool pg = s != NULL && obol_store_backend(s) == OBOL_STORE_POSTGRES;
	const char *backend = s != NULL ? obol_store_backend_name(s) : "?";
	obol_store_close(s);
	if (e == OBOL_E_LEDGER_CURRENCY)
		return obol_cli_fail(cmd, e, "the bench needs a scratch database (its ledger keeps XTS)");
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, b.url);

	double raw = 0, one = 0;
	struct group_result g = { 0 };
	e = pg ? raw_postgres(&b, &raw) : raw_sqlite(&b, &raw);
	if (e == OBOL_OK)
		e = single(&b, &one);
	if (e == OBOL_OK)
		e = group(&b, &g);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "bench run");
	if (json) {
		printf("{\"bench\":\"store\",\"backend\":\"%s\",\"seconds_per_figure\":%.1f,"
		       "\"raw_commits_per_s\":%.1f,\"commits_per_s\":%.1f,\"group_commits_per_s\":%.1f,"
		       "\"group_transactions_per_s\":%.1f,\"group_threads\":%d,\"avg_batch\":%.2f,"
		       "\"group_retries\":%llu,\"commits_to_raw\":%.3f,\"group_commits_to_raw\":%.3f}\n",
		       backend, b.seconds, raw, one, g.rate, g.tx_rate, b.threads, g.avg_batch,
		       (unsigned long long)g.retries, raw > 0 ? one / raw : 0, raw > 0 ? g.rate / raw : 0);
	} else {
		printf("store bench on %s, %.0f s per figure; every commit durable\n", backend, b.seconds);
		printf("  raw insert+commit loop          %10.1f commits/s   (the limit)\n", raw);
		printf("  ledger transfer per commit      %10.1f commits/s   %6.3f x raw\n", one,
		       raw > 0 ? one / raw : 0);
		printf("  group commit, %3d clients       %10.1f transfers/s %6.3f x raw"
		       "  (%.1f commits/s, %.1f transfers per commit, %llu retries)\n",
		       b.threads, g.rate, raw > 0 ? g.rate / raw : 0, g.tx_rate, g.avg_batch,
		       (unsigned long long)g.retries);
	}
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(bench_store_cmd, "bench store", "--db URL [--quick] [--json] [--threads N]",
	     "durable ledger commits per second, alone and with group commit, against the raw limit",
	     "  --db URL       a scratch database (sqlite:PATH or postgresql://...)\n"
	     "  --quick        1 s per figure instead of 3\n"
	     "  --json         one JSON object: raw_commits_per_s, commits_per_s, group_commits_per_s, ...\n"
	     "  --threads N    clients of the group commit (default 32)",
	     cmd_bench_store)
